"""The portfolio report as PDF (/rapports/portefeuille.pdf), live or as of a past day.

The report reads the portfolio through `data.portfolio()` (the one source of report data) and the committee decisions and reserves of the same projects, with a bounded number of
queries whatever the number of projects. A territory's report is small and rendered at once;
the national one, or a large territory's, is produced by the `build_portfolio` task in the
background (django-tasks-db in production) while the page shows its progress.
"""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from pypdf.constants import PageLabelStyle

from projects.access import Access
from projects.models import (
    Axis,
    FundingStatus,
    IndicatorKind,
    Organisation,
    OrganisationKind,
    ReportJob,
    Stage,
    Territory,
)
from tdi.pdf import PdfBudgetExceeded, html_to_pdf, render_pdf
from tdi.pdf_merge import Part, join, stamp

from .charts import bar_chart, funder_chart_items
from .data import ZERO, PortfolioProject, by_territory_and_region, key_figures, portfolio, sums_of
from .decisions import DecisionRow, ReserveRow, decisions_of, open_reserves_of
from .scope import ReportScope

logger = logging.getLogger(__name__)

# Up to this many projects, one territory's report is rendered in the request (measured on
# the demo data: 15 projects, 14 pages ≈ 1.6 s; 30 projects, 22 pages ≈ 2.5 s); beyond, and
# always for several territories, it is produced in the background.
SYNC_LIMIT = 20
# Reserves listed on a project's half page; the others are counted.
SHEET_RESERVES = 3
# What each kind of report shows (the template's sections), and a long one in parts: its cover,
# figures and portfolio, its sheets so many at a time, its decisions, that several workers lay
# out at once (build_portfolio_part) before they are joined (join_portfolio).
WHOLE = frozenset({"cover", "figures", "portfolio", "sheets", "decisions"})
NATIONAL = frozenset({"cover", "figures", "regions"})
SHEETS_PER_PART = 40
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


# --- the data of the report -----------------------------------------------------------------


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
    by_territory, by_region = by_territory_and_region(territories, sums_of(rows))
    # The decisions of the period, counted by outcome: the national synthesis lists none.
    outcomes = defaultdict(int)
    for decision in period:
        outcomes[decision.label] += 1
    # Across the country, the companies that fund their own project make one line.
    funders, companies = [], {"funder": "", "kind": "", "count": 0}
    for funder in figures["by_funder"]:
        if all_territories and funder["kind"] == OrganisationKind.COMPANY.label:
            companies["count"] += 1
            for key in (*FundingStatus.values, "total"):
                companies[key] = companies.get(key, ZERO) + funder[key]
        else:
            funders.append(funder)
    if companies["count"]:
        companies["funder"] = f"Entreprises porteuses ({companies['count']})"
        funders.append(companies)
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
        "by_region": by_region,
        "funders": funders,
        "period_outcomes": sorted(outcomes.items(), key=lambda item: -item[1]),
        "sheets": ordered,
        "period_start": start,
        "period_end": end,
        "period_decisions": period,
        "shows": NATIONAL if all_territories else WHOLE,
        "sheets_from": 1,
    }


TEMPLATE = "reports/portfolio_pdf.html"


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
    arguments = {"as_of": as_of, "filters": filters, "user": user}
    if all_territories:
        # The national report is a synthesis: figures, regions, territories, decisions counted;
        # each project's sheet is in its territory's report (20 000 sheets took 11 GB).
        context = portfolio_context(territories, all_territories=True, **arguments)
        report(40)
        pdf = render_pdf(TEMPLATE, context, budget=budget)
        report(90)
        return pdf
    context = portfolio_context(territories, **arguments)
    report(30)
    pdf = render_pdf(TEMPLATE, context, budget=budget)
    report(90)
    return pdf


def parts_of(context: dict) -> list[dict]:
    """The contexts of a long territory report's parts, each laid out on its own (joined, each
    part numbers nothing itself); none when one document is enough."""
    sheets = context["sheets"]
    if context["all_territories"] or len(sheets) <= 2 * SHEETS_PER_PART:
        return []
    parts = [{"shows": WHOLE - {"sheets", "decisions"}}]
    for start in range(0, len(sheets), SHEETS_PER_PART):
        chunk = sheets[start : start + SHEETS_PER_PART]
        parts.append(
            {
                "shows": {"sheets"},
                "sheets": chunk,
                "sheets_from": start + 1,
                "sheets_to": start + len(chunk),
            }
        )
    parts.append({"shows": {"decisions"}})
    return [{**context, **part, "joined": True} for part in parts]


def save_part(name: str, content: bytes) -> None:
    if default_storage.exists(name):  # a part laid out again after its worker died
        default_storage.delete(name)
    default_storage.save(name, ContentFile(content))


# --- the background tasks -------------------------------------------------------------------


@task
def build_portfolio(job_id: int) -> None:
    """Produce the portfolio PDF of a ReportJob and store it; the job records the progress.
    A long report is written out in parts (their HTML, from one reading of the data), which
    several workers lay out at once; taken up again after its worker died, it queues the
    parts still missing."""
    job = ReportJob.objects.select_related("created_by").get(pk=job_id)
    if not job.start():
        return  # finished, or another worker has it
    try:
        with job.alive():
            if job.parts:
                queue_parts(job)
                return
            scope = ReportScope.of_job(job.parameters, job.created_by)
            arguments = {"as_of": scope.as_of, "filters": scope.filters, "user": job.created_by}
            parts = (
                []
                if scope.national
                else parts_of(portfolio_context(scope.territories, **arguments))
            )
            if parts:
                for index, part in enumerate(parts):
                    save_part(
                        job.part_file(index, "html"), render_to_string(TEMPLATE, part).encode()
                    )
                job.parts = len(parts)
                job.advance(10)
                job.save(update_fields=["parts"])
                queue_parts(job)
                return
            pdf = render_portfolio_pdf(
                scope.territories,
                budget=False,  # the worker has the time
                all_territories=scope.national,
                progress=job.advance,
                **arguments,
            )
        job.store(pdf, f"portefeuille-{job.pk}.pdf")
    except PdfBudgetExceeded as too_large:  # the document itself is the problem: no retry
        job.fail(too_large.message)
    except Exception:
        logger.exception("Échec de la génération du rapport n° %s", job_id)
        job.fail(FAILURE_MESSAGE)
        job.delete_parts()
        raise


def queue_parts(job: ReportJob) -> None:
    """The parts not laid out yet, to the workers; the join when none is missing."""
    missing = [i for i in range(job.parts) if not default_storage.exists(job.part_file(i, "pdf"))]
    for index in missing:
        build_portfolio_part.enqueue(job.pk, index)
    if not missing:
        join_portfolio.enqueue(job.pk)


@task
def build_portfolio_part(job_id: int, index: int) -> None:
    """Lay out one part of a long report; the last one done queues the join."""
    job = ReportJob.objects.get(pk=job_id)
    name = job.part_file(index, "pdf")
    if job.is_finished or default_storage.exists(name):
        return  # failed meanwhile, or laid out by an earlier attempt
    try:
        with job.alive(), default_storage.open(job.part_file(index, "html")) as html:
            save_part(name, html_to_pdf(html.read().decode(), budget=False))
    except PdfBudgetExceeded as too_large:
        job.fail(too_large.message)
        job.delete_parts()
        return
    with transaction.atomic():
        locked = ReportJob.objects.select_for_update().get(pk=job_id)
        done = sum(default_storage.exists(job.part_file(i, "pdf")) for i in range(job.parts))
        locked.progress, locked.heartbeat_at = 10 + 80 * done // job.parts, timezone.now()
        locked.save(update_fields=["progress", "heartbeat_at"])
        if done == job.parts and not locked.is_finished:
            join_portfolio.enqueue(job_id)  # queued with the progress, in this transaction


@task
def join_portfolio(job_id: int) -> None:
    """One file of the parts, in order: the page numbers of the whole stamped on each page,
    a bookmark per section. Under the job's lock: a second join finds it done."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return
        parts = []
        for index in range(job.parts):
            with default_storage.open(job.part_file(index, "pdf")) as pdf:
                parts.append(Part.of(pdf.read()))
        metadata = parts[0].reader.metadata
        writer = join(parts, title=str(metadata.title), author=str(metadata.author or ""))
        total = len(writer.pages)
        for number, page in enumerate(writer.pages, start=1):
            stamp(page, f"Rapport de portefeuille · page {number} / {total}")
        writer.set_page_label(0, total - 1, PageLabelStyle.DECIMAL, start=1)
        writer.add_outline_item(title="Synthèse et portefeuille par étape", page_number=0)
        writer.add_outline_item(title="Fiches projets", page_number=parts[1].first - 1)
        writer.add_outline_item(
            title="Décisions des comités de la période", page_number=parts[-1].first - 1
        )
        output = io.BytesIO()
        writer.write(output)
        job.store(output.getvalue(), f"portefeuille-{job.pk}.pdf")
    job.delete_parts()


def file_name(territories: list[Territory], all_territories: bool, as_of: date | None) -> str:
    scope = "national" if all_territories else slugify(territories[0].name)
    day = as_of or timezone.localdate()
    return f"portefeuille-{scope}-{day.isoformat()}.pdf"
