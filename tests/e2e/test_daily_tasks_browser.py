"""Each role does its daily task from the dashboard's « À faire » (issue 10): the line links to
where the work is done, the work is done there, and the line is gone afterwards.

- a lead measures an indicator of a project under way, on rows that name what they are;
- a lead proposes the lift of a reserve, and the coordination accepts it from its own to-do;
- a member answers a convocation.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from committees.models import Committee, Meeting
from projects.lifecycle import save_change
from projects.models import Indicator, Project, Reserve

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def user(name: str):
    return get_user_model().objects.get(username=name)


def todo(page: Page, live_server):
    page.goto(f"{live_server.url}/")
    return page.locator("#a-faire")


def test_a_lead_measures_an_indicator_from_the_to_do(page: Page, live_server, demo, login):
    # Under way, led by « porteur ».
    project = Project.objects.get(title="Récupération de chaleur fatale des fours de forge")
    indicator = Indicator(
        project=project, kind=Indicator.Kind.PEOPLE_TRAINED, target=Decimal(40), unit="personnes"
    )
    save_change(indicator, by=user("coordination"), reason="Indicateur ajouté")
    login("porteur")
    line = todo(page, live_server).get_by_role("listitem").filter(has_text="Personnes formées")
    expect(line).to_contain_text(f"{project.reference} — Personnes formées : jamais mesuré")
    line.get_by_role("link", name="Mesurer l'indicateur").click()

    # The form's indicator rows say which indicator, target and unit each one is.
    row = page.locator("#rows-indicateurs tr").filter(has_text="Personnes formées")
    expect(row).to_contain_text("40")
    expect(row).to_contain_text("personnes")
    row.locator("input[name$='-achieved']").fill("12")
    row.locator("input[name$='-measured_on']").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Les modifications ont été enregistrées.")).to_be_visible()
    indicator.refresh_from_db()
    assert indicator.achieved == Decimal(12)
    expect(todo(page, live_server)).not_to_contain_text("Personnes formées")


def test_a_lift_goes_from_the_lead_to_the_coordination(page: Page, live_server, demo, login):
    reserve = Reserve.objects.get(
        project__title="Académie des métiers de la forge", lifted_at__isnull=True
    )
    login("porteur")
    todo(page, live_server).get_by_role("link", name="Proposer la levée de la réserve").click()
    page.get_by_label("Justification").fill("Convention signée le 2 décembre 2026")
    page.get_by_role("button", name="Proposer la levée").click()
    expect(page.get_by_text("La levée est proposée à la coordination")).to_be_visible()

    page.context.clear_cookies()
    login("coordination")
    link = todo(page, live_server).get_by_role("link", name="Accepter ou refuser la levée proposée")
    expect(link.locator("..")).to_contain_text("proposée par")
    link.click()
    page.get_by_role("button", name="Accepter la levée").click()
    expect(page.get_by_text("La réserve est levée")).to_be_visible()
    reserve.refresh_from_db()
    assert reserve.lifted_at is not None
    expect(todo(page, live_server)).not_to_contain_text("levée proposée")


def test_a_member_answers_a_convocation_from_the_to_do(page: Page, live_server, demo, login):
    cotech = Committee.objects.get(territory__code="ti-0052", kind=Committee.Kind.COTECH)
    last = cotech.meetings.filter(number__isnull=False).order_by("-starts_at").first()
    coordination = user("coordination")
    meeting = Meeting.objects.create(
        committee=cotech,
        starts_at=last.starts_at + timedelta(days=14),
        place="Hôtel de l'agglomération, Chaumont",
    )
    meeting.add_item(kind="information", title="Point sur l'AMI", by=coordination)
    meeting.convene(by=coordination)

    login("membre")
    todo(page, live_server).get_by_role("link", name="Répondre à la convocation").click()
    answer = page.locator("#reponse")
    expect(answer).to_contain_text("Vous n'avez pas encore répondu.")
    answer.get_by_label("Je serai présent·e").check()
    answer.get_by_role("button", name="Répondre").click()
    expect(page.locator("#reponse")).to_contain_text("Présent·e")
    invitation = meeting.invitations.get(member__user__username="membre")
    assert invitation.reply == "present"
    expect(todo(page, live_server)).not_to_contain_text("Répondre à la convocation")
