"""E-mails around a meeting: convocation, agenda changes, cancellation, decisions and minutes."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.tasks import task
from django.utils import timezone

from .documents import invitation_ics, render_agenda_pdf
from .models import Meeting


def recipients(meeting: Meeting) -> list[str]:
    members = meeting.committee.members.filter(is_active=True).select_related("user")
    return sorted({m.contact_email for m in members if m.contact_email})


def lead_items(meeting: Meeting) -> dict[str, list]:
    """E-mail of each lead of a project on the agenda -> the items that concern them."""
    leads: dict[str, list] = {}
    items = meeting.items.filter(project__isnull=False).prefetch_related("project__lead_users")
    for item in items:
        for user in item.project.lead_users.all():
            if user.is_active and user.email:
                leads.setdefault(user.email.strip().lower(), []).append(item)
    return leads


def convened(meeting: Meeting) -> dict[str, list]:
    """Everyone convened, once each: seat-holders (no item) and leads (their items)."""
    people = {address.strip().lower(): [] for address in recipients(meeting)}
    for address, items in lead_items(meeting).items():
        people.setdefault(address, []).extend(items)
    return people


def _slug(meeting: Meeting) -> str:
    return f"{meeting.committee.short_name.lower()}-{meeting.number}"


def _agenda_attachments(meeting: Meeting, *, ics: bool) -> list:
    attachments = [
        (f"ordre-du-jour-{_slug(meeting)}.pdf", render_agenda_pdf(meeting), "application/pdf")
    ]
    if ics:
        attachments.append(
            (
                f"invitation-{_slug(meeting)}.ics",
                invitation_ics(meeting),
                "text/calendar; method=REQUEST",
            )
        )
    return attachments


def _deliver(messages: list[EmailMessage]) -> int:
    return (mailers.default.send_messages(messages) or 0) if messages else 0


def _your_items(items: list) -> str:
    if not items:
        return ""
    lines = "\n".join(f"  {item.order}. {item.title}" for item in items)
    return f"\nVous êtes convié·e en tant que porteur·se du projet inscrit au point :\n{lines}\n"


def _send(meeting: Meeting, subject: str, body: str, *, attach: bool) -> int:
    to = recipients(meeting)
    attachments = _agenda_attachments(meeting, ics=True) if to and attach else []
    # One message per member: addresses are not disclosed to each other.
    return _deliver(
        [
            EmailMessage(
                subject, body, settings.DEFAULT_FROM_EMAIL, [address], attachments=attachments
            )
            for address in to
        ]
    )


def _agenda_text(meeting: Meeting) -> str:
    lines = [f"  {item.order}. {item.title}" for item in meeting.items.all()]
    return "\n".join(lines) or "  (vide)"


def _where(meeting: Meeting) -> str:
    parts = [meeting.place, meeting.video_link]
    return " — ".join(p for p in parts if p) or "lieu à préciser"


def send_convocation(meeting: Meeting) -> int:
    """One convocation per person: seat-holders, and leads of the projects on the agenda."""
    people = convened(meeting)
    if not people:
        return 0
    attachments = _agenda_attachments(meeting, ics=True)
    subject = f"Convocation — {meeting.title}"
    return _deliver(
        [
            EmailMessage(
                subject,
                _convocation_body(meeting, items),
                settings.DEFAULT_FROM_EMAIL,
                [address],
                attachments=attachments,
            )
            for address, items in people.items()
        ]
    )


def _convocation_body(meeting: Meeting, items: list) -> str:
    local = timezone.localtime(meeting.starts_at)
    return (
        f"Bonjour,\n\nVous êtes convoqué·e au {meeting.title} ({meeting.committee.name}, "
        f"territoire {meeting.committee.territory.name}), le {local:%d/%m/%Y à %Hh%M}.\n"
        f"Lieu : {_where(meeting)}\n{_your_items(items)}\nOrdre du jour :\n{_agenda_text(meeting)}\n\n"
        "L'ordre du jour détaillé est joint (PDF), avec une invitation pour votre agenda.\n"
        f"Les dossiers des projets sont consultables en ligne : "
        f"{settings.SITE_URL}{meeting.get_absolute_url()}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )


@task
def send_agenda_changes(meeting_pk: int, changes: list[str]) -> int:
    """One summary of the agenda changes per convened person, with the updated agenda PDF."""
    meeting = Meeting.objects.select_related("committee__territory").get(pk=meeting_pk)
    people = convened(meeting)
    if not people:
        return 0
    listed = "\n".join(f"  - {what}" for what in changes)
    body = (
        f"Bonjour,\n\nL'ordre du jour du {meeting.title} a changé depuis la convocation :\n"
        f"{listed}\n\nOrdre du jour à jour :\n{_agenda_text(meeting)}\n\n"
        f"Le document joint remplace le précédent. {settings.SITE_URL}{meeting.get_absolute_url()}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )
    attachments = _agenda_attachments(meeting, ics=False)
    subject = f"Ordre du jour modifié — {meeting.title}"
    return _deliver(
        [
            EmailMessage(
                subject, body, settings.DEFAULT_FROM_EMAIL, [address], attachments=attachments
            )
            for address in people
        ]
    )


def _decision_text(item) -> str:
    lines = [f"Point {item.order}. {item.title}", f"Décision : {item.get_decision_display()}"]
    if item.motive:
        lines.append(f"Motif : {item.motive}")
    reserves = list(item.reserves.all())
    if reserves:
        lines.append("Réserves et conditions :")
        lines += [
            f"  - {r.text}" + (f" (échéance {r.due_on:%d/%m/%Y})" if r.due_on else "")
            for r in reserves
        ]
    return "\n".join(lines)


@task
def send_validation_notices(meeting_pk: int) -> int:
    """After validation: each lead gets the decision on their item; seat-holders the minutes."""
    meeting = Meeting.objects.select_related("committee__territory").get(pk=meeting_pk)
    sign = f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    messages = []
    for address, items in lead_items(meeting).items():
        body = (
            f"Bonjour,\n\nLe compte rendu du {meeting.title} est validé. Décision concernant "
            f"votre projet :\n\n" + "\n\n".join(_decision_text(i) for i in items) + f"\n\n{sign}"
        )
        subject = f"Décision du {meeting.title}"
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
    members = recipients(meeting)
    if members:
        meeting.minutes_pdf.open("rb")
        try:
            pdf = meeting.minutes_pdf.read()
        finally:
            meeting.minutes_pdf.close()
        name = f"compte-rendu-{_slug(meeting)}.pdf"
        body = (
            f"Bonjour,\n\nLe compte rendu du {meeting.title} a été validé. Il est joint (PDF) et "
            f"consultable en ligne : {settings.SITE_URL}{meeting.get_absolute_url()}\n\n{sign}"
        )
        subject = f"Compte rendu validé — {meeting.title}"
        messages += [
            EmailMessage(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [address],
                attachments=[(name, pdf, "application/pdf")],
            )
            for address in members
        ]
    return _deliver(messages)


def send_cancellation(meeting: Meeting) -> int:
    body = (
        f"Bonjour,\n\nLe {meeting.title} est annulé.\nMotif : {meeting.cancel_reason}\n\n"
        f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"
    )
    return _send(meeting, f"Annulation — {meeting.title}", body, attach=False)
