"""Site-wide pages that bring the apps together: the dashboard and the reports page."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from committees.models import Meeting
from projects.models import Project
from projects.reports import key_figures, portfolio, report_scope
from projects.views import htmx_vary

from .charts import bar_chart
from .todo import todo_for


def charts(figures: dict) -> dict:
    return {
        "stages": bar_chart(
            "Projets par étape", [(s["label"], s["count"]) for s in figures["by_stage"]]
        ),
        "axes": bar_chart(
            "Investissement par axe",
            [(a["label"], a["cost"]) for a in figures["by_axis"]],
            money=True,
        ),
        "funders": bar_chart(
            "Financements par financeur (hors refus)",
            [(f["funder"], f["total"]) for f in figures["by_funder"][:10]],
            money=True,
        ),
    }


def figures_context(request: HttpRequest, *, with_date: bool) -> dict:
    territories, form = report_scope(request)
    as_of = form.cleaned_data.get("date") if with_date and form.is_valid() else None
    rows = portfolio(territories, as_of=as_of, access=request.access, **form.portfolio_filters())
    figures = key_figures(rows)
    query = request.GET.urlencode()
    return {
        "form": form,
        "territories": territories,
        "as_of": as_of,
        "rows": rows,
        "figures": figures,
        "charts": charts(figures),
        "query": query,
    }


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    access = request.access
    if request.territory is None and not access.reports_nationally:
        return render(request, "dashboard.html", {})
    context = figures_context(request, with_date=True)
    if request.htmx:
        return htmx_vary(render(request, "dashboard.html#figures", context))
    user = request.user
    territory_ids = [t.pk for t in context["territories"]]
    meetings = (
        Meeting.objects.visible_to(access)
        .filter(committee__territory_id__in=territory_ids, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .order_by("starts_at")
    )
    if not access.manages(request.territory.pk if request.territory else None):
        # "Mes prochaines séances": those of the committees I sit on, or examining my projects.
        meetings = meetings.filter(
            Q(committee__members__user=user, committee__members__is_active=True)
            | Q(items__project__lead_users=user)
        ).distinct()
    # « À faire »: what the user's roles call for in the territories shown; the lines that
    # someone else handles (reserves and actions past due) are listed apart, for information.
    todo = todo_for(access, context["territories"])
    context.update(
        mine=Project.objects.visible_to(access)
        .active()
        .filter(lead_users=user, territory_id__in=territory_ids)
        .order_by("-updated_at")[:10],
        meetings=meetings[:6],
        todo=[line for line in todo if not line.informative],
        for_information=[line for line in todo if line.informative],
    )
    return htmx_vary(render(request, "dashboard.html", context))


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    context = figures_context(request, with_date=True)
    template = "reports/reports.html#report" if request.htmx else "reports/reports.html"
    return htmx_vary(render(request, template, context))
