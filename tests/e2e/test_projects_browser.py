import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from projects.models import FundingLine, Project

# serialized_rollback: what the migrations seed (the AMI Rebond industriel the demo files to)
# comes back after each flush, whatever test ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} éléments)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_lead_edits_the_funding_plan_and_sees_it_in_the_timeline(
    page: Page, live_server, demo, login
):
    project = Project.objects.get(title="Robotisation de la ligne d'estampage")
    lines_before = project.funding_lines.count()
    login("porteur")
    page.goto(f"{live_server.url}/projets/{project.pk}/")
    page.get_by_role("link", name="Modifier", exact=True).click()

    # Add a funding line with htmx: a new row appears and takes the focus.
    rows = page.locator("#rows-financement tr")
    count = rows.count()
    page.get_by_role("button", name="Ajouter une ligne").first.click()
    expect(rows).to_have_count(count + 1)
    new_row = rows.nth(count)
    new_row.locator("select[name$='-funder']").select_option(label="Région Grand Est")
    new_row.locator("select[name$='-instrument']").select_option(label="Subvention")
    new_row.locator("input[name$='-amount']").fill("75 000")
    new_row.locator("select[name$='-status']").select_option(label="Sollicité")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text("Les modifications ont été enregistrées.")).to_be_visible()
    assert project.funding_lines.count() == lines_before + 1
    assert FundingLine.objects.filter(
        project=project, amount=75000, funder__name="Région Grand Est"
    ).exists()
    timeline = page.locator(".timeline").first
    expect(timeline).to_contain_text("Plan de financement — Région Grand Est (Subvention)")
    expect(timeline).to_contain_text("75\u202f000\u00a0€")


def test_bad_amount_is_reported_next_to_the_field(page: Page, live_server, demo, login):
    project = Project.objects.get(title="Robotisation de la ligne d'estampage")
    login("porteur")
    page.goto(f"{live_server.url}/projets/{project.pk}/modifier/")
    page.locator("input[name='financement-0-amount']").fill("-10")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert").first).to_contain_text("n'a pas été enregistré")
    expect(page.locator("input[name='financement-0-amount'] + .errorlist")).to_contain_text(
        "négatif"
    )


def test_list_filters_update_with_htmx_and_keep_the_url(page: Page, live_server, demo, login):
    login("membre")
    page.goto(f"{live_server.url}/projets/")
    page.get_by_label("Axe").select_option(label="Foncier industriel")
    expect(page).to_have_url(re.compile(r"axe=land"))
    results = page.locator("#project-results")
    expect(results).to_contain_text("Requalification de la friche")
    expect(results).not_to_contain_text("Station hydrogène")
    page.get_by_label("Rechercher").fill("friche")
    expect(page).to_have_url(re.compile(r"q=friche"))
    expect(results).to_contain_text("1 projet")
    page.go_back()
    expect(page).to_have_url(re.compile(r"axe=land"))


def test_coordinator_moves_a_stage_with_a_motive(page: Page, live_server, demo, login):
    project = Project.objects.get(title="Parcours de formation d'opérateurs composites")
    login("coordination")
    page.goto(f"{live_server.url}/projets/{project.pk}/")
    page.get_by_label("Nouvelle étape").select_option(label="Renvoyer en rédaction → En rédaction")
    page.get_by_role("button", name="Changer d'étape").click()
    expect(page.locator("#stage-panel")).to_contain_text("Le motif est obligatoire")
    page.get_by_label("Motif").fill("Il manque la lettre d'engagement de la Région.")
    page.get_by_role("button", name="Changer d'étape").click()
    expect(page.get_by_text("Le projet est passé à l'étape « En rédaction »")).to_be_visible()
    expect(page.locator(".timeline").first).to_contain_text("Il manque la lettre d'engagement")


def test_main_pages_have_no_serious_accessibility_violation(page: Page, live_server, demo, login):
    page.goto(f"{live_server.url}/connexion/")
    assert serious_violations(page) == []
    login("coordination")
    project = Project.objects.get(title="Récupération de chaleur fatale des fours de forge")
    for path in [
        "/",
        "/projets/",
        f"/projets/{project.pk}/",
        f"/projets/{project.pk}/modifier/",
        f"/projets/{project.pk}/historique/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
