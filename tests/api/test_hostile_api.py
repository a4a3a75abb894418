"""Hostile query strings on every route of the read API: never a server error, always JSON
(the page-level sweep in tests/test_hostile_input.py works with sessions, which the API does
not read)."""

import re

import pytest
from django.test import Client
from django.urls import get_resolver

from api.auth import TokenRateThrottle
from api.models import ApiToken
from committees.models import Meeting
from tdi.middleware import BAD_REQUEST

from ..factories import ProjectFactory, make_meeting

pytestmark = pytest.mark.django_db

VALUES = [
    "",
    "\x00",
    "x" * 5000,
    "-1",
    "0",
    "99999999999999999999",
    "1e9",
    "' OR 1=1 --",
    "<script>",
    "tous",
    "ti-0055",
    "2025-02-30",
    "9999-12-31",
    "0001-01-01",
    "%ff",
    "🏭",
]
# A French message: accented letters or the French words of the forms' messages.
FRENCH = re.compile(r"[éèàêôûç]|Saisissez|Sélectionnez|Curseur|Un nombre|entier", re.I)
PARAMETERS = [
    "territory", "date", "stage", "axis", "funder", "committee", "status", "since", "until",
    "cursor", "page_size",
]  # fmt: skip


def api_paths(project, meeting) -> list[str]:
    resolver = get_resolver()
    paths = ["/api/v1/territoires/", "/api/v1/territoires/ti-0052/", "/api/v1/comites/"]
    paths += ["/api/v1/projets/", f"/api/v1/projets/{project.pk}/", "/api/v1/seances/"]
    paths += [f"/api/v1/seances/{meeting.pk}/", "/api/v1/candidatures/"]
    paths += [f"/api/v1/{name}/{'9' * 25}/" for name in ("projets", "seances", "candidatures")]
    for path in paths:
        resolver.resolve(path)  # each is a route of the API
    return paths


@pytest.mark.parametrize("who", ["coordinator", "stranger"])
def test_hostile_query_strings_never_make_a_server_error(
    users, territory, cotech, who, monkeypatch
):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/min"})
    project = ProjectFactory(territory=territory)
    meeting = make_meeting(cotech)
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    raw = ApiToken.issue(users[who], "sonde")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    failures = []
    for path in api_paths(project, meeting):
        for name in PARAMETERS:
            for value in VALUES:
                response = client.get(path, {name: value})
                if (problem := judge(response, name, value)) is not None:
                    failures.append(f"{path}?{name}={value[:20]!r}: {problem}")
    assert not failures, "\n".join(failures)


def judge(response, name: str, value: str) -> str | None:
    """What is wrong with an answer (None: nothing). Each answer says why it is what it is: a
    NUL is refused for the whole site before any view; a refused parameter is named with its
    French message; a missing object says so; otherwise the JSON the route serves."""
    if value == "\x00":
        expected = (400, BAD_REQUEST)
        got = (response.status_code, response.content.decode())
        return None if got == expected else f"{got[0]} {got[1][:80]!r}"
    if response["Content-Type"] != "application/json":
        return f"{response.status_code} {response['Content-Type']}"
    body = response.json()
    if response.status_code == 400:
        messages = body.get(name, [])
        return None if messages and all(FRENCH.search(m) for m in messages) else str(body)
    if response.status_code == 404:
        detail = body.get("detail", "")
        return None if "introuvable" in detail or "identifiant" in detail else detail
    if response.status_code == 200:
        return None if isinstance(body, dict) and body else "réponse vide"
    return f"{response.status_code} {str(body)[:80]}"
