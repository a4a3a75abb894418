import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from projects.models import Project, Stage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


def test_two_concurrent_moves_leave_one_consistent_result(project, users):
    """Two coordinators declare the same project eligible at once (a double submission): the
    first move applies, the second finds the project already eligible and is refused."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def move(name: str, target: str, reason: str) -> None:
        from django.db import connection as thread_connection

        copy = Project.objects.get(pk=project.pk)  # both threads read "submitted"
        barrier.wait()
        try:
            copy.move_to(target, by=users["coordinator"], reason=reason)
            outcomes[name] = "moved"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=move, args=("first", Stage.ELIGIBLE, "Dossier complet")),
        threading.Thread(target=move, args=("second", Stage.ELIGIBLE, "Dossier complet")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["moved", "refused"]
    project.refresh_from_db()
    assert project.stage == Stage.ELIGIBLE
    assert project.history.filter(stage=Stage.ELIGIBLE).count() == 1
