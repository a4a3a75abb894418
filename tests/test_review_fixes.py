"""Regression tests for defects found in review: each one failed before its fix."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from committees.models import Attendance, Decision, Meeting
from projects.models import Indicator, Stage

from .factories import IndicatorFactory
from .utils import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(users, meeting, eligible_projects):
    coordinator = users["coordinator"]
    meeting.add_project(eligible_projects[0], by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    return meeting


@pytest.fixture
def cotech(territory, users):
    from committees.models import Committee, CommitteeMember

    committee = Committee.objects.create(territory=territory, kind="cotech", name="COTECH")
    CommitteeMember.objects.create(committee=committee, user=users["coordinator"], role="chair")
    CommitteeMember.objects.create(committee=committee, user=users["member"], role="member")
    return committee


# `meeting` is the shared fixture (tests/conftest.py), on this module's smaller COTECH.


@pytest.fixture
def eligible_projects(territory, users):
    from .factories import FundingLineFactory, ProjectFactory

    project = ProjectFactory(territory=territory, stage=Stage.ELIGIBLE, title="Friche")
    project.lead_users.add(users["lead"])
    FundingLineFactory(project=project, amount=Decimal("100000"))
    return [project]


def test_a_bad_reserve_does_not_report_a_decision_as_recorded(client_for, held, htmx_headers):
    item = held.items.get()
    response = client_for("coordinator").post(
        f"/seances/{held.pk}/points/{item.pk}/decision/",
        {
            f"item-{item.pk}-decision": "favorable_reserves",
            f"item-{item.pk}-motive": "Sous réserve",
            f"reserves-{item.pk}-TOTAL_FORMS": "3",
            f"reserves-{item.pk}-INITIAL_FORMS": "0",
            f"reserves-{item.pk}-0-text": "Délibération",
            f"reserves-{item.pk}-0-due_on": "2026-99-99",
        },
        **htmx_headers,
    )
    assert response.status_code == 200
    assert "Saisissez une date valide" in text(response)
    item.refresh_from_db()
    assert item.decision == ""


def test_a_stale_copy_cannot_undo_validated_minutes(users, held):
    coordinator = users["coordinator"]
    stale = Meeting.objects.get(pk=held.pk)
    Attendance.objects.create(meeting=held, member=held.committee.members.first(), status="present")
    held.items.get().record_decision(Decision.FAVORABLE, by=coordinator)
    held.validate_minutes(by=coordinator, at=held.ends_at)
    stale.minutes_intro = "réécrit"
    with pytest.raises(ValidationError):
        stale.save()
    with pytest.raises(ValidationError):
        Attendance(meeting=stale, member=held.committee.members.last(), status="absent").save()
    held.refresh_from_db()
    assert held.status == Meeting.Status.VALIDATED


def test_agenda_items_of_a_held_meeting_cannot_be_edited(client_for, held):
    item = held.items.get()
    client_for("coordinator").post(
        f"/seances/{held.pk}/ordre-du-jour/",
        {
            "action": "update",
            "item": item.pk,
            f"edit-{item.pk}-rapporteur": "X",
            f"edit-{item.pk}-duration": "5",
        },
    )
    item.refresh_from_db()
    assert item.rapporteur != "X"


def test_a_lead_does_not_read_draft_debates(client_for, held):
    item = held.items.get()
    item.notes = "Débats confidentiels du comité"
    item.save()
    assert client_for("lead").get(f"/seances/{held.pk}/").status_code == 200
    assert "Débats confidentiels" not in text(client_for("lead").get(f"/seances/{held.pk}/"))
    assert "Débats confidentiels" in text(client_for("member").get(f"/seances/{held.pk}/"))


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/territoire/", {"territory": "abc"}),
        ("/seances/{meeting}/ordre-du-jour/", {"action": "remove", "item": "abc"}),
        ("/seances/{meeting}/actions/", {"done": "abc"}),
    ],
)
def test_non_numeric_ids_give_404(client_for, meeting, url, data):
    response = client_for("coordinator").post(url.format(meeting=meeting.pk), data)
    assert response.status_code == 404


def test_a_row_added_in_a_progress_update_must_be_complete(client_for, project, users):
    project.stage = Stage.IN_PROGRESS
    project.save()
    indicator = IndicatorFactory(project=project)
    data = {
        "progress": "30",
        "indicateurs-TOTAL_FORMS": "2",
        "indicateurs-INITIAL_FORMS": "1",
        "indicateurs-0-id": indicator.pk,
        "indicateurs-0-achieved": "3",
        "indicateurs-1-achieved": "5",
        "jalons-TOTAL_FORMS": "0",
        "jalons-INITIAL_FORMS": "0",
    }
    response = client_for("lead").post(f"/projets/{project.pk}/modifier/", data)
    # A lead may add an indicator past drafting (issue 10), a whole one: a row with only what was
    # achieved lacks the indicator and its target, and the form saves nothing.
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    assert Indicator.objects.filter(project=project).count() == 1
    indicator.refresh_from_db()
    assert indicator.achieved is None


def test_an_edit_does_not_revert_a_concurrent_stage_move(project, users):
    from projects.forms.projects import ProjectForm
    from projects.models import Project
    from projects.views.projects import save_project

    from .projects.test_edit import edit_data

    project.stage = Stage.DRAFTING
    project.save()
    stale = Project.objects.get(pk=project.pk)  # the edit page was opened before the move
    form = ProjectForm(
        edit_data(stale, title="Titre modifié"),
        instance=stale,
        territory=project.territory,
        can_assign_leads=True,
    )
    assert form.is_valid(), form.errors
    Project.objects.get(pk=project.pk).move_to(
        Stage.WITHDRAWN, by=users["lead"], reason="Abandon du porteur"
    )
    save_project(form, {}, "Modification du projet")
    project.refresh_from_db()
    assert project.title == "Titre modifié"
    assert project.stage == Stage.WITHDRAWN
