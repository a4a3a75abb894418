"""Answers before the meeting (DESIGN §5): présent·e, excusé·e or pouvoir à …, from the signed
link of the convocation or from the account; the quorum they promise; the attendance they
pre-fill; the calendar invitation they come with."""

import html
import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from committees.models import (
    Attendance,
    Committee,
    CommitteeMember,
    Invitation,
    ReplyLinkError,
    ReplyStatus,
)

from ..factories import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def convened(users, meeting, eligible_projects, django_capture_on_commit_callbacks):
    """The COTECH (chair: coordinator; members: member, partner; guest: Agnès) convened with
    one project led by `lead`; the convocations are sent."""
    meeting.add_project(eligible_projects[0], by=users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        meeting.convene(by=users["coordinator"])
    return meeting


def seat(meeting, user) -> Invitation:
    return meeting.invitations.get(member__user=user)


def link_of(message) -> str:
    [path] = re.findall(r"http://[^/\s]+(/seances/reponse/[^\s]+/)", message.body)
    return path


def mail_to(address):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


# --- who is convened, and the answers the model accepts -------------------------------------


def test_everyone_convened_has_one_invitation(users, convened):
    invitations = {i.email: i for i in convened.invitations.all()}
    assert set(invitations) == {
        users["coordinator"].email.lower(),
        users["member"].email.lower(),
        users["partner"].email.lower(),
        "agnes@region.example.fr",
        users["lead"].email.lower(),
    }
    assert invitations[users["lead"].email.lower()].member_id is None
    assert invitations[users["lead"].email.lower()].capacity == "Porteur·se de projet"
    assert all(not i.reply for i in invitations.values())


def test_a_titulaire_gives_a_proxy_kept_in_history(users, convened):
    partner = seat(convened, users["partner"])
    holder = CommitteeMember.objects.get(committee=convened.committee, user=users["member"])
    partner.answer(ReplyStatus.PROXY, by=users["partner"], proxy_to=holder)
    partner.refresh_from_db()
    assert (partner.reply, partner.proxy_to, partner.link_uses) == (ReplyStatus.PROXY, holder, 1)
    last = partner.history.first()
    assert last.history_user == users["partner"]
    assert last.history_change_reason == f"Réponse à la convocation : pouvoir à {holder}"


@pytest.mark.parametrize(
    ("who", "reply", "proxy", "field", "message"),
    [
        ("partner", "proxy", "self", "proxy_to", "Vous ne pouvez pas vous donner pouvoir."),
        ("partner", "proxy", None, "proxy_to", "Indiquez à qui vous donnez pouvoir."),
        (
            "partner",
            "proxy",
            "guest",
            "proxy_to",
            "Le pouvoir se donne à un·e autre membre du comité.",
        ),
        (
            "partner",
            "proxy",
            "other_committee",
            "proxy_to",
            "Le pouvoir se donne à un·e autre membre du comité.",
        ),
        ("lead", "proxy", "member", "reply", "Seul·e un·e membre votant·e peut donner pouvoir."),
        ("partner", "maybe", None, "reply", "Choisissez votre réponse."),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    users, convened, copil, who, reply, proxy, field, message
):
    invitation = convened.invitations.get(email=users[who].email.lower())
    members = convened.committee.members
    proxy_to = {
        None: None,
        "self": invitation.member,
        "guest": members.get(role="guest"),
        "member": members.get(user=users["member"]),
        "other_committee": copil.members.get(user=users["member"]),
    }[proxy]
    with pytest.raises(ValidationError) as error:
        invitation.answer(reply, by=users[who], proxy_to=proxy_to)
    assert error.value.message_dict == {field: [message]}
    invitation.refresh_from_db()
    assert (invitation.reply, invitation.link_uses, invitation.history.count()) == ("", 0, 1)


def test_a_proxy_to_someone_not_coming_is_refused(users, convened):
    seat(convened, users["member"]).answer(ReplyStatus.EXCUSED, by=users["member"])
    holder = CommitteeMember.objects.get(committee=convened.committee, user=users["member"])
    with pytest.raises(ValidationError) as error:
        seat(convened, users["partner"]).answer(ReplyStatus.PROXY, proxy_to=holder)
    assert error.value.message_dict["proxy_to"] == [
        f"{holder} a répondu « Excusé·e » : donnez votre pouvoir à un·e membre qui sera présent·e."
    ]


def test_no_answer_to_a_cancelled_or_started_meeting(users, convened):
    invitation = seat(convened, users["member"])
    with pytest.raises(ValidationError) as error:
        invitation.answer(ReplyStatus.PRESENT, at=convened.starts_at)
    assert error.value.messages == [
        "La séance a commencé ou s'est tenue : les réponses à la convocation sont closes."
    ]
    convened.cancel(by=users["coordinator"], reason="Salle indisponible")
    invitation.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        invitation.answer(ReplyStatus.PRESENT)
    assert error.value.messages == ["Cette séance a été annulée : aucune réponse n'est attendue."]


# --- the quorum the answers promise, and the attendance they pre-fill -----------------------


def test_expected_quorum_counts_voting_seats_once(users, convened):
    committee = convened.committee  # chair + 2 titulaires vote; quorum 2
    holder = committee.members.get(user=users["member"])
    assert convened.expected_quorum().present == 0
    seat(convened, users["coordinator"]).answer(ReplyStatus.PRESENT)
    seat(convened, users["partner"]).answer(ReplyStatus.PROXY, proxy_to=holder)
    convened.invitations.get(email="agnes@region.example.fr").answer(ReplyStatus.PRESENT)
    quorum = convened.expected_quorum()
    # The chair present and the partner represented: 2 of 3; the guest does not count.
    assert (quorum.present, quorum.seats, quorum.reached) == (2, 3, True)
    # The holder of the proxy excuses themself: the proxy is void, the seat not counted.
    seat(convened, users["member"]).answer(ReplyStatus.EXCUSED)
    quorum = convened.expected_quorum()
    assert (quorum.present, quorum.reached) == (1, False)


def test_coordinator_sees_answers_and_expected_quorum(client_for, users, convened):
    seat(convened, users["member"]).answer(ReplyStatus.EXCUSED)
    seat(convened, users["coordinator"]).answer(ReplyStatus.PRESENT)
    page = client_for("coordinator").get(f"/seances/{convened.pk}/").content.decode()
    assert "Convocations et réponses" in page
    assert (
        "Quorum attendu d'après les réponses : 1 siège votant présent ou représenté sur 3 — "
        'quorum de 2 : <strong class="balance-ko">non atteint à ce jour</strong>'
    ) in page
    # Seat-holders read the meeting, not who answered what.
    page = client_for("partner").get(f"/seances/{convened.pk}/").content.decode()
    assert "Convocations et réponses" not in page


def test_answers_prefill_the_attendance(client_for, users, convened):
    holder = convened.committee.members.get(user=users["member"])
    seat(convened, users["partner"]).answer(ReplyStatus.PROXY, proxy_to=holder)
    seat(convened, users["member"]).answer(ReplyStatus.PRESENT)
    convened.hold(by=users["coordinator"], at=convened.starts_at)
    page = client_for("coordinator").get(f"/seances/{convened.pk}/").content.decode()
    partner = convened.committee.members.get(user=users["partner"])
    row = page.split(f'id="presence-{partner.pk}-status"')[1].split("</td>")[0]
    assert '<option value="represented" selected>' in row
    proxy_input = page.split(f'id="presence-{partner.pk}-represented_by"')[1].split(">")[0]
    assert f'value="{holder.display_name}"' in proxy_input
    guest = convened.committee.members.get(role="guest")
    row = page.split(f'id="presence-{guest.pk}-status"')[1].split("</td>")[0]
    assert '<option value="" selected>' in row  # no answer: not filled in
    assert not Attendance.objects.filter(meeting=convened).exists()  # nothing saved yet


# --- the reply link ------------------------------------------------------------------------


def test_the_link_of_the_convocation_records_one_answer(client, users, convened):
    message = mail_to("agnes@region.example.fr")
    path = link_of(message)
    # Opening the link (a mail scanner does) changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert "Convocation de Agnès Externe (invité·e permanent·e)" in page.content.decode()
    assert "pouvoir" not in page.content.decode().lower().split("<form")[1]  # a guest has no vote
    invitation = convened.invitations.get(email="agnes@region.example.fr")
    assert invitation.reply == ""

    response = client.post(path, {"reply": "excused"})
    assert response.status_code == 200
    assert (
        "Merci, votre réponse est enregistrée : <strong>Excusé·e</strong>"
        in response.content.decode()
    )
    invitation.refresh_from_db()
    assert invitation.reply == ReplyStatus.EXCUSED
    entry = invitation.history.first()
    assert entry.history_user is None
    assert (
        entry.history_change_reason
        == "Réponse à la convocation : Excusé·e (lien de la convocation)"
    )

    # Used once: the same link again is refused and changes nothing.
    again = client.post(path, {"reply": "present"})
    assert again.status_code == 409
    assert "Ce lien a déjà servi : votre réponse est enregistrée." in again.content.decode()
    invitation.refresh_from_db()
    assert invitation.reply == ReplyStatus.EXCUSED


def test_a_titulaire_gives_a_proxy_through_the_link(client, users, convened):
    path = link_of(mail_to(users["partner"].email.lower()))
    holder = convened.committee.members.get(user=users["member"])
    missing = client.post(path, {"reply": "proxy"})
    assert missing.status_code == 400
    assert "Indiquez à qui vous donnez pouvoir." in missing.content.decode()
    response = client.post(path, {"reply": "proxy", "proxy_to": holder.pk})
    assert response.status_code == 200
    assert seat(convened, users["partner"]).proxy_to == holder


def test_a_lead_sees_only_their_item_through_the_link(client, users, convened, eligible_projects):
    page = client.get(link_of(mail_to(users["lead"].email.lower()))).content.decode()
    assert "Friche de la fonderie" in page
    assert "Comité technique" in page
    for hidden in ("Agnès Externe", "Débats", "Décision"):
        assert hidden not in page


def test_a_forged_or_altered_link_is_refused(client, users, convened):
    path = link_of(mail_to(users["member"].email.lower()))
    token = path.split("/")[-2]
    for bad in (
        token[:-2] + "xx",
        "abc",
        Invitation(pk=seat(convened, users["partner"]).pk).link_token()[:-1],
    ):
        response = client.post(f"/seances/reponse/{bad}/", {"reply": "present"})
        assert response.status_code == 400
        assert html.escape(ReplyLinkError.FORGED) in response.content.decode()
    assert not convened.invitations.exclude(reply="").exists()


def test_an_expired_link_is_refused(client, users, convened):
    path = link_of(mail_to(users["member"].email.lower()))
    later = time.time() + Invitation.LINK_MAX_AGE.total_seconds() + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(path, {"reply": "present"})
    assert response.status_code == 410
    assert "Ce lien de réponse a expiré." in response.content.decode()
    assert seat(convened, users["member"]).reply == ""


def test_the_link_of_a_cancelled_meeting_answers_nothing(client, users, convened):
    path = link_of(mail_to(users["member"].email.lower()))
    convened.cancel(by=users["coordinator"], reason="Salle indisponible")
    response = client.post(path, {"reply": "present"})
    assert response.status_code == 410
    assert (
        "Cette séance a été annulée : aucune réponse n&#x27;est attendue."
        in response.content.decode()
    )
    assert seat(convened, users["member"]).reply == ""


# --- answering from the account ---------------------------------------------------------------


def test_a_seat_holder_answers_from_the_meeting_page(client_for, users, convened, htmx_headers):
    client = client_for("member")
    page = client.get(f"/seances/{convened.pk}/").content.decode()
    assert "Votre réponse à la convocation" in page
    bad = client.post(f"/seances/{convened.pk}/reponse/", {"reply": ""}, **htmx_headers)
    assert bad.status_code == 400
    assert "Choisissez votre réponse." in bad.content.decode()
    response = client.post(f"/seances/{convened.pk}/reponse/", {"reply": "present"})
    assert response.status_code == 302
    assert seat(convened, users["member"]).reply == ReplyStatus.PRESENT
    # The link in their e-mail has served its purpose: the account's answer stands.
    path = link_of(mail_to(users["member"].email.lower()))
    assert client_for(None).post(path, {"reply": "excused"}).status_code == 409
    assert seat(convened, users["member"]).reply == ReplyStatus.PRESENT


def test_only_the_convened_answer(client_for, users, convened):
    # The other lead reads nothing of this meeting; the stranger is in another territory.
    assert (
        client_for("other_lead")
        .post(f"/seances/{convened.pk}/reponse/", {"reply": "present"})
        .status_code
        == 404
    )
    assert (
        client_for("stranger")
        .post(f"/seances/{convened.pk}/reponse/", {"reply": "present"})
        .status_code
        == 404
    )
    anonymous = client_for(None).post(f"/seances/{convened.pk}/reponse/", {"reply": "present"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/connexion/")
    assert not convened.invitations.exclude(reply="").exists()


def test_a_reader_who_is_not_convened_is_refused(client_for, users, territory, convened):
    from projects.access import Role

    from ..factories import MembershipFactory, UserFactory

    reader = MembershipFactory(
        user=UserFactory(username="reader"), territory=territory, role=Role.PARTNER
    ).user
    client = client_for(None)
    client.force_login(reader)
    response = client.post(f"/seances/{convened.pk}/reponse/", {"reply": "present"})
    assert response.status_code == 403
    assert "Vous n&#x27;êtes pas convoqué·e à cette séance." in response.content.decode()


# --- the calendar invitation ---------------------------------------------------------------


def test_the_convocation_invites_its_recipient_only(users, convened):
    message = mail_to(users["member"].email.lower())
    ics = next(c for n, c, _t in message.attachments if n.endswith(".ics"))
    ics = ics if isinstance(ics, str) else ics.decode()
    unfolded = ics.replace("\r\n ", "")
    assert "METHOD:REQUEST" in unfolded
    attendees = re.findall(r"ATTENDEE[^\r\n]*", unfolded)
    assert len(attendees) == 1
    assert "RSVP=TRUE" in attendees[0] and f"mailto:{users['member'].email.lower()}" in attendees[0]
    assert (
        f'ORGANIZER;CN="Coordination Chaumont-Langres":mailto:{users["coordinator"].email}'
        in unfolded
    )
    assert message.reply_to == [users["coordinator"].email]


def test_the_downloaded_invitation_is_published_with_its_video_link(
    client_for, users, meeting, eligible_projects
):
    meeting.video_link = "https://visio.example.fr/cotech"
    meeting.save()
    ics = client_for("member").get(f"/seances/{meeting.pk}/invitation.ics").content.decode()
    unfolded = ics.replace("\r\n ", "")
    assert "METHOD:PUBLISH" in unfolded and "ATTENDEE" not in unfolded
    assert "CONFERENCE;FEATURE=VIDEO;VALUE=URI:https://visio.example.fr/cotech" in unfolded
    assert "Visioconférence : https://visio.example.fr/cotech" in unfolded


def test_a_late_lead_is_convened_by_the_summary_of_changes(
    users, convened, eligible_projects, django_capture_on_commit_callbacks
):
    eligible_projects[1].lead_users.set([users["other_lead"]])
    convened.add_project(eligible_projects[1], by=users["coordinator"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        convened.notify_agenda_changes(by=users["coordinator"])
    other = mail_to(users["other_lead"].email.lower())
    assert other.subject.startswith("Convocation — COTECH n° 1")
    assert "2. Station hydrogène" in other.body.split("Ordre du jour :")[0]
    assert mail_to(users["member"].email.lower()).subject.startswith("Ordre du jour modifié")
    assert convened.invitations.filter(user=users["other_lead"]).count() == 1


def test_no_other_committee_member_is_offered_as_proxy(users, convened, territory):
    other = Committee.objects.create(territory=territory, kind=Committee.Kind.OTHER, name="Club")
    stranger_seat = CommitteeMember.objects.create(
        committee=other, name="Xavier Ailleurs", role="member"
    )
    choices = list(seat(convened, users["partner"]).proxy_choices())
    assert stranger_seat not in choices
    assert {m.display_name for m in choices} == {
        str(convened.committee.members.get(user=users["coordinator"])),
        str(convened.committee.members.get(user=users["member"])),
    }


def test_a_meeting_in_the_past_is_not_open_to_answers(users, cotech, eligible_projects):
    past = make_meeting(cotech, days=-1)
    past.add_project(eligible_projects[0], by=users["coordinator"])
    past.convene(by=users["coordinator"], at=timezone.now() - timedelta(days=3))
    invitation = seat(past, users["member"])
    assert invitation.answer_refusal() != ""
