"""Delete the background documents finished more than ReportJob.KEEP ago, with their files.

The portfolio report and the board pack are produced for one user from live data: the user
downloads them, and asks again for a newer one. Run this daily (cron, systemd timer), so that
the media storage keeps only recent ones."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from projects.models import ReportJob


class Command(BaseCommand):
    help = (
        "Supprime les documents produits en arrière-plan depuis plus de 7 jours, et leur fichier."
    )

    def handle(self, *args, **options) -> None:
        old = ReportJob.objects.filter(finished_at__lt=timezone.now() - ReportJob.KEEP)
        files = deleted = 0
        for job in old.order_by("pk"):
            if job.file:
                job.file.delete(save=False)
                files += 1
            job.delete()
            deleted += 1
        self.stdout.write(f"{deleted} génération(s) supprimée(s), {files} fichier(s) effacé(s).")
