import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from committees.models import Committee, Meeting
from projects.models import Project, Stage
from tdi.formats import french_date

from ..utils import pdf_text
from .test_projects_browser import serious_violations

# serialized_rollback: what the migrations seed (the AMI Rebond industriel the demo files to)
# comes back after each flush, whatever test ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_coordinator_runs_a_cotech_from_agenda_to_validated_minutes(
    page: Page, live_server, demo, login
):
    """One full COTECH: agenda, convocation, a reply with a proxy, opening, attendance from the
    replies, a decision with a reserve, an information item noted, validated minutes whose PDF
    says the quorum, « pris acte » and the signature block; then the reserve lifted in two
    steps."""
    project = Project.objects.get(title="Extension du parc d'activités de Langres Sud")
    assert project.stage == Stage.ELIGIBLE
    cotech = Committee.objects.get(territory__code="ti-0052", kind=Committee.Kind.COTECH)
    # Numbers follow dates: the new meeting comes a week after the last convened one.
    last = cotech.meetings.filter(number__isnull=False).order_by("-starts_at").first()
    day = timezone.localdate(last.starts_at) + timedelta(days=7)
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations (data-confirm)
    login("coordination")

    # Create a meeting from the committee page.
    page.goto(f"{live_server.url}/comites/{cotech.pk}/")
    page.get_by_label("Date et heure").fill(f"{day:%Y-%m-%d}T09:30")
    page.get_by_label("Lieu").fill("Sous-préfecture de Langres")
    page.get_by_role("button", name="Créer la séance").click()
    # No number before the convocation: numbers follow dates and are fixed then.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"COTECH du {french_date(day)}")
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

    mail.outbox.clear()
    page.get_by_role("button", name="Convoquer les membres").click()
    expect(page.get_by_text("La séance est convoquée")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("COTECH n°")

    # A titulaire without an account answers from the link of their convocation: proxy.
    [message] = [m for m in mail.outbox if m.to == ["laurent.mercier@demo.tdi.fr"]]
    [link] = re.findall(r"http://[^/\s]+(/seances/reponse/\S+/)", message.body)
    visitor = page.context.browser.new_page()
    visitor.goto(f"{live_server.url}{link}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Réponse à la convocation")
    visitor.get_by_label("Je donne pouvoir à un·e autre membre").check()
    visitor.get_by_label("Pouvoir donné à").select_option(label="Patrick Girard (membre titulaire)")
    visitor.get_by_role("button", name="Envoyer ma réponse").click()
    expect(visitor.get_by_role("status")).to_contain_text("Pouvoir donné")
    visitor.close()
    page.reload()
    expect(page.locator("#reponses")).to_contain_text("Pouvoir donné à Patrick Girard")

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

    # The reply pre-fills its row; the others start "non renseigné": each presence is said.
    mercier = cotech.members.get(name="Laurent Mercier")
    expect(page.locator(f"#presence-{mercier.pk}-status")).to_have_value("represented")
    expect(page.locator(f"#presence-{mercier.pk}-represented_by")).to_have_value("Patrick Girard")
    for select in page.locator("#presences select").all():
        if select.input_value() == "":
            select.select_option(label="Présent·e")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.locator("#presences")).to_contain_text("Présences enregistrées")

    item = meeting.items.get(project=project)
    block = page.locator(f"#point-{item.pk}")
    block.get_by_label("Décision").select_option(label="Avis favorable sous réserves")
    block.get_by_role("button", name="Enregistrer la décision").click()
    expect(block).to_contain_text("Le motif est obligatoire")
    block = page.locator(f"#point-{item.pk}")
    # What the server sent back is not saved yet, and says so.
    expect(block.locator("[data-unsaved-state]")).to_have_text("Modifications non enregistrées.")
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
    # This item's own confirmation (the first item's may still be on the page): its answer
    # has come, and no swap can land on the minutes' text while it is typed below.
    expect(page.get_by_text(f"Décision enregistrée pour « {info.title} »")).to_be_visible()

    # The minutes' text says when it is not saved yet; saved, nothing is left unsaved.
    minutes_text = page.locator("#compte-rendu")
    minutes_text.get_by_label("Introduction du compte rendu").fill(
        "La séance est ouverte à 9 h 30."
    )
    expect(minutes_text.locator("[data-unsaved-state]")).to_have_text(
        "Modifications non enregistrées."
    )
    minutes_text.get_by_role("button", name="Enregistrer le texte").click()
    expect(page.locator("#compte-rendu")).to_contain_text("Texte enregistré")
    assert page.locator("form[data-dirty]").count() == 0

    # The minutes wait for the end of the meeting.
    page.get_by_role("button", name="Valider le compte rendu").click()
    expect(page.get_by_text("ne peut pas être validé avant la fin de la séance")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD

    # The day after the meeting (the clock moves; the session is opened again under it).
    meeting_done = meeting.ends_at + timedelta(days=1)
    shift = meeting_done - timezone.now()
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + shift):
        page.context.clear_cookies()
        login("coordination")
        page.goto(f"{live_server.url}/seances/{meeting.pk}/")
        page.get_by_role("button", name="Valider le compte rendu").click()
        expect(page.get_by_text("Le compte rendu est validé")).to_be_visible()
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.VALIDATED
        expect(page.get_by_role("button", name="Enregistrer la décision")).to_have_count(0)
        assert serious_violations(page) == []

        response = page.request.get(f"{live_server.url}/seances/{meeting.pk}/compte-rendu.pdf")
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        minutes = pdf_text(response.body())
        assert "sièges votants présents ou représentés sur" in minutes
        assert "Représenté·e par Patrick Girard" in minutes
        assert "Pris acte" in minutes
        assert "Séance avancée à la demande de la sous-préfecture" in minutes
        assert "Fait à Sous-préfecture de Langres, le" in minutes
        assert "Président·e Claire Martin" in minutes

        # The lead proposes the lift from the project page; the project waits for
        # the coordination.
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
