"""The meeting's documents: agenda and minutes as PDF, and the calendar invitation."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from tdi.pdf import official_html, render_pdf

if TYPE_CHECKING:
    from .models import Meeting


def meeting_context(meeting: Meeting, *, final: bool = False, content_sha256: str = "") -> dict:
    """Everything the agenda and minutes show, in a bounded number of queries."""
    committee = meeting.committee
    items = list(
        meeting.items.select_related("project", "project__lead_organisation").prefetch_related(
            "reserves__owner"
        )
    )
    members = list(committee.members.filter(is_active=True).select_related("user", "organisation"))
    # Each item's planned start: the meeting's, then one after the other by their durations.
    moment = meeting.starts_at
    for item in items:
        item.planned_at, moment = moment, moment + timedelta(minutes=item.duration)
    return {
        "meeting": meeting,
        "committee": committee,
        "territory": committee.territory,
        "items": items,
        "members": members,
        # The signature block of the minutes: président·e first, then co-président·e.
        "chairs": sorted(
            (m for m in members if m.chair_rank is not None), key=lambda m: m.chair_rank
        ),
        "approvals": list(meeting.approvals.all()),
        "signed_on": timezone.localdate(meeting.validated_at) if meeting.validated_at else None,
        "attendances": list(
            meeting.attendances.select_related("member__user", "member__organisation").order_by(
                "member__role", "member__name", "member__user__last_name"
            )
        ),
        "actions": list(meeting.actions.select_related("agenda_item")),
        "carried_over": list(meeting.carried_over_actions()),
        "total_duration": sum(item.duration for item in items),
        "final": final,
        "content_sha256": content_sha256,
        "site_url": settings.SITE_URL,
        "generated_at": timezone.now(),
    }


def render_agenda_pdf(meeting: Meeting) -> bytes:
    return render_pdf("committees/meeting_agenda_pdf.html", meeting_context(meeting))


MINUTES = "committees/meeting_minutes_pdf.html"


def minutes_context(meeting: Meeting, *, final: bool) -> dict:
    """Draft minutes carry a PROJET mark; the final ones are dated by their validation and print
    the fingerprint of their content."""
    context = meeting_context(meeting, final=final, content_sha256=meeting.content_sha256)
    if final:
        context["generated_at"] = meeting.validated_at
    return context


def minutes_html(meeting: Meeting) -> str:
    """The validated minutes as HTML: the text whose SHA-256 their PDF prints."""
    return official_html(MINUTES, minutes_context(meeting, final=True))


def render_minutes_pdf(meeting: Meeting, *, final: bool) -> bytes:
    return render_pdf(MINUTES, minutes_context(meeting, final=final), archival=final)


def _mailbox(address: str) -> str:
    """The bare address of « Name <address> »."""
    return address.split("<")[-1].rstrip(">").strip()


def invitation_ics(
    meeting: Meeting, *, method: str = "PUBLISH", attendee: str = "", organizer: str = ""
) -> bytes:
    """An iCalendar event (RFC 5545) for the meeting, with the agenda and the video link.

    A download is published (METHOD:PUBLISH, nobody invited); the copy attached to a
    convocation invites its one recipient (METHOD:REQUEST, RSVP to the coordination, which
    organises), and the copy of a cancellation cancels it (METHOD:CANCEL). Each recipient's
    copy names only them: addresses are not disclosed to each other."""
    calendar = Calendar()
    calendar.add("prodid", "-//tdi//Territoires d'industrie//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    host = settings.SITE_URL.split("://", 1)[-1]
    event.add("uid", f"seance-{meeting.pk}@{host}")
    event.add("sequence", meeting.history.count())
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", f"{meeting.title} — {meeting.committee.territory.name}")
    agenda = "\n".join(f"{item.order}. {item.title}" for item in meeting.items.all())
    url = f"{settings.SITE_URL}{meeting.get_absolute_url()}"
    video = f"\n\nVisioconférence : {meeting.video_link}" if meeting.video_link else ""
    event.add("description", f"Ordre du jour :\n{agenda}{video}\n\n{url}")
    event.add("location", vText(meeting.place or meeting.video_link or ""))
    event.add("url", url)
    if meeting.video_link:
        event.add("conference", meeting.video_link, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    organizer_address = _mailbox(organizer or settings.DEFAULT_FROM_EMAIL)
    who = vCalAddress(f"mailto:{organizer_address}")
    who.params["cn"] = vText(f"Coordination {meeting.committee.territory.name}")
    event["organizer"] = who
    if attendee and method != "PUBLISH":
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params.update({"role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "TRUE"})
        event.add("attendee", guest)
    calendar.add_component(event)
    return calendar.to_ical()
