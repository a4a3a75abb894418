"""E-mails around a meeting: convocation, agenda changes, cancellation, decisions and minutes.

Each e-mail is a Dispatch row written in the transaction of the change that calls for it (the
convocation with the move to « convoquée », the minutes with their validation): a rolled-back
change sends nothing. `deliver` sends the waiting rows after commit, in a task, builds the
attachments there (agenda PDF, personal invitation, archived minutes), and retries a failure
later; the rows are the log the coordinator reads on the meeting page.

The meeting's methods announce what happened (committees.events); the receivers at the end of
this module queue the e-mails.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.dispatch import receiver
from django.tasks import default_task_backend, task
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from projects.lifecycle import save_change

from . import events
from .documents import invitation_ics, render_agenda_pdf
from .models import Dispatch, DispatchKind, DispatchStatus, Invitation, Meeting


def lead_items(meeting: Meeting) -> dict[str, list]:
    """E-mail of each lead of a project on the agenda -> the items that concern them."""
    leads: dict[str, list] = {}
    items = meeting.items.filter(project__isnull=False).prefetch_related("project__lead_users")
    for item in items:
        for user in item.project.lead_users.all():
            if user.is_active and user.email:
                leads.setdefault(user.email.strip().lower(), []).append(item)
    return leads


def invite(meeting: Meeting, *, by, at=None) -> list[Invitation]:
    """Everyone convened now, once each (DESIGN §5): the active seat-holders with an address,
    and the leads of the projects on the agenda. Returns the people not convened before."""
    existing = set(meeting.invitations.values_list("email", flat=True))
    new = []
    members = meeting.committee.members.filter(is_active=True).select_related("user")
    for member in members:
        address = (member.contact_email or "").strip().lower()
        if address and address not in existing:
            existing.add(address)
            new.append(Invitation(meeting=meeting, member=member, email=address))
    items = meeting.items.filter(project__isnull=False).prefetch_related("project__lead_users")
    for item in items:
        for user in item.project.lead_users.all():
            address = (user.email or "").strip().lower()
            if user.is_active and address and address not in existing:
                existing.add(address)
                new.append(Invitation(meeting=meeting, user=user, email=address))
    for invitation in new:
        save_change(invitation, by=by, reason="Convocation", at=at)
    return new


def reply_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("committees:reply", args=[invitation.link_token()])


def _sign(meeting: Meeting) -> str:
    return f"— La coordination du Territoire d'industrie {meeting.committee.territory.name}"


def _agenda_text(meeting: Meeting) -> str:
    lines = [f"  {item.order}. {item.title}" for item in meeting.items.all()]
    return "\n".join(lines) or "  (vide)"


def _where(meeting: Meeting) -> str:
    parts = [meeting.place, meeting.video_link and f"visioconférence : {meeting.video_link}"]
    return " — ".join(p for p in parts if p) or "lieu à préciser"


def _your_items(items: list) -> str:
    if not items:
        return ""
    lines = "\n".join(f"  {item.order}. {item.title}" for item in items)
    return f"\nVous êtes convié·e en tant que porteur·se du projet inscrit au point :\n{lines}\n"


def _reply_text(invitation: Invitation) -> str:
    choices = "présent·e, excusé·e"
    if invitation.may_give_proxy:
        choices += " ou pouvoir à un·e autre membre"
    return (
        f"Merci de répondre avant la séance ({choices}) :\n{reply_url(invitation)}\n"
        "Ce lien vous est personnel et sert une fois ; vous pouvez aussi répondre depuis "
        "votre compte.\n"
    )


def _queue(meeting, kind, invitation, subject, body, *, by=None, address="") -> Dispatch:
    return Dispatch.objects.create(
        meeting=meeting,
        invitation=invitation,
        kind=kind,
        address=address or invitation.email,
        subject=subject[:300],
        body=body,
        reply_to=(getattr(by, "email", "") or "").strip(),
    )


def _after_commit(meeting: Meeting) -> None:
    transaction.on_commit(lambda: deliver.enqueue(meeting.pk))


def queue_convocation(meeting: Meeting, invitations: list[Invitation], *, by) -> int:
    """One convocation per person, with their reply link and, for a lead, their items."""
    items = lead_items(meeting)
    local = timezone.localtime(meeting.starts_at)
    for invitation in invitations:
        body = (
            f"Bonjour,\n\nVous êtes convoqué·e au {meeting.title} ({meeting.committee.name}, "
            f"territoire {meeting.committee.territory.name}), le {local:%d/%m/%Y à %Hh%M}.\n"
            f"Lieu : {_where(meeting)}\n{_your_items(items.get(invitation.email, []))}\n"
            f"Ordre du jour :\n{_agenda_text(meeting)}\n\n{_reply_text(invitation)}\n"
            "L'ordre du jour détaillé est joint (PDF), avec une invitation pour votre agenda.\n"
            f"Les dossiers des projets sont consultables en ligne : "
            f"{settings.SITE_URL}{meeting.get_absolute_url()}\n\n{_sign(meeting)}"
        )
        _queue(
            meeting,
            DispatchKind.CONVOCATION,
            invitation,
            f"Convocation — {meeting.title}",
            body,
            by=by,
        )
    _after_commit(meeting)
    return len(invitations)


def queue_agenda_changes(meeting: Meeting, changes: list[str], *, by) -> int:
    """One summary of the agenda changes per person already convened; a convocation for the
    people the changes bring in (the lead of a project added to the agenda)."""
    new = {i.pk for i in invite(meeting, by=by)}
    invitations = list(meeting.invitations.select_related("member"))
    listed = "\n".join(f"  - {what}" for what in changes)
    for invitation in invitations:
        if invitation.pk in new:
            continue
        body = (
            f"Bonjour,\n\nL'ordre du jour du {meeting.title} a changé depuis la convocation :\n"
            f"{listed}\n\nOrdre du jour à jour :\n{_agenda_text(meeting)}\n\n"
            f"{'' if invitation.reply else _reply_text(invitation)}"
            f"Le document joint remplace le précédent. {settings.SITE_URL}"
            f"{meeting.get_absolute_url()}\n\n{_sign(meeting)}"
        )
        _queue(
            meeting,
            DispatchKind.CHANGES,
            invitation,
            f"Ordre du jour modifié — {meeting.title}",
            body,
            by=by,
        )
    queue_convocation(meeting, [i for i in invitations if i.pk in new], by=by)
    return len(invitations)


def queue_cancellation(meeting: Meeting, *, by) -> int:
    invitations = list(meeting.invitations.all())
    body = (
        f"Bonjour,\n\nLe {meeting.title} est annulé.\nMotif : {meeting.cancel_reason}\n\n"
        f"{_sign(meeting)}"
    )
    for invitation in invitations:
        _queue(
            meeting,
            DispatchKind.CANCELLATION,
            invitation,
            f"Annulation — {meeting.title}",
            body,
            by=by,
        )
    _after_commit(meeting)
    return len(invitations)


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


def queue_validation_notices(meeting: Meeting, *, by) -> int:
    """After validation: each lead gets the decision on their item; seat-holders the minutes."""
    invitations = {i.email: i for i in meeting.invitations.select_related("member")}
    count = 0
    for address, items in lead_items(meeting).items():
        body = (
            f"Bonjour,\n\nLe compte rendu du {meeting.title} est validé. Décision concernant "
            f"votre projet :\n\n"
            + "\n\n".join(_decision_text(i) for i in items)
            + f"\n\n{_sign(meeting)}"
        )
        _queue(
            meeting,
            DispatchKind.DECISION,
            invitations.get(address),
            f"Décision du {meeting.title}",
            body,
            by=by,
            address=address,
        )
        count += 1
    members = meeting.committee.members.filter(is_active=True).select_related("user")
    addresses = sorted({m.contact_email.strip().lower() for m in members if m.contact_email})
    body = (
        f"Bonjour,\n\nLe compte rendu du {meeting.title} a été validé. Il est joint (PDF) et "
        f"consultable en ligne : {settings.SITE_URL}{meeting.get_absolute_url()}\n\n"
        f"{_sign(meeting)}"
    )
    for address in addresses:
        _queue(
            meeting,
            DispatchKind.MINUTES,
            invitations.get(address),
            f"Compte rendu validé — {meeting.title}",
            body,
            by=by,
            address=address,
        )
    _after_commit(meeting)
    return count + len(addresses)


def retry_unsent(meeting: Meeting) -> int:
    """The coordinator asks again for the messages not sent yet (failed, or waiting for their
    next attempt): they are tried at once."""
    unsent = list(meeting.dispatches.exclude(status=DispatchStatus.SENT))
    for dispatch in unsent:
        if dispatch.status == DispatchStatus.FAILED:
            dispatch.status, dispatch.attempts = DispatchStatus.PENDING, 0
            dispatch.save(update_fields=["status", "attempts"])
    if unsent:
        _after_commit(meeting)
    return len(unsent)


# --- sending ------------------------------------------------------------------------------


def _slug(meeting: Meeting) -> str:
    # An "other" committee's short name is the name it was given: a slug keeps it out of the
    # attachment's MIME header whatever it holds.
    return slugify(f"{meeting.committee.short_name}-{meeting.number}")


class _Attachments:
    """What the messages of one delivery attach, each document built once."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting
        self._agenda = None
        self._minutes = None

    def agenda(self):
        if self._agenda is None:
            self._agenda = render_agenda_pdf(self.meeting)
        return (f"ordre-du-jour-{_slug(self.meeting)}.pdf", self._agenda, "application/pdf")

    def minutes(self):
        if self._minutes is None:
            with self.meeting.minutes_pdf.open("rb") as archived:
                self._minutes = archived.read()
        return (f"compte-rendu-{_slug(self.meeting)}.pdf", self._minutes, "application/pdf")

    def invitation(self, dispatch: Dispatch, method: str):
        ics = invitation_ics(
            self.meeting, method=method, attendee=dispatch.address, organizer=dispatch.reply_to
        )
        name = f"invitation-{_slug(self.meeting)}.ics"
        return (name, ics, f"text/calendar; method={method}")

    def of(self, dispatch: Dispatch) -> list:
        match dispatch.kind:
            case DispatchKind.CONVOCATION:
                return [self.agenda(), self.invitation(dispatch, "REQUEST")]
            case DispatchKind.CHANGES:
                return [self.agenda(), self.invitation(dispatch, "REQUEST")]
            case DispatchKind.CANCELLATION:
                return [self.invitation(dispatch, "CANCEL")]
            case DispatchKind.MINUTES:
                return [self.minutes()]
        return []


RETRY_DELAY = timedelta(minutes=5)


@task
def deliver(meeting_pk: int) -> int:
    """Send the meeting's waiting messages, one per person; a failure is kept with its error
    and tried again later (up to Dispatch.MAX_ATTEMPTS), the others go on."""
    meeting = Meeting.objects.select_related("committee__territory").get(pk=meeting_pk)
    attachments = _Attachments(meeting)
    sent = 0
    waiting = meeting.dispatches.filter(status=DispatchStatus.PENDING).order_by("pk")
    if not meeting.minutes_pdf:  # the minutes leave once their PDF is stored (archive_stored)
        waiting = waiting.exclude(kind=DispatchKind.MINUTES)
    for pk in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            # A row is sent by one worker: a concurrent delivery skips it.
            dispatch = (
                Dispatch.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=DispatchStatus.PENDING)
                .first()
            )
            if dispatch is None:
                continue
            dispatch.attempts += 1
            try:
                message = EmailMessage(
                    dispatch.subject,
                    dispatch.body,
                    settings.DEFAULT_FROM_EMAIL,
                    [dispatch.address],
                    attachments=attachments.of(dispatch),
                    reply_to=[dispatch.reply_to] if dispatch.reply_to else None,
                )
                mailers.default.send_messages([message])
            except Exception as error:  # noqa: BLE001 — any failure is logged and retried
                dispatch.last_error = f"{type(error).__name__}: {error}"[:500]
                if dispatch.attempts >= Dispatch.MAX_ATTEMPTS:
                    dispatch.status = DispatchStatus.FAILED
            else:
                dispatch.status, dispatch.sent_at, dispatch.last_error = (
                    DispatchStatus.SENT,
                    timezone.now(),
                    "",
                )
                sent += 1
            dispatch.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if waiting.exists() and default_task_backend.supports_defer:
        # With a worker, the next attempt comes by itself; without, on the coordinator's request.
        later = timezone.now() + RETRY_DELAY
        deliver.using(run_after=later).enqueue(meeting_pk)
    return sent


# --- what the meeting's methods announce (committees.events) ------------------------------------


@receiver(events.convened)
def on_convened(sender, *, meeting: Meeting, by, at, **kwargs) -> int:
    return queue_convocation(meeting, invite(meeting, by=by, at=at), by=by)


@receiver(events.agenda_changed)
def on_agenda_changed(sender, *, meeting: Meeting, changes: list[str], by, **kwargs) -> int:
    return queue_agenda_changes(meeting, changes, by=by)


@receiver(events.cancelled)
def on_cancelled(sender, *, meeting: Meeting, by, **kwargs) -> int:
    return queue_cancellation(meeting, by=by)


@receiver(events.minutes_validated)
def on_minutes_validated(sender, *, meeting: Meeting, by, **kwargs) -> int:
    return queue_validation_notices(meeting, by=by)


@receiver(events.minutes_archived)
def on_minutes_archived(sender, *, meeting: Meeting, **kwargs) -> None:
    deliver.enqueue(meeting.pk)
