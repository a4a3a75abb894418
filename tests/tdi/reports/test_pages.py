"""Dashboard and reports page: figures, as-of dates, filters, permissions, query counts."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.lifecycle import save_change
from projects.models import FundingLine, Stage, Territory
from tdi.reports.data import key_figures, portfolio

from ...factories import (
    FundingLineFactory,
    IndicatorFactory,
    OrganisationFactory,
    ProjectFactory,
    TerritoryFactory,
    make_meeting,
)
from ...utils import text

pytestmark = pytest.mark.django_db


def make_portfolio(territory, other_territory, *, by, at=None) -> list:
    """Four projects of the territory at different stages and one of another territory, with
    their funding lines and indicators, entered by `by` at a moment (`at`, default now)."""
    made = {"by": by, "reason": "Saisie du portefeuille", "at": at}
    bpi = OrganisationFactory(name="Bpifrance", kind="operator")
    region = OrganisationFactory(name="Région Grand Est", kind="region")
    specs = [
        (
            "Friche de la fonderie",
            Stage.APPROVED,
            "land",
            "900000",
            [(bpi, "600000", "granted"), (region, "300000", "paid")],
            12,
        ),
        (
            "Station hydrogène",
            Stage.FINANCING,
            "ecological",
            "2000000",
            [(bpi, "1500000", "requested"), (region, "500000", "refused")],
            30,
        ),
        (
            "Académie de la forge",
            Stage.ELIGIBLE,
            "skills",
            "400000",
            [(region, "400000", "planned")],
            5,
        ),
        ("Brouillon confidentiel", Stage.DRAFTING, "skills", "50000", [], 0),
    ]
    projects = []
    for title, stage, axis, cost, lines, jobs in specs:
        project = ProjectFactory(
            territory=territory,
            title=title,
            stage=stage,
            axis=axis,
            total_cost=Decimal(cost),
            **made,
        )
        for funder, amount, status in lines:
            FundingLineFactory(
                project=project, funder=funder, amount=Decimal(amount), status=status, **made
            )
        if jobs:
            IndicatorFactory(
                project=project, target=Decimal(jobs), achieved=Decimal(jobs // 2), **made
            )
        projects.append(project)
    ProjectFactory(
        territory=other_territory,
        title="Projet meusien",
        stage=Stage.APPROVED,
        total_cost=Decimal("777777"),
        **made,
    )
    return projects


@pytest.fixture
def portfolio_data(territory, other_territory, users):
    return make_portfolio(territory, other_territory, by=users["coordinator"])


def test_key_figures_equal_independent_sums(portfolio_data, territory):
    figures = key_figures(portfolio([territory]))
    visible = [p for p in portfolio_data if p.stage != Stage.DRAFTING]
    assert figures["count"] == len(visible)
    assert figures["investment"] == sum(p.total_cost for p in visible)
    lines = FundingLine.objects.filter(project__in=visible)
    assert figures["funding"] == sum(line.amount for line in lines if line.status != "refused")
    assert figures["funding_by_status"]["granted"] == Decimal("600000")
    assert figures["funding_by_status"]["refused"] == Decimal("500000")
    assert figures["jobs_created"] == (Decimal("47"), Decimal("23"))
    with_private = key_figures(portfolio([territory], include_private=True))
    assert with_private["count"] == len(portfolio_data)


def test_dashboard_shows_the_figures_and_never_another_territory(client_for, portfolio_data):
    body = text(client_for("partner").get("/"))
    assert "3\u202f300\u202f000\u00a0€" in body  # 900 000 + 2 000 000 + 400 000
    assert "777\u202f777" not in body
    assert "Brouillon confidentiel" not in body
    assert "<svg" in body and "<desc" in body
    # Bars compare amounts of one measure: one colour for all, the blue of the data (issue 10).
    fills = set(re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', body))
    assert fills == {"#2f6f9f"}


def test_filters_update_with_htmx(client_for, portfolio_data, htmx_headers):
    response = client_for("member").get("/?axe=land", **htmx_headers)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="figures"')
    assert "900\u202f000\u00a0€" in body
    assert "HX-Request" in response["Vary"]


def test_reports_page_as_of_a_date(client_for, territory, other_territory, users):
    now = timezone.now()
    coordinator = users["coordinator"]
    # The portfolio was entered twenty days ago; ten days ago the first project's cost changed.
    entered = now - timedelta(days=20)
    project = make_portfolio(territory, other_territory, by=coordinator, at=entered)[0]
    project.total_cost = Decimal("1500000")
    save_change(project, by=coordinator, reason="Coût actualisé", at=now - timedelta(days=10))
    project.move_to(Stage.FINANCING, by=coordinator)
    client = client_for("partner")
    day = (now - timedelta(days=15)).date().isoformat()
    old = text(client.get(f"/rapports/?date={day}&axe=land"))
    assert "900\u202f000\u00a0€" in old and "Validé (labellisé TI)" in old
    assert "situation au" in old
    new = text(client.get("/rapports/?axe=land"))
    assert "1\u202f500\u202f000\u00a0€" in new and "Financement en cours" in new
    before = text(client.get(f"/rapports/?date={(now - timedelta(days=40)).date().isoformat()}"))
    assert "Friche de la fonderie" not in before


def test_bad_report_date_gives_a_french_message(client_for, portfolio_data, htmx_headers):
    """The page answers 400, as every report does on bad input, and shows why by the filters."""
    response = client_for("member").get("/rapports/?date=2026-02-31")
    assert response.status_code == 400
    assert "Situation au : Saisissez une date valide (AAAA-MM-JJ)." in text(response)
    fragment = client_for("member").get("/?date=2026-02-31", **htmx_headers)
    assert fragment.status_code == 400
    assert "Situation au : Saisissez une date valide (AAAA-MM-JJ)." in text(fragment)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, 302),
        ("coordinator", 200),
        ("lead", 200),
        ("member", 200),
        ("partner", 200),
        ("admin", 200),
    ],
)
def test_report_pages_permissions(client_for, portfolio_data, name, expected, htmx_headers):
    for url in ("/", "/rapports/"):
        assert client_for(name).get(url).status_code == expected
        assert client_for(name).get(url, **htmx_headers).status_code == expected


def test_stranger_reports_on_its_own_territory_only(client_for, portfolio_data):
    body = text(client_for("stranger").get("/rapports/"))
    assert "Projet meusien" in body
    assert "Friche de la fonderie" not in body
    # A territory code in the query string does not widen the scope of a non-admin.
    body = text(client_for("stranger").get("/rapports/?territoire=ti-0052"))
    assert "Friche de la fonderie" not in body


def test_national_admin_sees_every_territory(client_for, portfolio_data, territory):
    """The national report sums up territories and regions (issue 13): no project listed; each
    territory's line opens its own report, which lists its projects."""
    admin = client_for("admin")
    body = text(admin.get("/rapports/?territoire=tous"))
    assert "Par région" in body and "Par territoire" in body
    assert "Projet meusien" not in body and "Friche de la fonderie" not in body
    assert f'href="?territoire={territory.code}"' in body
    assert "Friche de la fonderie" in text(admin.get(f"/rapports/?territoire={territory.code}"))
    assert admin.get("/rapports/?territoire=ti-9999").status_code == 404


def names(html: str) -> list[str]:
    """The territories named in the rows of a summary table."""
    return re.findall(r'<tr><th scope="row">(?:<a [^>]*>)?([^<]+)', html)


def section(body: str, heading: str) -> str:
    """The panel of the page under the heading of this id."""
    return body.split(f'id="{heading}"', 1)[1].split("</section>", 1)[0]


def test_the_national_report_pages_its_territories(client_for, users):
    for index in range(30):
        region = "Bretagne" if index % 2 else "Grand Est"
        project = ProjectFactory(
            territory=TerritoryFactory(
                name=f"Territoire {index:02d}", code=f"ti-9{index:03d}", region=region
            ),
            stage=Stage.APPROVED,
        )
        FundingLineFactory(
            project=project, funder=OrganisationFactory(name=f"Financeur {index:02d}")
        )
    admin = client_for("admin")
    first = text(admin.get("/rapports/?territoire=tous"))
    second = text(admin.get("/rapports/?territoire=tous&page=2"))
    pages = [names(section(body, "h-territories")) for body in (first, second)]
    assert "Page 1 sur 2" in section(first, "h-territories")
    assert len(pages[0]) == 25  # a page of territories, by region then name
    every = Territory.objects.order_by("region", "name").values_list("name", flat=True)
    assert pages[0] + pages[1] == list(every)
    # 30 funders: 20 by name, the others summed up in the total.
    assert "et 10 autres financeurs, comptés dans le total" in first
    # Both regions, each with its 15 territories (and the fixtures' own).
    assert re.search(r"Bretagne</th><td class=\"num\">15</td>", first)


def options(body: str, name: str) -> list[str]:
    """The labels of a select's options, its empty choice left out."""
    select = body.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', select)


def test_the_filters_offer_the_organisations_of_the_report(client_for, territory, other_territory):
    """The intercommunalities and funders a report may be filtered by are those its projects
    name: in a territory's report, its own (a company funding its project included); in the
    national one, every territory's, companies left out (a filter of their own territory)."""
    kind = OrganisationFactory._meta.model.Kind
    here, there, unused = (
        OrganisationFactory(name=name, kind=kind.EPCI)
        for name in ("CA de Chaumont", "CC de Commercy", "CC sans projet")
    )
    region = OrganisationFactory(name="Région Grand Est", kind=kind.REGION)
    company = OrganisationFactory(name="Forges SA", kind=kind.COMPANY)
    bank = OrganisationFactory(name="Banque des Territoires", kind=kind.PUBLIC_OPERATOR)
    mine = ProjectFactory(territory=territory, epci=here)
    FundingLineFactory(project=mine, funder=region)
    FundingLineFactory(project=mine, funder=company)
    theirs = ProjectFactory(territory=other_territory, epci=there)
    FundingLineFactory(project=theirs, funder=bank)
    assert unused.pk  # an intercommunality no project names

    own = text(client_for("coordinator").get("/rapports/"))
    assert options(own, "epci") == ["CA de Chaumont"]
    assert sorted(options(own, "financeur")) == ["Forges SA", "Région Grand Est"]
    national = text(client_for("admin").get("/rapports/?territoire=tous"))
    assert sorted(options(national, "epci")) == ["CA de Chaumont", "CC de Commercy"]
    assert sorted(options(national, "financeur")) == ["Banque des Territoires", "Région Grand Est"]
    # Another territory's intercommunality is not a filter of this report: refused in French.
    refused = client_for("coordinator").get(f"/rapports/?epci={there.pk}")
    assert refused.status_code == 400
    assert "Intercommunalité : Sélectionnez un choix valide" in text(refused)
    chosen = text(client_for("coordinator").get(f"/rapports/?epci={here.pk}"))
    assert f'<option value="{here.pk}" selected>CA de Chaumont</option>' in chosen


def test_report_query_counts_do_not_grow(client_for, territory):
    client = client_for("member")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    funder = OrganisationFactory()
    for _ in range(3):
        FundingLineFactory(
            project=ProjectFactory(territory=territory, stage=Stage.APPROVED), funder=funder
        )
    small = {url: count(url) for url in ("/", "/rapports/", "/rapports/?date=2025-01-01")}
    for _ in range(30):
        project = ProjectFactory(territory=territory, stage=Stage.APPROVED)
        FundingLineFactory(project=project, funder=funder)
        IndicatorFactory(project=project)
    assert {url: count(url) for url in small} == small


def test_dashboard_accepts_a_date(client_for, portfolio_data):
    body = text(client_for("member").get("/?date=2000-01-01"))
    assert "Situation au 1er janvier 2000" in body
    assert "<strong>0</strong> projet" in body


def test_my_next_meetings_are_those_i_sit_on_or_that_examine_my_projects(
    client_for, users, meeting, copil, eligible_projects
):
    """« Mes prochaines séances »: the committees a person sits on (an active seat), and the
    meetings whose agenda examines a project they lead; the coordination sees every one."""
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)  # led by `lead`, who sits nowhere
    meeting.convene(by=coordinator)
    pilot = make_meeting(copil, days=20)  # the coordinator and the member sit on the COPIL
    pilot.add_item(kind="information", title="Point d'étape du programme", by=coordinator)
    pilot.convene(by=coordinator)
    former = copil.members.get(user=users["member"])
    former.is_active = False
    former.save()

    def listed(name: str) -> list[str]:
        body = text(client_for(name).get("/"))
        panel = body.split('id="h-meetings"', 1)[1].split("</section>", 1)[0]
        return re.findall(r"<li><a href=\"/seances/\d+/\">(COTECH|COPIL) n°", panel)

    assert listed("coordinator") == ["COTECH", "COPIL"]
    assert listed("member") == ["COTECH"]  # no longer on the COPIL
    assert listed("partner") == ["COTECH"]
    assert listed("lead") == ["COTECH"]
    assert listed("other_lead") == []
