import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from projects.models import Application

from .test_projects_browser import serious_violations

# serialized_rollback: what the migrations seed (the AMI Rebond industriel the demo files to)
# comes back after each flush, whatever test ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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


def test_a_section_counts_warns_before_leaving_and_refuses_too_long_a_text(
    page: Page, live_server, demo, login
):
    application = Application.objects.get(status=Application.Status.DRAFT)
    section = application.call.sections.get(key="cofinancements")
    login("coordination")
    page.goto(f"{live_server.url}/candidatures/{application.pk}/")
    article = page.locator("#rubrique-cofinancements")
    field = article.get_by_label(section.title)
    field.fill("x" * (section.max_length + 12))
    over = f"12 caractères en trop (limite : {section.max_length:,})".replace(",", "\u202f")
    expect(article.locator("[data-count]")).to_have_text(over)
    expect(article.locator("[data-unsaved-state]")).to_have_text("Modifications non enregistrées.")

    # Leaving asks first; staying keeps the text.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Candidatures").first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/candidatures/{application.pk}/")

    # The button is busy while the server answers, which refuses the text and keeps it.
    def slow(route):
        page.wait_for_timeout(600)
        route.continue_()

    page.route("**/rubriques/cofinancements/", slow)
    button = article.get_by_role("button", name="Enregistrer la rubrique")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
    article = page.locator("#rubrique-cofinancements")
    expect(article).to_contain_text("12 caractères en trop : la rubrique en admet")
    expect(article.get_by_label(section.title)).to_have_value("x" * (section.max_length + 12))
    expect(article.locator("[data-unsaved-state]")).to_have_text("Modifications non enregistrées.")

    # Shortened, it is saved; nothing is left unsaved on the page.
    page.unroute("**/rubriques/cofinancements/")
    article.get_by_label(section.title).fill("La Région s'engage à hauteur de 200 000 €.")
    article.get_by_role("button", name="Enregistrer la rubrique").click()
    expect(page.locator("#rubrique-cofinancements")).to_contain_text("Rubrique enregistrée")
    assert page.locator("form[data-dirty]").count() == 0
