"""The permission matrix of DESIGN §8, typed by hand: person × resource × channel × method.

Never derived from the code under test (no import of the access rules): a rule changed by
mistake must fail here. Out of scope answers 404, in scope but forbidden 403 with a French
message, anonymous a redirect to the login page. Every decision names the territory of the
object: `dual` coordinates Vallée de la Meuse, works there (session), and is only a partner in
Chaumont-Langres, where every resource below lives.
"""

import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from committees.models import Attendance, Committee, CommitteeMember, Decision, Meeting
from projects.models import (
    Application,
    ApplicationProject,
    Call,
    Document,
    NationalMembership,
    NationalRole,
    Role,
    SectionAnswer,
    Stage,
)

from .factories import (
    FundingLineFactory,
    IndicatorFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)
from .utils import held_tasks

pytestmark = pytest.mark.django_db

MOTIVE = "MOTIF-SECRET-SEANCE"
OWN_MOTIVE = "MOTIF-VALIDE-PROPRE"  # validated minutes, the lead's own item
OTHER_MOTIVE = "MOTIF-VALIDE-AUTRE"  # validated minutes, another company's item
DRAFT_TITLE = "BROUILLON-SECRET"
DOC_TITLE = "Devis confidentiel Forges"
CHAUMONT = "territoire=ti-0052"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
CHANNELS = {"page": {}, "htmx": {"HTTP_HX_REQUEST": "true"}}
EVERYONE = [
    "coordinator", "lead", "other_lead", "member", "partner", "seat", "dual", "national",
    "admin", "stranger", "anonymous",
]  # fmt: skip


# --- people and resources -------------------------------------------------------------


@pytest.fixture
def people(users, territory, other_territory):
    national = UserFactory(username="national")
    NationalMembership.objects.create(user=national, role=NationalRole.READER)
    NationalMembership.objects.create(user=users["admin"], role=NationalRole.ADMIN)
    dual = UserFactory(username="dual")
    MembershipFactory(user=dual, territory=other_territory, role=Role.COORDINATOR)
    MembershipFactory(user=dual, territory=territory, role=Role.PARTNER)
    seat = MembershipFactory(
        user=UserFactory(username="seat"), territory=territory, role=Role.PARTNER
    ).user
    return {**users, "national": national, "dual": dual, "seat": seat}


@pytest.fixture
def client_of(people, other_territory):
    def make(who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(people[who])
        if who == "dual":
            # dual works in Meuse, where they coordinate: Chaumont's answers must not change.
            assert client.post("/territoire/", {"territory": other_territory.pk}).status_code == 302
        return client

    return make


@pytest.fixture
def p(territory, people):
    """The submitted project P of the lead, with a funding plan."""
    project = ProjectFactory(territory=territory, title="Extension de l'école de production")
    project.lead_users.add(people["lead"])
    FundingLineFactory(project=project, amount=Decimal("100000"))
    return project


@pytest.fixture
def doc(p, people):
    return Document.objects.create(
        project=p,
        title=DOC_TITLE,
        kind=Document.Kind.QUOTE,
        file=ContentFile(PDF_BYTES, name="upload.pdf"),
        original_name="devis.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        uploaded_by=people["coordinator"],
    )


@pytest.fixture
def d(territory, people):
    """A project being written by the lead, flagged public (open data must still skip it)."""
    project = ProjectFactory(
        territory=territory, title=DRAFT_TITLE, stage=Stage.DRAFTING, is_public=True
    )
    project.lead_users.add(people["lead"])
    return project


@pytest.fixture
def cotech(territory, people):
    """The Chaumont COTECH: the coordinator chairs, `seat` (a partner) holds a seat."""
    committee = Committee.objects.create(
        territory=territory, kind=Committee.Kind.COTECH, name="Comité technique"
    )
    CommitteeMember.objects.create(committee=committee, user=people["coordinator"], role="chair")
    CommitteeMember.objects.create(committee=committee, user=people["seat"], role="member")
    return committee


def held_meeting(committee, coordinator, titles_and_leads, days: int) -> Meeting:
    meeting = Meeting.objects.create(
        committee=committee,
        starts_at=timezone.now() + timedelta(days=days),
        place="Hôtel de l'agglomération, Chaumont",
    )
    for title, lead in titles_and_leads:
        project = ProjectFactory(territory=committee.territory, title=title, stage=Stage.ELIGIBLE)
        if lead:
            project.lead_users.add(lead)
        meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    return meeting


@pytest.fixture
def m(cotech, people):
    """Held meeting M examining P1 of the lead: decision and motive recorded, not validated."""
    coordinator = people["coordinator"]
    meeting = held_meeting(cotech, coordinator, [("Station hydrogène", people["lead"])], days=10)
    meeting.items.get().record_decision(
        Decision.FAVORABLE_RESERVES,
        by=coordinator,
        motive=MOTIVE,
        reserves=[{"text": "RESERVE-TEXTE", "due_on": date(2027, 1, 15)}],
    )
    return meeting


@pytest.fixture
def m_item(m):
    return m.items.get()


@pytest.fixture
def p1(m_item):
    return m_item.project


@pytest.fixture
def v(cotech, people):
    """Validated meeting V (minutes PDF stored): the lead's project and another company's."""
    coordinator = people["coordinator"]
    specs = [("Friche de la fonderie", people["lead"]), ("Académie de la forge", None)]
    meeting = held_meeting(cotech, coordinator, specs, days=5)
    for member in cotech.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    motives = [OWN_MOTIVE, OTHER_MOTIVE]
    for item, motive in zip(meeting.items.order_by("order"), motives, strict=True):
        item.record_decision(Decision.UNFAVORABLE, by=coordinator, motive=motive)
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    meeting.refresh_from_db()
    return meeting


def new_application(territory, title: str) -> Application:
    return Application.objects.create(
        call=Call.objects.get(title="AMI Rebond industriel"),
        territory=territory,
        applicant=OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind="epci"),
        title=title,
    )


@pytest.fixture
def app_a(territory, p):
    """A draft application including P."""
    application = new_application(territory, "Candidature en cours")
    ApplicationProject.objects.create(
        application=application, project=p, requested_amount=Decimal("30000")
    )
    return application


@pytest.fixture
def app_s(request, territory, people):
    """A submitted application including a complete project of the lead; its archived dossier
    (a second of PDF/A) is produced for the tests that download it."""
    project = ProjectFactory(
        territory=territory,
        title="Requalification de la friche",
        stage=Stage.APPROVED,
        total_cost=Decimal("1000000"),
    )
    project.lead_users.add(people["lead"])
    FundingLineFactory(project=project, amount=Decimal("1000000"))
    IndicatorFactory(project=project, target=Decimal("25"))
    application = new_application(territory, "Candidature déposée")
    ApplicationProject.objects.create(
        application=application, project=project, requested_amount=Decimal("300000")
    )
    for section in application.call.sections.all():
        SectionAnswer.objects.create(application=application, section=section, text="Texte.")
    application.mark_ready(by=people["coordinator"])
    callspec = getattr(request.node, "callspec", None)
    if callspec and "dossier.pdf" not in str(callspec.params.get("template", "")):
        with held_tasks():
            application.submit(by=people["coordinator"])
    else:
        application.submit(by=people["coordinator"])
    return application


# --- helpers --------------------------------------------------------------------------


def resolve(request, template):
    """Fill {fixture} placeholders (in a URL, or a dict's keys and values) with the pks."""
    if isinstance(template, dict):
        return {resolve(request, k): resolve(request, v) for k, v in template.items()}
    names = re.findall(r"\{(\w+)\}", template)
    return template.format(**{n: request.getfixturevalue(n).pk for n in names})


def body(response) -> str:
    """The text of a page, CSV or PDF (PDF text without whitespace: lines wrap anywhere)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"%PDF"):
        try:
            pages = pypdf.PdfReader(io.BytesIO(content)).pages
            return "".join("".join(page.extract_text() or "" for page in pages).split())
        except (pypdf.errors.PdfReadError, ValueError):
            pass  # an uploaded attachment, not one of ours
    return html.unescape(content.decode(errors="replace"))


def gist(text: str) -> str:
    """The title and the message of an HTML answer, to read a failure at a glance."""
    found = re.findall(r"<title>(.*?)</title>|role=\"alert\">(.*?)</", text, re.S)
    return " | ".join(" ".join(p).strip() for p in found) or text[:200]


def check(response, expected: int, who: str) -> str:
    text = body(response)
    assert response.status_code == expected, f"{response.status_code}: {gist(text)}"
    if expected == 302 and who == "anonymous":
        assert response["Location"].startswith("/connexion/?next=")
    if expected == 403:
        assert "Accès refusé" in text  # the French 403 page and its reason
    return text


FILES = re.compile(r"\.(pdf|csv|xlsx|ics|json)\b|/documents/")


def channels_of(template: str) -> tuple[str, ...]:
    """Pages answer htmx too (a fragment); files (PDF, CSV, XLSX, .ics, JSON, downloads) do not
    depend on the header, so one request each keeps the matrix fast."""
    return ("page",) if FILES.search(template) else tuple(CHANNELS)


def cases(templates, expected: dict) -> list:
    """One case per (url, person, channel); `expected` is a status, or (page, htmx) statuses."""
    return [
        pytest.param(t, who, status if isinstance(status, int) else status[i], channel)
        for t in templates
        for who, status in expected.items()
        for i, channel in enumerate(channels_of(t))
    ]


def table(default: int, **overrides) -> dict:
    """Every person with `default`, except the overrides; anonymous always goes to login."""
    return {who: overrides.get(who, default) for who in EVERYONE} | {"anonymous": 302}


# --- GET matrix -----------------------------------------------------------------------

GET_MATRIX = [
    # 1. A project card from `submitted` on.
    *cases(["/projets/{p}/"], table(200, stranger=404)),
    # 2. Drafts: the coordinator and their lead only; everyone else as if it did not exist.
    *cases(
        ["/projets/{d}/", "/projets/{d}/historique/", "/projets/{d}/fiche.pdf"],
        table(404, coordinator=200, lead=200),
    ),
    # 3. Details of P: another company's lead reads the card only.
    *cases(
        ["/projets/{p}/historique/", "/projets/{p}/fiche.pdf", "/projets/{p}/documents/{doc}/"],
        table(200, other_lead=403, stranger=404),
    ),
    # 4. Editing a submitted project: the coordination only.
    *cases(["/projets/{p}/modifier/"], table(403, coordinator=200, stranger=404)),
    # 6. Meetings: whoever reads them, and the lead whose project is examined.
    *cases(
        ["/seances/{m}/", "/seances/{m}/ordre-du-jour.pdf", "/seances/{m}/invitation.ics"],
        table(200, other_lead=404, stranger=404),
    ),
    # 7. Draft minutes: the coordination and the seat-holders.
    *cases(
        ["/seances/{m}/compte-rendu.pdf"],
        table(403, coordinator=200, seat=200, other_lead=404, stranger=404),
    ),
    # 8. Validated minutes: everyone in the territory but a lead (own items, on the page).
    *cases(
        ["/seances/{v}/compte-rendu.pdf"],
        {k: s for k, s in table(200, lead=403, stranger=404).items() if k != "other_lead"},
    ),
    *cases(["/seances/{v}/"], {"lead": 200}),
    # 10. Applications: a draft for the coordination, members and the leads it includes.
    *cases(
        ["/candidatures/{app_a}/", "/candidatures/{app_a}/dossier.pdf"],
        table(404, coordinator=200, member=200, lead=200),
    ),
    *cases(
        ["/candidatures/{app_s}/", "/candidatures/{app_s}/dossier.pdf"],
        table(200, other_lead=404, stranger=404),
    ),
    # 11. Reports of Chaumont, named explicitly; the national report for national people only.
    *cases(
        [
            f"/rapports/?{CHAUMONT}",
            f"/rapports/projets.csv?{CHAUMONT}",
            f"/rapports/projets.xlsx?{CHAUMONT}",
            f"/rapports/portefeuille.pdf?{CHAUMONT}",
        ],
        table(200, stranger=404),
    ),
    *cases(["/rapports/?territoire=tous"], table(404, national=200, admin=200)),
    *cases(["/opendata/ti-0052/projets.json"], {"anonymous": 200}),
]


@pytest.mark.parametrize(("template", "who", "expected", "channel"), GET_MATRIX)
def test_get(request, client_of, template, who, expected, channel):
    response = client_of(who).get(resolve(request, template), **CHANNELS[channel])
    check(response, expected, who)


# --- POST matrix ----------------------------------------------------------------------

DECISION = {
    "item-{m_item}-decision": Decision.UNFAVORABLE,
    "item-{m_item}-motive": "PIRATE",
    "reserves-{m_item}-TOTAL_FORMS": "0",
    "reserves-{m_item}-INITIAL_FORMS": "0",
}
AGENDA = {"action": "add_item", "point-kind": "information", "point-title": "Intrus"}
POSTS = {
    "edit": ("/projets/{p}/modifier/", {"title": "PIRATE"}),
    "move": ("/projets/{p}/etape/", {"stage": Stage.ELIGIBLE, "reason": "ok"}),
    "decision": ("/seances/{m}/points/{m_item}/decision/", DECISION),
    "validate": ("/seances/{m}/statut/", {"action": "validate"}),
    "agenda": ("/seances/{m}/ordre-du-jour/", AGENDA | {"point-duration": "5"}),
    "section": ("/candidatures/{app_a}/rubriques/choc/", {"choc-text": "PIRATE"}),
}
# What the coordination gets when allowed: a redirect, or for htmx a client redirect (200) or the fragment.
MEETING_POSTS = {"decision": (302, 200), "validate": (302, 200), "agenda": (302, 200)}
POST_MATRIX = [
    # 4. Edit (the coordinator's GET is in the GET matrix).
    *cases(["edit"], {k: s for k, s in table(403, stranger=404).items() if k != "coordinator"}),
    # 5. Stage move submitted → eligible: the coordination only.
    *cases(
        ["move"],
        {
            k: s
            for k, s in table(403, coordinator=(302, 200), stranger=404).items()
            if k != "lead"  # the lead may move P (withdraw), just not to eligible
        },
    ),
    # 9. Decisions, validation, agenda: the coordination only; M is out of other_lead's scope.
    *[
        case
        for action, allowed in MEETING_POSTS.items()
        for case in cases([action], table(403, coordinator=allowed, other_lead=404, stranger=404))
    ],
    # 10. Writing an application: the coordination only.
    *cases(
        ["section"],
        table(404, coordinator=(302, 200), member=403, lead=403),
    ),
]


@pytest.mark.parametrize(("action", "who", "expected", "channel"), POST_MATRIX)
def test_post(request, client_of, action, who, expected, channel):
    url, data = POSTS[action]
    response = client_of(who).post(
        resolve(request, url), resolve(request, data), **CHANNELS[channel]
    )
    check(response, expected, who)
    if who != "coordinator":  # nothing was written
        if action in ("edit", "move"):
            project = request.getfixturevalue("p")
            project.refresh_from_db()
            assert project.title != "PIRATE" and project.stage == Stage.SUBMITTED
        if action in MEETING_POSTS:
            meeting = request.getfixturevalue("m")
            assert list(meeting.items.values_list("decision", "motive")) == [
                (Decision.FAVORABLE_RESERVES, MOTIVE)
            ]
            assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.HELD
        if action == "section":
            assert not SectionAnswer.objects.filter(text="PIRATE").exists()


# --- what the pages show --------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(("who", "shown"), [("coordinator", True), ("other_lead", False)])
def test_other_lead_reads_the_card_only(client_of, p, doc, who, shown, channel):
    text = check(client_of(who).get(f"/projets/{p.pk}/", **CHANNELS[channel]), 200, who)
    assert ("Plan de financement" in text) is shown
    assert (DOC_TITLE in text) is shown
    assert (f"/projets/{p.pk}/historique/" in text) is shown


DEBATES_SHOWN = {
    "coordinator": True,
    "seat": True,
    "lead": False,
    "member": False,
    "partner": False,
    "dual": False,
    "national": False,
    "admin": False,
}


@pytest.mark.parametrize(
    ("template", "who", "shown", "channel"),
    [
        (template, who, shown, channel)
        for template in [
            "/seances/{m}/",
            "/projets/{p1}/",
            "/projets/{p1}/historique/",
            "/projets/{p1}/fiche.pdf",
        ]
        for who, shown in DEBATES_SHOWN.items()
        for channel in channels_of(template)
    ],
)
def test_debates_before_validation(request, client_of, template, who, shown, channel):
    response = client_of(who).get(resolve(request, template), **CHANNELS[channel])
    assert (MOTIVE in check(response, 200, who)) is shown


@pytest.mark.parametrize(("who", "others_shown"), [("lead", False), ("member", True)])
def test_validated_minutes_show_a_lead_their_own_items_only(client_of, v, who, others_shown):
    text = check(client_of(who).get(f"/seances/{v.pk}/"), 200, who)
    assert OWN_MOTIVE in text
    assert (OTHER_MOTIVE in text) is others_shown


DRAFTS_SHOWN = {
    "coordinator": True,
    "lead": True,
    "other_lead": False,
    "member": False,
    "partner": False,
    "seat": False,
    "dual": False,  # coordinates Meuse, works there: a partner in Chaumont all the same
    "national": False,
    "admin": False,
}


@pytest.mark.parametrize(
    ("template", "who", "shown"),
    [
        (t, who, shown)
        for t in [f"/rapports/?{CHAUMONT}", f"/rapports/projets.csv?{CHAUMONT}"]
        for who, shown in DRAFTS_SHOWN.items()
    ]
    # The national report sums up territories (no project listed): its export lists them.
    + [("/rapports/projets.csv?territoire=tous", who, False) for who in ("national", "admin")],
)
def test_drafts_in_reports(client_of, p, d, template, who, shown):
    text = check(client_of(who).get(template), 200, who)
    assert p.title in text  # the report is not empty
    assert (DRAFT_TITLE in text) is shown


def test_open_data_is_public_and_without_drafts(client_of, p, d):
    text = check(client_of("anonymous").get("/opendata/ti-0052/projets.json"), 200, "anonymous")
    assert DRAFT_TITLE not in text


@pytest.mark.parametrize(
    ("who", "label"), [("national", "Lecture nationale"), ("admin", "Administration nationale")]
)
def test_header_shows_the_business_role(client_of, who, label):
    text = check(client_of(who).get("/"), 200, who)
    assert label in text
    assert "Coordination (chef de projet TI)" not in text


# --- the API channel (issue 14): a personal token reads what its owner reads ----------------


@pytest.fixture
def api_of(people):
    """A client reading the API with a token of the person (none for anonymous)."""
    from api.models import ApiToken

    def make(who: str) -> Client:
        if who == "anonymous":
            return Client()
        _token, raw = ApiToken.issue(people[who], "matrice")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def api_table(default: int, **overrides) -> dict:
    """As table(), but the API has no login page: anonymous gets 401."""
    return table(default, **overrides) | {"anonymous": 401}


API_MATRIX = [
    # 1-3. A project: its card from `submitted` on; drafts for the coordinator and their lead.
    *[
        (t, who, s)
        for t in ["/api/v1/projets/{p}/"]
        for who, s in api_table(200, stranger=404).items()
    ],
    *[
        (t, who, s)
        for t in ["/api/v1/projets/{d}/"]
        for who, s in api_table(404, coordinator=200, lead=200).items()
    ],
    # 6. Meetings: whoever reads them, and the lead whose project is examined.
    *[
        ("/api/v1/seances/{m}/", who, s)
        for who, s in api_table(200, other_lead=404, stranger=404).items()
    ],
    # 10. Applications: a draft for the coordination, members and the leads it includes.
    *[
        ("/api/v1/candidatures/{app_a}/", who, s)
        for who, s in api_table(404, coordinator=200, member=200, lead=200).items()
    ],
    *[
        ("/api/v1/candidatures/{app_s}/", who, s)
        for who, s in api_table(200, other_lead=404, stranger=404).items()
    ],
    # 11. A territory and its figures: those who work there; national people everywhere.
    *[("/api/v1/territoires/ti-0052/", who, s) for who, s in api_table(200, stranger=404).items()],
    *[
        ("/api/v1/territoires/ti-0055/", who, s)
        for who, s in api_table(404, dual=200, stranger=200, national=200, admin=200).items()
    ],
]


@pytest.mark.parametrize(("template", "who", "expected"), API_MATRIX)
def test_api_get(request, api_of, template, who, expected):
    response = api_of(who).get(resolve(request, template))
    assert response.status_code == expected, response.content[:300]
    if expected == 401:
        assert response.json() == {"detail": "Informations d'authentification non fournies."}
        assert response["WWW-Authenticate"] == 'Bearer realm="tdi"'
    if expected == 404:
        assert "introuvable" in response.json()["detail"]


@pytest.mark.parametrize(("who", "details"), [("coordinator", True), ("other_lead", False)])
def test_api_other_lead_reads_the_card_only(api_of, p, who, details):
    project = api_of(who).get(f"/api/v1/projets/{p.pk}/").json()
    assert project["title"] == p.title
    assert project["details"] is details
    assert bool(project["funding_lines"]) is details
    assert (project["total_cost"] is not None) is details


@pytest.mark.parametrize(("who", "shown"), DEBATES_SHOWN.items())
def test_api_debates_before_validation(api_of, m, who, shown):
    (item,) = api_of(who).get(f"/api/v1/seances/{m.pk}/").json()["items"]
    assert item["decision_readable"] is shown
    assert (item["motive"] == MOTIVE) is shown
    assert (item["decision"] == Decision.FAVORABLE_RESERVES) is shown


@pytest.mark.parametrize(("who", "others_shown"), [("lead", False), ("member", True)])
def test_api_validated_minutes_show_a_lead_their_own_items_only(api_of, v, who, others_shown):
    items = api_of(who).get(f"/api/v1/seances/{v.pk}/").json()["items"]
    motives = [item["motive"] for item in items]
    assert OWN_MOTIVE in motives
    assert (OTHER_MOTIVE in motives) is others_shown


@pytest.mark.parametrize(("who", "shown"), DRAFTS_SHOWN.items())
def test_api_drafts_in_the_project_list(api_of, p, d, who, shown):
    response = api_of(who).get("/api/v1/projets/?territory=ti-0052")
    titles = [project["title"] for project in response.json()["results"]]
    assert p.title in titles
    assert (DRAFT_TITLE in titles) is shown


def test_api_a_revoked_token_reads_nothing(people, p):
    from api.models import ApiToken

    token, raw = ApiToken.issue(people["coordinator"], "révoqué")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"/api/v1/projets/{p.pk}/").status_code == 200
    token.revoke()
    response = client.get(f"/api/v1/projets/{p.pk}/")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Jeton inconnu ou révoqué")
