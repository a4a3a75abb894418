"""A report of several territories adds its figures up in the database (issue 13), today from
the tables and as of a past day from their history: they must be the figures the rows give,
for every reader and filter, since the rows are what the territory reports, exports and PDFs
read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.access import Access
from projects.lifecycle import save_change
from projects.models import (
    Axis,
    FundingLine,
    Indicator,
    NationalMembership,
    NationalRole,
    Organisation,
    Project,
    Stage,
)
from tdi.reports.data import key_figures, sums_in_database
from tdi.reports.scope import ReportScope

from ...factories import FundingLineFactory, IndicatorFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

S, STATUS = Stage, FundingLine.Status
NOTHING = {"count": 0, "cost": Decimal(0), "funding": Decimal(0)}  # a territory without a project


@pytest.fixture
def country(territory, other_territory, users):
    """Two territories with projects at every kind of stage: drafts (seen by the coordination
    and their lead only), an archived one, a lead's own project, refused and paid lines,
    indicators measured or not; one funder shared by both territories."""
    region = OrganisationFactory(name="Région Grand Est", kind=Organisation.Kind.REGION)
    bpi = OrganisationFactory(name="Bpifrance", kind=Organisation.Kind.PUBLIC_OPERATOR)
    made = []
    for place, specs in (
        (territory, [(S.IDEA, Axis.INNOVATION), (S.SUBMITTED, Axis.SKILLS), (S.APPROVED, Axis.LAND)]),
        (other_territory, [(S.DRAFTING, Axis.LAND), (S.FUNDED, Axis.INNOVATION), (S.DONE, Axis.SKILLS)]),
    ):  # fmt: skip
        for n, (stage, axis) in enumerate(specs, 1):
            project = ProjectFactory(
                territory=place, stage=stage, axis=axis, total_cost=Decimal(100_000 * n + 0.5)
            )
            FundingLineFactory(project=project, funder=region, amount=Decimal(30_000 * n))
            FundingLineFactory(
                project=project, funder=bpi, amount=Decimal("12000.25"), status=STATUS.REFUSED
            )
            FundingLineFactory(
                project=project, funder=bpi, amount=Decimal(5000), status=STATUS.PAID
            )
            IndicatorFactory(project=project, target=Decimal(10 * n), achieved=Decimal(n))
            IndicatorFactory(project=project, kind=Indicator.Kind.JOBS_KEPT, target=Decimal(7))
            made.append(project)
    made[1].lead_users.add(users["lead"])
    archived = ProjectFactory(territory=territory, stage=S.APPROVED, is_archived=True)
    FundingLineFactory(project=archived, funder=region, amount=Decimal(999_999))
    national = users["admin"]
    NationalMembership.objects.create(user=national, role=NationalRole.READER)
    return {"region": region, "bpi": bpi}


@pytest.fixture
def changed_since(country, territory, other_territory, users):
    """The country a month ago, then changed: a project moved out of drafting, another
    archived, a cost, a line's amount and status, an indicator changed, a line deleted and one
    added, a new project. `yesterday`: before these changes (the history's dates moved back,
    as for a country whose past is in the history)."""
    past = timezone.now() - timedelta(days=30)
    for model in (Project, FundingLine, Indicator):
        for row in model.history.all():
            row.history_date = past
            row.save()
    coordinator = users["coordinator"]
    drafting = other_territory.projects.get(stage=S.DRAFTING)
    drafting.stage = S.SUBMITTED
    save_change(drafting, by=coordinator, reason="Déposé")
    done = other_territory.projects.get(stage=S.DONE)
    done.is_archived = True
    save_change(done, by=coordinator, reason="Archivé")
    submitted = territory.projects.get(stage=S.SUBMITTED)
    submitted.total_cost += Decimal(50_000)
    save_change(submitted, by=coordinator, reason="Coût revu")
    line = submitted.funding_lines.get(funder=country["region"])
    line.amount, line.status = Decimal(1), STATUS.REFUSED
    save_change(line, by=coordinator, reason="Refusé")
    submitted.funding_lines.get(status=STATUS.PAID).delete()
    FundingLineFactory(project=submitted, funder=country["bpi"], amount=Decimal(777))
    indicator = submitted.indicators.first()
    indicator.achieved = Decimal(99)
    save_change(indicator, by=coordinator, reason="Mesuré")
    ProjectFactory(territory=other_territory, stage=S.APPROVED, total_cost=Decimal(5))
    return timezone.localdate() - timedelta(days=1)


@pytest.mark.parametrize("who", ["admin", "coordinator", "partner", "lead", "stranger"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"axis": Axis.LAND}, {"stage": S.SUBMITTED}, {"funder": "bpi"}, {"epci": None}],
    ids=["tout", "axe", "étape", "financeur", "epci"],
)
@pytest.mark.parametrize("when", ["today", "yesterday"])
def test_the_database_adds_up_what_the_rows_add_up(
    country, changed_since, territory, other_territory, users, who, filters, when
):
    if filters.get("funder") == "bpi":
        filters = {"funder": country["bpi"].pk}
    scope = ReportScope(
        access=Access.of(users[who]),
        territories=[territory, other_territory],
        national=True,
        form=None,
        filters=filters,
        as_of=changed_since if when == "yesterday" else None,
    )
    rows = scope.rows()
    figures, sums = sums_in_database(*scope.sources())
    assert figures == key_figures(rows)
    for place in (territory, other_territory):
        mine = [row for row in rows if row.territory_id == place.pk]
        assert sums.get(place.pk, NOTHING)["count"] == len(mine)
        assert sums.get(place.pk, NOTHING)["cost"] == sum(
            (row.total_cost for row in mine), Decimal(0)
        )
        assert sums.get(place.pk, NOTHING)["funding"] == sum(
            (row.funding_total for row in mine), Decimal(0)
        )


def test_the_figures_are_those_of_the_data(country, territory, other_territory, users):
    """Figures worked out by hand for the national reader: drafts and the archived project
    left out (4 projects), refused lines left out of the funding."""
    scope = ReportScope(
        access=Access.of(users["admin"]),
        territories=[territory, other_territory],
        national=True,
        form=None,
    )
    figures, _sums = sums_in_database(*scope.sources())
    assert figures["count"] == 4
    # Submitted (n=2) and approved (n=3) in the first territory, funded (2), done (3) in the other.
    assert figures["investment"] == Decimal("1000002.00")
    assert figures["funding"] == 30_000 * (2 + 3 + 2 + 3) + 4 * 5000
    assert figures["funding_by_status"][STATUS.REFUSED] == 4 * Decimal("12000.25")
    assert figures["jobs_created"] == (Decimal(10 * (2 + 3 + 2 + 3)), Decimal(2 + 3 + 2 + 3))
    assert figures["jobs_kept"] == (Decimal(28), Decimal(0))
    assert [(s["stage"], s["count"]) for s in figures["by_stage"]] == [
        (S.SUBMITTED, 1),
        (S.APPROVED, 1),
        (S.FUNDED, 1),
        (S.DONE, 1),
    ]


def test_as_of_yesterday_the_figures_are_those_before_the_changes(
    changed_since, territory, other_territory, users
):
    """The national reader's figures, worked out by hand: yesterday those of
    test_the_figures_are_those_of_the_data; today the drafting project submitted (+100 000.5),
    the done one archived (−300 000.5), a new project (+5), a cost up by 50 000."""

    def figures(day) -> dict:
        scope = ReportScope(
            access=Access.of(users["admin"]),
            territories=[territory, other_territory],
            national=True,
            form=None,
            as_of=day,
        )
        return scope.sums()[0]

    before, now = figures(changed_since), figures(None)
    assert (before["count"], before["investment"]) == (4, Decimal("1000002.00"))
    assert (now["count"], now["investment"]) == (5, Decimal("850007.00"))
    # The region's 60 000 of the submitted project refused (1 €), its 5 000 paid deleted, 777
    # added; the drafting project's lines now counted, the archived one's no longer.
    assert before["funding"] == 30_000 * (2 + 3 + 2 + 3) + 4 * 5000
    assert now["funding"] == before["funding"] - 60_000 - 5000 + 777 + 30_000 + 5000 - 95_000


def test_the_sums_are_kept_until_the_data_changes(country, territory, other_territory, users):
    """The national sums are added up once, then read from the cache by the next requests,
    until a change writes history: a new cost, or a funder's new name, shows at once. Within
    a request (one scope), they are read once."""
    access = Access.of(users["admin"])

    def summed() -> tuple[dict, int]:
        scope = ReportScope(  # a request's
            access=access,
            territories=[territory, other_territory],
            national=True,
            form=None,
        )
        with CaptureQueriesContext(connection) as queries:
            figures, _sums = scope.sums()
        with CaptureQueriesContext(connection) as again:
            assert scope.sums()[0] is figures
        assert len(again) == 0
        return figures, len(queries)

    first, cold = summed()
    again, warm = summed()
    assert again == first
    assert warm == 4 < cold  # the four « last history row » queries, nothing added up
    project = territory.projects.get(stage=S.SUBMITTED)
    project.total_cost += Decimal("1234567")
    save_change(project, by=users["coordinator"], reason="Coût revu")
    assert summed()[0]["investment"] == first["investment"] + Decimal("1234567")
    region = country["region"]
    region.name = "Région renommée"
    save_change(region, by=users["coordinator"], reason="Nom")
    assert "Région renommée" in {f["funder"] for f in summed()[0]["by_funder"]}
