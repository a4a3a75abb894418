"""The portfolio as figures: today from the tables, or as of a past day from the audit history
(projects.history.rows_as_of, the reader the project's own « as of » view uses).

Every report (dashboard, reports page, portfolio PDF, exports, open data) reads the portfolio
through `portfolio()`, so that they all agree, and all can be produced as of a date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from projects.history import end_of_day, rows_as_of
from projects.models import (
    PRIVATE_STAGES,
    Axis,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorKind,
    Organisation,
    OrganisationKind,
    Project,
    Stage,
    Territory,
)

ZERO = Decimal(0)


@dataclass
class Line:
    funder_id: int
    funder: str
    funder_kind: str
    instrument: str
    status: str
    amount: Decimal

    @property
    def status_label(self) -> str:
        return FundingStatus(self.status).label

    @property
    def instrument_label(self) -> str:
        return FundingLine.Instrument(self.instrument).label


@dataclass
class Measure:
    kind: str
    target: Decimal
    achieved: Decimal | None
    unit: str
    measured_on: date | None

    @property
    def label(self) -> str:
        return IndicatorKind(self.kind).label


@dataclass
class PortfolioProject:
    """A project as a report shows it, with its funding lines and indicators."""

    id: int
    reference: str
    title: str
    summary: str
    axis: str
    stage: str
    territory_id: int
    lead_organisation: str
    commune: str
    epci_id: int | None
    epci: str
    planned_start: date | None
    planned_end: date | None
    total_cost: Decimal
    progress: int
    is_public: bool
    is_archived: bool
    lines: list[Line] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_private(self) -> bool:
        return self.stage in PRIVATE_STAGES

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def axis_label(self) -> str:
        return Axis(self.axis).label

    @property
    def funding_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.status != FundingStatus.REFUSED), ZERO)

    def jobs(self, kind: str) -> tuple[Decimal, Decimal]:
        """(target, achieved) for one kind of jobs indicator."""
        measures = [m for m in self.measures if m.kind == kind]
        return (
            sum((m.target for m in measures), ZERO),
            sum((m.achieved or ZERO for m in measures), ZERO),
        )


# What a report reads of a project, of a funding line and of an indicator.
FIELDS = (
    "id", "reference", "title", "summary", "axis", "stage", "territory_id",
    "lead_organisation_id", "commune", "epci_id", "planned_start", "planned_end", "total_cost",
    "progress", "is_public", "is_archived",
)  # fmt: skip
# The fields a portfolio row keeps as read; the organisations' ids become their names.
AS_READ = tuple(f for f in FIELDS if not f.endswith("_id") or f == "territory_id")
LINE = ("project_id", "funder_id", "instrument", "status", "amount")
MEASURE = ("project_id", "kind", "target", "achieved", "unit", "measured_on")


def portfolio(
    territories: list[Territory] | None = None,
    *,
    ids: list[int] | None = None,
    as_of: date | None = None,
    axis: str = "",
    stage: str = "",
    epci: int | None = None,
    funder: int | None = None,
    include_archived: bool = False,
    include_private: bool = False,
    access=None,
) -> list[PortfolioProject]:
    """The projects of the territories (all if None; only `ids` if given), as they are or as
    they were on a day.

    With `access`, only the projects that user may see (Access.sees: projects still being
    written only for the coordination and their leads, DESIGN §8); without, a trusted internal
    call, which leaves those out unless include_private.

    A bounded number of queries whatever the number of projects: one for the projects, one
    for the funding lines, one for the indicators, one for the names of organisations.
    """
    territory_ids = [t.pk for t in territories] if territories is not None else None
    scope = {"territory_id__in": territory_ids} if territory_ids is not None else {}
    if ids is not None:  # one page of the API
        scope["id__in"] = ids
    # Read as plain values: at national size (20 000 projects, 100 000 rows) building model
    # instances took most of the report's time.
    if as_of is None:
        projects = list(Project.objects.filter(**scope).order_by("reference").values(*FIELDS))
        ids = [p["id"] for p in projects]
        lines = FundingLine.objects.filter(project_id__in=ids).order_by("pk").values(*LINE)
        measures = Indicator.objects.filter(project_id__in=ids).order_by("pk").values(*MEASURE)
    else:
        moment = end_of_day(as_of)
        found = rows_as_of(Project, moment, fields=FIELDS, **scope)
        projects = sorted(found, key=lambda p: p["reference"])
        # The rows of the projects in scope, read through the projects' history rather than a
        # list of their ids: at national size, 14 000 ids took half a second to prepare and send
        # twice. Rows of projects read but left out (gone by then) are never looked up.
        if ids is not None:
            children = {"project_id__in": ids}
        elif territory_ids is None:
            children = {}
        else:
            children = {
                "project_id__in": Project.history.filter(territory_id__in=territory_ids).values(
                    "id"
                )
            }
        lines = rows_as_of(FundingLine, moment, fields=LINE, **children)
        measures = rows_as_of(Indicator, moment, fields=MEASURE, **children)
    lines, measures = list(lines), list(measures)
    org_ids = {p["lead_organisation_id"] for p in projects} | {p["epci_id"] for p in projects}
    org_ids |= {line["funder_id"] for line in lines}
    orgs = {
        pk: (name, kind)
        for pk, name, kind in Organisation.objects.filter(pk__in=org_ids - {None}).values_list(
            "pk", "name", "kind"
        )
    }

    lines_of: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        funder_name, funder_kind = orgs.get(line["funder_id"], ("", ""))
        lines_of[line["project_id"]].append(
            Line(
                funder_id=line["funder_id"],
                funder=funder_name,
                funder_kind=funder_kind,
                instrument=line["instrument"],
                status=line["status"],
                amount=line["amount"],
            )
        )
    measures_of: dict[int, list[Measure]] = defaultdict(list)
    for m in measures:
        measures_of[m["project_id"]].append(
            Measure(m["kind"], m["target"], m["achieved"], m["unit"], m["measured_on"])
        )

    def name(pk: int | None) -> str:
        return orgs[pk][0] if pk in orgs else ""

    rows = [
        PortfolioProject(
            **{f: p[f] for f in AS_READ},
            epci_id=p["epci_id"],
            lead_organisation=name(p["lead_organisation_id"]),
            epci=name(p["epci_id"]),
            lines=lines_of[p["id"]],
            measures=measures_of[p["id"]],
        )
        for p in projects
    ]
    if access is not None:
        for row in rows:
            if not access.sees_details(row):
                # A lead reads other companies' projects as public cards only (DESIGN §8): no
                # cost, funding plan or indicators of theirs in the lead's reports.
                row.total_cost, row.progress, row.lines, row.measures = ZERO, 0, [], []
    return [
        row
        for row in rows
        if (include_archived or not row.is_archived)
        and (access.sees(row) if access is not None else include_private or not row.is_private)
        and (not axis or row.axis == axis)
        and (not stage or row.stage == stage)
        and (epci is None or row.epci_id == epci)
        and (funder is None or any(line.funder_id == funder for line in row.lines))
    ]


def key_figures(rows: list[PortfolioProject]) -> dict:
    """The figures of the dashboard and the reports, computed from portfolio rows."""
    by_stage = defaultdict(lambda: {"count": 0, "cost": ZERO})
    by_axis = defaultdict(lambda: {"count": 0, "cost": ZERO})
    by_funder = defaultdict(lambda: defaultdict(lambda: ZERO))
    kinds = dict(OrganisationKind.choices)
    jobs = {kind: [ZERO, ZERO] for kind in (IndicatorKind.JOBS_CREATED, IndicatorKind.JOBS_KEPT)}
    for row in rows:
        by_stage[row.stage]["count"] += 1
        by_stage[row.stage]["cost"] += row.total_cost
        by_axis[row.axis]["count"] += 1
        by_axis[row.axis]["cost"] += row.total_cost
        for line in row.lines:
            by_funder[(line.funder, kinds.get(line.funder_kind, ""))][line.status] += line.amount
        for kind in jobs:
            target, achieved = row.jobs(kind)
            jobs[kind][0] += target
            jobs[kind][1] += achieved
    return figures(
        by_stage=by_stage,
        by_axis=by_axis,
        amounts=by_funder,
        jobs={kind: tuple(values) for kind, values in jobs.items()},
    )


def figures(*, by_stage: dict, by_axis: dict, amounts: dict, jobs: dict) -> dict:
    """The figures of a report, from its projects' count and cost by stage and by axis, the
    amounts of each (funder, kind) by status, and the jobs (target, achieved) by kind: what
    key_figures() and sums_in_database() share."""
    funders = [
        {
            "funder": funder,
            "kind": kind,
            **{status: by_status.get(status, ZERO) for status in FundingStatus.values},
            "total": sum((a for s, a in by_status.items() if s != FundingStatus.REFUSED), ZERO),
        }
        for (funder, kind), by_status in amounts.items()
    ]
    funders.sort(key=lambda f: (-f["total"], f["funder"]))
    stages = [
        {"stage": s, "label": s.label, **by_stage[s.value]} for s in Stage if s.value in by_stage
    ]
    return {
        "count": sum(s["count"] for s in stages),
        "investment": sum((s["cost"] for s in stages), ZERO),
        "funding": sum((f["total"] for f in funders), ZERO),
        "by_stage": stages,
        "by_axis": [
            {"axis": a, "label": a.label, **by_axis[a.value]} for a in Axis if a.value in by_axis
        ],
        "by_funder": funders,
        "funding_by_status": {
            status: sum((f[status] for f in funders), ZERO) for status in FundingStatus.values
        },
        "jobs_created": jobs.get(IndicatorKind.JOBS_CREATED, (ZERO, ZERO)),
        "jobs_kept": jobs.get(IndicatorKind.JOBS_KEPT, (ZERO, ZERO)),
    }


def sums_in_database(projects, details: Q, lines, indicators) -> tuple[dict, dict[int, dict]]:
    """key_figures() and the sums by territory (sums_of()), added up by the database: for a
    report of many territories, whose projects are never loaded (20 000 at national size).

    `projects`: the projects counted; `details`: the filter of those whose cost, funding plan
    and indicators the reader sees (the others count as cards, as portfolio() gives them: no
    cost, no lines, no indicators); `lines` and `indicators`: those of the details. The
    tables, or their history as of a day (ReportScope.sources), whose fields have the same
    names. Four queries whatever the size (as of a day, three read the history); a
    line's territory is its project's (a project never moves, nor is it deleted)."""
    kinds = dict(OrganisationKind.choices)
    by_stage = defaultdict(lambda: {"count": 0, "cost": ZERO})
    by_axis = defaultdict(lambda: {"count": 0, "cost": ZERO})
    by_territory = defaultdict(lambda: {"count": 0, "cost": ZERO, "funding": ZERO})
    counted = (
        projects.values_list("stage", "axis", "territory_id")
        .annotate(n=Count("id"), cost=Sum("total_cost", filter=details))
        .order_by()
    )
    for stage, axis, territory, n, cost in counted:
        for sums in (by_stage[stage], by_axis[axis], by_territory[territory]):
            sums["count"] += n
            sums["cost"] += cost or ZERO
    by_funder = list(
        lines.values_list("funder_id", "status", "project__territory_id")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    # Grouped by id, named afterwards: grouping 40 000 lines by name took twice as long.
    names = Organisation.objects.filter(pk__in={line[0] for line in by_funder}).values_list(
        "pk", "name", "kind"
    )
    funders = {pk: (name, kinds.get(kind, "")) for pk, name, kind in names}
    amounts = defaultdict(lambda: defaultdict(lambda: ZERO))
    for funder, status, territory, amount in by_funder:
        amounts[funders.get(funder, ("", ""))][status] += amount
        if status != FundingStatus.REFUSED:
            by_territory[territory]["funding"] += amount
    jobs = {
        kind: (target or ZERO, achieved or ZERO)
        for kind, target, achieved in indicators.filter(
            kind__in=(IndicatorKind.JOBS_CREATED, IndicatorKind.JOBS_KEPT)
        )
        .values_list("kind")
        .annotate(Sum("target"), Sum("achieved"))
        .order_by()
    }
    figured = figures(by_stage=by_stage, by_axis=by_axis, amounts=amounts, jobs=jobs)
    return figured, dict(by_territory)  # kept in the cache: no factory function


def sums_of(rows: list[PortfolioProject]) -> dict[int, dict]:
    """The sums by territory of sums_in_database(), from portfolio rows (the portfolio PDF)."""
    sums = defaultdict(lambda: {"count": 0, "cost": ZERO, "funding": ZERO})
    for row in rows:
        sums[row.territory_id]["count"] += 1
        sums[row.territory_id]["cost"] += row.total_cost
        sums[row.territory_id]["funding"] += row.funding_total
    return dict(sums)


def by_territory_and_region(territories: list[Territory], sums: dict[int, dict]):
    """The lines of a report of several territories: each territory (in the order given) with
    its sums (sums_in_database or sums_of), and each region with its territories' sums and
    their number, by region."""
    nothing = {"count": 0, "cost": ZERO, "funding": ZERO}
    by_territory = [{"territory": t, **sums.get(t.pk, nothing)} for t in territories]
    by_region = {}
    for line in sorted(by_territory, key=lambda line: line["territory"].region):
        region = line["territory"].region
        found = by_region.setdefault(region, {"region": region, "territories": 0, **nothing})
        found["territories"] += 1
        for key in nothing:
            found[key] += line[key]
    return by_territory, list(by_region.values())
