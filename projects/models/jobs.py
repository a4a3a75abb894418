"""Documents produced in the background (the national portfolio, large exports).

A `ReportJob` is a technical record: what was asked, by whom, how far the worker got, and the
file it produced. It carries no business data of its own (the report reads the projects, whose
history is kept), so it has no audit history: its progress is written many times per document,
with `QuerySet.update()`, and a history row for each step would only fill the database.

A job survives its worker. The task takes the job (`start`: one more attempt) and, while it
works, a heartbeat says it is alive (`alive()`, every LEASE / 4). A running job whose heartbeat
is older than LEASE has lost its worker (killed, machine restarted): `recover` queues it again,
up to MAX_ATTEMPTS, then marks it failed with a French message. The job page recovers the job
it shows, and `manage.py recover_jobs` all of them (cron). A second run of a job that another
worker holds, or that is finished, stops at once.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

__all__ = ["ReportJob", "ReportJobStatus", "ReportKind"]


class ReportKind(models.TextChoices):
    PORTFOLIO = "portfolio", "Rapport de portefeuille (PDF)"
    BOARD_PACK = "board_pack", "Dossier de séance (PDF)"
    PROJECT_IMPORT = "project_import", "Import du tableau de suivi des projets"
    EXPORT_XLSX = "export_xlsx", "Export des projets (XLSX)"


# The task that produces each kind, by its path (as the task queue records it).
TASKS = {
    ReportKind.PORTFOLIO: "tdi.reports.document.build_portfolio",
    ReportKind.BOARD_PACK: "committees.board_pack.build_board_pack",
    ReportKind.PROJECT_IMPORT: "projects.imports.run_import",
    ReportKind.EXPORT_XLSX: "tdi.reports.exports.build_xlsx",
}
PARTS_DIR = "rapports/parties"
# The reports a second identical request may reuse (ReportJob.ask); a board pack follows its
# meeting's documents, an import its file: never reused.
REUSABLE = (ReportKind.PORTFOLIO, ReportKind.EXPORT_XLSX)
INTERRUPTED = (
    "La génération a été interrompue à plusieurs reprises (le service de production des "
    "documents s'est arrêté). Relancez la demande ; si l'échec se répète, signalez-le à "
    "l'administrateur de la plateforme."
)


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
    # A running job's worker says it is alive at least this often; past it, the job is taken up
    # again, at most MAX_ATTEMPTS times in all.
    LEASE = timedelta(minutes=2)
    MAX_ATTEMPTS = 3
    # A finished document is kept this long, then deleted with its file (manage.py purge_jobs).
    KEEP = timedelta(days=7)
    # The same report of today, asked for again this soon, is the one already made.
    REUSE = timedelta(minutes=5)

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
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    # A long report laid out in parts by several workers (tdi.reports.document): how many.
    parts = models.PositiveSmallIntegerField("parties", default=0)
    heartbeat_at = models.DateTimeField("signe de vie le", null=True, blank=True)

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

    @classmethod
    def ask(cls, kind: str, user, parameters: dict) -> ReportJob:
        """A document asked for in the background: the user's same request still under way (a
        second click gets the first job), the same report made recently (reused), or a new job,
        queued for its task."""
        now = timezone.now()
        same = cls.objects.filter(kind=kind, created_by=user, parameters=parameters)
        under_way = (
            same.filter(
                status__in=[ReportJobStatus.QUEUED, ReportJobStatus.RUNNING],
                created_at__gte=now - cls.STALE_AFTER,
            )
            .order_by("-created_at")
            .first()
        )
        if under_way is not None:
            return under_way
        if kind in REUSABLE:
            # A report as of a past day reads a history that no longer changes: its file
            # serves as long as it is kept. Today's serves a few minutes.
            as_of = parameters.get("as_of")
            past_day = bool(as_of) and as_of < timezone.localdate().isoformat()
            recent = (
                same.filter(
                    status=ReportJobStatus.DONE,
                    finished_at__gte=now - (cls.KEEP if past_day else cls.REUSE),
                )
                .exclude(file="")
                .order_by("-finished_at")
                .first()
            )
            if recent is not None:
                return recent
        job = cls.objects.create(kind=kind, parameters=parameters, created_by=user)
        import_string(TASKS[kind]).enqueue(job.pk)
        return job

    def store(self, content: bytes, name: str) -> None:
        """The document is ready: its file is stored and the job done."""
        self.file.save(name, ContentFile(content), save=False)
        self.status, self.progress, self.finished_at = ReportJobStatus.DONE, 100, timezone.now()
        self.save(update_fields=["file", "status", "progress", "finished_at"])

    def finish(self) -> None:
        """The work is done and produced no file (an import: its outcome is on its own page)."""
        self.status, self.progress, self.finished_at = ReportJobStatus.DONE, 100, timezone.now()
        self.save(update_fields=["status", "progress", "finished_at"])

    def part_file(self, index: int, extension: str) -> str:
        """Where a part of a long document waits in the media storage until it is joined."""
        return f"{PARTS_DIR}/{self.pk}/{index}.{extension}"

    def delete_parts(self) -> None:
        folder = f"{PARTS_DIR}/{self.pk}"
        try:
            _folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            default_storage.delete(f"{folder}/{name}")

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

    # --- surviving the worker ---------------------------------------------------------------

    @property
    def is_abandoned(self) -> bool:
        """Running, but its worker has not said it is alive for longer than LEASE."""
        return self.status == ReportJobStatus.RUNNING and (
            self.heartbeat_at is None or self.heartbeat_at < timezone.now() - self.LEASE
        )

    def start(self) -> bool:
        """The task takes the job: running, one more attempt. False when the job is finished or
        held by another worker that is alive: this run must stop."""
        with transaction.atomic():
            job = ReportJob.objects.select_for_update().get(pk=self.pk)
            if job.is_finished or (job.status == ReportJobStatus.RUNNING and not job.is_abandoned):
                return False
            job.status, job.attempts = ReportJobStatus.RUNNING, job.attempts + 1
            job.progress, job.heartbeat_at = 5, timezone.now()
            job.save(update_fields=["status", "attempts", "progress", "heartbeat_at"])
        self.status, self.attempts, self.progress = job.status, job.attempts, job.progress
        self.heartbeat_at = job.heartbeat_at
        return True

    def advance(self, percent: int) -> None:
        """The work goes on: its progress, and a sign of life."""
        ReportJob.objects.filter(pk=self.pk, status=ReportJobStatus.RUNNING).update(
            progress=percent, heartbeat_at=timezone.now()
        )

    @contextmanager
    def alive(self):
        """While the task works (a long rendering reports no progress), a thread says every
        LEASE / 4 that the worker is alive."""
        stop = threading.Event()

        def beat() -> None:
            try:
                while not stop.wait(self.LEASE.total_seconds() / 4):
                    ReportJob.objects.filter(pk=self.pk, status=ReportJobStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
            finally:
                connection.close()  # this thread's own connection

        thread = threading.Thread(target=beat, name=f"report-job-{self.pk}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def recover(self) -> bool:
        """An abandoned job queued again, or failed after MAX_ATTEMPTS; True if it was."""
        with transaction.atomic():
            job = ReportJob.objects.select_for_update().get(pk=self.pk)
            if not job.is_abandoned:
                return False
            if job.attempts >= self.MAX_ATTEMPTS:
                job.fail(INTERRUPTED)
            else:
                job.status, job.progress = ReportJobStatus.QUEUED, 0
                job.save(update_fields=["status", "progress"])
                task = import_string(TASKS[job.kind])
                task.enqueue(job.pk)
        self.refresh_from_db()
        return True
