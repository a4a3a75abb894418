"""The import of the territory's table of projects, for its coordination: upload, columns,
preview, import and its outcome; and the model table to download.

Each step reads the import back from the database (the user's own, of a territory they
coordinate; another's answers 404 as a missing one): the file never leaves the server and no
step takes a path or a plan from the browser, only the choices of columns and organisations.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from tdi.downloads import disposition
from tdi.http import forbid_unless

from ..forms.imports import ImportMappingForm, ImportOrganisationsForm, ImportUploadForm
from ..imports import (
    SYNC_ROWS,
    XLSX_TYPE,
    Unreadable,
    build_plan,
    model_table,
    start_import,
)
from ..imports.plan import CREATE, REFUSED, UNCHANGED, UPDATE
from ..models import ImportStatus, Project, ProjectImport, Territory

logger = logging.getLogger(__name__)

FORBIDDEN = "Seule la coordination du territoire peut importer un tableau de projets."
SHOWN_ROWS = 200  # rows listed per kind in the preview; the others are counted


def coordinated_territory(request: HttpRequest) -> Territory:
    """The territory the user works in, if they coordinate it (403 with the reason)."""
    if request.territory is None:
        raise Http404("Aucun territoire")
    forbid_unless(request.access.manages(request.territory.pk), FORBIDDEN)
    return request.territory


def own_import(request: HttpRequest, pk: int) -> ProjectImport:
    """The user's own import, of a territory they still coordinate; another's is a 404."""
    imp = get_object_or_404(
        ProjectImport.objects.select_related("territory", "job"), pk=pk, created_by=request.user
    )
    forbid_unless(request.access.manages(imp.territory_id), FORBIDDEN)
    return imp


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    territory = coordinated_territory(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            imp = form.save(territory=territory, user=request.user)
            return redirect("projects:import_columns", imp.pk)
    else:
        form = ImportUploadForm()
    recent = ProjectImport.objects.filter(territory=territory, created_by=request.user)[:10]
    return render(
        request,
        "projects/import_start.html",
        {"form": form, "recent": recent, "territory": territory},
    )


@require_GET
def import_model(request: HttpRequest) -> HttpResponse:
    """The model table: empty, or (?projets=1) filled with the territory's projects."""
    territory = coordinated_territory(request)
    filled = request.GET.get("projets") == "1"
    projects = Project.objects.filter(territory=territory, is_archived=False) if filled else None
    name = f"projets-{territory.prefix.lower()}" if filled else "modele-tableau-projets"
    response = HttpResponse(
        model_table(projects),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition(f"{name}.xlsx")},
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def import_columns(request: HttpRequest, pk: int) -> HttpResponse:
    imp = own_import(request, pk)
    if not imp.is_open:
        return redirect(imp)
    if request.method == "POST":
        form = ImportMappingForm(request.POST, imp=imp)
        if form.is_valid():
            imp.mapping, imp.mapping_confirmed = form.mapping(), True
            imp.save(update_fields=["mapping", "mapping_confirmed"])
            return redirect("projects:import_preview", imp.pk)
    else:
        form = ImportMappingForm(imp=imp)
    return render(request, "projects/import_columns.html", {"imp": imp, "form": form})


@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    imp = own_import(request, pk)
    if not imp.is_open:
        return redirect(imp)
    if not imp.mapping_confirmed:
        return redirect("projects:import_columns", imp.pk)
    try:
        plan = build_plan(imp)
    except Unreadable as refused:
        return render(
            request, "projects/import_preview.html", {"imp": imp, "unreadable": refused.message}
        )
    data = request.POST if request.method == "POST" else None
    organisations = ImportOrganisationsForm(data, imp=imp, unknown=plan.unknown)
    if request.method == "POST" and organisations.is_valid():
        chosen = organisations.resolutions(imp.resolutions)
        if chosen != imp.resolutions:
            imp.resolutions = chosen
            imp.save(update_fields=["resolutions"])
        if "importer" not in request.POST:
            return redirect("projects:import_preview", imp.pk)
        return run(request, imp)
    counts = plan.counts
    context = {
        "imp": imp,
        "counts": counts,
        "to_import": counts[CREATE] + counts[UPDATE],
        "sections": [
            ("refused", "Lignes refusées", plan.of(REFUSED)[:SHOWN_ROWS], counts[REFUSED]),
            ("create", "Projets à créer", plan.of(CREATE)[:SHOWN_ROWS], counts[CREATE]),
            ("update", "Projets à mettre à jour", plan.of(UPDATE)[:SHOWN_ROWS], counts[UPDATE]),
        ],
        "unchanged": counts[UNCHANGED],
        "warned": [row for row in plan.rows if row.warnings][:SHOWN_ROWS],
        "organisations": organisations,
        "background": imp.row_count > SYNC_ROWS,
    }
    return render(request, "projects/import_preview.html", context)


def run(request: HttpRequest, imp: ProjectImport) -> HttpResponse:
    try:
        start_import(imp, by=request.user)
    except Unreadable as refused:
        messages.error(request, refused.message)
        return redirect("projects:import_preview", imp.pk)
    except (ValidationError, DatabaseError):
        logger.exception("Échec de l'import de projets n° %s", imp.pk)
        messages.error(
            request,
            "L'import a échoué et rien n'a été enregistré (un projet a peut-être changé "
            "entre-temps). Relisez l'aperçu et relancez l'import.",
        )
        return redirect("projects:import_preview", imp.pk)
    imp.refresh_from_db()
    if imp.status == ImportStatus.DONE:
        summary = imp.summary
        messages.success(
            request,
            f"Import terminé : {summary['created']} projet(s) créé(s), {summary['updated']} mis "
            f"à jour, {summary['refused']} ligne(s) refusée(s).",
        )
    return redirect("projects:import_result", imp.pk)


@require_GET
@vary_on_headers("HX-Request")
def import_result(request: HttpRequest, pk: int) -> HttpResponse:
    """What the import did; while a worker imports it, htmx polls the status fragment."""
    imp = own_import(request, pk)
    if imp.is_open:
        return redirect(imp)
    job = imp.job
    if job is not None and job.is_abandoned:  # its worker died: taken up again, or failed
        job.recover()
    stale = (
        not imp.is_finished
        and job is not None
        and (job.is_stale or job.status == job.Status.FAILED)
    )
    context = {
        "imp": imp,
        "job": job,
        "stale": stale,
        "summary": imp.summary,
        "now": timezone.now(),
    }
    template = "projects/import_result.html"
    if request.htmx:
        template += "#import-status"
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response
