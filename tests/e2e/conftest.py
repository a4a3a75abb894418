import os

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

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


FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, demo_media):
    """The demo, loaded once for the session: the browser tests are marked serialized_rollback,
    so each one starts from the database as it stands after this (the demo included)."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=demo_media, PASSWORD_HASHERS=FAST_HASHER),
    ):
        call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        connection._test_serialized_contents = connection.creation.serialize_db_to_string()


@pytest.fixture(autouse=True)
def _test_settings(settings, demo_media):
    """The settings the demo was loaded with: its archived PDFs, its password hashes."""
    settings.MEDIA_ROOT = demo_media
    settings.PASSWORD_HASHERS = FAST_HASHER


@pytest.fixture
def demo(transactional_db):
    """The demo data: restored before each browser test (see django_db_setup)."""


@pytest.fixture
def login(page, live_server):
    def log_in(username: str) -> None:
        page.goto(f"{live_server.url}/connexion/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill("demo-tdi-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in
