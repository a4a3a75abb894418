"""Take up again the background documents whose worker died (killed, machine restarted).

A job page does it for the job it shows; run this regularly (cron, systemd timer) so that no
job waits for someone to look at it."""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from projects.models import ReportJob


class Command(BaseCommand):
    help = "Reprend les générations de documents interrompues (service arrêté en cours de route)."

    def handle(self, *args, **options) -> None:
        deadline = timezone.now() - ReportJob.LEASE
        abandoned = ReportJob.objects.filter(status=ReportJob.Status.RUNNING).filter(
            Q(heartbeat_at__lt=deadline) | Q(heartbeat_at__isnull=True)
        )
        taken = failed = 0
        for job in abandoned.order_by("pk"):
            if not job.recover():
                continue
            if job.status == ReportJob.Status.FAILED:
                failed += 1
                self.stdout.write(f"{job} : abandonné après {job.attempts} tentatives.")
            else:
                taken += 1
                self.stdout.write(f"{job} : relancé (tentative {job.attempts + 1}).")
        self.stdout.write(f"{taken} génération(s) relancée(s), {failed} abandonnée(s).")
