"""Creation forms are sent once (issue 12): a double click or a resent request creates one
object, and leads to it."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.once import ALREADY_SENT
from committees.models import Committee, Meeting

from .utils import text

pytestmark = pytest.mark.django_db


def token_in(page, form_heading: str) -> str:
    html = page.content.decode()
    form = html[html.index(form_heading) - 400 : html.index(form_heading)]
    return re.findall(r'name="once" value="([^"]+)"', form)[-1]


@pytest.fixture
def cotech(territory):
    return Committee.objects.create(territory=territory, kind="cotech", name="COTECH")


def meeting_data(token: str) -> dict:
    when = timezone.localtime(timezone.now() + timedelta(days=20))
    return {
        "seance-starts_at": when.strftime("%Y-%m-%dT%H:%M"),
        "seance-place": "Langres",
        "once": token,
    }


def test_a_double_submitted_meeting_is_created_once(client_for, cotech):
    client = client_for("coordinator")
    token = token_in(client.get(f"/comites/{cotech.pk}/"), "<h2>Nouvelle séance</h2>")
    first = client.post(f"/comites/{cotech.pk}/", meeting_data(token))
    assert first.status_code == 302
    second = client.post(f"/comites/{cotech.pk}/", meeting_data(token), follow=True)
    assert Meeting.objects.filter(committee=cotech).count() == 1
    meeting = Meeting.objects.get(committee=cotech)
    assert second.redirect_chain == [(meeting.get_absolute_url(), 302)]
    assert ALREADY_SENT in text(second)


def test_a_refused_form_comes_back_with_a_new_token(client_for, cotech):
    client = client_for("coordinator")
    token = token_in(client.get(f"/comites/{cotech.pk}/"), "<h2>Nouvelle séance</h2>")
    refused = client.post(
        f"/comites/{cotech.pk}/", {**meeting_data(token), "seance-starts_at": "x"}
    )
    assert refused.status_code == 200
    fresh = token_in(refused, "<h2>Nouvelle séance</h2>")
    assert fresh != token
    assert client.post(f"/comites/{cotech.pk}/", meeting_data(fresh)).status_code == 302
    assert Meeting.objects.filter(committee=cotech).count() == 1


def test_an_agenda_item_double_clicked_with_htmx_is_added_once(
    client_for, users, cotech, htmx_headers
):
    meeting = Meeting.objects.create(committee=cotech, starts_at=timezone.now() + timedelta(days=9))
    client = client_for("coordinator")
    token = token_in(client.get(f"/seances/{meeting.pk}/"), "<h3>Ajouter un point</h3>")
    data = {
        "action": "add_item",
        "point-kind": "information",
        "point-title": "Point AMI",
        "point-duration": "10",
        "once": token,
    }
    assert (
        client.post(f"/seances/{meeting.pk}/ordre-du-jour/", data, **htmx_headers).status_code
        == 200
    )
    again = client.post(
        f"/seances/{meeting.pk}/ordre-du-jour/",
        data,
        HTTP_HX_CURRENT_URL=f"http://testserver/seances/{meeting.pk}/",
        **htmx_headers,
    )
    assert again["HX-Redirect"] == f"http://testserver/seances/{meeting.pk}/"
    assert meeting.items.count() == 1


def test_a_token_is_personal(client_for, cotech):
    coordinator = client_for("coordinator")
    token = token_in(coordinator.get(f"/comites/{cotech.pk}/"), "<h2>Nouvelle séance</h2>")
    assert coordinator.post(f"/comites/{cotech.pk}/", meeting_data(token)).status_code == 302
    # Another account cannot learn where someone's form led by replaying their token.
    other = client_for("partner")
    assert other.post(f"/comites/{cotech.pk}/", meeting_data(token)).status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writes: PostgreSQL")
def test_simultaneous_identical_posts_create_one_meeting(users, cotech):
    token = "jeton-de-test-simultane"
    barrier = threading.Barrier(3)
    statuses = []

    def post() -> None:
        from django.db import connection as thread_connection

        client = Client()
        client.force_login(users["coordinator"])
        barrier.wait()
        try:
            statuses.append(client.post(f"/comites/{cotech.pk}/", meeting_data(token)).status_code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302, 302]
    assert Meeting.objects.filter(committee=cotech).count() == 1


def test_a_double_submitted_project_is_created_once(client_for, territory):
    from projects.models import Project

    from .projects.test_form_choices import new_project_data

    client = client_for("coordinator")
    page = client.get("/projets/nouveau/")
    [token] = re.findall(r'name="once" value="([^"]+)"', page.content.decode())
    data = {**new_project_data(**{"financement-TOTAL_FORMS": "0"}), "once": token}
    first = client.post("/projets/nouveau/", data)
    assert first.status_code == 302
    second = client.post("/projets/nouveau/", data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Project.objects.filter(title=data["title"]).count() == 1
