import pytest

from projects.models import Reserve, Stage

from ..utils import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def reserved(project, users):
    project.stage = Stage.RESERVES
    project.save()
    reserve = Reserve.objects.create(
        project=project, text="Délibération de l'EPCI", origin="COTECH n° 1", owner=users["lead"]
    )
    return reserve


def lift_url(reserve) -> str:
    return f"/projets/{reserve.project_id}/reserves/{reserve.pk}/lever/"


def test_lifting_the_last_blocking_reserve_moves_the_project(
    client_for, reserved, users, htmx_headers
):
    other = Reserve.objects.create(
        project=reserved.project, text="Lettre de la Région", origin="COTECH n° 1"
    )
    response = client_for("lead").post(
        lift_url(reserved), {f"reserve-{reserved.pk}-proof": "Délibération du 2 décembre"}
    )
    assert response.status_code == 302
    reserved.refresh_from_db()
    assert reserved.is_lift_proposed and not reserved.is_lifted
    coordinator = client_for("coordinator")
    response = coordinator.post(
        f"/projets/{reserved.project_id}/reserves/{reserved.pk}/decision/",
        {f"reserve-{reserved.pk}-decision": "accept"},
    )
    assert response.status_code == 302
    reserved.refresh_from_db()
    assert reserved.is_lifted and reserved.lifted_by == users["coordinator"]
    assert reserved.proof == "Délibération du 2 décembre"
    reserved.project.refresh_from_db()
    assert reserved.project.stage == Stage.RESERVES  # one blocking reserve is still open
    # The coordination may also lift a reserve directly, with its own proof.
    response = coordinator.post(
        lift_url(other), {f"reserve-{other.pk}-proof": "Courrier reçu"}, **htmx_headers
    )
    assert response.status_code == 200
    reserved.project.refresh_from_db()
    assert reserved.project.stage == Stage.READY_COPIL
    assert reserved.project.history.first().history_user == users["coordinator"]


def test_lift_needs_a_proof(client_for, reserved, htmx_headers):
    response = client_for("lead").post(lift_url(reserved), {}, **htmx_headers)
    assert response.status_code == 200
    assert "Indiquez la justification" in text(response)
    reserved.refresh_from_db()
    assert not reserved.is_lifted


def test_lift_with_a_document_of_another_project_is_refused(client_for, reserved, territory, users):
    from projects.models import Document

    from ..factories import ProjectFactory

    other = ProjectFactory(territory=territory)
    foreign = Document.objects.create(
        project=other,
        title="Pièce",
        file="documents/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        uploaded_by=users["coordinator"],
    )
    response = client_for("lead").post(
        lift_url(reserved), {f"reserve-{reserved.pk}-document": foreign.pk}
    )
    assert response.status_code == 200
    assert "n'appartient pas au projet" in text(response)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("member", 403), ("partner", 403), ("other_lead", 403), ("stranger", 404), (None, 302)],
)
def test_lift_permissions(client_for, reserved, name, expected):
    response = client_for(name).post(lift_url(reserved), {f"reserve-{reserved.pk}-proof": "x"})
    assert response.status_code == expected
    reserved.refresh_from_db()
    assert not reserved.is_lifted


def test_open_blocking_reserves_gate_the_next_stage(project, users):
    from django.core.exceptions import ValidationError

    project.stage = Stage.APPROVED
    project.save()
    Reserve.objects.create(project=project, text="Condition du COPIL", origin="COPIL n° 1")
    with pytest.raises(ValidationError):
        project.move_to(Stage.FINANCING, by=users["coordinator"])
    project.move_to(Stage.ABANDONED, by=users["coordinator"], reason="Entreprise en liquidation")


def test_project_page_lists_reserves_and_committee_passages(client_for, reserved):
    body = text(client_for("member").get(f"/projets/{reserved.project_id}/"))
    assert "Délibération de l'EPCI" in body
    assert "Lever la réserve" not in body and "Proposer la levée" not in body
    assert "Proposer la levée" in text(client_for("lead").get(f"/projets/{reserved.project_id}/"))
    assert "Lever la réserve" in text(
        client_for("coordinator").get(f"/projets/{reserved.project_id}/")
    )
