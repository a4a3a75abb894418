"""The portfolio report as PDF (/rapports/portefeuille.pdf), live or as of a past day.

The report reads the portfolio through `projects.reports.portfolio()` (the one source of report
data) and the committee decisions and reserves of the same projects, with a bounded number of
queries whatever the number of projects. A territory's report is small and rendered at once;
the national one, or a large territory's, is produced by the `build_portfolio` task in the
background (django-tasks-db in production) while the page shows its progress.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.tasks import task
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from committees.models import AgendaItem, Decision, Meeting
from projects.access import Access
from projects.forms import ReportFilterForm
from projects.models import (
    Axis,
    FundingStatus,
    IndicatorKind,
    Organisation,
    Project,
    ReportJob,
    Reserve,
    Stage,
    Territory,
)
from projects.reports import (
    ZERO,
    PortfolioProject,
    _latest,
    end_of_day,
    key_figures,
    portfolio,
    requested_territories,
)

from .charts import bar_chart
from .downloads import attachment
from .pdf import pdf_response, render_pdf

logger = logging.getLogger(__name__)

# Up to this many projects, one territory's report is rendered in the request (measured on
# the demo data: 15 projects, 14 pages ≈ 1.6 s; 30 projects, 22 pages ≈ 2.5 s); beyond, and
# always for several territories, it is produced in the background.
SYNC_LIMIT = 20
# A job still unfinished after this long is shown as stuck (no worker running?).
STALE_AFTER = timedelta(minutes=30)
# Funders shown one by one in the chart; the others are added up on one bar.
CHART_FUNDERS = 8
# Reserves listed on a project's half page; the others are counted.
SHEET_RESERVES = 3
FAILURE_MESSAGE = (
    "La génération du rapport a échoué. Réessayez ; si l'échec se répète, "
    "signalez-le à l'administrateur de la plateforme."
)
# The statuses of a funding plan that the key figures show (a refused request finances nothing).
SHOWN_STATUSES = [
    FundingStatus.PLANNED,
    FundingStatus.REQUESTED,
    FundingStatus.GRANTED,
    FundingStatus.PAID,
]

Progress = Callable[[int], None]


class BadParameter(ValueError):
    """A query parameter that the report cannot use; the message is French, for the user."""


# --- the data of the report -----------------------------------------------------------------


@dataclass
class DecisionRow:
    """A committee decision on a project, as the report shows it."""

    project_id: int
    meeting: Meeting
    decision: str
    motive: str
    decided_at: datetime
    project: PortfolioProject | None = None

    @property
    def label(self) -> str:
        return Decision(self.decision).label if self.decision in Decision.values else ""

    @property
    def decided_on(self) -> date:
        return timezone.localdate(self.decided_at)

    @property
    def is_positive(self) -> bool:
        return self.decision in (
            Decision.FAVORABLE,
            Decision.FAVORABLE_RESERVES,
            Decision.VALIDATED,
            Decision.VALIDATED_CONDITIONS,
            Decision.NOTED,
        )


@dataclass
class ReserveRow:
    text: str
    due_on: date | None
    is_blocking: bool
    created_at: datetime


@dataclass
class Sheet:
    """A project's half page: the portfolio row with its last decision and open reserves."""

    row: PortfolioProject
    territory: str
    last_decision: DecisionRow | None = None
    reserves: list[ReserveRow] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        """Positive: what remains to be financed; negative: financed beyond the cost."""
        return self.row.total_cost - self.row.funding_total

    @property
    def excess(self) -> Decimal:
        return -self.balance

    @property
    def funding_by_status(self) -> list[tuple[str, Decimal]]:
        amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.row.lines:
            amounts[line.status] += line.amount
        return [(s.label, amounts[s.value]) for s in FundingStatus if amounts.get(s.value)]

    @property
    def funding_rate(self) -> int | None:
        if not self.row.total_cost:
            return None
        return round(self.row.funding_total * 100 / self.row.total_cost)

    @property
    def jobs(self) -> list[tuple[str, Decimal, Decimal]]:
        shown = []
        for kind in (IndicatorKind.JOBS_CREATED, IndicatorKind.JOBS_KEPT):
            target, achieved = self.row.jobs(kind)
            if target or achieved:
                shown.append((kind.label, target, achieved))
        return shown

    @property
    def shown_reserves(self) -> list[ReserveRow]:
        return self.reserves[:SHEET_RESERVES]

    @property
    def more_reserves(self) -> int:
        return max(len(self.reserves) - SHEET_RESERVES, 0)


def visible_meetings(access):
    manager = Meeting.objects
    return manager.all() if access is None else manager.visible_to(access)


def decisions_of(project_ids: list[int], *, as_of: date | None, access) -> list[DecisionRow]:
    """Every decision recorded on these projects, oldest first (two queries).

    As of a day, the agenda items are read from their history as they were at the end of that
    day (an amended decision shows as it stood then). Only the decisions the user may read are
    kept (Access.reads_decision: a partner reads those whose minutes are validated); `access`
    None is a trusted internal call.
    """
    if as_of is None:
        items = list(
            AgendaItem.objects.filter(project_id__in=project_ids, decided_at__isnull=False)
            .exclude(decision="")
            .values("project_id", "meeting_id", "decision", "motive", "decided_at")
        )
    else:
        moment = end_of_day(as_of)
        items = [
            {
                "project_id": item.project_id,
                "meeting_id": item.meeting_id,
                "decision": item.decision,
                "motive": item.motive,
                "decided_at": item.decided_at,
            }
            for item in _latest(AgendaItem, moment, project_id__in=project_ids)
            if item.decision and item.decided_at and item.decided_at <= moment
        ]
    meeting_ids = {item["meeting_id"] for item in items}
    meetings = {
        m.pk: m
        for m in visible_meetings(access).filter(pk__in=meeting_ids).select_related("committee")
    }
    rows = [
        DecisionRow(
            project_id=item["project_id"],
            meeting=meetings[item["meeting_id"]],
            decision=item["decision"],
            motive=item["motive"],
            decided_at=item["decided_at"],
        )
        for item in items
        if item["meeting_id"] in meetings
        and (
            access is None
            or access.reads_decision(
                AgendaItem(project_id=item["project_id"]), meetings[item["meeting_id"]]
            )
        )
    ]
    rows.sort(key=lambda d: (d.decided_at, d.meeting.starts_at))
    return rows


def open_reserves_of(project_ids: list[int], *, as_of: date | None) -> dict[int, list[ReserveRow]]:
    """The reserves not lifted (now, or at the end of the day from the history), by project."""
    if as_of is None:
        reserves = Reserve.objects.open().filter(project_id__in=project_ids)
    else:
        moment = end_of_day(as_of)
        reserves = [
            r
            for r in _latest(Reserve, moment, project_id__in=project_ids)
            if r.created_at <= moment and (r.lifted_at is None or r.lifted_at > moment)
        ]
    by_project: dict[int, list[ReserveRow]] = defaultdict(list)
    for r in sorted(reserves, key=lambda r: (r.created_at, r.id)):
        by_project[r.project_id].append(ReserveRow(r.text, r.due_on, r.is_blocking, r.created_at))
    return by_project


def year_before(day: date) -> date:
    """The day after the same date a year earlier: the first day of a 12-month period."""
    try:
        start = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        start = day.replace(year=day.year - 1, day=28)
    return start + timedelta(days=1)


def filter_labels(filters: dict) -> list[tuple[str, str]]:
    """The filters as the cover shows them: (what, value)."""
    labels = []
    if filters.get("axis"):
        labels.append(("Axe", Axis(filters["axis"]).label))
    if filters.get("stage"):
        labels.append(("Étape", Stage(filters["stage"]).label))
    names = dict(
        Organisation.objects.filter(
            pk__in=[filters[k] for k in ("epci", "funder") if filters.get(k)]
        ).values_list("pk", "name")
    )
    if filters.get("epci"):
        labels.append(("Intercommunalité", names.get(filters["epci"], "—")))
    if filters.get("funder"):
        labels.append(("Financeur", names.get(filters["funder"], "—")))
    return labels


def funder_chart_items(by_funder: list[dict]) -> list[tuple[str, Decimal]]:
    items = [(f["funder"], f["total"]) for f in by_funder if f["total"]]
    if len(items) > CHART_FUNDERS:
        rest = sum((amount for _, amount in items[CHART_FUNDERS - 1 :]), ZERO)
        count = len(items) - CHART_FUNDERS + 1
        items = items[: CHART_FUNDERS - 1] + [(f"{count} autres financeurs", rest)]
    return items


def portfolio_context(
    territories: list[Territory],
    *,
    as_of: date | None,
    filters: dict,
    user=None,
    all_territories: bool = False,
) -> dict:
    """Everything the portfolio PDF shows, in a bounded number of queries; `user` limits it to
    what that user may see (None: a trusted internal call, which sees everything)."""
    access = Access.of(user) if user is not None else None
    rows = portfolio(
        territories, as_of=as_of, access=access, include_private=access is None, **filters
    )
    private = access is None or all(access.sees_drafts(t.pk) for t in territories)
    ids = [row.id for row in rows]
    figures = key_figures(rows)
    names = {t.pk: t.name for t in territories}

    decisions = decisions_of(ids, as_of=as_of, access=access)
    reserves = open_reserves_of(ids, as_of=as_of)
    sheets = {row.id: Sheet(row, names.get(row.territory_id, "")) for row in rows}
    for decision in decisions:  # oldest first: the last one written stays
        sheet = sheets[decision.project_id]
        sheet.last_decision = decision
        decision.project = sheet.row
    for project_id, found in reserves.items():
        sheets[project_id].reserves = found

    end = as_of or timezone.localdate()
    start = year_before(end)
    period = [d for d in decisions if start <= d.decided_on <= end]
    period.reverse()  # newest first

    order = {s.value: index for index, s in enumerate(Stage)}
    ordered = sorted(
        sheets.values(), key=lambda s: (order[s.row.stage], s.territory, s.row.reference)
    )
    groups = []
    for item in figures["by_stage"]:
        members = [sheet for sheet in ordered if sheet.row.stage == item["stage"]]
        groups.append(
            {
                "label": item["label"],
                "sheets": members,
                "cost": item["cost"],
                "funding": sum((s.row.funding_total for s in members), ZERO),
            }
        )
    chart_data = [
        (
            "Nombre de projets par étape",
            [(item["label"], item["count"]) for item in figures["by_stage"]],
            False,
        ),
        (
            "Investissement par axe (coût total HT)",
            [(item["label"], item["cost"]) for item in figures["by_axis"]],
            True,
        ),
        (
            "Financements par financeur (hors demandes refusées)",
            funder_chart_items(figures["by_funder"]),
            True,
        ),
    ]
    charts = [
        {"title": title, "svg": bar_chart(title, items, money=money)}
        for title, items, money in chart_data
    ]
    by_territory = [
        {
            "name": t.name,
            "count": len(mine := [s for s in ordered if s.row.territory_id == t.pk]),
            "cost": sum((s.row.total_cost for s in mine), ZERO),
            "funding": sum((s.row.funding_total for s in mine), ZERO),
        }
        for t in territories
    ]
    now = timezone.localtime()
    single = territories[0] if len(territories) == 1 and not all_territories else None
    return {
        "territory": single,
        "territories": territories,
        "all_territories": all_territories,
        "multi": single is None,
        "generated_at": now,
        "document_date": now,
        "as_of": as_of,
        "situation_date": end,
        "filters": filter_labels(filters),
        "private_left_out": not private,
        "figures": figures,
        "funding_by_status": [
            (s.label, figures["funding_by_status"][s.value]) for s in SHOWN_STATUSES
        ],
        "refused": figures["funding_by_status"][FundingStatus.REFUSED],
        # What the projects still lack, added up (a project financed beyond its cost does not
        # make up for another's gap).
        "remaining": sum((max(s.balance, ZERO) for s in ordered), ZERO),
        "charts": charts,
        "groups": groups,
        "by_territory": by_territory,
        "sheets": ordered,
        "period_start": start,
        "period_end": end,
        "period_decisions": period,
    }


def render_portfolio_pdf(
    territories: list[Territory],
    *,
    as_of: date | None,
    filters: dict,
    progress: Progress | None = None,
    user=None,
    all_territories: bool = False,
    budget: bool = True,
) -> bytes:
    """The portfolio report of these territories as PDF bytes (`budget`: within a request).

    `filters` takes the keyword arguments of `portfolio()` (axis, stage, epci, funder);
    `user` limits the report to what that user may see (None: a trusted internal call);
    `progress` is called with a percentage as the work goes on.
    """
    report = progress or (lambda _percent: None)
    context = portfolio_context(
        territories, as_of=as_of, filters=filters, user=user, all_territories=all_territories
    )
    report(30)
    pdf = render_pdf("reports/portfolio_pdf.html", context, budget=budget)
    report(90)
    return pdf


# --- the background task --------------------------------------------------------------------


def job_territories(parameters: dict) -> tuple[list[Territory], bool]:
    if parameters.get("territories") == "all":
        return list(Territory.objects.order_by("name")), True
    return list(Territory.objects.filter(pk__in=parameters["territories"]).order_by("name")), False


@task
def build_portfolio(job_id: int) -> None:
    """Produce the portfolio PDF of a ReportJob and store it; the job records the progress."""
    job = ReportJob.objects.select_related("created_by").get(pk=job_id)
    jobs = ReportJob.objects.filter(pk=job_id)
    jobs.update(status=ReportJob.Status.RUNNING, progress=5)
    try:
        parameters = job.parameters
        territories, all_territories = job_territories(parameters)
        as_of = date.fromisoformat(parameters["as_of"]) if parameters.get("as_of") else None
        pdf = render_portfolio_pdf(
            territories,
            budget=False,  # the worker has the time
            as_of=as_of,
            filters=parameters.get("filters", {}),
            user=job.created_by,
            all_territories=all_territories,
            progress=lambda percent: jobs.update(progress=percent),
        )
        job.store(pdf, f"portefeuille-{job.pk}.pdf")
    except Exception:
        logger.exception("Échec de la génération du rapport n° %s", job_id)
        job.fail(FAILURE_MESSAGE)
        raise


# --- the views ------------------------------------------------------------------------------


def read_request(request: HttpRequest) -> tuple[list[Territory], bool, dict, date | None]:
    """(territories, whether all of them, portfolio filters, as-of day) from the query string,
    with the filter form of the reports page (its links carry their query string here);
    BadParameter when a filter or the date is invalid.
    """
    territories, all_territories = requested_territories(request)
    form = ReportFilterForm(
        request.GET or None, territories=territories, national=request.access.reports_nationally
    )
    if form.is_bound and not form.is_valid():
        messages = [
            f"{form.fields[name].label if name in form.fields else name} : {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
        raise BadParameter("Paramètres invalides.\n" + "\n".join(messages))
    filters = {k: v for k, v in form.portfolio_filters().items() if v not in ("", None)}
    as_of = form.cleaned_data.get("date") if form.is_bound else None
    return territories, all_territories, filters, as_of


def file_name(territories: list[Territory], all_territories: bool, as_of: date | None) -> str:
    scope = "national" if all_territories else slugify(territories[0].name)
    day = as_of or timezone.localdate()
    return f"portefeuille-{scope}-{day.isoformat()}.pdf"


@require_GET
def portfolio_pdf(request: HttpRequest) -> HttpResponse:
    """The portfolio PDF: at once for a territory of ordinary size, else in the background."""
    try:
        territories, all_territories, filters, as_of = read_request(request)
    except BadParameter as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")

    size = Project.objects.filter(territory__in=territories, is_archived=False).count()
    if all_territories or len(territories) > 1 or size > SYNC_LIMIT:
        job = ReportJob.objects.create(
            kind=ReportJob.Kind.PORTFOLIO,
            parameters={
                "territories": "all" if all_territories else [t.pk for t in territories],
                "territory_names": ["Tous les territoires"]
                if all_territories
                else [t.name for t in territories],
                "as_of": as_of.isoformat() if as_of else None,
                "filters": filters,
                "file_name": file_name(territories, all_territories, as_of),
            },
            created_by=request.user,
        )
        build_portfolio.enqueue(job.pk)
        return redirect(job)

    pdf = render_portfolio_pdf(territories, as_of=as_of, filters=filters, user=request.user)
    name = file_name(territories, all_territories, as_of)
    return pdf_response(pdf, name, **{"Cache-Control": "private, no-store"})


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
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a background document; htmx polls the status fragment until it ends."""
    job = own_job(request, pk)
    file_size = None
    if job.status == ReportJob.Status.DONE and job.file:
        try:
            file_size = job.file.size
        except FileNotFoundError:
            file_size = None
    context = {
        "job": job,
        "file_size": file_size,
        # A job that never ends (a stopped worker): stop polling and say so.
        "stale": not job.is_finished and job.created_at < timezone.now() - STALE_AFTER,
        "territory_names": job.parameters.get("territory_names", []),
        "as_of": date.fromisoformat(job.parameters["as_of"])
        if job.parameters.get("as_of")
        else None,
        "filters": filter_labels(job.parameters.get("filters", {})),
    }
    template = "reports/report_job.html"
    if request.htmx:
        template += "#job-status"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
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
    return attachment(handle, name, "application/pdf")
