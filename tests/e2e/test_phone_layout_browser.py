"""The site at a phone's width (390 × 844, an iPhone 12 to 15): no page scrolls sideways, the main
menu folds behind its « Menu » button, and the pages stay free of serious axe violations."""

import pytest
from playwright.sync_api import Browser, Page, expect

from committees.models import Meeting
from projects.models import Application, Project

from .test_projects_browser import serious_violations

# serialized_rollback: what the migrations seed (the AMI Rebond industriel the demo files to)
# comes back after each flush, whatever test ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def representative_paths() -> list[str]:
    project = Project.objects.get(title="Récupération de chaleur fatale des fours de forge")
    # The latest meeting of each status (in preparation, convened, held, validated…): each shows
    # other panels, tables and forms.
    territory_meetings = Meeting.objects.filter(committee__territory__code="ti-0052")
    meetings = {meeting.status: meeting for meeting in territory_meetings.order_by("starts_at")}
    committee = territory_meetings.latest("starts_at").committee
    return [
        "/",
        "/projets/",
        f"/projets/{project.pk}/",
        f"/projets/{project.pk}/modifier/",
        f"/projets/{project.pk}/historique/",
        "/comites/",
        f"/comites/{committee.pk}/",
        *(f"/seances/{meeting.pk}/" for meeting in meetings.values()),
        "/decisions/",
        "/rapports/",
        "/candidatures/",
        *(f"/candidatures/{application.pk}/" for application in Application.objects.order_by("pk")),
    ]


def test_no_page_is_wider_than_a_phone(page: Page, live_server, demo, login):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/connexion/")
    assert page_width(page) <= PHONE["width"]
    login("coordination")
    for path in representative_paths():
        assert page.goto(f"{live_server.url}{path}").ok, path
        assert page_width(page) <= PHONE["width"], path
        assert serious_violations(page) == [], path


def test_wide_tables_scroll_in_a_region_that_the_keyboard_reaches(
    page: Page, live_server, demo, login
):
    page.set_viewport_size(PHONE)
    login("coordination")
    page.goto(f"{live_server.url}/rapports/")
    region = page.get_by_role("region", name="Projets du portefeuille")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())


def test_the_menu_folds_behind_a_button_that_opens_it(page: Page, live_server, demo, login):
    page.set_viewport_size(PHONE)
    login("admin")  # staff: the menu has its « Administration » entry too
    page.goto(f"{live_server.url}/projets/")
    entries = page.locator("#main-menu a")
    assert entries.count() == 7
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-controls", "main-menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    for entry in entries.all():
        expect(entry).to_be_hidden()

    # With the keyboard: the button opens the menu, every entry is visible within the screen.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for entry in entries.all():
        expect(entry).to_be_visible()
        box = entry.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], entry.text_content()
    page.keyboard.press("Tab")
    expect(entries.first).to_be_focused()
    assert page_width(page) <= PHONE["width"]
    assert serious_violations(page) == []

    # Escape folds it again and gives the focus back to the button.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(entries.first).to_be_hidden()

    # On a wide screen the menu is a bar, without a button.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(toggle).to_be_hidden()
    for entry in entries.all():
        expect(entry).to_be_visible()


def test_without_javascript_the_menu_wraps_on_a_phone(browser: Browser, live_server, demo):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/connexion/")
        page.locator("#id_username").fill("admin")
        page.locator("#id_password").fill("demo-tdi-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/")
        # No button that would do nothing: the entries are all there, wrapped within the screen.
        expect(page.locator(".nav-toggle")).to_be_hidden()
        entries = page.locator("#main-menu a")
        assert entries.count() == 7
        for entry in entries.all():
            expect(entry).to_be_visible()
            box = entry.bounding_box()
            assert box["x"] + box["width"] <= PHONE["width"], entry.text_content()
        assert page_width(page) <= PHONE["width"]
    finally:
        context.close()
