import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import AUTOMATIC, MOVES, Project, Stage

from ..factories import FundingLineFactory, ProjectFactory
from ..utils import text

pytestmark = pytest.mark.django_db


def test_every_stage_is_reachable_and_every_move_targets_a_stage():
    targets = {to for (_frm, to) in MOVES}
    assert set(Stage.values) - {Stage.IDEA} <= targets
    assert all(frm in Stage.values and to in Stage.values for frm, to in MOVES)


def test_lead_submits_own_project_with_history_reason(project, users):
    project.stage = Stage.DRAFTING
    project.save()
    FundingLineFactory(project=project)
    project.move_to(Stage.SUBMITTED, by=users["lead"], reason="Dossier prêt")
    project.refresh_from_db()
    assert project.stage == Stage.SUBMITTED
    last = project.history.first()
    assert last.history_change_reason == "Dossier prêt"
    assert last.history_user == users["lead"]


def test_move_without_reason_records_a_default_reason(project, users):
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"])
    assert project.history.first().history_change_reason == "Déposé → Recevable"


def test_submission_guard_lists_what_is_missing(territory, users):
    project = ProjectFactory(territory=territory, stage=Stage.DRAFTING, summary="", total_cost=0)
    with pytest.raises(ValidationError) as error:
        project.move_to(Stage.SUBMITTED, by=users["coordinator"])
    messages = " ".join(error.value.messages)
    assert "résumé" in messages
    assert "coût total" in messages
    assert "plan de financement" in messages
    project.refresh_from_db()
    assert project.stage == Stage.DRAFTING


@pytest.mark.parametrize("name", ["member", "partner", "other_lead", "stranger"])
def test_others_cannot_move(project, users, name):
    with pytest.raises(PermissionDenied):
        project.move_to(Stage.WITHDRAWN, by=users[name], reason="Je retire")
    assert Project.objects.get(pk=project.pk).stage == Stage.SUBMITTED


def test_lead_cannot_make_coordinator_moves(project, users):
    with pytest.raises(PermissionDenied):
        project.move_to(Stage.ELIGIBLE, by=users["lead"])


def test_committee_moves_need_the_committee_code(project, users):
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"])
    assert MOVES[(Stage.ELIGIBLE, Stage.COTECH)].actor == AUTOMATIC
    with pytest.raises(PermissionDenied):
        project.move_to(Stage.COTECH, by=users["coordinator"])
    # A person's move never goes through the committees' door.
    with pytest.raises(PermissionDenied):
        project.follow_committee(
            Stage.DRAFTING, by=users["coordinator"], cause="agendaitem:1", reason="À compléter"
        )
    project.follow_committee(
        Stage.COTECH, by=users["coordinator"], cause="agendaitem:1", reason="Inscrit au COTECH"
    )
    assert project.stage == Stage.COTECH
    assert project.history.first().history_cause == "agendaitem:1"


def test_motive_is_mandatory_for_side_stages_and_back_moves(project, users):
    with pytest.raises(ValidationError):
        project.move_to(Stage.WITHDRAWN, by=users["lead"])
    with pytest.raises(ValidationError):
        project.move_to(Stage.DRAFTING, by=users["coordinator"], reason="   ")
    project.move_to(
        Stage.DRAFTING, by=users["coordinator"], reason="Il manque le plan de financement"
    )
    assert project.history.first().history_change_reason == "Il manque le plan de financement"


def test_unknown_or_forged_stage_is_refused(project, users):
    with pytest.raises(ValidationError):
        project.move_to("approved", by=users["coordinator"])
    with pytest.raises(ValidationError):
        project.move_to("hacked", by=users["coordinator"])


def test_move_is_checked_against_the_locked_row_not_a_stale_copy(project, users):
    stale = Project.objects.get(pk=project.pk)
    project.move_to(Stage.ELIGIBLE, by=users["coordinator"])
    # The stale copy still says "submitted": the move is checked against the database row.
    with pytest.raises(ValidationError):
        stale.move_to(Stage.ELIGIBLE, by=users["coordinator"])
    assert project.history.filter(stage=Stage.ELIGIBLE).count() == 1


def test_database_refuses_an_unknown_stage(project):
    from django.db import IntegrityError, transaction

    project.stage = "hacked"
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_archived_project_cannot_move(project, users):
    project.archive(by=users["coordinator"])
    assert project.allowed_moves(users["coordinator"]) == []
    with pytest.raises(PermissionDenied):
        project.move_to(Stage.ELIGIBLE, by=users["coordinator"])


def test_move_view_records_the_move_and_refuses_forged_values(
    client_for, project, users, htmx_headers
):
    client = client_for("coordinator")
    url = f"/projets/{project.pk}/etape/"
    # A forged stage value: 200 fragment with a French message, nothing moved.
    response = client.post(url, {"stage": "approved"}, **htmx_headers)
    assert response.status_code == 200
    assert "pas possible depuis l'étape actuelle" in text(response)
    # A back move without a motive: the message sits next to the field.
    response = client.post(url, {"stage": "drafting", "reason": ""}, **htmx_headers)
    assert response.status_code == 200
    assert "Le motif est obligatoire" in text(response)
    project.refresh_from_db()
    assert project.stage == Stage.SUBMITTED
    response = client.post(url, {"stage": "eligible"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == Stage.ELIGIBLE


def test_move_view_permissions(client_for, project):
    url = f"/projets/{project.pk}/etape/"
    assert client_for(None).post(url, {"stage": "eligible"}).status_code == 302
    assert client_for("member").post(url, {"stage": "eligible"}).status_code == 403
    assert client_for("stranger").post(url, {"stage": "eligible"}).status_code == 404
    # The lead may withdraw but may not declare the project eligible.
    response = client_for("lead").post(url, {"stage": "eligible"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.stage == Stage.SUBMITTED
    response = client_for("lead").post(url, {"stage": "withdrawn", "reason": "Projet reporté"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == Stage.WITHDRAWN


def test_htmx_move_success_redirects_the_page(client_for, project):
    response = client_for("coordinator").post(
        f"/projets/{project.pk}/etape/", {"stage": "eligible"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/projets/{project.pk}/"


def test_archive_view(client_for, project):
    url = f"/projets/{project.pk}/archiver/"
    assert client_for("lead").post(url).status_code == 403
    assert client_for("stranger").post(url).status_code == 404
    assert client_for("coordinator").post(url).status_code == 302
    project.refresh_from_db()
    assert project.is_archived
    assert project.history.first().history_change_reason == "Projet archivé"
    listing = text(client_for("coordinator").get("/projets/"))
    assert project.title not in listing
    listing = text(client_for("coordinator").get("/projets/?archives=on"))
    assert project.title in listing


def test_references_keep_counting_past_999(territory):
    from django.utils import timezone

    year = timezone.now().year
    ProjectFactory(territory=territory).save()
    last = ProjectFactory(territory=territory)
    last.reference = f"CL-{year}-999"
    last.save()
    assert ProjectFactory(territory=territory).reference == f"CL-{year}-1000"
    assert ProjectFactory(territory=territory).reference == f"CL-{year}-1001"
