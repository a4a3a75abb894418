"""Delete the background documents finished more than ReportJob.KEEP ago, with their files, and
the tables uploaded for an import as long ago.

The portfolio report and the board pack are produced for one user from live data: the user
downloads them, and asks again for a newer one. An uploaded table is needed between the steps
of its import only: an import never confirmed is deleted; one that ran keeps its row (its
summary, and the cause "import:<id>" its changes name in the history), not its file. Run this
daily (cron, systemd timer), so that the media storage keeps only recent ones."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from projects.models import ImportStatus, ProjectImport, ReportJob


class Command(BaseCommand):
    help = (
        "Supprime les documents produits en arrière-plan depuis plus de 7 jours, et leur fichier, "
        "ainsi que les tableaux déposés pour un import depuis plus de 7 jours."
    )

    def handle(self, *args, **options) -> None:
        old = ReportJob.objects.filter(finished_at__lt=timezone.now() - ReportJob.KEEP)
        files = deleted = 0
        for job in old.order_by("pk"):
            if job.file:
                job.file.delete(save=False)
                files += 1
            job.delete_parts()  # a long report's parts left by a failure
            job.delete()
            deleted += 1
        self.stdout.write(f"{deleted} génération(s) supprimée(s), {files} fichier(s) effacé(s).")
        tables = abandoned = 0
        old = ProjectImport.objects.filter(created_at__lt=timezone.now() - ReportJob.KEEP)
        for table in old.order_by("pk"):
            if table.status == ImportStatus.UPLOADED:  # never confirmed: nothing refers to it
                table.file.delete(save=False)
                table.delete()
                abandoned += 1
            elif table.is_finished and table.file:
                table.file.delete(save=False)
                table.save(update_fields=["file"])
                tables += 1
        self.stdout.write(
            f"{tables} tableau(x) importé(s) effacé(s), {abandoned} import(s) abandonné(s) "
            "supprimé(s)."
        )
