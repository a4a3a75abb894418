"""Committees (COTECH, COPIL…), their members, meetings, agendas, decisions and minutes.

A decision moves a project through the project's own workflow (Project.move_to); the minutes,
once validated, freeze the meeting, its items, decisions and attendance.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from projects.models import (
    Organisation,
    Project,
    RemembersLoadedStatus,
    Reserve,
    Role,
    Stage,
    Territory,
    role_in,
    roles_of,
)
from projects.templatetags.tdi import french_date

IMMUTABLE_MESSAGE = "Le compte rendu de cette séance est validé : elle ne peut plus être modifiée."


class MeetingLocked(ValidationError, PermissionDenied):
    """An edit of a meeting whose minutes are validated: a validation error for the code that
    catches it, and a 403 with the French message for a request that does not."""

    def __init__(self):
        super().__init__(IMMUTABLE_MESSAGE)

    def __str__(self) -> str:
        return IMMUTABLE_MESSAGE


class CommitteeKind(models.TextChoices):
    COTECH = "cotech", "Comité technique (COTECH)"
    COPIL = "copil", "Comité de pilotage (COPIL)"
    OTHER = "other", "Autre instance"


class CommitteeQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommitteeQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(territory_id__in=list(roles_of(user)))


class Committee(models.Model):
    """A committee of a territory: the technical committee, the steering committee, or another."""

    Kind = CommitteeKind

    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="committees", verbose_name="territoire"
    )
    kind = models.CharField("type", max_length=10, choices=CommitteeKind.choices)
    name = models.CharField("nom", max_length=200)
    quorum = models.PositiveSmallIntegerField(
        "quorum",
        null=True,
        blank=True,
        help_text="Nombre de membres présents ou représentés requis pour délibérer.",
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
        return role_in(user, self.territory_id) == Role.COORDINATOR


class MemberRole(models.TextChoices):
    CHAIR = "chair", "Président·e"
    CO_CHAIR = "co_chair", "Co-président·e"
    MEMBER = "member", "Membre titulaire"
    SUBSTITUTE = "substitute", "Suppléant·e"
    GUEST = "guest", "Invité·e permanent·e"


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
    name = models.CharField("nom (personne externe)", max_length=200, blank=True)
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
    def contact_email(self) -> str:
        return self.user.email if self.user_id else self.email


class MeetingStatus(models.TextChoices):
    PREPARATION = "preparation", "En préparation"
    CONVENED = "convened", "Convoquée"
    HELD = "held", "Tenue"
    VALIDATED = "validated", "Compte rendu validé"
    CANCELLED = "cancelled", "Annulée"


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingQuerySet:
        """Meetings of the user's territories that the role may read (DESIGN §8)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        roles = roles_of(user)
        full = [t for t, r in roles.items() if r in (Role.COORDINATOR, Role.MEMBER)]
        leads = [t for t, r in roles.items() if r == Role.LEAD]
        partners = [t for t, r in roles.items() if r == Role.PARTNER]
        own_items = AgendaItem.objects.filter(project__lead_users=user).values("meeting_id")
        # Whoever sits on a committee reads its meetings (they receive the convocations).
        seated = CommitteeMember.objects.filter(user=user, is_active=True).values("committee_id")
        return self.filter(
            Q(committee__territory_id__in=list(roles), committee_id__in=seated)
            | Q(committee__territory_id__in=full)
            | Q(committee__territory_id__in=leads, pk__in=own_items)
            | Q(committee__territory_id__in=partners, status=MeetingStatus.VALIDATED)
        )


class Meeting(RemembersLoadedStatus):
    """A meeting (séance) of a committee, from its agenda to its validated minutes."""

    Status = MeetingStatus

    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="meetings", verbose_name="comité"
    )
    number = models.PositiveSmallIntegerField("numéro")
    starts_at = models.DateTimeField("date et heure")
    place = models.CharField("lieu", max_length=300, blank=True)
    video_link = models.URLField("lien de visioconférence", blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PREPARATION
    )
    minutes_intro = models.TextField("introduction du compte rendu", blank=True)
    minutes_conclusion = models.TextField("conclusion du compte rendu", blank=True)
    convened_at = models.DateTimeField("convoquée le", null=True, blank=True)
    cancel_reason = models.TextField("motif d'annulation", blank=True)
    validated_at = models.DateTimeField("compte rendu validé le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    minutes_pdf = models.FileField("compte rendu (PDF archivé)", upload_to="minutes/", blank=True)
    minutes_sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64, blank=True)
    content_sha256 = models.CharField("empreinte SHA-256 du contenu", max_length=64, blank=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

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

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            if not self.number:
                last = Meeting.objects.filter(committee=self.committee).aggregate(n=Max("number"))
                self.number = (last["n"] or 0) + 1
            super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("committees:meeting", args=[self.pk])

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            if self.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            return super().delete(*args, **kwargs)

    @property
    def title(self) -> str:
        return (
            f"{self.committee.short_name} n° {self.number} du {french_date(self.starts_at.date())}"
        )

    @property
    def is_locked(self) -> bool:
        return getattr(self, "_loaded_status", self.status) == MeetingStatus.VALIDATED

    @property
    def agenda_is_open(self) -> bool:
        return self.status in (MeetingStatus.PREPARATION, MeetingStatus.CONVENED)

    @property
    def total_duration(self) -> int:
        return sum(item.duration for item in self.items.all())

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=max(self.total_duration, 60))

    def can_manage(self, user) -> bool:
        return self.committee.can_manage(user)

    def check_manage(self, user) -> None:
        if self.is_locked:
            raise MeetingLocked()
        if not self.can_manage(user):
            raise PermissionDenied("Seule la coordination du territoire peut gérer cette séance.")

    def check_status(self, *statuses: str, action: str) -> None:
        if self.status not in statuses:
            labels = " ou ".join(f"« {MeetingStatus(s).label} »" for s in statuses)
            raise ValidationError(f"{action} n'est possible que pour une séance {labels}.")

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

    def add_project(self, project: Project, *, by, rapporteur: str = "", duration: int = 15):
        """Put a project on the agenda: it moves to the examination stage at once."""
        self.check_manage(by)
        self.check_status(
            MeetingStatus.PREPARATION, MeetingStatus.CONVENED, action="Modifier l'ordre du jour"
        )
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
            item._history_user = by
            item._change_reason = "Inscription à l'ordre du jour"
            item.save()
            project.move_to(
                on_agenda,
                by=by,
                automatic=True,
                reason=f"Inscrit à l'ordre du jour du {self.title}",
            )
            self._agenda_changed(by, f"ajout du projet « {project.title} »")
        return item

    def add_item(self, *, kind: str, title: str, by, rapporteur: str = "", duration: int = 10):
        self.check_manage(by)
        self.check_status(
            MeetingStatus.PREPARATION, MeetingStatus.CONVENED, action="Modifier l'ordre du jour"
        )
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
            item._history_user = by
            item._change_reason = "Inscription à l'ordre du jour"
            item.save()
            self._agenda_changed(by, f"ajout du point « {title} »")
        return item

    def remove_item(self, item: AgendaItem, *, by) -> None:
        """Take an item off the agenda; a project goes back to the stage it waited in."""
        self.check_manage(by)
        self.check_status(
            MeetingStatus.PREPARATION, MeetingStatus.CONVENED, action="Modifier l'ordre du jour"
        )
        with transaction.atomic():
            if item.project_id:
                waiting, _ = self.committee.examination
                item.project.move_to(
                    waiting,
                    by=by,
                    automatic=True,
                    reason=f"Retiré de l'ordre du jour du {self.title}",
                )
            item._history_user = by
            item._change_reason = "Retrait de l'ordre du jour"
            item.delete()
            self._renumber(by)
            self._agenda_changed(by, f"retrait du point « {item.title} »")

    def move_item(self, item: AgendaItem, offset: int, *, by) -> None:
        """Move an item up (-1) or down (+1) in the agenda."""
        self.check_manage(by)
        self.check_status(
            MeetingStatus.PREPARATION, MeetingStatus.CONVENED, action="Modifier l'ordre du jour"
        )
        items = list(self.items.order_by("order", "pk"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        target = index + offset
        if not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        with transaction.atomic():
            self._renumber(by, items)
            self._agenda_changed(by, f"nouvel ordre de passage pour « {item.title} »")

    def _renumber(self, by, items: list[AgendaItem] | None = None) -> None:
        items = items if items is not None else list(self.items.order_by("order", "pk"))
        for position, other in enumerate(items, 1):
            if other.order != position:
                other.order = position
                other._history_user = by
                other._change_reason = "Ordre du jour réordonné"
                other.save()

    def _agenda_changed(self, by, what: str) -> None:
        """After the convocation, members are told of every agenda change."""
        if self.status == MeetingStatus.CONVENED:
            from .notifications import send_agenda_change

            transaction.on_commit(lambda: send_agenda_change(self, what))

    # --- lifecycle --------------------------------------------------------------------

    def _set_status(self, status: str, *, by, reason: str, **fields) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.status = status
        self._history_user = by
        self._change_reason = reason
        self.save()

    def convene(self, *, by) -> int:
        """Send the convocation (agenda PDF and .ics) to every member; returns the e-mails sent."""
        self.check_manage(by)
        self.check_status(MeetingStatus.PREPARATION, action="La convocation")
        if not self.items.exists():
            raise ValidationError("L'ordre du jour est vide : ajoutez au moins un point.")
        from .notifications import send_convocation

        with transaction.atomic():
            self._set_status(
                MeetingStatus.CONVENED,
                by=by,
                reason="Convocation envoyée",
                convened_at=timezone.now(),
            )
        return send_convocation(self)

    def hold(self, *, by) -> None:
        self.check_manage(by)
        self.check_status(MeetingStatus.CONVENED, action="Ouvrir la séance")
        self._set_status(MeetingStatus.HELD, by=by, reason="Séance tenue")

    def cancel(self, *, by, reason: str) -> None:
        """Cancel the meeting: every project on its agenda goes back to the stage it waited in."""
        self.check_manage(by)
        self.check_status(MeetingStatus.PREPARATION, MeetingStatus.CONVENED, action="L'annulation")
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("Le motif d'annulation est obligatoire.")
        with transaction.atomic():
            if self.committee.examination:
                waiting, _ = self.committee.examination
                for item in self.items.filter(project__isnull=False).select_related("project"):
                    item.project.move_to(
                        waiting,
                        by=by,
                        automatic=True,
                        reason=f"Annulation du {self.title} : {reason}",
                    )
            self._set_status(
                MeetingStatus.CANCELLED,
                by=by,
                reason=f"Séance annulée : {reason}",
                cancel_reason=reason,
            )
        if self.convened_at:
            from .notifications import send_cancellation

            send_cancellation(self)

    def validation_problems(self) -> list[str]:
        problems = []
        if not self.attendances.exists():
            problems.append("Les présences n'ont pas été saisies.")
        pending = [i.title for i in self.items.all() if i.project_id and not i.decision]
        if pending:
            problems.append("Décision manquante pour : " + ", ".join(pending) + ".")
        return problems

    def validate_minutes(self, *, by) -> None:
        """Validate the minutes: render the PDF once (PDF/A), store it with its SHA-256, freeze."""
        self.check_manage(by)
        self.check_status(MeetingStatus.HELD, action="La validation du compte rendu")
        if problems := self.validation_problems():
            raise ValidationError(problems)
        from .documents import minutes_html, render_minutes_pdf

        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            if locked.status != MeetingStatus.HELD:
                raise ValidationError("Le compte rendu a déjà été validé.")
            self.validated_at = timezone.now()
            self.validated_by = by
            # The content hash is computed on the final HTML before it carries the hash itself,
            # so that anyone can render it again and compare; the PDF's own hash is stored too.
            html = minutes_html(self, final=True)
            self.content_sha256 = hashlib.sha256(html.encode()).hexdigest()
            pdf = render_minutes_pdf(self, final=True)
            self.minutes_sha256 = hashlib.sha256(pdf).hexdigest()
            self.minutes_pdf.save(
                f"compte-rendu-{self.pk}-{self.minutes_sha256[:12]}.pdf",
                ContentFile(pdf),
                save=False,
            )
            self._set_status(MeetingStatus.VALIDATED, by=by, reason="Compte rendu validé")

    # --- attendance and actions -------------------------------------------------------

    @property
    def present_count(self) -> int:
        present = (Attendance.Status.PRESENT, Attendance.Status.REPRESENTED)
        return sum(1 for a in self.attendances.all() if a.status in present)

    @property
    def quorum_reached(self) -> bool | None:
        if self.committee.quorum is None:
            return None
        return self.present_count >= self.committee.quorum

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


class AgendaItem(models.Model):
    """A point of a meeting's agenda: a project examination or a free item, with its decision."""

    Kind = ItemKind
    Decision = Decision

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
    title = models.CharField("intitulé", max_length=300)
    rapporteur = models.CharField("rapporteur", max_length=200, blank=True)
    duration = models.PositiveSmallIntegerField(
        "durée prévue (min)", default=15, help_text="En minutes."
    )
    notes = models.TextField("débats (compte rendu)", blank=True)
    decision = models.CharField("décision", max_length=30, choices=Decision.choices, blank=True)
    motive = models.TextField("motif", blank=True)
    votes_for = models.PositiveSmallIntegerField("voix pour", null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField("voix contre", null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField("abstentions", null=True, blank=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    reserves = models.ManyToManyField(
        Reserve, blank=True, related_name="agenda_items", verbose_name="réserves créées"
    )

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

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.meeting.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            if self.meeting.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            return super().delete(*args, **kwargs)

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
    ) -> None:
        """Record (or amend) the decision on this item and move the project at once.

        An amendment first takes the project back to its examination stage, then applies the
        new outcome: both moves are in the history, with the meeting as the reason.
        """
        meeting = self.meeting
        meeting.check_manage(by)
        meeting.check_status(MeetingStatus.HELD, action="L'enregistrement d'une décision")
        motive = (motive or "").strip()
        reserves = [r for r in (reserves or []) if (r.get("text") or "").strip()]
        if decision not in dict(self.decision_choices()):
            raise ValidationError("Cette décision n'est pas possible pour ce point.")
        if decision not in MOTIVE_OPTIONAL and not motive:
            raise ValidationError("Le motif est obligatoire pour cette décision.")
        if decision in WITH_RESERVES and not reserves and not self._kept_reserves(decision):
            raise ValidationError("Indiquez au moins une réserve ou condition.")
        label = Decision(decision).label
        reason = f"{meeting.title} — {label}" + (f" : {motive}" if motive else "")
        with transaction.atomic():
            # Lock the item: a concurrent decision waits, then sees this one and amends it.
            previous = AgendaItem.objects.select_for_update().get(pk=self.pk).decision
            if self.project_id:
                self._move_project(previous, decision, by=by, reason=reason)
                if previous != decision or reserves:
                    self._replace_reserves(decision, reserves, by=by, origin=reason)
            self.decision = decision
            self.motive = motive
            self.votes_for, self.votes_against, self.votes_abstain = votes
            self.decided_at = timezone.now()
            self._history_user = by
            self._change_reason = (
                f"Décision amendée : {Decision(previous).label} → {label}"
                if previous
                else "Décision enregistrée"
            )
            self.save()

    def _kept_reserves(self, decision: str) -> bool:
        return self.decision == decision and self.reserves.exists()

    def _move_project(self, previous: str, decision: str, *, by, reason: str) -> None:
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
            project.move_to(
                examining, by=by, automatic=True, reason=f"Amendement de la décision — {reason}"
            )
        project.move_to(outcomes[decision], by=by, automatic=True, reason=reason)

    def _replace_reserves(self, decision: str, reserves: list[dict], *, by, origin: str) -> None:
        for old in self.reserves.all():
            if not old.is_lifted:
                old._history_user = by
                old._change_reason = "Réserve annulée par l'amendement de la décision"
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
            )
            reserve._history_user = by
            reserve._change_reason = origin[:100]
            reserve.save()
            self.reserves.add(reserve)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Présent·e"
    EXCUSED = "excused", "Excusé·e"
    ABSENT = "absent", "Absent·e"
    REPRESENTED = "represented", "Représenté·e"


class Attendance(models.Model):
    """Whether a member attended a meeting."""

    Status = AttendanceStatus

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name="séance"
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="attendances", verbose_name="membre"
    )
    status = models.CharField("présence", max_length=20, choices=AttendanceStatus.choices)
    represented_by = models.CharField("représenté·e par", max_length=200, blank=True)

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
        return f"{self.member} — {self.get_status_display()}"

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.meeting.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            if self.meeting.stored_status() == MeetingStatus.VALIDATED:
                raise MeetingLocked()
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        if self.status == AttendanceStatus.REPRESENTED and not self.represented_by.strip():
            raise ValidationError({"represented_by": "Indiquez qui représente ce membre."})


class ActionItem(models.Model):
    """A follow-up action decided in a meeting (relevé de décisions), carried over until done."""

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
    what = models.CharField("action", max_length=500)
    owner = models.CharField("responsable", max_length=200)
    due_on = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField("réalisée le", null=True, blank=True)

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
