import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from projects.models import Application

from .test_projects_browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_completes_and_submits_the_draft_dossier(page: Page, live_server, demo, login):
    application = Application.objects.get(status=Application.Status.DRAFT)
    item = application.items.get()
    page.on("dialog", lambda dialog: dialog.accept())
    login("coordination")
    page.goto(f"{live_server.url}/candidatures/{application.pk}/")
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("Le dossier est incomplet")
    expect(checklist).to_contain_text("déséquilibré")
    assert serious_violations(page) == []

    # Write the missing section: saved with htmx, the check list updates beside it.
    section = page.locator("#rubrique-cofinancements")
    section.get_by_label("Engagements de cofinancement des collectivités").fill(
        "La Région Grand Est s'engage à hauteur de 200 000 € (délibération du 12 octobre 2026)."
    )
    section.get_by_role("button", name="Enregistrer la rubrique").click()
    expect(page.locator("#rubrique-cofinancements")).to_contain_text("Rubrique enregistrée")
    expect(checklist).not_to_contain_text(
        "Engagements de cofinancement des collectivités » : à rédiger"
    )

    # Balance the funding plan of the project, as the check list asks.
    page.goto(f"{live_server.url}/projets/{item.project_id}/modifier/")
    rows = page.locator("#rows-financement tr")
    count = rows.count()
    page.get_by_role("button", name="Ajouter une ligne").first.click()
    expect(rows).to_have_count(count + 1)
    row = rows.nth(count)
    row.locator("select[name$='-funder']").select_option(label="Région Grand Est")
    row.locator("select[name$='-instrument']").select_option(label="Subvention")
    row.locator("input[name$='-amount']").fill("200 000")
    row.locator("select[name$='-status']").select_option(label="Sollicité")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Les modifications ont été enregistrées.")).to_be_visible()

    page.goto(f"{live_server.url}/candidatures/{application.pk}/")
    expect(page.locator("#checklist")).to_contain_text("Le dossier est complet")
    page.get_by_role("button", name="Déclarer le dossier prêt").click()
    expect(page.get_by_text("Le dossier est prêt à être déposé.")).to_be_visible()
    page.get_by_role("button", name="Déposer le dossier").click()
    expect(page.get_by_text("Le dossier est déposé")).to_be_visible()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    expect(page.get_by_role("button", name="Enregistrer la rubrique")).to_have_count(0)

    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = 'd.pdf';"
            " document.body.appendChild(a); a.click(); }",
            f"{live_server.url}/candidatures/{application.pk}/dossier.pdf",
        )
    content = Path(download_info.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == application.dossier_sha256


def test_partner_filters_and_downloads_reports(page: Page, live_server, demo, login):
    login("partenaire")
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/rapports/")
    assert serious_violations(page) == []
    page.get_by_label("Axe", exact=False).and_(page.locator("select")).select_option(
        label="Transition écologique et énergétique"
    )
    expect(page).to_have_url(re.compile(r"axe=ecological"))
    report = page.locator("#report")
    expect(report).to_contain_text("Station hydrogène")
    expect(report).not_to_contain_text("Académie des métiers de la forge")

    for name, kind in [
        ("Rapport de portefeuille (PDF)", b"%PDF"),
        ("Projets, financements et indicateurs (Excel)", b"PK"),
    ]:
        link = page.get_by_role("link", name=name)
        href = link.get_attribute("href")
        assert "axe=ecological" in href
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200
        assert response.body().startswith(kind)
