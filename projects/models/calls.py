"""Calls for projects (AMI, appels à projets) and the territory's applications to them.

An application is assembled from live project data until it is submitted; submission freezes
what it shows of its projects (a snapshot) and archives the dossier PDF with its SHA-256.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tdi.formats import euros, french_date
from tdi.pdf import official_document

from ..access import Access, Right
from ..lifecycle import Archive, Freezable, Lifecycle, Step
from .audit import TrackedQuerySet
from .registry import FundingLine, IndicatorKind, Project
from .tenancy import Organisation, OrganisationKind, Territory
from .validators import validate_not_future, validate_single_line
from .workflow import PRIVATE_STAGES, SIDE_STAGES

JOB_KINDS = (IndicatorKind.JOBS_CREATED, IndicatorKind.JOBS_KEPT)


class Call(models.Model):
    """A call for projects (appel à projets, AMI) with the sections an application must write."""

    title = models.CharField("intitulé", max_length=300, validators=[validate_single_line])
    funder = models.CharField("financeurs", max_length=300, validators=[validate_single_line])
    description = models.TextField("présentation", max_length=20000)
    eligibility = models.TextField(
        "critères d'éligibilité et de sélection", blank=True, max_length=20000
    )
    opens_on = models.DateField("ouverture", null=True, blank=True)
    closes_on = models.DateField("clôture", null=True, blank=True)
    url = models.URLField("page officielle", blank=True)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "appel à projets"
        verbose_name_plural = "appels à projets"
        ordering = ["-opens_on", "title"]

    def __str__(self) -> str:
        return self.title

    def is_closed_on(self, day) -> bool:
        """Whether a dossier filed that day comes after the closing date."""
        return bool(self.closes_on and day > self.closes_on)


class CallSection(models.Model):
    """A section of a call's application form, in order, with its guidance and length limit."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField("ordre")
    key = models.SlugField("clé", max_length=50)
    title = models.CharField("titre", max_length=300, validators=[validate_single_line])
    guidance = models.TextField("consignes", blank=True, max_length=4000)
    required = models.BooleanField("obligatoire", default=True)
    max_length = models.PositiveIntegerField("longueur maximale (caractères)", default=5000)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "rubrique"
        ordering = ["call", "order"]
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="call_section_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    READY = "ready", "Prêt"
    SUBMITTED = "submitted", "Déposé"
    SELECTED = "selected", "Retenu"
    NOT_SELECTED = "not_selected", "Non retenu"
    WITHDRAWN = "withdrawn", "Retiré"


SUBMITTED_STATUSES = [
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.NOT_SELECTED,
    ApplicationStatus.WITHDRAWN,
]
OUTCOMES = [ApplicationStatus.SELECTED, ApplicationStatus.NOT_SELECTED, ApplicationStatus.WITHDRAWN]
A = ApplicationStatus
# The moves of an application (DESIGN §6); the outcome is still recorded once it is submitted.
APPLICATION_STEPS: dict[tuple[str, str], Step] = {
    (A.DRAFT, A.READY): Step("ready", "Déclarer le dossier prêt"),
    (A.READY, A.SUBMITTED): Step(
        "submit",
        "Déposer le dossier",
        "Déposer le dossier ? Son contenu et les données des projets seront figés.",
    ),
    (A.READY, A.DRAFT): Step("draft", "Revenir en brouillon"),
    **{(A.SUBMITTED, s): Step("outcome", "Enregistrer la réponse") for s in OUTCOMES},
}


class ApplicationQuerySet(TrackedQuerySet):
    def visible_to(self, access) -> ApplicationQuerySet:
        """Applications the user may read (DESIGN §8): all of them, the submitted ones, or
        those including a project they lead."""
        access = Access.of(access)
        if not access.is_authenticated:
            return self.none()
        own = ApplicationProject.objects.filter(project_id__in=access.led).values("application_id")
        return self.filter(
            access.q(Right.APPLICATIONS)
            | (access.q(Right.SUBMITTED_APPLICATIONS) & Q(status__in=SUBMITTED_STATUSES))
            | Q(pk__in=own)
        )


@dataclass
class Check:
    """One line of the completeness check list."""

    ok: bool
    label: str
    detail: str = ""
    anchor: str = ""


class Application(Lifecycle):
    """A territory's application (dossier de candidature) to a call."""

    Status = ApplicationStatus
    TRANSITIONS = APPLICATION_STEPS
    FROZEN_IN = frozenset(SUBMITTED_STATUSES)
    FROZEN_MESSAGE = "Le dossier a été déposé : son contenu ne peut plus être modifié."
    frozen_except = ("status", "outcome_on", "outcome_comment")  # the outcome, once submitted
    ARCHIVE = Archive(
        prefix="dossier", name="dossier", frozen_at="submitted_at", frozen_by="submitted_by"
    )
    frozen_once = ("dossier_pdf", "dossier_sha256")

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name="appel"
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="applications", verbose_name="territoire"
    )
    applicant = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name="structure candidate",
    )
    title = models.CharField(
        "intitulé du dossier", max_length=300, validators=[validate_single_line]
    )
    contact_name = models.CharField(
        "contact", max_length=200, blank=True, validators=[validate_single_line]
    )
    contact_email = models.EmailField("courriel du contact", blank=True)
    contact_phone = models.CharField("téléphone du contact", max_length=30, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="déposé par",
    )
    outcome_on = models.DateField(
        "date de la réponse", null=True, blank=True, validators=[validate_not_future]
    )
    outcome_comment = models.TextField("commentaire sur la réponse", blank=True, max_length=4000)
    late_motive = models.TextField(
        "motif du dépôt hors délai",
        blank=True,
        max_length=2000,
        help_text="Un dossier déposé après la clôture de l'appel dit pourquoi, sur sa page de garde.",
    )
    snapshot = models.JSONField(
        "données figées au dépôt", null=True, blank=True, encoder=DjangoJSONEncoder, editable=False
    )
    # The dossier as HTML, fixed at submission; its PDF/A is printed from it.
    dossier_html = models.TextField("dossier déposé (HTML)", blank=True, editable=False)
    dossier_pdf = models.FileField("dossier (PDF archivé)", upload_to="dossiers/", blank=True)
    dossier_sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64, blank=True)
    content_sha256 = models.CharField("empreinte SHA-256 du contenu", max_length=64, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)

    objects = ApplicationQuerySet.as_manager()
    # The HTML is the dossier itself, already fingerprinted: not copied into every version.
    history = HistoricalRecords(excluded_fields=["dossier_html"])

    class Meta:
        verbose_name = "candidature"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:application", args=[self.pk])

    @property
    def is_selected(self) -> bool:
        return self.status == ApplicationStatus.SELECTED

    @property
    def has_outcome(self) -> bool:
        return self.status in OUTCOMES

    def can_manage(self, user) -> bool:
        return Access.of(user).manages(self.territory_id)

    def check_manage(self, user) -> None:
        self.refuse_if_frozen()
        if not self.can_manage(user):
            raise PermissionDenied("Seule la coordination du territoire gère les candidatures.")

    # --- content --------------------------------------------------------------------

    def section_rows(self) -> list[tuple[CallSection, str]]:
        """Every section of the call with this application's answer (two queries)."""
        answers = {a.section_id: a.text for a in self.answers.all()}
        return [(s, answers.get(s.pk, "")) for s in self.call.sections.all()]

    def candidate_projects(self):
        """The territory's projects that may be added: examined or approved, not yet included."""
        return (
            Project.objects.active()
            .filter(territory_id=self.territory_id)
            .exclude(stage__in=[*PRIVATE_STAGES, *SIDE_STAGES])
            .exclude(pk__in=self.items.values("project_id"))
            .order_by("reference")
        )

    def project_data(self) -> list[dict]:
        """What the dossier shows of each included project: live, or frozen once submitted."""
        if self.snapshot is not None:
            return self.snapshot["projects"]
        return self.live_project_data()

    def live_project_data(self) -> list[dict]:
        items = (
            self.items.select_related("project__lead_organisation", "project__epci")
            .prefetch_related(*PROJECT_PREFETCH)
            .order_by("rank", "pk")
        )
        return [project_facts(item) for item in items]

    # --- completeness ---------------------------------------------------------------

    def checklist(self, projects: list[dict] | None = None) -> list[Check]:
        """What must hold before submission; each line says what is missing and where."""
        projects = self.project_data() if projects is None else projects
        checks = []
        for section, text in self.section_rows():
            anchor = f"rubrique-{section.key}"
            if section.required and not text.strip():
                checks.append(Check(False, f"Rubrique « {section.title} »", "à rédiger", anchor))
            elif len(text) > section.max_length:
                checks.append(
                    Check(
                        False,
                        f"Rubrique « {section.title} »",
                        f"{len(text)} caractères pour {section.max_length} au plus",
                        anchor,
                    )
                )
            elif text.strip():
                checks.append(Check(True, f"Rubrique « {section.title} »", "rédigée", anchor))
        if not projects:
            checks.append(Check(False, "Projets", "aucun projet inclus", "projets"))
        for data in projects:
            name = f"{data['reference']} — {data['title']}"
            anchor = f"projet-{data['project_id']}"
            problems = []
            cost = Decimal(data["total_cost"])
            requested = Decimal(data["requested_amount"])
            if data.get("stage") in (*PRIVATE_STAGES, *SIDE_STAGES):
                problems.append(
                    f"projet à l'étape « {data['stage_label']} », qui ne peut être présenté"
                )
            if cost <= 0:
                problems.append("coût total non renseigné")
            if Decimal(data["funding_total"]) != cost:
                gap = euros(cost - Decimal(data["funding_total"]))
                problems.append(f"plan de financement déséquilibré (écart de {gap})")
            if not data["has_job_indicators"]:
                problems.append("aucun indicateur d'emplois (créés ou maintenus)")
            if requested <= 0:
                problems.append("montant sollicité non renseigné")
            elif requested > cost:
                problems.append("montant sollicité supérieur au coût du projet")
            checks.append(Check(not problems, name, "; ".join(problems) or "complet", anchor))
        totals = self.totals(projects)
        if projects and totals["requested"] > totals["cost"]:
            checks.append(
                Check(False, "Totaux", "l'aide sollicitée dépasse le coût total", "financement")
            )
        return checks

    def is_complete(self, projects: list[dict] | None = None) -> bool:
        return all(check.ok for check in self.checklist(projects))

    # --- figures --------------------------------------------------------------------

    @staticmethod
    def totals(projects: list[dict]) -> dict:
        """Aggregated figures, computed from the project data (never typed twice)."""
        by_funder: dict[str, Decimal] = defaultdict(Decimal)
        by_kind: dict[str, Decimal] = defaultdict(Decimal)
        totals = {
            "cost": Decimal(0),
            "requested": Decimal(0),
            "jobs_created": Decimal(0),
            "jobs_kept": Decimal(0),
        }
        for data in projects:
            totals["cost"] += Decimal(data["total_cost"])
            totals["requested"] += Decimal(data["requested_amount"])
            totals["jobs_created"] += Decimal(data["jobs_created"])
            totals["jobs_kept"] += Decimal(data["jobs_kept"])
            for line in data["funding_lines"]:
                if line["status"] == FundingLine.Status.REFUSED:
                    continue
                by_funder[line["funder"]] += Decimal(line["amount"])
                by_kind[line["funder_kind_label"]] += Decimal(line["amount"])
        totals["funding"] = sum(by_funder.values(), Decimal(0))
        totals["by_funder"] = sorted(by_funder.items(), key=lambda kv: (-kv[1], kv[0]))
        totals["by_kind"] = sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        return totals

    # --- lifecycle (APPLICATION_STEPS) ---------------------------------------------

    def mark_ready(self, *, by, at=None) -> None:
        self.check_manage(by)
        if not self.is_complete():
            raise ValidationError("La liste de vérification comporte encore des points ouverts.")
        self.transition_to(ApplicationStatus.READY, by=by, reason="Dossier déclaré prêt", at=at)

    def back_to_draft(self, *, by, at=None) -> None:
        self.check_manage(by)
        self.transition_to(ApplicationStatus.DRAFT, by=by, reason="Retour en brouillon", at=at)

    def submit(self, *, by, at=None, late_motive: str = "") -> None:
        """Submit: freeze the project data and the dossier's HTML with its fingerprint; the
        PDF/A is printed from it after the commit, in the background (ARCHIVE)."""
        from projects.dossier import TEMPLATE, dossier_context, pin_annexes

        self.check_manage(by)
        at = at or timezone.now()
        with transaction.atomic():
            draft = self.locked_for(ApplicationStatus.SUBMITTED)
            late_motive = (late_motive or "").strip()
            if not draft.call.is_closed_on(timezone.localdate(at)):
                late_motive = ""
            elif not late_motive:
                raise ValidationError(
                    f"L'appel « {draft.call} » est clos depuis le "
                    f"{french_date(draft.call.closes_on)} : le dépôt hors délai demande son "
                    "motif, qui figurera sur la page de garde du dossier."
                )
            draft.late_motive = late_motive  # printed in the dossier
            projects = draft.project_data()
            if problems := [c for c in draft.checklist(projects) if not c.ok]:
                raise ValidationError([f"{c.label} : {c.detail}" for c in problems])
            pin_annexes(projects)
            draft.snapshot = {
                "taken_at": at.isoformat(),
                "projects": projects,
                "sections": [
                    {"key": s.key, "title": s.title, "text": text}
                    for s, text in draft.section_rows()
                ],
            }
            draft.submitted_at, draft.submitted_by = at, by  # printed in the dossier
            document = official_document(
                TEMPLATE, dossier_context(draft, final=True), prefix="dossier"
            )
            self.transition_to(
                ApplicationStatus.SUBMITTED,
                by=by,
                reason="Dossier déposé",
                at=at,
                snapshot=draft.snapshot,
                submitted_at=at,
                submitted_by=by,
                late_motive=late_motive,
                **document,
            )
            self.schedule_archive()

    def archive_with(self, pdf: bytes) -> bytes:
        """The archived file: the printed dossier followed by its PDF annexes."""
        from projects.dossier import bundle

        return bundle(self, pdf)

    def record_outcome(self, status: str, *, by, on, comment: str = "", at=None) -> None:
        if not self.can_manage(by):
            raise PermissionDenied("Seule la coordination du territoire gère les candidatures.")
        if on is None:
            raise ValidationError("Indiquez la date de la réponse.")
        self.transition_to(
            status,
            by=by,
            reason=f"Réponse : {dict(ApplicationStatus.choices).get(status, status)}",
            at=at,
            outcome_on=on,
            outcome_comment=(comment or "").strip(),
        )

    def differences_since_submission(self) -> list[tuple[str, str, str, str]]:
        """(project, field, at submission, now) for every figure that changed since."""
        if self.snapshot is None:
            return []
        live = {data["project_id"]: data for data in self.live_project_data()}
        changes = []
        for frozen in self.snapshot["projects"]:
            now = live.get(frozen["project_id"])
            if now is None:
                continue
            for key, label in COMPARED_FIELDS:
                if str(frozen[key]) != str(now[key]):
                    changes.append((frozen["reference"], label, frozen[key], now[key]))
        return changes


PROJECT_PREFETCH = (
    "project__funding_lines__funder",
    "project__indicators",
    "project__milestones",
    "project__documents",
)
COMPARED_FIELDS = [
    ("title", "Intitulé"),
    ("stage_label", "Étape"),
    ("total_cost", "Coût total HT"),
    ("funding_total", "Total des financements"),
    ("jobs_created", "Emplois créés (cible)"),
    ("jobs_kept", "Emplois maintenus (cible)"),
]


def project_facts(item: ApplicationProject) -> dict:
    """What a dossier shows of a project, as plain JSON-ready values (for the snapshot)."""
    project: Project = item.project
    lines = list(project.funding_lines.all())
    indicators = list(project.indicators.all())
    kinds = dict(OrganisationKind.choices)

    def job_total(kind: str) -> str:
        return str(sum((i.target for i in indicators if i.kind == kind), Decimal(0)))

    return {
        "project_id": project.pk,
        "reference": project.reference,
        "title": project.title,
        "summary": project.summary,
        "description": project.description,
        "axis": project.get_axis_display(),
        "stage": project.stage,
        "stage_label": project.get_stage_display(),
        "lead_organisation": str(project.lead_organisation or ""),
        "location": ", ".join(p for p in (project.commune, str(project.epci or "")) if p),
        "planned_start": project.planned_start.isoformat() if project.planned_start else "",
        "planned_end": project.planned_end.isoformat() if project.planned_end else "",
        "total_cost": str(project.total_cost),
        "funding_total": str(project.funding_total),
        "requested_amount": str(item.requested_amount),
        "rank": item.rank,
        "funding_lines": [
            {
                "funder": line.funder.name,
                "funder_kind_label": kinds.get(line.funder.kind, ""),
                "instrument": line.get_instrument_display(),
                "status": line.status,
                "status_label": line.get_status_display(),
                "amount": str(line.amount),
            }
            for line in lines
        ],
        "indicators": [
            {
                "label": i.get_kind_display(),
                "target": str(i.target),
                "achieved": "" if i.achieved is None else str(i.achieved),
                "unit": i.unit,
            }
            for i in indicators
        ],
        "has_job_indicators": any(i.kind in JOB_KINDS for i in indicators),
        "jobs_created": job_total(IndicatorKind.JOBS_CREATED),
        "jobs_kept": job_total(IndicatorKind.JOBS_KEPT),
        "milestones": [
            {
                "title": m.title,
                "due_on": m.due_on.isoformat(),
                "done_on": m.done_on.isoformat() if m.done_on else "",
            }
            for m in project.milestones.all()
        ],
        "documents": [
            {
                "title": d.title,
                "kind": d.get_kind_display(),
                "name": d.original_name,
                "file": d.file.name,  # pinned: a stored name is never written over
                "content_type": d.content_type,
                "size": d.size,
            }
            for d in project.documents.all()
        ],
    }


class SectionAnswer(Freezable):
    """The text an application gives for one section of the call."""

    frozen_with = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="answers", verbose_name="candidature"
    )
    section = models.ForeignKey(
        CallSection, on_delete=models.PROTECT, related_name="+", verbose_name="rubrique"
    )
    text = models.TextField("texte", blank=True)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "réponse à une rubrique"
        constraints = [
            models.UniqueConstraint(fields=["application", "section"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return str(self.section)


class ApplicationProject(Freezable):
    """A project included in an application, with the aid requested and its rank."""

    frozen_with = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="items", verbose_name="candidature"
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        related_name="application_items",
        verbose_name="projet",
    )
    requested_amount = models.DecimalField(
        "aide sollicitée",
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0), "Le montant ne peut pas être négatif.")],
    )
    rank = models.PositiveSmallIntegerField("rang", default=1)

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "projet de la candidature"
        verbose_name_plural = "projets de la candidature"
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "project"], name="application_project_unique"
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="requested_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.project)
