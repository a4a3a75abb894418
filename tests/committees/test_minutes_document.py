"""The minutes as a document: signature block, and one fingerprint named the same way on the
page and in the PDF (DESIGN §5)."""

import hashlib
import re

import pytest
from django.utils import timezone

from committees.documents import render_minutes_pdf
from committees.models import Attendance, Decision
from projects.models import Stage

from ..factories import make_meeting
from ..utils import pdf_text, text

pytestmark = pytest.mark.django_db

CONTENT = "Empreinte du contenu (SHA-256) : "
CONTENT_ON_PAGE = (
    "Empreinte du contenu (SHA-256 du texte du compte rendu, imprimée en pied de page) : "
)
FILE_ON_PAGE = "Empreinte du fichier PDF archivé (SHA-256 du fichier téléchargé) : "


def held(committee, users, eligible_projects):
    coordinator = users["coordinator"]
    meeting = make_meeting(committee)
    project = eligible_projects[0]
    project.stage = Stage.READY_COPIL  # as after a favourable COTECH
    project.save()
    meeting.add_project(project, by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    for member in committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    return meeting


@pytest.fixture
def validated_copil(users, copil, eligible_projects):
    """A validated COPIL meeting: its committee has a président·e and a co-président·e."""
    meeting = held(copil, users, eligible_projects)
    for item in meeting.items.all():
        item.record_decision(Decision.VALIDATED, by=users["coordinator"])
    meeting.validate_minutes(by=users["coordinator"], at=meeting.ends_at)
    meeting.refresh_from_db()
    return meeting


def test_validated_minutes_carry_the_signature_block(users, validated_copil):
    content = pdf_text(validated_copil.minutes_pdf.read())
    day = timezone.localdate(validated_copil.validated_at)
    assert re.search(
        rf"Fait à Hôtel de l'agglomération, Chaumont, le {day.day}(er)? \w+ {day.year}\.", content
    )
    block = content[content.index("Fait à") :]
    chair, co_chair = users["coordinator"], users["member"]
    names = [
        f"{role} {user.get_full_name() or user.get_username()}"
        for role, user in [("Président·e", chair), ("Co-président·e", co_chair)]
    ]
    assert names[0] in block and names[1] in block
    assert block.index(names[0]) < block.index(names[1])
    assert "PROJET" not in content


def test_draft_minutes_keep_the_mark_and_the_place_falls_back_to_the_territory(
    users, copil, eligible_projects
):
    meeting = held(copil, users, eligible_projects)
    meeting.place = ""
    meeting.save()
    for chair in copil.members.filter(role__in=["chair", "co_chair"]):
        chair.is_active = False
        chair.save()
    content = pdf_text(render_minutes_pdf(meeting, final=False))
    assert "PROJET" in content
    assert f"Fait à {copil.territory.name}, le [date de validation]." in content
    assert "Président·e" not in content[content.index("Fait à") :]


def test_page_and_pdf_name_the_same_fingerprints(client_for, validated_copil):
    client = client_for("member")
    downloaded = client.get(f"/seances/{validated_copil.pk}/compte-rendu.pdf").content
    html = text(client.get(f"/seances/{validated_copil.pk}/"))
    page = " ".join(re.sub(r"<[^>]+>", "", html).split())
    content_sha256 = validated_copil.content_sha256
    file_sha256 = hashlib.sha256(downloaded).hexdigest()
    assert len(content_sha256) == 64 and content_sha256 != file_sha256

    # The page names both, with what each covers.
    assert CONTENT_ON_PAGE + content_sha256 in page
    assert FILE_ON_PAGE + file_sha256 in page
    assert file_sha256 == validated_copil.minutes_sha256

    # The PDF names the content fingerprint the same way and says where the other one is.
    content = pdf_text(downloaded)
    assert CONTENT + content_sha256 in content
    assert (
        f"{CONTENT}{content_sha256} — l'empreinte du fichier PDF archivé figure sur la page "
        "de la séance." in content
    )
    assert file_sha256 not in content


def test_validated_minutes_keep_the_members_as_they_were(
    client_for, users, cotech, eligible_projects
):
    """Renaming an external member, changing a role or an organisation after validation does
    not rewrite the attendance, the quorum or the page of validated minutes (issue 12)."""
    from ..factories import OrganisationFactory

    meeting = make_meeting(cotech)
    meeting.add_item(kind="information", title="Point sur l'AMI", by=users["coordinator"])
    meeting.convene(by=users["coordinator"])
    meeting.hold(by=users["coordinator"], at=meeting.starts_at)
    for member in cotech.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    meeting.items.get().record_decision(Decision.NOTED, by=users["coordinator"])
    meeting.validate_minutes(by=users["coordinator"], at=meeting.ends_at)
    meeting.refresh_from_db()

    def page_text():
        """The attendance section of the page, as read."""
        page = text(client_for("coordinator").get(f"/seances/{meeting.pk}/"))
        page = " ".join(re.sub(r"<[^>]+>", " ", page).split())
        return page[page.index("Présences 3 sièges") : page.index("Débats et décisions")]

    page_before = page_text()
    quorum_before = str(meeting.quorum())
    assert "Agnès Externe (invité·e permanent·e)" in page_before
    assert quorum_before == "3 sièges votants présents ou représentés sur 3 — quorum de 2 : atteint"

    guest = cotech.members.get(name="Agnès Externe")
    guest.name, guest.role = "Agnès Renommée", "member"
    guest.organisation = OrganisationFactory(name="Région Grand Est")
    guest.save()
    partner = cotech.members.get(user=users["partner"])
    partner.role = "guest"
    partner.save()

    page_after = page_text()
    assert "Agnès Externe (invité·e permanent·e)" in page_after
    assert "Agnès Renommée" not in page_after and "Région Grand Est" not in page_after
    meeting.refresh_from_db()
    assert str(meeting.quorum()) == quorum_before
    archived = pdf_text(meeting.minutes_pdf.read())
    assert "Agnès Externe Invité·e permanent·e" in archived


def test_the_agenda_gives_each_item_its_planned_start(users, cotech):
    """Items follow one another from the meeting's start, by their durations (issue 10)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from committees.documents import render_agenda_pdf
    from committees.models import Meeting

    meeting = Meeting.objects.create(
        committee=cotech, starts_at=datetime(2027, 3, 4, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    )
    for title, minutes in [("Accueil", 10), ("Point AMI", 45), ("Questions diverses", 15)]:
        meeting.add_item(kind="information", title=title, duration=minutes, by=users["coordinator"])
    text = pdf_text(render_agenda_pdf(meeting))
    assert "9h30" in text and "9h40" in text and "10h25" in text
    assert text.index("9h40") < text.index("Point AMI") < text.index("10h25")
