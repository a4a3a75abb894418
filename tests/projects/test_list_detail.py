import re
from decimal import Decimal

import pytest

from projects.models import Axis, Stage

from ..factories import FundingLineFactory, OrganisationFactory, ProjectFactory
from ..utils import text

pytestmark = pytest.mark.django_db

PROJECT_URLS = [
    "/projets/{pk}/",
    "/projets/{pk}/historique/",
    "/projets/{pk}/historique/?date=2026-01-01",
]
# A lead reads another company's project card, not its history (DESIGN §8).
OTHER_LEAD = {PROJECT_URLS[0]: 200, PROJECT_URLS[1]: 403, PROJECT_URLS[2]: 403}


@pytest.mark.parametrize("url", PROJECT_URLS)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, 302),
        ("coordinator", 200),
        ("lead", 200),
        ("other_lead", OTHER_LEAD),
        ("member", 200),
        ("partner", 200),
        ("admin", 200),
        ("stranger", 404),
    ],
)
def test_project_pages_permissions(client_for, project, url, name, expected, htmx_headers):
    if isinstance(expected, dict):
        expected = expected[url]
    response = client_for(name).get(url.format(pk=project.pk))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/connexion/?next=")
    # The same answer for an htmx request.
    assert client_for(name).get(url.format(pk=project.pk), **htmx_headers).status_code == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("coordinator", 200),
        ("lead", 200),
        ("other_lead", 404),
        ("member", 404),
        ("partner", 404),
        ("stranger", 404),
    ],
)
def test_private_stages_are_hidden_from_others(client_for, project, name, expected):
    project.stage = Stage.DRAFTING
    project.save()
    assert client_for(name).get(f"/projets/{project.pk}/").status_code == expected
    assert client_for(name).get(f"/projets/{project.pk}/historique/").status_code == expected


def without_tokens(response) -> str:
    """The body without the per-request CSP nonce and CSRF token."""
    body = response.content.decode()
    body = re.sub(r'nonce="[^"]+"', "", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def test_other_territory_answers_exactly_like_a_missing_id(client_for, project):
    client = client_for("stranger")
    for url in ["/projets/{pk}/", "/projets/{pk}/modifier/", "/projets/{pk}/historique/"]:
        forbidden = client.get(url.format(pk=project.pk))
        missing = client.get(url.format(pk=999999))
        assert forbidden.status_code == missing.status_code == 404
        assert without_tokens(forbidden) == without_tokens(missing)


def test_list_shows_only_the_current_territory(client_for, project, other_territory):
    hidden = ProjectFactory(territory=other_territory, title="Projet de la Meuse")
    body = text(client_for("coordinator").get("/projets/"))
    assert project.title in body
    assert hidden.title not in body
    assert hidden.title not in text(
        client_for("admin").get("/projets/?q=Meuse")
    )  # admin's current territory


def test_list_hides_drafts_from_members_but_shows_them_to_their_lead(
    client_for, project, territory
):
    draft = ProjectFactory(
        territory=territory, title="Brouillon confidentiel", stage=Stage.DRAFTING
    )
    draft.lead_users.add(project.lead_users.first())
    assert draft.title not in text(client_for("member").get("/projets/"))
    assert draft.title not in text(client_for("other_lead").get("/projets/"))
    assert draft.title in text(client_for("lead").get("/projets/"))
    assert draft.title in text(client_for("coordinator").get("/projets/"))


def test_list_filters(client_for, territory, users):
    funder = OrganisationFactory(name="Bpifrance")
    lead_org = OrganisationFactory(name="Composites Haute-Marne")
    a = ProjectFactory(
        territory=territory,
        title="Recyclage composite",
        axis=Axis.ECOLOGICAL,
        lead_organisation=lead_org,
    )
    b = ProjectFactory(
        territory=territory, title="Plateforme compétences", axis=Axis.SKILLS, stage=Stage.ELIGIBLE
    )
    FundingLineFactory(project=b, funder=funder)
    client = client_for("coordinator")

    def titles(query: str) -> set[str]:
        body = text(client.get(f"/projets/?{query}"))
        return {p.title for p in (a, b) if p.title in body}

    assert titles("") == {a.title, b.title}
    assert titles("q=recyclage") == {a.title}
    assert titles(f"q={b.reference}") == {b.title}
    assert titles("axe=skills") == {b.title}
    assert titles("etape=eligible") == {b.title}
    assert titles(f"porteur={lead_org.pk}") == {a.title}
    assert titles(f"financeur={funder.pk}") == {b.title}
    # Bad filter values do not break the page.
    assert client.get("/projets/?etape=hacked&porteur=abc&tri=x&page=999").status_code == 200


def test_list_htmx_returns_the_results_fragment_and_varies(client_for, project, htmx_headers):
    response = client_for("coordinator").get("/projets/?q=école", **htmx_headers)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="project-results"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]
    assert "<html" in client_for("coordinator").get("/projets/").content.decode()


def test_list_sorting_and_pagination(client_for, territory):
    for i in range(30):
        ProjectFactory(territory=territory, title=f"Projet {i:02d}", total_cost=Decimal(i * 1000))
    client = client_for("coordinator")
    body = text(client.get("/projets/?tri=-cout"))
    assert body.index("Projet 29") < body.index("Projet 28")
    assert "page 1 sur 2" in body
    assert "Projet 00" in text(client.get("/projets/?tri=-cout&page=2"))


def test_list_query_count_does_not_grow(client_for, territory, django_assert_num_queries):
    client = client_for("coordinator")

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/projets/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        FundingLineFactory(project=ProjectFactory(territory=territory))
    small = count_queries()
    # Past a full page of 25 (and more lines than projects): the page reads as many rows.
    for _ in range(55):
        project = ProjectFactory(territory=territory)
        FundingLineFactory(project=project)
        FundingLineFactory(project=project)
    assert count_queries() == small
    assert small <= 12


def test_detail_query_count_does_not_grow(client_for, project, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("coordinator")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/projets/{project.pk}/").status_code == 200
        return len(ctx.captured_queries)

    FundingLineFactory(project=project)
    small = count_queries()
    for i in range(49):
        line = FundingLineFactory(project=project, funder=OrganisationFactory())
        line.amount += i
        line.save()
        project.title = f"Titre {i}"
        project.save()
    assert project.history.count() >= 50
    assert count_queries() == small
    history_url = f"/projets/{project.pk}/historique/?date=2030-01-01"
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(history_url).status_code == 200
    assert len(ctx.captured_queries) <= small + 10


def test_detail_shows_funding_balance(client_for, project):
    FundingLineFactory(project=project, amount=Decimal("70000"))
    body = text(client_for("member").get(f"/projets/{project.pk}/"))
    assert "il manque 30\u202f000\u00a0€" in body
    FundingLineFactory(project=project, amount=Decimal("30000"))
    assert "Plan équilibré" in text(client_for("member").get(f"/projets/{project.pk}/"))


def test_detail_offers_only_the_moves_the_user_may_make(client_for, project):
    coordinator = text(client_for("coordinator").get(f"/projets/{project.pk}/"))
    assert "Déclarer recevable" in coordinator
    lead = text(client_for("lead").get(f"/projets/{project.pk}/"))
    assert "Retirer le projet" in lead
    assert "Déclarer recevable" not in lead
    member = text(client_for("member").get(f"/projets/{project.pk}/"))
    assert "Changer d'étape" not in member
    assert "Modifier" not in member


def test_territory_switch(client_for, users, territory, other_territory):
    from projects.models import Membership, Role

    Membership.objects.create(user=users["partner"], territory=other_territory, role=Role.PARTNER)
    other = ProjectFactory(territory=other_territory, title="Projet meusien")
    client = client_for("partner")
    assert other.title not in text(client.get("/projets/"))
    response = client.post("/territoire/", {"territory": other_territory.pk})
    assert response.status_code == 302
    assert other.title in text(client.get("/projets/"))
    # A territory the user does not belong to: 404.
    assert (
        client_for("lead").post("/territoire/", {"territory": other_territory.pk}).status_code
        == 404
    )
