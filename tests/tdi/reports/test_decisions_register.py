import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees.models import AgendaItem, Attendance, Committee, CommitteeMember, Decision, Meeting
from projects.access import Access
from projects.models import Axis, Reserve, Stage

from ...factories import FundingLineFactory, ProjectFactory
from ...utils import held_tasks

pytestmark = pytest.mark.django_db

URL = "/decisions/"
CSV_URL = "/decisions/decisions.csv"


def past_meeting(committee: Committee, days: int) -> Meeting:
    return Meeting.objects.create(
        committee=committee, starts_at=timezone.now() - timedelta(days=days), place="Chaumont"
    )


def make_project(territory, title: str, stage=Stage.ELIGIBLE, axis=Axis.choices[0][0], lead=None):
    project = ProjectFactory(
        territory=territory, title=title, stage=stage, axis=axis, total_cost=Decimal("100000")
    )
    FundingLineFactory(project=project, amount=Decimal("100000"))
    if lead:
        project.lead_users.add(lead)
    return project


def hold_with_decisions(meeting: Meeting, by, decisions) -> Meeting:
    """Put each project on the agenda, hold the meeting and record its decision."""
    for project, *_ in decisions:
        meeting.add_project(project, by=by)
    meeting.convene(by=by)
    meeting.hold(by=by)
    items = {item.project_id: item for item in meeting.items.all()}
    for project, decision, motive, reserves in decisions:
        items[project.pk].record_decision(
            decision, by=by, motive=motive, reserves=[{"text": r} for r in reserves]
        )
    return meeting


def validate(meeting: Meeting, by) -> Meeting:
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    with held_tasks():  # the register does not read the archived PDF
        meeting.validate_minutes(by=by)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def register(territory, other_territory, users, cotech, copil):
    """A validated COTECH (an own project of the lead, another project), a held COPIL not yet
    validated (the partner does not sit on the COPIL), and another territory's decision."""
    coordinator, lead = users["coordinator"], users["lead"]
    own = make_project(territory, "Friche de la fonderie", axis=Axis.choices[0][0], lead=lead)
    other = make_project(territory, "Station hydrogène", axis=Axis.choices[1][0])
    cotech_meeting = hold_with_decisions(
        past_meeting(cotech, days=30),
        coordinator,
        [
            (own, Decision.FAVORABLE_RESERVES, "=1+1 motif de la fonderie", ["=SOMME(A1:A9)"]),
            (other, Decision.ADJOURNED, "Plan de financement hydrogène incomplet", []),
        ],
    )
    validate(cotech_meeting, coordinator)
    held = make_project(territory, "Académie de la forge", stage=Stage.READY_COPIL, lead=lead)
    copil_meeting = hold_with_decisions(
        past_meeting(copil, days=2),
        coordinator,
        [(held, Decision.REJECTED, "Motif confidentiel du COPIL", [])],
    )
    stranger = users["stranger"]
    elsewhere = Committee.objects.create(
        territory=other_territory, kind=Committee.Kind.COTECH, name="COTECH Meuse"
    )
    CommitteeMember.objects.create(committee=elsewhere, user=stranger, role="chair")
    far = make_project(other_territory, "Usine de la Meuse")
    far_meeting = hold_with_decisions(
        past_meeting(elsewhere, days=10),
        stranger,
        [(far, Decision.UNFAVORABLE, "Décision prise dans la Meuse", [])],
    )
    validate(far_meeting, stranger)
    return {"cotech": cotech_meeting, "copil": copil_meeting, "far": far_meeting}


FONDERIE = "motif de la fonderie"
HYDROGENE = "Plan de financement hydrogène incomplet"
COPIL = "Motif confidentiel du COPIL"
MEUSE = "Décision prise dans la Meuse"


def page_text(client, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_is_sent_to_the_login_page(client_for):
    for url in (URL, CSV_URL):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert "/connexion/" in response["Location"]


@pytest.mark.parametrize(
    ("name", "seen", "unseen"),
    [
        ("coordinator", [FONDERIE, HYDROGENE, COPIL], [MEUSE]),
        ("member", [FONDERIE, HYDROGENE, COPIL], [MEUSE]),  # seated on the COPIL
        ("partner", [FONDERIE, HYDROGENE], [COPIL, MEUSE]),  # validated minutes only
        ("lead", [FONDERIE], [HYDROGENE, COPIL, MEUSE]),  # own items of validated minutes
        ("other_lead", [], [FONDERIE, HYDROGENE, COPIL, MEUSE]),
    ],
)
def test_each_reader_sees_the_decisions_they_may_read(client_for, register, name, seen, unseen):
    text = page_text(client_for(name))
    for motive in seen:
        assert motive in text
    for motive in unseen:
        assert motive not in text


def test_the_register_agrees_with_reads_decision(users, register):
    items = AgendaItem.objects.exclude(decision="").select_related("meeting__committee")
    for user in users.values():
        access = Access(user)
        readable = set(
            AgendaItem.objects.decisions_readable_by(access).values_list("pk", flat=True)
        )
        expected = {item.pk for item in items if access.reads_decision(item, item.meeting)}
        assert readable == expected, user.username


def test_another_territory_sees_only_its_own(client_for, register):
    text = page_text(client_for("stranger"))
    assert MEUSE in text
    assert FONDERIE not in text and COPIL not in text


def test_rows_show_meeting_project_outcome_and_reserves_newest_first(client_for, register):
    text = page_text(client_for("coordinator"))
    assert register["copil"].get_absolute_url() in text
    assert register["cotech"].get_absolute_url() in text
    assert text.index(COPIL) < text.index(FONDERIE)  # reverse date order
    assert "=SOMME(A1:A9)" in text
    assert "Avis favorable sous réserves" in text
    assert "Friche de la fonderie" in text
    assert "<caption" in text and 'scope="col"' in text
    assert 'href="/decisions/" aria-current="page"' in text


def test_a_project_sent_back_to_drafting_is_named_but_not_linked_for_a_partner(
    client_for, register
):
    hydrogen = register["cotech"].items.get(decision=Decision.ADJOURNED).project
    assert hydrogen.stage == Stage.DRAFTING
    text = page_text(client_for("partner"))
    assert "Station hydrogène" in text
    assert hydrogen.get_absolute_url() not in text
    assert hydrogen.get_absolute_url() in page_text(client_for("coordinator"))


@pytest.mark.parametrize(
    ("query", "seen", "unseen"),
    [
        ("?decision=rejected", [COPIL], [FONDERIE, HYDROGENE]),
        ("?q=hydrogène", [HYDROGENE], [FONDERIE, COPIL]),
        ("?q=forge", [COPIL], [FONDERIE, HYDROGENE]),  # a project title
        ("?q=confidentiel", [COPIL], [FONDERIE, HYDROGENE]),  # a motive
        (f"?axe={Axis.choices[1][0]}", [HYDROGENE], [FONDERIE]),
    ],
)
def test_filters(client_for, register, query, seen, unseen):
    text = page_text(client_for("coordinator"), query)
    for motive in seen:
        assert motive in text
    for motive in unseen:
        assert motive not in text


def test_filter_by_committee_reference_and_dates(client_for, register, copil):
    client = client_for("coordinator")
    text = page_text(client, f"?comite={copil.pk}")
    assert COPIL in text and FONDERIE not in text
    reference = register["cotech"].items.get(decision=Decision.ADJOURNED).project.reference
    text = page_text(client, f"?q={reference}")
    assert HYDROGENE in text and COPIL not in text
    today = timezone.localdate()
    text = page_text(client, f"?du={(today - timedelta(days=5)).isoformat()}")
    assert COPIL in text and FONDERIE not in text
    start = (today - timedelta(days=40)).strftime("%d/%m/%Y")
    end = (today - timedelta(days=20)).isoformat()
    text = page_text(client, f"?du={start}&au={end}")
    assert FONDERIE in text and COPIL not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?du=demain", "Saisissez une date valide"),
        ("?du=2026-05-01&au=2026-04-01", "La date de fin doit être postérieure"),
        ("?comite=999999", "Ce comité est inconnu"),
        ("?comite=abc", "Ce comité est inconnu"),
        ("?decision=peut-etre", "Cette décision est inconnue"),
    ],
)
def test_bad_input_gets_a_french_message_and_the_page_answers(
    client_for, register, query, message, htmx_headers
):
    client = client_for("coordinator")
    text = page_text(client, query)
    assert message in text
    assert FONDERIE in text  # the wrong filter is ignored, the register still shows
    fragment = client.get(URL + query, **htmx_headers)
    assert fragment.status_code == 200
    assert message in fragment.content.decode()
    response = client.get(CSV_URL + query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_another_territory_committee_is_an_unknown_filter(client_for, register):
    far_committee = register["far"].committee_id
    text = page_text(client_for("coordinator"), f"?comite={far_committee}")
    assert "Ce comité est inconnu" in text and MEUSE not in text


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_csv_export_of_the_filtered_rows(client_for, register):
    response = client_for("coordinator").get(CSV_URL + "?comite=&q=fonderie")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "decisions-ti-0052" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[0] == "Comité" and "Motif" in header and "Réserves" in header
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Projet ou point"] == "Friche de la fonderie"
    assert row["Décision"] == "Avis favorable sous réserves"
    assert row["Motif"] == "'=1+1 motif de la fonderie"  # neutralised formula
    assert row["Réserves"] == "'=SOMME(A1:A9)"
    assert row["Date"].count("/") == 2


def test_csv_follows_the_reader(client_for, register):
    rows = csv_rows(client_for("partner").get(CSV_URL))
    text = "\n".join(";".join(r) for r in rows)
    assert HYDROGENE in text and COPIL not in text and MEUSE not in text


def test_page_and_htmx_fragment(client_for, register, htmx_headers):
    client = client_for("coordinator")
    page = client.get(URL)
    assert "HX-Request" in page["Vary"]
    assert "<h1>" in page.content.decode() and 'id="decision-rows"' in page.content.decode()
    fragment = client.get(URL + "?decision=rejected", **htmx_headers)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment["Vary"]
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="decision-rows"')
    assert "<h1>" not in body and COPIL in body and FONDERIE not in body
    assert client_for(None).get(URL, **htmx_headers).status_code == 302


def held_decisions(meeting: Meeting, count: int, territory) -> None:
    """Many decided items on a held meeting (written directly: only the register is tested)."""
    meeting.status = Meeting.Status.HELD
    meeting.save()
    for i in range(count):
        project = ProjectFactory(territory=territory, stage=Stage.RESERVES, title=f"Projet {i}")
        item = AgendaItem.objects.create(
            meeting=meeting,
            order=i + 1,
            kind=AgendaItem.Kind.PROJECT,
            project=project,
            title=project.title,
            decision=Decision.FAVORABLE_RESERVES,
            motive=f"Motif {i}",
        )
        item.reserves.add(Reserve.objects.create(project=project, text=f"Réserve {i}"))


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("name", ["coordinator", "member"])
def test_query_count_is_bounded(
    client_for, cotech, territory, count, name, django_assert_max_num_queries
):
    held_decisions(past_meeting(cotech, days=1), count, territory)
    client = client_for(name)
    with django_assert_max_num_queries(14):
        text = page_text(client)
    assert f"{count} décisions" in text
    with django_assert_max_num_queries(14):
        assert b"".join(client.get(CSV_URL).streaming_content).count(b"\n") == count + 1


def test_pagination_by_25(client_for, cotech, territory, htmx_headers):
    held_decisions(past_meeting(cotech, days=1), 30, territory)
    client = client_for("coordinator")
    text = page_text(client)
    assert "page 1 sur 2" in text and "Page suivante" in text
    fragment = client.get(URL + "?page=2", **htmx_headers).content.decode()
    assert fragment.count("<tr>") == 1 + 5
