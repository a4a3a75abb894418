import html
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client

from projects.models import Stage

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "motdepasse-test"  # set by tests.factories.UserFactory
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def project_urls(project_id: int) -> list[str]:
    return [
        "/",
        "/projets/",
        "/projets/nouveau/",
        f"/projets/{project_id}/",
        f"/projets/{project_id}/modifier/",
        f"/projets/{project_id}/historique/",
    ]


def script_src_nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    directives = {
        part.strip().split()[0]: part.strip().split()[1:]
        for part in policy.split(";")
        if part.strip()
    }
    nonces = [v for v in directives["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, policy
    return nonces[0][len("'nonce-") : -1]


# --- deny by default ---------------------------------------------------------------------


def test_every_project_url_redirects_anonymous_to_login(client_for, project):
    client = client_for(None)
    for url in project_urls(project.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.url)
        assert location.path == "/connexion/", url
        assert parse_qs(location.query)["next"] == [url]


def test_htmx_fragment_urls_redirect_anonymous_to_login(client_for, project, htmx_headers):
    client = client_for(None)
    for url in ["/projets/?q=ecole", "/projets/ligne/jalons/?jalons-TOTAL_FORMS=1"]:
        response = client.get(url, **htmx_headers)
        assert response.status_code == 302, url
        assert response.url.startswith("/connexion/?next="), url


def test_login_page_is_public_and_french(client_for):
    response = client_for(None).get("/connexion/")

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert '<html lang="fr">' in content
    assert "Connexion" in content
    assert "Mot de passe" in content
    assert "Se connecter" in content
    assert "Mot de passe oublié ?" in content
    assert "Password" not in content


def test_password_reset_pages_are_public(client_for):
    client = client_for(None)
    for url in ["/mot-de-passe/oubli/", "/mot-de-passe/oubli/envoye/"]:
        assert client.get(url).status_code == 200, url


# --- content security policy -------------------------------------------------------------


def test_login_page_has_strict_csp_with_nonce_on_scripts(client_for):
    response = client_for(None).get("/connexion/")

    policy = response["Content-Security-Policy"]
    nonce = script_src_nonce(response)
    assert len(nonce) >= 16
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert any("htmx" in tag for tag in scripts)
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag


@pytest.mark.parametrize("url_name", ["dashboard", "list", "detail", "edit", "history"])
def test_pages_have_nonced_scripts_and_no_inline_handlers(client_for, project, url_name):
    url = {
        "dashboard": "/",
        "list": "/projets/",
        "detail": f"/projets/{project.pk}/",
        "edit": f"/projets/{project.pk}/modifier/",
        "history": f"/projets/{project.pk}/historique/",
    }[url_name]
    client = client_for("coordinator")

    response = client.get(url)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    nonce = script_src_nonce(response)
    content = response.content.decode()
    htmx_tags = [t for t in re.findall(r"<script\b[^>]*>", content) if "htmx" in t]
    assert htmx_tags, "the htmx script is loaded"
    for tag in re.findall(r"<script\b[^>]*>", content):
        assert f'nonce="{nonce}"' in tag, tag
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', content)
    assert config is not None
    assert '"allowEval": false' in config.group(1)
    assert INLINE_HANDLER.search(content) is None, INLINE_HANDLER.search(content)
    assert "hx-on" not in content
    assert "javascript:" not in content


def test_nonce_changes_between_requests(client_for, project):
    client = client_for("coordinator")

    first = script_src_nonce(client.get("/"))
    second = script_src_nonce(client.get("/"))

    assert first != second


def test_security_headers(client_for, project):
    response = client_for("coordinator").get(f"/projets/{project.pk}/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- CSRF --------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator"])
    return client


def test_stage_move_without_csrf_token_is_403(csrf_client, project):
    csrf_client.get(f"/projets/{project.pk}/")

    response = csrf_client.post(f"/projets/{project.pk}/etape/", {"stage": Stage.ELIGIBLE})

    assert response.status_code == 403
    project.refresh_from_db()
    assert project.stage == Stage.SUBMITTED


def test_stage_move_with_htmx_csrf_header_is_accepted(csrf_client, project, htmx_headers):
    csrf_client.get(f"/projets/{project.pk}/")
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(
        f"/projets/{project.pk}/etape/",
        {"stage": Stage.ELIGIBLE},
        HTTP_X_CSRFTOKEN=token,
        **htmx_headers,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/projets/{project.pk}/"
    project.refresh_from_db()
    assert project.stage == Stage.ELIGIBLE


def test_page_carries_csrf_token_for_htmx(csrf_client, project):
    response = csrf_client.get(f"/projets/{project.pk}/")

    match = re.search(
        r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", response.content.decode()
    )
    assert match is not None
    assert match.group(1)


def test_document_upload_without_csrf_token_is_403(csrf_client, project):
    project.stage = Stage.DRAFTING
    project.save()
    csrf_client.get(f"/projets/{project.pk}/")

    response = csrf_client.post(f"/projets/{project.pk}/documents/", {"title": "Devis"})

    assert response.status_code == 403
    assert project.documents.count() == 0


# --- login throttling (django-axes) -----------------------------------------------------


def login(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post("/connexion/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_is_locked_after_five_failures(client_for, users):
    client = client_for(None)
    for attempt in range(4):
        response = login(client, "lead", "mauvais-mot-de-passe")
        assert response.status_code == 200, attempt
        assert "Saisissez un nom d’utilisateur et un mot de passe valides" in html.unescape(
            response.content.decode()
        )

    fifth = login(client, "lead", "mauvais-mot-de-passe")
    sixth = login(client, "lead", PASSWORD)

    # AXES_HTTP_RESPONSE_CODE is left at its default, 429 Too Many Requests.
    for response in (fifth, sixth):
        assert response.status_code == 429
        content = html.unescape(response.content.decode())
        assert "bloquée" in content
        assert "Connexion temporairement bloquée" in content
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username(client_for, users):
    client = client_for(None)
    for _ in range(5):
        login(client, "lead", "mauvais-mot-de-passe")
    assert login(client, "lead", PASSWORD).status_code == 429

    response = login(client_for(None), "member", PASSWORD)

    assert response.status_code == 302
    assert response.url == "/"


def test_lockout_is_per_ip_address(client_for, users):
    for _ in range(5):
        login(client_for(None), "lead", "mauvais-mot-de-passe", ip="203.0.113.7")

    response = login(client_for(None), "lead", PASSWORD, ip="198.51.100.20")

    assert response.status_code == 302


def test_successful_login_resets_failures(client_for, users):
    for _ in range(4):
        login(client_for(None), "lead", "mauvais-mot-de-passe")
    assert login(client_for(None), "lead", PASSWORD).status_code == 302

    for _ in range(4):
        login(client_for(None), "lead", "mauvais-mot-de-passe")

    assert login(client_for(None), "lead", PASSWORD).status_code == 302


# --- password reset ----------------------------------------------------------------------


def test_password_reset_sends_french_mail_with_link(client_for, users):
    mail.outbox.clear()

    response = client_for(None).post("/mot-de-passe/oubli/", {"email": "lead@example.fr"})

    assert response.status_code == 302
    assert response.url == "/mot-de-passe/oubli/envoye/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@example.fr"]
    assert message.subject == "Réinitialisation de votre mot de passe tdi"
    assert "Bonjour" in message.body
    link = re.search(r"https?://[^\s]+/mot-de-passe/nouveau/[^\s]+/[^\s]+/", message.body)
    assert link is not None, message.body

    path = urlsplit(link.group(0)).path
    client = client_for(None)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "Nouveau mot de passe" in html.unescape(response.content.decode())


def test_password_reset_with_unknown_email_sends_nothing(client_for, users):
    mail.outbox.clear()

    response = client_for(None).post("/mot-de-passe/oubli/", {"email": "inconnu@example.fr"})

    assert response.status_code == 302
    assert response.url == "/mot-de-passe/oubli/envoye/"
    assert mail.outbox == []


# --- production settings -----------------------------------------------------------------


def production_env() -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tdi.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        DJANGO_ALLOWED_HOSTS="tdi.example.fr",
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
