"""The admin is a write path like any other: its history is read, never reverted."""

import pytest

from projects.models import Stage

from .utils import text

pytestmark = pytest.mark.django_db


def test_admin_history_cannot_revert_a_project_around_the_workflow(client_for, project, users):
    first = project.history.earliest()
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"], reason="Dossier complet")
    rows = project.history.count()
    admin = client_for("admin")
    url = f"/admin/projects/project/{project.pk}/history/{first.history_id}/"

    page = admin.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # no revert button

    response = admin.post(url, {"title": "Version restaurée", "axis": project.axis})
    assert response.status_code == 403
    assert "L'historique se consulte ici sans pouvoir être restauré" in text(response)
    project.refresh_from_db()
    assert project.stage == Stage.ELIGIBLE
    assert project.title != "Version restaurée"
    assert project.history.count() == rows


# --- no delete where the domain ends a record another way --------------------------------


@pytest.fixture
def prepared_meeting(users, territory, project):
    from datetime import timedelta

    from django.utils import timezone

    from committees.models import Committee, Meeting

    committee = Committee.objects.create(territory=territory, kind="cotech", name="COTECH")
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"], reason="Dossier complet")
    meeting = Meeting.objects.create(committee=committee, starts_at=timezone.now() + timedelta(7))
    meeting.add_project(project, by=users["coordinator"])
    return meeting


def test_admin_cannot_delete_a_meeting_and_strand_its_projects(
    client_for, prepared_meeting, project
):
    admin = client_for("admin")
    url = f"/admin/committees/meeting/{prepared_meeting.pk}/delete/"
    assert admin.get(url).status_code == 403
    assert admin.post(url, {"post": "yes"}).status_code == 403
    # The bulk action is not offered either.
    changelist = admin.get("/admin/committees/meeting/").content.decode()
    assert 'value="delete_selected"' not in changelist
    prepared_meeting.refresh_from_db()
    assert prepared_meeting.items.count() == 1
    project.refresh_from_db()
    assert project.stage == Stage.COTECH


def test_admin_neither_adds_nor_deletes_agenda_items(client_for, prepared_meeting):
    admin = client_for("admin")
    item = prepared_meeting.items.get()
    assert admin.get("/admin/committees/agendaitem/add/").status_code == 403
    assert (
        admin.post(f"/admin/committees/agendaitem/{item.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert prepared_meeting.items.count() == 1


def test_accounts_are_deactivated_not_deleted(client_for, users):
    admin = client_for("admin")
    lead = users["lead"]
    response = admin.post(f"/admin/auth/user/{lead.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.is_active
