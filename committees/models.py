"""Committees (COTECH, COPIL…), their members, meetings, agendas, decisions and minutes.

A decision moves a project through the project's own workflow (Project.follow_committee); the
minutes, once validated, freeze the meeting, its items, decisions, attendance and actions
(projects.lifecycle), but for marking an action done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from projects.access import Access, Right
from projects.lifecycle import Archive, Freezable, Lifecycle, Step, history_stamp, save_change
from projects.models import (
    Organisation,
    Project,
    Reserve,
    Stage,
    Territory,
    TrackedQuerySet,
    validate_not_future,
    validate_single_line,
)
from tdi.formats import french_date
from tdi.pdf import official_document

from . import events
from .documents import MINUTES, minutes_context


class CommitteeKind(models.TextChoices):
    COTECH = "cotech", "Comité technique (COTECH)"
    COPIL = "copil", "Comité de pilotage (COPIL)"
    OTHER = "other", "Autre instance"


class CommitteeQuerySet(TrackedQuerySet):
    def visible_to(self, access) -> CommitteeQuerySet:
        """The committees of the territories the user works in, and those they sit on."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        return self.filter(access.q_territories() | Q(pk__in=access.seats))


class Committee(models.Model):
    """A committee of a territory: the technical committee, the steering committee, or another."""

    Kind = CommitteeKind

    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="committees", verbose_name="territoire"
    )
    kind = models.CharField("type", max_length=10, choices=CommitteeKind.choices)
    name = models.CharField("nom", max_length=200, validators=[validate_single_line])
    quorum = models.PositiveSmallIntegerField(
        "quorum",
        null=True,
        blank=True,
        help_text="Nombre de membres présents ou représentés requis pour délibérer.",
    )
    requires_chair_approval = models.BooleanField(
        "approbation des présidents requise",
        default=False,
        help_text="Le compte rendu ne peut être validé qu'une fois approuvé dans l'application "
        "par la présidence et la co-présidence.",
    )

    objects = CommitteeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "comité"
        ordering = ["territory", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CommitteeKind.values), name="committee_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("committees:detail", args=[self.pk])

    @property
    def short_name(self) -> str:
        return {CommitteeKind.COTECH: "COTECH", CommitteeKind.COPIL: "COPIL"}.get(
            self.kind, self.name
        )

    @property
    def examination(self) -> tuple[str, str] | None:
        """(stage a project must be in to be examined, stage while on the agenda)."""
        return {
            CommitteeKind.COTECH: (Stage.ELIGIBLE, Stage.COTECH),
            CommitteeKind.COPIL: (Stage.READY_COPIL, Stage.COPIL),
        }.get(self.kind)

    def can_manage(self, user) -> bool:
        return Access.of(user).manages(self.territory_id)


class MemberRole(models.TextChoices):
    CHAIR = "chair", "Président·e"
    CO_CHAIR = "co_chair", "Co-président·e"
    MEMBER = "member", "Membre titulaire"
    SUBSTITUTE = "substitute", "Suppléant·e"
    GUEST = "guest", "Invité·e permanent·e"


VOTING_ROLES = (MemberRole.CHAIR, MemberRole.CO_CHAIR, MemberRole.MEMBER)


def _name_key(name: str) -> str:
    """A typed name, compared without case or extra spaces ("représenté·e par" is free text)."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Quorum:
    """How many voting seats are filled at a meeting, and whether that is enough to deliberate."""

    present: int  # voting seats present or represented
    seats: int  # voting seats of the committee
    required: int | None  # None: the committee sets no quorum
    recorded: bool = True  # attendance has been taken

    @property
    def decisions_are_opinions(self) -> bool:
        """Without quorum, the minutes still go out, but what was decided is an opinion."""
        return self.recorded and self.reached is False

    @property
    def reached(self) -> bool | None:
        return None if self.required is None else self.present >= self.required

    @property
    def present_text(self) -> str:
        s = "s" if self.present > 1 else ""
        return f"{self.present} siège{s} votant{s} présent{s} ou représenté{s} sur {self.seats}"

    def __str__(self) -> str:
        text = self.present_text
        if self.required is not None:
            text += f" — quorum de {self.required} : "
            text += "atteint" if self.reached else "non atteint"
        return text


class CommitteeMember(models.Model):
    """A seat in a committee: a user of the application or an external person."""

    Role = MemberRole

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="members", verbose_name="comité"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_seats",
        verbose_name="compte",
    )
    name = models.CharField(
        "nom (personne externe)", max_length=200, blank=True, validators=[validate_single_line]
    )
    email = models.EmailField("adresse électronique (personne externe)", blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )
    role = models.CharField("rôle", max_length=20, choices=MemberRole.choices)
    is_active = models.BooleanField("actif", default=True)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "membre de comité"
        verbose_name_plural = "membres de comité"
        ordering = ["committee", "role", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(name=""), name="member_has_a_name"
            ),
            models.CheckConstraint(condition=Q(role__in=MemberRole.values), name="member_role"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if not self.user_id and not self.name.strip():
            raise ValidationError(
                {"name": "Choisissez un compte ou indiquez le nom de la personne externe."}
            )

    @property
    def display_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return self.name

    @property
    def chair_rank(self) -> int | None:
        """Where the seat signs the minutes: 0 the président·e, 1 a co-président·e."""
        return {MemberRole.CHAIR: 0, MemberRole.CO_CHAIR: 1}.get(self.role)

    @property
    def contact_email(self) -> str:
        return self.user.email if self.user_id else self.email


class MeetingStatus(models.TextChoices):
    PREPARATION = "preparation", "En préparation"
    CONVENED = "convened", "Convoquée"
    HELD = "held", "Tenue"
    VALIDATED = "validated", "Compte rendu validé"
    CANCELLED = "cancelled", "Annulée"


M = MeetingStatus
# The moves of a meeting (DESIGN §5), each with what its page offers.
MEETING_STEPS: dict[tuple[str, str], Step] = {
    (M.PREPARATION, M.CONVENED): Step(
        "convene", "Convoquer les membres", "Envoyer la convocation à tous les membres du comité ?"
    ),
    (M.CONVENED, M.HELD): Step("hold", "Ouvrir la séance (présences et décisions)"),
    (M.HELD, M.VALIDATED): Step(
        "validate",
        "Valider le compte rendu",
        "Valider le compte rendu ? La séance, ses décisions et les présences ne pourront plus "
        "être modifiées.",
    ),
    **{
        (s, M.CANCELLED): Step("cancel", "Annuler la séance", motive_required=True)
        for s in (M.PREPARATION, M.CONVENED)
    },
}


class MeetingQuerySet(TrackedQuerySet):
    def visible_to(self, access) -> MeetingQuerySet:
        """The meetings whose agenda the user may read (DESIGN §8): every meeting of the
        territories where the role allows it, those of the committees they sit on (they receive
        the convocations), and those examining a project they lead."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        own_items = AgendaItem.objects.filter(project_id__in=access.led).values("meeting_id")
        return self.filter(
            access.q(Right.MEETINGS, "committee__territory_id")
            | Q(committee_id__in=access.seats)
            | Q(pk__in=own_items)
        )

    def debates_readable_by(self, access) -> MeetingQuerySet:
        """The meetings whose debates and decisions the user reads as a whole (the filter of
        Access.reads_debates): before validation the coordination and the seat-holders, once
        validated whoever reads the minutes."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        return self.filter(
            access.q(Right.DEBATES, "committee__territory_id")
            | Q(committee_id__in=access.seats)
            | (
                Q(status=MeetingStatus.VALIDATED)
                & access.q(Right.MINUTES, "committee__territory_id")
            )
        )


class Meeting(Lifecycle):
    """A meeting (séance) of a committee, from its agenda to its validated minutes."""

    Status = MeetingStatus
    TRANSITIONS = MEETING_STEPS
    FROZEN_IN = frozenset({MeetingStatus.VALIDATED})
    FROZEN_MESSAGE = "Le compte rendu de cette séance est validé : elle ne peut plus être modifiée."
    ARCHIVE = Archive(
        prefix="minutes", name="compte-rendu", frozen_at="validated_at", frozen_by="validated_by"
    )
    frozen_once = ("minutes_pdf", "minutes_sha256")

    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="meetings", verbose_name="comité"
    )
    # Fixed at the convocation, in date order among the committee's meetings (DESIGN §5).
    number = models.PositiveSmallIntegerField("numéro", null=True, blank=True, editable=False)
    starts_at = models.DateTimeField("date et heure")
    place = models.CharField("lieu", max_length=300, blank=True, validators=[validate_single_line])
    video_link = models.URLField("lien de visioconférence", blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PREPARATION
    )
    minutes_intro = models.TextField("introduction du compte rendu", blank=True, max_length=20000)
    minutes_conclusion = models.TextField(
        "conclusion du compte rendu", blank=True, max_length=20000
    )
    convened_at = models.DateTimeField("convoquée le", null=True, blank=True)
    # Agenda changes since the convocation or the last notice, sent on request as one summary.
    pending_changes = models.JSONField(
        "modifications de l'ordre du jour non notifiées", default=list, blank=True
    )
    cancel_reason = models.TextField("motif d'annulation", blank=True, max_length=2000)
    advanced_motive = models.TextField(
        "motif de l'ouverture anticipée", blank=True, max_length=2000
    )
    validated_at = models.DateTimeField("compte rendu validé le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    # The validated minutes as HTML, fixed at validation; their PDF/A is printed from it.
    minutes_html = models.TextField("compte rendu validé (HTML)", blank=True, editable=False)
    minutes_pdf = models.FileField("compte rendu (PDF archivé)", upload_to="minutes/", blank=True)
    minutes_sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64, blank=True)
    content_sha256 = models.CharField("empreinte SHA-256 du contenu", max_length=64, blank=True)

    objects = MeetingQuerySet.as_manager()
    # The HTML is the minutes themselves, already fingerprinted: not copied into every version.
    history = HistoricalRecords(excluded_fields=["minutes_html"])

    class Meta:
        verbose_name = "séance"
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "number"], name="meeting_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("committees:meeting", args=[self.pk])

    @property
    def title(self) -> str:
        day = french_date(timezone.localdate(self.starts_at))
        if self.number is None:  # not convened yet (or cancelled before)
            return f"{self.committee.short_name} du {day} (en préparation)"
        return f"{self.committee.short_name} n° {self.number} du {day}"

    @property
    def number_label(self) -> str:
        """« n° 3 », or what stands for it before the convocation."""
        return f"n° {self.number}" if self.number is not None else "non numérotée"

    @property
    def is_locked(self) -> bool:  # the minutes are validated
        return self.is_frozen

    @property
    def is_held(self) -> bool:  # open: attendance and decisions are being recorded
        return self.status == MeetingStatus.HELD

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def has_draft_minutes(self) -> bool:
        """Held, minutes not yet validated: a draft (PROJET) can be read."""
        return self.status == MeetingStatus.HELD

    @property
    def agenda_is_open(self) -> bool:
        return self.status in (MeetingStatus.PREPARATION, MeetingStatus.CONVENED)

    def check_agenda_edit(self, by) -> None:
        self.check_manage(by)
        if not self.agenda_is_open:
            raise ValidationError(
                "L'ordre du jour ne se modifie que sur une séance en préparation ou convoquée."
            )

    @property
    def total_duration(self) -> int:
        return sum(item.duration for item in self.items.all())

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=max(self.total_duration, 60))

    def can_manage(self, user) -> bool:
        return self.committee.can_manage(user)

    def check_manage(self, user) -> None:
        self.refuse_if_frozen()
        if not self.can_manage(user):
            raise PermissionDenied("Seule la coordination du territoire peut gérer cette séance.")

    # --- agenda -----------------------------------------------------------------------

    def candidate_projects(self):
        """Projects this committee may examine now, not already on an open agenda."""
        if not self.committee.examination:
            return Project.objects.none()
        waiting, _on_agenda = self.committee.examination
        return (
            Project.objects.active()
            .filter(territory_id=self.committee.territory_id, stage=waiting)
            .order_by("reference")
        )

    def _next_order(self) -> int:
        return (self.items.aggregate(n=Max("order"))["n"] or 0) + 1

    def add_project(
        self, project: Project, *, by, rapporteur: str = "", duration: int = 15, at=None
    ) -> AgendaItem:
        """Put a project on the agenda: it moves to the examination stage at once."""
        self.check_agenda_edit(by)
        if not self.committee.examination:
            raise ValidationError("Cette instance n'examine pas de projets.")
        waiting, on_agenda = self.committee.examination
        with transaction.atomic():
            project = Project.objects.select_for_update().get(pk=project.pk)
            if project.territory_id != self.committee.territory_id:
                raise ValidationError("Ce projet n'appartient pas au territoire du comité.")
            if project.stage != waiting:
                raise ValidationError(
                    f"Seuls les projets à l'étape « {Stage(waiting).label} » peuvent être "
                    f"inscrits : « {project.title} » est à l'étape « {project.get_stage_display()} »."
                )
            item = AgendaItem(
                meeting=self,
                order=self._next_order(),
                kind=AgendaItem.Kind.PROJECT,
                project=project,
                title=project.title,
                rapporteur=rapporteur,
                duration=duration,
            )
            save_change(item, by=by, reason="Inscription à l'ordre du jour", at=at)
            reason = f"Inscrit à l'ordre du jour du {self.title}"
            project.follow_committee(on_agenda, by=by, cause=item, reason=reason, at=at)
            self._agenda_changed(by, f"ajout du projet « {project.title} »")
        return item

    def add_item(
        self, *, kind: str, title: str, by, rapporteur: str = "", duration: int = 10, at=None
    ) -> AgendaItem:
        self.check_agenda_edit(by)
        if kind == AgendaItem.Kind.PROJECT or kind not in AgendaItem.Kind.values:
            raise ValidationError("Type de point invalide.")
        with transaction.atomic():
            item = AgendaItem(
                meeting=self,
                order=self._next_order(),
                kind=kind,
                title=title,
                rapporteur=rapporteur,
                duration=duration,
            )
            save_change(item, by=by, reason="Inscription à l'ordre du jour", at=at)
            self._agenda_changed(by, f"ajout du point « {title} »")
        return item

    def remove_item(self, item: AgendaItem, *, by, at=None) -> None:
        """Take an item off the agenda; a project goes back to the stage it waited in."""
        self.check_agenda_edit(by)
        with transaction.atomic():
            if item.project_id:
                waiting, _ = self.committee.examination
                reason = f"Retiré de l'ordre du jour du {self.title}"
                item.project.follow_committee(waiting, by=by, cause=item, reason=reason, at=at)
            with history_stamp(item, by=by, reason="Retrait de l'ordre du jour", at=at):
                item.delete()
            self._renumber(by, at=at)
            self._agenda_changed(by, f"retrait du point « {item.title} »")

    def move_item(self, item: AgendaItem, offset: int, *, by, at=None) -> None:
        """Move an item up (-1) or down (+1) in the agenda."""
        self.check_agenda_edit(by)
        items = list(self.items.order_by("order", "pk"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        target = index + offset
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        with transaction.atomic():
            self._renumber(by, items, at=at)
            self._agenda_changed(by, f"nouvel ordre de passage pour « {item.title} »")

    def _renumber(self, by, items: list[AgendaItem] | None = None, *, at=None) -> None:
        items = items if items is not None else list(self.items.order_by("order", "pk"))
        for position, other in enumerate(items, 1):
            if other.order != position:
                other.order = position
                save_change(other, by=by, reason="Ordre du jour réordonné", at=at)

    def _agenda_changed(self, by, what: str) -> None:
        """After the convocation, an agenda change is recorded; members are told on request."""
        if self.status == MeetingStatus.CONVENED:
            # Read under lock: two concurrent edits both keep their line.
            pending = Meeting.objects.select_for_update().get(pk=self.pk).pending_changes
            self.pending_changes = [*(pending or []), what]
            reason = f"Ordre du jour modifié : {what}"[:100]
            save_change(self, by=by, reason=reason, update_fields=["pending_changes"])

    def notify_agenda_changes(self, *, by) -> int:
        """Send one summary of the pending agenda changes to every convened person."""
        self.check_manage(by)
        if self.status != MeetingStatus.CONVENED:
            raise ValidationError(
                "Seule une séance convoquée peut faire l'objet d'un rectificatif."
            )
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            changes = list(locked.pending_changes or [])
            if not changes:
                raise ValidationError("Aucune modification de l'ordre du jour à notifier.")
            self.pending_changes = []
            reason = "Membres prévenus des modifications de l'ordre du jour"
            save_change(self, by=by, reason=reason, update_fields=["pending_changes"])
            events.agenda_changed.send(Meeting, meeting=self, changes=changes, by=by)
        return len(changes)

    # --- lifecycle (MEETING_STEPS) ------------------------------------------------------

    def convene(self, *, by, at=None) -> int:
        """Number the meeting and convene everyone (DESIGN §5): one convocation each, with the
        agenda PDF, an invitation and a reply link, sent after commit; returns how many."""
        self.check_manage(by)
        if not self.items.exists():
            raise ValidationError("L'ordre du jour est vide : ajoutez au moins un point.")
        at = at or timezone.now()
        with transaction.atomic():
            # One numbering at a time per committee: the committee row is the lock.
            Committee.objects.select_for_update().get(pk=self.committee_id)
            numbered = Meeting.objects.filter(committee_id=self.committee_id, number__isnull=False)
            last = numbered.exclude(pk=self.pk).order_by("-starts_at", "-number").first()
            if last and self.starts_at < last.starts_at:
                raise ValidationError(
                    f"Cette séance du {french_date(self.starts_at)} est antérieure à la dernière "
                    f"séance numérotée du comité ({last.title}) : les numéros suivent les dates. "
                    "Corrigez la date avant de convoquer."
                )
            number = (numbered.aggregate(n=Max("number"))["n"] or 0) + 1
            self.transition_to(
                MeetingStatus.CONVENED,
                by=by,
                reason="Convocation envoyée",
                at=at,
                convened_at=at,
                number=number,
            )
            answers = events.convened.send(Meeting, meeting=self, by=by, at=at)
            return sum(count for _receiver, count in answers)

    @property
    def day(self):
        """The local date of the meeting: the day it may be opened from."""
        return timezone.localdate(self.starts_at)

    def hold(self, *, by, motive: str = "", at=None) -> None:
        """Open the meeting, no earlier than its day unless a motive says why (DESIGN §5)."""
        self.check_manage(by)
        at = at or timezone.now()
        motive = (motive or "").strip()
        if timezone.localdate(at) >= self.day:
            self.transition_to(MeetingStatus.HELD, by=by, reason="Séance tenue", at=at)
            return
        if not motive:
            raise ValidationError(
                f"La séance est prévue le {french_date(self.day)} : elle ne peut pas être "
                "ouverte avant ce jour sans motif. Indiquez le motif de l'ouverture anticipée."
            )
        self.transition_to(
            MeetingStatus.HELD,
            by=by,
            reason=f"Séance tenue par anticipation : {motive}",
            at=at,
            advanced_motive=motive,
        )

    def cancel(self, *, by, reason: str, at=None) -> None:
        """Cancel the meeting: every project on its agenda goes back to the stage it waited in."""
        self.check_manage(by)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("Le motif d'annulation est obligatoire.")
        with transaction.atomic():
            self.locked_for(MeetingStatus.CANCELLED)
            if self.committee.examination:
                waiting, _ = self.committee.examination
                why = f"Annulation du {self.title} : {reason}"
                for item in self.items.filter(project__isnull=False).select_related("project"):
                    item.project.follow_committee(waiting, by=by, cause=self, reason=why, at=at)
            self.transition_to(
                MeetingStatus.CANCELLED,
                by=by,
                reason=f"Séance annulée : {reason}",
                at=at,
                cancel_reason=reason,
            )
            events.cancelled.send(Meeting, meeting=self, by=by)  # those convened, if any

    def validation_problems(self, digest: str | None = None) -> list[str]:
        """What stands in the way of validation; `digest`: the draft's, if already computed."""
        problems = []
        if not self.attendances.exists():
            problems.append("Les présences n'ont pas été saisies.")
        # Every item gets an outcome (DESIGN §5): a decision, or « pris acte » for the others.
        items = [i for i in self.items.all() if not i.decision]
        if pending := [i.title for i in items if i.project_id]:
            problems.append("Décision manquante pour : " + ", ".join(pending) + ".")
        if pending := [i.title for i in items if not i.project_id]:
            problems.append("« Pris acte » manquant pour : " + ", ".join(pending) + ".")
        return problems + self.approval_problems(digest)

    # --- the chairs' approval of the draft (DESIGN §5) ------------------------------------

    def chairs(self) -> list[CommitteeMember]:
        """The active président·e and co-président·e, in that order."""
        seats = self.committee.members.filter(
            is_active=True, role__in=(MemberRole.CHAIR, MemberRole.CO_CHAIR)
        ).select_related("user")
        return sorted(seats, key=lambda m: m.role != MemberRole.CHAIR)

    def draft_digest(self) -> str:
        """The SHA-256 of what the minutes say (items, outcomes, reserves, attendance, actions,
        introduction and conclusion): what a chair approves."""
        items = self.items.order_by("order", "pk").prefetch_related("reserves")
        content = {
            "meeting": [
                self.starts_at.isoformat(),
                self.place,
                self.advanced_motive,
                self.minutes_intro,
                self.minutes_conclusion,
            ],
            "items": [
                [
                    i.order,
                    i.kind,
                    i.project_id,
                    i.title,
                    i.rapporteur,
                    i.notes,
                    i.decision,
                    i.motive,
                    i.votes_for,
                    i.votes_against,
                    i.votes_abstain,
                    sorted([r.text, str(r.due_on), r.owner_id] for r in i.reserves.all()),
                ]
                for i in items
            ],
            "attendance": sorted(
                self.attendances.values_list("member_id", "status", "represented_by")
            ),
            "actions": sorted(
                [a.what, a.owner, str(a.due_on), a.agenda_item_id or 0] for a in self.actions.all()
            ),
        }
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def approval_problems(self, digest: str | None = None) -> list[str]:
        """What is missing for the chairs' approval the committee requires, or []."""
        if not self.committee.requires_chair_approval:
            return []
        chairs = self.chairs()
        if not chairs:
            return [
                "Le comité exige l'approbation de sa présidence, mais n'a ni président·e ni "
                "co-président·e actif·ve."
            ]
        digest = digest or self.draft_digest()
        approvals = {a.member_id: a for a in self.approvals.all()}
        problems = []
        for chair in chairs:
            approval = approvals.get(chair.pk)
            who = f"{chair.display_name} ({chair.get_role_display().lower()})"
            if not chair.user_id:
                problems.append(
                    f"{who} n'a pas de compte tdi et ne peut pas approuver le projet : associez-lui "
                    "un compte dans la composition du comité."
                )
            elif approval is None:
                problems.append(f"Approbation du projet de compte rendu attendue de {who}.")
            elif approval.draft_digest != digest:
                problems.append(
                    f"Le projet a changé depuis l'approbation de {who} le "
                    f"{french_date(timezone.localdate(approval.approved_at))} : une nouvelle "
                    "approbation est attendue."
                )
        return problems

    def chair_seat_of(self, user) -> CommitteeMember | None:
        if not getattr(user, "is_authenticated", False):
            return None
        return next((c for c in self.chairs() if c.user_id == user.pk), None)

    def approve_draft(self, *, by, at=None) -> Approval:
        """A chair approves the draft minutes as they stand (a new approval replaces theirs)."""
        at = at or timezone.now()
        seat = self.chair_seat_of(by)
        if seat is None:
            raise PermissionDenied(
                "Seul·es la présidente ou le président et la co-présidence du comité approuvent "
                "le projet de compte rendu."
            )
        with transaction.atomic():
            if self.stored_status() != MeetingStatus.HELD:
                raise ValidationError(
                    "Seul le projet de compte rendu d'une séance ouverte s'approuve."
                )
            approval = self.approvals.filter(member=seat).first() or Approval(
                meeting=self, member=seat
            )
            approval.name, approval.capacity = seat.display_name, seat.get_role_display()
            approval.approved_at, approval.draft_digest = at, self.draft_digest()
            save_change(approval, by=by, reason="Projet de compte rendu approuvé", at=at)
        return approval

    def validate_minutes(self, *, by, at=None) -> None:
        """Validate the minutes: freeze the meeting with their HTML and its fingerprint; the
        PDF/A is printed from it after the commit, in the background (ARCHIVE)."""
        self.check_manage(by)
        at = at or timezone.now()
        with transaction.atomic():
            draft = self.locked_for(MeetingStatus.VALIDATED)
            if at < draft.ends_at:
                raise ValidationError(
                    "Le compte rendu ne peut pas être validé avant la fin de la séance "
                    f"(prévue le {french_date(draft.ends_at)})."
                )
            if problems := draft.validation_problems():
                raise ValidationError(problems)
            for attendance in draft.attendances.select_related(
                "member__user", "member__organisation"
            ):
                attendance.take_snapshot()
                save_change(
                    attendance,
                    by=by,
                    reason="Présences arrêtées au compte rendu",
                    at=at,
                    update_fields=Attendance.SNAPSHOT,
                )
            draft.validated_at, draft.validated_by = at, by  # printed in the minutes
            document = official_document(
                MINUTES, minutes_context(draft, final=True), prefix="minutes"
            )
            self.transition_to(
                MeetingStatus.VALIDATED,
                by=by,
                reason="Compte rendu validé",
                at=at,
                validated_at=at,
                validated_by=by,
                **document,
            )
            self.schedule_archive()
            events.minutes_validated.send(Meeting, meeting=self, by=by)

    def archive_stored(self) -> None:
        """The minutes' PDF is stored: the messages that attach it can leave."""
        events.minutes_archived.send(Meeting, meeting=self)

    # --- attendance and actions -------------------------------------------------------

    def quorum(
        self,
        *,
        attendances: list[Attendance] | None = None,
        active_members: list[CommitteeMember] | None = None,
    ) -> Quorum:
        """Voting seats present or represented, against the committee's quorum (DESIGN §5).

        Chairs and titulaires hold the voting seats and count once, present or represented
        (by their suppléant·e or a proxy); a suppléant·e present counts only for a seat left
        empty, never on top of the titulaire they stand in for; invité·es never count. While
        the meeting is held, every active seat counts; otherwise the seats are those recorded
        (later changes to the committee do not rewrite them). A page that has already loaded
        the attendances (with their member) or the active members may pass them.
        """
        if attendances is None:
            attendances = list(self.attendances.select_related("member__user"))
        if self.is_held and active_members is None:
            active_members = list(self.committee.members.filter(is_active=True))
        return self._count_seats(attendances, active_members if self.is_held else [])

    def expected_quorum(self, invitations: list[Invitation] | None = None) -> Quorum:
        """The quorum the answers to the convocation promise: the same count as on the day,
        with a proxy given to someone not coming left out."""
        if invitations is None:
            invitations = list(self.invitations.select_related("member__user", "proxy_to__user"))
        replies = {i.member_id: i for i in invitations if i.member_id}
        attendances = []
        for invitation in replies.values():
            attendance = invitation.as_attendance()
            holder = replies.get(invitation.proxy_to_id)
            if attendance and holder and holder.reply in (ReplyStatus.EXCUSED, ReplyStatus.PROXY):
                attendance.status, attendance.represented_by = AttendanceStatus.EXCUSED, ""
            if attendance:
                attendances.append(attendance)
        members = list(self.committee.members.filter(is_active=True).select_related("user"))
        return self._count_seats(attendances, members)

    def _count_seats(self, attendances: list[Attendance], members: list) -> Quorum:
        recorded = {a.member_id: a for a in attendances}
        # Each seat's role and name: as recorded (frozen at validation), else the member's now.
        seat = {a.member_id: (a.shown_role, a.shown_name) for a in attendances}
        seat.update((m.pk, (m.role, m.display_name)) for m in members)
        status = {pk: a.status for pk, a in recorded.items()}
        seats = [pk for pk, (role, _name) in seat.items() if role in VOTING_ROLES]
        present = (AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED)
        filled = sum(1 for pk in seats if status.get(pk) in present)
        # A suppléant·e named as someone's representative holds that seat, already counted.
        representing = {
            _name_key(recorded[pk].represented_by)
            for pk in seats
            if status.get(pk) == AttendanceStatus.REPRESENTED
        }
        substitutes = sum(
            1
            for pk, (role, name) in seat.items()
            if role == MemberRole.SUBSTITUTE
            and status.get(pk) == AttendanceStatus.PRESENT
            and _name_key(name) not in representing
        )
        filled += min(substitutes, len(seats) - filled)
        return Quorum(
            present=filled,
            seats=len(seats),
            required=self.committee.quorum,
            recorded=bool(recorded),
        )

    @property
    def present_count(self) -> int:
        return self.quorum().present

    @property
    def quorum_reached(self) -> bool | None:
        return self.quorum().reached

    def carried_over_actions(self):
        """Open action items of earlier meetings of the same committee."""
        return ActionItem.objects.filter(
            meeting__committee_id=self.committee_id,
            meeting__starts_at__lt=self.starts_at,
            done_on__isnull=True,
        ).select_related("meeting", "meeting__committee")


class ItemKind(models.TextChoices):
    PROJECT = "project", "Examen de projet"
    INFORMATION = "information", "Information"
    OTHER = "other", "Point divers"


class Decision(models.TextChoices):
    # COTECH opinions
    FAVORABLE = "favorable", "Avis favorable"
    FAVORABLE_RESERVES = "favorable_reserves", "Avis favorable sous réserves"
    ADJOURNED = "adjourned", "Ajourné – compléments demandés"
    UNFAVORABLE = "unfavorable", "Avis défavorable"
    REDIRECTED = "redirected", "Réorientation"
    WITHDRAWN = "withdrawn", "Retiré de l'ordre du jour"
    # COPIL decisions
    VALIDATED = "validated", "Validé"
    VALIDATED_CONDITIONS = "validated_conditions", "Validé sous conditions"
    REFERRED_BACK = "referred_back", "Ajourné / renvoyé en COTECH"
    REJECTED = "rejected", "Rejeté"
    NOTED = "noted", "Pris acte"


# Where each decision takes the project, per committee kind.
OUTCOMES = {
    CommitteeKind.COTECH: {
        Decision.FAVORABLE: Stage.READY_COPIL,
        Decision.FAVORABLE_RESERVES: Stage.RESERVES,
        Decision.ADJOURNED: Stage.DRAFTING,
        Decision.UNFAVORABLE: Stage.REJECTED,
        Decision.REDIRECTED: Stage.REDIRECTED,
        Decision.WITHDRAWN: Stage.ELIGIBLE,
    },
    CommitteeKind.COPIL: {
        Decision.VALIDATED: Stage.APPROVED,
        Decision.VALIDATED_CONDITIONS: Stage.APPROVED,
        Decision.REFERRED_BACK: Stage.ELIGIBLE,
        Decision.REJECTED: Stage.REJECTED,
    },
}
MOTIVE_OPTIONAL = {Decision.FAVORABLE, Decision.VALIDATED, Decision.NOTED}
WITH_RESERVES = {Decision.FAVORABLE_RESERVES, Decision.VALIDATED_CONDITIONS}


class AgendaItemQuerySet(TrackedQuerySet):
    def decisions_readable_by(self, access) -> AgendaItemQuerySet:
        """The items with an outcome whose decision, motive and reserves the user reads (the
        filter of Access.reads_decision): those of the meetings whose debates they read, and a
        lead's own items of validated minutes; never an item of a meeting they cannot open."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        own_items = Q(
            meeting__status=MeetingStatus.VALIDATED,
            project_id__in=access.led,
            meeting__committee__territory_id__in=list(access.roles),
        )
        return self.exclude(decision="").filter(
            Q(meeting__in=Meeting.objects.visible_to(access)),
            Q(meeting__in=Meeting.objects.debates_readable_by(access)) | own_items,
        )


class AgendaItem(Freezable):
    """A point of a meeting's agenda: a project examination or a free item, with its decision."""

    Kind = ItemKind
    Decision = Decision
    frozen_with = "meeting"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="items", verbose_name="séance"
    )
    order = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("type", max_length=20, choices=ItemKind.choices)
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name="projet",
    )
    title = models.CharField("intitulé", max_length=300, validators=[validate_single_line])
    rapporteur = models.CharField(
        "rapporteur", max_length=200, blank=True, validators=[validate_single_line]
    )
    duration = models.PositiveSmallIntegerField(
        "durée prévue (min)", default=15, help_text="En minutes."
    )
    notes = models.TextField("débats (compte rendu)", blank=True, max_length=20000)
    decision = models.CharField("décision", max_length=30, choices=Decision.choices, blank=True)
    motive = models.TextField("motif", blank=True, max_length=4000)
    votes_for = models.PositiveSmallIntegerField("voix pour", null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField("voix contre", null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField("abstentions", null=True, blank=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    reserves = models.ManyToManyField(
        Reserve, blank=True, related_name="agenda_items", verbose_name="réserves créées"
    )

    objects = AgendaItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "point de l'ordre du jour"
        verbose_name_plural = "points de l'ordre du jour"
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ItemKind.PROJECT, project__isnull=False)
                | (~Q(kind=ItemKind.PROJECT) & Q(project__isnull=True)),
                name="item_project_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=Decision.values),
                name="item_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def decision_choices(self) -> list[tuple[str, str]]:
        """The decisions this item may receive, given its kind and the committee's."""
        if not self.project_id:
            return [(Decision.NOTED, Decision.NOTED.label)]
        outcomes = OUTCOMES.get(self.meeting.committee.kind, {})
        return [(d.value, d.label) for d in outcomes]

    def record_decision(
        self,
        decision: str,
        *,
        by,
        motive: str = "",
        votes: tuple[int | None, int | None, int | None] = (None, None, None),
        reserves: list[dict] | None = None,
        at=None,
    ) -> None:
        """Record (or amend) the decision on this item and move the project at once.

        An amendment first takes the project back to its examination stage, then applies the
        new outcome: both moves are in the history, with the meeting as the reason and the item
        as the cause. A reserve's origin leaves out the motive (confidential until validation).
        """
        meeting = self.meeting
        meeting.check_manage(by)
        if not meeting.is_held:
            raise ValidationError("Les décisions s'enregistrent une fois la séance ouverte.")
        motive = (motive or "").strip()
        reserves = [r for r in (reserves or []) if (r.get("text") or "").strip()]
        if decision not in dict(self.decision_choices()):
            raise ValidationError("Cette décision n'est pas possible pour ce point.")
        if decision not in MOTIVE_OPTIONAL and not motive:
            raise ValidationError("Le motif est obligatoire pour cette décision.")
        if decision in WITH_RESERVES and not reserves and not self._kept_reserves(decision):
            raise ValidationError("Indiquez au moins une réserve ou condition.")
        if sum(v or 0 for v in votes) > (seats := meeting.quorum().present):
            raise ValidationError(
                f"Les voix exprimées dépassent les {seats} sièges votants présents ou représentés."
            )
        label = Decision(decision).label
        origin = f"{meeting.title} — {label}"
        reason = origin + (f" : {motive}" if motive else "")
        at = at or timezone.now()
        with transaction.atomic():
            # Lock the item: a concurrent decision waits, then sees this one and amends it.
            previous = AgendaItem.objects.select_for_update().get(pk=self.pk).decision
            if self.project_id:
                self._move_project(previous, decision, by=by, reason=reason, at=at)
                if previous != decision or reserves:
                    self._replace_reserves(decision, reserves, by=by, origin=origin, at=at)
            self.decision = decision
            self.motive = motive
            self.votes_for, self.votes_against, self.votes_abstain = votes
            self.decided_at = at
            change = f"Décision amendée : {Decision(previous).label} → {label}" if previous else ""
            save_change(self, by=by, reason=change or "Décision enregistrée", at=at)

    def _kept_reserves(self, decision: str) -> bool:
        return self.decision == decision and self.reserves.exists()

    def _move_project(self, previous: str, decision: str, *, by, reason: str, at) -> None:
        outcomes = OUTCOMES[self.meeting.committee.kind]
        _waiting, examining = self.meeting.committee.examination
        project = Project.objects.select_for_update().get(pk=self.project_id)
        if previous:
            expected = outcomes[previous]
            if project.stage != expected:
                raise ValidationError(
                    "Le projet a changé d'étape depuis la décision "
                    f"(« {project.get_stage_display()} ») : la décision ne peut plus être amendée."
                )
            if outcomes[previous] == outcomes[decision]:
                return
            amended = f"Amendement de la décision — {reason}"
            project.follow_committee(examining, by=by, cause=self, reason=amended, at=at)
        project.follow_committee(outcomes[decision], by=by, cause=self, reason=reason, at=at)

    def _replace_reserves(self, decision: str, reserves: list[dict], *, by, origin: str, at):
        for old in self.reserves.all():
            if not old.is_lifted:
                reason = "Réserve annulée par l'amendement de la décision"
                with history_stamp(old, by=by, reason=reason, at=at):
                    old.delete()
        if decision not in WITH_RESERVES:
            return
        for data in reserves:
            reserve = Reserve(
                project_id=self.project_id,
                text=data["text"].strip(),
                owner=data.get("owner"),
                due_on=data.get("due_on"),
                origin=origin[:300],
                created_at=at,
            )
            save_change(reserve, by=by, reason=origin[:100], at=at)
            self.reserves.add(reserve)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Présent·e"
    EXCUSED = "excused", "Excusé·e"
    ABSENT = "absent", "Absent·e"
    REPRESENTED = "represented", "Représenté·e"


class Attendance(Freezable):
    """Whether a member attended a meeting."""

    Status = AttendanceStatus
    frozen_with = "meeting"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name="séance"
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="attendances", verbose_name="membre"
    )
    status = models.CharField("présence", max_length=20, choices=AttendanceStatus.choices)
    represented_by = models.CharField(
        "représenté·e par", max_length=200, blank=True, validators=[validate_single_line]
    )
    # What the validated minutes say of the member, as they were that day: a later rename, a
    # change of role or organisation does not rewrite an official record.
    name = models.CharField("nom (à la validation)", max_length=200, blank=True)
    role = models.CharField(
        "rôle (à la validation)", max_length=20, choices=MemberRole.choices, blank=True
    )
    organisation_name = models.CharField(
        "organisation (à la validation)", max_length=300, blank=True
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "présence"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_unique"),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shown_name} — {self.get_status_display()}"

    SNAPSHOT = ("name", "role", "organisation_name")

    def take_snapshot(self) -> None:
        """Copy what the minutes show of the member (at validation)."""
        member = self.member
        self.name, self.role = member.display_name, member.role
        self.organisation_name = member.organisation.name if member.organisation_id else ""

    @property
    def shown_name(self) -> str:
        return self.name or self.member.display_name

    @property
    def shown_role(self) -> str:
        return self.role or self.member.role

    @property
    def shown_role_label(self) -> str:
        return MemberRole(self.shown_role).label

    @property
    def shown_organisation(self) -> str:
        if self.name:
            return self.organisation_name
        return self.member.organisation.name if self.member.organisation_id else ""

    def clean(self) -> None:
        if self.status == AttendanceStatus.REPRESENTED:
            proxy = _name_key(self.represented_by)
            if not proxy:
                raise ValidationError({"represented_by": "Indiquez qui représente ce membre."})
            if self.member_id and proxy == _name_key(self.member.display_name):
                raise ValidationError(
                    {"represented_by": "Un membre ne peut pas se représenter lui-même."}
                )


class ActionItem(Freezable):
    """A follow-up action decided in a meeting (relevé de décisions), carried over until done."""

    frozen_with = "meeting"
    frozen_except = ("done_on",)  # the follow-up goes on after the minutes are validated

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="actions", verbose_name="séance"
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="point",
    )
    what = models.CharField("action", max_length=500, validators=[validate_single_line])
    owner = models.CharField("responsable", max_length=200, validators=[validate_single_line])
    due_on = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField(
        "réalisée le", null=True, blank=True, validators=[validate_not_future]
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "action"
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.what

    @property
    def is_overdue(self) -> bool:
        return (
            self.done_on is None and self.due_on is not None and self.due_on < timezone.localdate()
        )


# --- before the meeting: who is convened, and what they answer ---------------------------


class ReplyStatus(models.TextChoices):
    PRESENT = "present", "Présent·e"
    EXCUSED = "excused", "Excusé·e"
    PROXY = "proxy", "Pouvoir donné"


class Invitation(Freezable):
    """One person convened to a meeting, once: a seat-holder, or the lead of a project on the
    agenda; and their answer before the meeting (présent·e, excusé·e, pouvoir à …).

    The answer comes from the person in the application or from the link of their convocation
    (signed, for this invitation only, valid once and until the meeting opens)."""

    Reply = ReplyStatus
    frozen_with = "meeting"
    LINK_SALT = "tdi.committees.reply"
    LINK_MAX_AGE = timedelta(days=120)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="invitations", verbose_name="séance"
    )
    member = models.ForeignKey(
        CommitteeMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name="siège",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="porteur·se de projet",
    )
    email = models.EmailField("adresse de convocation")
    reply = models.CharField("réponse", max_length=10, choices=ReplyStatus.choices, blank=True)
    proxy_to = models.ForeignKey(
        CommitteeMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proxies_received",
        verbose_name="pouvoir donné à",
    )
    replied_at = models.DateTimeField("répondu le", null=True, blank=True)
    link_uses = models.PositiveSmallIntegerField("réponses enregistrées", default=0)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "convocation"
        ordering = ["meeting", "member__role", "email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(user__isnull=False),
                name="invitation_has_a_person",
            ),
            models.UniqueConstraint(fields=["meeting", "email"], name="invitation_once"),
            models.CheckConstraint(
                condition=Q(reply="") | Q(reply__in=ReplyStatus.values), name="invitation_reply"
            ),
            models.CheckConstraint(
                condition=Q(reply=ReplyStatus.PROXY, proxy_to__isnull=False)
                | (~Q(reply=ReplyStatus.PROXY) & Q(proxy_to__isnull=True)),
                name="invitation_proxy_matches_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} — {self.meeting}"

    @property
    def display_name(self) -> str:
        if self.member_id:
            return self.member.display_name
        return self.user.get_full_name() or self.user.get_username()

    @property
    def capacity(self) -> str:
        return self.member.get_role_display() if self.member_id else "Porteur·se de projet"

    @property
    def may_give_proxy(self) -> bool:
        """Only a voting seat can be represented by a proxy (DESIGN §5)."""
        return bool(self.member_id) and self.member.role in VOTING_ROLES

    def proxy_choices(self):
        """Whom a voting seat may give its proxy to: another active member who votes or
        stands in (not an invité·e)."""
        return (
            self.meeting.committee.members.filter(is_active=True)
            .exclude(pk=self.member_id)
            .exclude(role=MemberRole.GUEST)
            .select_related("user")
        )

    def link_token(self) -> str:
        """The signed reply link's token: this invitation, and how many answers it has seen."""
        return signing.dumps([self.pk, self.link_uses], salt=self.LINK_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str) -> Invitation:
        """The invitation of a reply link, or ReplyLinkError with what to tell the person."""
        try:
            pk, uses = signing.loads(
                token, salt=cls.LINK_SALT, max_age=cls.LINK_MAX_AGE.total_seconds()
            )
        except signing.SignatureExpired as error:
            raise ReplyLinkError(ReplyLinkError.EXPIRED) from error
        except (signing.BadSignature, ValueError, TypeError) as error:
            raise ReplyLinkError(ReplyLinkError.FORGED) from error
        invitation = (
            cls.objects.select_related("meeting__committee__territory", "member__user", "user")
            .filter(pk=pk)
            .first()
        )
        if invitation is None:
            raise ReplyLinkError(ReplyLinkError.FORGED)
        if uses != invitation.link_uses:
            raise ReplyLinkError(ReplyLinkError.USED, invitation)
        return invitation

    def answer_refusal(self, at=None) -> str:
        """Why no answer can be recorded now, or ""."""
        meeting = self.meeting
        if meeting.is_cancelled:
            return "Cette séance a été annulée : aucune réponse n'est attendue."
        if meeting.status != MeetingStatus.CONVENED or (at or timezone.now()) >= meeting.starts_at:
            return (
                "La séance a commencé ou s'est tenue : les réponses à la convocation sont closes."
            )
        return ""

    def answer(self, reply: str, *, by=None, proxy_to: CommitteeMember | None = None, at=None):
        """Record the person's answer (`by`: their account, None through the reply link)."""
        at = at or timezone.now()
        if refusal := self.answer_refusal(at):
            raise ValidationError(refusal)
        if reply not in ReplyStatus.values:
            raise ValidationError({"reply": "Choisissez votre réponse."})
        if reply != ReplyStatus.PROXY:
            proxy_to = None
        elif not self.may_give_proxy:
            raise ValidationError({"reply": "Seul·e un·e membre votant·e peut donner pouvoir."})
        elif proxy_to is None:
            raise ValidationError({"proxy_to": "Indiquez à qui vous donnez pouvoir."})
        elif proxy_to.pk == self.member_id:
            raise ValidationError({"proxy_to": "Vous ne pouvez pas vous donner pouvoir."})
        elif not self.proxy_choices().filter(pk=proxy_to.pk).exists():
            raise ValidationError(
                {"proxy_to": "Le pouvoir se donne à un·e autre membre du comité."}
            )
        else:
            holder = self.meeting.invitations.filter(member=proxy_to).first()
            if holder and holder.reply in (ReplyStatus.EXCUSED, ReplyStatus.PROXY):
                raise ValidationError(
                    {
                        "proxy_to": f"{proxy_to.display_name} a répondu « "
                        f"{holder.get_reply_display()} » : donnez votre pouvoir à un·e membre "
                        "qui sera présent·e."
                    }
                )
        with transaction.atomic():
            self.refuse_frozen_write()
            locked = Invitation.objects.select_for_update().get(pk=self.pk)
            self.link_uses = locked.link_uses + 1  # the link of the e-mail has served
            self.reply, self.proxy_to, self.replied_at = reply, proxy_to, at
            label = ReplyStatus(reply).label
            reason = f"Réponse à la convocation : {label}"
            if proxy_to:
                reason = f"Réponse à la convocation : pouvoir à {proxy_to.display_name}"
            channel = " (lien de la convocation)" if by is None else ""
            save_change(self, by=by, reason=(reason + channel)[:100], at=at)

    def as_attendance(self) -> Attendance | None:
        """What the answer pre-fills in the attendance list (a seat only)."""
        if not self.member_id or not self.reply:
            return None
        if self.reply == ReplyStatus.PROXY:
            return Attendance(
                meeting=self.meeting,
                member=self.member,
                status=AttendanceStatus.REPRESENTED,
                represented_by=self.proxy_to.display_name,
            )
        status = {
            ReplyStatus.PRESENT: AttendanceStatus.PRESENT,
            ReplyStatus.EXCUSED: AttendanceStatus.EXCUSED,
        }[self.reply]
        return Attendance(meeting=self.meeting, member=self.member, status=status)


class ReplyLinkError(Exception):
    """A reply link that cannot be used, with the message for the person who followed it."""

    FORGED = "Ce lien de réponse n'est pas valide : vérifiez qu'il est complet, ou répondez depuis votre compte."
    EXPIRED = "Ce lien de réponse a expiré."
    USED = "Ce lien a déjà servi : votre réponse est enregistrée."

    def __init__(self, message: str, invitation: Invitation | None = None):
        super().__init__(message)
        self.message, self.invitation = message, invitation


# --- the e-mails around a meeting: one row per message, the log the coordinator reads -----


class DispatchKind(models.TextChoices):
    CONVOCATION = "convocation", "Convocation"
    CHANGES = "changes", "Modifications de l'ordre du jour"
    CANCELLATION = "cancellation", "Annulation"
    DECISION = "decision", "Décision (porteur·se)"
    MINUTES = "minutes", "Compte rendu validé"


class DispatchStatus(models.TextChoices):
    PENDING = "pending", "En attente d'envoi"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "Échec"


class Dispatch(models.Model):
    """One e-mail about a meeting to one person: written with the change that calls for it (in
    the same transaction), sent by a task after commit, retried on failure, kept as the log."""

    Kind = DispatchKind
    Status = DispatchStatus
    MAX_ATTEMPTS = 5

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="dispatches", verbose_name="séance"
    )
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name="convocation",
    )
    kind = models.CharField("envoi", max_length=20, choices=DispatchKind.choices)
    address = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=300)
    body = models.TextField("texte")
    reply_to = models.EmailField("réponse à (coordination)", blank=True)
    status = models.CharField(
        "état", max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "envoi"
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DispatchKind.values), name="dispatch_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DispatchStatus.values), name="dispatch_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.address}"


# --- the chairs' approval of the draft minutes --------------------------------------------


class Approval(Freezable):
    """A chair's approval of the draft minutes, as they read them: the digest of the draft's
    content at that moment. A later change of the draft calls for a new approval."""

    frozen_with = "meeting"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="approvals", verbose_name="séance"
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="+", verbose_name="siège"
    )
    name = models.CharField("nom", max_length=200)
    capacity = models.CharField("qualité", max_length=50)
    approved_at = models.DateTimeField("approuvé le")
    draft_digest = models.CharField("empreinte du projet approuvé", max_length=64)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "approbation du compte rendu"
        verbose_name_plural = "approbations du compte rendu"
        ordering = ["meeting", "member__role", "approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="approval_once_per_chair")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.capacity}) — {self.meeting}"
