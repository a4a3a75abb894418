"""The demo is the workflow replayed through the application's methods (issue 11): loaded once
for this module, it must read exactly as the application writes its history."""

import io
import re
from contextlib import nullcontext
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from committees.models import ActionItem, AgendaItem, Attendance, Invitation, Meeting
from demo import data
from demo.loader import QUEUE
from projects.models import (
    Application,
    ApplicationProject,
    FundingLine,
    Indicator,
    Milestone,
    Project,
    Reserve,
    SectionAnswer,
    Stage,
)
from tdi.formats import french_date

EXAMINATION = {Stage.COTECH, Stage.COPIL}
STEPS = [
    Meeting.Status.PREPARATION,
    Meeting.Status.CONVENED,
    Meeting.Status.HELD,
    Meeting.Status.VALIDATED,
]


# The demo alone, and with a small national data set (issue 13): both must read as the
# application writes its history.
LOADS = {"demo": [], "national": ["--national", "--territoires", "3", "--projets", "15"]}


@pytest.fixture(scope="module", params=LOADS)
def demo(request, django_db_setup, django_db_blocker):
    """The demo loaded once per load for this module. Its passwords hashed with the tests' fast
    hasher; with the national set, the archived PDFs held (the demo alone checks them): the
    hashes took 3 s of each load, the PDFs 14."""
    archives = (
        nullcontext()
        if request.param == "demo"
        else override_settings(TASKS={"default": {"BACKEND": QUEUE}})  # the loader's own queue
    )
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        archives,
        transaction.atomic(),
    ):
        call_command("demo", *LOADS[request.param], stdout=io.StringIO())
        yield request.param
        transaction.set_rollback(True)


# One worker loads each demo once (make test's --dist loadgroup), rather than each worker that
# receives one of these tests.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("demo"),
    pytest.mark.xdist_group("demo"),
]


def test_the_demo_has_its_territories_meetings_and_applications():
    assert Project.objects.filter(territory__code=data.CL).count() == 17
    assert Project.objects.filter(territory__code=data.VM).count() == 3
    demo = Meeting.objects.filter(committee__territory__code__in=[data.CL, data.VM])
    statuses = list(demo.values_list("status", flat=True))
    assert statuses.count(Meeting.Status.VALIDATED) == 15
    assert statuses.count(Meeting.Status.HELD) == 1
    assert statuses.count(Meeting.Status.CONVENED) == 1
    assert statuses.count(Meeting.Status.PREPARATION) == 1
    assert sorted(Application.objects.values_list("status", flat=True)) == ["draft", "selected"]


def test_each_project_is_dated_and_numbered_by_its_history():
    for project in Project.objects.all():
        rows = list(project.history.order_by("history_id"))
        assert project.created_at == rows[0].history_date, project.reference
        assert project.updated_at == rows[-1].history_date, project.reference
        assert project.reference.split("-")[1] == str(project.created_at.year)


@pytest.mark.parametrize(
    "model",
    [
        Project,
        FundingLine,
        Indicator,
        Milestone,
        Reserve,
        Meeting,
        AgendaItem,
        Attendance,
        ActionItem,
        Invitation,
        Application,
        SectionAnswer,
        ApplicationProject,
    ],
)
def test_no_history_row_comes_before_the_previous_one_or_after_now(model):
    now = timezone.now()
    rows = model.history.order_by("id", "history_id").values_list("id", "history_date")
    for (before_id, before), (after_id, after) in pairwise(rows):
        assert after <= now
        if before_id == after_id:
            assert before <= after, f"{model.__name__} {after_id}: {before} puis {after}"


def test_every_committee_move_is_caused_by_an_agenda_item_of_its_meeting():
    items = {f"agendaitem:{i.pk}": i for i in AgendaItem.objects.select_related("meeting")}
    checked = 0
    for project in Project.objects.all():
        rows = list(project.history.order_by("history_id"))
        for before, row in pairwise(rows):
            if row.stage == before.stage:
                continue
            assert row.history_change_reason, f"{project.reference} → {row.stage} sans motif"
            if before.stage == Stage.RESERVES and row.stage == Stage.READY_COPIL:
                assert row.history_cause.startswith("reserve:")
            elif {before.stage, row.stage} & EXAMINATION:
                item = items[row.history_cause]
                assert item.project_id == project.pk
                day = french_date(item.meeting.day)
                named = rf"{item.meeting.committee.short_name} (n° \d+ )?du {day}"
                assert re.search(named, row.history_change_reason), row.history_change_reason
                checked += 1
            else:
                assert row.history_cause == "", "a person's move has no cause"
    # One move per inscription and one per decision: none without its meeting.
    on_agenda = AgendaItem.objects.filter(project__isnull=False)
    assert checked == on_agenda.count() + on_agenda.exclude(decision="").count()


def test_meetings_go_through_their_steps_in_order_and_validated_ones_are_archived(demo):
    for meeting in Meeting.objects.select_related("committee"):
        statuses = []
        for row in meeting.history.order_by("history_id"):
            if not statuses or statuses[-1] != row.status:
                statuses.append(row.status)
        assert statuses == STEPS[: len(statuses)], meeting.title
        if meeting.status == Meeting.Status.VALIDATED:
            assert meeting.validated_at >= meeting.ends_at
            assert meeting.minutes_html and meeting.content_sha256
            if demo == "demo":
                # The national set leaves its PDFs to `manage.py produce_archives` (and its
                # load here holds those of the demo).
                assert meeting.minutes_pdf and meeting.minutes_sha256
    for committee_id in Meeting.objects.values_list("committee", flat=True).distinct():
        numbers = Meeting.objects.filter(committee=committee_id, number__isnull=False)
        assert list(numbers.order_by("starts_at").values_list("number", flat=True)) == list(
            range(1, numbers.count() + 1)
        )


def test_the_demo_logins_work_and_a_second_load_changes_nothing(demo):
    counts = [m.objects.count() for m in (Project, Meeting, Project.history.model)]
    out = io.StringIO()
    call_command("demo", *LOADS[demo], stdout=out)
    assert "existent déjà" in out.getvalue()
    if demo == "national":
        assert "Le jeu de données national existe déjà" in out.getvalue()
    assert [m.objects.count() for m in (Project, Meeting, Project.history.model)] == counts
    for account in data.ACCOUNTS:
        user = get_user_model().objects.get(username=account["username"])
        assert user.check_password(data.PASSWORD)


def test_the_national_set_has_its_size_and_two_years_of_committees(demo):
    if demo != "national":
        pytest.skip("the national data set only")
    national = Project.objects.filter(territory__code__startswith="ti-2")
    assert national.values("territory").distinct().count() == 3
    assert national.count() == 3 * 15
    assert FundingLine.objects.filter(project__in=national).count() == 3 * 3 * 15
    assert all(p.funding_total == p.total_cost for p in national.prefetch_related("funding_lines"))
    meetings = Meeting.objects.filter(committee__territory__code__startswith="ti-2")
    validated = meetings.filter(status=Meeting.Status.VALIDATED)
    assert validated.count() >= 3 * 2  # a COTECH and a COPIL per territory at least
    for meeting in validated:
        assert meeting.minutes_html and meeting.content_sha256 in meeting.minutes_html
        assert meeting.attendances.count() == meeting.committee.members.count()
    assert not national.filter(updated_at__gt=timezone.now()).exists()
