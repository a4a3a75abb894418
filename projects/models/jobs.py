"""Documents produced in the background (the national portfolio, large exports).

A `ReportJob` is a technical record: what was asked, by whom, how far the worker got, and the
file it produced. It carries no business data of its own (the report reads the projects, whose
history is kept), so it has no audit history: its progress is written many times per document,
with `QuerySet.update()`, and a history row for each step would only fill the database.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

__all__ = ["ReportJob", "ReportJobStatus", "ReportKind"]


class ReportKind(models.TextChoices):
    PORTFOLIO = "portfolio", "Rapport de portefeuille (PDF)"
    BOARD_PACK = "board_pack", "Dossier de séance (PDF)"


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


class ReportJob(models.Model):
    """A document asked for by a user and produced by a background task."""

    Kind = ReportKind
    Status = ReportJobStatus
    # A job still unfinished after this long is shown as stuck (no worker running?), and a new
    # click starts another.
    STALE_AFTER = timedelta(minutes=30)

    kind = models.CharField("type de document", max_length=20, choices=ReportKind.choices)
    parameters = models.JSONField("paramètres", default=dict, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=ReportJobStatus.choices, default=ReportJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    file = models.FileField("fichier", upload_to="rapports/", max_length=255, blank=True)
    error = models.TextField("erreur", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_jobs",
        verbose_name="demandé par",
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "génération de document"
        verbose_name_plural = "générations de documents"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReportJobStatus.values), name="report_job_status_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_job_progress_max"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("report_job", args=[self.pk])

    def store(self, content: bytes, name: str) -> None:
        """The document is ready: its file is stored and the job done."""
        self.file.save(name, ContentFile(content), save=False)
        self.status, self.progress, self.finished_at = ReportJobStatus.DONE, 100, timezone.now()
        self.save(update_fields=["file", "status", "progress", "finished_at"])

    def fail(self, message: str) -> None:
        """The task failed: the job says so, in French, without the technical detail."""
        self.status, self.error, self.finished_at = ReportJobStatus.FAILED, message, timezone.now()
        self.save(update_fields=["status", "error", "finished_at"])

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportJobStatus.DONE, ReportJobStatus.FAILED)

    @property
    def is_stale(self) -> bool:
        return not self.is_finished and self.created_at < timezone.now() - self.STALE_AFTER
