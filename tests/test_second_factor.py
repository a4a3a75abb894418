"""A TOTP second factor at login (issue 12): required for the coordination, national roles and
admins where SECOND_FACTOR_REQUIRED is on; offered to everyone; recovery codes used once."""

import re
import time
from unittest import mock

import pytest
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .utils import text

pytestmark = pytest.mark.django_db

PASSWORD = "Forge-de-Langres-2027"


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def sign_in(client, user):
    user.set_password(PASSWORD)
    user.save()
    response = client.post("/connexion/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def code_at(device, later: float) -> str:
    """The device's code `later` seconds from now (a login after the enrolment's time step)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + later
    return f"{generator.token():06d}"


def enrol(client, user) -> list[str]:
    page = client.get("/compte/double-authentification/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/compte/double-authentification/",
        {"action": "confirm", "code": f"{totp(device.bin_key):06d}", "next": "/projets/"},
    )
    assert response.status_code == 200
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


def test_a_coordinator_must_enrol_then_gives_the_code_at_each_login(client, users, required):
    coordinator = users["coordinator"]
    sign_in(client, coordinator)
    # Every page leads to the enrolment first.
    response = client.get("/projets/")
    assert response.status_code == 302
    assert response["Location"] == "/compte/double-authentification/?next=/projets/"
    page = client.get(response["Location"])
    assert "Votre rôle (coordination, lecture ou administration nationale)" in text(page)
    assert "<svg" in page.content.decode()  # the key to scan

    bad = client.post("/compte/double-authentification/", {"action": "confirm", "code": "000000"})
    assert bad.status_code == 400
    assert "Ce code ne correspond pas" in text(bad)
    # django-otp makes a device wait a little after a failure; the test does not.
    TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    codes = enrol(client, coordinator)
    assert len(codes) == 10
    assert client.get("/projets/").status_code == 200

    # Next login: the password, then the code.
    client.post("/deconnexion/")
    sign_in(client, coordinator)
    assert client.get("/").status_code == 302
    assert client.get("/admin/")["Location"] == "/connexion/code/?next=/admin/"
    htmx = client.get("/projets/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/connexion/code/?next=/projets/"
    wrong = client.post("/connexion/code/", {"code": "123456", "next": "/projets/"})
    assert wrong.status_code == 400
    assert "Ce code n'est pas valide (ou a déjà servi)" in text(wrong)
    TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    code = code_at(device, 60)  # the next time steps: a code serves once
    with mock.patch("time.time", return_value=time.time() + 60):
        response = client.post("/connexion/code/", {"code": code, "next": "/projets/"})
    assert response.status_code == 302 and response["Location"] == "/projets/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_serves_once(client, users, required):
    coordinator = users["coordinator"]
    sign_in(client, coordinator)
    codes = enrol(client, coordinator)
    client.post("/deconnexion/")
    sign_in(client, coordinator)
    used = client.post("/connexion/code/", {"code": codes[0]})
    assert used.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/deconnexion/")
    sign_in(client, coordinator)
    again = client.post("/connexion/code/", {"code": codes[0]})
    assert again.status_code == 400
    assert client.get("/").status_code == 302


def test_national_readers_and_admins_must_enrol(client, users, required):
    sign_in(client, users["admin"])
    assert client.get("/")["Location"] == "/compte/double-authentification/?next=/"


def test_a_lead_may_turn_it_on_and_off(client, users, required):
    lead = users["lead"]
    sign_in(client, lead)
    assert client.get("/").status_code == 200  # not required of a lead
    enrol(client, lead)
    client.post("/deconnexion/")
    sign_in(client, lead)
    assert client.get("/").status_code == 302  # asked from now on
    device = TOTPDevice.objects.get(user=lead)
    code = code_at(device, 60)
    with mock.patch("time.time", return_value=time.time() + 60):
        given = client.post("/connexion/code/", {"code": code})
    assert given.status_code == 302, text(given)[-2000:]
    response = client.post("/compte/double-authentification/", {"action": "disable"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=lead).exists()


def test_a_coordinator_cannot_turn_it_off(client, users, required):
    coordinator = users["coordinator"]
    sign_in(client, coordinator)
    enrol(client, coordinator)
    page = client.get("/compte/double-authentification/")
    assert "Votre rôle l'exige : elle ne peut pas être désactivée." in text(page)
    client.post("/compte/double-authentification/", {"action": "disable"})
    assert TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()


def test_in_development_the_demo_logins_need_no_code(client, users, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    sign_in(client, users["coordinator"])
    assert client.get("/").status_code == 200


def test_the_login_receivers_are_connected_at_start_up():
    """Before any request has loaded the middleware, a login already asks for the second
    factor (a fresh process: in this one, earlier tests have made requests)."""
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth.signals import user_logged_in\n"
        "print(sorted(r.__name__ for r in user_logged_in._live_receivers(None)[0]))\n"
    )
    out = subprocess.run(  # noqa: S603 — this interpreter, a constant script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "ask_second_factor" in out and "start_session" in out
