"""One run under the production settings (issue 11): DJANGO_DEBUG unset, a secret key, static
files collected into the manifest storage, tasks queued in the database for a worker.

The suite runs with DJANGO_DEBUG=1 (tests/settings.py); what only production does is checked
here, in a separate process on a fresh database: every page of the demo renders through the
manifest (a template naming a static file that does not exist answers 500 there, not in
debug), freezing a record queues its PDF for the worker instead of printing it at once, and the
worker prints it.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import re

from django.contrib.auth import get_user_model
from accounts.second_factor import STATE
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from committees.models import Meeting
from projects.models import Application, Project

pages = ["/", "/projets/", "/rapports/", "/comites/", "/decisions/", "/candidatures/"]
project = Project.objects.filter(territory__code="ti-0052").order_by("pk").first()
meeting = Meeting.objects.filter(committee__territory__code="ti-0052").order_by("pk").first()
application = Application.objects.order_by("pk").first()
pages += [
    project.get_absolute_url(),
    f"/projets/{project.pk}/historique/",
    meeting.get_absolute_url(),
    f"/candidatures/{application.pk}/",
]
# The coordination must use a second factor in production: a confirmed device, and the
# session as the code step leaves it (django-otp's device recorded, nothing more asked).
coordination = get_user_model().objects.get(username="coordination")
device = TOTPDevice.objects.create(user=coordination, name="Téléphone", confirmed=True)
client = Client()
client.force_login(coordination)
session = client.session
assert session.pop(STATE) == "code"  # what login asked
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
for url in pages:
    response = client.get(url, secure=True)
    assert response.status_code == 200, (url, response.status_code)
    # The hashed name from the manifest, never the plain one.
    assert re.search(rb"/static/tdi/app\.[0-9a-f]{12}\.js", response.content), url

assert client.get("/connexion/", secure=True).status_code == 302  # already logged in
print("queued:", DBTaskResult.objects.filter(task_path__endswith="produce_archive").count())
print("pages ok:", len(pages))
"""

ARCHIVED = r"""
from django_tasks_db.models import DBTaskResult

from committees.models import Meeting
from projects.models import Application

done = DBTaskResult.objects.filter(task_path__endswith="produce_archive", status="SUCCESSFUL")
stored = Meeting.objects.exclude(minutes_pdf="").count()
stored += Application.objects.exclude(dossier_pdf="").count()
assert stored == done.count(), (stored, done.count())
for meeting in Meeting.objects.exclude(minutes_pdf=""):
    assert meeting.minutes_pdf.read(5) == b"%PDF-"
print("archived:", stored)
"""


def test_the_demo_renders_and_queues_under_production_settings(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_TASKS_IMMEDIATE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tdi.settings",
        DJANGO_DEBUG="0",  # manage.py would default to 1
        DJANGO_SECRET_KEY="production-settings-test-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
    )

    def manage(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("demo")
    out = manage("shell", "-c", SCRIPT)
    assert "pages ok: 10" in out
    # The demo validated minutes and submitted a dossier: their PDFs wait for the worker.
    queued = int(out.split("queued:")[1].split()[0])
    assert queued > 0, out
    # The worker (one thread: the layout in a child process under its memory limit) prints one.
    manage("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay")
    out = manage("shell", "-c", ARCHIVED)
    assert "archived: 1" in out, out
