"""The audit history is a promise: every business model is tracked, and every write a page makes
leaves one history row per changed object, signed by the person who made it.

The guard is behavioural: each write view is driven through the test client as the user allowed
to make it, and the database is compared before and after the request. A write path that skips
the history (QuerySet.update, bulk_create, save_without_historical_record, raw SQL) changes rows
without adding history rows, and fails here whatever it is called and wherever it lives.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max, Model
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from committees.models import AgendaItem, Attendance, Committee, CommitteeMember, Meeting
from projects.models import (
    Application,
    ApplicationProject,
    Call,
    Document,
    Milestone,
    Project,
    Reserve,
    SectionAnswer,
    Stage,
    TrackedQuerySet,
)

from .factories import (
    FundingLineFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    in_directory,
)
from .projects.test_edit import edit_data

APPS = ["projects", "committees"]
# Technical records, not business objects: a report job is a cache of a generated file; a
# dispatch is the send log of a meeting's e-mails, a log itself; a project import holds an
# uploaded table between its steps (what it changes is in the history of those records, with
# the import as their cause).
TECHNICAL = {"ReportJob", "Dispatch", "ProjectImport"}


def test_every_business_model_has_history():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model.__name__ in TECHNICAL:
                continue
            assert hasattr(model, "history"), f"{model.__name__} n'a pas d'historique"


# --- writes that the history would miss are refused -----------------------------------------


def test_every_tracked_model_refuses_queryset_update():
    for model in tracked_models():
        assert isinstance(model._default_manager.all(), TrackedQuerySet), model.__name__


@pytest.mark.django_db
def test_update_is_refused_on_managers_and_related_managers(project):
    Reserve.objects.create(project=project, text="Fournir le permis de construire")
    with pytest.raises(TypeError, match=r"use save\(\) so that the change is kept in the history"):
        project.reserves.update(text="x")
    with pytest.raises(TypeError):
        Project.objects.filter(pk=project.pk).update(title="x")
    with pytest.raises(TypeError):
        Meeting.objects.update(place="x")
    assert project.reserves.get().text == "Fournir le permis de construire"


@pytest.mark.django_db
def test_history_aware_bulk_helpers_still_work(project, users):
    coordinator = users["coordinator"]
    milestones = bulk_create_with_history(
        [
            Milestone(project=project, title=f"Jalon {n}", due_on="2030-01-0" + str(n))
            for n in (1, 2)
        ],
        Milestone,
        default_user=coordinator,
    )
    for milestone in milestones:
        milestone.title += " (révisé)"
    bulk_update_with_history(milestones, Milestone, ["title"], default_user=coordinator)
    assert sorted(project.milestones.values_list("title", flat=True)) == [
        "Jalon 1 (révisé)",
        "Jalon 2 (révisé)",
    ]
    records = Milestone.history.filter(project_id=project.pk)
    assert [r.history_type for r in records.order_by("history_id")] == ["+", "+", "~", "~"]
    assert {r.history_user for r in records} == {coordinator}


# --- what the database holds, before and after a request ------------------------------------


def tracked_models() -> list[type[Model]]:
    return [
        model
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


def tracked_m2m(model: type[Model]) -> list:
    """The many-to-many fields whose state the model's history rows record."""
    return model.history.model._history_m2m_fields


def related_ids(m2m_field, rows) -> dict[int, frozenset[int]]:
    """Object id → ids on the other side, from the rows of a through table (live or historical)."""
    ids = defaultdict(set)
    for source, target in rows.values_list(
        m2m_field.m2m_field_name(), m2m_field.m2m_reverse_field_name()
    ):
        ids[source].add(target)
    return {source: frozenset(targets) for source, targets in ids.items()}


@dataclass
class Snapshot:
    rows: dict[tuple[str, int], dict]  # (model name, pk) → column values and tracked relations
    last_history_id: dict[str, int]


def snapshot() -> Snapshot:
    rows, last = {}, {}
    for model in tracked_models():
        name, pk = model.__name__, model._meta.pk.attname
        relations = {
            f.name: related_ids(f, f.remote_field.through.objects.all()) for f in tracked_m2m(model)
        }
        columns = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values(*columns):
            row.update({f: ids.get(row[pk], frozenset()) for f, ids in relations.items()})
            rows[name, row[pk]] = row
        last[name] = model.history.aggregate(last=Max("history_id"))["last"] or 0
    return Snapshot(rows, last)


def recorded_state(model: type[Model], record) -> dict:
    """What a history row says the object was: its tracked columns and relations."""
    state = {f.attname: getattr(record, f.attname) for f in model.history.model.tracked_fields}
    for f in tracked_m2m(model):
        rows = HistoricalRecords.m2m_models[f].objects.filter(history=record)
        state[f.name] = related_ids(f, rows).get(
            getattr(record, model._meta.pk.attname), frozenset()
        )
    return state


def audit(
    before: Snapshot, after: Snapshot, actor, rows_per_change: dict[str, int]
) -> tuple[set[str], list[str]]:
    """The models whose rows the request changed, and what is wrong with their history."""
    models = {model.__name__: model for model in tracked_models()}
    new_records = defaultdict(list)
    problems = []
    for name, model in models.items():
        pk = model._meta.pk.attname
        for record in model.history.filter(history_id__gt=before.last_history_id[name]).order_by(
            "history_id"
        ):
            new_records[name, getattr(record, pk)].append(record)
            if record.history_user_id != actor.pk:
                problems.append(
                    f"{name} #{getattr(record, pk)}: ligne d'historique signée "
                    f"{record.history_user_id!r} au lieu de {actor.pk}"
                )
    changed = {
        key
        for key in before.rows.keys() | after.rows.keys()
        if before.rows.get(key) != after.rows.get(key)
    }
    for key in sorted(changed | new_records.keys()):
        name, pk = key
        model, records = models[name], new_records.get(key, [])
        if key not in changed:
            problems.append(f"{name} #{pk}: {len(records)} ligne(s) d'historique sans changement")
            continue
        expected = rows_per_change.get(name, 1)
        if len(records) != expected:
            problems.append(
                f"{name} #{pk}: {len(records)} ligne(s) d'historique, {expected} attendue(s)"
            )
        if not records:
            continue
        last = records[-1]
        if key not in after.rows:
            if last.history_type != "-":
                problems.append(f"{name} #{pk}: supprimé sans ligne de suppression")
            continue
        state = recorded_state(model, last)
        if different := [f for f, value in state.items() if after.rows[key][f] != value]:
            problems.append(f"{name} #{pk}: l'historique diffère de la base pour {different}")
        if name == "Project":
            stage = before.rows.get(key, {}).get("stage")
            for record in records:
                if record.stage != stage and not record.history_change_reason:
                    problems.append(f"Project #{pk}: passage à « {record.stage} » sans motif")
                stage = record.stage
    return {name for name, _pk in changed}, problems


# --- the records the write views act on --------------------------------------------------


class World:
    """The territory of tests/conftest.py with its users and its submitted `project`, and
    builders for what the other write views act on (factories, and the domain's methods for
    the steps of a workflow)."""

    def __init__(self, territory, users, project):
        self.territory, self.users, self.project = territory, users, project
        self.coordinator = users["coordinator"]
        self.company = users["lead"].memberships.get().organisation  # in the directory

    def new_project(self, stage: str, title: str = "Station hydrogène", *, rows: bool = True):
        project = ProjectFactory(territory=self.territory, stage=stage, title=title)
        project.lead_users.add(self.users["lead"])
        if rows:
            FundingLineFactory(project=project, amount=project.total_cost)
            IndicatorFactory(project=project)
            MilestoneFactory(project=project)
        return project

    def committee(self, kind: str = Committee.Kind.COTECH) -> Committee:
        committee = Committee.objects.create(
            territory=self.territory, kind=kind, name=Committee.Kind(kind).label, quorum=2
        )
        for name, role in [("coordinator", "chair"), ("member", "member"), ("partner", "member")]:
            CommitteeMember.objects.create(committee=committee, user=self.users[name], role=role)
        return committee

    def meeting(
        self, status: str = Meeting.Status.PREPARATION, *, free_items: int = 0, days: int = 10
    ) -> Meeting:
        """A COTECH meeting in `days` days examining one project, then `free_items` information
        items."""
        meeting = Meeting.objects.create(
            committee=self.committee(),
            starts_at=timezone.now() + timedelta(days=days),
            place="Hôtel de l'agglomération, Chaumont",
        )
        by = self.coordinator
        meeting.add_project(self.new_project(Stage.ELIGIBLE, "Friche de la fonderie"), by=by)
        for number in range(1, free_items + 1):
            meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title=f"Information {number}", by=by)
        if status in (Meeting.Status.CONVENED, Meeting.Status.HELD):
            meeting.convene(by=by)
        if status == Meeting.Status.HELD:
            meeting.hold(by=by, at=meeting.starts_at)
        return meeting

    def first_item(self, meeting: Meeting) -> AgendaItem:
        return meeting.items.order_by("order").first()

    def application(self, status: str = Application.Status.DRAFT) -> Application:
        """A complete application: every section written, one approved and balanced project."""
        call = Call.objects.get(title="AMI Rebond industriel")
        applicant = OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind="epci")
        in_directory(self.territory, applicant)
        application = Application.objects.create(
            call=call, territory=self.territory, applicant=applicant, title="Candidature TI"
        )
        project = ProjectFactory(
            territory=self.territory, stage=Stage.APPROVED, total_cost=Decimal("1000000")
        )
        FundingLineFactory(project=project, amount=Decimal("1000000"))
        IndicatorFactory(project=project, target=Decimal("25"))
        ApplicationProject.objects.create(
            application=application, project=project, requested_amount=Decimal("300000")
        )
        for section in call.sections.all():
            SectionAnswer.objects.create(application=application, section=section, text="Texte.")
        if status != Application.Status.DRAFT:
            application.mark_ready(by=self.coordinator)
        if status == Application.Status.SUBMITTED:
            application.submit(by=self.coordinator)
        return application


def formset(prefix: str, *rows: dict) -> dict:
    """The POST data of new rows of one of the project form's tables."""
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def text_file(name: str = "note.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"Compte rendu de visite du site.\n", "text/plain")


# --- every write view, as the user allowed to make it ------------------------------------


@dataclass
class Case:
    name: str
    actor: str
    touches: frozenset[str]  # the models whose rows the request changes
    build: Callable[[World], tuple[str, dict]]  # sets up, then gives the URL and the POST data
    rows_per_change: dict[str, int] = field(default_factory=dict)  # when not one per object


CASES: list[Case] = []


def write_view(actor: str, *touches: str, rows_per_change: dict[str, int] | None = None):
    def register(build):
        CASES.append(Case(build.__name__, actor, frozenset(touches), build, rows_per_change or {}))
        return build

    return register


# projects


@write_view("lead", "Project", "FundingLine", "Indicator", "Milestone")
def project_create(w):
    return "/projets/nouveau/", {
        "title": "Halle de formation aux métiers de la forge",
        "summary": "Former vingt apprentis par an.",
        "description": "Une halle équipée de trois forges.",
        "axis": "skills",
        "lead_organisation": w.company.pk,
        "planned_start": "2026-01-15",
        "total_cost": "250 000",
        "progress": "0",
        **formset(
            "financement",
            {
                "funder": w.company.pk,
                "instrument": "grant",
                "amount": "250000",
                "status": "planned",
            },
        ),
        **formset("indicateurs", {"kind": "jobs_created", "target": "12"}),
        **formset("jalons", {"title": "Permis de construire", "due_on": "2026-06-30"}),
    }


@write_view("lead", "Project", "FundingLine", "Indicator", "Milestone")
def project_edit_with_rows(w):
    project = w.new_project(Stage.DRAFTING)
    return f"/projets/{project.pk}/modifier/", edit_data(
        project,
        title="Station hydrogène de Chaumont",
        partners=[w.company.pk],
        **{
            "financement-0-amount": "99 000",
            "indicateurs-0-DELETE": "on",
            "jalons-TOTAL_FORMS": 2,
            "jalons-1-title": "Mise en service",
            "jalons-1-due_on": "2027-03-01",
        },
    )


@write_view("lead", "Project", "Indicator", "Milestone")
def project_edit_progress(w):
    project = w.new_project(Stage.FINANCING)
    today = timezone.localdate().isoformat()
    return f"/projets/{project.pk}/modifier/", edit_data(
        project,
        progress=40,
        **{
            "indicateurs-0-achieved": "5",
            "indicateurs-0-measured_on": today,
            "jalons-0-done_on": today,
        },
    )


@write_view("coordinator", "Project")
def project_move(w):
    return f"/projets/{w.project.pk}/etape/", {"stage": Stage.ELIGIBLE, "reason": ""}


@write_view("lead", "Project")
def project_move_with_motive(w):
    return f"/projets/{w.project.pk}/etape/", {
        "stage": Stage.WITHDRAWN,
        "reason": "L'entreprise reporte son investissement.",
    }


@write_view("coordinator", "Project")
def project_archive(w):
    return f"/projets/{w.project.pk}/archiver/", {"reason": "Doublon"}


@write_view("coordinator", "Project")
def project_restore(w):
    w.project.archive(by=w.coordinator)
    return f"/projets/{w.project.pk}/archiver/", {}


@write_view("lead", "Document")
def document_upload(w):
    project = w.new_project(Stage.DRAFTING, rows=False)
    return f"/projets/{project.pk}/documents/", {
        "title": "Note de visite",
        "kind": "study",
        "file": text_file(),
    }


@write_view("coordinator", "Document")
def document_replace(w):
    document = Document(
        project=w.project,
        title="Note de visite",
        file=text_file(),
        original_name="note.txt",
        content_type="text/plain",
        size=32,
        uploaded_by=w.users["lead"],
    )
    document.save()
    return f"/projets/{w.project.pk}/documents/{document.pk}/remplacer/", {
        "file": text_file("note-v2.txt")
    }


@write_view("lead", "Reserve")
def reserve_lift_proposal(w):
    project = w.new_project(Stage.RESERVES)
    reserve = Reserve.objects.create(
        project=project, text="Fournir le permis", owner=w.users["lead"]
    )
    return f"/projets/{project.pk}/reserves/{reserve.pk}/lever/", {
        f"reserve-{reserve.pk}-proof": "Permis accordé le 3 mars."
    }


@write_view("coordinator", "Reserve", "Project")
def reserve_lift_acceptance(w):
    project = w.new_project(Stage.RESERVES)
    reserve = Reserve.objects.create(
        project=project, text="Fournir le permis", owner=w.users["lead"]
    )
    reserve.propose_lift(by=w.users["lead"], proof="Permis accordé le 3 mars.")
    return f"/projets/{project.pk}/reserves/{reserve.pk}/decision/", {
        f"reserve-{reserve.pk}-decision": "accept"
    }


@write_view("coordinator", "Reserve")
def reserve_lift_refusal(w):
    project = w.new_project(Stage.RESERVES)
    reserve = Reserve.objects.create(
        project=project, text="Fournir le permis", owner=w.users["lead"]
    )
    reserve.propose_lift(by=w.users["lead"], proof="Permis demandé.")
    return f"/projets/{project.pk}/reserves/{reserve.pk}/decision/", {
        f"reserve-{reserve.pk}-decision": "refuse",
        f"reserve-{reserve.pk}-motive": "Le permis n'est pas encore accordé.",
    }


# committees


@write_view("coordinator", "Committee")
def committee_create(w):
    return "/comites/", {"kind": "other", "name": "Club des industriels", "quorum": ""}


@write_view("coordinator", "CommitteeMember")
def member_add(w):
    committee = w.committee()
    return f"/comites/{committee.pk}/", {
        "membre-user": w.users["other_lead"].pk,
        "membre-role": "guest",
        "membre-is_active": "on",
    }


@write_view("coordinator", "CommitteeMember")
def member_edit(w):
    committee = w.committee()
    member = committee.members.get(user=w.users["partner"])
    return f"/comites/{committee.pk}/membres/{member.pk}/", {
        "user": member.user_id,
        "role": "substitute",
        "is_active": "on",
    }


@write_view("coordinator", "CommitteeMember")
def member_remove(w):
    committee = w.committee()
    member = committee.members.get(user=w.users["partner"])
    return f"/comites/{committee.pk}/membres/{member.pk}/retirer/", {}


@write_view("coordinator", "Meeting")
def meeting_create(w):
    committee = w.committee()
    return f"/comites/{committee.pk}/", {
        "seance-starts_at": "2030-03-12T09:30",
        "seance-place": "Mairie de Langres",
    }


@write_view("coordinator", "AgendaItem", "Project")
def agenda_add_project(w):
    meeting = w.meeting()
    project = w.new_project(Stage.ELIGIBLE)
    return f"/seances/{meeting.pk}/ordre-du-jour/", {
        "action": "add_project",
        "projet-project": project.pk,
        "projet-rapporteur": "M. Girard",
        "projet-duration": "20",
    }


# After the convocation, the change is also kept on the meeting until members are told.
@write_view("coordinator", "AgendaItem", "Meeting")
def agenda_add_item(w):
    meeting = w.meeting(Meeting.Status.CONVENED)
    return f"/seances/{meeting.pk}/ordre-du-jour/", {
        "action": "add_item",
        "point-kind": "information",
        "point-title": "Point sur le foncier",
        "point-duration": "10",
    }


@write_view("coordinator", "AgendaItem")
def agenda_update(w):
    meeting = w.meeting()
    item = w.first_item(meeting)
    return f"/seances/{meeting.pk}/ordre-du-jour/", {
        "action": "update",
        "item": item.pk,
        f"edit-{item.pk}-rapporteur": "Mme Martin",
        f"edit-{item.pk}-duration": "25",
    }


@write_view("coordinator", "AgendaItem")
def agenda_down(w):
    meeting = w.meeting(free_items=1)
    return f"/seances/{meeting.pk}/ordre-du-jour/", {
        "action": "down",
        "item": w.first_item(meeting).pk,
    }


@write_view("coordinator", "AgendaItem")
def agenda_up(w):
    meeting = w.meeting(free_items=1)
    last = meeting.items.order_by("order").last()
    return f"/seances/{meeting.pk}/ordre-du-jour/", {"action": "up", "item": last.pk}


@write_view("coordinator", "AgendaItem", "Project")
def agenda_remove(w):
    meeting = w.meeting(free_items=1)
    return f"/seances/{meeting.pk}/ordre-du-jour/", {
        "action": "remove",
        "item": w.first_item(meeting).pk,
    }


@write_view("coordinator", "Meeting", "Invitation")
def meeting_convene(w):
    return f"/seances/{w.meeting().pk}/statut/", {"action": "convene"}


@write_view("coordinator", "Meeting")
def meeting_hold(w):
    # Ten days ahead: the meeting is opened early, with the motive of the advance.
    meeting = w.meeting(Meeting.Status.CONVENED)
    return f"/seances/{meeting.pk}/statut/", {"action": "hold", "motive": "Date avancée"}


@write_view("coordinator", "Meeting", "Project")
def meeting_cancel(w):
    return f"/seances/{w.meeting().pk}/statut/", {"action": "cancel", "reason": "Quorum impossible"}


@write_view("coordinator", "Attendance")
def meeting_attendance(w):
    meeting = w.meeting(Meeting.Status.HELD)
    members = meeting.committee.members.filter(is_active=True)
    return f"/seances/{meeting.pk}/presences/", {
        **{f"presence-{m.pk}-status": "present" for m in members},
        **{f"presence-{m.pk}-represented_by": "" for m in members},
    }


@write_view("coordinator", "AgendaItem", "Project", "Reserve")
def item_decision_with_reserves(w):
    meeting = w.meeting(Meeting.Status.HELD)
    item = w.first_item(meeting)
    return f"/seances/{meeting.pk}/points/{item.pk}/decision/", {
        f"item-{item.pk}-decision": "favorable_reserves",
        f"item-{item.pk}-motive": "Plan de financement à consolider.",
        f"reserves-{item.pk}-TOTAL_FORMS": 3,
        f"reserves-{item.pk}-INITIAL_FORMS": 0,
        f"reserves-{item.pk}-0-text": "Produire la lettre d'engagement de la Région.",
        f"reserves-{item.pk}-0-owner": w.users["lead"].pk,
        f"reserves-{item.pk}-1-text": "Actualiser les devis.",
    }


# An amendment first takes the project back to its examination stage: two moves.
@write_view("coordinator", "AgendaItem", "Project", rows_per_change={"Project": 2})
def item_decision_amended(w):
    meeting = w.meeting(Meeting.Status.HELD)
    item = w.first_item(meeting)
    item.record_decision("favorable", by=w.coordinator)
    return f"/seances/{meeting.pk}/points/{item.pk}/decision/", {
        f"item-{item.pk}-decision": "unfavorable",
        f"item-{item.pk}-motive": "Le projet ne relève pas du programme.",
        f"reserves-{item.pk}-TOTAL_FORMS": 0,
        f"reserves-{item.pk}-INITIAL_FORMS": 0,
    }


@write_view("coordinator", "Meeting")
def meeting_minutes_text(w):
    meeting = w.meeting(Meeting.Status.HELD)
    return f"/seances/{meeting.pk}/compte-rendu/", {
        "minutes_intro": "La séance est ouverte à 9 h 30.",
        "minutes_conclusion": "La séance est levée à 11 h.",
    }


@write_view("coordinator", "ActionItem")
def action_add(w):
    meeting = w.meeting(Meeting.Status.HELD)
    return f"/seances/{meeting.pk}/actions/", {
        "action-what": "Relancer la Région",
        "action-owner": "Coordination",
        "action-due_on": "2030-04-01",
    }


@write_view("coordinator", "ActionItem")
def action_done(w):
    meeting = w.meeting(Meeting.Status.HELD)
    action = meeting.actions.create(what="Relancer la Région", owner="Coordination")
    return f"/seances/{meeting.pk}/actions/", {"done": action.pk}


# The validation, then its PDF archived (at once without a worker), both signed by the validator.
@write_view("coordinator", "Meeting", "Attendance", rows_per_change={"Meeting": 2})
def meeting_validate(w):
    meeting = w.meeting(Meeting.Status.HELD, days=-1)  # over: its minutes may be validated
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    w.first_item(meeting).record_decision("favorable", by=w.coordinator)
    return f"/seances/{meeting.pk}/statut/", {"action": "validate"}


# applications


@write_view("coordinator", "Application")
def application_create(w):
    return "/candidatures/", {
        "call": Call.objects.get(title="AMI Rebond industriel").pk,
        "applicant": w.company.pk,
        "title": "Candidature des Forges",
        "contact_name": "Claire Dupont",
    }


@write_view("coordinator", "Application")
def application_edit(w):
    application = w.application()
    return f"/candidatures/{application.pk}/", {
        "applicant": application.applicant_id,
        "title": "Candidature Chaumont-Langres 2026",
        "contact_email": "ti@chaumont.example.fr",
    }


@write_view("coordinator", "SectionAnswer")
def application_section(w):
    application = w.application()
    return f"/candidatures/{application.pk}/rubriques/choc/", {
        "choc-text": "Fermeture de deux sous-traitants."
    }


@write_view("coordinator", "ApplicationProject")
def application_include_project(w):
    application = w.application()
    return f"/candidatures/{application.pk}/projets/", {
        "action": "include",
        "inclure-project": w.project.pk,
        "inclure-requested_amount": "50 000",
        "inclure-rank": "2",
    }


@write_view("coordinator", "ApplicationProject")
def application_update_project(w):
    application = w.application()
    item = application.items.get()
    return f"/candidatures/{application.pk}/projets/", {
        "action": "update",
        "item": item.pk,
        f"item-{item.pk}-requested_amount": "250 000",
        f"item-{item.pk}-rank": "1",
    }


@write_view("coordinator", "ApplicationProject")
def application_remove_project(w):
    application = w.application()
    return f"/candidatures/{application.pk}/projets/", {
        "action": "remove",
        "item": application.items.get().pk,
    }


@write_view("coordinator", "Application")
def application_ready(w):
    return f"/candidatures/{w.application().pk}/statut/", {"action": "ready"}


@write_view("coordinator", "Application")
def application_back_to_draft(w):
    application = w.application(Application.Status.READY)
    return f"/candidatures/{application.pk}/statut/", {"action": "draft"}


@write_view("coordinator", "Application", rows_per_change={"Application": 2})  # and its PDF
def application_submit(w):
    application = w.application(Application.Status.READY)
    return f"/candidatures/{application.pk}/statut/", {"action": "submit"}


@write_view("coordinator", "Application")
def application_outcome(w):
    application = w.application(Application.Status.SUBMITTED)
    return f"/candidatures/{application.pk}/statut/", {
        "action": "outcome",
        "status": "selected",
        "on": "2026-05-04",
        "comment": "Retenu pour 250 000 €.",
    }


@pytest.fixture
def world(territory, users, project):
    return World(territory, users, project)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_write_view_leaves_one_signed_history_row_per_change(case, world, client_for, users):
    url, data = case.build(world)
    client = client_for(case.actor)
    before = snapshot()
    response = client.post(url, data)
    after = snapshot()
    assert response.status_code == 302, response.status_code  # done, then back to the page
    touched, problems = audit(before, after, users[case.actor], case.rows_per_change)
    assert problems == []
    assert touched == case.touches
