"""Quorum, votes and the attendance form (DESIGN §5: voting seats only, one count per seat)."""

import re

import pytest

from committees.documents import render_minutes_pdf
from committees.models import AgendaItem, Attendance, CommitteeMember, Decision

from ..utils import text
from .test_flow import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(users, meeting, eligible_projects):
    """The COTECH (chair, two titulaires, one invitée; quorum 2) held, with one project."""
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    return meeting


def words(response) -> str:
    """The response's text without tags, to read a sentence across its emphasis."""
    return re.sub(r"<[^>]+>", "", text(response))


def seat(committee, name: str, role: str) -> CommitteeMember:
    return CommitteeMember.objects.create(committee=committee, name=name, role=role)


def attend(meeting, member, status: str, represented_by: str = "") -> None:
    Attendance.objects.create(
        meeting=meeting, member=member, status=status, represented_by=represented_by
    )


def seats_of(meeting):
    return {m.user.username if m.user else m.name: m for m in meeting.committee.members.all()}


def test_a_titulaire_and_their_suppleant_both_marked_count_once(held):
    paul = seat(held.committee, "Paul Suppléant", "substitute")
    by = seats_of(held)
    attend(held, by["coordinator"], "present")
    attend(held, by["member"], "represented", "Paul Suppléant")
    attend(held, paul, "present")
    attend(held, by["partner"], "absent")
    attend(held, by["Agnès Externe"], "present")  # an invitée never counts
    quorum = held.quorum()
    assert (quorum.present, quorum.seats, quorum.required, quorum.reached) == (2, 3, 2, True)
    assert str(quorum) == ("2 sièges votants présents ou représentés sur 3 — quorum de 2 : atteint")


def test_a_suppleant_counts_only_for_an_empty_seat(held):
    paul = seat(held.committee, "Paul Suppléant", "substitute")
    rose = seat(held.committee, "Rose Suppléante", "substitute")
    by = seats_of(held)
    attend(held, by["coordinator"], "absent")
    attend(held, by["member"], "excused")
    attend(held, by["partner"], "present")
    attend(held, paul, "present")  # stands in for one of the two empty seats
    attend(held, rose, "present")  # and this one for the other
    assert held.quorum().present == 3
    for name in ("coordinator", "member"):
        attendance = held.attendances.get(member=by[name])
        attendance.status = "present"
        attendance.save()
    assert held.quorum().present == 3  # every seat is taken: the suppléants add nothing


def test_proxies_chairs_and_invites(held):
    co_chair = seat(held.committee, "Marc Coprésident", "co_chair")
    guest = seat(held.committee, "Hélène Invitée", "guest")
    by = seats_of(held)
    attend(held, by["coordinator"], "absent")
    attend(held, co_chair, "present")
    attend(held, by["member"], "represented", "Marc Coprésident")  # a proxy (pouvoir)
    attend(held, by["partner"], "excused")
    attend(held, by["Agnès Externe"], "present")
    attend(held, guest, "present")
    quorum = held.quorum()
    assert (quorum.present, quorum.seats) == (2, 4)
    assert quorum.reached


def test_invites_alone_make_no_quorum(held):
    by = seats_of(held)
    for name in ("coordinator", "member", "partner"):
        attend(held, by[name], "absent")
    attend(held, by["Agnès Externe"], "present")
    quorum = held.quorum()
    assert (quorum.present, quorum.reached, quorum.decisions_are_opinions) == (0, False, True)
    assert str(quorum).endswith("quorum de 2 : non atteint")


def test_a_member_cannot_represent_themselves(client_for, held):
    by = seats_of(held)
    data = {f"presence-{m.pk}-status": "present" for m in by.values()}
    data[f"presence-{by['Agnès Externe'].pk}-status"] = "represented"
    data[f"presence-{by['Agnès Externe'].pk}-represented_by"] = " agnès  externe "
    response = client_for("coordinator").post(f"/seances/{held.pk}/presences/", data)
    assert response.status_code == 200
    assert "Un membre ne peut pas se représenter lui-même." in text(response)
    assert not held.attendances.exists()


# --- votes ----------------------------------------------------------------------------


def decision_post(item, **votes) -> dict:
    prefix = f"item-{item.pk}"
    return {
        f"reserves-{item.pk}-TOTAL_FORMS": "3",
        f"reserves-{item.pk}-INITIAL_FORMS": "0",
        f"{prefix}-decision": "favorable",
        **{f"{prefix}-votes_{k}": str(v) for k, v in votes.items()},
    }


@pytest.mark.parametrize("htmx", [True, False])
def test_votes_over_the_seats_present_are_refused(client_for, held, htmx_headers, htmx):
    by = seats_of(held)
    attend(held, by["coordinator"], "present")
    attend(held, by["member"], "present")
    attend(held, by["partner"], "absent")
    attend(held, by["Agnès Externe"], "present")
    item = held.items.get()
    url = f"/seances/{held.pk}/points/{item.pk}/decision/"
    headers = htmx_headers if htmx else {}
    response = client_for("coordinator").post(
        url, decision_post(item, **{"for": 2, "against": 0, "abstain": 1}), **headers
    )
    assert response.status_code == 200
    message = (
        "3 voix exprimées (pour, contre et abstentions) pour 2 sièges votants présents ou "
        "représentés : corrigez le décompte des voix."
    )
    assert text(response).count(message) == 1
    item.refresh_from_db()
    item.project.refresh_from_db()
    assert (item.decision, item.votes_for) == ("", None)
    assert item.project.stage == held.committee.examination[1]


def test_votes_within_the_seats_are_recorded(client_for, held, htmx_headers):
    by = seats_of(held)
    attend(held, by["coordinator"], "present")
    attend(held, by["member"], "present")
    item = held.items.get()
    url = f"/seances/{held.pk}/points/{item.pk}/decision/"
    response = client_for("coordinator").post(
        url, decision_post(item, **{"for": 1, "against": 1, "abstain": 0}), **htmx_headers
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.decision, item.votes_for, item.votes_against) == ("favorable", 1, 1)


def test_record_decision_refuses_votes_over_the_seats(users, held):
    from django.core.exceptions import ValidationError

    attend(held, seats_of(held)["coordinator"], "present")
    item = held.items.get()
    with pytest.raises(ValidationError, match="dépassent les 1 sièges"):
        item.record_decision(Decision.FAVORABLE, by=users["coordinator"], votes=(2, 0, 0))
    item.refresh_from_db()
    assert item.decision == ""


# --- the attendance form ----------------------------------------------------------------


def test_attendance_rows_start_empty(client_for, held):
    response = client_for("coordinator").get(f"/seances/{held.pk}/")
    body = text(response)
    assert "0 siège votant présent ou représenté sur 3 — quorum de 2 : non atteint" in words(
        response
    )
    assert '<option value="present" selected>' not in body
    assert body.count('<option value="" selected>Non renseigné</option>') == 4


@pytest.mark.parametrize("htmx", [True, False])
def test_attendance_errors_keep_what_was_typed(client_for, held, htmx_headers, htmx):
    by = seats_of(held)
    data = {
        f"presence-{by['coordinator'].pk}-status": "excused",
        f"presence-{by['member'].pk}-status": "represented",  # by whom?
        f"presence-{by['partner'].pk}-status": "absent",
        f"presence-{by['partner'].pk}-represented_by": "note tapée",
        # the invitée's row left "non renseigné"
    }
    headers = htmx_headers if htmx else {}
    response = client_for("coordinator").post(f"/seances/{held.pk}/presences/", data, **headers)
    assert response.status_code == 200
    body = text(response)
    assert '<option value="excused" selected>' in body
    assert '<option value="represented" selected>' in body
    assert '<option value="absent" selected>' in body
    assert 'value="note tapée"' in body
    # One message per field, in place, and a summary that takes focus.
    assert body.count('class="errorlist"') == 2
    assert body.count(f'id="presence-{by["member"].pk}-represented_by-error"') == 1
    assert body.count(f'id="presence-{by["Agnès Externe"].pk}-status-error"') == 1
    summary = body.split('class="form-errors"', 1)[1].split("</div>", 1)[0]
    assert "data-focus-after-swap" in summary and "corrigez 2 lignes" in summary
    assert summary.count("Indiquez qui représente ce membre.") == 1
    assert summary.count("Indiquez la présence de ce membre.") == 1
    assert not held.attendances.exists()


def test_attendance_saved_shows_the_true_quorum(client_for, held, htmx_headers):
    paul = seat(held.committee, "Paul Suppléant", "substitute")
    by = seats_of(held)
    data = {
        f"presence-{by['coordinator'].pk}-status": "present",
        f"presence-{by['member'].pk}-status": "represented",
        f"presence-{by['member'].pk}-represented_by": "Paul Suppléant",
        f"presence-{paul.pk}-status": "present",
        f"presence-{by['partner'].pk}-status": "absent",
        f"presence-{by['Agnès Externe'].pk}-status": "present",
    }
    response = client_for("coordinator").post(
        f"/seances/{held.pk}/presences/", data, **htmx_headers
    )
    assert response.status_code == 200
    assert held.attendances.count() == 5
    assert "2 sièges votants présents ou représentés sur 3 — quorum de 2 : atteint" in words(
        response
    )


# --- the minutes ----------------------------------------------------------------------


def test_minutes_print_the_quorum_line(held):
    by = seats_of(held)
    attend(held, by["coordinator"], "present")
    attend(held, by["member"], "present")
    attend(held, by["partner"], "absent")
    attend(held, by["Agnès Externe"], "present")
    content = " ".join(pdf_text(render_minutes_pdf(held, final=False)).split())
    assert "2 sièges votants présents ou représentés sur 3 — quorum de 2 : atteint" in content
    assert "valeur d'avis" not in content


def test_a_meeting_without_quorum_is_minuted_as_opinions(client_for, users, held):
    by = seats_of(held)
    attend(held, by["coordinator"], "present")
    attend(held, by["member"], "absent")
    attend(held, by["partner"], "excused")
    attend(held, by["Agnès Externe"], "present")
    item = held.items.get()
    item.record_decision(Decision.FAVORABLE, by=users["coordinator"])
    page = text(client_for("coordinator").get(f"/seances/{held.pk}/"))
    assert "Quorum non atteint : les décisions ont valeur d'avis." in page
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)  # still possible
    held.refresh_from_db()
    assert held.is_locked
    content = " ".join(pdf_text(held.minutes_pdf.read()).split())
    assert "1 siège votant présent ou représenté sur 3 — quorum de 2 : non atteint" in content
    assert "Quorum non atteint : les décisions ont valeur d'avis." in content


def test_ids_past_999_are_written_bare_in_names_anchors_and_targets(client_for, held):
    """A seat or an agenda item numbered 12 345 in the database: the attendance form's field
    names, the item's anchor and its htmx target carry the id as the URL does. The implicit
    French thousand separator once wrote « 12 345 » there, and the form lost what was typed."""
    late = CommitteeMember.objects.create(
        pk=12345, committee=held.committee, name="Yves Tardif", role="member"
    )
    AgendaItem.objects.create(
        pk=23456, meeting=held, order=2, kind="information", title="Point sur le foncier"
    )
    client = client_for("coordinator")
    body = text(client.get(f"/seances/{held.pk}/"))
    assert 'name="presence-12345-status"' in body
    assert 'id="point-23456"' in body
    assert 'hx-target="#point-23456"' in body
    data = {f"presence-{m.pk}-status": "present" for m in seats_of(held).values()}
    response = client.post(f"/seances/{held.pk}/presences/", data)
    assert response.status_code == 302
    assert held.attendances.get(member=late).status == "present"
