"""Issue 14 in the browser: the coordination takes up its own table of projects (download the
filled model, upload it, read the preview), and a partner creates an API token, reads it once,
uses it, and revokes it."""

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from projects.models import ProjectImport

from .test_projects_browser import serious_violations

# serialized_rollback: what the migrations seed comes back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_coordination_imports_its_own_table(page: Page, live_server, demo, login, tmp_path):
    login("coordination")
    page.goto(f"{live_server.url}/projets/")
    page.get_by_role("link", name="Importer un tableau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Importer le tableau de suivi des projets"
    )
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="le modèle rempli avec les projets du territoire").click()
    table = tmp_path / "suivi.xlsx"
    download.value.save_as(table)

    page.get_by_label("Tableau de suivi des projets").set_input_files(table)
    page.get_by_role("button", name="Déposer et associer les colonnes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("colonnes")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
    # The territory's own table: every project is found again, nothing to write.
    expect(page.locator("main")).to_contain_text("Projets inchangés")
    expect(page.locator("main")).to_contain_text("le tableau ne changerait rien")
    assert serious_violations(page) == []
    assert ProjectImport.objects.get().summary == {}  # nothing applied


def test_a_partner_creates_uses_and_revokes_an_api_token(page: Page, live_server, demo, login):
    login("partenaire")
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès à l'API")
    page.get_by_label("Nom du jeton").fill("Tableau de bord de la Région")
    page.get_by_role("button", name="Créer le jeton").click()
    value = page.locator("code.token-value").inner_text()
    assert value.startswith("tdi_")
    assert serious_violations(page) == []

    api = Client(HTTP_AUTHORIZATION=f"Bearer {value}")
    response = api.get("/api/v1/territoires/")
    # Nadia Benali is a partner of Banque des Territoires in both territories (demo/data.py).
    assert [t["code"] for t in response.json()["results"]] == ["ti-0052", "ti-0055"]

    page.goto(f"{live_server.url}/compte/api/")
    expect(page.locator("main")).not_to_contain_text(value)  # shown once
    page.get_by_role("button", name="Révoquer").click()
    expect(page.locator("main")).to_contain_text("révoqué le")
    assert api.get("/api/v1/territoires/").status_code == 401
