"""Seed the AMI Rebond industriel, a real call of the programme (not demo data)."""

from datetime import date

from django.db import migrations

SECTIONS = [
    (
        "candidat",
        "Identification des EPCI candidats et du contact",
        "EPCI ou groupement d'EPCI porteur de la candidature, collectivités associées, "
        "élu référent et chef de projet Territoire d'industrie (nom, fonction, coordonnées).",
        True,
        2000,
    ),
    (
        "choc",
        "Le choc industriel subi et le diagnostic du territoire",
        "Nature et ampleur du choc (fermetures, plans sociaux, perte de donneurs d'ordre), "
        "emplois et filières touchés, données chiffrées et sources.",
        True,
        5000,
    ),
    (
        "ecosysteme",
        "L'écosystème industriel",
        "Filières, entreprises structurantes, sous-traitance, compétences, formation "
        "(écoles de production, CLEE), foncier disponible, atouts et fragilités.",
        True,
        5000,
    ),
    (
        "gouvernance",
        "La gouvernance du Territoire d'industrie",
        "Binôme élu-industriel, comité de pilotage et comité technique, partenaires (Région, "
        "État, Banque des Territoires, Bpifrance, CCI…), fréquence des réunions, pré-validation "
        "des projets d'entreprise par le COPIL territorial.",
        True,
        4000,
    ),
    (
        "portefeuille",
        "Le portefeuille de projets",
        "Présentation d'ensemble des projets proposés : maturité (réalisation sous deux ans), "
        "investissements productifs, emplois créés ou maintenus, impact environnemental. "
        "Le tableau du portefeuille est produit à partir des fiches projets.",
        True,
        6000,
    ),
    (
        "cofinancements",
        "Engagements de cofinancement des collectivités",
        "Montants et nature des engagements de l'EPCI, de la Région et des autres collectivités "
        "(délibérations, lettres d'engagement à joindre en annexe).",
        True,
        3000,
    ),
    (
        "resultats",
        "Résultats attendus et indicateurs de suivi",
        "Emplois, investissements privés déclenchés, tonnes de CO2 évitées, foncier requalifié ; "
        "modalités de suivi et d'évaluation.",
        True,
        3000,
    ),
    (
        "annexes",
        "Annexes",
        "Liste des pièces jointes : délibérations, lettres de soutien, fiches projets, devis.",
        False,
        2000,
    ),
]


def seed(apps, schema_editor):
    Call = apps.get_model("projects", "Call")
    CallSection = apps.get_model("projects", "CallSection")
    if Call.objects.filter(title__startswith="AMI Rebond industriel").exists():
        return
    call = Call.objects.create(
        title="AMI Rebond industriel",
        funder="État — France 2030, opéré par la Banque des Territoires et Bpifrance",
        description=(
            "Appel à manifestation d'intérêt destiné aux territoires touchés par un choc "
            "industriel. Il finance des missions d'ingénierie (enveloppe de 10 M€ opérée par la "
            "Banque des Territoires) et des projets industriels d'entreprises (enveloppe de "
            "90 M€ d'aides opérée par Bpifrance). Les EPCI ou groupements d'EPCI candidatent ; "
            "les projets d'entreprise, pré-validés par le comité de pilotage territorial, sont "
            "ensuite déposés auprès de Bpifrance."
        ),
        eligibility=(
            "Sont privilégiés les projets matures, réalisables dans un délai de deux ans, "
            "comportant des investissements productifs (actifs corporels et incorporels), créant "
            "ou maintenant des emplois industriels, et présentant un impact environnemental "
            "positif."
        ),
        opens_on=date(2023, 1, 16),
        closes_on=date(2023, 3, 17),
    )
    for order, (key, title, guidance, required, max_length) in enumerate(SECTIONS, 1):
        CallSection.objects.create(
            call=call,
            order=order,
            key=key,
            title=title,
            guidance=guidance,
            required=required,
            max_length=max_length,
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_applications")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
