import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from committees.models import AgendaItem, Decision
from projects.models import Project, Stage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def test_two_concurrent_decisions_leave_one_consistent_result(
    users, meeting, eligible_projects, monkeypatch
):
    import time

    coordinator = users["coordinator"]
    # Widen the window: the first decision holds its locks a while before committing.
    replace_reserves = AgendaItem._replace_reserves

    def slow_replace(self, *args, **kwargs):
        replace_reserves(self, *args, **kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(AgendaItem, "_replace_reserves", slow_replace)
    project = eligible_projects[0]
    item = meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    barrier = threading.Barrier(2)
    errors = []

    def decide(decision: str, motive: str, reserves: list) -> None:
        from django.db import connection as thread_connection

        copy = AgendaItem.objects.select_related("meeting__committee").get(pk=item.pk)
        barrier.wait()
        try:
            copy.record_decision(decision, by=coordinator, motive=motive, reserves=reserves)
        except ValidationError as error:
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(
            target=decide,
            args=(Decision.FAVORABLE_RESERVES, "Sous réserve", [{"text": "Délibération"}]),
        ),
        threading.Thread(target=decide, args=(Decision.FAVORABLE, "", [])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    item.refresh_from_db()
    project = Project.objects.get(pk=project.pk)
    expected = {Decision.FAVORABLE: Stage.READY_COPIL, Decision.FAVORABLE_RESERVES: Stage.RESERVES}
    # Whatever the order, the project's stage, its reserves and the item agree.
    assert project.stage == expected[item.decision]
    open_reserves = project.reserves.open().count()
    assert open_reserves == (1 if item.decision == Decision.FAVORABLE_RESERVES else 0)
    assert errors == []  # the second decision was applied as an amendment of the first
