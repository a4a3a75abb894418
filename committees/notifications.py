"""E-mails to committee members: convocation, agenda changes, cancellation."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.utils import timezone

from .documents import invitation_ics, render_agenda_pdf
from .models import Meeting


def recipients(meeting: Meeting) -> list[str]:
    members = meeting.committee.members.filter(is_active=True).select_related("user")
    return sorted({m.contact_email for m in members if m.contact_email})


def _send(meeting: Meeting, subject: str, body: str, *, attach: bool) -> int:
    to = recipients(meeting)
    if not to:
        return 0
    attachments = []
    if attach:
        slug = f"{meeting.committee.short_name.lower()}-{meeting.number}"
        attachments = [
            (f"ordre-du-jour-{slug}.pdf", render_agenda_pdf(meeting), "application/pdf"),
            (f"invitation-{slug}.ics", invitation_ics(meeting), "text/calendar; method=REQUEST"),
        ]
    # One message per member: addresses are not disclosed to each other.
    messages = [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], attachments=attachments)
        for address in to
    ]
    return mailers.default.send_messages(messages) or 0


def _agenda_text(meeting: Meeting) -> str:
    lines = [f"  {item.order}. {item.title}" for item in meeting.items.all()]
    return "\n".join(lines) or "  (vide)"


def _where(meeting: Meeting) -> str:
    parts = [meeting.place, meeting.video_link]
    return " — ".join(p for p in parts if p) or "lieu à préciser"


def send_convocation(meeting: Meeting) -> int:
    local = timezone.localtime(meeting.starts_at)
    body = (
        f"Bonjour,\n\nVous êtes convoqué·e au {meeting.title} ({meeting.committee.name}, "
        f"territoire {meeting.committee.territory.name}), le {local:%d/%m/%Y à %Hh%M}.\n"
        f"Lieu : {_where(meeting)}\n\nOrdre du jour :\n{_agenda_text(meeting)}\n\n"
        "L'ordre du jour détaillé est joint (PDF), avec une invitation pour votre agenda.\n"
        f"Les dossiers des projets sont consultables en ligne : "
        f"{settings.SITE_URL}{meeting.get_absolute_url()}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )
    return _send(meeting, f"Convocation — {meeting.title}", body, attach=True)


def send_agenda_change(meeting: Meeting, what: str) -> int:
    body = (
        f"Bonjour,\n\nL'ordre du jour du {meeting.title} a été modifié : {what}.\n\n"
        f"Ordre du jour à jour :\n{_agenda_text(meeting)}\n\n"
        f"Le document joint remplace le précédent. {settings.SITE_URL}{meeting.get_absolute_url()}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )
    return _send(meeting, f"Ordre du jour modifié — {meeting.title}", body, attach=True)


def send_cancellation(meeting: Meeting) -> int:
    body = (
        f"Bonjour,\n\nLe {meeting.title} est annulé.\nMotif : {meeting.cancel_reason}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )
    return _send(meeting, f"Annulation — {meeting.title}", body, attach=False)
