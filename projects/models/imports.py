"""The territory's table of projects being taken up (issue 14): the uploaded file, how its
columns map to the project's fields, and what the import did.

Like a ReportJob, a `ProjectImport` is a technical record with no audit history of its own:
what it changes (projects, funding lines, indicators, organisations) is recorded in their
history, each row with the file's name and line in its reason and "import:<id>" as the cause
of the stage taken up. The file stays in media storage between the steps (upload, columns,
preview, import), scoped to its territory and to the user who sent it: no step ever takes a
path from the client.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .jobs import ReportJob
from .tenancy import Territory

__all__ = ["ImportStatus", "ProjectImport", "import_upload_to"]


def import_upload_to(instance: ProjectImport, filename: str) -> str:
    # The stored name never reuses the uploaded one: only the format read from the content.
    return f"imports/{instance.territory_id}/{uuid.uuid4().hex}.{instance.file_format}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Fichier déposé"
    QUEUED = "queued", "Import en attente"
    RUNNING = "running", "Import en cours"
    DONE = "done", "Importé"
    FAILED = "failed", "Échec"


class ProjectImport(models.Model):
    """A table of projects uploaded by a territory's coordination, to be imported."""

    Status = ImportStatus

    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="imports", verbose_name="territoire"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_imports",
        verbose_name="déposé par",
    )
    created_at = models.DateTimeField("déposé le", default=timezone.now)
    file = models.FileField("fichier", upload_to=import_upload_to, max_length=255)
    original_name = models.CharField("nom du fichier", max_length=255)
    file_format = models.CharField("format", max_length=4)  # "xlsx" or "csv", from the content
    size = models.PositiveBigIntegerField("taille (octets)")
    sheet = models.CharField("feuille", max_length=100, blank=True)
    headers = models.JSONField("en-têtes", default=list)
    header_line = models.PositiveIntegerField("ligne des en-têtes", default=1)
    row_count = models.PositiveIntegerField("lignes", default=0)
    # Column index (as text) → target field key (projects.imports.TARGETS); "" ignores it.
    mapping = models.JSONField("colonnes", default=dict, blank=True)
    mapping_confirmed = models.BooleanField("colonnes confirmées", default=False)
    # Unknown organisation key → "new:<kind>" or the id of an existing organisation.
    resolutions = models.JSONField("organisations", default=dict, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    job = models.ForeignKey(
        ReportJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="traitement en arrière-plan",
    )
    summary = models.JSONField("bilan", default=dict, blank=True)
    error = models.TextField("erreur", blank=True)
    applied_at = models.DateTimeField("importé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de projets"
        verbose_name_plural = "imports de projets"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="project_import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Import n° {self.pk} ({self.original_name})"

    def get_absolute_url(self) -> str:
        if self.status == ImportStatus.UPLOADED:
            step = "columns" if not self.mapping_confirmed else "preview"
            return reverse(f"projects:import_{step}", args=[self.pk])
        return reverse("projects:import_result", args=[self.pk])

    @property
    def cause(self) -> str:
        """What the history of the rows it writes names as their cause."""
        return f"import:{self.pk}"

    def reason(self, line: int) -> str:
        return f"Reprise du tableau de suivi ({self.original_name}, ligne {line})"

    @property
    def is_open(self) -> bool:
        """Still being prepared: its columns and organisations may change."""
        return self.status == ImportStatus.UPLOADED

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
