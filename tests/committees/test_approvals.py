"""The chairs' approval of the draft minutes (DESIGN §5): where the committee requires it, the
président·e and co-président·e approve the draft as it stands, in the application, before it is
validated; their approvals are dated in the history and in the PDF."""

import pytest
from django.core.exceptions import ValidationError

from committees.models import Attendance, Decision

from ..utils import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(users, copil, territory):
    """A held COPIL (chair: coordinator, co-chair: member) requiring the chairs' approval, with
    its information item noted and attendance taken."""
    from ..factories import make_meeting

    copil.requires_chair_approval = True
    copil.save()
    meeting = make_meeting(copil)
    coordinator = users["coordinator"]
    item = meeting.add_item(kind="information", title="Point sur l'AMI", by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    for member in copil.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    item.record_decision(Decision.NOTED, by=coordinator, at=meeting.starts_at)
    return meeting


def test_validation_waits_for_both_chairs(users, held):
    with pytest.raises(ValidationError) as error:
        held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    chair, co_chair = held.chairs()
    assert error.value.messages == [
        f"Approbation du projet de compte rendu attendue de {chair} (président·e).",
        f"Approbation du projet de compte rendu attendue de {co_chair} (co-président·e).",
    ]
    held.approve_draft(by=users["coordinator"], at=held.ends_at)
    held.approve_draft(by=users["member"], at=held.ends_at)
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    held.refresh_from_db()
    assert held.is_locked
    text = pdf_text(held.minutes_pdf.read())
    assert text.count("Projet approuvé dans tdi le") == 2


def test_a_change_after_approval_calls_for_a_new_one(users, held):
    held.approve_draft(by=users["coordinator"], at=held.ends_at)
    held.approve_draft(by=users["member"], at=held.ends_at)
    held.minutes_conclusion = "La séance est levée à 12 h."
    held.save()
    chair, _ = held.chairs()
    problems = held.validation_problems()
    assert problems == [
        f"Le projet a changé depuis l'approbation de {chair} (président·e) le "
        f"{problems[0].split(' le ')[1].split(' :')[0]} : une nouvelle approbation est attendue.",
        problems[1],
    ]
    assert "Le projet a changé depuis l'approbation" in problems[1]
    # Approving again approves the draft as it now stands.
    held.approve_draft(by=users["coordinator"], at=held.ends_at)
    held.approve_draft(by=users["member"], at=held.ends_at)
    assert held.validation_problems() == []
    assert held.approvals.count() == 2
    last = held.approvals.get(member__user=users["member"]).history.first()
    assert (last.history_user, last.history_change_reason) == (
        users["member"],
        "Projet de compte rendu approuvé",
    )


def test_only_a_chair_approves(client_for, users, held, copil):
    copil.members.create(user=users["partner"], role="member")
    response = client_for("partner").post(f"/seances/{held.pk}/approbation/")
    assert response.status_code == 403
    assert "Seul·es la présidente ou le président" in response.content.decode()
    assert not held.approvals.exists()
    response = client_for("member").post(f"/seances/{held.pk}/approbation/")
    assert response.status_code == 302
    assert held.approvals.get().member.user == users["member"]


def test_an_external_chair_is_named_as_the_problem(users, held, copil):
    chair = copil.members.get(role="co_chair")
    chair.user, chair.name = None, "Mme Claire Dupont"
    chair.save()
    held.approve_draft(by=users["coordinator"], at=held.ends_at)
    assert held.validation_problems() == [
        "Mme Claire Dupont (co-président·e) n'a pas de compte tdi et ne peut pas approuver le "
        "projet : associez-lui un compte dans la composition du comité."
    ]


def test_the_page_shows_the_approvals_and_the_button_to_the_chair(client_for, users, held):
    page = client_for("member").get(f"/seances/{held.pk}/").content.decode()
    assert "Approbation du projet de compte rendu" in page
    assert "Approuver le projet de compte rendu" in page
    held.approve_draft(by=users["member"], at=held.ends_at)
    page = client_for("coordinator").get(f"/seances/{held.pk}/").content.decode()
    assert "(co-président·e) : approuvé le" in page


def test_a_committee_without_the_rule_validates_without_approval(users, held, copil):
    copil.requires_chair_approval = False
    copil.save()
    held.validate_minutes(by=users["coordinator"], at=held.ends_at)
    held.refresh_from_db()
    assert held.is_locked


def test_the_coordinator_sets_the_rule_on_the_committee_page(client_for, users, cotech):
    url = f"/comites/{cotech.pk}/"
    data = {"action": "rules", "regles-quorum": "3", "regles-requires_chair_approval": "on"}
    assert client_for("member").post(url, data).status_code == 403
    response = client_for("coordinator").post(url, data)
    assert response.status_code == 302
    cotech.refresh_from_db()
    assert (cotech.quorum, cotech.requires_chair_approval) == (3, True)
    assert cotech.history.first().history_change_reason == "Règles de délibération modifiées"
