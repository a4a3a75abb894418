"""`manage.py demo`: the demo data set (idempotent), then the demo logins."""

from django.core.management.base import BaseCommand

from committees.models import Meeting
from demo import data
from demo.loader import Loader
from projects.models import NationalRole, Role, Territory


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (idempotent) en rejouant leur scénario daté par "
        "les méthodes de l'application, puis affiche les comptes de test."
    )

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
