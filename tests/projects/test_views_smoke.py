import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["dashboard", "projects:list", "projects:create"])
def test_pages_render_for_coordinator(client_for, project, name):
    from django.urls import reverse

    response = client_for("coordinator").get(reverse(name))
    assert response.status_code == 200


def test_detail_edit_history_render(client_for, project):
    client = client_for("coordinator")
    for url in [
        f"/projets/{project.pk}/",
        f"/projets/{project.pk}/modifier/",
        f"/projets/{project.pk}/historique/",
        f"/projets/{project.pk}/historique/?date=2026-01-01",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
