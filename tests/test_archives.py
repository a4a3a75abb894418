"""Official PDFs are printed out of the request (issue 12): validating minutes or submitting a
dossier freezes the record with the document's HTML and its fingerprint, and queues the printing
in the same transaction; the worker prints the PDF/A from that HTML and stores it once, signed by
whoever froze the record. Until then the pages say the PDF is on its way and its URL answers 503
with a French message, never a draft of a frozen record."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from committees.models import Attendance, Dispatch, DispatchKind, DispatchStatus, Meeting
from projects.lifecycle import Frozen, produce_archive
from projects.models import Application
from tdi.pdf import html_to_pdf

from .test_audit import World
from .utils import pdf_text, run_worker

pytestmark = pytest.mark.django_db

PRODUCE = "projects.lifecycle.produce_archive"


@pytest.fixture
def world(territory, users, project):
    return World(territory, users, project)


@pytest.fixture
def held(world):
    meeting = world.meeting(Meeting.Status.HELD, days=-1)  # over: its minutes may be validated
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    world.first_item(meeting).record_decision("favorable", by=world.coordinator)
    return meeting


def test_validation_freezes_at_once_and_the_worker_prints_the_pdf(
    worker_queue, held, client_for, users
):
    client = client_for("coordinator")
    response = client.post(f"/seances/{held.pk}/statut/", {"action": "validate"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Meeting.Status.VALIDATED
    assert held.content_sha256 and held.content_sha256 in held.minutes_html
    assert not held.minutes_pdf and not held.minutes_sha256
    job = DBTaskResult.objects.get(task_path=PRODUCE)
    assert job.args_kwargs["args"] == ["committees.Meeting", held.pk]

    # Meanwhile: the page says so and asks again; the PDF's URL says when to come back.
    page = client.get(held.get_absolute_url()).content.decode()
    assert "est en cours de production" in page
    assert 'hx-select="#archive-state"' in page and 'hx-trigger="every 3s"' in page
    waiting = client.get(f"/seances/{held.pk}/compte-rendu.pdf")
    assert waiting.status_code == 503
    assert waiting["Retry-After"] == "10"
    assert "son PDF archivé (PDF/A) est en cours de production" in waiting.content.decode()
    # The decisions leave; the minutes wait for their PDF.
    minutes = Dispatch.objects.filter(meeting=held, kind=DispatchKind.MINUTES)
    assert minutes.exists()
    assert set(minutes.values_list("status", flat=True)) == {DispatchStatus.PENDING}

    mail.outbox.clear()
    name = dict(run_worker())[PRODUCE]
    held.refresh_from_db()
    assert held.minutes_pdf.name == name
    pdf = held.minutes_pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == held.minutes_sha256
    assert f"Empreinte du contenu (SHA-256) : {held.content_sha256}" in pdf_text(pdf)
    last = held.history.first()
    assert (last.history_user, last.history_change_reason) == (
        users["coordinator"],
        "PDF archivé (PDF/A) produit",
    )
    # Now stored: the page shows its fingerprint and link, the URL serves it, the mail leaves.
    page = client.get(held.get_absolute_url()).content.decode()
    assert held.minutes_sha256 in page and "en cours de production" not in page
    served = client.get(f"/seances/{held.pk}/compte-rendu.pdf")
    assert served.status_code == 200 and served.content == pdf
    assert set(minutes.values_list("status", flat=True)) == {DispatchStatus.SENT}
    attached = [m for m in mail.outbox if m.subject.startswith("Compte rendu validé")]
    assert attached and all(m.attachments[0][1] == pdf for m in attached)


def test_the_pdf_is_printed_again_identically_from_the_stored_html(held, users):
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)  # no worker: at once
    held.refresh_from_db()
    again = html_to_pdf(held.minutes_html, archival=True, budget=False)
    assert hashlib.sha256(again).hexdigest() == held.minutes_sha256


def test_the_archive_is_stored_once(held, users):
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    held.refresh_from_db()
    stored, rows = held.minutes_pdf.name, held.history.count()
    assert produce_archive.call("committees.Meeting", held.pk) == stored  # a second run
    assert held.history.count() == rows
    held.minutes_sha256 = "0" * 64
    with pytest.raises(Frozen):
        held.save(update_fields=["minutes_sha256"])
    held.minutes_html = "<p>Autre texte</p>"
    with pytest.raises(Frozen):
        held.save(update_fields=["minutes_html"])
    held.refresh_from_db()
    assert held.minutes_pdf.name == stored and held.minutes_html != "<p>Autre texte</p>"


def test_a_late_archive_is_said_so(worker_queue, held, client_for, users):
    held.validate_minutes(by=users["coordinator"], at=timezone.now() - timedelta(minutes=6))
    page = client_for("member").get(held.get_absolute_url()).content.decode()
    assert "La production du PDF archivé du compte rendu tarde" in page
    assert 'hx-trigger="every 60s"' in page


def test_the_command_prints_what_the_worker_missed(worker_queue, held, world, users):
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    application = world.application(Application.Status.READY)
    application.submit(by=users["coordinator"])
    DBTaskResult.objects.all().delete()  # a worker that never ran
    call_command("produce_archives", stdout=(out := __import__("io").StringIO()))
    held.refresh_from_db()
    application.refresh_from_db()
    assert held.archive_state == application.archive_state == "stored"
    assert out.getvalue().endswith("2 PDF produit(s), 0 échec(s).\n")


def test_submission_freezes_and_the_pdf_url_waits_not_a_draft(
    worker_queue, world, client_for, users
):
    application = world.application(Application.Status.READY)
    client = client_for("coordinator")
    response = client.post(f"/candidatures/{application.pk}/statut/", {"action": "submit"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and not application.dossier_pdf
    waiting = client.get(f"/candidatures/{application.pk}/dossier.pdf")
    assert waiting.status_code == 503  # never the BROUILLON of a submitted dossier
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Le PDF archivé (PDF/A) du dossier est en cours de production" in page
    run_worker()
    application.refresh_from_db()
    served = client.get(f"/candidatures/{application.pk}/dossier.pdf")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == application.dossier_sha256
    assert "BROUILLON" not in pdf_text(served.content)


def test_the_worker_has_no_page_budget(held, users, settings):
    """The budget protects requests; the worker prints an official document whatever its
    length (its texts are bounded by their fields)."""
    settings.PDF_BUDGET = {**settings.PDF_BUDGET, "pages": 0}
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    held.refresh_from_db()
    assert held.archive_state == "stored"
