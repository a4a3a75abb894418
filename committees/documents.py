"""The meeting's documents: agenda and minutes as PDF, and the calendar invitation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from tdi.pdf import official_html, render_pdf

from .models import Meeting, MemberRole


def meeting_context(meeting: Meeting, *, final: bool = False, content_sha256: str = "") -> dict:
    """Everything the agenda and minutes show, in a bounded number of queries."""
    committee = meeting.committee
    items = list(
        meeting.items.select_related("project", "project__lead_organisation").prefetch_related(
            "reserves__owner"
        )
    )
    members = list(committee.members.filter(is_active=True).select_related("user", "organisation"))
    return {
        "meeting": meeting,
        "committee": committee,
        "territory": committee.territory,
        "items": items,
        "members": members,
        # The signature block of the minutes: président·e first, then co-président·e.
        "chairs": sorted(
            (m for m in members if m.role in (MemberRole.CHAIR, MemberRole.CO_CHAIR)),
            key=lambda m: m.role != MemberRole.CHAIR,
        ),
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


def invitation_ics(meeting: Meeting) -> bytes:
    """An iCalendar invitation (RFC 5545) for the meeting, with the agenda in its description."""
    calendar = Calendar()
    calendar.add("prodid", "-//tdi//Territoires d'industrie//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if meeting.is_cancelled else "REQUEST")
    event = Event()
    host = settings.SITE_URL.split("://", 1)[-1]
    event.add("uid", f"seance-{meeting.pk}@{host}")
    event.add("sequence", meeting.history.count())
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + timedelta(minutes=max(meeting.total_duration, 60)))
    event.add("summary", f"{meeting.title} — {meeting.committee.territory.name}")
    agenda = "\n".join(f"{item.order}. {item.title}" for item in meeting.items.all())
    url = f"{settings.SITE_URL}{meeting.get_absolute_url()}"
    event.add("description", f"Ordre du jour :\n{agenda}\n\n{url}")
    event.add("location", vText(meeting.place or meeting.video_link or ""))
    event.add("url", url)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
    organizer.params["cn"] = vText(f"Coordination {meeting.committee.territory.name}")
    event["organizer"] = organizer
    calendar.add_component(event)
    return calendar.to_ical()
