"""Lifecycles (issue 8): one way to freeze a record and its rows, one transition table per
record, one door for the moves a committee causes, and the moment of every change (`at=`)."""

import hashlib
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from committees.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
)
from projects.lifecycle import Frozen
from projects.models import Application, ApplicationProject, Call, Project, Reserve, Stage

from .factories import (
    FundingLineFactory,
    IndicatorFactory,
    OrganisationFactory,
    ProjectFactory,
    make_meeting,
)
from .projects.test_applications import answer_all
from .utils import text

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Moments well in the past, one per step, so that a default "now" would show.
T = [datetime(2026, 3, 12, 9, 30, tzinfo=PARIS) + timedelta(hours=h) for h in range(8)]
MEETING_MESSAGE = Meeting.FROZEN_MESSAGE
APPLICATION_MESSAGE = Application.FROZEN_MESSAGE


def history_dates(obj) -> dict[str, datetime]:
    """Reason → date of the object's history rows (the earliest, for a repeated reason)."""
    return {r.history_change_reason: r.history_date for r in obj.history.all()}


@pytest.fixture
def meeting(territory, users):
    committee = Committee.objects.create(territory=territory, kind="cotech", name="COTECH")
    for name in ("coordinator", "member"):
        CommitteeMember.objects.create(committee=committee, user=users[name], role="member")
    return make_meeting(committee)


@pytest.fixture
def eligible_projects(territory, users):
    projects = []
    for title in ("Friche de la fonderie", "Station hydrogène"):
        project = ProjectFactory(territory=territory, title=title, stage=Stage.ELIGIBLE)
        project.lead_users.add(users["lead"])
        FundingLineFactory(project=project, amount=project.total_cost)
        projects.append(project)
    return projects


@pytest.fixture
def application(territory, users):
    project = ProjectFactory(territory=territory, stage=Stage.APPROVED, total_cost=Decimal("1e6"))
    FundingLineFactory(project=project, amount=Decimal("1e6"))
    IndicatorFactory(project=project, target=Decimal("25"))
    applicant = OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind="epci")
    territory.organisations.add(applicant)
    application = Application.objects.create(
        call=Call.objects.get(title="AMI Rebond industriel"),
        territory=territory,
        applicant=applicant,
        title="Candidature Chaumont-Langres",
    )
    ApplicationProject.objects.create(
        application=application, project=project, requested_amount=Decimal("300000")
    )
    return application


@pytest.fixture
def validated(users, meeting, eligible_projects):
    """A validated COTECH with one project, its attendance and one action item."""
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    ActionItem.objects.create(meeting=meeting, what="Relancer la Région", owner="CM")
    meeting.items.get().record_decision(Decision.FAVORABLE, by=coordinator)
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def submitted(users, application):
    answer_all(application)
    application.mark_ready(by=users["coordinator"])
    application.submit(by=users["coordinator"])
    application.refresh_from_db()
    return application


# --- the moment of each change ------------------------------------------------------------


def test_the_moment_of_a_meeting_reaches_its_timestamps_and_history(
    users,
    meeting,
    eligible_projects,
):
    coordinator, lead = users["coordinator"], users["lead"]
    # The meeting takes place at T[2]: opened that day, validated after its end (DESIGN §5).
    meeting.starts_at = T[2]
    meeting.save()
    project = eligible_projects[0]
    item = meeting.add_project(project, by=coordinator, at=T[0])
    info = meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="AMI", by=coordinator, at=T[0])
    meeting.convene(by=coordinator, at=T[1])
    meeting.hold(by=coordinator, at=T[2])
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    item.record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive="Plan de financement à confirmer",
        reserves=[{"text": "Délibération de l'EPCI", "owner": lead}],
        at=T[3],
    )
    info.record_decision(Decision.NOTED, by=coordinator, at=T[3])
    reserve = Reserve.objects.get(project=project)
    proposed = T[4] - timedelta(minutes=30)
    reserve.propose_lift(by=lead, proof="Délibération du 2 avril", at=proposed)
    reserve.accept_lift(by=coordinator, at=T[4])
    meeting.validate_minutes(by=coordinator, at=T[5])

    meeting.refresh_from_db()
    item.refresh_from_db()
    reserve.refresh_from_db()
    assert (meeting.convened_at, meeting.validated_at) == (T[1], T[5])
    assert item.decided_at == T[3]
    assert (reserve.created_at, reserve.lifted_at) == (T[3], T[4])
    dates = history_dates(meeting)
    assert dates["Convocation envoyée"] == T[1]
    assert dates["Séance tenue"] == T[2]
    assert dates["Compte rendu validé"] == T[5]
    assert history_dates(item)["Inscription à l'ordre du jour"] == T[0]
    assert history_dates(item)["Décision enregistrée"] == T[3]
    assert history_dates(reserve)["Levée de la réserve proposée"] == proposed
    assert history_dates(reserve)["Levée de la réserve acceptée par la coordination"] == T[4]
    moves = [
        (r.stage, r.history_date)
        for r in project.history.order_by("history_date", "history_id")
        if r.history_change_reason
    ]
    assert moves == [(Stage.COTECH, T[0]), (Stage.RESERVES, T[3]), (Stage.READY_COPIL, T[4])]
    # The archived minutes are dated by their validation, not by the day they were rendered,
    # and print the fingerprint of their HTML, which anyone can render again.
    from committees.documents import minutes_html

    from .committees.test_flow import pdf_text

    assert "12 mars 2026" in pdf_text(meeting.minutes_pdf.read())
    assert hashlib.sha256(minutes_html(meeting).encode()).hexdigest() == meeting.content_sha256


def test_the_moment_of_a_cancellation_and_of_agenda_changes(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    first, second = eligible_projects[:2]
    item = meeting.add_project(first, by=coordinator, at=T[0])
    meeting.add_project(second, by=coordinator, at=T[0])
    removed = AgendaItem.history.filter(id=item.pk)
    meeting.remove_item(item, by=coordinator, at=T[1])
    meeting.cancel(by=coordinator, reason="Quorum impossible", at=T[2])
    assert removed.get(history_type="-").history_date == T[1]
    assert history_dates(meeting)["Séance annulée : Quorum impossible"] == T[2]
    assert history_dates(first)[f"Retiré de l'ordre du jour du {meeting.title}"] == T[1]
    assert history_dates(second)[f"Annulation du {meeting.title} : Quorum impossible"] == T[2]


def test_the_moment_of_an_application_reaches_its_timestamps_and_history(users, application):
    coordinator = users["coordinator"]
    answer_all(application)
    application.mark_ready(by=coordinator, at=T[0])
    application.back_to_draft(by=coordinator, at=T[1])
    application.mark_ready(by=coordinator, at=T[2])
    application.submit(by=coordinator, at=T[3])
    application.record_outcome(
        Application.Status.SELECTED, by=coordinator, on=date(2026, 3, 20), at=T[4]
    )
    application.refresh_from_db()
    assert application.submitted_at == T[3]
    assert application.snapshot["taken_at"] == T[3].isoformat()
    assert application.outcome_on == date(2026, 3, 20)
    dates = history_dates(application)
    assert dates["Retour en brouillon"] == T[1]
    assert dates["Dossier déclaré prêt"] == T[0]  # the first of the two
    assert dates["Dossier déposé"] == T[3]
    assert dates["Réponse : Retenu"] == T[4]


def test_the_moment_of_a_project_move_and_of_its_archiving(users, project):
    coordinator = users["coordinator"]
    project.move_to(Stage.ELIGIBLE, by=coordinator, at=T[0])
    project.archive(by=coordinator, at=T[1])
    project.restore(by=coordinator, at=T[2])
    dates = history_dates(project)
    assert dates["Déposé → Recevable"] == T[0]
    assert dates["Projet archivé"] == T[1]
    assert dates["Projet désarchivé"] == T[2]
    # The moment is not left on the object: its next save is dated now.
    project.title = "Nouveau titre"
    project.save()
    assert project.history.get(title="Nouveau titre").history_date > T[-1]


# --- one freeze: every edit path answers 403 with the record's message ----------------------


def assert_frozen(response, message: str) -> None:
    assert response.status_code == 403
    assert message in text(response)


def test_a_validated_meeting_and_its_rows_answer_the_same_everywhere(
    client_for, validated, htmx_headers
):
    pk = validated.pk
    item = validated.items.get()
    posts = [
        (f"/seances/{pk}/compte-rendu/", {"minutes_intro": "réécrit"}),  # the meeting
        (f"/seances/{pk}/statut/", {"action": "cancel", "reason": "Trop tard"}),
        (
            f"/seances/{pk}/ordre-du-jour/",  # an agenda item
            {"action": "update", "item": item.pk, f"edit-{item.pk}-rapporteur": "X"},
        ),
        (f"/seances/{pk}/points/{item.pk}/decision/", {f"item-{item.pk}-decision": "adjourned"}),
        (f"/seances/{pk}/presences/", {}),  # the attendance
        (f"/seances/{pk}/actions/", {"action-what": "Nouvelle", "action-owner": "CM"}),
    ]
    client = client_for("coordinator")
    for url, data in posts:
        for headers in ({}, htmx_headers):
            assert_frozen(client.post(url, data, **headers), MEETING_MESSAGE)

    admin = client_for("admin")
    attendance = validated.attendances.first()
    action = validated.actions.get()
    for path, obj in [
        ("meeting", validated),
        ("agendaitem", item),
        ("attendance", attendance),
        ("actionitem", action),
    ]:
        page = admin.get(f"/admin/committees/{path}/{obj.pk}/change/")
        assert page.status_code == 200 and MEETING_MESSAGE in text(page)
        assert_frozen(admin.post(f"/admin/committees/{path}/{obj.pk}/change/", {}), MEETING_MESSAGE)
        assert_frozen(
            admin.post(f"/admin/committees/{path}/{obj.pk}/delete/", {"post": "yes"}),
            MEETING_MESSAGE,
        )
    # The bulk deletion asks has_delete_permission of each object: Django's own 403 (meetings
    # are never deleted at all: the domain cancels them).
    bulk = {"action": "delete_selected", "_selected_action": [action.pk], "post": "yes"}
    assert admin.post("/admin/committees/actionitem/", bulk).status_code == 403
    assert Meeting.objects.filter(pk=pk).exists() and validated.actions.filter(pk=action.pk)

    # The models answer with the same exception and message.
    for obj, change in [
        (validated, lambda m: setattr(m, "minutes_intro", "réécrit")),
        (item, lambda i: setattr(i, "notes", "réécrit")),
        (attendance, lambda a: setattr(a, "status", "absent")),
        (action, lambda a: setattr(a, "what", "réécrit")),
    ]:
        change(obj)
        for write in (obj.save, obj.delete):
            with pytest.raises(Frozen) as error:
                write()
            assert str(error.value) == MEETING_MESSAGE
            assert isinstance(error.value, ValidationError | PermissionDenied)
    with pytest.raises(Frozen):
        ActionItem.objects.create(meeting=validated, what="Nouvelle", owner="CM")


def test_an_action_of_a_validated_meeting_can_still_be_marked_done(
    client_for, validated, htmx_headers
):
    action = validated.actions.get()
    response = client_for("coordinator").post(
        f"/seances/{validated.pk}/actions/", {"done": action.pk}, **htmx_headers
    )
    assert response.status_code == 200
    action.refresh_from_db()
    assert action.done_on is not None
    # Only that field: the rest of the action is frozen with its meeting.
    action.done_on = None
    action.save(update_fields=["done_on"])
    action.owner = "Quelqu'un d'autre"
    with pytest.raises(Frozen):
        action.save()
    with pytest.raises(Frozen):
        action.save(update_fields=["owner"])


def test_a_submitted_application_and_its_rows_answer_the_same_everywhere(
    client_for, submitted, htmx_headers
):
    pk = submitted.pk
    item = submitted.items.get()
    posts = [
        (f"/candidatures/{pk}/", {"title": "réécrit", "applicant": submitted.applicant_id}),
        (f"/candidatures/{pk}/statut/", {"action": "draft"}),
        (f"/candidatures/{pk}/rubriques/choc/", {"choc-text": "réécrit"}),  # an answer
        (f"/candidatures/{pk}/projets/", {"action": "remove", "item": item.pk}),  # a project
        (
            f"/candidatures/{pk}/projets/",
            {"action": "update", "item": item.pk, f"item-{item.pk}-requested_amount": "1"},
        ),
    ]
    client = client_for("coordinator")
    for url, data in posts:
        for headers in ({}, htmx_headers):
            assert_frozen(client.post(url, data, **headers), APPLICATION_MESSAGE)
    admin = client_for("admin")
    page = admin.get(f"/admin/projects/application/{pk}/change/")
    assert page.status_code == 200 and APPLICATION_MESSAGE in text(page)
    assert_frozen(
        admin.post(f"/admin/projects/application/{pk}/change/", {"title": "x"}),
        APPLICATION_MESSAGE,
    )
    assert_frozen(
        admin.post(f"/admin/projects/application/{pk}/delete/", {"post": "yes"}),
        APPLICATION_MESSAGE,
    )
    answer = submitted.answers.first()
    answer.text = "réécrit"
    item.requested_amount = Decimal("1")
    for write in (answer.save, answer.delete, item.save, item.delete):
        with pytest.raises(Frozen) as error:
            write()
        assert str(error.value) == APPLICATION_MESSAGE
    submitted.title = "réécrit"
    with pytest.raises(Frozen):
        submitted.save()

    # The outcome is still recorded, and only through the table.
    submitted.refresh_from_db()
    submitted.status = Application.Status.DRAFT
    with pytest.raises(Frozen):
        submitted.save()
    submitted.refresh_from_db()
    response = client.post(
        f"/candidatures/{pk}/statut/",
        {"action": "outcome", "status": "not_selected", "on": "2026-11-20", "comment": "Non"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.NOT_SELECTED
    assert submitted.title != "réécrit"


# --- transitions --------------------------------------------------------------------------


def test_the_meeting_table_refuses_a_move_it_does_not_hold(users, meeting):
    coordinator = users["coordinator"]
    assert [s.action for s in meeting.next_steps] == ["convene", "cancel"]
    with pytest.raises(ValidationError) as error:
        meeting.hold(by=coordinator, at=meeting.starts_at)
    assert error.value.messages == ["Le passage de « En préparation » à « Tenue » n'est pas prévu."]
    with pytest.raises(ValidationError):
        meeting.transition_to(Meeting.Status.VALIDATED, by=coordinator, reason="Forcé")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PREPARATION


def test_the_application_table_refuses_a_move_it_does_not_hold(users, application):
    coordinator = users["coordinator"]
    assert [s.action for s in application.next_steps] == ["ready"]
    with pytest.raises(ValidationError) as error:
        application.submit(by=coordinator)
    assert error.value.messages == ["Le passage de « Brouillon » à « Déposé » n'est pas prévu."]
    with pytest.raises(ValidationError):
        application.record_outcome(
            Application.Status.SELECTED, by=coordinator, on=date(2026, 3, 20)
        )
    answer_all(application)
    application.mark_ready(by=coordinator)
    assert [s.action for s in application.next_steps] == ["submit", "draft"]
    application.refresh_from_db()
    assert application.status == Application.Status.READY


def test_pages_offer_the_next_steps_of_the_table(client_for, users, validated, application):
    client = client_for("coordinator")
    page = text(client.get(f"/seances/{validated.pk}/"))
    assert "Valider le compte rendu" not in page and "Annuler la séance" not in page
    assert validated.next_steps == []
    preparation = make_meeting(validated.committee, days=30)
    page = text(client.get(f"/seances/{preparation.pk}/"))
    assert 'value="convene"' in page and "Convoquer les membres" in page
    assert 'value="cancel"' in page and 'value="validate"' not in page
    page = text(client.get(f"/candidatures/{application.pk}/"))
    assert 'value="ready"' in page and 'value="submit"' not in page
    answer_all(application)
    application.mark_ready(by=users["coordinator"])
    page = text(client.get(f"/candidatures/{application.pk}/"))
    assert 'value="submit"' in page and 'value="draft"' in page


# --- moves caused by a committee ------------------------------------------------------------


def test_a_committee_move_records_its_cause(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    first, second = eligible_projects[:2]
    item = meeting.add_project(first, by=coordinator)
    cause = f"agendaitem:{item.pk}"
    assert first.history.first().history_cause == cause
    meeting.remove_item(item, by=coordinator)
    assert first.history.first().history_cause == cause
    meeting.add_project(second, by=coordinator)
    meeting.cancel(by=coordinator, reason="Quorum impossible")
    assert second.history.first().history_cause == f"meeting:{meeting.pk}"
    # A person's move has no cause.
    first.move_to(Stage.DRAFTING, by=coordinator, reason="À compléter")
    assert first.history.first().history_cause == ""


def test_a_decision_and_a_lifted_reserve_record_their_cause(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    project = eligible_projects[0]
    item = meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    item.record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive="Motif confidentiel",
        reserves=[{"text": "Délibération de l'EPCI", "owner": users["lead"]}],
    )
    assert project.history.first().history_cause == f"agendaitem:{item.pk}"
    reserve = Reserve.objects.get(project=project)
    # The motive stays out of the reserve until the minutes are validated.
    assert reserve.origin == f"{meeting.title} — Avis favorable sous réserves"
    assert "confidentiel" not in reserve.history.first().history_change_reason
    reserve.propose_lift(by=users["lead"], proof="Délibération reçue")
    assert Project.objects.get(pk=project.pk).stage == Stage.RESERVES
    reserve.accept_lift(by=coordinator)
    assert Project.objects.get(pk=project.pk).stage == Stage.READY_COPIL
    assert project.history.first().history_cause == f"reserve:{reserve.pk}"


@pytest.mark.parametrize("name", ["coordinator", "lead", "admin"])
def test_move_to_never_makes_a_committee_move(users, project, name):
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"])
    with pytest.raises(PermissionDenied) as error:
        project.move_to(Stage.COTECH, by=users[name], reason="Inscrit d'office")
    assert str(error.value) == "Ce changement d'étape découle d'une décision de comité."
    assert Project.objects.get(pk=project.pk).stage == Stage.ELIGIBLE


# --- archived PDFs --------------------------------------------------------------------------


def test_an_altered_archive_is_a_500_that_says_so(client_for, validated, caplog):
    path = validated.minutes_pdf.path
    with open(path, "ab") as handle:
        handle.write(b"%% altered")
    with caplog.at_level(logging.ERROR, logger="tdi.pdf"):
        response = client_for("member").get(f"/seances/{validated.pk}/compte-rendu.pdf")
    assert response.status_code == 500
    assert "ne correspond plus à son empreinte SHA-256" in text(response)
    assert any("Archive altérée" in record.getMessage() for record in caplog.records)


def test_archived_pdfs_are_served_with_their_name_and_fingerprint(client_for, validated):
    response = client_for("member").get(f"/seances/{validated.pk}/compte-rendu.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="compte-rendu-cotech-1.pdf"'
    assert response["X-Content-SHA256"] == validated.minutes_sha256
