"""The rules of the meeting day (DESIGN §5): an outcome for every item, the calendar of a
meeting (opened from its day, validated after its end, advanced with a motive)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from committees.models import AgendaItem, Attendance, Decision, Meeting

from ..factories import make_meeting
from ..utils import text
from .test_flow import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def convened(users, meeting, eligible_projects):
    """A COTECH in ten days, convened: one project, then one information item."""
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point sur l'AMI", by=coordinator)
    meeting.convene(by=coordinator)
    return meeting


@pytest.fixture
def held(users, convened):
    convened.hold(by=users["coordinator"], at=convened.starts_at)
    return convened


def attend_all(meeting) -> None:
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")


def items_of(meeting) -> tuple[AgendaItem, AgendaItem]:
    return (
        meeting.items.get(project__isnull=False),
        meeting.items.get(kind=AgendaItem.Kind.INFORMATION),
    )


# --- an outcome for every item -------------------------------------------------------------


@pytest.mark.parametrize(("headers", "expected"), [({}, 302), ({"HTTP_HX_REQUEST": "true"}, 200)])
def test_an_information_item_is_closed_with_pris_acte(client_for, held, headers, expected):
    project_item, info = items_of(held)
    prefix = f"item-{info.pk}"
    data = {f"{prefix}-notes": "La Région présente le calendrier.", f"{prefix}-decision": "noted"}
    response = client_for("coordinator").post(
        f"/seances/{held.pk}/points/{info.pk}/decision/", data, **headers
    )
    assert response.status_code == expected
    info.refresh_from_db()
    assert (info.decision, info.notes) == (Decision.NOTED, "La Région présente le calendrier.")
    assert info.reserves.count() == 0
    project_item.refresh_from_db()
    assert (project_item.decision, project_item.notes) == ("", "")
    held.refresh_from_db()
    assert held.status == Meeting.Status.HELD


def test_the_page_of_an_information_item_offers_pris_acte_without_reserves(client_for, held):
    _project_item, info = items_of(held)
    response = client_for("coordinator").get(f"/seances/{held.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert f'name="item-{info.pk}-decision"' in page
    assert f"reserves-{info.pk}-TOTAL_FORMS" not in page


def test_validation_is_refused_while_an_item_has_no_outcome(users, held):
    coordinator = users["coordinator"]
    attend_all(held)
    project_item, info = items_of(held)
    project_item.record_decision(Decision.FAVORABLE, by=coordinator)
    with pytest.raises(ValidationError) as error:
        held.validate_minutes(by=coordinator, at=held.ends_at)
    assert "« Pris acte » manquant pour : Point sur l'AMI." in error.value.messages
    held.refresh_from_db()
    assert held.status == Meeting.Status.HELD


def test_validated_minutes_print_every_outcome(users, held):
    coordinator = users["coordinator"]
    attend_all(held)
    project_item, info = items_of(held)
    project_item.record_decision(Decision.FAVORABLE, by=coordinator)
    info.notes = "Calendrier présenté par la Région."
    info.save()
    info.record_decision(Decision.NOTED, by=coordinator)
    held.validate_minutes(by=coordinator, at=held.ends_at)
    held.refresh_from_db()
    assert held.status == Meeting.Status.VALIDATED
    minutes = pdf_text(held.minutes_pdf.read())
    assert "Pas de décision enregistrée" not in minutes
    assert "Pris acte" in minutes and "Calendrier présenté par la Région." in minutes


# --- the calendar of a meeting -------------------------------------------------------------


def test_a_meeting_is_not_opened_before_its_day_without_a_motive(users, convened):
    day_before = convened.starts_at - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        convened.hold(by=users["coordinator"], at=day_before)
    assert error.value.messages == [
        f"La séance est prévue le {convened_day(convened)} : elle ne peut pas être ouverte "
        "avant ce jour sans motif. Indiquez le motif de l'ouverture anticipée."
    ]
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.CONVENED


def convened_day(meeting) -> str:
    from tdi.formats import french_date

    return french_date(meeting.day)


def test_the_page_refuses_an_early_opening_without_a_motive(client_for, convened):
    client = client_for("coordinator")
    page = text(client.get(f"/seances/{convened.pk}/"))
    assert "Motif de l'ouverture anticipée" in page
    response = client.post(f"/seances/{convened.pk}/statut/", {"action": "hold"}, follow=True)
    assert response.status_code == 200
    assert "elle ne peut pas être ouverte avant ce jour sans motif" in text(response)
    convened.refresh_from_db()
    assert convened.status == Meeting.Status.CONVENED


def test_an_early_opening_with_a_motive_is_kept_in_history_and_minutes(client_for, users, convened):
    coordinator = users["coordinator"]
    motive = "Séance avancée à la demande de la préfecture"
    response = client_for("coordinator").post(
        f"/seances/{convened.pk}/statut/", {"action": "hold", "motive": motive}
    )
    assert response.status_code == 302
    convened.refresh_from_db()
    assert (convened.status, convened.advanced_motive) == (Meeting.Status.HELD, motive)
    reason = convened.history.first().history_change_reason
    assert reason == f"Séance tenue par anticipation : {motive}"
    attend_all(convened)
    for item in convened.items.all():
        decision = Decision.FAVORABLE if item.project_id else Decision.NOTED
        item.record_decision(decision, by=coordinator)
    convened.validate_minutes(by=coordinator, at=convened.ends_at)
    convened.refresh_from_db()
    minutes = " ".join(pdf_text(convened.minutes_pdf.read()).split())
    assert f"Motif de l'ouverture anticipée : {motive}" in minutes


def test_minutes_are_not_validated_before_the_end_of_the_meeting(users, held):
    coordinator = users["coordinator"]
    attend_all(held)
    for item in held.items.all():
        decision = Decision.FAVORABLE if item.project_id else Decision.NOTED
        item.record_decision(decision, by=coordinator)
    from tdi.formats import french_date

    with pytest.raises(ValidationError) as error:
        held.validate_minutes(by=coordinator, at=held.ends_at - timedelta(minutes=1))
    assert error.value.messages == [
        "Le compte rendu ne peut pas être validé avant la fin de la séance "
        f"(prévue le {french_date(held.ends_at)})."
    ]
    held.refresh_from_db()
    assert held.status == Meeting.Status.HELD


# --- numbers follow dates, fixed at the convocation ----------------------------------------


def convene_one(meeting, coordinator, _projects):
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point d'étape", by=coordinator)
    meeting.convene(by=coordinator)
    meeting.refresh_from_db()


def test_a_meeting_is_numbered_at_its_convocation_in_date_order(users, cotech):
    coordinator = users["coordinator"]
    later, sooner = make_meeting(cotech, days=40), make_meeting(cotech, days=20)
    assert (later.number, sooner.number) == (None, None)
    from tdi.formats import french_date

    day = french_date(later.day)
    assert later.title == f"COTECH du {day} (en préparation)"
    convene_one(sooner, coordinator, [])
    convene_one(later, coordinator, [])
    assert (sooner.number, later.number) == (1, 2)
    assert later.title == f"COTECH n° 2 du {day}"


def test_a_meeting_dated_before_the_last_numbered_one_is_not_convened(users, cotech):
    coordinator = users["coordinator"]
    later, sooner = make_meeting(cotech, days=40), make_meeting(cotech, days=20)
    convene_one(later, coordinator, [])
    sooner.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point d'étape", by=coordinator)
    with pytest.raises(ValidationError) as error:
        sooner.convene(by=coordinator)
    from tdi.formats import french_date

    assert error.value.messages == [
        f"Cette séance du {french_date(sooner.starts_at)} est antérieure à la dernière séance "
        f"numérotée du comité ({later.title}) : les numéros suivent les dates. Corrigez la date "
        "avant de convoquer."
    ]
    sooner.refresh_from_db()
    assert (sooner.status, sooner.number) == (Meeting.Status.PREPARATION, None)


def test_the_committee_page_lists_meetings_by_date(client_for, cotech):
    later, sooner = make_meeting(cotech, days=40), make_meeting(cotech, days=20)
    response = client_for("coordinator").get(f"/comites/{cotech.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert page.index(later.title) < page.index(sooner.title)  # the latest first


def test_a_meeting_is_not_created_with_a_past_date(client_for, cotech):
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("coordinator").post(
        f"/comites/{cotech.pk}/", {"seance-starts_at": past, "seance-place": "Chaumont"}
    )
    assert response.status_code == 200
    assert "Cette date est passée : une séance se crée pour une date à venir." in text(response)
    assert not Meeting.objects.filter(committee=cotech).exists()
