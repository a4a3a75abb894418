"""Background documents survive their worker (issue 13, « durable jobs »): a job whose worker
died is taken up again from its page or by `manage.py recover_jobs`, at most three times; a
second run of a job held by a live worker stops at once; a second click gets the first job."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import tdi.reports.document as document
from projects.models import ReportJob
from projects.models.jobs import INTERRUPTED

from ...utils import run_worker, text
from .test_portfolio_pdf import URL, funders, portfolio_projects  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

BUILD = "tdi.reports.document.build_portfolio"


@pytest.fixture
def asked(client_for, users, portfolio_projects, monkeypatch, worker_queue):  # noqa: F811
    """A territory's report asked in the background, waiting in the queue for a worker."""
    monkeypatch.setattr(document, "SYNC_LIMIT", 0)
    response = client_for("coordinator").get(URL)
    job = ReportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.status == ReportJob.Status.QUEUED
    return job


def died(job: ReportJob, *, attempts: int = 1, minutes: int = 5) -> None:
    """What a worker killed in the middle leaves: running, its last sign of life long ago."""
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.RUNNING,
        progress=30,
        attempts=attempts,
        heartbeat_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_a_second_click_gets_the_first_job(client_for, asked):
    again = client_for("coordinator").get(URL)
    assert again["Location"] == asked.get_absolute_url()
    assert ReportJob.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path=BUILD).count() == 1
    # Another request (a filter) is another document.
    client_for("coordinator").get(f"{URL}?etape=submitted")
    assert ReportJob.objects.count() == 2


def test_the_job_page_takes_up_a_job_whose_worker_died(client_for, asked):
    DBTaskResult.objects.all().delete()  # the queue's row went with the worker
    died(asked)
    page = client_for("coordinator").get(asked.get_absolute_url())
    assert page.status_code == 200
    asked.refresh_from_db()
    assert (asked.status, asked.progress, asked.attempts) == (ReportJob.Status.QUEUED, 0, 1)
    assert DBTaskResult.objects.filter(task_path=BUILD).count() == 1
    run_worker()
    asked.refresh_from_db()
    assert (asked.status, asked.attempts) == (ReportJob.Status.DONE, 2)
    assert "Le document est prêt" in text(client_for("coordinator").get(asked.get_absolute_url()))


def test_a_live_worker_keeps_its_job(client_for, asked):
    died(asked, minutes=0)  # running, and alive
    client_for("coordinator").get(asked.get_absolute_url())
    asked.refresh_from_db()
    assert asked.status == ReportJob.Status.RUNNING
    # A second run of the same job (the queue gave it twice) stops at once.
    run_worker()
    asked.refresh_from_db()
    assert (asked.status, asked.progress, asked.attempts) == (ReportJob.Status.RUNNING, 30, 1)


def test_after_three_attempts_the_job_fails_in_french(client_for, asked):
    died(asked, attempts=ReportJob.MAX_ATTEMPTS)
    page = text(client_for("coordinator").get(asked.get_absolute_url()))
    asked.refresh_from_db()
    assert asked.status == ReportJob.Status.FAILED and asked.error == INTERRUPTED
    assert "La génération a été interrompue à plusieurs reprises" in page


def test_recover_jobs_takes_up_every_abandoned_job(asked, users):
    died(asked)
    alive = ReportJob.objects.create(
        kind=ReportJob.Kind.PORTFOLIO,
        parameters={},
        created_by=users["member"],
        status=ReportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    out = io.StringIO()
    call_command("recover_jobs", stdout=out)
    asked.refresh_from_db()
    alive.refresh_from_db()
    assert asked.status == ReportJob.Status.QUEUED
    assert alive.status == ReportJob.Status.RUNNING
    assert "1 génération(s) relancée(s), 0 abandonnée(s)." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_long_rendering_keeps_saying_it_is_alive(users, monkeypatch):
    """The heartbeat comes from a thread while the task works, progress or not."""
    monkeypatch.setattr(ReportJob, "LEASE", timedelta(seconds=0.4))
    job = ReportJob.objects.create(
        kind=ReportJob.Kind.PORTFOLIO, parameters={}, created_by=users["coordinator"]
    )
    assert job.start()
    started = ReportJob.objects.get(pk=job.pk).heartbeat_at
    with job.alive():
        time.sleep(0.5)  # a rendering that reports nothing
        beat = ReportJob.objects.get(pk=job.pk).heartbeat_at
    assert beat > started
    assert not ReportJob.objects.get(pk=job.pk).is_abandoned


def test_purge_jobs_deletes_old_documents_and_their_files(client_for, asked):
    run_worker()
    asked.refresh_from_db()
    storage, name = asked.file.storage, asked.file.name
    assert asked.status == ReportJob.Status.DONE and storage.exists(name)
    recent = ReportJob.objects.create(
        kind=ReportJob.Kind.PORTFOLIO,
        parameters={},
        created_by=asked.created_by,
        status=ReportJob.Status.DONE,
        finished_at=timezone.now() - timedelta(days=6),
    )
    ReportJob.objects.filter(pk=asked.pk).update(finished_at=timezone.now() - timedelta(days=8))
    out = io.StringIO()
    call_command("purge_jobs", stdout=out)
    assert "1 génération(s) supprimée(s), 1 fichier(s) effacé(s)." in out.getvalue()
    assert not storage.exists(name)
    assert list(ReportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert client_for("coordinator").get(asked.get_absolute_url()).status_code == 404
