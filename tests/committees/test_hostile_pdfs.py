"""Every text that reaches a committee PDF is printed, never fetched or embedded."""

import pytest

from committees.models import Attendance, Decision

from ..tdi.test_pdf import Listener, assert_nothing_embedded, hostile_markup, pdf_text

pytestmark = pytest.mark.django_db


def test_agenda_and_minutes_with_hostile_texts(client_for, users, meeting, eligible_projects):
    listener = Listener()
    bits = hostile_markup(listener.port)
    coordinator = users["coordinator"]
    project = eligible_projects[0]
    project.title = bits[1][:200]
    project.save()
    meeting.place = bits[2]
    meeting.save()
    item = meeting.add_project(project, by=coordinator, rapporteur=bits[0][:200])
    client = client_for("coordinator")
    agenda = client.get(f"/seances/{meeting.pk}/ordre-du-jour.pdf").content
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)
    for member in meeting.committee.members.all():
        Attendance.objects.create(meeting=meeting, member=member, status="present")
    item.refresh_from_db()
    item.notes = "\n".join(bits)
    item.save()
    item.record_decision(Decision.UNFAVORABLE, by=coordinator, motive=" ".join(bits))
    meeting.refresh_from_db()
    meeting.minutes_intro = " ".join(bits)
    meeting.save()
    draft = client.get(f"/seances/{meeting.pk}/compte-rendu.pdf").content
    meeting.validate_minutes(by=coordinator, at=meeting.ends_at)
    final = client.get(f"/seances/{meeting.pk}/compte-rendu.pdf").content
    for pdf in (agenda, draft, final):
        assert pdf.startswith(b"%PDF")
        assert_nothing_embedded(pdf)
    assert 'rel="attachment" href="file:///etc/passwd">' in pdf_text(draft)
    assert listener.stop() == []
