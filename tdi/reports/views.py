"""The pages and files of the read side: the dashboard, the reports page, the portfolio PDF and
the page of a document produced in the background. Each reads what it covers through
ReportScope; the exports, open data and the decisions register have their own modules."""

from __future__ import annotations

import mimetypes
from datetime import date

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from committees.models import AgendaItem, CommitteeMember, Meeting
from projects.models import Project, ReportJob
from tdi.downloads import attachment
from tdi.pdf import pdf_response

from . import document
from .charts import figure_charts
from .data import by_territory_and_region, key_figures
from .document import file_name, filter_labels, render_portfolio_pdf
from .scope import InvalidReport, ReportScope
from .todo import todo_for

# Funders listed by name under the chart; the others are added up on one line.
FUNDERS_SHOWN = 20
# Territories per page of the summary of a report covering several.
TERRITORIES_PER_PAGE = 25


def figures_context(scope: ReportScope) -> dict:
    if scope.single is None:  # several territories: summed up, no project listed
        rows, figures = [], scope.sums()[0]
    else:
        rows = scope.rows()
        figures = key_figures(rows)
    funders = figures["by_funder"]
    return {
        "form": scope.form,
        "territories": scope.territories,
        "single": scope.single,
        "as_of": scope.as_of,
        "rows": rows,
        "figures": figures,
        "charts": figure_charts(figures),
        "funders_shown": funders[:FUNDERS_SHOWN],
        "funders_more": len(funders[FUNDERS_SHOWN:]),
    }


def summaries(scope: ReportScope, page_number) -> dict:
    """A report of several territories shows them summed up, by region and by territory (a
    page at a time), never every project of the country."""
    by_territory, by_region = by_territory_and_region(
        sorted(scope.territories, key=lambda t: (t.region, t.name)), scope.sums()[1]
    )
    page = Paginator(by_territory, TERRITORIES_PER_PAGE).get_page(page_number)
    return {"by_region": by_region, "territory_page": page}


def status_of(scope: ReportScope) -> int:
    """A page shows bad filters next to the form, with the status every report answers."""
    return 400 if scope.errors else 200


@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    access = request.access
    if request.territory is None and not access.reports_nationally:
        return render(request, "reports/dashboard.html", {})
    scope = ReportScope.from_request(request)
    context = figures_context(scope)
    if request.htmx:
        return render(request, "reports/dashboard.html#figures", context, status=status_of(scope))
    user = request.user
    territory_ids = [t.pk for t in scope.territories]
    meetings = (
        Meeting.objects.visible_to(access)
        .filter(committee__territory_id__in=territory_ids, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .order_by("starts_at")
    )
    if not access.manages(request.territory.pk if request.territory else None):
        # "Mes prochaines séances": those of the committees I sit on, or examining my projects.
        # Two semi-joins rather than one DISTINCT over every agenda item (17 ms → 1 ms at
        # national size).
        meetings = meetings.filter(
            Q(
                committee__in=CommitteeMember.objects.filter(user=user, is_active=True).values(
                    "committee"
                )
            )
            | Q(pk__in=AgendaItem.objects.filter(project__lead_users=user).values("meeting"))
        )
    # « À faire »: what the user's roles call for in the territories shown; the lines that
    # someone else handles (reserves and actions past due) are listed apart, for information.
    todo = todo_for(access, scope.territories)
    context.update(
        mine=Project.objects.visible_to(access)
        .active()
        .filter(lead_users=user, territory_id__in=territory_ids)
        .order_by("-updated_at")[:10],
        meetings=meetings[:6],
        todo=[line for line in todo if not line.informative],
        for_information=[line for line in todo if line.informative],
    )
    return render(request, "reports/dashboard.html", context, status=status_of(scope))


@require_GET
@vary_on_headers("HX-Request")
def reports(request: HttpRequest) -> HttpResponse:
    scope = ReportScope.from_request(request)
    context = {**figures_context(scope), "query": request.GET.urlencode()}
    if scope.single is None:
        context.update(summaries(scope, request.GET.get("page")))
        kept = request.GET.copy()
        kept.pop("page", None)
        context["page_query"] = kept.urlencode()
        kept.pop("territoire", None)  # a territory's line opens its own report
        context["drill_query"] = kept.urlencode()
    template = "reports/reports.html#report" if request.htmx else "reports/reports.html"
    return render(request, template, context, status=status_of(scope))


@require_GET
def portfolio_pdf(request: HttpRequest) -> HttpResponse:
    """The portfolio PDF: at once for a territory of ordinary size, else in the background."""
    try:
        scope = ReportScope.from_request(request).check()
    except InvalidReport as error:
        return error.response()
    territories, national, as_of = scope.territories, scope.national, scope.as_of
    name = file_name(territories, national, as_of)
    size = Project.objects.filter(territory__in=territories, is_archived=False).count()
    if national or len(territories) > 1 or size > document.SYNC_LIMIT:
        parameters = scope.job_parameters(name)
        return redirect(ReportJob.ask(ReportJob.Kind.PORTFOLIO, request.user, parameters))
    filters = scope.job_parameters(name)["filters"]
    pdf = render_portfolio_pdf(territories, as_of=as_of, filters=filters, user=request.user)
    return pdf_response(pdf, name, **{"Cache-Control": "private, no-store"})


# --- documents produced in the background -----------------------------------------------------


def own_job(request: HttpRequest, pk: int) -> ReportJob:
    """The user's own job; another user's answers 404, exactly as a missing one. A meeting's
    board pack also follows its meeting: once the user no longer reads it, neither its job."""
    job = get_object_or_404(ReportJob, pk=pk, created_by=request.user)
    if job.kind == ReportJob.Kind.BOARD_PACK:
        meetings = Meeting.objects.visible_to(request.access)
        if not meetings.filter(pk=job.parameters.get("meeting")).exists():
            raise Http404("Aucune génération de document ne correspond.")
    return job


@require_GET
@vary_on_headers("HX-Request")
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a background document; htmx polls the status fragment until it ends."""
    job = own_job(request, pk)
    if job.kind == ReportJob.Kind.PROJECT_IMPORT:  # an import shows its progress on its own page
        return redirect("projects:import_result", pk=job.parameters["import"])
    if job.is_abandoned:  # its worker died: taken up again (or failed, after three tries)
        job.recover()
    file_size = None
    if job.status == ReportJob.Status.DONE and job.file:
        try:
            file_size = job.file.size
        except FileNotFoundError:
            file_size = None
    as_of = job.parameters.get("as_of")
    context = {
        "job": job,
        "file_size": file_size,
        "file_format": "XLSX" if job.kind == ReportJob.Kind.EXPORT_XLSX else "PDF",
        # A job that never ends (a stopped worker): stop polling and say so.
        "stale": job.is_stale,
        "territory_names": job.parameters.get("territory_names", []),
        "as_of": date.fromisoformat(as_of) if as_of else None,
        "filters": filter_labels(job.parameters.get("filters", {})),
    }
    template = "reports/report_job.html"
    if request.htmx:
        template += "#job-status"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def report_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = own_job(request, pk)
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404("Le document n'est pas encore prêt.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("Fichier introuvable.") from missing
    name = job.parameters.get("file_name") or f"portefeuille-{job.pk}.pdf"
    return attachment(handle, name, mimetypes.guess_type(name)[0] or "application/pdf")
