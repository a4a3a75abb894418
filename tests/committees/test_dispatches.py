"""The e-mails of a meeting go through a log (DESIGN §5): written with the change, sent after
commit by a task, a failure kept with its error and sent again on request, nothing for a change
rolled back."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction

from committees.models import Dispatch

pytestmark = pytest.mark.django_db

send_messages = EmailBackend.send_messages


def refusing(address):
    """A mail server that refuses one recipient and delivers the others."""

    def send(backend, messages):
        if any(address in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({address: (550, b"Mailbox unavailable")})
        return send_messages(backend, messages)

    return send


@pytest.fixture
def agenda(users, meeting, eligible_projects):
    meeting.add_project(eligible_projects[0], by=users["coordinator"])
    return meeting


def test_convocation_is_logged_then_sent_after_commit(
    users, agenda, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sent = agenda.convene(by=users["coordinator"])
        # Written with the convocation, not sent yet.
        assert mail.outbox == []
        assert agenda.dispatches.filter(status=Dispatch.Status.PENDING).count() == sent == 5
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 5
    rows = list(agenda.dispatches.all())
    assert {d.status for d in rows} == {Dispatch.Status.SENT}
    assert all(d.sent_at and d.attempts == 1 for d in rows)
    assert {d.kind for d in rows} == {Dispatch.Kind.CONVOCATION}


def test_a_rolled_back_convocation_leaves_no_trace(
    users, agenda, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        agenda.convene(by=users["coordinator"])
        raise RuntimeError("rollback")
    assert callbacks == [] and mail.outbox == []
    assert not Dispatch.objects.exists() and not agenda.invitations.exists()


def test_a_refused_recipient_is_logged_and_sent_again_on_request(
    client_for, users, agenda, django_capture_on_commit_callbacks
):
    refused = users["partner"].email.lower()
    with (
        mock.patch.object(EmailBackend, "send_messages", refusing(refused)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        agenda.convene(by=users["coordinator"])
    # The others are convened; the refused one waits with its error.
    assert len(mail.outbox) == 4 and all(m.to != [refused] for m in mail.outbox)
    failed = agenda.dispatches.get(address=refused)
    assert (failed.status, failed.attempts) == (Dispatch.Status.PENDING, 1)
    assert failed.last_error.startswith("SMTPRecipientsRefused")

    client = client_for("coordinator")
    page = client.get(f"/seances/{agenda.pk}/").content.decode()
    assert "en attente d&#x27;envoi : 1, envoyé : 4" in page
    assert "Renvoyer les 1 message non parti" in page

    # A seat-holder reads the meeting but neither the log nor the button.
    member_page = client_for("member").get(f"/seances/{agenda.pk}/").content.decode()
    assert "Envois" not in member_page
    assert client_for("member").post(f"/seances/{agenda.pk}/envois/").status_code == 403

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/seances/{agenda.pk}/envois/")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[refused]]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (Dispatch.Status.SENT, 2, "")


def test_after_the_last_attempt_a_message_is_marked_failed(
    users, agenda, django_capture_on_commit_callbacks
):
    refused = users["partner"].email.lower()
    with mock.patch.object(EmailBackend, "send_messages", refusing(refused)):
        with django_capture_on_commit_callbacks(execute=True):
            agenda.convene(by=users["coordinator"])
        from committees.notifications import deliver

        for _ in range(Dispatch.MAX_ATTEMPTS - 1):
            deliver.call(agenda.pk)
    failed = agenda.dispatches.get(address=refused)
    assert (failed.status, failed.attempts) == (Dispatch.Status.FAILED, Dispatch.MAX_ATTEMPTS)
    # Sending again skips what is sent: no duplicate for the others.
    mail.outbox.clear()
    deliver.call(agenda.pk)
    assert mail.outbox == []


def test_cancellation_reaches_the_convened_with_a_calendar_cancel(
    users, agenda, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agenda.convene(by=users["coordinator"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agenda.cancel(by=users["coordinator"], reason="Salle indisponible")
    assert len(mail.outbox) == 5
    message = mail.outbox[0]
    assert message.subject.startswith("Annulation") and "Salle indisponible" in message.body
    [(name, ics, mimetype)] = message.attachments
    assert mimetype == "text/calendar; method=CANCEL"
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics


def test_a_meeting_cancelled_before_its_convocation_mails_nobody(
    users, agenda, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agenda.cancel(by=users["coordinator"], reason="Reportée")
    assert mail.outbox == [] and not agenda.dispatches.exists()
