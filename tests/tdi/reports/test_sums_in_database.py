"""A report of several territories adds its figures up in the database (issue 13): they must be
the figures the rows give, for every reader and filter, since the rows are what the territory
reports, exports and PDFs read."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.access import Access
from projects.lifecycle import save_change
from projects.models import (
    Axis,
    FundingLine,
    Indicator,
    NationalMembership,
    NationalRole,
    Organisation,
    Stage,
)
from tdi.reports.data import figures_in_database, key_figures, territory_sums
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


@pytest.mark.parametrize("who", ["admin", "coordinator", "partner", "lead", "stranger"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"axis": Axis.LAND}, {"stage": S.SUBMITTED}, {"funder": "bpi"}, {"epci": None}],
    ids=["tout", "axe", "étape", "financeur", "epci"],
)
def test_the_database_adds_up_what_the_rows_add_up(
    country, territory, other_territory, users, who, filters
):
    if filters.get("funder") == "bpi":
        filters = {"funder": country["bpi"].pk}
    scope = ReportScope(
        access=Access.of(users[who]),
        territories=[territory, other_territory],
        national=True,
        form=None,
        filters=filters,
    )
    assert scope.in_database
    rows = scope.rows()
    assert figures_in_database(*scope.querysets()) == key_figures(rows)
    sums = territory_sums(*scope.querysets())
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
    figures = figures_in_database(*scope.querysets())
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


def test_the_sums_are_kept_until_the_data_changes(country, territory, other_territory, users):
    """The national sums are added up once, then read from the cache, until a change writes
    history: a new cost, or a funder's new name, shows at once."""
    scope = ReportScope(
        access=Access.of(users["admin"]),
        territories=[territory, other_territory],
        national=True,
        form=None,
    )

    def summed() -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as queries:
            figures, _sums = scope.sums()
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
