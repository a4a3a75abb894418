import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.history import project_as_of, project_timeline
from projects.lifecycle import history_stamp, save_change
from projects.models import FundingLine, Organisation, Stage

from ..factories import FundingLineFactory, OrganisationFactory, ProjectFactory
from ..utils import text

pytestmark = pytest.mark.django_db


def test_timeline_labels_values_like_a_person_reads_them(project, users):
    bpi = OrganisationFactory(name="Bpifrance", kind=Organisation.Kind.PUBLIC_OPERATOR)
    project.total_cost = Decimal("1250000")
    project._history_user = users["coordinator"]
    project.save()
    line = FundingLineFactory(project=project, funder=bpi, amount=Decimal("500000"))
    line.status = FundingLine.Status.GRANTED
    line.save()
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"], reason="Dossier complet")

    entries = project_timeline(project)
    move = entries[0]
    assert move.stage_move == ("Déposé", "Recevable")
    assert move.reason == "Dossier complet"
    assert move.user == users["coordinator"]

    cost = next(e for e in entries if any(c.label == "Coût total HT" for c in e.changes))
    change = next(c for c in cost.changes if c.label == "Coût total HT")
    assert (change.old, change.new) == ("100\u202f000\u00a0€", "1\u202f250\u202f000\u00a0€")

    status = next(
        e for e in entries if e.subject.startswith("Plan de financement") and e.action == "changed"
    )
    assert status.subject == "Plan de financement — Bpifrance (Subvention)"
    assert [(c.label, c.old, c.new) for c in status.changes] == [("Statut", "Envisagé", "Accordé")]


def test_history_page_shows_changes_with_author_and_reason(client_for, project, users):
    project.move_to(Stage.DRAFTING, by=users["coordinator"], reason="Plan de financement incomplet")
    body = text(client_for("lead").get(f"/projets/{project.pk}/historique/"))
    assert "Plan de financement incomplet" in body
    assert "Déposé" in body and "En rédaction" in body
    assert users["coordinator"].get_full_name() in body


def test_as_of_shows_the_project_as_it_was(client_for, territory, users):
    now = timezone.now()
    coordinator, lead = users["coordinator"], users["lead"]
    # Ten days ago: the project was submitted with one funding line.
    created = {"by": lead, "reason": "Dépôt du projet", "at": now - timedelta(days=10)}
    project = ProjectFactory(
        territory=territory, title="Extension de l'école de production", **created
    )
    with history_stamp(project, **created):
        project.lead_users.add(lead)
    line = FundingLineFactory(project=project, amount=Decimal("40000"), **created)
    # Five days ago: the cost and the line changed; today, the project was declared eligible.
    changed = {"by": lead, "reason": "Plan de financement actualisé", "at": now - timedelta(days=5)}
    project.total_cost = Decimal("250000")
    save_change(project, **changed)
    line.amount = Decimal("90000")
    save_change(line, **changed)
    project.move_to(Stage.ELIGIBLE, by=coordinator)

    old = project_as_of(project, now - timedelta(days=7))
    assert old["stage"] == "Déposé"
    assert old["total_cost"] == Decimal("100000")
    assert old["tables"]["Plan de financement"].rows[0][2] == "40\u202f000\u00a0€"
    new = project_as_of(project, timezone.now())
    assert new["stage"] == "Recevable"
    assert new["total_cost"] == Decimal("250000")
    assert new["funding_total"] == Decimal("90000")
    assert project_as_of(project, now - timedelta(days=30)) is None

    day = (now - timedelta(days=7)).date().isoformat()
    body = text(client_for("member").get(f"/projets/{project.pk}/historique/?date={day}"))
    assert "100\u202f000\u00a0€" in body
    assert "Déposé" in body
    # Each table under the heading the project page gives it (issue 10: not « Indicateur »).
    headings = re.findall(r"<h3>([^<]+)</h3>", body)
    assert headings == ["Plan de financement", "Indicateurs", "Jalons", "Documents", "Réserves"]


def test_as_of_bad_date_gives_a_french_message(client_for, project):
    response = client_for("coordinator").get(f"/projets/{project.pk}/historique/?date=2026-13-45")
    assert response.status_code == 200
    assert "Saisissez une date valide" in text(response)


def test_deleted_row_disappears_from_later_snapshots_but_stays_in_the_timeline(project):
    line = FundingLineFactory(project=project)
    line.delete()
    snapshot = project_as_of(project, timezone.now())
    assert snapshot["tables"]["Plan de financement"].rows == []
    assert any(e.action == "deleted" for e in project_timeline(project))
