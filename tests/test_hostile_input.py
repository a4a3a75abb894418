"""Hostile input never makes a 500: every URL of the site, every query parameter its view reads
and every field of every form it shows receive NUL, CR/LF, quotes, oversize text and absurd
numbers, and must answer something other than a server error, refusals (403, 404, a redirect
to the login page) included.

The sweep runs once per person of the permission matrix: the coordinator, a project lead, a
member and a partner (both on the committee), a national reader, the administrator, the
coordinator of another territory and an anonymous visitor. Requests go as a page (redirects, a
form shown again with its errors) and as htmx (fragments, HX-Redirect); a file once, the header
changes nothing. The coordinator gets every value in the query parameters, in both channels,
and in each field of a form one at a time as a page (the others valid, so that a hostile one
goes as far as the save); as htmx, the forms get NUL, CR/LF and 5000 é in every field at once.
The others, mostly refused, get these three values only: in the query parameters as a page (as
htmx, the probe only; a file, costly to render, for one subject of its route), in every field at
once of the forms their own pages show, in both channels, and in a blind POST to every URL as a
page, which makes hostile at once what the view reads before it refuses: a form they cannot see
ends in that refusal.

A 500 found and not fixed yet is listed in KNOWN with its reason: that person's sweep is then
an xfail, and fails on any other 500 or when the known one no longer happens.

Nothing is listed by hand but the fixture world: the URLs come from the resolver (a new URL
whose path the world cannot fill fails here), the query parameters from what each view reads
(a probe request records the keys looked up in `request.GET` or `request.POST`), the form
fields from the HTML. Each request runs in a savepoint rolled back afterwards, so that a valid
hostile POST (an archive, a cancellation) does not change the pages the next requests see, and
so that a database error does not poison the rest of the sweep.
"""

import os
import re
import traceback
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.models import ApiToken
from committees.models import AgendaItem, Decision, Invitation, Meeting
from projects.models import Application, Document, ReportJob, Reserve, Stage

from . import test_permission_matrix as matrix
from .factories import make_meeting
from .test_audit import World
from .test_permission_matrix import FILES, PDF_BYTES

pytestmark = pytest.mark.django_db

# The permission matrix's people (a national reader, the administrator as national admin) and
# their clients (anonymous: not logged in).
people = matrix.people
client_of = matrix.client_of

VALUES = {
    "NUL": "\x00",
    "CR/LF": "a\r\nb",
    "quotes": "\"'<>",
    "5000 é": "é" * 5000,
    "-1": "-1",
    "20 digits": "99999999999999999999",
}
TEXT_LABELS = ("NUL", "CR/LF", "quotes", "5000 é")
# The values of the other people, and of the coordinator's forms as htmx.
REDUCED = {k: VALUES[k] for k in ("NUL", "CR/LF", "5000 é")}
TEXT = {"text", "search", "email", "url", "tel", "password"}
IGNORED = ("-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
# Django's own admin; no static or media route is served by Django here. The read API answers
# tokens, not sessions: its hostile input is swept in tests/api/test_hostile_api.py.
SKIPPED = ("admin/", "api/v1/")
NOT_POSTED = {"/deconnexion/"}  # would end the person's session for the rest of the sweep
PROBE = "_sonde"  # a parameter no view reads: it binds the `request.GET or None` forms
HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["coordinator", "lead", "member", "partner", "national", "admin", "stranger", "anonymous"]
# The 500s found and not fixed yet: (person, method, path with its numbers blanked, field or "*",
# value label) → (the databases where it happens, why), for instance ("anonymous", "POST",
# "/connexion/", "*", "5000 é") → ({"postgresql"}, "…"). Such a sweep is marked xfail; it fails
# on any other 500, and on a known one that no longer happens (fixed: remove it from here), as
# pytest's strict xfail would.
KNOWN: dict[tuple[str, str, str, str, str], tuple[set[str], str]] = {}


# --- the world the URLs are filled from -----------------------------------------------------


@pytest.fixture
def subjects(territory, users, project, cotech, meeting, eligible_projects) -> dict:
    """For each first segment of a route, the sets of path parameters to fill it with: a
    route is requested once per set that has all its parameters."""
    world = World(territory, users, project)
    coordinator, lead = users["coordinator"], users["lead"]
    document = Document.objects.create(
        project=project,
        title="Devis",
        kind=Document.Kind.QUOTE,
        file=ContentFile(PDF_BYTES, name="devis.pdf"),
        original_name="devis.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        uploaded_by=coordinator,
    )
    # In preparation: the agenda forms.
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point d'information", by=coordinator)
    # Held, a decision with reserves on its project: the decision, minutes and reserve forms.
    held = make_meeting(cotech, days=5)
    held.add_project(eligible_projects[1], by=coordinator)
    held.convene(by=coordinator)
    held.hold(by=coordinator, at=held.starts_at)
    item = held.items.get()
    reserves = [{"text": f"Réserve {n}", "due_on": date(2027, 1, 15)} for n in (1, 2)]
    item.record_decision(
        Decision.FAVORABLE_RESERVES, by=coordinator, motive="Motif", reserves=reserves
    )
    reserved = item.project
    proposed, open_reserve = Reserve.objects.filter(project=reserved).order_by("pk")
    proposed.propose_lift(by=lead, proof="Permis accordé.")
    invitation = Invitation.objects.filter(meeting=held, member__user__isnull=False).first()
    application = world.application(Application.Status.DRAFT)
    job = ReportJob.objects.create(kind=ReportJob.Kind.PORTFOLIO, created_by=coordinator)
    member = cotech.members.filter(user__isnull=True).get()
    assert Meeting.objects.get(pk=held.pk).status == Meeting.Status.HELD
    return {
        "projets": [
            {
                "pk": project.pk,
                "doc_pk": document.pk,
                "history_id": document.history.latest().history_id,
                "prefix": "financement",
            },
            {"pk": reserved.pk, "reserve_pk": proposed.pk},
            {"pk": reserved.pk, "reserve_pk": open_reserve.pk},
            {"pk": world.new_project(Stage.FINANCING, "Halle de la forge").pk},
        ],
        "seances": [
            {"pk": meeting.pk, "item_pk": meeting.items.first().pk},
            {"pk": held.pk, "item_pk": item.pk, "token": invitation.link_token()},
        ],
        "comites": [{"pk": cotech.pk, "member_pk": member.pk}],
        "candidatures": [
            {"pk": application.pk, "key": application.call.sections.first().key},
        ],
        "rapports": [{"pk": job.pk}],
        "compte": [{"pk": ApiToken.issue(coordinator, "Outil de la Région")[0].pk}],
        "opendata": [{"code": territory.code}],
        "mot-de-passe": [
            {
                "uidb64": urlsafe_base64_encode(force_bytes(lead.pk)),
                "token": default_token_generator.make_token(lead),
            }
        ],
    }


# --- the routes -----------------------------------------------------------------------------

PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every route of the site, as a path template such as `projets/<int:pk>/`."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED):
            continue
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        else:
            assert isinstance(entry, URLPattern)
            assert not route.startswith("^"), f"route en expression régulière : {route}"
            yield route


def fill(route: str, params: dict) -> str:
    return "/" + PARAMETER.sub(lambda m: quote(str(params[m[2]]), safe=""), route)


def urls(subjects: dict) -> list[tuple[str, dict, str]]:
    """(route, parameters, path) for every route, once per parameter set that fills it."""
    found, unfilled = {}, []
    for route in routes():
        names = {m[2] for m in PARAMETER.finditer(route)}
        sets = [s for s in subjects.get(route.split("/")[0], []) if names <= s.keys()]
        if names and not sets:
            unfilled.append(route)
        for params in sets if names else [{}]:
            params = {name: params[name] for name in names}
            found.setdefault(fill(route, params), (route, params))
    assert not unfilled, f"Routes que le monde de test ne sait pas remplir : {unfilled}"
    return [(route, params, url) for url, (route, params) in found.items()]


# --- what a view reads, what a page offers to post ------------------------------------------


@pytest.fixture
def keys_read(monkeypatch) -> set:
    """The keys looked up in a QueryDict (request.GET, a form bound to it) from now on."""
    read: set = set()

    def spy(name):
        original = getattr(MultiValueDict, name)

        def method(self, key, *args, **kwargs):
            if isinstance(self, QueryDict):
                read.add(key)
            return original(self, key, *args, **kwargs)

        return method

    for name in ("__getitem__", "__contains__", "get", "getlist"):
        monkeypatch.setattr(MultiValueDict, name, spy(name))
    return read


class Forms(HTMLParser):
    """The POST forms of a page: action, fields with the values a browser would send, and the
    named submit buttons (each one a way to send the form)."""

    def __init__(self, url: str):
        super().__init__()
        self.url, self.forms, self.by_id, self.current = url, [], {}, None
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or ("post" if "hx-post" in a else "get")).lower()
            action = a.get("hx-post") or a.get("action") or self.url
            self.current = {"action": action, "fields": {}, "buttons": []}
            self.current |= {"text": set(), "hidden": set(), "other": set()}
            if method == "post":
                self.forms.append(self.current)
                self.by_id[a.get("id")] = self.current
            return
        form = self.by_id.get(a["form"]) if a.get("form") else self.current
        name = a.get("name")
        if form is None or not name:
            return
        fields = form["fields"]
        kind = (a.get("type") or "text").lower()
        if tag == "button" or kind in ("submit", "image"):
            form["buttons"].append((name, a.get("value", "")))
        elif tag == "input" and kind != "file":
            checkable = kind in ("checkbox", "radio")
            form["text" if kind in TEXT else "hidden" if kind == "hidden" else "other"].add(name)
            fields.setdefault(name, [])
            if not checkable or "checked" in a:
                fields[name].append(a.get("value", "on" if checkable else ""))
        elif tag == "textarea":
            form["text"].add(name)
            self.textarea = fields.setdefault(name, [""])
        elif tag == "select":
            self.select = fields.setdefault(name, [])
            self.select_first = None
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            self.select_first = value if self.select_first is None else self.select_first
            if "selected" in a:
                self.select.append(value)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if not self.select and self.select_first is not None:
                self.select.append(self.select_first)
            self.select = None


# --- the sweep ------------------------------------------------------------------------------


class Sweep:
    """The requests of one person, and the server errors they made."""

    def __init__(self, client: Client, who: str, keys_read: set):
        self.client, self.who, self.keys_read = client, who, keys_read
        self.failures: list[tuple[tuple, str]] = []  # (key in KNOWN, what to read)
        self.count = 0

    def request(self, method: str, url: str, data, where: str, value: str, **headers):
        """One request in a rolled back savepoint; a 500 (raised or answered) is recorded."""
        self.count += 1
        try:
            with transaction.atomic():
                response = getattr(self.client, method)(url, data, **headers)
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001 - what a server error is made of
            outcome = f"{type(error).__name__}: {str(error)[:160]!r} at {origin(error)}"
        else:
            if response.status_code < 500:
                return response
            outcome = str(response.status_code)
        channel = " (htmx)" if headers else ""
        key = (self.who, method.upper(), generic(url.split("?")[0]), generic(where), value)
        line = f"{self.who}: {method.upper()}{channel} {url} {where}={value} → {outcome}"
        self.failures.append((key, line))
        return None

    def probe(self, method: str, url: str, **headers):
        """A request with the probe parameter only: its answer, and the keys the view read."""
        self.keys_read.clear()
        response = self.request(method, url, {PROBE: "1"}, PROBE, "1", **headers)
        return response, sorted(k for k in self.keys_read if isinstance(k, str) and k != PROBE)


def origin(error: BaseException) -> str:
    """Where the error comes from, file:line: its last frame outside Django and the database
    driver (the project's code, or a third-party application's)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    outside = [f for f in frames if not re.search(r"-packages/(django|psycopg)/", f.filename)]
    frame = (outside or frames)[-1]
    return f"{os.path.relpath(frame.filename)}:{frame.lineno}"


def channels(url: str) -> list[dict]:
    """A page answers as a page and as an htmx fragment; a file does not depend on the header,
    so one request each keeps the sweep fast."""
    return [{}] if FILES.search(url) else [{}, HTMX]


def generic(name: str) -> str:
    """A URL or field name with its numbers blanked: one form or row stands for its kind."""
    return re.sub(r"\d+", "N", name)


def text(values: dict) -> dict:
    """The strings among the values, the ones that make sense in free text."""
    return {label: value for label, value in values.items() if label in TEXT_LABELS}


def rotated(names: list[str], values: dict, shift: int) -> dict:
    """Every name at once, each with another hostile value: few requests for a costly file."""
    values = list(values.values())
    return {name: values[(i + shift) % len(values)] for i, name in enumerate(names)}


def targets(form: dict) -> list[str]:
    """The fields to make hostile one at a time: one row of each table; not the CSRF token (the
    test client does not check it), nor the bounds of a formset (Django ignores them)."""
    kept = {}
    for name in form["fields"]:
        if name != "csrfmiddlewaretoken" and not name.endswith(IGNORED):
            kept.setdefault(generic(name), name)
    return list(kept.values())


def values_for(form: dict, name: str, values: dict) -> dict:
    """Free text gets the strings; other fields, which parse their value, the numbers too."""
    return text(values) if name in form["text"] else values


def sweep_pages(
    sweep: Sweep, subjects: dict, values: dict, *, htmx_values: dict, every_file: bool
) -> dict:
    """GET every URL in every channel (a file for one subject of its route unless `every_file`),
    with each parameter its view reads (as htmx, with `htmx_values`) and each free path segment
    made hostile; returns the POST forms the pages showed, one copy of each kind."""
    forms: dict[tuple, dict] = {}
    swept: set[tuple] = set()
    for route, params, url in urls(subjects):
        if FILES.search(url) and not every_file and (route, False) in swept:
            continue
        for headers in channels(url):
            # The probe: which keys the view reads, and which forms the page offers.
            response, names = sweep.probe("get", url, **headers)
            if response is not None and "html" in response.get("Content-Type", ""):
                parser = Forms(url)
                parser.feed(response.content.decode())
                for form in parser.forms:
                    key = (generic(form["action"]), *sorted({generic(f) for f in form["fields"]}))
                    forms.setdefault(key, form)
            # The hostile requests, once per route and channel (the probes cover every subject).
            if (route, bool(headers)) in swept:
                continue
            swept.add((route, bool(headers)))
            if not headers:
                for name in re.findall(r"<(?:str|slug|path):(\w+)>", route):
                    for label, value in values.items():
                        sweep.request("get", fill(route, {**params, name: value}), {}, name, label)
            if FILES.search(url):
                # Every key read at once (the probe did without): 2 rotations of 6 values, 1 of 3.
                for shift in range(0, len(values), 3) if names else ():
                    data = rotated(names, values, shift)
                    sweep.request("get", url, data, "*", f"rotation {shift}")
                continue
            for name in names:
                for label, value in (htmx_values if headers else values).items():
                    sweep.request("get", url, {name: value}, name, label, **headers)
    return forms


def sweep_blind_posts(sweep: Sweep, subjects: dict, values: dict) -> None:
    """POST to every URL as a page, whatever the person's pages show: a probe, then the keys its
    view read made hostile at once. Where the person may not post, this is the code of the
    refusal, which a form they cannot see would reach (as htmx, the refusal is the GET's)."""
    for _route, _params, url in urls(subjects):
        if url in NOT_POSTED:
            continue
        _response, names = sweep.probe("post", url)
        if names:
            for label, value in text(values).items():
                sweep.request("post", url, dict.fromkeys(names, value), "*", label)


def sweep_forms(sweep: Sweep, forms: dict, values: dict, *, one_by_one: bool, **headers) -> None:
    """POST every form, once per named button: one field at a time made hostile, the others
    valid, so that a hostile field goes as far as the save; or every field at once."""
    # The fullest copy of a form first (an edit form rather than the empty creation form with
    # the same fields). A copy of visible fields already swept one by one is then sent with
    # all of them hostile at once.
    swept_fields: set[tuple] = set()
    for form in sorted(forms.values(), key=lambda f: -sum(map(any, f["fields"].values()))):
        if form["action"] in NOT_POSTED:
            continue
        base = {name: given for name, given in form["fields"].items() if given}
        fields = tuple(
            sorted(generic(name) for name in form["fields"] if name not in form["hidden"])
        )
        each = one_by_one and not (len(fields) > 3 and fields in swept_fields)
        swept_fields.add(fields)
        for button in form["buttons"] or [None]:
            sent = dict(base, **({button[0]: [button[1]]} if button else {}))
            where = f"[{button[0]}={button[1]}] " if button else ""
            if not each:
                for label, value in text(values).items():
                    data = dict(sent, **dict.fromkeys(targets(form), value))
                    sweep.request("post", form["action"], data, where + "*", label, **headers)
                continue
            for name in targets(form) + ([button[0]] if button else []):
                for label, value in values_for(form, name, values).items():
                    data = dict(sent, **{name: value})
                    sweep.request("post", form["action"], data, where + name, label, **headers)


@pytest.mark.parametrize("who", ROLES)
def test_hostile_input_never_makes_a_server_error(who, subjects, client_of, keys_read):
    client = client_of(who)
    assert client.get("/").status_code == (302 if who == "anonymous" else 200)
    sweep = Sweep(client, who, keys_read)
    if who == "coordinator":
        # Every value, every field one by one as a page (the redirects, the page re-rendered
        # with its errors), every field at once as htmx (the fragments, HX-Redirect).
        forms = sweep_pages(sweep, subjects, VALUES, htmx_values=VALUES, every_file=True)
        sweep_forms(sweep, forms, VALUES, one_by_one=True)
        sweep_forms(sweep, forms, REDUCED, one_by_one=False, **HTMX)
    else:
        forms = sweep_pages(sweep, subjects, REDUCED, htmx_values={}, every_file=False)
        sweep_blind_posts(sweep, subjects, REDUCED)
        for headers in ({}, HTMX):
            sweep_forms(sweep, forms, REDUCED, one_by_one=False, **headers)

    known = {
        key: reason
        for key, (vendors, reason) in KNOWN.items()
        if key[0] == who and connection.vendor in vendors
    }
    failures = [line for key, line in sweep.failures if key not in known]
    assert not failures, f"{len(failures)} erreurs 500 sur {sweep.count} requêtes :\n" + "\n".join(
        failures
    )
    fixed = known.keys() - {key for key, _line in sweep.failures}
    assert not fixed, (
        f"Erreurs 500 connues qui ne se produisent plus (à retirer de KNOWN) : {fixed}"
    )
    if known:
        pytest.xfail(" ; ".join(sorted(set(known.values()))))
