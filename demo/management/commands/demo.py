"""`manage.py demo`: the demo data set (idempotent), then the demo logins."""

import time

from django.core.management.base import BaseCommand

from committees.models import Meeting
from demo import data
from demo.loader import Loader
from demo.national import Builder
from projects.models import NationalRole, Role, Territory


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (idempotent) en rejouant leur scénario daté par "
        "les méthodes de l'application, puis affiche les comptes de test."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--national",
            action="store_true",
            help="Ajoute le jeu de données national de mesure (183 territoires de 110 projets).",
        )
        parser.add_argument("--territoires", type=int, default=183)
        parser.add_argument("--projets", type=int, default=110)
        parser.add_argument("--graine", type=int, default=2026)

    def handle(self, *args, **options) -> None:
        if Loader().load():
            self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        else:
            self.stdout.write("Les données de démonstration existent déjà : aucun objet créé.")
        for territory in Territory.objects.filter(code__in=[t["code"] for t in data.TERRITORIES]):
            meetings = Meeting.objects.filter(committee__territory=territory)
            validated = meetings.filter(status=Meeting.Status.VALIDATED).count()
            self.stdout.write(
                f"  {territory.name} : {territory.projects.count()} projets, {meetings.count()} "
                f"séances dont {validated} comptes rendus validés, "
                f"{territory.applications.count()} candidatures"
            )
        names = {t["code"]: t["name"] for t in data.TERRITORIES}
        rows = [("Identifiant", "Rôle", "Territoire")]
        for account in data.ACCOUNTS:
            if account.get("national"):
                role, where = NationalRole(account["national"]).label, "Tous les territoires"
            else:
                memberships = account["memberships"]
                role = " / ".join(sorted({Role(r).label for _, r, _ in memberships}))
                where = ", ".join(names[code] for code, _, _ in memberships)
            rows.append((account["username"], role, where))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            self.stdout.write(
                "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"Mot de passe commun à tous les comptes : {data.PASSWORD}")
        if options["national"]:
            self.national(options["territoires"], options["projets"], options["graine"])

    def national(self, territories: int, projects: int, seed: int) -> None:
        if Territory.objects.filter(code__startswith="ti-2").exists():
            self.stdout.write("Le jeu de données national existe déjà : rien n'a été ajouté.")
            return
        started = time.monotonic()
        counts = Builder(territories, projects, seed).build()
        parts = ", ".join(f"{n} {label}" for label, n in counts.items())
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Jeu national créé en {seconds:.0f} s : {parts}."))
