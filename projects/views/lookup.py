"""How a view reaches a project: only one the request may see (404 otherwise, as for a missing
id), with its rows loaded in a fixed number of queries."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from tdi.http import forbid_unless

from ..access import Right
from ..models import Document, FundingLine, Project, Reserve


def visible_projects(request: HttpRequest):
    return Project.objects.visible_to(request.access)


def get_project(request: HttpRequest, pk: int, *, details: bool = False) -> Project:
    """The project if the user may see it (otherwise 404, exactly as for a missing id); with
    `details`, 403 unless they may also read its funding plan, documents and history."""
    queryset = visible_projects(request).select_related("territory", "lead_organisation", "epci")
    project = get_object_or_404(queryset, pk=pk)
    if details:
        forbid_unless(request.access.sees_details(project), request.access.why_not(Right.DETAILS))
    return project


def edit_mode_or_403(request: HttpRequest, project: Project) -> str:
    """How the user may edit the project ('full', 'progress'), or a 403 that says why not."""
    mode = request.access.edit_mode(project)
    if mode is None:
        raise PermissionDenied(request.access.why_not_edit(project))
    return mode


def with_rows_of(projects):
    """The projects with their people, funding plan, indicators, milestones, documents and
    reserves (the sheet's rows), in a fixed number of queries."""
    return projects.select_related("territory", "lead_organisation", "epci").prefetch_related(
        "lead_users",
        "partners",
        Prefetch("funding_lines", FundingLine.objects.select_related("funder")),
        "indicators",
        "milestones",
        Prefetch("documents", Document.objects.select_related("uploaded_by")),
        Prefetch(
            "reserves",
            Reserve.objects.select_related(
                "owner", "lifted_by", "proof_document", "proposed_by", "proposed_document"
            ),
        ),
    )


def with_rows(project: Project) -> Project:
    """The project again, with its rows (with_rows_of)."""
    return with_rows_of(Project.objects.filter(pk=project.pk)).get()
