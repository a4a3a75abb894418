"""The whole committee flow, as the coordinator runs it."""

import hashlib

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from committees.models import AgendaItem, Attendance, Decision, Meeting
from projects.models import Project, Reserve, Stage

from ..factories import make_meeting
from ..utils import pdf_text

pytestmark = pytest.mark.django_db


def attend_all(meeting, by):
    for member in meeting.committee.members.all():
        attendance = Attendance(meeting=meeting, member=member, status=Attendance.Status.PRESENT)
        attendance._history_user = by
        attendance.save()


def test_cotech_then_copil_flow(
    client_for, users, cotech, copil, meeting, eligible_projects, django_capture_on_commit_callbacks
):
    coordinator = users["coordinator"]
    favorable, reserved, adjourned = eligible_projects

    # Build the agenda: each project moves to "Examen COTECH" at once. The meeting has no
    # number before its convocation.
    assert meeting.number is None and meeting.title.endswith("(en préparation)")
    for project in eligible_projects:
        meeting.add_project(project, by=coordinator, rapporteur="Claire Martin")
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point sur l'AMI", by=coordinator)
    for project in eligible_projects:
        project.refresh_from_db()
        assert project.stage == Stage.COTECH
        assert project.history.first().history_change_reason == (
            f"Inscrit à l'ordre du jour du {meeting.title}"
        )

    # Convene: one e-mail per member, and one to the lead of the three projects, with the
    # agenda PDF and the invitation, sent after commit.
    with django_capture_on_commit_callbacks(execute=True):
        sent = meeting.convene(by=coordinator)
    assert sent == len(mail.outbox) == 5
    lead_mail = next(m for m in mail.outbox if m.to == [users["lead"].email.lower()])
    assert "porteur" in lead_mail.body
    message = next(m for m in mail.outbox if m is not lead_mail)
    assert message.subject.startswith("Convocation — COTECH n° 1")
    names = sorted(name for name, _content, _type in message.attachments)
    assert names[0].startswith("invitation-") and names[1].startswith("ordre-du-jour-")
    agenda_pdf = next(c for n, c, _t in message.attachments if n.endswith(".pdf"))
    assert "Friche de la fonderie" in pdf_text(agenda_pdf)
    ics = next(c for n, c, _t in message.attachments if n.endswith(".ics"))
    assert b"BEGIN:VEVENT" in (ics if isinstance(ics, bytes) else ics.encode())

    # An agenda change after the convocation is recorded, and told on request as one summary.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting.add_item(kind=AgendaItem.Kind.OTHER, title="Calendrier 2027", by=coordinator)
    assert mail.outbox == []
    assert meeting.pending_changes == ["ajout du point « Calendrier 2027 »"]
    with django_capture_on_commit_callbacks(execute=True):
        meeting.notify_agenda_changes(by=coordinator)
    assert len(mail.outbox) == 5
    assert mail.outbox[0].subject.startswith("Ordre du jour modifié")
    assert "Calendrier 2027" in mail.outbox[0].body

    meeting.hold(by=coordinator, at=meeting.starts_at)
    attend_all(meeting, coordinator)
    items = {i.project_id: i for i in meeting.items.filter(project__isnull=False)}
    items[favorable.pk].record_decision(Decision.FAVORABLE, by=coordinator)
    items[reserved.pk].record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive="Sous réserve de la délibération de l'EPCI",
        reserves=[{"text": "Délibération de l'EPCI", "owner": users["lead"], "due_on": None}],
    )
    items[adjourned.pk].record_decision(
        Decision.ADJOURNED, by=coordinator, motive="Plan de financement à consolider"
    )
    for project, stage in [
        (favorable, Stage.READY_COPIL),
        (reserved, Stage.RESERVES),
        (adjourned, Stage.DRAFTING),
    ]:
        project.refresh_from_db()
        assert project.stage == stage
        assert "COTECH n° 1" in project.history.first().history_change_reason

    # The lead proposes the lift with a proof; once the coordination accepts it, the project
    # moves on by itself.
    reserve = Reserve.objects.get(project=reserved)
    reserve.propose_lift(
        by=users["lead"], proof="Délibération du conseil communautaire du 2 décembre"
    )
    reserved.refresh_from_db()
    assert reserved.stage == Stage.RESERVES
    reserve.accept_lift(by=coordinator)
    reserved.refresh_from_db()
    assert reserved.stage == Stage.READY_COPIL
    assert reserved.history.first().history_change_reason.startswith("Toutes les réserves")

    # Every item gets an outcome: the information item and the point divers are « pris acte ».
    for item in meeting.items.filter(project__isnull=True):
        item.record_decision(Decision.NOTED, by=coordinator)
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.VALIDATED
    stored = meeting.minutes_pdf.read()
    assert hashlib.sha256(stored).hexdigest() == meeting.minutes_sha256

    # COPIL: both favourable projects are validated.
    copil_meeting = make_meeting(copil, days=30)
    for project in (favorable, reserved):
        copil_meeting.add_project(project, by=coordinator)
    copil_meeting.convene(by=coordinator)
    copil_meeting.hold(by=coordinator, at=copil_meeting.starts_at)
    attend_all(copil_meeting, coordinator)
    for item in copil_meeting.items.all():
        item.record_decision(Decision.VALIDATED, by=coordinator)
    copil_meeting.validate_minutes(by=coordinator, at=copil_meeting.ends_at)
    for project in (favorable, reserved):
        project.refresh_from_db()
        assert project.stage == Stage.APPROVED
        assert "COPIL n° 1" in project.history.first().history_change_reason

    # One history row per move, each naming the meeting.
    moves = [
        r.history_change_reason
        for r in favorable.history.order_by("history_date", "history_id")
        if r.history_change_reason
        and ("COTECH" in r.history_change_reason or "COPIL" in r.history_change_reason)
    ]
    assert len(moves) == 4  # on the COTECH agenda, favourable, on the COPIL agenda, validated

    # The validated minutes download twice byte-identical, with the hash.
    client = client_for("member")
    first = client.get(f"/seances/{meeting.pk}/compte-rendu.pdf")
    second = client.get(f"/seances/{meeting.pk}/compte-rendu.pdf")
    assert first.status_code == 200
    assert first.content == second.content == stored
    text = pdf_text(first.content)
    assert meeting.content_sha256[:16] in text.replace("\n", "").replace(" ", "")
    assert "PROJET" not in text
    assert "Délibération de l'EPCI" in text


def test_amending_a_decision_re_moves_the_project(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    project = eligible_projects[0]
    item = meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    item.record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive="Lettre d'engagement de la Région",
        reserves=[{"text": "Lettre d'engagement de la Région"}],
    )
    project.refresh_from_db()
    assert project.stage == Stage.RESERVES
    assert project.reserves.count() == 1

    item.record_decision(Decision.UNFAVORABLE, by=coordinator, motive="Projet hors du périmètre")
    project.refresh_from_db()
    assert project.stage == Stage.REJECTED
    assert project.reserves.count() == 0
    reasons = [
        r.history_change_reason
        for r in project.history.order_by("-history_date", "-history_id")[:2]
    ]
    assert reasons[0].endswith("Avis défavorable : Projet hors du périmètre")
    assert reasons[1].startswith("Amendement de la décision")
    assert item.history.first().history_change_reason.startswith("Décision amendée")


def test_decision_rules(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    item = meeting.add_project(eligible_projects[0], by=coordinator)
    with pytest.raises(ValidationError):  # not held yet
        item.record_decision(Decision.FAVORABLE, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    with pytest.raises(ValidationError):  # a COPIL decision in a COTECH
        item.record_decision(Decision.VALIDATED, by=coordinator)
    with pytest.raises(ValidationError):  # motive required
        item.record_decision(Decision.UNFAVORABLE, by=coordinator)
    with pytest.raises(ValidationError):  # reserves required
        item.record_decision(Decision.FAVORABLE_RESERVES, by=coordinator, motive="x")
    with pytest.raises(PermissionDenied):
        item.record_decision(Decision.FAVORABLE, by=users["member"])
    assert Project.objects.get(pk=eligible_projects[0].pk).stage == Stage.COTECH


def test_agenda_rules(users, meeting, eligible_projects, copil, territory, other_territory):
    from ..factories import ProjectFactory

    coordinator = users["coordinator"]
    project = eligible_projects[0]
    meeting.add_project(project, by=coordinator)
    # A project sits on at most one open agenda.
    other = make_meeting(meeting.committee, days=20)
    with pytest.raises(ValidationError):
        other.add_project(project, by=coordinator)
    # A COPIL only takes projects with a favourable COTECH opinion.
    with pytest.raises(ValidationError):
        make_meeting(copil).add_project(eligible_projects[1], by=coordinator)
    # Another territory's project never.
    foreign = ProjectFactory(territory=other_territory, stage=Stage.ELIGIBLE)
    with pytest.raises(ValidationError):
        meeting.add_project(foreign, by=coordinator)
    with pytest.raises(PermissionDenied):
        meeting.add_project(eligible_projects[1], by=users["member"])


def test_removing_an_item_or_cancelling_moves_projects_back(
    users, meeting, eligible_projects, django_capture_on_commit_callbacks
):
    coordinator = users["coordinator"]
    a, b, _c = eligible_projects
    item = meeting.add_project(a, by=coordinator)
    meeting.add_project(b, by=coordinator)
    meeting.remove_item(item, by=coordinator)
    a.refresh_from_db()
    assert a.stage == Stage.ELIGIBLE
    assert list(meeting.items.values_list("order", flat=True)) == [1]
    with django_capture_on_commit_callbacks(execute=True):
        meeting.convene(by=coordinator)
    mail.outbox.clear()
    with pytest.raises(ValidationError):
        meeting.cancel(by=coordinator, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        meeting.cancel(by=coordinator, reason="Quorum impossible à réunir")
    b.refresh_from_db()
    assert b.stage == Stage.ELIGIBLE
    assert "Quorum impossible" in b.history.first().history_change_reason
    assert mail.outbox and mail.outbox[0].subject.startswith("Annulation")


def test_validation_needs_attendance_and_decisions(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    with pytest.raises(ValidationError) as error:
        meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    assert "présences" in str(error.value)
    assert "Décision manquante" in str(error.value)


def test_action_items_carry_over_until_done(users, cotech, meeting):
    from committees.models import ActionItem

    action = ActionItem.objects.create(
        meeting=meeting, what="Relancer la Région", owner="Claire Martin"
    )
    later = make_meeting(cotech, days=40)
    assert list(later.carried_over_actions()) == [action]
    action.done_on = action.meeting.starts_at.date()
    action.save()
    assert list(later.carried_over_actions()) == []
