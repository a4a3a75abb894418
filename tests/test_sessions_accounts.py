"""Sessions and accounts of an administration tool (issue 12): no-store on what a signed-in
user sees, idle and absolute session limits, a throttled password reset, a password change
page."""

import time

import pytest
from django.core import mail

from accounts.models import PasswordResetRequest
from accounts.sessions import EXPIRED, SEEN, STARTED
from accounts.views import RESET_PER_ADDRESS, RESET_PER_IP, TOO_MANY

from .utils import text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projets/",
        "/projets/{project}/",
        "/projets/{project}/fiche.pdf",
        "/rapports/projets.csv",
        "/rapports/projets.xlsx",
        "/rapports/",
        "/decisions/",
        "/compte/mot-de-passe/",
    ],
)
def test_every_authenticated_response_is_no_store(client_for, project, path):
    response = client_for("coordinator").get(path.format(project=project.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_open_data_is_cacheable_for_anonymous_readers(client, territory):
    response = client.get(f"/opendata/{territory.code}/projets.csv")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def login(client, user):
    client.post("/connexion/", {"username": user.username, "password": "secret-tdi-2026"})


@pytest.fixture
def signed_in(client, users):
    user = users["coordinator"]
    user.set_password("secret-tdi-2026")
    user.save()
    login(client, user)
    assert client.get("/").status_code == 200
    return client


def age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_a_session_idle_too_long_ends(signed_in, settings):
    age_session(signed_in, **{SEEN: settings.SESSION_IDLE_TIMEOUT + 5})
    response = signed_in.get("/projets/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/projets/"
    page = signed_in.get(response["Location"])
    assert EXPIRED in text(page)
    assert signed_in.get("/").status_code == 302  # signed out


def test_an_active_session_ends_at_its_absolute_limit(signed_in, settings):
    age_session(signed_in, **{STARTED: settings.SESSION_ABSOLUTE_TIMEOUT + 5, SEEN: 10})
    response = signed_in.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/connexion/?next=/"


def test_an_active_session_within_its_limits_goes_on(signed_in, settings):
    age_session(signed_in, **{STARTED: settings.SESSION_ABSOLUTE_TIMEOUT - 60, SEEN: 120})
    assert signed_in.get("/").status_code == 200
    assert int(time.time()) - signed_in.session[SEEN] < 5  # the activity is recorded


def test_password_reset_is_throttled_per_address(client, users):
    address = users["lead"].email
    for _ in range(RESET_PER_ADDRESS):
        assert client.post("/mot-de-passe/oubli/", {"email": address}).status_code == 302
    assert len(mail.outbox) == RESET_PER_ADDRESS
    refused = client.post("/mot-de-passe/oubli/", {"email": address.upper()})
    assert refused.status_code == 429
    assert TOO_MANY in text(refused)
    assert len(mail.outbox) == RESET_PER_ADDRESS
    assert PasswordResetRequest.objects.filter(refused=True).count() == 1


def test_password_reset_is_throttled_per_client(client):
    for n in range(RESET_PER_IP):
        response = client.post("/mot-de-passe/oubli/", {"email": f"inconnu{n}@example.fr"})
        assert response.status_code == 302
    refused = client.post("/mot-de-passe/oubli/", {"email": "encore@example.fr"})
    assert refused.status_code == 429
    # The same message as for one address: nothing tells which limit, or whether accounts exist.
    assert TOO_MANY in text(refused)


def test_a_user_changes_their_password(signed_in, users):
    bad = signed_in.post(
        "/compte/mot-de-passe/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert bad.status_code == 200
    assert "Le mot de passe n'a pas été changé" in text(bad)
    response = signed_in.post(
        "/compte/mot-de-passe/",
        {
            "old_password": "secret-tdi-2026",
            "new_password1": "Forge-de-Langres-2027",
            "new_password2": "Forge-de-Langres-2027",
        },
    )
    assert response.status_code == 302
    users["coordinator"].refresh_from_db()
    assert users["coordinator"].check_password("Forge-de-Langres-2027")
    assert signed_in.get("/").status_code == 200  # still signed in


def test_the_password_change_page_needs_a_login(client):
    response = client.get("/compte/mot-de-passe/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


@pytest.mark.django_db
def test_an_absurdly_long_username_is_a_failed_login_not_a_server_error(client, users):
    """django-axes records each failed attempt with its username (a 255-character column): a
    5 000-character one made a DataError on PostgreSQL (issue 12)."""
    from axes.models import AccessAttempt

    response = client.post("/connexion/", {"username": "é" * 5000, "password": "x"})
    assert response.status_code == 200
    assert "Saisissez un nom d" in response.content.decode().replace("&#x27;", "'")
    assert AccessAttempt.objects.get().username == "é" * 150
