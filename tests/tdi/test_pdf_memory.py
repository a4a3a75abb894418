"""What laying out a PDF may add to its process (issue 13, settings.PDF_MEMORY_MB): the limit
(RLIMIT_AS) is set around the layout and given back after; running out of it inside Python ends
with a French message. (Running out inside the C libraries can end the process instead: the
job's lease then takes it up again and, after three attempts, fails it in French — the machine
stays up either way.)"""

import resource

import pytest

from tdi.pdf import PdfBudgetExceeded, html_to_pdf, memory_budget, process_size

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
