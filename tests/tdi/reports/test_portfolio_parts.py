"""A long territory report in parts (issue 13): its cover, figures and portfolio, its sheets
so many at a time, its decisions, written out from one reading of the data, laid out by
several workers at once, joined into one file with one page numbering and a bookmark per
section; a part whose worker died is laid out again, and nothing is left behind."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

import tdi.reports.document as document
from projects.models import ReportJob
from tdi.pdf import PdfBudgetExceeded

from ...factories import FundingLineFactory, ProjectFactory
from ...utils import Tagged, kids, kind_of, pdf_text, run_worker

pytestmark = pytest.mark.django_db
URL = "/rapports/portefeuille.pdf"


@pytest.fixture
def long_report(territory, monkeypatch):
    """Seven projects and three sheets a part: a cover part, three sheet parts, a decisions
    part."""
    monkeypatch.setattr(document, "SYNC_LIMIT", 0)
    monkeypatch.setattr(document, "SHEETS_PER_PART", 3)
    projects = [ProjectFactory(territory=territory, title=f"Projet n° {n}") for n in range(1, 8)]
    for project in projects:
        FundingLineFactory(project=project)
    return projects


def files_of(job: ReportJob) -> list[str]:
    try:
        return default_storage.listdir(f"rapports/parties/{job.pk}")[1]
    except FileNotFoundError:
        return []


def test_a_long_report_is_laid_out_in_parts_and_joined(client_for, long_report, worker_queue):
    client = client_for("coordinator")
    client.get(URL)
    job = ReportJob.objects.get()
    done = run_worker()
    tasks = [path.rpartition(".")[2] for path, _result in done]
    assert tasks == ["build_portfolio", *["build_portfolio_part"] * 5, "join_portfolio"]
    job.refresh_from_db()
    assert (job.status, job.parts, job.progress) == (ReportJob.Status.DONE, 5, 100)
    assert files_of(job) == []  # the parts are gone once joined

    pdf = b"".join(client.get(f"/rapports/generations/{job.pk}/fichier.pdf").streaming_content)
    tagged = Tagged(pdf)
    reader = tagged.reader
    marks = [(str(m.title), reader.get_destination_page_number(m) + 1) for m in reader.outline]
    assert [title for title, _page in marks] == [
        "Synthèse et portefeuille par étape",
        "Fiches projets",
        "Décisions des comités de la période",
    ]
    assert marks[0][1] == 1 < marks[1][1] < marks[2][1] <= len(reader.pages)
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    total = len(pages)
    assert all(
        f"Rapport de portefeuille · page {n} / {total}" in pages[n - 1] for n in range(1, total + 1)
    )
    assert not any("page 1 sur" in page for page in pages)  # the parts number nothing
    content = pdf_text(pdf)
    for project in long_report:
        assert content.count(project.title) >= 2  # in the portfolio table and on its sheet
    assert "3. Fiches projets (suite : projets 4 à 6)" in " ".join(pages)
    # One structure: a /Part per part, and one H1 in all (the cover's).
    parts = [kid.get_object() for kid in kids(tagged.document)]
    assert [kind_of(part) for part in parts] == ["Part"] * 5
    assert tagged.headings().count(1) == 1


def test_a_part_whose_worker_died_is_laid_out_again(client_for, long_report, worker_queue):
    client = client_for("coordinator")
    client.get(URL)
    job = ReportJob.objects.get()
    from django_tasks_db.models import DBTaskResult

    # The first task writes the parts out and queues them; two are laid out, then the
    # worker dies: its queued parts are lost with it, the lease runs out.
    first = DBTaskResult.objects.ready().get()
    first.task.call(*first.args_kwargs["args"])
    first.delete()
    for queued in list(DBTaskResult.objects.ready().order_by("enqueued_at"))[:2]:
        queued.task.call(*queued.args_kwargs["args"])
    DBTaskResult.objects.all().delete()
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=3))
    assert len([f for f in files_of(job) if f.endswith(".pdf")]) == 2

    assert client.get(f"/rapports/generations/{job.pk}/").status_code == 200  # recovers it
    done = [path.rpartition(".")[2] for path, _result in run_worker()]
    assert done == ["build_portfolio", *["build_portfolio_part"] * 3, "join_portfolio"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ReportJob.Status.DONE, 2)
    assert files_of(job) == []


def test_a_part_over_its_budget_fails_the_report_in_french(
    client_for, long_report, worker_queue, monkeypatch
):
    def too_large(html, **kwargs):
        raise PdfBudgetExceeded("Ce document demanderait plus de 1024 Mo de mémoire.")

    monkeypatch.setattr(document, "html_to_pdf", too_large)
    client = client_for("coordinator")
    client.get(URL)
    job = ReportJob.objects.get()
    run_worker()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    assert job.error == "Ce document demanderait plus de 1024 Mo de mémoire."
    assert files_of(job) == []
