"""The read API (issue 14): tokens, pages, ETags, rate, bad input, the day it is read as of,
its schema and documentation. Who reads what is in tests/test_permission_matrix.py (API
channel)."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate
from simple_history.utils import bulk_create_with_history

from api.auth import TokenRateThrottle
from api.models import ApiToken, digest
from projects.lifecycle import save_change
from projects.models import Axis, FundingLine, Milestone, Project, Stage

from ..factories import FundingLineFactory, MilestoneFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def token(users):
    return ApiToken.issue(users["coordinator"], "Tableau de bord DGE")


@pytest.fixture
def api(token) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token[1]}")


def ids_of(response) -> list[int]:
    return [o["id"] for o in response.json()["results"]]


# --- tokens -----------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_as_its_hash(users):
    client = Client()
    client.force_login(users["partner"])
    response = client.post("/compte/api/", {"name": "Outil de la Région"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=users["partner"])
    raw = response.content.decode().split('<code class="token-value">')[1].split("</code>")[0]
    assert raw.startswith("tdi_") and len(raw) > 40
    assert token.key_hash == digest(raw) and raw not in token.key_hash
    assert token.start == raw[:12]
    page = client.get("/compte/api/").content.decode()
    assert "Outil de la Région" in page and raw not in page  # never shown again


def test_a_token_needs_a_name(users):
    client = Client()
    client.force_login(users["partner"])
    response = client.post("/compte/api/", {"name": "  "})
    assert response.status_code == 400
    assert "Donnez un nom au jeton" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_is_for_the_owner_only(users, token):
    token_row, raw = token
    other = Client()
    other.force_login(users["partner"])
    assert other.post(f"/compte/api/{token_row.pk}/revoquer/").status_code == 404
    owner = Client()
    owner.force_login(users["coordinator"])
    assert owner.post(f"/compte/api/{token_row.pk}/revoquer/").status_code == 302
    token_row.refresh_from_db()
    assert token_row.revoked_at is not None
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/projets/")
    assert response.status_code == 401


def test_the_token_page_needs_a_login():
    response = Client().get("/compte/api/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_the_last_use_is_noted(api, token, project):
    assert token[0].last_used_at is None
    assert api.get("/api/v1/projets/").status_code == 200
    token[0].refresh_from_db()
    assert timezone.now() - token[0].last_used_at < timedelta(seconds=5)


def test_a_session_does_not_open_the_api(users, project):
    client = Client()
    client.force_login(users["coordinator"])
    assert client.get(f"/api/v1/projets/{project.pk}/").status_code == 401


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer", "En-tête Authorization invalide"),
        ("Bearer tdi_inconnu", "Jeton inconnu ou révoqué"),
        ("Bearer a b", "En-tête Authorization invalide"),
    ],
)
def test_a_bad_token_answers_401_in_french(header, detail):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/projets/")
    assert response.status_code == 401
    assert response.json()["detail"].startswith(detail)


def test_a_token_is_rate_limited_with_a_clear_429(api, monkeypatch, project):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    for _ in range(3):
        assert api.get("/api/v1/projets/").status_code == 200
    response = api.get("/api/v1/projets/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Trop de requêtes pour ce jeton : réessayez dans")
    assert int(response["Retry-After"]) > 0


# --- pages, ETags, bad input ------------------------------------------------------------


def test_pages_follow_the_ids_and_do_not_shift(api, territory):
    made = [ProjectFactory(territory=territory).pk for _ in range(7)]
    first = api.get("/api/v1/projets/?page_size=3")
    assert ids_of(first) == made[:3]
    added = ProjectFactory(territory=territory).pk  # written between two pages
    second = api.get(first.json()["next"])
    assert ids_of(second) == made[3:6]
    third = api.get(second.json()["next"])
    assert ids_of(third) == [made[6], added]
    assert third.json()["next"] is None


def test_a_list_answers_304_until_it_changes(api, territory, project):
    first = api.get("/api/v1/projets/")
    etag = first["ETag"]
    assert "Authorization" in first["Vary"]
    again = api.get("/api/v1/projets/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    project.title = "Nouvel intitulé"
    save_change(project, by=None, reason="Titre")
    changed = api.get("/api/v1/projets/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date=2999-01-01", "date", "La situation se lit au passé"),
        ("date=31/12/2025", "date", "Saisissez une date valide (AAAA-MM-JJ)."),
        ("stage=lancement", "stage", "Sélectionnez un choix valide."),
        ("funder=abc", "funder", "Saisissez un nombre entier."),
        ("page_size=500", "page_size", "Un nombre entier de 1 à 100 est attendu."),
        ("page_size=²", "page_size", "Un nombre entier de 1 à 100 est attendu."),
        ("cursor=%%%", "cursor", "Curseur invalide"),
    ],
)
def test_bad_input_answers_400_in_french(api, project, query, field, message):
    response = api.get(f"/api/v1/projets/?{query}")
    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)


def test_an_unknown_territory_answers_404(api):
    response = api.get("/api/v1/projets/?territory=ti-9999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Territoire introuvable."}


def test_writing_is_refused(api, project):
    response = api.post("/api/v1/projets/", {"title": "x"})
    assert response.status_code == 405
    assert ApiToken.objects.count() == 1


# --- as of a past day: the reports' figures ------------------------------------------------


def moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=PARIS)


@pytest.fixture
def history(territory, users):
    """Two projects in 2025: A (200 000 €) from March, moved to eligible in June; B (50 000 €)
    from May, its cost raised to 80 000 € in September; a milestone of A reached in July."""
    coordinator = users["coordinator"]
    a = ProjectFactory(
        territory=territory,
        title="Projet A",
        total_cost=Decimal("200000"),
        at=moment("2025-03-01"),
        by=coordinator,
    )
    FundingLineFactory(project=a, amount=Decimal("120000"), at=moment("2025-03-02"))
    b = ProjectFactory(
        territory=territory,
        title="Projet B",
        total_cost=Decimal("50000"),
        at=moment("2025-05-01"),
        by=coordinator,
    )
    a.move_to(Stage.ELIGIBLE, by=coordinator, at=moment("2025-06-10"))
    b.total_cost = Decimal("80000")
    save_change(b, by=coordinator, reason="Coût revu", at=moment("2025-09-01"))
    MilestoneFactory(project=a, title="Permis", due_on=date(2025, 7, 1), at=moment("2025-04-01"))
    return a, b


@pytest.mark.parametrize(
    ("day", "count", "investment", "stages"),
    [
        ("2025-04-15", 1, "200000.00", {"submitted": 1}),
        ("2025-07-01", 2, "250000.00", {"eligible": 1, "submitted": 1}),
        ("2025-12-31", 2, "280000.00", {"eligible": 1, "submitted": 1}),
    ],
)
def test_as_of_a_day_the_api_gives_the_reports_figures(
    api, users, history, day, count, investment, stages
):
    territory = api.get(f"/api/v1/territoires/ti-0052/?date={day}").json()
    figures = territory["figures"]
    assert (figures["count"], figures["investment"]) == (count, investment)
    assert {s["stage"]: s["count"] for s in figures["by_stage"]} == stages
    projects = api.get(f"/api/v1/projets/?date={day}").json()["results"]
    assert len(projects) == count
    assert sum(Decimal(p["total_cost"]) for p in projects) == Decimal(investment)
    # The report's CSV of the same day says the same.
    client = Client()
    client.force_login(users["coordinator"])
    export = client.get(f"/rapports/projets.csv?territoire=ti-0052&date={day}")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert sorted(r["Référence"] for r in rows) == sorted(p["reference"] for p in projects)


def test_a_project_as_of_a_day_has_its_stages_and_milestones_of_then(api, history):
    a, _b = history
    before = api.get(f"/api/v1/projets/{a.pk}/?date=2025-05-01").json()
    assert before["stage"] == "submitted"
    assert [s["stage"] for s in before["stages"]] == ["submitted"]
    assert before["funding_total"] == "120000.00"
    assert [m["title"] for m in before["milestones"]] == ["Permis"]
    after = api.get(f"/api/v1/projets/{a.pk}/").json()
    assert [s["stage"] for s in after["stages"]] == ["submitted", "eligible"]
    assert after["stage_since"].startswith("2025-06-10")
    missing = api.get(f"/api/v1/projets/{a.pk}/?date=2025-02-01")
    assert missing.status_code == 404


# --- bounded work ---------------------------------------------------------------------------


def queries_of(api, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_projects(api, territory):
    """From 10 projects to 1 000 (a page of 100): the same queries. The projects are written in
    bulk with their history rows (simple-history's own helper), as the national data set."""
    funder = OrganisationFactory(name="Région Grand Est", kind="region")

    def make(n: int, first: int) -> None:
        projects = bulk_create_with_history(
            [
                Project(
                    territory=territory,
                    reference=f"CL-2026-{first + i:04d}",
                    title=f"Projet {first + i}",
                    axis=Axis.INNOVATION,
                    stage=Stage.SUBMITTED,
                    total_cost=Decimal("100000"),
                )
                for i in range(n)
            ],
            Project,
        )
        lines = [
            FundingLine(project=p, funder=funder, instrument="grant", amount=1) for p in projects
        ]
        bulk_create_with_history(lines, FundingLine)
        milestones = [
            Milestone(project=p, title="Permis", due_on=date(2027, 1, 1)) for p in projects
        ]
        bulk_create_with_history(milestones, Milestone)

    make(10, 1)
    api.get("/api/v1/territoires/")  # the token's first use is noted once
    few = queries_of(api, "/api/v1/projets/?page_size=100")
    make(990, 11)
    assert Project.objects.count() == 1000
    many = queries_of(api, "/api/v1/projets/?page_size=100")
    assert many == few


# --- schema and documentation ----------------------------------------------------------------


def test_the_schema_is_valid_openapi_3_with_french_descriptions(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/projets/", "/api/v1/seances/{id}/"} <= set(schema["paths"])
    project = schema["components"]["schemas"]["Project"]["properties"]
    assert project["reference"]["description"] == "Référence du projet (ex. CL-2025-004)."


def test_the_schema_needs_a_token_or_a_session():
    assert Client().get("/api/v1/schema/").status_code == 401


def test_the_documentation_is_served_here_without_inline_scripts(users):
    client = Client()
    client.force_login(users["member"])
    response = client.get("/api/v1/documentation/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "GET /api/v1/projets/" in page
    assert "Référence du projet (ex. CL-2025-004)." in page
    assert "cdn" not in page.lower()
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]


def test_as_of_a_day_the_status_filter_comes_before_the_pages(api, cotech, users):
    """Meetings in preparation then, one per page: no empty page with a `next` link."""
    from ..factories import make_meeting

    meetings = [make_meeting(cotech, days=days) for days in (5, 10, 15)]
    meetings[1].add_item(kind="information", title="Point d'étape", by=users["coordinator"])
    meetings[1].convene(by=users["coordinator"])
    today = timezone.localdate().isoformat()
    url = f"/api/v1/seances/?date={today}&status=preparation&page_size=1"
    seen = []
    while url:
        page = api.get(url).json()
        assert len(page["results"]) == 1
        seen += [m["id"] for m in page["results"]]
        url = page["next"]
    assert seen == [meetings[0].pk, meetings[2].pk]
