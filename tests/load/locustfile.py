"""The load of `make loadtest` (issue 13): people of every role log in through the real login
form, then browse as they would (dashboard, project lists with filters, project pages,
committees and meetings, reports, decisions, CSV exports); the national reader and the admin
also read the national dashboard and report and work on territories of the national set.

Run by tests/load/run.py (and the drills) with locust, from the `load` dependency group:
each request is also written to LOADTEST_SAMPLES (one CSV line: end time, kind, name, time in
ms, ok, status, error), from which the driver computes its figures by kind: `page`, `export`
(CSV/XLSX) and `login` (the login form, whose password hashing is costly by design).
Only locust and the standard library are imported: this file never loads Django.
"""

import itertools
import os
import random
import re
import time

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo-tdi-2026")
# Think time between two pages of one person, in seconds ("1,3" by default).
WAIT = [float(part) for part in os.environ.get("LOADTEST_WAIT", "1,3").split(",")]
# Territories of the national data set (manage.py demo --national): ti-2001 … ti-2183.
NATIONAL_TERRITORIES = [f"ti-{2000 + n:04d}" for n in range(1, 184)]
STAGES = ["idea", "drafting", "submitted", "cotech", "reserves", "approved", "financing"]
AXES = ["skills", "ecological", "innovation", "land"]
SORTS = ["reference", "titre", "etape", "-cout", "-modifie"]

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROJECT = re.compile(r'href="/projets/(\d+)/"')
COMMITTEE = re.compile(r'href="/comites/(\d+)/"')
MEETING = re.compile(r'href="/seances/(\d+)/"')
SWITCH = re.compile(r'<select id="territory-select" name="territory">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="(\d+)"')

# --- the samples the driver reads ---------------------------------------------------------------

_samples = None


@events.test_start.add_listener
def open_samples(**_kwargs) -> None:
    global _samples
    path = os.environ.get("LOADTEST_SAMPLES")
    if path and _samples is None:
        _samples = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115


@events.quitting.add_listener
def close_samples(**_kwargs) -> None:
    global _samples
    if _samples is not None:
        _samples.close()
        _samples = None


@events.request.add_listener
def record(name, response_time, response=None, context=None, exception=None, **_kwargs) -> None:
    if _samples is None:
        return
    kind = (context or {}).get("kind", "page")
    status = getattr(response, "status_code", 0) or 0
    error = "" if exception is None else str(exception).replace(",", ";").replace("\n", " ")[:200]
    _samples.write(
        f"{time.time():.3f},{kind},{name.replace(',', ';')},{response_time:.1f},"
        f"{0 if exception else 1},{status},{error}\n"
    )


# --- the people -----------------------------------------------------------------------------------


class Person(HttpUser):
    """Someone who logs in through the form and browses the territory they work in."""

    abstract = True
    wait_time = between(*WAIT)
    usernames: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.username = self.next_username()
        self.projects: list[str] = []
        self.histories: list[str] = []  # projects whose page links to their history
        self.committees: list[str] = []
        self.meetings: list[str] = []
        self.territories: list[str] = []  # the header's switch: ids of reachable territories
        self.log_in()
        self.discover()

    @classmethod
    def next_username(cls) -> str:
        if "_names" not in cls.__dict__:
            cls._names = itertools.cycle(cls.usernames)
        return next(cls._names)

    # -- requests --

    def fetch(self, path: str, name: str, kind: str = "page", expect: str = "text/html"):
        """GET a page or file; anything but a 200 of the expected type on the same page (not
        sent back to the login form) is an error."""
        with self.client.get(
            path, name=name, context={"kind": kind}, catch_response=True
        ) as response:
            content_type = response.headers.get("Content-Type", "")
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "/connexion/" in response.url and not path.startswith("/connexion/"):
                response.failure("renvoyé au formulaire de connexion")
            elif not content_type.startswith(expect):
                response.failure(f"type {content_type!r} au lieu de {expect}")
            else:
                response.success()
            return response

    def post(self, path: str, data: dict, name: str, kind: str = "page", back: str = "/"):
        """POST a form with the CSRF token; it must answer by a redirect to `back`."""
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **data}
        with self.client.post(
            path, data=data, name=name, context={"kind": kind}, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif not response.url.endswith(back):
                response.failure("renvoyé au formulaire de connexion")
            else:
                response.success()
            return response

    def log_in(self) -> None:
        form = self.fetch("/connexion/", "/connexion/ (formulaire)", kind="login")
        token = CSRF_FIELD.search(form.text or "")
        data = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "username": self.username,
            "password": PASSWORD,
            "next": "/",
        }
        with self.client.post(
            "/connexion/",
            data=data,
            name="/connexion/ (envoi)",
            context={"kind": "login"},
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "/connexion/" in response.url:
                response.failure(f"connexion refusée pour {self.username} ({response.status_code})")
            else:
                response.success()

    def on_stop(self) -> None:
        self.post("/deconnexion/", {}, "/deconnexion/", kind="login", back="/connexion/")

    # -- what the pages link to --

    def discover(self) -> None:
        page = self.fetch("/", "/ (tableau de bord)")
        switch = SWITCH.search(page.text or "")
        self.territories = OPTION.findall(switch.group(1)) if switch else []
        self.read_projects(self.fetch("/projets/", "/projets/"))
        self.read_committees(self.fetch("/comites/", "/comites/"))

    def read_projects(self, response) -> None:
        found = PROJECT.findall(response.text or "")
        if found:
            self.projects = sorted(set(found))

    def read_committees(self, response) -> None:
        found = COMMITTEE.findall(response.text or "")
        if found:
            self.committees = sorted(set(found))

    # -- browsing --

    @task(3)
    def dashboard(self) -> None:
        self.fetch("/", "/ (tableau de bord)")

    @task(3)
    def project_list(self) -> None:
        choice = random.random()
        if choice < 0.35:
            path, name = f"/projets/?etape={random.choice(STAGES)}", "/projets/?etape=…"
        elif choice < 0.55:
            path, name = f"/projets/?axe={random.choice(AXES)}", "/projets/?axe=…"
        elif choice < 0.75:
            path, name = f"/projets/?tri={random.choice(SORTS)}", "/projets/?tri=…"
        elif choice < 0.85:
            path, name = "/projets/?page=2", "/projets/?page=2"
        else:
            path, name = "/projets/", "/projets/"
        response = self.fetch(path, name)
        if path == "/projets/":
            self.read_projects(response)

    @task(4)
    def project_page(self) -> None:
        if self.projects:
            pk = random.choice(self.projects)
            page = self.fetch(f"/projets/{pk}/", "/projets/<id>/")
            if f'href="/projets/{pk}/historique/"' in (page.text or ""):
                self.histories = sorted({*self.histories, pk})

    @task(1)
    def project_history(self) -> None:
        """The history, of the projects whose page offers it to this person."""
        if self.histories:
            pk = random.choice(self.histories)
            self.fetch(f"/projets/{pk}/historique/", "/projets/<id>/historique/")

    @task(1)
    def committees_and_meetings(self) -> None:
        self.read_committees(self.fetch("/comites/", "/comites/"))
        if self.committees:
            committee = self.fetch(f"/comites/{random.choice(self.committees)}/", "/comites/<id>/")
            found = MEETING.findall(committee.text or "")
            if found:
                self.meetings = sorted(set(found))

    @task(2)
    def meeting_page(self) -> None:
        if self.meetings:
            self.fetch(f"/seances/{random.choice(self.meetings)}/", "/seances/<id>/")

    @task(2)
    def reports(self) -> None:
        self.fetch("/rapports/", "/rapports/")

    @task(1)
    def decisions(self) -> None:
        self.fetch("/decisions/", "/decisions/")

    @task(1)
    def export_csv(self) -> None:
        self.fetch(
            "/rapports/projets.csv", "/rapports/projets.csv", kind="export", expect="text/csv"
        )


class Coordination(Person):
    weight = 4
    usernames = ("coordination",)


class Lead(Person):
    weight = 3
    usernames = ("porteur", "porteur2")


class Member(Person):
    weight = 3
    usernames = ("membre",)


class Partner(Person):
    """The partner works in two territories and switches between them in the header."""

    weight = 3
    usernames = ("partenaire",)

    @task(1)
    def switch_territory(self) -> None:
        if len(self.territories) > 1:
            self.post(
                "/territoire/", {"territory": random.choice(self.territories)}, "/territoire/"
            )
            self.read_projects(self.fetch("/projets/", "/projets/"))
            self.meetings, self.histories = [], []


class National(Person):
    """The national reader: the whole country, and any territory of the national set."""

    weight = 5
    usernames = ("national",)

    @task(2)
    def national_dashboard(self) -> None:
        self.fetch("/?territoire=tous", "/?territoire=tous")

    @task(1)
    def national_report(self) -> None:
        self.fetch("/rapports/?territoire=tous", "/rapports/?territoire=tous")

    @task(2)
    def territory_report(self) -> None:
        code = random.choice(NATIONAL_TERRITORIES)
        self.fetch(f"/rapports/?territoire={code}", "/rapports/?territoire=ti-2…")

    @task(2)
    def work_in_another_territory(self) -> None:
        """Switch to a territory in the header, then read its projects (as /projets/ always
        lists the current territory's)."""
        if self.territories:
            self.post(
                "/territoire/", {"territory": random.choice(self.territories)}, "/territoire/"
            )
            self.read_projects(self.fetch("/projets/", "/projets/"))
            self.committees, self.meetings, self.histories = [], [], []

    @task(1)
    def territory_export(self) -> None:
        if random.random() < 0.1:  # the whole country: 20 000 projects, 5 MB
            self.fetch(
                "/rapports/projets.csv?territoire=tous",
                "/rapports/projets.csv?territoire=tous",
                kind="export",
                expect="text/csv",
            )
            return
        code = random.choice(NATIONAL_TERRITORIES)
        self.fetch(
            f"/rapports/projets.csv?territoire={code}",
            "/rapports/projets.csv?territoire=ti-2…",
            kind="export",
            expect="text/csv",
        )


class Admin(National):
    """The national admin (ANCT) reads as the national reader does, and opens the admin."""

    weight = 2
    usernames = ("admin",)

    @task(1)
    def admin_index(self) -> None:
        self.fetch("/admin/", "/admin/")
