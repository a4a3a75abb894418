import pytest
from playwright.sync_api import Page, expect

from projects.access import Role
from projects.models import Membership, Project

# serialized_rollback: what the migrations seed (the AMI Rebond industriel the demo files to)
# comes back after each flush, whatever test ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PROJECT = "Parcours de formation d'opérateurs composites"


def open_stage_move(page: Page, live_server, login) -> Project:
    project = Project.objects.get(title=PROJECT)
    login("coordination")
    page.goto(f"{live_server.url}/projets/{project.pk}/")
    page.get_by_label("Nouvelle étape").select_option(label="Renvoyer en rédaction → En rédaction")
    page.get_by_label("Motif").fill("Il manque la lettre d'engagement de la Région.")
    return project


def test_a_refused_htmx_action_says_why_in_the_messages_area(page: Page, live_server, demo, login):
    project = open_stage_move(page, live_server, login)
    stage = project.stage
    # The right is withdrawn between the page load and the click: the server answers 403.
    membership = Membership.objects.get(user__username="coordination", territory=project.territory)
    membership.role = Role.MEMBER
    membership.save()
    with page.expect_response(lambda r: r.url.endswith("/etape/")) as answer:
        page.get_by_role("button", name="Changer d'étape").click()
    assert answer.value.status == 403
    alert = page.locator("[data-htmx-errors] [role='alert']")
    expect(alert).to_have_text("Vous ne pouvez pas changer l'étape de ce projet.")
    expect(page.locator("#stage-panel")).to_be_visible()  # the page is left as it was
    project.refresh_from_db()
    assert project.stage == stage


def test_a_failed_connection_is_said_in_the_messages_area(page: Page, live_server, demo, login):
    open_stage_move(page, live_server, login)
    page.route("**/etape/", lambda route: route.abort())
    page.get_by_role("button", name="Changer d'étape").click()
    expect(page.locator("[data-htmx-errors] [role='alert']")).to_have_text(
        "La connexion au serveur a échoué : réessayez."
    )


def test_a_form_with_errors_is_still_swapped_and_clears_the_last_error(
    page: Page, live_server, demo, login
):
    open_stage_move(page, live_server, login)
    page.route("**/etape/", lambda route: route.abort())
    page.get_by_role("button", name="Changer d'étape").click()
    alert = page.locator("[data-htmx-errors] [role='alert']")
    expect(alert).to_have_count(1)
    page.unroute("**/etape/")
    page.get_by_label("Motif").fill("")
    page.get_by_role("button", name="Changer d'étape").click()
    expect(page.locator("#stage-panel")).to_contain_text("Le motif est obligatoire")
    expect(alert).to_have_count(0)
