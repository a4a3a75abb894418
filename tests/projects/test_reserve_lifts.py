"""Reserves are lifted in two steps (DESIGN §5): the lead proposes with a proof, the coordination
accepts or refuses with a motive; only acceptance lifts the reserve and moves the project."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import Document, Reserve, Stage

from ..factories import ProjectFactory
from ..utils import text

pytestmark = pytest.mark.django_db

AT = datetime.fromisoformat("2026-04-02T10:00:00+02:00")


@pytest.fixture
def reserve(project, users):
    project.stage = Stage.RESERVES
    project.save()
    return Reserve.objects.create(
        project=project, text="Délibération de l'EPCI", origin="COTECH n° 1", owner=users["lead"]
    )


def propose_url(reserve) -> str:
    return f"/projets/{reserve.project_id}/reserves/{reserve.pk}/lever/"


def decide_url(reserve) -> str:
    return f"/projets/{reserve.project_id}/reserves/{reserve.pk}/decision/"


def propose(client, reserve, proof="Délibération du 2 avril", **headers):
    return client.post(propose_url(reserve), {f"reserve-{reserve.pk}-proof": proof}, **headers)


def decide(client, reserve, decision, motive="", **headers):
    data = {f"reserve-{reserve.pk}-decision": decision, f"reserve-{reserve.pk}-motive": motive}
    return client.post(decide_url(reserve), data, **headers)


def page(client, reserve) -> str:
    return text(client.get(f"/projets/{reserve.project_id}/"))


def test_proposal_then_acceptance_moves_the_project(client_for, reserve, users):
    lead, coordinator = client_for("lead"), client_for("coordinator")
    assert propose(lead, reserve).status_code == 302
    reserve.refresh_from_db()
    assert reserve.is_lift_proposed and not reserve.is_lifted
    assert reserve.proposed_by == users["lead"]
    reserve.project.refresh_from_db()
    assert reserve.project.stage == Stage.RESERVES  # a proposal moves nothing
    body = page(lead, reserve)
    assert "Levée proposée le" in body and "En attente de la coordination" in body
    assert "Proposer la levée" not in body and "Accepter la levée" not in body
    assert "Accepter la levée" in page(coordinator, reserve)

    assert decide(coordinator, reserve, "accept", "Délibération conforme").status_code == 302
    reserve.refresh_from_db()
    assert reserve.is_lifted and reserve.lifted_by == users["coordinator"]
    assert reserve.proof == "Délibération du 2 avril"
    reserve.project.refresh_from_db()
    assert reserve.project.stage == Stage.READY_COPIL
    last = reserve.project.history.first()
    assert (last.history_user, last.history_cause) == (
        users["coordinator"],
        f"reserve:{reserve.pk}",
    )
    body = page(lead, reserve)
    assert "Levée le" in body and "sur proposition de" in body
    assert "Délibération conforme" in body


def test_proposal_then_refusal_keeps_the_project_and_shows_the_motive(
    client_for, reserve, htmx_headers
):
    lead, coordinator = client_for("lead"), client_for("coordinator")
    propose(lead, reserve)
    response = decide(coordinator, reserve, "refuse", "Délibération non signée", **htmx_headers)
    assert response.status_code == 200
    reserve.refresh_from_db()
    assert reserve.is_lift_refused and not reserve.is_lifted and not reserve.is_lift_proposed
    reserve.project.refresh_from_db()
    assert reserve.project.stage == Stage.RESERVES
    body = page(lead, reserve)
    assert "Levée refusée" in body and "Délibération non signée" in body
    # The lead may propose again, with a better proof.
    assert "Proposer la levée" in body
    assert propose(lead, reserve, "Délibération signée du 9 avril").status_code == 302
    reserve.refresh_from_db()
    assert reserve.is_lift_proposed and reserve.decision_motive == ""


def test_a_refusal_needs_a_motive(client_for, reserve, htmx_headers):
    reserve.propose_lift(by=reserve.owner, proof="Délibération")
    rows = reserve.history.count()
    response = decide(client_for("coordinator"), reserve, "refuse", "  ", **htmx_headers)
    assert response.status_code == 200
    assert "Le motif du refus est obligatoire" in text(response)
    assert "<html" not in text(response)  # the reserve only
    assert reserve.history.count() == rows
    reserve.refresh_from_db()
    assert reserve.is_lift_proposed
    # Without JavaScript, the page again with the message.
    response = decide(client_for("coordinator"), reserve, "refuse")
    assert response.status_code == 200
    assert "Le motif du refus est obligatoire" in text(response) and "<html" in text(response)


def test_the_lead_cannot_accept_their_own_proposal(client_for, reserve):
    lead = client_for("lead")
    propose(lead, reserve)
    response = decide(lead, reserve, "accept")
    assert response.status_code == 403
    assert "Seule la coordination du territoire peut accepter ou refuser" in text(response)
    reserve.refresh_from_db()
    assert not reserve.is_lifted


@pytest.mark.parametrize("name", ["partner", "member", "other_lead"])
def test_only_the_lead_or_the_owner_proposes(client_for, reserve, name):
    response = propose(client_for(name), reserve)
    assert response.status_code == 403
    assert "Seuls le porteur du projet et le responsable de la réserve" in text(response)
    reserve.refresh_from_db()
    assert reserve.proposed_at is None


def test_the_owner_in_the_territory_proposes(client_for, reserve, users):
    reserve.owner = users["member"]
    reserve.save()
    response = client_for("member").post(
        propose_url(reserve), {f"reserve-{reserve.pk}-proof": "Courrier de l'EPCI"}
    )
    assert response.status_code == 302
    reserve.refresh_from_db()
    assert reserve.proposed_by == users["member"]


@pytest.mark.parametrize(("name", "expected"), [("stranger", 404), (None, 302)])
def test_out_of_scope_and_anonymous(client_for, reserve, name, expected):
    assert propose(client_for(name), reserve).status_code == expected
    assert decide(client_for(name), reserve, "accept").status_code == expected
    reserve.refresh_from_db()
    assert reserve.proposed_at is None and not reserve.is_lifted


def test_a_lift_cannot_be_proposed_twice(client_for, reserve):
    lead = client_for("lead")
    propose(lead, reserve, "Première preuve")
    response = propose(lead, reserve, "Seconde preuve")
    assert response.status_code == 403
    assert "Une levée de cette réserve est déjà proposée" in text(response)
    reserve.refresh_from_db()
    assert reserve.proposed_proof == "Première preuve"
    assert reserve.history.count() == 2  # created, proposed


def test_accepting_without_a_proposal_changes_nothing(client_for, reserve, htmx_headers):
    response = decide(client_for("coordinator"), reserve, "accept", **htmx_headers)
    assert response.status_code == 200
    assert "Aucune levée n'est proposée pour cette réserve" in text(response)
    reserve.refresh_from_db()
    assert not reserve.is_lifted
    reserve.project.refresh_from_db()
    assert reserve.project.stage == Stage.RESERVES


def test_a_decision_must_be_chosen(client_for, reserve, htmx_headers):
    reserve.propose_lift(by=reserve.owner, proof="Délibération")
    response = decide(client_for("coordinator"), reserve, "approve", **htmx_headers)
    assert response.status_code == 200
    assert "Choisissez d'accepter ou de refuser la levée" in text(response)


def test_a_document_of_another_project_is_refused(reserve, territory, users):
    foreign = Document.objects.create(
        project=ProjectFactory(territory=territory),
        title="Pièce",
        file="documents/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        uploaded_by=users["coordinator"],
    )
    with pytest.raises(ValidationError, match="n'appartient pas au projet"):
        reserve.propose_lift(by=users["lead"], document=foreign)
    with pytest.raises(ValidationError, match="n'appartient pas au projet"):
        reserve.lift(by=users["coordinator"], document=foreign)
    reserve.refresh_from_db()
    assert reserve.proposed_at is None and not reserve.is_lifted


def test_both_steps_are_in_history_with_author_reason_and_moment(reserve, users):
    reserve.propose_lift(by=users["lead"], proof="Délibération du 2 avril", at=AT)
    with pytest.raises(PermissionDenied):
        reserve.accept_lift(by=users["lead"])
    with pytest.raises(PermissionDenied):
        reserve.propose_lift(by=users["lead"], proof="Encore")
    reserve.refuse_lift(
        by=users["coordinator"], motive="Délibération non signée", at=AT + timedelta(days=1)
    )
    reserve.propose_lift(by=users["lead"], proof="Signée", at=AT + timedelta(days=2))
    reserve.accept_lift(by=users["coordinator"], at=AT + timedelta(days=3))
    rows = [
        (r.history_user.username, r.history_change_reason, r.history_date)
        for r in reserve.history.order_by("history_id")[1:]  # after its creation
    ]
    assert rows == [
        ("lead", "Levée de la réserve proposée", AT),
        ("coordinator", "Levée de la réserve refusée par la coordination", AT + timedelta(days=1)),
        ("lead", "Levée de la réserve proposée", AT + timedelta(days=2)),
        (
            "coordinator",
            "Levée de la réserve acceptée par la coordination",
            AT + timedelta(days=3),
        ),
    ]
    reserve.project.refresh_from_db()
    assert reserve.project.stage == Stage.READY_COPIL
    moved = reserve.project.history.latest("history_id")
    assert moved.history_date == AT + timedelta(days=3)


def test_the_project_history_shows_both_steps(client_for, reserve):
    propose(client_for("lead"), reserve)
    decide(client_for("coordinator"), reserve, "refuse", "Délibération non signée")
    body = text(client_for("lead").get(f"/projets/{reserve.project_id}/historique/"))
    assert "Levée de la réserve proposée" in body
    assert "Levée de la réserve refusée par la coordination" in body
    assert "Délibération non signée" in body
