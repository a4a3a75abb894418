"""Who is told what around a meeting, once, after commit (DESIGN §5, « Rules of the meeting day »)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from committees.models import AgendaItem, Attendance, CommitteeMember, Decision, Meeting

pytestmark = pytest.mark.django_db


def to(message) -> str:
    [address] = message.to
    return address.lower()


@pytest.fixture
def convened(users, meeting, eligible_projects, django_capture_on_commit_callbacks):
    """A convened COTECH: the `lead` leads the first project, `other_lead` the second."""
    first, second = eligible_projects[:2]
    second.lead_users.set([users["other_lead"]])
    for project in (first, second):
        meeting.add_project(project, by=users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        meeting.convene(by=users["coordinator"])
    mail.outbox.clear()
    return meeting


def test_convocation_reaches_seat_holders_and_leads_once(
    users, cotech, meeting, eligible_projects, django_capture_on_commit_callbacks
):
    coordinator, lead = users["coordinator"], users["lead"]
    first, second = eligible_projects[:2]
    second.lead_users.set([users["other_lead"]])
    # The lead of the first project is also a seat-holder: one e-mail only.
    CommitteeMember.objects.create(committee=cotech, user=lead, role="member")
    for project in (first, second):
        meeting.add_project(project, by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        sent = meeting.convene(by=coordinator)

    seat_holders = {m.contact_email.lower() for m in cotech.members.all() if m.contact_email}
    expected = seat_holders | {users["other_lead"].email.lower()}
    assert lead.email.lower() in seat_holders
    assert sent == len(mail.outbox) == len(expected)
    assert sorted(to(m) for m in mail.outbox) == sorted(expected)
    by_address = {to(m): m for m in mail.outbox}
    other = by_address[users["other_lead"].email.lower()]
    assert "2. Station hydrogène" in other.body.split("Ordre du jour :")[0]
    assert "Friche de la fonderie" not in other.body.split("Ordre du jour :")[0]
    own = by_address[lead.email.lower()]
    assert "1. Friche de la fonderie" in own.body.split("Ordre du jour :")[0]
    assert all(m.subject.startswith("Convocation — COTECH n° 1") for m in mail.outbox)
    assert all(len(m.attachments) == 2 for m in mail.outbox)


def test_agenda_change_after_convocation_sends_nothing_until_asked(
    users, convened, django_capture_on_commit_callbacks
):
    coordinator = users["coordinator"]
    with django_capture_on_commit_callbacks(execute=True):
        convened.add_item(kind=AgendaItem.Kind.OTHER, title="Calendrier 2027", by=coordinator)
        item = convened.items.get(title="Calendrier 2027")
        convened.move_item(item, -1, by=coordinator)
    assert mail.outbox == []
    convened.refresh_from_db()
    assert convened.pending_changes == [
        "ajout du point « Calendrier 2027 »",
        "nouvel ordre de passage pour « Calendrier 2027 »",
    ]

    expected = {
        m.contact_email.lower() for m in convened.committee.members.all() if m.contact_email
    }
    expected |= {users["lead"].email.lower(), users["other_lead"].email.lower()}
    with django_capture_on_commit_callbacks(execute=True):
        convened.notify_agenda_changes(by=coordinator)
    addresses = [to(m) for m in mail.outbox]
    assert sorted(addresses) == sorted(expected)  # one e-mail per person
    for message in mail.outbox:
        assert message.subject.startswith("Ordre du jour modifié")
        assert "ajout du point « Calendrier 2027 »" in message.body
        assert "nouvel ordre de passage pour « Calendrier 2027 »" in message.body
        # The agenda PDF again, and the calendar entry updated (same UID, next SEQUENCE).
        names = [n for n, _c, _t in message.attachments]
        assert names == ["ordre-du-jour-cotech-1.pdf", "invitation-cotech-1.ics"]
        ics = message.attachments[1][1]
        assert "METHOD:REQUEST" in ics and f"UID:seance-{convened.pk}@" in ics

    convened.refresh_from_db()
    assert convened.pending_changes == []
    mail.outbox.clear()
    with pytest.raises(ValidationError, match="Aucune modification"):
        convened.notify_agenda_changes(by=coordinator)
    assert mail.outbox == []


def test_coordinator_sees_the_pending_changes_and_notifies_from_the_page(
    client_for, users, convened, django_capture_on_commit_callbacks
):
    client = client_for("coordinator")
    page = client.get(f"/seances/{convened.pk}/").content.decode()
    assert "Prévenir les membres" not in page
    convened.add_item(kind=AgendaItem.Kind.OTHER, title="Calendrier 2027", by=users["coordinator"])
    page = client.get(f"/seances/{convened.pk}/").content.decode()
    assert "L'ordre du jour a changé depuis la convocation" in page
    assert "ajout du point « Calendrier 2027 »" in page
    assert "Prévenir les membres" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/seances/{convened.pk}/statut/", {"action": "notify_changes"})
    assert response.status_code == 302
    assert mail.outbox and all("Calendrier 2027" in m.body for m in mail.outbox)
    page = client.get(f"/seances/{convened.pk}/").content.decode()
    assert "Prévenir les membres" not in page


def decide_and_validate(meeting, users):
    coordinator = users["coordinator"]
    meeting.hold(by=coordinator, at=meeting.starts_at)
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    first, second = meeting.items.order_by("order")
    first.record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive="Projet solide, plan de financement à consolider",
        reserves=[{"text": "Produire l'accord bancaire"}],
    )
    second.record_decision(Decision.ADJOURNED, by=coordinator, motive="Étude de marché absente")
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)


def test_after_validation_leads_get_their_decision_and_members_the_minutes(
    users, convened, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide_and_validate(convened, users)
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.VALIDATED
    by_address = {}
    for message in mail.outbox:
        by_address.setdefault(to(message), []).append(message)

    [lead_mail] = by_address.pop(users["lead"].email.lower())
    assert "Avis favorable sous réserves" in lead_mail.body
    assert "plan de financement à consolider" in lead_mail.body
    assert "Produire l'accord bancaire" in lead_mail.body
    assert "Étude de marché absente" not in lead_mail.body
    assert "Station hydrogène" not in lead_mail.body
    [other_mail] = by_address.pop(users["other_lead"].email.lower())
    assert "Ajourné" in other_mail.body and "Étude de marché absente" in other_mail.body
    assert "Friche de la fonderie" not in other_mail.body

    seat_holders = {
        m.contact_email.lower() for m in convened.committee.members.all() if m.contact_email
    }
    assert set(by_address) == seat_holders
    convened.minutes_pdf.open("rb")
    archived = convened.minutes_pdf.read()
    convened.minutes_pdf.close()
    for [message] in by_address.values():
        assert message.subject.startswith("Compte rendu validé")
        [(name, content, mimetype)] = message.attachments
        assert name.endswith(".pdf") and mimetype == "application/pdf"
        assert content == archived


def test_rolled_back_validation_sends_nothing(users, convened, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        decide_and_validate(convened, users)
        raise RuntimeError("rollback")
    assert callbacks == []
    assert mail.outbox == []
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.CONVENED
