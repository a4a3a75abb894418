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
