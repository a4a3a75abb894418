"""Print the archived PDFs still missing (a worker that was down, a rendering that failed).

Each is printed from the HTML its record stored when it froze, so the PDF says exactly what was
validated or submitted then, whenever it is produced."""

from django.apps import apps
from django.core.management.base import BaseCommand

from projects.lifecycle import Lifecycle, produce_archive


class Command(BaseCommand):
    help = "Produit les PDF archivés (comptes rendus validés, dossiers déposés) encore manquants."

    def handle(self, *args, **options) -> None:
        produced = failed = 0
        for model in apps.get_models():
            archive = getattr(model, "ARCHIVE", None)
            if not issubclass(model, Lifecycle) or archive is None:
                continue
            missing = model._default_manager.filter(
                status__in=model.FROZEN_IN, **{f"{archive.prefix}_pdf": ""}
            ).exclude(**{f"{archive.prefix}_html": ""})
            for pk in missing.values_list("pk", flat=True):
                try:
                    name = produce_archive.call(model._meta.label, pk)
                except Exception as error:  # noqa: BLE001 — reported, the others go on
                    failed += 1
                    self.stderr.write(f"{model._meta.verbose_name} n° {pk} : échec ({error})")
                else:
                    produced += 1
                    self.stdout.write(f"{model._meta.verbose_name} n° {pk} : {name}")
        self.stdout.write(f"{produced} PDF produit(s), {failed} échec(s).")
        if failed:
            raise SystemExit(1)
