"""The board pack of a meeting (/seances/<id>/dossier.pdf): its structure, what each reader gets
(DESIGN §8), the documents listed instead of joined, the background path, bounded queries."""

import hashlib
import io
import re

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

import committees.board_pack as board_pack
from committees.board_pack import gather_pack
from committees.models import CommitteeMember
from projects import annexes
from projects.access import Access
from projects.models import Document, ReportJob, Reserve, Role, Stage
from tdi import pdf_merge

from ..factories import (
    FundingLineFactory,
    IndicatorFactory,
    MembershipFactory,
    UserFactory,
    make_meeting,
)
from ..projects.test_documents import PDF_BYTES, make_document
from ..test_audit import World
from ..utils import (
    HEADING,
    Tagged,
    assert_links_reach_their_pages,
    kids,
    kind_of,
    labelled_pdf,
    pdf_text,
    structure,
)

pytestmark = pytest.mark.django_db

A_TITLE = "Friche de la fonderie"
B_TITLE = "Station hydrogène"
A_PLAN = "Plan masse de la friche"
B_QUOTE = "Devis confidentiel de l'électrolyseur"
CSV = b"poste;montant\nmachines;120000\n"
BROKEN = b"%PDF-1.7\n1 0 obj<</Type/Catalog" + b"\x00garbage" * 20


def add_document(project, user, title: str, content: bytes, name: str, content_type: str):
    document = make_document(project, user, content)
    document.title, document.original_name, document.content_type = title, name, content_type
    document.kind = Document.Kind.STUDY
    document.save()
    return document


@pytest.fixture
def world(territory, users, project):
    return World(territory, users, project)


@pytest.fixture
def seat(users, cotech):
    """A lead who leads nothing here but sits on the COTECH: reads its meetings, not the
    projects' details."""
    CommitteeMember.objects.create(committee=cotech, user=users["other_lead"], role="member")
    return users["other_lead"]


def turned_pdf() -> bytes:
    """A landscape page shown turned (/Rotate 90)."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(842, 595).rotate(90)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.fixture
def board(world, users, cotech):
    """A COTECH meeting examining A (led by `lead`: a 2-page PDF, a CSV, a damaged PDF), an
    information item, and B (led by `third`, another lead of the territory: a 3-page PDF, a
    turned page, and PDF_BYTES, which pypdf cannot read)."""
    coordinator = users["coordinator"]
    users["third"] = MembershipFactory(
        user=UserFactory(username="third"), territory=world.territory, role=Role.LEAD
    ).user
    meeting = make_meeting(cotech)
    a = world.new_project(Stage.ELIGIBLE, A_TITLE)
    b = world.new_project(Stage.ELIGIBLE, B_TITLE)
    b.lead_users.set([users["third"]])
    meeting.add_project(a, by=coordinator)
    meeting.add_item(kind="information", title="Point d'information", by=coordinator)
    meeting.add_project(b, by=coordinator)
    add_document(a, coordinator, A_PLAN, labelled_pdf("PIECE-A", 2), "plan.pdf", "application/pdf")
    add_document(a, coordinator, "Budget détaillé", CSV, "budget.csv", "text/csv")
    add_document(a, coordinator, "Devis endommagé", BROKEN, "devis.pdf", "application/pdf")
    add_document(
        b, coordinator, B_QUOTE, labelled_pdf("PIECE-B", 3), "devis-b.pdf", "application/pdf"
    )
    add_document(b, coordinator, "Plan tourné", turned_pdf(), "plan-b.pdf", "application/pdf")
    make_document(b, coordinator, PDF_BYTES)  # « Devis de l'entreprise »
    return {"meeting": meeting, "a": a, "b": b}


def url(meeting) -> str:
    return f"/seances/{meeting.pk}/dossier.pdf"


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def get_pack(client, meeting) -> pypdf.PdfReader:
    response = client.get(url(meeting))
    assert response.status_code == 200, response.content[:300]
    return pypdf.PdfReader(io.BytesIO(content_of(response)))


def outline(reader: pypdf.PdfReader, items=None) -> list:
    """The bookmarks as (title, page from 1), children as nested lists."""
    return [
        outline(reader, item)
        if isinstance(item, list)
        else (item.title, reader.get_destination_page_number(item) + 1)
        for item in (reader.outline if items is None else items)
    ]


def titles(tree: list) -> list:
    return [titles(node) if isinstance(node, list) else node[0] for node in tree]


def page_count(client, path: str) -> int:
    return len(pypdf.PdfReader(io.BytesIO(content_of(client.get(path)))).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the structure ----------------------------------------------------------------------------


def test_the_pack_joins_agenda_sheets_and_pdfs_with_contents_bookmarks_and_stamps(
    client_for, board
):
    meeting, a, b = board["meeting"], board["a"], board["b"]
    client = client_for("coordinator")
    reader = get_pack(client, meeting)
    total = len(reader.pages)

    agenda = page_count(client, f"/seances/{meeting.pk}/ordre-du-jour.pdf")
    sheet_a = page_count(client, f"/projets/{a.pk}/fiche.pdf")
    sheet_b = page_count(client, f"/projets/{b.pk}/fiche.pdf")
    # Contents (1), agenda, A's sheet and PDF (2), B's sheet and PDFs (1 + 3), the list (1).
    assert total == 1 + agenda + sheet_a + 2 + sheet_b + 1 + 3 + 1

    # Documents newest first, as on the project's sheet.
    a_sheet = 2 + agenda
    a_plan = a_sheet + sheet_a
    b_sheet = a_plan + 2
    b_turned = b_sheet + sheet_b
    b_quote = b_turned + 1
    a_entry = f"1. {A_TITLE} ({a.reference})"
    b_entry = f"3. {B_TITLE} ({b.reference})"
    assert outline(reader) == [
        ("Sommaire", 1),
        ("Ordre du jour", 2),
        (a_entry, a_sheet),
        [("Fiche projet", a_sheet), (f"Document : {A_PLAN}", a_plan)],
        (b_entry, b_sheet),
        [
            ("Fiche projet", b_sheet),
            ("Document : Plan tourné", b_turned),
            (f"Document : {B_QUOTE}", b_quote),
        ],
        ("Documents non joints", total),
    ]

    # Every page is stamped with its number in the pack, and labelled the same way.
    pages = [flat(page.extract_text()) for page in reader.pages]
    for number, text in enumerate(pages, start=1):
        assert f"Dossier de séance · page {number} / {total}" in text
        # The parts count nothing themselves: one numbering, the pack's.
        assert not re.search(r"page \d+ sur \d+", text), number
    assert reader.page_labels == [str(n) for n in range(1, total + 1)]

    # The table of contents gives the pages of each part.
    toc = pages[0]
    assert "DOSSIER DE SÉANCE" in toc and f"{total} pages" in toc
    assert f"Ordre du jour {pages_of(2, agenda)}" in toc
    assert f"Fiche projet {pages_of(a_sheet, sheet_a)}" in toc
    assert f"{A_PLAN} (Étude, 2 pages) {a_plan}–{a_plan + 1}" in toc
    assert f"{B_QUOTE} (Étude, 3 pages) {b_quote}–{b_quote + 2}" in toc
    assert "2 documents non joints" in toc
    assert "Ce que ce dossier ne contient pas" not in toc
    # The agenda, the sheets and the joined pages, in their places.
    assert "CONVOCATION ET ORDRE DU JOUR" in pages[1]
    assert "FICHE PROJET" in pages[a_sheet - 1] and A_TITLE in pages[a_sheet - 1]
    assert pages[a_plan - 1].startswith("PIECE-A 1")
    assert pages[a_plan].startswith("PIECE-A 2")
    assert pages[b_quote + 1].startswith("PIECE-B 3")
    assert reader.metadata.title == f"Dossier de séance — {meeting.title}"

    # A page shown turned is turned in its content: the stamp sits at the foot as read.
    turned = reader.pages[b_turned - 1]
    assert turned.rotation == 0
    assert float(turned.mediabox.width) < float(turned.mediabox.height)

    # At the end, what is not joined: a non-PDF and damaged PDFs, with their fingerprints.
    last = pages[-1]
    fingerprints = last.replace(" ", "")
    assert "Documents non joints" in last
    assert "Budget détaillé" in last and "budget.csv" in last and "30 octets" in last
    assert "Format CSV : non joint" in last
    assert "Devis endommagé" in last and "devis.pdf" in last
    assert "Devis de l'entreprise" in last
    assert last.count("PDF illisible") == 2
    for content in (CSV, BROKEN, PDF_BYTES):
        assert hashlib.sha256(content).hexdigest() in fingerprints
    assert A_PLAN not in last and B_QUOTE not in last


def test_the_pack_keeps_the_structure_of_its_own_parts(client_for, board):
    """Tagged (issue 10): the contents, the agenda, each sheet and the list are each a /Part of
    the document with their own structure; the joined documents' pages carry none."""
    response = client_for("coordinator").get(url(board["meeting"]))
    tagged = Tagged(content_of(response))
    reader, tree = tagged.reader, tagged.root["/StructTreeRoot"]
    assert str(tagged.root["/Lang"]).startswith("fr")
    assert_links_reach_their_pages(reader)
    assert tagged.root["/MarkInfo"]["/Marked"].value is True
    assert tagged.root["/ViewerPreferences"]["/DisplayDocTitle"].value is True

    parts = [kid.get_object() for kid in kids(tagged.document)]
    assert [kind_of(part) for part in parts] == ["Part"] * 5  # contents, agenda, 2 sheets, list
    for part in parts:
        headings = [e for e in structure(part) if HEADING.fullmatch(kind_of(e))]
        assert kind_of(headings[0]) == "H1" and [kind_of(h) for h in headings].count("H1") == 1
        assert part["/P"].get_object() is tagged.document

    # Each page of ours points into the one parent tree, whose elements point back to it; the
    # 6 pages of the joined PDFs carry no structure.
    nums = tree["/ParentTree"]["/Nums"]
    by_key = dict(zip(nums[::2], nums[1::2], strict=True))
    keys = [page["/StructParents"] for page in reader.pages if "/StructParents" in page]
    assert len(keys) == len(reader.pages) - 6
    assert len(set(keys)) == len(keys) and max(by_key) < tree["/ParentTreeNextKey"]
    for page in reader.pages:
        if "/StructParents" not in page:
            continue
        marked = [ref.get_object() for ref in by_key[page["/StructParents"]].get_object()]
        assert marked and all(
            e.raw_get("/Pg").idnum == page.indirect_reference.idnum for e in marked if "/Pg" in e
        )

    # Table headers keep unique identifiers across parts, which their cells name.
    headers = [str(th["/ID"]) for th in tagged.of_kind("TH")]
    assert headers and len(set(headers)) == len(headers)
    listed = tree["/IDTree"]["/Names"][::2]
    assert sorted(map(str, listed)) == sorted(headers)
    for table in tagged.of_kind("Table"):
        own = {str(th["/ID"]) for th in tagged.of_kind("TH", table)}
        for cell in tagged.of_kind("TD", table):
            assert {str(h) for h in cell["/A"]["/Headers"]} <= own


def pages_of(first: int, count: int) -> str:
    return str(first) if count == 1 else f"{first}–{first + count - 1}"


# --- who gets what (DESIGN §8) ----------------------------------------------------------------

# Who reads the meeting, and the projects whose sheet and documents they get.
ROLES = {
    "coordinator": {"a", "b"},
    "member": {"a", "b"},
    "partner": {"a", "b"},
    "lead": {"a"},  # reads the meeting through A, which they lead
    "third": {"b"},  # the lead of B
    "other_lead": set(),  # sits on the committee: the agenda, no project's details
}


@pytest.mark.parametrize(("who", "shown"), ROLES.items())
def test_each_reader_gets_the_projects_whose_details_they_see(users, seat, board, who, shown):
    pack = gather_pack(board["meeting"], Access(users[who]))
    keys = {board["a"].pk: "a", board["b"].pk: "b"}
    assert {keys[e.project.pk] for e in pack.included} == shown
    assert {keys[e.item.project_id] for e in pack.left_out} == {"a", "b"} - shown
    # Only the documents of the projects joined count, and are listed.
    assert {d.project_id for d in pack.documents} == {p for p, k in keys.items() if k in shown}


@pytest.mark.parametrize(("who", "shown"), [("lead", {"a"}), ("other_lead", set())])
def test_the_pack_leaves_out_what_the_reader_may_not_read_and_says_why(
    client_for, seat, board, who, shown
):
    client = client_for(who)
    reader = get_pack(client, board["meeting"])
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    toc = flat(reader.pages[0].extract_text())
    assert "CONVOCATION ET ORDRE DU JOUR" in text
    marks = {
        "a": ("PIECE-A 1", A_PLAN, "Budget détaillé"),
        "b": ("PIECE-B 1", B_QUOTE, "Plan tourné", "Devis de l'entreprise"),
    }
    for key, strings in marks.items():
        for string in strings:
            assert (string in text) is (key in shown), (key, string)
    # What is left out, by its agenda item (the agenda already shows it), and why.
    assert "Ce que ce dossier ne contient pas" in toc
    assert "réservés à son porteur, à la coordination et aux membres et partenaires" in toc
    assert f"Point 3 · {B_TITLE}" in toc
    assert (f"Point 1 · {A_TITLE}" in toc.split("ne contient pas")[1]) is ("a" not in shown)
    if shown:
        assert titles(outline(reader))[-1] == "Documents non joints"
    else:
        assert titles(outline(reader)) == ["Sommaire", "Ordre du jour"]
        agenda = page_count(client, f"/seances/{board['meeting'].pk}/ordre-du-jour.pdf")
        assert len(reader.pages) == 1 + agenda


@pytest.mark.parametrize(("who", "status"), [("stranger", 404), ("anonymous", 302)])
def test_strangers_get_404_and_anonymous_the_login_page(client_for, board, who, status):
    response = client_for(None if who == "anonymous" else who).get(url(board["meeting"]))
    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith("/connexion/?next=")
    assert not ReportJob.objects.exists()


def test_a_lead_of_no_examined_project_without_a_seat_gets_404(client_for, board):
    assert client_for("other_lead").get(url(board["meeting"])).status_code == 404


def test_the_file_is_named_after_the_meeting_and_sent_as_a_download(client_for, users, board):
    meeting = board["meeting"]
    meeting.convene(by=users["coordinator"])
    meeting.refresh_from_db()
    response = client_for("member").get(url(meeting))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dossier-de-seance-cotech-{meeting.number}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    text = pdf_text(content_of(response))
    assert "PIECE-A 1" in text and "PIECE-B 1" in text


def test_the_meeting_page_links_to_the_pack(client_for, board):
    page = client_for("partner").get(f"/seances/{board['meeting'].pk}/").content.decode()
    assert f'href="{url(board["meeting"])}">Dossier de séance (PDF)</a>' in page


# --- the background ---------------------------------------------------------------------------


def test_a_large_meeting_is_built_in_the_background(client_for, users, board, monkeypatch):
    monkeypatch.setattr(board_pack, "SYNC_PROJECTS", 0)
    meeting = board["meeting"]
    client = client_for("lead")
    response = client.get(url(meeting))
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rapports/generations/{job.pk}/"
    assert job.kind == ReportJob.Kind.BOARD_PACK
    assert (job.created_by, job.parameters["meeting"]) == (users["lead"], meeting.pk)
    # The immediate backend of the tests has already run the task.
    assert (job.status, job.progress) == (ReportJob.Status.DONE, 100)

    page = client.get(response["Location"]).content.decode()
    assert "Dossier de séance (PDF)" in page and "Le document est prêt" in page
    assert "Télécharger le dossier de séance" in page and "Filtres" not in page
    download = client.get(f"/rapports/generations/{job.pk}/fichier.pdf")
    assert download.status_code == 200
    assert "dossier-de-seance-cotech-projet.pdf" in download["Content-Disposition"]
    text = pdf_text(content_of(download))
    # Built for the lead who asked: their project, not the other one.
    assert "PIECE-A 1" in text and "PIECE-B 1" not in text
    assert "Ce que ce dossier ne contient pas" in text

    # The job is its requester's only, and follows the meeting: once the lead no longer reads
    # it, neither the job page nor the file.
    assert client_for("coordinator").get(response["Location"]).status_code == 404
    board["a"].lead_users.clear()
    assert client.get(url(meeting)).status_code == 404
    assert client.get(response["Location"]).status_code == 404
    assert client.get(f"/rapports/generations/{job.pk}/fichier.pdf").status_code == 404


def test_a_pack_over_the_request_budget_goes_to_the_background(
    client_for, board, settings, monkeypatch
):
    settings.PDF_BUDGET = {**settings.PDF_BUDGET, "pages": 3}
    response = client_for("coordinator").get(url(board["meeting"]))
    job = ReportJob.objects.get()
    assert response["Location"] == f"/rapports/generations/{job.pk}/"
    assert job.status == ReportJob.Status.DONE  # the worker renders without the budget
    # Asked again while under way: the same job.
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING)
    again = client_for("coordinator").get(url(board["meeting"]))
    assert again["Location"] == response["Location"]
    assert ReportJob.objects.count() == 1


def test_the_size_of_the_documents_decides_too(users, board, monkeypatch):
    pack = gather_pack(board["meeting"], Access(users["coordinator"]))
    assert pack.is_small
    monkeypatch.setattr(board_pack, "SYNC_BYTES", pack.documents_size - 1)
    assert not pack.is_small


def test_a_failed_build_is_recorded_with_a_french_message(client_for, board, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(board_pack, "SYNC_PROJECTS", 0)
    monkeypatch.setattr(board_pack, "render_board_pack", broken)
    response = client_for("coordinator").get(url(board["meeting"]))
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED
    assert "dossier de séance a échoué" in job.error and "boom" not in job.error
    assert "a échoué" in client_for("coordinator").get(response["Location"]).content.decode()


# --- bounded work -----------------------------------------------------------------------------


def test_gathering_runs_the_same_queries_whatever_the_number_of_projects(
    world, users, cotech, django_assert_max_num_queries
):
    coordinator = users["coordinator"]
    meeting = make_meeting(cotech)

    def examine(title: str) -> None:
        project = world.new_project(Stage.ELIGIBLE, title)
        FundingLineFactory(project=project, amount=project.total_cost)
        IndicatorFactory(project=project)
        Reserve.objects.create(project=project, text="Une réserve")
        make_document(project, coordinator, labelled_pdf("PIECE", 1))
        project.lead_users.add(users["other_lead"])
        meeting.add_project(project, by=coordinator)

    examine("Projet 1")
    with CaptureQueriesContext(connection) as few:
        gather_pack(meeting, Access(coordinator))
    for number in range(2, 8):
        examine(f"Projet {number}")
    with django_assert_max_num_queries(len(few)):
        pack = gather_pack(meeting, Access(coordinator))
    assert len(pack.included) == 7
    assert len(few) <= 25
    # Nothing more is read while the data is used (rows, documents, stage moves).
    with django_assert_max_num_queries(0):
        for examined in pack.included:
            project = examined.project
            list(project.funding_lines.all()), list(project.documents.all())
            list(project.reserves.all()), list(project.lead_users.all())
            assert examined.moves and examined.moves[0].stage_move
        assert pack.documents_size > 0


# --- what a joined PDF keeps, what a missing file gives -----------------------------------------


def test_joined_pages_lose_scripts_launches_and_attached_files():
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(595, 842)

    def annotation(subtype: str, **entries) -> DictionaryObject:
        made = DictionaryObject({NameObject("/Type"): NameObject("/Annot")})
        made[NameObject("/Subtype")] = NameObject(subtype)
        made[NameObject("/Rect")] = ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)])
        for key, value in entries.items():
            made[NameObject(f"/{key}")] = value
        return made

    def action(kind: str, **entries) -> DictionaryObject:
        made = DictionaryObject({NameObject("/S"): NameObject(kind)})
        for key, value in entries.items():
            made[NameObject(f"/{key}")] = value
        return made

    page[NameObject("/Annots")] = ArrayObject(
        [
            annotation("/Link", A=action("/JavaScript", JS=TextStringObject("app.alert(1)"))),
            annotation("/Link", A=action("/Launch", F=TextStringObject("calc.exe"))),
            annotation("/FileAttachment", Contents=TextStringObject("malware")),
            annotation("/Link", A=action("/URI", URI=TextStringObject("https://example.org/"))),
        ]
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): action("/JavaScript")})
    output = io.BytesIO()
    writer.write(output)

    reader, note = pdf_merge.clean_pdf(output.getvalue())
    assert note == ""
    cleaned = reader.pages[0]
    assert "/AA" not in cleaned
    kept = [a.get_object() for a in cleaned["/Annots"]]
    assert [(a["/Subtype"], a["/A"]["/S"]) for a in kept] == [("/Link", "/URI")]


def test_a_file_missing_from_the_storage_is_listed(users, project):
    document = make_document(project, users["coordinator"], labelled_pdf("PIECE", 1))
    document.file.storage.delete(document.file.name)
    attachment = annexes.read_attachment(document)
    assert (attachment.part, attachment.note, attachment.sha256) == (None, annexes.MISSING, "")
    assert pdf_merge.clean_pdf(b"")[1] == pdf_merge.UNREADABLE
