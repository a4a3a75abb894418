"""What laying out a PDF may take (issue 13, settings.PDF_MEMORY_MB): the layout runs in a
child process under the limit (RLIMIT_AS), so that running out of it, in Python or inside the C
libraries, ends the child and the document is refused in French while the worker goes on. In a
threaded process, where fork is unsafe, the limit is set around the layout in place and given
back after."""

import multiprocessing
import os
import resource
import signal
import threading
import time

import pytest

import tdi.pdf
from tdi.pdf import PdfBudgetExceeded, html_to_pdf, memory_budget, process_size

# The fork of a test runner with its own thread (pytest-xdist's) is warned against; the task
# worker and a sync gunicorn worker, which fork, have one thread.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")

HTML = "<html lang='fr'><head><title>Essai</title></head><body><p>Essai</p></body></html>"


def test_the_limit_is_set_around_the_layout_and_given_back(settings):
    settings.PDF_MEMORY_MB = 512
    before = resource.getrlimit(resource.RLIMIT_AS)
    size = process_size()
    with memory_budget(512):
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        assert size + 500 * 1024 * 1024 < soft < size + 600 * 1024 * 1024
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert html_to_pdf(HTML, budget=False).startswith(b"%PDF")
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_running_out_of_it_is_said_in_french():
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(PdfBudgetExceeded) as refused, memory_budget(1024):
        raise MemoryError
    assert refused.value.message.startswith(
        "Ce document demanderait plus de 1024 Mo de mémoire pour être mis en page"
    )
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def paragraphs(count: int) -> str:
    paragraph = (
        "<p>Un paragraphe du rapport de portefeuille, assez long pour remplir des pages.</p>"
    )
    return (
        f"<html lang='fr'><head><title>Essai</title></head><body>{paragraph * count}</body></html>"
    )


REFUSED = "Ce document demanderait plus de {} Mo de mémoire pour être mis en page : il n'a pas"


@pytest.fixture
def apart(settings, monkeypatch):
    """The layout in a child, as in a sync gunicorn worker or the task worker: the test runner's
    own thread (pytest-xdist's) would otherwise keep it in place."""
    settings.PDF_LAYOUT_APART = True
    monkeypatch.setattr(tdi.pdf, "single_threaded", lambda: True)


def test_the_child_lays_out_the_same_bytes_as_the_process(settings, apart):
    in_child = html_to_pdf(HTML, budget=False)
    settings.PDF_LAYOUT_APART = False
    assert html_to_pdf(HTML, budget=False) == in_child


def test_a_layout_beyond_the_limit_is_refused_and_the_process_goes_on(settings, apart):
    settings.PDF_MEMORY_MB = 1
    before, pid = resource.getrlimit(resource.RLIMIT_AS), os.getpid()
    # 50 000 boxes take some hundred megabytes: Python runs out, or the C libraries end the child.
    crowded = f"<html lang='fr'><head><title>Essai</title></head><body>{'<p>x</p>' * 50000}</body>"
    with pytest.raises(PdfBudgetExceeded) as refused:
        html_to_pdf(crowded, budget=False)
    assert refused.value.message.startswith(REFUSED.format(1))
    assert (os.getpid(), resource.getrlimit(resource.RLIMIT_AS)) == (pid, before)
    settings.PDF_MEMORY_MB = 1024
    assert html_to_pdf(HTML, budget=False).startswith(b"%PDF")


def test_a_child_ended_in_a_c_library_is_refused_in_french(apart, monkeypatch, caplog):
    def aborted(html, options, limits):
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel does to a process out of memory

    monkeypatch.setattr(tdi.pdf, "layout", aborted)
    with pytest.raises(PdfBudgetExceeded) as refused:
        html_to_pdf(HTML, budget=False)
    assert refused.value.message.startswith(REFUSED.format(1024))
    assert "La mise en page d'un PDF s'est arrêtée (code -9)." in caplog.messages


def test_the_request_budget_and_other_failures_come_back_from_the_child(
    settings, apart, monkeypatch
):
    settings.PDF_BUDGET = {**settings.PDF_BUDGET, "pages": 2}
    with pytest.raises(PdfBudgetExceeded) as refused:
        html_to_pdf(paragraphs(200))
    assert refused.value.message.startswith("Ce document est trop long pour être produit ici (")
    assert " pages)" in refused.value.message

    def broken(html, options, limits):
        raise ValueError("police introuvable")

    monkeypatch.setattr(tdi.pdf, "layout", broken)
    with pytest.raises(RuntimeError, match="ValueError: police introuvable"):
        html_to_pdf(HTML, budget=False)


def test_a_threaded_process_lays_out_in_place(settings, monkeypatch):
    settings.PDF_LAYOUT_APART = True

    def forked(*args):
        raise AssertionError("fork in a threaded process")

    monkeypatch.setattr(tdi.pdf, "layout_apart", forked)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert html_to_pdf(HTML, budget=False).startswith(b"%PDF")
    finally:
        stop.set()
        other.join()


def test_a_child_that_hangs_is_ended(apart, monkeypatch):
    """A lock of a C library held by another thread at the fork would leave the child waiting
    forever: past its time, it is ended and the document refused."""
    monkeypatch.setattr(tdi.pdf, "LAYOUT_HOURS", 0.5 / 3600)
    monkeypatch.setattr(tdi.pdf, "layout", lambda html, options, limits: time.sleep(60))
    started = time.monotonic()
    with pytest.raises(PdfBudgetExceeded) as refused:
        html_to_pdf(HTML, budget=False)
    assert time.monotonic() - started < 10
    assert refused.value.message.startswith("Ce document est trop long pour être produit ici (plus")
    assert multiprocessing.active_children() == []
