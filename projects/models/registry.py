"""The project registry: projects and their rows (funding plan, indicators, milestones,
documents, reserves)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tdi.downloads import UPLOAD_TYPES

from ..access import Access, Right
from ..lifecycle import HistoryCause, save_change
from .audit import TrackedQuerySet
from .tenancy import Organisation, Territory
from .validators import validate_not_future, validate_single_line
from .workflow import (
    AUTOMATIC,
    LEAD_EDITABLE_STAGES,
    MAIN_PATH,
    MEETING_HELD,
    MOVES,
    PRIVATE_STAGES,
    PROGRESS_STAGES,
    SIDE_STAGES,
    Move,
    Stage,
)


class Axis(models.TextChoices):
    SKILLS = "skills", "Recrutement et compétences"
    ECOLOGICAL = "ecological", "Transition écologique et énergétique"
    INNOVATION = "innovation", "Écosystèmes d'innovation"
    LAND = "land", "Foncier industriel"
    OTHER = "other", "Autre"


def cards_seen(access: Access) -> Q:
    """The projects whose card the user may open (Access.sees, as a filter): on the projects,
    or on their history rows (a report as of a day)."""
    return (
        access.q(Right.DRAFTS)
        | (access.q(Right.CARDS) & ~Q(stage__in=PRIVATE_STAGES))
        | Q(id__in=access.led)
    )


class ProjectQuerySet(TrackedQuerySet):
    def visible_to(self, access) -> ProjectQuerySet:
        """The projects whose card the user may open (Access.sees, as a filter)."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        return self.filter(cards_seen(access))

    def active(self) -> ProjectQuerySet:
        return self.filter(is_archived=False)


class Project(models.Model):
    """A structuring project (fiche-action) of a territory, moved through the stage workflow."""

    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="projects", verbose_name="territoire"
    )
    reference = models.CharField("référence", max_length=30, editable=False)
    title = models.CharField("intitulé", max_length=200, validators=[validate_single_line])
    summary = models.TextField("résumé", max_length=1000, blank=True)
    description = models.TextField("description", blank=True, max_length=20000)
    axis = models.CharField("axe principal", max_length=20, choices=Axis.choices)
    lead_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_projects",
        verbose_name="structure porteuse",
    )
    lead_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="led_projects",
        verbose_name="porteurs (comptes)",
    )
    partners = models.ManyToManyField(
        Organisation, blank=True, related_name="partner_projects", verbose_name="partenaires"
    )
    commune = models.CharField(
        "commune", max_length=100, blank=True, validators=[validate_single_line]
    )
    epci = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="located_projects",
        verbose_name="intercommunalité",
        limit_choices_to={"kind": Organisation.Kind.EPCI},
    )
    planned_start = models.DateField("début prévu", null=True, blank=True)
    planned_end = models.DateField("fin prévue", null=True, blank=True)
    total_cost = models.DecimalField(
        "coût total HT",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"), "Le montant ne peut pas être négatif.")],
    )
    stage = models.CharField("étape", max_length=20, choices=Stage.choices, default=Stage.IDEA)
    progress = models.PositiveSmallIntegerField(
        "avancement (%)",
        default=0,
        validators=[MaxValueValidator(100, "L'avancement ne peut dépasser 100 %%.")],
    )
    is_public = models.BooleanField(
        "publiable en données ouvertes",
        default=False,
        help_text="Le projet peut figurer dans l'export open data du territoire.",
    )
    is_archived = models.BooleanField("archivé", default=False)
    # Dated by the change being saved (its history moment), so that they agree with the history.
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", default=timezone.now, editable=False)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[lead_users, partners], excluded_fields=["updated_at"], bases=[HistoryCause]
    )

    class Meta:
        verbose_name = "projet"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "reference"], name="project_reference_unique"
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="project_stage_valid"),
            models.CheckConstraint(condition=Q(axis__in=Axis.values), name="project_axis_valid"),
            models.CheckConstraint(condition=Q(total_cost__gte=0), name="project_cost_positive"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="project_progress_max"),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="project_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.updated_at = getattr(self, "_history_date", None) or timezone.now()
        if not self.reference:
            self._save_with_new_reference(*args, **kwargs)
        else:
            super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValidationError(
                {"planned_end": "La fin prévue ne peut pas précéder le début prévu."}
            )

    def _save_with_new_reference(self, *args, **kwargs) -> None:
        year = (self.created_at or timezone.now()).year
        prefix = f"{self.territory.prefix}-{year}-"
        for _attempt in range(5):
            last = (
                # Only the references the application numbered: an imported one may read
                # "CL-2026-012 bis".
                Project.objects.filter(
                    territory=self.territory, reference__regex=rf"^{re.escape(prefix)}[0-9]+$"
                )
                # Longest first, so that -1000 comes after -999 (string order would not).
                .order_by(Length("reference").desc(), "-reference")
                .values_list("reference", flat=True)
                .first()
            )
            number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
            self.reference = f"{prefix}{number:03d}"
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                self.reference = ""
                self.pk = None
        raise IntegrityError("Impossible d'attribuer une référence unique au projet.")

    # --- money -------------------------------------------------------------------------

    @property
    def funding_total(self) -> Decimal:
        """Σ of the funding plan without refused lines (uses prefetched lines when available)."""
        return sum(
            (line.amount for line in self.funding_lines.all() if line.counts_in_plan),
            Decimal("0"),
        )

    @property
    def funding_gap(self) -> Decimal:
        return self.total_cost - self.funding_total

    @property
    def funding_excess(self) -> Decimal:
        return -self.funding_gap

    @property
    def is_balanced(self) -> bool:
        return self.funding_gap == 0

    def stage_track(self) -> list[tuple[str, str]]:
        """The main path with each stage marked done, current or to come."""
        stage = Stage.READY_COPIL if self.stage == Stage.RESERVES else self.stage
        position = MAIN_PATH.index(stage) if stage in MAIN_PATH else -1
        return [
            (s.label, "current" if i == position and stage == self.stage else
             "done" if i < position else "todo")
            for i, s in enumerate(MAIN_PATH)
        ]  # fmt: skip

    @property
    def is_side_stage(self) -> bool:
        return self.stage not in MAIN_PATH and self.stage != Stage.RESERVES

    # --- what the workflow allows (who may act: projects.access) ----------------------

    @property
    def is_private(self) -> bool:
        """Still being written: only its leads and the coordination see it (DESIGN §8)."""
        return self.stage in PRIVATE_STAGES

    @property
    def lead_edit_mode(self) -> str | None:
        """What the project's lead may edit at this stage: 'full', 'progress' or None."""
        if self.stage in LEAD_EDITABLE_STAGES:
            return "full"
        if self.stage in PROGRESS_STAGES:
            return "progress"
        return None

    def is_led_by(self, user) -> bool:
        if "lead_users" in getattr(self, "_prefetched_objects_cache", {}):
            return any(u.pk == user.pk for u in self.lead_users.all())
        return self.lead_users.filter(pk=user.pk).exists()

    def can_move(self, user, to: str) -> bool:
        return Access.of(user).may_move(self, MOVES.get((self.stage, to)))

    def allowed_moves(self, user) -> list[tuple[str, Move]]:
        access = Access.of(user)
        return [
            (to, move)
            for (frm, to), move in MOVES.items()
            if frm == self.stage and access.may_move(self, move)
        ]

    # --- workflow ----------------------------------------------------------------------

    def submission_problems(self) -> list[str]:
        """What keeps the project from being submitted (guard of drafting → submitted)."""
        problems = []
        for field in ("summary", "description", "lead_organisation", "planned_start"):
            if not getattr(self, field):
                label = self._meta.get_field(field).verbose_name
                problems.append(f"Le champ « {label} » doit être renseigné.")
        if not self.total_cost or self.total_cost <= 0:
            problems.append("Le coût total doit être renseigné.")
        if not self.funding_lines.exists():
            problems.append("Le plan de financement doit comporter au moins une ligne.")
        return problems

    def move_to(self, stage: str, *, by, reason: str = "", at=None) -> None:
        """Apply one stage move made by a person: check it, their right to make it and the
        guards, record the reason and the moment (`at`, default now), under a row lock so that
        two concurrent moves cannot both apply. PermissionDenied: the actor may not make it (a
        committee's move is never a person's); ValidationError: not from this stage, or a guard
        fails."""
        with transaction.atomic():
            locked, move = self._locked_move(stage)
            if move.actor == AUTOMATIC:
                raise PermissionDenied("Ce changement d'étape découle d'une décision de comité.")
            if not locked.can_move(by, stage):
                raise PermissionDenied(
                    "Vous n'avez pas le droit d'effectuer ce changement d'étape."
                )
            if (
                stage not in SIDE_STAGES
                and locked.reserves.filter(is_blocking=True, lifted_at__isnull=True).exists()
            ):
                raise ValidationError(
                    "Des réserves bloquantes restent à lever avant de passer à l'étape suivante."
                )
            self._apply_move(locked, move, stage, by=by, reason=reason, at=at)

    def follow_committee(self, stage: str, *, by, cause, reason: str, at=None) -> None:
        """Apply a move that a committee causes (agenda change, cancelled meeting, decision or
        its amendment, reserves lifted), recorded with its cause: "agendaitem:12", "reserve:3"."""
        if isinstance(cause, models.Model):
            cause = f"{cause._meta.model_name}:{cause.pk}"
        with transaction.atomic():
            locked, move = self._locked_move(stage)
            if move.actor != AUTOMATIC:
                raise PermissionDenied("Ce changement d'étape ne découle pas d'un comité.")
            self._apply_move(locked, move, stage, by=by, reason=reason, at=at, cause=cause)

    def take_up_stage(self, stage: str, *, by, source: str, reason: str, at=None) -> bool:
        """Set the stage a project had before the application knew it: the territory's table of
        projects taken up by an import. Not a move of the table: the project already stood
        there, so no move or guard is checked, but only the coordination does it, never to a
        stage that a meeting holds (MEETING_HELD), and it is recorded with its source
        ("import:12") and reason. False when the project is already at that stage (nothing is
        written)."""
        if stage not in Stage.values:
            raise ValidationError(f"L'étape « {stage} » n'existe pas.")
        if stage in MEETING_HELD:
            raise ValidationError(
                f"Étape « {Stage(stage).label} » impossible à reprendre : {MEETING_HELD[stage]}"
            )
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=self.pk)
            if not Access.of(by).manages(locked.territory_id):
                raise PermissionDenied(
                    "Seule la coordination du territoire peut reprendre l'étape d'un projet."
                )
            if locked.is_archived:
                raise ValidationError("Ce projet est archivé : son étape ne change plus.")
            if locked.stage == stage:
                return False
            locked.stage = stage
            save_change(locked, by=by, reason=reason, at=at, cause=source)
        self.stage, self.updated_at = locked.stage, locked.updated_at
        return True

    def _locked_move(self, stage: str) -> tuple[Project, Move]:
        """The project as stored, under a row lock, and the move of the table to `stage`."""
        locked = Project.objects.select_for_update().get(pk=self.pk)
        move = MOVES.get((locked.stage, stage))
        if move is None:
            raise ValidationError(
                f"Le passage de « {Stage(locked.stage).label} » à "
                f"« {Stage(stage).label if stage in Stage.values else stage} » "
                "n'est pas prévu."
            )
        return locked, move

    def _apply_move(self, locked, move: Move, stage: str, *, by, reason, at, cause="") -> None:
        reason = (reason or "").strip()
        if move.motive_required and not reason:
            raise ValidationError("Le motif est obligatoire pour ce changement d'étape.")
        if stage == Stage.SUBMITTED and (problems := locked.submission_problems()):
            raise ValidationError(problems)
        reason = reason or f"{Stage(locked.stage).label} → {Stage(stage).label}"
        locked.stage = stage
        save_change(locked, by=by, reason=reason, at=at, cause=cause)
        self.stage, self.updated_at = locked.stage, locked.updated_at

    def archive(self, *, by, reason: str = "", at=None) -> None:
        if not Access.of(by).manages(self.territory_id):
            raise PermissionDenied("Seule la coordination peut archiver un projet.")
        self.is_archived = True
        save_change(self, by=by, reason=reason or "Projet archivé", at=at)

    def restore(self, *, by, at=None) -> None:
        if not Access.of(by).manages(self.territory_id):
            raise PermissionDenied("Seule la coordination peut désarchiver un projet.")
        self.is_archived = False
        save_change(self, by=by, reason="Projet désarchivé", at=at)


class FundingInstrument(models.TextChoices):
    GRANT = "grant", "Subvention"
    FONDS_VERT = "fonds_vert", "Fonds vert"
    DETR = "detr", "DETR / DSIL"
    LOAN = "loan", "Prêt"
    ADVANCE = "advance", "Avance remboursable"
    EQUITY = "equity", "Fonds propres"
    FEDER = "feder", "FEDER"
    FRANCE_2030 = "france2030", "France 2030"
    OTHER = "other", "Autre"


class FundingStatus(models.TextChoices):
    PLANNED = "planned", "Envisagé"
    REQUESTED = "requested", "Sollicité"
    GRANTED = "granted", "Accordé"
    REFUSED = "refused", "Refusé"
    PAID = "paid", "Versé"


class FundingLine(models.Model):
    """One line of a project's funding plan: who pays, through which instrument, how much."""

    Instrument = FundingInstrument

    Status = FundingStatus

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="funding_lines", verbose_name="projet"
    )
    funder = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="funding_lines",
        verbose_name="financeur",
    )
    instrument = models.CharField("dispositif", max_length=20, choices=Instrument.choices)
    amount = models.DecimalField(
        "montant",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), "Le montant ne peut pas être négatif.")],
    )
    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.PLANNED
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "lignes de financement"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="funding_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=FundingStatus.values), name="funding_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} — {self.get_instrument_display()}"

    @property
    def counts_in_plan(self) -> bool:
        """A refused request no longer finances anything."""
        return self.status != FundingStatus.REFUSED


class IndicatorKind(models.TextChoices):
    JOBS_CREATED = "jobs_created", "Emplois créés"
    JOBS_KEPT = "jobs_kept", "Emplois maintenus"
    PEOPLE_TRAINED = "trained", "Personnes formées"
    HECTARES = "hectares", "Foncier aménagé ou requalifié"
    CO2_AVOIDED = "co2", "Émissions évitées"
    PRIVATE_INVESTMENT = "private_investment", "Investissement privé"
    OTHER = "other", "Autre"


class Indicator(models.Model):
    """A measurable outcome of a project: a target and what has been achieved."""

    Kind = IndicatorKind

    DEFAULT_UNITS = {
        Kind.JOBS_CREATED: "ETP",
        Kind.JOBS_KEPT: "ETP",
        Kind.PEOPLE_TRAINED: "personnes",
        Kind.HECTARES: "ha",
        Kind.CO2_AVOIDED: "tCO2e/an",
        Kind.PRIVATE_INVESTMENT: "€",
    }

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="indicators", verbose_name="projet"
    )
    kind = models.CharField("indicateur", max_length=30, choices=Kind.choices)
    target = models.DecimalField(
        "cible",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), "La valeur ne peut pas être négative.")],
    )
    achieved = models.DecimalField(
        "réalisé",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), "La valeur ne peut pas être négative.")],
    )
    unit = models.CharField("unité", max_length=20, blank=True)
    measured_on = models.DateField(
        "date de mesure", null=True, blank=True, validators=[validate_not_future]
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicateur"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gte=0), name="indicator_target_positive"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def save(self, *args, **kwargs) -> None:
        if not self.unit:
            self.unit = self.DEFAULT_UNITS.get(self.kind, "")
        super().save(*args, **kwargs)


class Milestone(models.Model):
    """A dated step of a project (jalon)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name="projet"
    )
    title = models.CharField("jalon", max_length=200, validators=[validate_single_line])
    due_on = models.DateField("échéance")
    done_on = models.DateField(
        "réalisé le", null=True, blank=True, validators=[validate_not_future]
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "jalon"
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_late(self) -> bool:
        return self.done_on is None and self.due_on < date.today()


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name never reuses the uploaded name: it only keeps a safe extension.
    extension = Document.EXTENSIONS.get(instance.content_type, "bin")
    now = timezone.now()
    return f"documents/{now:%Y/%m}/{instance.project_id}-{now:%Y%m%d%H%M%S%f}.{extension}"


class DocumentKind(models.TextChoices):
    SHEET = "sheet", "Fiche projet"
    QUOTE = "quote", "Devis"
    LETTER = "letter", "Lettre de soutien / d'engagement"
    DELIBERATION = "deliberation", "Délibération"
    STUDY = "study", "Étude"
    PHOTO = "photo", "Photo / plan"
    OTHER = "other", "Autre"


class Document(models.Model):
    """A file attached to a project; replacing it keeps the old file reachable from history."""

    Kind = DocumentKind

    EXTENSIONS = UPLOAD_TYPES

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="documents", verbose_name="projet"
    )
    title = models.CharField("titre", max_length=200, validators=[validate_single_line])
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField("fichier", upload_to=document_upload_to, max_length=255)
    original_name = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField("format", max_length=100)
    size = models.PositiveBigIntegerField("taille (octets)")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="déposé par",
    )
    uploaded_at = models.DateTimeField("déposé le", default=timezone.now)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "document"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:document_download", args=[self.project_id, self.pk])


class ReserveQuerySet(TrackedQuerySet):
    def open(self) -> ReserveQuerySet:
        return self.filter(lifted_at__isnull=True)


class Reserve(models.Model):
    """A reserve or condition set on a project by a committee decision, lifted with a proof."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reserves", verbose_name="projet"
    )
    text = models.TextField("réserve", max_length=2000)
    origin = models.CharField("origine", max_length=300, blank=True)
    is_blocking = models.BooleanField(
        "bloquante", default=True, help_text="Une réserve bloquante empêche l'étape suivante."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="responsable",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    lifted_at = models.DateTimeField("levée le", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="levée par",
    )
    proof = models.TextField("justification", blank=True, max_length=4000)
    proof_document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pièce justificative",
    )
    # The lift proposed by the lead, awaiting the coordination's decision (DESIGN §5); a refusal
    # keeps the proposal on screen with its motive until the next proposal.
    proposed_at = models.DateTimeField("levée proposée le", null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="levée proposée par",
    )
    proposed_proof = models.TextField("justification proposée", blank=True, max_length=4000)
    proposed_document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pièce proposée",
    )
    refused_at = models.DateTimeField("levée refusée le", null=True, blank=True)
    decision_motive = models.TextField("motif de la coordination", blank=True, max_length=2000)
    created_at = models.DateTimeField("créée le", default=timezone.now)

    objects = ReserveQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "réserve"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_lifted(self) -> bool:
        return self.lifted_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_lifted and self.due_on is not None and self.due_on < date.today()

    @property
    def is_lift_proposed(self) -> bool:
        """A lift proposed by the lead awaits the coordination's decision."""
        return self.proposed_at is not None and self.refused_at is None and not self.is_lifted

    @property
    def is_lift_refused(self) -> bool:
        return self.refused_at is not None and not self.is_lifted

    def propose_lift(
        self, *, by, proof: str = "", document: Document | None = None, at=None
    ) -> None:
        """The lead (or the reserve's owner) proposes the lift with a proof; the coordination
        then accepts or refuses it. Nothing moves the project yet."""
        proof = self._checked_proof(proof, document)
        with transaction.atomic():
            self._lock()
            access = Access.of(by)
            if not access.may_propose_lift(self):
                raise PermissionDenied(access.why_not_propose_lift(self))
            self.proposed_at = at or timezone.now()
            self.proposed_by = by
            self.proposed_proof = proof
            self.proposed_document = document
            self.refused_at, self.decision_motive = None, ""
            save_change(self, by=by, reason="Levée de la réserve proposée", at=self.proposed_at)

    def accept_lift(self, *, by, motive: str = "", at=None) -> None:
        """The coordination accepts the proposed lift: the reserve is lifted with the proposed
        proof, and the last blocking COTECH reserve moves the project on."""
        with transaction.atomic():
            self._lock()
            self._check_decider(by)
            if not self.is_lift_proposed:
                raise ValidationError(
                    "Aucune levée n'est proposée pour cette réserve : levez-la directement "
                    "avec une justification."
                )
            self.decision_motive = (motive or "").strip()
            self._lifted(
                by=by,
                proof=self.proposed_proof,
                document=self.proposed_document,
                reason="Levée de la réserve acceptée par la coordination",
                at=at,
            )

    def refuse_lift(self, *, by, motive: str, at=None) -> None:
        """The coordination refuses the proposed lift with a motive; the reserve stays open and
        its lead may propose again."""
        motive = (motive or "").strip()
        if not motive:
            raise ValidationError("Le motif du refus est obligatoire.")
        with transaction.atomic():
            self._lock()
            self._check_decider(by)
            if not self.is_lift_proposed:
                raise ValidationError("Aucune levée n'est proposée pour cette réserve.")
            self.refused_at = at or timezone.now()
            self.decision_motive = motive
            save_change(
                self,
                by=by,
                reason="Levée de la réserve refusée par la coordination",
                at=self.refused_at,
            )

    def lift(self, *, by, proof: str = "", document: Document | None = None, at=None) -> None:
        """The coordination lifts the reserve directly with its own proof (accepting a pending
        proposal, if any); the last blocking COTECH reserve moves the project on."""
        proof = self._checked_proof(proof, document)
        with transaction.atomic():
            self._lock()
            self._check_decider(by)
            self._lifted(by=by, proof=proof, document=document, reason="Levée de la réserve", at=at)

    def _checked_proof(self, proof: str, document: Document | None) -> str:
        proof = (proof or "").strip()
        if not proof and document is None:
            raise ValidationError("Indiquez la justification ou joignez une pièce.")
        if document is not None and document.project_id != self.project_id:
            raise ValidationError("Ce document n'appartient pas au projet.")
        return proof

    def _lock(self) -> None:
        """Read the reserve again under a row lock (inside a transaction), so that two requests
        cannot both propose, or both decide, on a stale copy. The project already loaded is
        kept, so that a move it makes shows on the caller's copy."""
        project_field = Reserve._meta.get_field("project")
        project = project_field.get_cached_value(self, default=None)
        self.refresh_from_db(from_queryset=Reserve.objects.select_for_update())
        if project is not None:
            project_field.set_cached_value(self, project)

    def _check_decider(self, by) -> None:
        access = Access.of(by)
        if not access.may_decide_lift(self):
            raise PermissionDenied(access.why_not_decide_lift(self))

    def _lifted(self, *, by, proof: str, document, reason: str, at) -> None:
        at = at or timezone.now()
        self.lifted_at = at
        self.lifted_by = by
        self.proof = proof
        self.proof_document = document
        save_change(self, by=by, reason=reason, at=at)
        project = self.project
        still_open = project.reserves.open().filter(is_blocking=True).exists()
        if project.stage == Stage.RESERVES and not still_open:
            project.follow_committee(
                Stage.READY_COPIL,
                by=by,
                cause=self,
                reason="Toutes les réserves bloquantes de l'avis du COTECH sont levées",
                at=at,
            )
