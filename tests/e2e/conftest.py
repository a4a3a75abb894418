import os

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    # This hook sees every collected test: mark only the browser tests of this folder.
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium: Playwright cannot download its own browser on these machines.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _quiet_browser_before_flush(page, live_server, transactional_db):
    """Leave the page before the database is flushed: an htmx request still in flight
    (history restore, a filter) would otherwise hold a lock on the SQLite tables."""
    yield
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def login(page, live_server):
    def log_in(username: str) -> None:
        page.goto(f"{live_server.url}/connexion/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill("demo-tdi-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in
