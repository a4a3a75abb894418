"""No lost update (issue 12): a form posted after someone else's change of the same record
shows that change and saves nothing; saving again, knowingly, goes through."""

import re

import pytest

from committees.models import Attendance, CommitteeMember
from projects.lifecycle import save_change

from .factories import make_meeting
from .utils import text

pytestmark = pytest.mark.django_db

CONFLICT = "Ces informations ont été modifiées depuis que vous avez ouvert le formulaire"


def version_in(page, occurrence: int = 0) -> str:
    return re.findall(r'name="version" value="([^"]*)"', page.content.decode())[occurrence]


@pytest.fixture
def cotech(territory, users):
    from committees.models import Committee

    committee = Committee.objects.create(territory=territory, kind="cotech", name="COTECH")
    CommitteeMember.objects.create(committee=committee, user=users["coordinator"], role="chair")
    CommitteeMember.objects.create(
        committee=committee, name="Agnès Externe", email="agnes@example.fr", role="member"
    )
    return committee


def member_data(member, **changes):
    data = {
        "user": "",
        "name": member.name,
        "email": member.email,
        "organisation": "",
        "role": member.role,
        "is_active": "on",
    }
    return {**data, **changes}


def test_a_member_edited_meanwhile_is_not_overwritten(client_for, users, cotech):
    member = cotech.members.get(name="Agnès Externe")
    url = f"/comites/{cotech.pk}/membres/{member.pk}/"
    first = client_for("coordinator")
    opened = version_in(first.get(url))

    # Meanwhile, someone else changes the address.
    member.email = "agnes.externe@region.example.fr"
    save_change(member, by=users["partner"], reason="Modification d'un membre")

    stale = first.post(url, {**member_data(member, name="Agnès Renommée"), "version": opened})
    assert stale.status_code == 409
    page = text(stale)
    assert CONFLICT in page
    assert (
        "le membre : Modification d'un membre (adresse électronique (personne externe)), par"
        in page
    )
    assert 'value="Agnès Renommée"' in page  # the input is kept
    member.refresh_from_db()
    assert member.name == "Agnès Externe"

    # Saving again, with the version the conflict page carries, is a decision.
    again = first.post(
        url, {**member_data(member, name="Agnès Renommée"), "version": version_in(stale)}
    )
    assert again.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.email) == ("Agnès Renommée", "agnes.externe@region.example.fr")


def test_an_unchanged_member_saves_at_once(client_for, cotech):
    member = cotech.members.get(name="Agnès Externe")
    url = f"/comites/{cotech.pk}/membres/{member.pk}/"
    client = client_for("coordinator")
    opened = version_in(client.get(url))
    response = client.post(url, {**member_data(member, name="Agnès E."), "version": opened})
    assert response.status_code == 302


@pytest.fixture
def held(users, cotech):
    meeting = make_meeting(cotech)
    meeting.add_item(kind="information", title="Point sur l'AMI", by=users["coordinator"])
    meeting.convene(by=users["coordinator"])
    meeting.hold(by=users["coordinator"], at=meeting.starts_at)
    return meeting


def test_minutes_text_written_twice_at_once_keeps_the_first(client_for, users, held, htmx_headers):
    url = f"/seances/{held.pk}/compte-rendu/"
    first, second = client_for("coordinator"), client_for("coordinator")
    page = first.get(f"/seances/{held.pk}/")
    opened = version_in(page)
    assert opened == version_in(second.get(f"/seances/{held.pk}/"))

    saved = second.post(
        url,
        {"minutes_intro": "Introduction de Claire", "minutes_conclusion": "", "version": opened},
    )
    assert saved.status_code == 302
    stale = first.post(
        url,
        {"minutes_intro": "Introduction de Paul", "minutes_conclusion": "", "version": opened},
        **htmx_headers,
    )
    assert stale.status_code == 200  # the fragment, with the conflict in it
    assert CONFLICT in text(stale) and "Introduction de Paul" in text(stale)
    held.refresh_from_db()
    assert held.minutes_intro == "Introduction de Claire"


def test_other_changes_of_the_meeting_do_not_block_the_minutes_text(client_for, users, held):
    client = client_for("coordinator")
    opened = version_in(client.get(f"/seances/{held.pk}/"))
    # Attendance and the place change meanwhile: not the text being written.
    Attendance.objects.create(meeting=held, member=held.committee.members.first(), status="present")
    held.place = "Salle du conseil"
    save_change(held, by=users["coordinator"], reason="Lieu modifié", update_fields=["place"])
    response = client.post(
        f"/seances/{held.pk}/compte-rendu/",
        {"minutes_intro": "Ouverture à 9h30", "minutes_conclusion": "", "version": opened},
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.minutes_intro == "Ouverture à 9h30"


def test_committee_rules_changed_meanwhile(client_for, users, cotech):
    client = client_for("coordinator")
    url = f"/comites/{cotech.pk}/"
    opened = version_in(client.get(url))
    cotech.quorum = 5
    save_change(cotech, by=users["coordinator"], reason="Règles de délibération modifiées")
    response = client.post(url, {"action": "rules", "regles-quorum": "2", "version": opened})
    assert response.status_code == 409
    assert "les règles : Règles de délibération modifiées (quorum), par" in text(response)
    cotech.refresh_from_db()
    assert cotech.quorum == 5


# --- the project form and its rows -----------------------------------------------------------


@pytest.fixture
def drafted(project):
    from projects.models import Stage

    from .factories import FundingLineFactory

    project.stage = Stage.DRAFTING
    project.save()
    FundingLineFactory(project=project)
    return project


def test_two_people_edit_the_same_project(client_for, users, drafted):
    from .projects.test_edit import edit_data

    url = f"/projets/{drafted.pk}/modifier/"
    lead, coordinator = client_for("coordinator"), client_for("coordinator")  # two tabs
    opened_by_lead = version_in(lead.get(url))
    opened_by_coordinator = version_in(coordinator.get(url))

    saved = coordinator.post(
        url,
        {
            **edit_data(drafted, title="Titre corrigé par la coordination"),
            "version": opened_by_coordinator,
        },
    )
    assert saved.status_code == 302
    stale = lead.post(
        url, {**edit_data(drafted, summary="Résumé du porteur"), "version": opened_by_lead}
    )
    assert stale.status_code == 409
    page = text(stale)
    assert CONFLICT in page
    assert "le projet : Modification du projet (intitulé), par" in page
    assert "Résumé du porteur" in page
    drafted.refresh_from_db()
    assert drafted.title == "Titre corrigé par la coordination"
    assert drafted.summary != "Résumé du porteur"
    # The form shown again keeps what the lead typed and, where they typed nothing, shows the
    # coordination's title: saving again changes the summary and keeps the new title.
    assert 'value="Titre corrigé par la coordination"' in page
    again = lead.post(
        url,
        {
            **edit_data(drafted, summary="Résumé du porteur"),
            "version": version_in(stale),
        },
    )
    assert again.status_code == 302
    drafted.refresh_from_db()
    assert (drafted.title, drafted.summary) == (
        "Titre corrigé par la coordination",
        "Résumé du porteur",
    )


def test_a_funding_line_changed_meanwhile_is_shown(client_for, users, drafted):
    from .projects.test_edit import edit_data

    url = f"/projets/{drafted.pk}/modifier/"
    lead = client_for("lead")
    opened = version_in(lead.get(url))
    line = drafted.funding_lines.get()
    line.amount += 1000
    save_change(line, by=users["coordinator"], reason="Montant corrigé")
    stale = lead.post(url, {**edit_data(drafted), "version": opened})
    assert stale.status_code == 409
    assert "le plan de financement : Montant corrigé (montant), par" in text(stale)


def test_a_change_outside_the_form_does_not_block_it(client_for, users, drafted):
    """Only what the form edits counts: here the project is archived and restored meanwhile
    (history rows of the project that touch no field of the form)."""
    from .projects.test_edit import edit_data

    url = f"/projets/{drafted.pk}/modifier/"
    lead = client_for("lead")
    opened = version_in(lead.get(url))
    for archived in (True, False):
        drafted.is_archived = archived
        save_change(
            drafted, by=users["coordinator"], reason="Archivage", update_fields=["is_archived"]
        )
    assert version_in(lead.get(url)) != opened  # the project has moved on…
    response = lead.post(url, {**edit_data(drafted, summary="Nouveau résumé"), "version": opened})
    assert response.status_code == 302  # …but not what the form edits
    drafted.refresh_from_db()
    assert drafted.summary == "Nouveau résumé"


def test_an_agenda_item_changed_meanwhile_keeps_both_inputs(client_for, users, cotech):
    meeting = make_meeting(cotech)
    item = meeting.add_item(kind="information", title="Point sur l'AMI", by=users["coordinator"])
    first, second = client_for("coordinator"), client_for("coordinator")
    opened = version_in(first.get(f"/seances/{meeting.pk}/"))
    assert opened == version_in(second.get(f"/seances/{meeting.pk}/"))
    url = f"/seances/{meeting.pk}/ordre-du-jour/"

    def update(client, rapporteur, duration, version):
        return client.post(
            url,
            {
                "action": "update",
                "item": item.pk,
                f"edit-{item.pk}-rapporteur": rapporteur,
                f"edit-{item.pk}-duration": duration,
                "version": version,
            },
            HTTP_HX_REQUEST="true",
        )

    assert update(second, "Claire Martin (Région)", "20", opened).status_code == 200
    stale = update(first, "Paul Durand (DDETS)", "45", opened)
    page = text(stale)
    assert "Le point « Point sur l'AMI » a été modifié depuis que vous avez ouvert" in page
    assert "« Paul Durand (DDETS) »" in page and "« 45 »" in page  # what was typed, kept
    item.refresh_from_db()
    assert (item.rapporteur, item.duration) == ("Claire Martin (Région)", 20)
    # Moving the item meanwhile changes neither field: the form saves.
    current = version_in(first.get(f"/seances/{meeting.pk}/"))
    meeting.add_item(kind="information", title="Questions diverses", by=users["coordinator"])
    meeting.move_item(item, 1, by=users["coordinator"])
    assert update(first, "Paul Durand (DDETS)", "45", current).status_code == 200
    item.refresh_from_db()
    assert (item.rapporteur, item.duration) == ("Paul Durand (DDETS)", 45)


def test_a_document_replaced_meanwhile_is_not_replaced_again_blindly(client_for, users, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import Document

    document = Document(
        project=project,
        title="Étude de faisabilité",
        file=SimpleUploadedFile("etude.txt", b"Version 1\n", "text/plain"),
        original_name="etude.txt",
        content_type="text/plain",
        size=10,
        uploaded_by=users["lead"],
    )
    save_change(document, by=users["lead"], reason="Dépôt du document")
    url = f"/projets/{project.pk}/documents/{document.pk}/remplacer/"
    first, second = client_for("coordinator"), client_for("coordinator")  # two tabs
    opened = version_in(first.get(url))
    replaced = second.post(
        url,
        {
            "file": SimpleUploadedFile("etude-v2.txt", b"Version 2\n", "text/plain"),
            "version": version_in(second.get(url)),
        },
    )
    assert replaced.status_code == 302
    stale = first.post(
        url,
        {
            "file": SimpleUploadedFile("etude-v2b.txt", b"Version 2b\n", "text/plain"),
            "version": opened,
        },
    )
    assert stale.status_code == 409
    page = text(stale)
    assert CONFLICT in page and "le fichier choisi n'a pas été déposé" in page
    assert ">etude-v2.txt</a>" in page  # the version now current
    document.refresh_from_db()
    assert document.original_name == "etude-v2.txt"
    again = first.post(
        url,
        {
            "file": SimpleUploadedFile("etude-v2b.txt", b"Version 2b\n", "text/plain"),
            "version": version_in(stale),
        },
    )
    assert again.status_code == 302
    document.refresh_from_db()
    assert document.original_name == "etude-v2b.txt"
