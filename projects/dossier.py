"""The application dossier as PDF: cover, contents, sections, portfolio, project sheets, annex,
the list of attachments; once submitted, followed by the attachments that are PDFs.

At submission every attachment is read (`pin_annexes`): its stored name, SHA-256 and, for a
readable PDF, its number among the annexes and its pages are pinned in the snapshot, so that
the dossier lists them as they were. The worker then prints the dossier and joins the pinned
PDFs after it (`bundle`), each bookmarked and stamped « annexe n · page i / m »: the bundle is
the file archived and fingerprinted. A stored name is never written over (a replaced document
gets a new one), and the bundle checks each file against its pinned SHA-256.

A dossier without PDF attachments stays PDF/A-3a. With them, the bundle keeps the dossier's
structure tree but does not claim PDF/A: uploaded pages are copied as they come, and nothing
here can vouch for their fonts and colours.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.utils import timezone

from tdi.pdf import official_html, render_pdf
from tdi.pdf_merge import Part, join, keep_outline, stamp

from .annexes import read_file

if TYPE_CHECKING:
    from .models import Application


class AnnexChanged(Exception):
    """A pinned attachment no longer reads as it did at submission."""


TEMPLATE = "projects/application_dossier_pdf.html"


def dossier_context(application: Application, *, final: bool) -> dict:
    """Live data for a draft; the snapshot taken at submission for the submitted dossier."""
    projects = application.project_data()
    if application.snapshot is not None:
        sections = application.snapshot["sections"]
    else:
        sections = [
            {"key": s.key, "title": s.title, "text": text} for s, text in application.section_rows()
        ]
    return {
        "application": application,
        "call": application.call,
        "territory": application.territory,
        "sections": sections,
        "projects": projects,
        "totals": application.totals(projects),
        "final": final,
        "content_sha256": application.content_sha256 if final else "",
        "generated_at": application.submitted_at if final else timezone.now(),
        "document_date": application.submitted_at if final else None,
    }


def dossier_html(application: Application, *, final: bool) -> str:
    """The HTML whose SHA-256 the submitted dossier prints (computed before it is printed)."""
    return official_html(TEMPLATE, dossier_context(application, final=final))


def render_dossier_pdf(application: Application, *, final: bool) -> bytes:
    return render_pdf(TEMPLATE, dossier_context(application, final=final), archival=final)


def pin_annexes(projects: list[dict]) -> None:
    """Read each attachment of the projects' data (in a snapshot being taken): its SHA-256,
    and for a readable PDF its number among the annexes and its pages, else why it is listed."""
    number = 0
    for data in projects:
        for document in data["documents"]:
            read = read_file(document["file"], document["content_type"])
            document.update(sha256=read.sha256, note=read.note, annex=0, pages=0)
            if read.part is not None:
                number += 1
                document.update(annex=number, pages=read.part.count)


def annexes_of(application: Application) -> list[tuple[dict, dict]]:
    """(document, project data) of each PDF annex pinned at submission, in order."""
    projects = (application.snapshot or {}).get("projects", [])
    return [(d, data) for data in projects for d in data["documents"] if d.get("annex")]


def bundle(application: Application, pdf: bytes) -> bytes:
    """The printed dossier followed by its PDF annexes, as pinned at submission."""
    annexes = annexes_of(application)
    if not annexes:
        return pdf
    dossier = Part.of(pdf)
    parts = [dossier]
    for document, _data in annexes:
        read = read_file(document["file"], document["content_type"])
        if read.part is None or read.sha256 != document["sha256"]:
            raise AnnexChanged(
                f"L'annexe {document['annex']} ({document['file']}) ne se lit plus comme au dépôt."
            )
        parts.append(read.part)
    writer = join(
        parts,
        title=str(dossier.reader.metadata.title or application.title),
        author=str(dossier.reader.metadata.author or ""),
    )
    keep_outline(writer, dossier)
    heading = writer.add_outline_item(title="Annexes", page_number=parts[1].first - 1)
    for (document, data), part in zip(annexes, parts[1:], strict=True):
        number = document["annex"]
        writer.add_outline_item(
            title=f"Annexe {number} — {data['reference']} — {document['title']}",
            page_number=part.first - 1,
            parent=heading,
        )
        for index in range(part.count):
            stamp(
                writer.pages[part.first - 1 + index],
                f"Dossier de candidature · annexe {number} · page {index + 1} / {part.count}",
            )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
