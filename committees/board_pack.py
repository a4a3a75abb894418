"""The board pack of a meeting (/seances/<id>/dossier.pdf): what a committee member reads before
the meeting, as one PDF.

A table of contents, the agenda, then for each examined project its sheet and its PDF
documents, and at the end the list of the documents that could not be joined (not PDF, or a PDF
that pypdf cannot read), with their SHA-256. Bookmarks follow the same parts, and every page is
stamped « page N / M » of the whole pack. The pack is tagged: the structure trees of its own
parts (contents, agenda, sheets, list) are kept, each a /Part of the document (tdi.pdf_merge);
the joined documents' pages are copied untagged.

What a reader gets is what DESIGN §8 lets them read: the pack is open to whoever reads the
meeting (as its agenda PDF), and a project's sheet and documents are joined only where the
reader sees its details (`Access.sees_details`); the table of contents says what is left out and
why, naming only the agenda item, which the agenda already shows them.

Uploaded files are read through the documents' storage, by the name the database holds. A
joined PDF is copied page by page into a new file (never its catalogue: no embedded files, no
document scripts) and its pages lose their scripted actions, since the pack carries pages
written by users.

A small meeting's pack is built in the request, within the PDF budget; a large one (or one that
runs over the budget) by the `build_board_pack` task, as the portfolio report is (ReportJob).
"""

from __future__ import annotations

import io
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from pypdf.constants import PageLabelStyle

from projects.access import Access, Right
from projects.annexes import Attachment, read_attachment
from projects.history import Entry
from projects.models import (
    Document,
    Project,
    ReportJob,
    Stage,
)
from projects.views.lookup import with_rows_of
from tdi.pdf import TOO_LONG, PdfBudgetExceeded, render_pdf
from tdi.pdf_merge import Part, join, stamp

from .documents import meeting_context
from .models import AgendaItem, Meeting

logger = logging.getLogger(__name__)

# Up to this many projects joined and this size of documents, the pack is built in the request
# (measured on the demo data: a COTECH of 4 projects with 4 PDFs, 26 pages ≈ 2.7 s); beyond,
# in the background.
SYNC_PROJECTS = 5
SYNC_BYTES = 20 * 1024 * 1024
# The last stage moves a sheet shows, as /projets/<id>/fiche.pdf does.
SHEET_MOVES = 10
# Layouts of the table of contents tried (its own length moves the page numbers it prints).
TOC_ATTEMPTS = 4
AGENDA = "committees/meeting_agenda_pdf.html"
SHEET = "projects/project_sheet_pdf.html"
TOC = "committees/board_pack_toc.html"
LIST = "committees/board_pack_list.html"
FAILURE_MESSAGE = (
    "La préparation du dossier de séance a échoué. Réessayez ; si l'échec se répète, "
    "signalez-le à l'administrateur de la plateforme."
)
Progress = Callable[[int], None]


# --- what the pack holds ----------------------------------------------------------------------


@dataclass
class Examined:
    """A project examined at the meeting: with its rows when the reader sees its details."""

    item: AgendaItem
    project: Project | None = None
    moves: list[Entry] = field(default_factory=list)
    sheet: Part | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def joined(self) -> list[Attachment]:
        return [a for a in self.attachments if a.part is not None]

    @property
    def listed(self) -> list[Attachment]:
        return [a for a in self.attachments if a.part is None]


@dataclass
class BoardPack:
    """The data of a meeting's pack for one reader (gather_pack), then its parts as rendered."""

    meeting: Meeting
    access: Access
    agenda: dict
    examined: list[Examined]
    agenda_part: Part | None = None
    list_part: Part | None = None
    toc_part: Part | None = None

    @property
    def included(self) -> list[Examined]:
        return [e for e in self.examined if e.project is not None]

    @property
    def left_out(self) -> list[Examined]:
        return [e for e in self.examined if e.project is None]

    @property
    def documents(self) -> list[Document]:
        return [d for e in self.included for d in e.project.documents.all()]

    @property
    def documents_size(self) -> int:
        return sum(d.size for d in self.documents)

    @property
    def is_small(self) -> bool:
        """Small enough to be built within a request."""
        return len(self.included) <= SYNC_PROJECTS and self.documents_size <= SYNC_BYTES

    @property
    def listed(self) -> list[Attachment]:
        return [a for e in self.included for a in e.listed]

    @property
    def file_name(self) -> str:
        return file_name(self.meeting)


def file_name(meeting: Meeting) -> str:
    short = meeting.committee.short_name.lower()
    return f"dossier-de-seance-{short}-{meeting.number or 'projet'}.pdf"


# --- the data, in a bounded number of queries -------------------------------------------------


def gather_pack(meeting: Meeting, access: Access) -> BoardPack:
    """The agenda, the examined projects whose details the reader sees (with their rows and
    documents) and their last stage moves, in a number of queries that does not grow with the
    number of projects. Nothing is read from the storage here."""
    access = Access.of(access)
    agenda = meeting_context(meeting)
    examined, seen = [], set()
    for item in agenda["items"]:
        if item.project_id is None or item.project_id in seen:
            continue
        seen.add(item.project_id)
        examined.append(Examined(item=item))
    shown = [e.item.project_id for e in examined if access.sees_details(e.item.project)]
    projects = {p.pk: p for p in with_rows_of(Project.objects.filter(pk__in=shown))}
    moves = stage_moves(list(projects))
    for entry in examined:
        entry.project = projects.get(entry.item.project_id)
        entry.moves = moves.get(entry.item.project_id, [])
    return BoardPack(meeting=meeting, access=access, agenda=agenda, examined=examined)


def stage_moves(project_ids: list[int]) -> dict[int, list[Entry]]:
    """The last stage moves of each project, newest first, as its sheet shows them (the stage
    moves of `projects.history.project_timeline`), for all the projects in one query."""
    rows = defaultdict(list)
    history = (
        Project.history.filter(id__in=project_ids)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    for row in history:
        rows[row.id].append(row)
    moves = {}
    for project_id, records in rows.items():
        entries = [
            Entry(
                date=new.history_date,
                user=new.history_user,
                reason=new.history_change_reason or "",
                subject="Projet",
                action="changed",
                stage_move=(Stage(old.stage).label, Stage(new.stage).label),
                record=new,
                cause=new.history_cause,
            )
            for old, new in pairwise(records)
            if old.stage != new.stage and new.history_type != "-"
        ]
        entries.reverse()
        moves[project_id] = entries[:SHEET_MOVES]
    return moves


# --- the pack as PDF -------------------------------------------------------------------------------


class Deadline:
    """What one request may spend on the whole pack (PDF_BUDGET seconds and pages); each part
    of our own is also rendered within the budget by render_pdf. None for the background."""

    def __init__(self, budget: bool) -> None:
        limits = settings.PDF_BUDGET if budget else {}
        self.seconds = limits.get("seconds")
        self.pages = limits.get("pages")
        self.ends = time.monotonic() + self.seconds if self.seconds else None

    def check(self, pages: int = 0) -> None:
        if self.ends is not None and time.monotonic() > self.ends:
            raise PdfBudgetExceeded(TOO_LONG.format(what=f"plus de {self.seconds:.0f} secondes"))
        if self.pages is not None and pages > self.pages:
            raise PdfBudgetExceeded(TOO_LONG.format(what=f"{pages} pages"))


def render_board_pack(
    pack: BoardPack, *, budget: bool = True, progress: Progress | None = None
) -> bytes:
    """The pack as PDF bytes (`budget`: within a request, else PdfBudgetExceeded);
    `progress` is called with a percentage as the work goes on."""
    report = progress or (lambda _percent: None)
    deadline = Deadline(budget)
    pack.agenda_part = Part.of(render_pdf(AGENDA, {**pack.agenda, "joined": True}, budget=budget))
    report(15)
    for index, examined in enumerate(pack.included, start=1):
        deadline.check()
        examined.sheet = Part.of(render_pdf(SHEET, sheet_context(pack, examined), budget=budget))
        examined.attachments = [read_attachment(d) for d in examined.project.documents.all()]
        report(15 + 65 * index // len(pack.included))
    deadline.check(pages=sum(part.count for part in parts(pack)))
    if pack.listed:
        pack.list_part = Part.of(render_pdf(LIST, pack_context(pack), budget=budget))
    lay_out_contents(pack, budget=budget)
    deadline.check(pages=total_pages(pack))
    report(85)
    pdf = merge(pack)
    report(95)
    return pdf


def sheet_context(pack: BoardPack, examined: Examined) -> dict:
    """The context of /projets/<id>/fiche.pdf, for this reader."""
    project = examined.project
    return {
        "project": project,
        "territory": project.territory,
        "moves": examined.moves,
        "access": pack.access,
        "generated_at": timezone.localdate(),
        "joined": True,
    }


def parts(pack: BoardPack) -> list[Part]:
    """The parts after the table of contents, in order."""
    found = [pack.agenda_part]
    for examined in pack.included:
        found.append(examined.sheet)
        found.extend(a.part for a in examined.joined)
    if pack.list_part is not None:
        found.append(pack.list_part)
    return found


def total_pages(pack: BoardPack) -> int:
    toc = pack.toc_part.count if pack.toc_part else 1
    return toc + sum(part.count for part in parts(pack))


def number_parts(pack: BoardPack, toc_pages: int) -> None:
    page = toc_pages + 1
    for part in parts(pack):
        part.first = page
        page += part.count


def lay_out_contents(pack: BoardPack, *, budget: bool) -> None:
    """Render the table of contents with the page numbers of the parts after it: laid out
    again while its own length moves them."""
    toc_pages = 1
    for _attempt in range(TOC_ATTEMPTS):
        number_parts(pack, toc_pages)
        context = pack_context(pack, total=toc_pages + sum(p.count for p in parts(pack)))
        pack.toc_part = Part.of(render_pdf(TOC, context, budget=budget))
        if pack.toc_part.count == toc_pages:
            return
        toc_pages = pack.toc_part.count
    raise RuntimeError("La table des matières du dossier ne se stabilise pas.")


def pack_context(pack: BoardPack, total: int = 0) -> dict:
    meeting = pack.meeting
    user = pack.access.user
    return {
        "pack": pack,
        "meeting": meeting,
        "committee": meeting.committee,
        "territory": meeting.committee.territory,
        "total_pages": total,
        "reader": user.get_full_name() or user.get_username(),
        "left_out_reason": pack.access.why_not(Right.DETAILS),
        "generated_at": timezone.now(),
        "document_date": timezone.now(),
        "joined": True,
    }


def merge(pack: BoardPack) -> bytes:
    """The parts as one tagged file, with bookmarks, page labels and the stamp on every page."""
    meeting = pack.meeting
    writer = join(
        [pack.toc_part, *parts(pack)],
        title=f"Dossier de séance — {meeting.title}",
        author=f"Territoire d’industrie {meeting.committee.territory.name}",
    )
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        stamp(page, f"Dossier de séance · page {number} / {total}")
    writer.set_page_label(0, total - 1, PageLabelStyle.DECIMAL, start=1)

    def bookmark(title: str, part: Part, parent=None):
        return writer.add_outline_item(title=title, page_number=part.first - 1, parent=parent)

    bookmark("Sommaire", pack.toc_part)
    bookmark("Ordre du jour", pack.agenda_part)
    for examined in pack.included:
        project = examined.project
        title = f"{examined.item.order}. {project.title} ({project.reference})"
        parent = bookmark(title, examined.sheet)
        bookmark("Fiche projet", examined.sheet, parent)
        for attachment in examined.joined:
            bookmark(f"Document : {attachment.document.title}", attachment.part, parent)
    if pack.list_part is not None:
        bookmark("Documents non joints", pack.list_part)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# --- the background task -----------------------------------------------------------------------


def start_job(meeting: Meeting, user) -> ReportJob:
    """The pack in the background: the user's job still under way for this meeting, or a new
    one."""
    parameters = {
        "meeting": meeting.pk,
        # The job page shows this as the scope of the document.
        "territory_names": [f"{meeting.title} — {meeting.committee.territory.name}"],
        "file_name": file_name(meeting),
    }
    return ReportJob.ask(ReportJob.Kind.BOARD_PACK, user, parameters)


@task
def build_board_pack(job_id: int) -> None:
    """Produce the pack of a ReportJob for the user who asked, and store it."""
    job = ReportJob.objects.select_related("created_by").get(pk=job_id)
    if not job.start():
        return  # finished, or another worker has it
    try:
        with job.alive():
            access = Access.of(job.created_by)
            # Read again as the user may read it now: a meeting they lost is not built.
            meeting = (
                Meeting.objects.visible_to(access)
                .select_related("committee", "committee__territory")
                .get(pk=job.parameters["meeting"])
            )
            pack = gather_pack(meeting, access)
            job.advance(10)
            pdf = render_board_pack(pack, budget=False, progress=job.advance)
        job.store(pdf, f"dossier-de-seance-{job.pk}.pdf")
    except PdfBudgetExceeded as too_large:  # the document itself is the problem: no retry
        job.fail(too_large.message)
    except Exception:
        logger.exception("Échec de la préparation du dossier de séance n° %s", job_id)
        job.fail(FAILURE_MESSAGE)
        raise
