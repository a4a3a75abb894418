"""Every frozen record and row, walked through the admin (DESIGN §5: once the minutes are
validated or the dossier submitted, every edit path — page, fragment, admin — is closed).

The models are found, not listed: each subclass of `Freezable` registered in the admin site. Each
one needs a way to build a frozen instance (BUILDERS), so that a model made freezable or
registered tomorrow fails here until it is walked too. The admin is signed in as a superuser who
has given the second factor the production settings require."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import models
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from committees.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
)
from projects.admin import REVERT_REFUSED
from projects.lifecycle import Freezable
from projects.models import Application, ApplicationProject, Call, Stage

from .factories import (
    FundingLineFactory,
    IndicatorFactory,
    OrganisationFactory,
    ProjectFactory,
    make_meeting,
)
from .projects.test_applications import answer_all
from .utils import text

# Some tests read response.context (the admin form and its action form).
pytestmark = [pytest.mark.django_db, pytest.mark.template_context]

PASSWORD = "Forge-de-Langres-2027"


def frozen_models() -> list[type[models.Model]]:
    """The freezable models the admin shows, in a stable order."""
    found = [
        m for m in apps.get_models() if issubclass(m, Freezable) and admin.site.is_registered(m)
    ]
    return sorted(found, key=lambda m: m._meta.label)


# --- frozen instances ----------------------------------------------------------------------


class FrozenWorld:
    """A COTECH meeting whose minutes are validated (a project examined, an information item,
    attendance, an action, the chair's approval) and a submitted application, each built only
    when a test asks for it, through the domain's own methods."""

    def __init__(self, users, territory):
        self.users, self.territory = users, territory
        self.coordinator = users["coordinator"]

    @cached_property
    def committee(self) -> Committee:
        committee = Committee.objects.create(
            territory=self.territory,
            kind=Committee.Kind.COTECH,
            name="Comité technique",
            quorum=2,
            requires_chair_approval=True,
        )
        for name, role in [("coordinator", "chair"), ("member", "member")]:
            CommitteeMember.objects.create(committee=committee, user=self.users[name], role=role)
        return committee

    @cached_property
    def meeting(self) -> Meeting:
        by = self.coordinator
        project = ProjectFactory(territory=self.territory, stage=Stage.ELIGIBLE)
        project.lead_users.add(self.users["lead"])
        FundingLineFactory(project=project, amount=project.total_cost)
        meeting = make_meeting(self.committee)
        examined = meeting.add_project(project, by=by)
        info = meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point sur l'AMI", by=by)
        meeting.convene(by=by)
        meeting.hold(by=by, at=meeting.starts_at)
        for seat in self.committee.members.all():
            Attendance.objects.create(meeting=meeting, member=seat, status="present")
        ActionItem.objects.create(
            meeting=meeting, agenda_item=examined, what="Relancer la Région", owner="CM"
        )
        examined.record_decision(Decision.FAVORABLE, by=by)
        info.record_decision(Decision.NOTED, by=by)
        meeting.approve_draft(by=by, at=meeting.ends_at)
        meeting.validate_minutes(by=by, at=meeting.ends_at)
        meeting = Meeting.objects.get(pk=meeting.pk)
        assert meeting.is_frozen
        return meeting

    @cached_property
    def application(self) -> Application:
        by = self.coordinator
        project = ProjectFactory(
            territory=self.territory, stage=Stage.APPROVED, total_cost=Decimal("1e6")
        )
        FundingLineFactory(project=project, amount=Decimal("1e6"))
        IndicatorFactory(project=project, target=Decimal("25"))
        applicant = OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind="epci")
        self.territory.organisations.add(applicant)
        application = Application.objects.create(
            call=Call.objects.get(title="AMI Rebond industriel"),
            territory=self.territory,
            applicant=applicant,
            title="Candidature Chaumont-Langres",
        )
        ApplicationProject.objects.create(
            application=application, project=project, requested_amount=Decimal("300000")
        )
        answer_all(application)
        application.mark_ready(by=by)
        application.submit(by=by)
        application = Application.objects.get(pk=application.pk)
        assert application.is_frozen
        return application


# A frozen instance of each model the walk finds.
BUILDERS = {
    Meeting: lambda world: world.meeting,
    AgendaItem: lambda world: world.meeting.items.get(kind=AgendaItem.Kind.PROJECT),
    Attendance: lambda world: world.meeting.attendances.get(member__role="chair"),
    ActionItem: lambda world: world.meeting.actions.get(),
    Application: lambda world: world.application,
}


@dataclass(frozen=True)
class AddRefusal:
    """A new row posted to the add view under a frozen record, and how the admin refuses it:
    403, or the form shown again (200) with an error on the field naming the record."""

    data: object  # world -> POST data
    status: int
    says: str = ""  # the refusal's message
    error_on: str = ""  # the field the form blames


# A new row for each frozen model that is a row of a record (frozen_with).
ADD_REFUSALS = {
    # The agenda is built on the meeting page only: no add view at all.
    AgendaItem: AddRefusal(
        lambda world: {
            "meeting": world.meeting.pk,
            "order": 3,
            "kind": AgendaItem.Kind.INFORMATION,
            "title": "Point ajouté après la validation",
            "duration": 10,
        },
        status=403,
    ),
    # A seat that joined the committee after the validation: the form is valid, the save is
    # refused with the meeting's message.
    Attendance: AddRefusal(
        lambda world: {
            "meeting": world.meeting.pk,
            "member": CommitteeMember.objects.create(
                committee=world.committee, name="Arrivé Après", role="member"
            ).pk,
            "status": "present",
        },
        status=403,
        says=Meeting.FROZEN_MESSAGE,
    ),
    # An action goes to a meeting whose minutes are open: a validated one is not a choice.
    ActionItem: AddRefusal(
        lambda world: {
            "meeting": world.meeting.pk,
            "what": "Action ajoutée après la validation",
            "owner": "CM",
        },
        status=200,
        error_on="meeting",
    ),
}


def frozen_instance(model, world):
    if model not in BUILDERS:
        pytest.fail(f"{model._meta.label} is frozen and in the admin, but BUILDERS cannot make one")
    obj = BUILDERS[model](world)
    assert isinstance(obj, model)
    assert obj.frozen_record.is_frozen, f"the {model._meta.label} built is not frozen"
    return obj


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def world(users, territory):
    return FrozenWorld(users, territory)


@pytest.fixture
def signed_admin(settings, users):
    """The superuser, signed in with its password then the code of its authenticator, as
    production requires of an admin."""
    settings.SECOND_FACTOR_REQUIRED = True
    superuser = users["admin"]
    superuser.set_password(PASSWORD)
    superuser.save()
    device = TOTPDevice.objects.create(user=superuser, name="Téléphone", confirmed=True)
    client = Client()
    signed = client.post("/connexion/", {"username": superuser.username, "password": PASSWORD})
    assert signed.status_code == 302
    assert client.get("/admin/")["Location"] == "/connexion/code/?next=/admin/"
    given = client.post("/connexion/code/", {"code": f"{totp(device.bin_key):06d}"})
    assert given.status_code == 302
    assert client.get("/admin/").status_code == 200
    return client


def stored(obj) -> dict:
    """The row as the database holds it (every column)."""
    return type(obj)._default_manager.filter(pk=obj.pk).values().get()


def history_of(obj):
    return getattr(obj, obj._meta.simple_history_manager_attribute)


def is_free_text(field) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def edited_post(obj) -> dict:
    """What an edit posted to the change form would carry: the row's values, one text changed."""
    data, changed = {}, False
    for field in obj._meta.concrete_fields:
        if field.primary_key or not field.editable or isinstance(field, models.FileField):
            continue
        value = field.value_from_object(obj)
        if isinstance(field, models.JSONField):
            value = json.dumps(value)
        elif is_free_text(field) and not changed:
            value, changed = f"{value} (modifié depuis l'administration)", True
        data[field.name] = "" if value is None else value
    assert changed, f"{obj._meta.label} has no text field to change"
    return {**data, "_save": "Enregistrer"}


def url(obj, view: str, *args) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


# --- the walk ------------------------------------------------------------------------------


def test_every_frozen_model_in_the_admin_is_walked():
    found = set(frozen_models())
    assert found, "no Freezable model is registered in the admin: the walk would check nothing"
    labels = lambda ms: sorted(m._meta.label for m in ms)  # noqa: E731
    assert labels(BUILDERS) == labels(found), (
        f"without a builder: {labels(found - set(BUILDERS))}; "
        f"no longer frozen in the admin: {labels(set(BUILDERS) - found)}"
    )
    rows = {m for m in found if m.frozen_with}
    assert labels(ADD_REFUSALS) == labels(rows), (
        f"rows without an add check: {labels(rows - set(ADD_REFUSALS))}; "
        f"stale: {labels(set(ADD_REFUSALS) - rows)}"
    )
    # A frozen row edited as an inline of another record's page would escape the walk.
    inlined = [
        f"{inline.model._meta.label} in {model._meta.label}"
        for model, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
        if issubclass(inline.model, Freezable)
    ]
    assert inlined == [], f"frozen rows edited as inlines, not walked: {inlined}"


def test_the_admin_shows_every_frozen_row_and_changes_nothing(world, signed_admin, subtests):
    for model in frozen_models():
        with subtests.test(model=model._meta.label):
            walk(signed_admin, frozen_instance(model, world))


def walk(client: Client, obj) -> None:
    """Every admin view of a frozen row: it reads, and every write is refused."""
    frozen = obj.frozen_record.FROZEN_MESSAGE
    before, versions = stored(obj), history_of(obj).count()
    logged = LogEntry.objects.count()
    change, delete = url(obj, "change", obj.pk), url(obj, "delete", obj.pk)

    page = client.get(change)
    assert page.status_code == 200
    assert frozen in text(page)
    assert 'name="_save"' not in text(page)
    assert 'name="_continue"' not in text(page)
    assert delete not in text(page)  # no « Supprimer » link either

    edit = client.post(change, edited_post(obj))
    assert edit.status_code == 403
    assert frozen in text(edit)

    for response in (client.get(delete), client.post(delete, {"post": "yes"})):
        assert response.status_code == 403
        assert frozen in text(response)

    assert client.get(url(obj, "history", obj.pk)).status_code == 200
    first = history_of(obj).earliest()
    revert = url(obj, "simple_history", obj.pk, first.history_id)
    form = client.get(revert)
    assert form.status_code == 200
    assert 'name="_save"' not in text(form)  # no revert button
    reverted = client.post(revert, edited_post(first.instance))
    assert reverted.status_code == 403
    assert REVERT_REFUSED in text(reverted)

    # « Supprimer les objets sélectionnés » from the list, confirmed.
    changelist = url(obj, "changelist")
    offered = 'value="delete_selected"' in text(client.get(changelist))
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "index": 0, "post": "yes"}
    response = client.post(changelist, bulk)
    if offered:  # the action serves the rows that may go: its confirmation refuses this one
        assert response.status_code == 403
    else:  # no action on this list: the post runs nothing and shows the list
        assert response.status_code == 200
        assert response.context["action_form"] is None

    assert stored(obj) == before
    assert history_of(obj).count() == versions
    assert LogEntry.objects.count() == logged


def test_no_row_is_added_to_a_frozen_record(world, signed_admin, subtests):
    for model in frozen_models():
        if model.frozen_with:
            with subtests.test(model=model._meta.label):
                refuse_addition(signed_admin, model, world)


def refuse_addition(client: Client, model, world) -> None:
    if model not in ADD_REFUSALS:
        pytest.fail(f"{model._meta.label} freezes with its record, but ADD_REFUSALS has no row")
    refusal = ADD_REFUSALS[model]
    data = refusal.data(world)
    record_model = model._meta.get_field(model.frozen_with).related_model
    assert record_model._default_manager.get(pk=data[model.frozen_with]).is_frozen
    count = model._default_manager.count()
    add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")

    response = client.post(add, {**data, "_save": "Enregistrer"})

    assert response.status_code == refusal.status
    if refusal.says:
        assert refusal.says in text(response)
    if refusal.error_on:
        assert refusal.error_on in response.context["adminform"].form.errors
    assert model._default_manager.count() == count
