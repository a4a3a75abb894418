import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from committees.models import Committee, Meeting
from projects.models import Project, Stage

from .test_projects_browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_runs_a_cotech_from_agenda_to_validated_minutes(
    page: Page, live_server, demo, login
):
    project = Project.objects.get(title="Extension du parc d'activités de Langres Sud")
    assert project.stage == Stage.ELIGIBLE
    cotech = Committee.objects.get(territory__code="ti-0052", kind=Committee.Kind.COTECH)
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations (data-confirm)
    login("coordination")

    # Create a meeting from the committee page.
    page.goto(f"{live_server.url}/comites/{cotech.pk}/")
    page.get_by_label("Date et heure").fill("2027-03-11T09:30")
    page.get_by_label("Lieu").fill("Sous-préfecture de Langres")
    page.get_by_role("button", name="Créer la séance").click()
    # No number before the convocation: numbers follow dates and are fixed then.
    expect(page.get_by_role("heading", level=1)).to_contain_text("COTECH du 11 mars 2027")
    meeting = Meeting.objects.filter(committee=cotech).order_by("-pk").first()
    assert serious_violations(page) == []

    # Build the agenda with htmx: the project moves to "Examen COTECH" at once.
    agenda = page.locator("#agenda")
    page.get_by_label("Projet à examiner").select_option(
        label=f"{project.reference} — {project.title}"
    )
    page.locator("#agenda").get_by_label("Rapporteur").first.fill("Claire Martin")
    page.get_by_role("button", name="Inscrire le projet", exact=True).click()
    # Wait for the agenda table itself (the project list of the form also names the project).
    expect(agenda.locator("tbody")).to_contain_text(project.title)
    project.refresh_from_db()
    assert project.stage == Stage.COTECH
    page.get_by_label("Intitulé").fill("Point d'étape sur l'AMI Rebond industriel")
    page.get_by_role("button", name="Ajouter le point").click()
    expect(agenda.locator("tbody")).to_contain_text("Point d'étape sur l'AMI")
    # Keyboard-accessible reordering.
    page.get_by_role("button", name=re.compile("Monter « Point d'étape")).click()
    expect(agenda.locator("tbody tr").first).to_contain_text("Point d'étape sur l'AMI")

    page.get_by_role("button", name="Convoquer les membres").click()
    expect(page.get_by_text("La convocation a été envoyée")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("COTECH n°")
    # Opening before the meeting's day needs a motive, kept in history and in the minutes.
    page.get_by_role("button", name=re.compile("Ouvrir la séance")).click()
    expect(
        page.get_by_text("elle ne peut pas être ouverte avant ce jour sans motif")
    ).to_be_visible()
    page.get_by_label("Motif de l'ouverture anticipée").fill(
        "Séance avancée à la demande de la sous-préfecture"
    )
    page.get_by_role("button", name=re.compile("Ouvrir la séance")).click()
    expect(page.get_by_text("La séance est ouverte")).to_be_visible()
    assert serious_violations(page) == []

    # Rows start "non renseigné": each presence is said, none is assumed.
    for select in page.locator("#presences select").all():
        select.select_option(label="Présent·e")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.locator("#presences")).to_contain_text("Présences enregistrées")

    item = meeting.items.get(project=project)
    block = page.locator(f"#point-{item.pk}")
    block.get_by_label("Décision").select_option(label="Avis favorable sous réserves")
    block.get_by_role("button", name="Enregistrer la décision").click()
    expect(block).to_contain_text("Le motif est obligatoire")
    block = page.locator(f"#point-{item.pk}")
    block.get_by_label("Motif").fill("Sous réserve de l'acquisition foncière")
    block.get_by_label("Réserve ou condition").first.fill(
        "Acte d'acquisition des parcelles ZA 12 et 13"
    )
    block.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Décision enregistrée")).to_be_visible()
    project.refresh_from_db()
    assert project.stage == Stage.RESERVES

    info = meeting.items.get(project__isnull=True)
    page.locator(f"#point-{info.pk}").get_by_label("Décision").select_option(label="Pris acte")
    page.locator(f"#point-{info.pk}").get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Décision enregistrée")).to_be_visible()

    # The minutes wait for the end of the meeting (11 March 2027).
    page.get_by_role("button", name="Valider le compte rendu").click()
    expect(page.get_by_text("ne peut pas être validé avant la fin de la séance")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD

    # The demo's COPIL, held last month, is decided and its minutes validated.
    copil = Meeting.objects.get(committee__kind="copil", status=Meeting.Status.HELD)
    page.goto(f"{live_server.url}/seances/{copil.pk}/")
    for select in page.locator("#presences select").all():
        select.select_option(label="Présent·e")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.locator("#presences")).to_contain_text("Présences enregistrées")
    for examined in copil.items.all():
        block = page.locator(f"#point-{examined.pk}")
        choice = "Validé" if examined.project_id else "Pris acte"
        block.get_by_label("Décision").select_option(label=choice)
        block.get_by_role("button", name="Enregistrer la décision").click()
        expect(page.get_by_text("Décision enregistrée")).to_be_visible()
    page.get_by_role("button", name="Valider le compte rendu").click()
    expect(page.get_by_text("Le compte rendu est validé")).to_be_visible()
    copil.refresh_from_db()
    assert copil.status == Meeting.Status.VALIDATED
    expect(page.get_by_role("button", name="Enregistrer la décision")).to_have_count(0)
    assert serious_violations(page) == []

    response = page.request.get(f"{live_server.url}/seances/{copil.pk}/compte-rendu.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.body()
        == page.request.get(f"{live_server.url}/seances/{copil.pk}/compte-rendu.pdf").body()
    )

    # The lead proposes the lift from the project page; the project waits for the coordination.
    project.lead_users.add(get_user_model().objects.get(username="porteur2"))
    page.context.clear_cookies()
    login("porteur2")
    page.goto(f"{live_server.url}/projets/{project.pk}/")
    page.get_by_label("Justification").fill("Acte signé le 2 avril 2027")
    page.get_by_role("button", name="Proposer la levée").click()
    expect(page.get_by_text("La levée est proposée à la coordination")).to_be_visible()
    expect(page.locator("#reserves")).to_contain_text("En attente de la coordination")
    project.refresh_from_db()
    assert project.stage == Stage.RESERVES

    # The coordination accepts it: the project moves on by itself.
    page.context.clear_cookies()
    login("coordination")
    page.goto(f"{live_server.url}/projets/{project.pk}/")
    page.get_by_role("button", name="Accepter la levée").click()
    expect(page.get_by_text("La réserve est levée")).to_be_visible()
    expect(page.locator("#h-stage")).to_contain_text("Avis favorable COTECH")
    project.refresh_from_db()
    assert project.stage == Stage.READY_COPIL


def test_member_reads_meeting_pages_without_accessibility_violations(
    page: Page, live_server, demo, login
):
    login("membre")
    page.goto(f"{live_server.url}/comites/")
    assert serious_violations(page) == []
    for meeting in Meeting.objects.filter(committee__territory__code="ti-0052")[:3]:
        page.goto(f"{live_server.url}/seances/{meeting.pk}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(meeting.committee.short_name)
        assert serious_violations(page) == [], meeting
