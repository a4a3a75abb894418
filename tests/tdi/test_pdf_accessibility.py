"""Every PDF the app produces is tagged (issue 10, « Accessible PDFs »), as RGAA asks of
downloadable documents: a structure tree in reading order, with headings, tables whose data
cells name their header cells, figures with a text alternative; the language (fr), a title
shown by the viewer; the marks of a draft as artifacts. Archived ones are PDF/A-3a, the level
of PDF/A that includes these tags (tdi.pdf).

Each kind of PDF is built once for the module through the fixtures of the tests that render it
(tests/test_archives.py, tests/test_pdf.py, tests/projects/test_dossier_pdf.py,
tests/test_portfolio.py), then read with pypdf."""

import functools
import re
from datetime import UTC, date, datetime

import pytest
from django.template.loader import render_to_string

from committees.documents import meeting_context, render_agenda_pdf, render_minutes_pdf
from committees.models import Meeting
from projects.dossier import render_dossier_pdf
from tdi.formats import french_date
from tdi.pdf import html_to_pdf

from ..projects.test_dossier_pdf import PROJECTS, build_application, stored_pdf, submit
from ..test_archives import held, world  # noqa: F401 (fixtures)
from ..utils import HEADING, Tagged, kind_of, pdf_text, reader_of
from .reports.test_portfolio_pdf import funders, get_pdf, portfolio_projects  # noqa: F401 (fixtures)
from .test_pdf import funded_project, sheet_url  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("pdf-accessibility")]  # one cache

AGENDA = "agenda"
DRAFT_MINUTES = "draft minutes"
MINUTES = "validated minutes"
SHEET = "project sheet"
DRAFT_DOSSIER = "draft dossier"
DOSSIER = "submitted dossier"
PORTFOLIO = "portfolio"
KINDS = [AGENDA, DRAFT_MINUTES, MINUTES, SHEET, DRAFT_DOSSIER, DOSSIER, PORTFOLIO]
ARCHIVED = {MINUTES, DOSSIER}

# The standard structure types of PDF 1.7 (ISO 32000-1, 14.8.4): PDF/A-3a wants every other one
# mapped to one of these in a /RoleMap (rule 6.7.3.4).
# fmt: off
STANDARD_TYPES = {
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
    "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl",
    "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note",
    "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP", "Warichu", "WT",
    "WP", "Figure", "Formula", "Form",
}
# fmt: on


# --- the documents, rendered once for the module -----------------------------------------


def committee_documents(request) -> dict[str, bytes]:
    """The agenda and the draft minutes of a held meeting, then its validated minutes as the
    worker archived them."""
    meeting = request.getfixturevalue("held")
    coordinator = request.getfixturevalue("users")["coordinator"]
    documents = {
        AGENDA: render_agenda_pdf(meeting),
        DRAFT_MINUTES: render_minutes_pdf(meeting, final=False),
    }
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)  # no worker: printed at once
    meeting.refresh_from_db()
    documents[MINUTES] = meeting.minutes_pdf.read()
    return documents


def project_sheet(request) -> dict[str, bytes]:
    project = request.getfixturevalue("funded_project")
    response = request.getfixturevalue("client_for")("member").get(sheet_url(project.pk))
    assert response.status_code == 200
    return {SHEET: response.content}


def dossiers(request) -> dict[str, bytes]:
    """The draft of an application of one project, then the archive of its submission."""
    territory = request.getfixturevalue("territory")
    coordinator = request.getfixturevalue("users")["coordinator"]
    application = build_application(territory, coordinator, projects=PROJECTS[:1])
    draft = render_dossier_pdf(application, final=False)
    return {DRAFT_DOSSIER: draft, DOSSIER: stored_pdf(submit(application, coordinator))}


def portfolio(request) -> dict[str, bytes]:
    request.getfixturevalue("portfolio_projects")
    return {PORTFOLIO: get_pdf(request.getfixturevalue("client_for")("coordinator"))}


BUILDERS = {
    AGENDA: committee_documents,
    DRAFT_MINUTES: committee_documents,
    MINUTES: committee_documents,
    SHEET: project_sheet,
    DRAFT_DOSSIER: dossiers,
    DOSSIER: dossiers,
    PORTFOLIO: portfolio,
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {}


@pytest.fixture
def pdf_of(request, rendered):
    """The PDF of a kind, built on first use with the fixtures of this test's database."""

    def get(kind: str) -> bytes:
        if kind not in rendered:
            rendered.update(BUILDERS[kind](request))
        return rendered[kind]

    return get


# --- reading the tags --------------------------------------------------------------------


@functools.cache
def tagged_of(pdf: bytes) -> Tagged:
    return Tagged(pdf)


@functools.cache
def shown_text(pdf: bytes) -> list[tuple[tuple[str, ...], str]]:
    """Each piece of text drawn, with the marked content it is drawn in (innermost last)."""
    shown: list[tuple[tuple[str, ...], str]] = []
    for page in reader_of(pdf).pages:
        stack: list[str] = []

        def operator(op, args, cm, tm, stack=stack):
            if op in (b"BMC", b"BDC"):
                stack.append(str(args[0]))
            elif op == b"EMC":
                stack.pop()

        def text(value, cm, tm, font, size, stack=stack):
            if value.strip():
                shown.append((tuple(stack), value))

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return shown


# --- every PDF ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_pdf_is_tagged_in_french_and_shows_its_title(pdf_of, kind):
    tagged = tagged_of(pdf_of(kind))
    root = tagged.root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert kind_of(tagged.document) == "Document" and tagged.elements
    assert str(root["/Lang"]).startswith("fr")
    title = tagged.reader.metadata.title
    assert title and title.strip() and title != "Document"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True


@pytest.mark.parametrize("kind", KINDS)
def test_headings_outline_the_document(pdf_of, kind):
    levels = tagged_of(pdf_of(kind)).headings()
    assert levels[0] == 1 and levels.count(1) == 1  # the title, once
    assert 2 in levels
    for before, level in zip(levels, levels[1:], strict=False):
        assert level <= before + 1, f"H{before} then H{level}: a level is skipped"


@pytest.mark.parametrize("kind", KINDS)
def test_tables_have_header_cells_that_their_cells_name(pdf_of, kind):
    tagged = tagged_of(pdf_of(kind))
    tables = tagged.of_kind("Table")
    assert tables
    for table in tables:
        headers = {str(th["/ID"]) for th in tagged.of_kind("TH", table)}
        assert headers, "a table without header cells"
        for cell in tagged.of_kind("TD", table):
            named = {str(header) for header in cell["/A"]["/Headers"]}
            assert named and named <= headers


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_has_a_text_alternative(pdf_of, kind):
    figures = tagged_of(pdf_of(kind)).of_kind("Figure")
    assert all(str(figure.get("/Alt", "")).strip() for figure in figures)
    if kind == PORTFOLIO:
        alternatives = [str(figure["/Alt"]) for figure in figures]
        for title in (
            "Nombre de projets par étape",
            "Investissement par axe (coût total HT)",
            "Financements par financeur (hors demandes refusées)",
        ):
            (alternative,) = [a for a in alternatives if a.startswith(title)]
            assert alternative.removeprefix(title).startswith(" : ")  # and its data
        assert any("Région Grand Est : " in a and "\u00a0€" in a for a in alternatives)
    else:
        assert figures == []


@pytest.mark.parametrize("kind", KINDS)
def test_all_text_is_tagged_or_an_artifact(pdf_of, kind):
    shown = shown_text(pdf_of(kind))
    assert shown
    assert all(stack for stack, _ in shown), [t for stack, t in shown if not stack][:5]


@pytest.mark.parametrize("kind", KINDS)
def test_no_page_ends_with_a_heading(pdf_of, kind):
    tagged = tagged_of(pdf_of(kind))
    for number, end in enumerate(tagged.page_ends(), 1):
        path = tagged.ancestors(end)
        assert not any(HEADING.fullmatch(name) for name in path), f"page {number}: {path}"


# --- what PDF/A-3a checks beyond level B, on every PDF; its identification on the archives -


@pytest.mark.parametrize("kind", KINDS)
def test_structure_types_are_standard(pdf_of, kind):
    tagged = tagged_of(pdf_of(kind))
    names = {kind_of(element) for element in [tagged.document, *tagged.elements]}
    mapped = {str(name).removeprefix("/") for name in tagged.role_map}
    assert names - STANDARD_TYPES <= mapped


@pytest.mark.parametrize("kind", KINDS)
def test_every_font_maps_its_glyphs_to_unicode(pdf_of, kind):
    reader = reader_of(pdf_of(kind))
    fonts = {
        id(font): font
        for page in reader.pages
        for font in (f.get_object() for f in page["/Resources"]["/Font"].values())
    }
    assert fonts
    assert all("/ToUnicode" in font for font in fonts.values())


@pytest.mark.parametrize("kind", KINDS)
def test_archives_identify_as_pdfa_3a(pdf_of, kind):
    root = reader_of(pdf_of(kind)).trailer["/Root"]
    if kind not in ARCHIVED:
        assert "/Metadata" not in root or b"pdfaid" not in root["/Metadata"].get_data()
        return
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp
    assert b'pdfaid:conformance="A"' in xmp
    assert re.search(rb"<dc:title>.*<rdf:li[^>]*>[^<]+</rdf:li>", xmp, re.S)
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"


# --- drafts, cancellation, determinism, dates --------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mark"), [(DRAFT_MINUTES, "PROJET"), (DRAFT_DOSSIER, "BROUILLON")]
)
def test_the_mark_of_a_draft_is_an_artifact(pdf_of, kind, mark):
    shown = shown_text(pdf_of(kind))
    marks = [stack for stack, text in shown if text.strip() == mark]
    assert marks and all(stack[-1] == "/Artifact" for stack in marks)
    final = {DRAFT_MINUTES: MINUTES, DRAFT_DOSSIER: DOSSIER}[kind]
    assert not any(text.strip() == mark for _, text in shown_text(pdf_of(final)))


def test_a_cancelled_meeting_says_so_in_its_text(world):  # noqa: F811 (fixture)
    meeting = world.meeting(Meeting.Status.CONVENED)
    meeting.cancel(by=world.coordinator, reason="Quorum impossible à réunir")
    meeting.refresh_from_db()
    pdf = render_agenda_pdf(meeting)
    assert "séance annulée" in pdf_text(pdf).lower()
    marks = [stack for stack, text in shown_text(pdf) if text.strip() == "ANNULÉE"]
    assert marks and all(stack[-1] == "/Artifact" for stack in marks)


def test_the_same_html_gives_the_same_tagged_bytes(held):  # noqa: F811 (fixture)
    html = render_to_string("committees/meeting_agenda_pdf.html", meeting_context(held))
    first = html_to_pdf(html, budget=False)
    assert html_to_pdf(html, budget=False) == first
    assert "/StructTreeRoot" in reader_of(first).trailer["/Root"]


def test_the_first_of_a_month_is_written_1er():
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(date(2026, 12, 11)) == "11 décembre 2026"
    # 23 h 30 UTC is past midnight in Paris: the 1st of December, with or without its time.
    assert french_date(moment) == "1er décembre 2026 à 00h30"
    assert french_date(moment, "day") == "1er décembre 2026"
