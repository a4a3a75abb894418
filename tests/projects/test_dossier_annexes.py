"""The submitted dossier bundles its annexes (issue 10): the PDF attachments of its projects are
joined after the dossier, bookmarked and stamped; the others are listed with their size and
SHA-256. What is joined is pinned at submission, and the bundle is what is archived and
fingerprinted."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from projects.dossier import AnnexChanged
from projects.lifecycle import produce_archive
from projects.models import Application, Document
from tdi.pdf import html_to_pdf

from ..utils import (
    HEADING,
    Tagged,
    assert_links_reach_their_pages,
    kids,
    kind_of,
    labelled_pdf,
    pdf_text,
    reader_of,
    run_worker,
    structure,
)
from .test_dossier_pdf import build_application, included, stored_pdf, submit

pytestmark = pytest.mark.django_db

CSV = b"poste;montant\nmachines;120000\n"
BROKEN = b"%PDF-1.7\n1 0 obj<</Type/Catalog" + b"\x00garbage" * 20


def attach(project, user, title: str, content: bytes, name: str, content_type: str) -> Document:
    return Document.objects.create(
        project=project,
        title=title,
        kind=Document.Kind.STUDY,
        file=ContentFile(content, name=name),
        original_name=name,
        content_type=content_type,
        size=len(content),
        uploaded_by=user,
    )


@pytest.fixture
def coordinator(users):
    return users["coordinator"]


@pytest.fixture
def application(territory, coordinator):
    """A dossier of two projects: the first with a 2-page PDF and a CSV, the second with a
    1-page PDF and a damaged one (besides the unreadable stubs the builder attaches)."""
    application = build_application(territory, coordinator)
    first, second = (item.project for item in included(application)[:2])
    attach(
        first,
        coordinator,
        "Étude de marché",
        labelled_pdf("ANNEXE-A", 2),
        "etude.pdf",
        "application/pdf",
    )
    attach(first, coordinator, "Budget détaillé", CSV, "budget.csv", "text/csv")
    attach(
        second,
        coordinator,
        "Lettre de la Région",
        labelled_pdf("ANNEXE-B", 1),
        "lettre.pdf",
        "application/pdf",
    )
    attach(second, coordinator, "Devis endommagé", BROKEN, "devis.pdf", "application/pdf")
    return application


def printed_alone(application: Application) -> int:
    """The pages of the dossier itself, printed from the HTML frozen at submission."""
    return len(reader_of(html_to_pdf(application.dossier_html, archival=True, budget=False)).pages)


def outline(reader, items=None) -> list:
    return [
        outline(reader, item)
        if isinstance(item, list)
        else (str(item.title), reader.get_destination_page_number(item) + 1)
        for item in (reader.outline if items is None else items)
    ]


def test_the_bundle_joins_the_pdf_annexes_after_the_dossier(application, coordinator):
    submitted = submit(application, coordinator)
    pdf = stored_pdf(submitted)
    assert hashlib.sha256(pdf).hexdigest() == submitted.dossier_sha256
    reader = reader_of(pdf)
    dossier = printed_alone(submitted)
    # The dossier, then annex 1 (2 pages) and annex 2 (1 page): the sum of the parts.
    assert len(reader.pages) == dossier + 2 + 1
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert pages[dossier].startswith("ANNEXE-A 1")
    assert pages[dossier + 1].startswith("ANNEXE-A 2")
    assert pages[dossier + 2].startswith("ANNEXE-B 1")
    assert "Dossier de candidature · annexe 1 · page 2 / 2" in pages[dossier + 1]
    assert "Dossier de candidature · annexe 2 · page 1 / 1" in pages[dossier + 2]

    first, second = (item.project for item in included(submitted)[:2])
    marks = outline(reader)
    # The dossier keeps its own bookmarks, then the annexes, each at its first page.
    assert marks[0][1] == 1 and len(marks) > 3
    assert marks[-2:] == [
        ("Annexes", dossier + 1),
        [
            (f"Annexe 1 — {first.reference} — Étude de marché", dossier + 1),
            (f"Annexe 2 — {second.reference} — Lettre de la Région", dossier + 3),
        ],
    ]
    assert reader.metadata.title == f"Dossier de candidature — {submitted.title}"
    assert_links_reach_their_pages(reader)


def test_the_dossier_lists_every_attachment_with_its_fingerprint(application, coordinator):
    submitted = submit(application, coordinator)
    text = pdf_text(stored_pdf(submitted)).replace("\u202f", " ")
    assert "Annexe 1 (2 pages)" in text and "Annexe 2 (1 page)" in text
    assert "Format CSV : non joint" in text and "budget.csv (30 octets)" in text
    assert "PDF illisible" in text
    squashed = text.replace(" ", "")
    for content in (CSV, BROKEN, labelled_pdf("ANNEXE-A", 2)):
        assert hashlib.sha256(content).hexdigest() in squashed
    # The same list, pinned in the snapshot.
    documents = [d for p in submitted.snapshot["projects"] for d in p["documents"]]
    joined = [(d["title"], d["annex"], d["pages"]) for d in documents if d["annex"]]
    assert joined == [("Étude de marché", 1, 2), ("Lettre de la Région", 2, 1)]


def test_the_bundle_keeps_the_dossier_structure_and_no_longer_claims_pdfa(application, coordinator):
    tagged = Tagged(stored_pdf(submit(application, coordinator)))
    (part,) = [kid.get_object() for kid in kids(tagged.document)]
    assert kind_of(part) == "Part"
    levels = [kind_of(e) for e in structure(part) if HEADING.fullmatch(kind_of(e))]
    assert levels[0] == "H1" and levels.count("H1") == 1
    # The 3 annex pages are copied as uploaded: untagged, and the file is not declared PDF/A.
    untagged = [page for page in tagged.reader.pages if "/StructParents" not in page]
    assert len(untagged) == 3
    assert "/Metadata" not in tagged.root or b"pdfaid" not in tagged.root["/Metadata"].get_data()


def test_a_dossier_without_pdf_annexes_stays_pdfa(territory, coordinator):
    submitted = submit(build_application(territory, coordinator), coordinator)
    root = reader_of(stored_pdf(submitted)).trailer["/Root"]
    assert b'pdfaid:part="3"' in root["/Metadata"].get_object().get_data()


def test_the_bundle_is_what_was_pinned_at_submission(application, coordinator, worker_queue):
    """A new version of a document after submission does not change the bundle."""
    application.mark_ready(by=coordinator)
    application.submit(by=coordinator)
    document = Document.objects.get(title="Étude de marché")
    document.file = ContentFile(labelled_pdf("NOUVELLE", 5), name="etude-v2.pdf")
    document.save()
    run_worker()
    pdf = stored_pdf(Application.objects.get(pk=application.pk))
    text = pdf_text(pdf)
    assert "ANNEXE-A 2" in text and "NOUVELLE" not in text


def test_an_annex_altered_in_the_storage_is_not_archived(application, coordinator, worker_queue):
    application.mark_ready(by=coordinator)
    application.submit(by=coordinator)
    document = Document.objects.get(title="Étude de marché")
    storage = document.file.storage
    storage.delete(document.file.name)
    storage.save(document.file.name, ContentFile(labelled_pdf("FALSIFIEE", 2)))
    with pytest.raises(AnnexChanged):
        produce_archive.call("projects.Application", application.pk)
    application.refresh_from_db()
    assert not application.dossier_pdf and not application.dossier_sha256
    assert application.archive_state == "pending"


def test_the_draft_says_what_will_be_joined(application):
    from projects.dossier import render_dossier_pdf

    text = pdf_text(render_dossier_pdf(application, final=False))
    assert "les pièces au format PDF seront jointes à la suite du dossier" in text
    assert "ANNEXE-A" not in text
