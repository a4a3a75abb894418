import pytest
from django.core import mail

from committees.models import AgendaItem, Attendance, Decision, Meeting
from projects.models import Stage

from ..factories import make_meeting
from ..utils import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_meeting(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    for project in eligible_projects[:2]:
        meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    return meeting


def validate(meeting, coordinator):
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    for item in meeting.items.all():
        item.record_decision(Decision.FAVORABLE, by=coordinator)
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def validated_meeting(users, held_meeting):
    return validate(held_meeting, users["coordinator"])


READ_URLS = ["/seances/{pk}/", "/seances/{pk}/ordre-du-jour.pdf", "/seances/{pk}/invitation.ics"]


@pytest.mark.parametrize("url", READ_URLS)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, 302),
        ("coordinator", 200),
        ("member", 200),
        ("lead", 404),  # none of the lead's projects is on this agenda
        ("partner", 200),  # seated on this COTECH: reads its meetings (else validated only)
        ("stranger", 404),
        ("admin", 200),
    ],
)
def test_meeting_read_permissions(client_for, meeting, url, name, expected):
    assert client_for(name).get(url.format(pk=meeting.pk)).status_code == expected


def test_lead_reads_meetings_examining_own_project(client_for, users, meeting, eligible_projects):
    meeting.add_project(eligible_projects[0], by=users["coordinator"])
    assert client_for("lead").get(f"/seances/{meeting.pk}/").status_code == 200
    assert client_for("other_lead").get(f"/seances/{meeting.pk}/").status_code == 404


def test_partner_reads_validated_minutes(client_for, validated_meeting):
    client = client_for("partner")
    assert client.get(f"/seances/{validated_meeting.pk}/").status_code == 200
    response = client.get(f"/seances/{validated_meeting.pk}/compte-rendu.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_draft_minutes_for_members_only(client_for, held_meeting):
    url = f"/seances/{held_meeting.pk}/compte-rendu.pdf"
    assert client_for("member").get(url).status_code == 200
    assert client_for("coordinator").get(url).status_code == 200
    assert client_for("partner").get(url).status_code == 200  # a partner with a seat
    # The lead reads the agenda (their project is examined), not the debates before validation.
    assert client_for("lead").get(url).status_code == 403
    assert client_for("other_lead").get(url).status_code == 404
    assert client_for("stranger").get(url).status_code == 404


def test_draft_minutes_pdf_has_projet_mark(client_for, held_meeting):
    from .test_flow import pdf_text

    content = client_for("member").get(f"/seances/{held_meeting.pk}/compte-rendu.pdf").content
    text_ = pdf_text(content)
    assert "PROJET" in text_
    assert "Friche de la fonderie" in text_


@pytest.mark.parametrize("name", ["member", "lead", "partner"])
def test_only_the_coordinator_edits_the_agenda(client_for, users, meeting, eligible_projects, name):
    meeting.add_project(eligible_projects[0], by=users["coordinator"])
    url = f"/seances/{meeting.pk}/ordre-du-jour/"
    data = {
        "action": "add_item",
        "point-kind": "information",
        "point-title": "Intrus",
        "point-duration": "5",
    }
    response = client_for(name).post(url, data)
    assert response.status_code == 403
    assert not meeting.items.filter(title="Intrus").exists()
    assert client_for("stranger").post(url, data).status_code == 404


def test_agenda_builder_through_the_page_and_htmx(
    client_for, meeting, eligible_projects, htmx_headers
):
    client = client_for("coordinator")
    url = f"/seances/{meeting.pk}/ordre-du-jour/"
    project = eligible_projects[0]
    response = client.post(
        url,
        {"action": "add_project", "projet-project": project.pk, "projet-duration": "20"},
        **htmx_headers,
    )
    assert response.status_code == 200
    assert 'id="agenda"' in response.content.decode()
    assert "<html" not in response.content.decode()
    project.refresh_from_db()
    assert project.stage == Stage.COTECH
    # A project not eligible (forged id): French message, nothing added.
    response = client.post(
        url,
        {"action": "add_project", "projet-project": 999999, "projet-duration": "20"},
        **htmx_headers,
    )
    assert response.status_code == 200
    assert "ne peut pas être inscrit" in text(response)
    assert meeting.items.count() == 1
    response = client.post(
        url,
        {
            "action": "add_item",
            "point-kind": "information",
            "point-title": "Point AMI",
            "point-duration": "10",
        },
    )
    assert response.status_code == 302
    item = meeting.items.get(title="Point AMI")
    client.post(url, {"action": "up", "item": item.pk}, **htmx_headers)
    assert list(meeting.items.order_by("order").values_list("title", flat=True))[0] == "Point AMI"
    response = client.post(
        url,
        {
            "action": "update",
            "item": item.pk,
            f"edit-{item.pk}-rapporteur": "Région",
            f"edit-{item.pk}-duration": "0",
        },
        **htmx_headers,
    )
    assert "240" in text(response)
    client.post(
        url, {"action": "remove", "item": meeting.items.get(project=project).pk}, **htmx_headers
    )
    project.refresh_from_db()
    assert project.stage == Stage.ELIGIBLE


def test_convene_through_the_page(
    client_for, meeting, eligible_projects, users, django_capture_on_commit_callbacks
):
    meeting.add_project(eligible_projects[0], by=users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("coordinator").post(
            f"/seances/{meeting.pk}/statut/", {"action": "convene"}
        )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CONVENED
    # The four seat-holders, and the lead of the project on the agenda.
    assert len(mail.outbox) == 5
    assert sum(m.to == [users["lead"].email.lower()] for m in mail.outbox) == 1


def test_empty_agenda_cannot_be_convened(client_for, meeting):
    response = client_for("coordinator").post(
        f"/seances/{meeting.pk}/statut/", {"action": "convene"}, follow=True
    )
    assert "L'ordre du jour est vide" in text(response)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PREPARATION


def test_decision_form_errors_rerender_with_200(client_for, held_meeting, htmx_headers):
    item = held_meeting.items.first()
    url = f"/seances/{held_meeting.pk}/points/{item.pk}/decision/"
    prefix = f"item-{item.pk}"
    base = {f"reserves-{item.pk}-TOTAL_FORMS": "3", f"reserves-{item.pk}-INITIAL_FORMS": "0"}
    response = client_for("coordinator").post(
        url, {**base, f"{prefix}-decision": "unfavorable"}, **htmx_headers
    )
    assert response.status_code == 200
    assert "Le motif est obligatoire" in text(response)
    response = client_for("coordinator").post(
        url, {**base, f"{prefix}-decision": "validated"}, **htmx_headers
    )
    assert "pas possible pour ce point" in text(response)
    item.refresh_from_db()
    assert item.decision == ""
    response = client_for("coordinator").post(
        url,
        {
            **base,
            f"{prefix}-decision": "favorable_reserves",
            f"{prefix}-motive": "Sous réserve",
            f"reserves-{item.pk}-0-text": "Délibération",
            f"reserves-{item.pk}-0-due_on": "2027-01-15",
        },
        **htmx_headers,
    )
    assert response.status_code == 200
    item.project.refresh_from_db()
    assert item.project.stage == Stage.RESERVES
    assert item.project.reserves.get().due_on.isoformat() == "2027-01-15"


def test_attendance_through_the_page(client_for, held_meeting, htmx_headers):
    members = list(held_meeting.committee.members.all())
    data = {f"presence-{m.pk}-status": "present" for m in members}
    data[f"presence-{members[0].pk}-status"] = "represented"
    response = client_for("coordinator").post(
        f"/seances/{held_meeting.pk}/presences/", data, **htmx_headers
    )
    assert response.status_code == 200
    assert "Indiquez qui représente" in text(response)
    assert not held_meeting.attendances.exists()
    data[f"presence-{members[0].pk}-represented_by"] = "Paul Suppléant"
    response = client_for("coordinator").post(
        f"/seances/{held_meeting.pk}/presences/", data, **htmx_headers
    )
    assert held_meeting.attendances.count() == len(members)
    assert "quorum de 2" in text(response)


def test_validated_meeting_is_immutable_on_every_path(
    client_for, validated_meeting, users, htmx_headers
):
    from django.core.exceptions import ValidationError

    item = validated_meeting.items.first()
    client = client_for("coordinator")
    posts = [
        (
            f"/seances/{validated_meeting.pk}/ordre-du-jour/",
            {
                "action": "add_item",
                "point-kind": "other",
                "point-title": "x",
                "point-duration": "5",
            },
        ),
        (f"/seances/{validated_meeting.pk}/statut/", {"action": "hold"}),
        (f"/seances/{validated_meeting.pk}/presences/", {}),
        (f"/seances/{validated_meeting.pk}/compte-rendu/", {"minutes_intro": "réécrit"}),
        (
            f"/seances/{validated_meeting.pk}/points/{item.pk}/decision/",
            {f"item-{item.pk}-decision": "unfavorable"},
        ),
    ]
    for url, data in posts:
        for headers in ({}, htmx_headers):
            response = client.post(url, data, **headers)
            assert response.status_code == 403, url
            assert "compte rendu de cette séance est validé" in text(response)
    # The models refuse too.
    validated_meeting.minutes_intro = "réécrit"
    with pytest.raises(ValidationError):
        validated_meeting.save()
    with pytest.raises(ValidationError):
        validated_meeting.delete()
    item.notes = "réécrit"
    with pytest.raises(ValidationError):
        item.save()
    with pytest.raises(ValidationError):
        item.delete()
    attendance = validated_meeting.attendances.first()
    attendance.status = "absent"
    with pytest.raises(ValidationError):
        attendance.save()
    with pytest.raises(ValidationError):
        Attendance.objects.create(
            meeting=validated_meeting, member=attendance.member, status="absent"
        )
    # The admin shows it read-only.
    admin = client_for("admin")
    page = admin.get(f"/admin/committees/meeting/{validated_meeting.pk}/change/")
    assert page.status_code == 200
    assert "compte rendu de cette séance est validé" in text(page)
    assert 'name="minutes_intro"' not in page.content.decode()
    response = admin.post(
        f"/admin/committees/meeting/{validated_meeting.pk}/change/", {"minutes_intro": "x"}
    )
    assert response.status_code == 403
    assert (
        admin.post(
            f"/admin/committees/meeting/{validated_meeting.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    validated_meeting.refresh_from_db()
    assert validated_meeting.minutes_intro != "réécrit"


def test_action_items_can_be_closed_after_validation(client_for, users, held_meeting):
    from committees.models import ActionItem

    action = ActionItem.objects.create(meeting=held_meeting, what="Relancer", owner="CM")
    validated_meeting = validate(held_meeting, users["coordinator"])
    later = make_meeting(validated_meeting.committee, days=60)
    response = client_for("coordinator").post(f"/seances/{later.pk}/actions/", {"done": action.pk})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_on is not None
    assert (
        client_for("member").post(f"/seances/{later.pk}/actions/", {"done": action.pk}).status_code
        == 403
    )


def test_meeting_page_renders_for_each_status(
    client_for, users, cotech, eligible_projects, validated_meeting
):
    client = client_for("coordinator")
    preparation = make_meeting(cotech, days=50)
    for meeting in (preparation, validated_meeting):
        assert client.get(f"/seances/{meeting.pk}/").status_code == 200
    assert client.get("/comites/").status_code == 200
    assert client.get(f"/comites/{cotech.pk}/").status_code == 200
    assert client_for("stranger").get(f"/comites/{cotech.pk}/").status_code == 404


def test_meeting_page_query_count_is_bounded(
    client_for, users, meeting, territory, django_assert_max_num_queries
):
    from decimal import Decimal

    from ..factories import FundingLineFactory, ProjectFactory

    for i in range(12):
        project = ProjectFactory(territory=territory, stage=Stage.ELIGIBLE, title=f"Projet {i}")
        FundingLineFactory(project=project, amount=Decimal("100000"))
        meeting.add_project(project, by=users["coordinator"])
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Info", by=users["coordinator"])
    client = client_for("coordinator")
    # 13 items, one query for the versions of all their rapporteur-and-duration forms.
    with django_assert_max_num_queries(17):
        assert client.get(f"/seances/{meeting.pk}/").status_code == 200


def test_an_unseated_partner_reads_the_agenda_of_every_meeting(client_for, users, meeting, copil):
    from ..factories import make_meeting

    other = make_meeting(copil, days=20)  # the partner does not sit on the COPIL
    assert client_for("partner").get(f"/seances/{other.pk}/").status_code == 200
