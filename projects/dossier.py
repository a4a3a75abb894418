"""The application dossier as PDF: cover, contents, sections, portfolio, project sheets, annex."""

from __future__ import annotations

from django.utils import timezone

from tdi.pdf import official_html, render_pdf

from .models import Application

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
        "totals": Application.totals(projects),
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
