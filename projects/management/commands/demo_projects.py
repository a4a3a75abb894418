"""Load the projects demo data (territories, organisations, accounts and projects) idempotently.

Run on its own with `manage.py demo_projects`; `manage.py demo` (committees app) runs it first,
then loads the committees and their meetings.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections import Counter, deque
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from projects.lifecycle import history_stamp, save_change
from projects.models import (
    AUTOMATIC,
    LEAD,
    MOVES,
    Axis,
    FundingInstrument,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorKind,
    Membership,
    Milestone,
    NationalMembership,
    NationalRole,
    Organisation,
    OrganisationKind,
    Project,
    Role,
    Stage,
    Territory,
    validate_siren,
)

DEMO_PASSWORD = "demo-tdi-2026"  # noqa: S105 — shared password of the demo accounts only
CHANGE_REASON = "Chargement des données de démonstration"
SELF = "structure porteuse"  # funder placeholder: the project's lead organisation

K, FI, S = OrganisationKind, FundingInstrument, Stage
CL, VM = "ti-0052", "ti-0055"
CA_CHAUMONT = "Communauté d'agglomération de Chaumont"
CC_LANGRES = "Communauté de communes du Grand Langres"
CC_COMMERCY = "Communauté de communes du Pays de Commercy"
PREFECTURE = "Préfecture de la Haute-Marne"
REGION = "Région Grand Est"
DEPARTMENT = "Département de la Haute-Marne"
BDT = "Banque des Territoires"
BPI = "Bpifrance"
FRANCE_TRAVAIL = "France Travail"
CCI = "CCI Haute-Marne"
NOGENTECH = "Nogentech"
METALTECH = "MétalTech – école de production"
ADEME = "ADEME"
FORGES = "Forges du Bassigny SAS"
USINAGE = "Usinage de précision Nogentais"
COMPOSITES = "Composites Haute-Marne"
COUTELLERIE = "Coutellerie Dupré & Fils"
HYDROGENE = "Hydrogène Vallée de la Marne"
LOGISTIQUE = "Logistique Chaumontaise"

# Accounts: username, names, what the account shows, memberships (territory, role, organisation).
ACCOUNTS: list[dict[str, Any]] = [
    {
        "username": "coordination",
        "name": ("Claire", "Martin"),
        "description": "Cheffe de projet TI Chaumont-Langres (coordination)",
        "memberships": [(CL, Role.COORDINATOR, CA_CHAUMONT)],
    },
    {
        "username": "porteur",
        "name": ("Julien", "Roussel"),
        "description": "Porteur de projet, Forges du Bassigny (3 projets)",
        "memberships": [(CL, Role.LEAD, FORGES)],
    },
    {
        "username": "porteur2",
        "name": ("Sophie", "Lefèvre"),
        "description": "Porteuse de projet, Composites Haute-Marne (2 projets)",
        "memberships": [(CL, Role.LEAD, COMPOSITES)],
    },
    {
        "username": "membre",
        "name": ("Patrick", "Girard"),
        "description": "Membre du COTECH et du COPIL, CCI Haute-Marne",
        "memberships": [(CL, Role.MEMBER, CCI)],
    },
    {
        "username": "partenaire",
        "name": ("Nadia", "Benali"),
        "description": "Partenaire financeur, Banque des Territoires (deux territoires)",
        "memberships": [(CL, Role.PARTNER, BDT), (VM, Role.PARTNER, BDT)],
    },
    {
        "username": "admin",
        "name": ("Hélène", "Moreau"),
        "description": "ANCT – administration nationale (tous les territoires)",
        "memberships": [],
        "national": NationalRole.ADMIN,
        "superuser": True,
    },
    {
        "username": "national",
        "name": ("Thomas", "Girardin"),
        "description": "DGE – lecture nationale (tous les territoires, sans modification)",
        "memberships": [],
        "national": NationalRole.READER,
    },
    {
        "username": "autre",
        "name": ("Marc", "Lambert"),
        "description": "Coordination du TI Vallée de la Meuse uniquement",
        "memberships": [(VM, Role.COORDINATOR, CC_COMMERCY)],
    },
]
DEMO_ACCOUNTS: list[tuple[str, str]] = [(a["username"], a["description"]) for a in ACCOUNTS]

# Bodies shared by the territories: name, kind, base of a fictitious SIREN (companies only).
ORGANISATIONS: list[tuple[str, str, str]] = [
    ("Agence nationale de la cohésion des territoires (ANCT)", K.STATE, ""),
    (REGION, K.REGION, ""),
    (BDT, K.PUBLIC_OPERATOR, ""),
    (BPI, K.PUBLIC_OPERATOR, ""),
    (FRANCE_TRAVAIL, K.PUBLIC_OPERATOR, ""),
    (ADEME, K.PUBLIC_OPERATOR, ""),
]

# Stage defaults: the status of funding lines, the progress and the open-data flag.
FUNDING_STATUS = {
    S.APPROVED: FundingStatus.REQUESTED,
    S.FINANCING: FundingStatus.REQUESTED,
    S.FUNDED: FundingStatus.GRANTED,
    S.IN_PROGRESS: FundingStatus.GRANTED,
    S.SUSPENDED: FundingStatus.GRANTED,
    S.ABANDONED: FundingStatus.REQUESTED,
    S.DONE: FundingStatus.PAID,
    S.CLOSED: FundingStatus.PAID,
}
PROGRESS = {
    S.FINANCING: 5,
    S.FUNDED: 10,
    S.IN_PROGRESS: 50,
    S.SUSPENDED: 35,
    S.DONE: 100,
    S.CLOSED: 100,
}
PUBLIC_STAGES = {S.APPROVED, S.FINANCING, S.FUNDED, S.IN_PROGRESS, S.DONE, S.CLOSED}

# The reason recorded for each move; {cotech}, {copil} and {motive} come from the project data.
REASONS = {
    (S.IDEA, S.DRAFTING): "Début de la rédaction de la fiche-action",
    (S.DRAFTING, S.SUBMITTED): "Dossier déposé par le porteur",
    (S.SUBMITTED, S.ELIGIBLE): "Dossier complet",
    (S.ELIGIBLE, S.COTECH): "Inscrit à l'ordre du jour du COTECH du {cotech}",
    (S.COTECH, S.READY_COPIL): "Avis favorable du COTECH du {cotech}",
    (S.COTECH, S.RESERVES): "Avis favorable sous réserves du COTECH du {cotech} : {motive}",
    (S.COTECH, S.REJECTED): "Avis défavorable du COTECH du {cotech} : {motive}",
    (S.COTECH, S.REDIRECTED): "Réorientation décidée par le COTECH du {cotech} : {motive}",
    (S.RESERVES, S.READY_COPIL): "Réserves levées, avis favorable du COTECH confirmé",
    (S.READY_COPIL, S.COPIL): "Inscrit à l'ordre du jour du COPIL du {copil}",
    (S.COPIL, S.APPROVED): "Validé en COPIL du {copil}",
    (S.COPIL, S.REJECTED): "Rejeté en COPIL du {copil} : {motive}",
    (S.APPROVED, S.FINANCING): "Demandes de financement déposées auprès des financeurs",
    (S.FINANCING, S.FUNDED): "Plan de financement bouclé : toutes les aides sont notifiées",
    (S.FUNDED, S.IN_PROGRESS): "Démarrage des travaux (ordre de service)",
    (S.IN_PROGRESS, S.DONE): "Réception des travaux et bilan des indicateurs",
    (S.DONE, S.CLOSED): "Bilan final transmis, dossier soldé",
}

# Dates of the history. A project's creation and moves are dated after its data: "created" and
# "moved" (stage → ISO date) when given, the committee dates of the reasons (the inscription at a
# committee's agenda some days before its meeting), the planned start and end for the start and
# the end of the works; the other moves follow the previous one after the usual delay.
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")  # fmt: skip
FIRST_DAY = date(2025, 1, 2)  # the programme's demo history starts in 2025
AGENDA_NOTICE = {S.COTECH: 21, S.COPIL: 14}  # days between the inscription and the meeting
DELAYS = {  # usual number of days between the previous event and the move to a stage
    S.DRAFTING: 18,
    S.SUBMITTED: 35,
    S.ELIGIBLE: 12,
    S.COTECH: 10,
    S.READY_COPIL: 21,
    S.COPIL: 10,
    S.FINANCING: 16,
    S.FUNDED: 70,
    S.IN_PROGRESS: 30,
    S.SUSPENDED: 120,
    S.DONE: 240,
    S.CLOSED: 75,
    S.WITHDRAWN: 40,
    S.ABANDONED: 60,
}
DEFAULT_DELAY = 21
PLANNED = {S.IN_PROGRESS: 0, S.DONE: 1}  # moves dated by the planned start or end

CHAUMONT_LANGRES_PROJECTS: list[dict[str, Any]] = [
    {
        "title": "Centrale photovoltaïque en toiture des ateliers de coutellerie",
        "stage": S.IDEA,
        "created": "2026-10-19",
        "axis": Axis.ECOLOGICAL,
        "lead": COUTELLERIE,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2027-03-01", "2027-10-29"),
        "cost": 380_000,
        "summary": "Couvrir les 4 200 m² de toiture des ateliers de Nogent de panneaux "
        "photovoltaïques pour l'autoconsommation.",
        "description": "La coutellerie consomme près de 900 MWh par an, surtout pour la trempe "
        "et le polissage. Une centrale de 450 kWc en toiture couvrirait environ 40 % de ses "
        "besoins en électricité. L'entreprise étudie encore le désamiantage préalable d'une "
        "partie de la toiture.",
        "funding": [(SELF, FI.EQUITY, 190_000), (BPI, FI.LOAN, 150_000)],
        "indicators": [("jobs_created", 1), ("jobs_kept", 38), ("co2", 45)],
        "milestones": [("Étude de structure de la toiture", "2027-01-29")],
    },
    {
        "title": "Robotisation de la ligne d'estampage",
        "stage": S.DRAFTING,
        "created": "2026-09-07",
        "lead_user": "porteur",
        "axis": Axis.INNOVATION,
        "lead": FORGES,
        "commune": "Bologne",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-18", "2027-12-17"),
        "cost": 1_250_000,
        "summary": "Installer deux cellules robotisées de chargement des presses d'estampage "
        "à chaud.",
        "description": "Le chargement manuel des lopins portés à 1 200 °C expose les opérateurs "
        "à la chaleur et aux troubles musculo-squelettiques. Deux cellules robotisées "
        "sécuriseront ces postes et augmenteront la cadence de 20 %. Les opérateurs concernés "
        "seront formés à la conduite et à la maintenance des cellules.",
        "funding": [
            (SELF, FI.EQUITY, 500_000),
            (BPI, FI.FRANCE_2030, 375_000),
            (REGION, FI.GRANT, 250_000),
            (BPI, FI.LOAN, 125_000),
        ],
        "indicators": [("jobs_created", 4), ("jobs_kept", 62), ("private_investment", 500_000)],
        "milestones": [
            ("Choix de l'intégrateur robotique", "2026-12-18"),
            ("Mise en service de la première cellule", "2027-06-30"),
        ],
    },
    {
        "title": "Parcours de formation d'opérateurs composites",
        "stage": S.SUBMITTED,
        "created": "2026-07-06",
        "lead_user": "porteur2",
        "axis": Axis.SKILLS,
        "lead": COMPOSITES,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2027-02-01", "2028-06-30"),
        "cost": 186_000,
        "partners": [FRANCE_TRAVAIL],
        "summary": "Former et recruter douze opérateurs de moulage composite avec France "
        "Travail, par une préparation opérationnelle à l'emploi collective.",
        "description": "L'entreprise peine à recruter des opérateurs de drapage et de moulage, "
        "des métiers peu connus des demandeurs d'emploi. Le parcours associe 400 heures de "
        "formation, un tutorat en atelier et l'aménagement d'une salle de formation. Les "
        "candidats seront repérés avec France Travail et lors des forums du CLEE.",
        "funding": [
            (FRANCE_TRAVAIL, FI.OTHER, 72_000),
            (REGION, FI.GRANT, 56_000),
            (SELF, FI.EQUITY, 58_000),
        ],
        "indicators": [("jobs_created", 12), ("jobs_kept", 85), ("trained", 24)],
        "milestones": [("Réunion d'information collective avec France Travail", "2027-01-20")],
    },
    {
        "title": "Extension du parc d'activités de Langres Sud",
        "stage": S.ELIGIBLE,
        "created": "2026-06-01",
        "axis": Axis.LAND,
        "lead": CC_LANGRES,
        "commune": "Langres",
        "epci": CC_LANGRES,
        "dates": ("2027-04-01", "2028-09-29"),
        "cost": 2_400_000,
        "summary": "Aménager 9 hectares supplémentaires pour accueillir des entreprises "
        "industrielles à proximité de l'A31.",
        "description": "Le parc d'activités existant est entièrement commercialisé et trois "
        "industriels ont exprimé un besoin de terrain. L'extension comprend la viabilisation "
        "de 9 ha, une voirie adaptée aux poids lourds et la gestion des eaux pluviales par "
        "noues. Le découpage en lots denses et mutualisés limite la consommation de foncier.",
        "funding": [
            (PREFECTURE, FI.DETR, 600_000),
            (REGION, FI.GRANT, 480_000),
            (REGION, FI.FEDER, 720_000),
            (SELF, FI.EQUITY, 600_000),
        ],
        "indicators": [("jobs_created", 60), ("jobs_kept", 25), ("hectares", 9)],
        "milestones": [("Acquisition des dernières parcelles", "2027-02-26")],
    },
    {
        "title": "Plateforme apprentissage et recrutement dans l'industrie",
        "stage": S.COTECH,
        "cotech": "10 décembre 2026",
        "axis": Axis.SKILLS,
        "lead": FRANCE_TRAVAIL,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-04", "2028-12-29"),
        "cost": 240_000,
        "partners": [CCI, NOGENTECH, METALTECH],
        "summary": "Une plateforme commune aux industriels, à France Travail et au CLEE pour "
        "publier les offres d'apprentissage et organiser les visites d'entreprises.",
        "description": "Les offres d'apprentissage et de stage des industriels sont aujourd'hui "
        "dispersées. La plateforme les centralise, avec les visites d'entreprises et les "
        "journées de l'industrie organisées avec le CLEE dans les collèges et lycées. Un "
        "chargé de mission animera le réseau des entreprises pendant deux ans.",
        "funding": [
            (BDT, FI.GRANT, 80_000),
            (FRANCE_TRAVAIL, FI.OTHER, 60_000),
            (REGION, FI.GRANT, 60_000),
            (CA_CHAUMONT, FI.GRANT, 40_000),
        ],
        "indicators": [("jobs_created", 40), ("trained", 150)],
        "milestones": [("Mise en ligne de la plateforme", "2027-04-30")],
    },
    {
        "title": "Académie des métiers de la forge",
        "stage": S.RESERVES,
        "cotech": "13 octobre 2026",
        "motive": "joindre la convention de partenariat avec MétalTech et le calendrier des "
        "premières sessions de formation",
        "lead_user": "porteur",
        "axis": Axis.SKILLS,
        "lead": FORGES,
        "commune": "Bologne",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-04", "2028-07-31"),
        "cost": 420_000,
        "partners": [METALTECH, FRANCE_TRAVAIL],
        "summary": "Créer un centre de formation interne pour former chaque année dix "
        "forgerons et régleurs de presses.",
        "description": "Près d'un tiers des forgerons de l'entreprise partiront à la retraite "
        "d'ici 2030. L'académie transforme un bâtiment inoccupé en plateau de formation équipé "
        "d'une presse-école, pour des demandeurs d'emploi et des apprentis formés avec "
        "MétalTech. Les formateurs sont des salariés expérimentés, en partie déchargés de la "
        "production.",
        "funding": [
            (SELF, FI.EQUITY, 170_000),
            (REGION, FI.GRANT, 150_000),
            (DEPARTMENT, FI.GRANT, 60_000),
            (FRANCE_TRAVAIL, FI.OTHER, 40_000),
        ],
        "indicators": [("jobs_created", 6), ("jobs_kept", 20), ("trained", 40)],
        "milestones": [("Signature de la convention avec MétalTech", "2026-12-31")],
    },
    {
        "title": "Station hydrogène vert de Chaumont",
        "stage": S.READY_COPIL,
        "cotech": "13 octobre 2026",
        "axis": Axis.ECOLOGICAL,
        "lead": HYDROGENE,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2027-03-01", "2028-06-30"),
        "cost": 3_600_000,
        "partners": [ADEME, CA_CHAUMONT, LOGISTIQUE],
        "summary": "Produire par électrolyse et distribuer de l'hydrogène vert pour les poids "
        "lourds et les engins des industriels.",
        "description": "La station comprend un électrolyseur de 1 MW alimenté par un contrat "
        "d'électricité renouvelable et une distribution à 350 et 700 bars. Les premiers "
        "clients sont des transporteurs et la flotte de bennes de l'agglomération. À pleine "
        "charge, le projet doit éviter environ 1 200 tonnes de CO2 par an.",
        "funding": [
            (ADEME, FI.GRANT, 1_200_000),
            (BPI, FI.FRANCE_2030, 900_000),
            (BDT, FI.EQUITY, 600_000),
            (SELF, FI.EQUITY, 900_000),
        ],
        "indicators": [("jobs_created", 8), ("co2", 1_200)],
        "milestones": [("Autorisation environnementale obtenue", "2027-01-29")],
    },
    {
        "title": "Modernisation de l'atelier de la coutellerie Dupré",
        "stage": S.COPIL,
        "cotech": "13 octobre 2026",
        "copil": "26 novembre 2026",
        "axis": Axis.INNOVATION,
        "lead": COUTELLERIE,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2027-02-01", "2027-12-17"),
        "cost": 860_000,
        "partners": [NOGENTECH],
        "summary": "Remplacer les affûteuses manuelles par un centre d'affûtage à commande "
        "numérique et moderniser l'atelier de polissage.",
        "description": "Installée à Nogent depuis quatre générations, la coutellerie fabrique "
        "des couteaux professionnels et des instruments chirurgicaux. Le centre d'affûtage "
        "numérique et une cabine de polissage aspirée amélioreront la régularité des lames et "
        "les conditions de travail. L'entreprise vise de nouveaux marchés dans "
        "l'instrumentation médicale.",
        "funding": [
            (SELF, FI.EQUITY, 344_000),
            (BPI, FI.ADVANCE, 260_000),
            (REGION, FI.GRANT, 170_000),
            (BPI, FI.LOAN, 86_000),
        ],
        "indicators": [("jobs_created", 5), ("jobs_kept", 38), ("private_investment", 344_000)],
        "milestones": [("Commande du centre d'affûtage", "2027-02-26")],
    },
    {
        "title": "Plateforme logistique mutualisée pour les PME industrielles",
        "stage": S.APPROVED,
        "cotech": "13 octobre 2026",
        "copil": "19 novembre 2026",
        "axis": Axis.OTHER,
        "lead": LOGISTIQUE,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-18", "2028-03-31"),
        "cost": 2_150_000,
        "partners": [NOGENTECH, CCI],
        "summary": "Un entrepôt de 6 000 m² partagé entre PME industrielles pour le stockage, "
        "la préparation des commandes et les expéditions groupées.",
        "description": "Plusieurs PME du bassin chaumontais louent des stockages dispersés et "
        "expédient en petits lots. L'entrepôt mutualisé, construit sur une parcelle déjà "
        "artificialisée, regroupe ces flux et réduit le nombre de camions partiellement "
        "chargés. Il sera desservi par la future station hydrogène.",
        "funding": [
            (SELF, FI.EQUITY, 650_000),
            (BDT, FI.LOAN, 900_000),
            (REGION, FI.GRANT, 300_000),
            (BPI, FI.LOAN, 300_000),
        ],
        "indicators": [("jobs_created", 12), ("jobs_kept", 30), ("hectares", 1.8)],
        "milestones": [("Dépôt du permis de construire", "2026-12-18")],
    },
    {
        "title": "Recyclage des chutes de composites carbone",
        "stage": S.FINANCING,
        "cotech": "16 juin 2026",
        "copil": "9 juillet 2026",
        "lead_user": "porteur2",
        "axis": Axis.ECOLOGICAL,
        "lead": COMPOSITES,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-04", "2027-12-17"),
        "cost": 1_480_000,
        "partners": [NOGENTECH, ADEME],
        "summary": "Installer une ligne pilote de broyage et de réemploi des chutes de fibres "
        "de carbone issues de la production.",
        "description": "L'entreprise envoie chaque année près de 60 tonnes de chutes de "
        "préimprégnés en centre d'enfouissement. La ligne pilote les broie et les réintroduit "
        "sous forme de fibres courtes dans des pièces non structurelles. Le procédé a été mis "
        "au point avec un laboratoire partenaire du cluster Nogentech ; la Région n'a pas "
        "encore été sollicitée pour le solde du plan de financement.",
        "funding": [
            (ADEME, FI.GRANT, 420_000),
            (BPI, FI.FRANCE_2030, 380_000),
            (SELF, FI.EQUITY, 480_000),
        ],
        "indicators": [("jobs_created", 6), ("jobs_kept", 110), ("co2", 180)],
        "milestones": [
            ("Essais de broyage validés", "2026-05-29", "2026-05-27"),
            ("Commande de la ligne pilote", "2027-01-29"),
        ],
    },
    {
        "title": "Extension de l'école de production MétalTech",
        "stage": S.FUNDED,
        "cotech": "14 octobre 2025",
        "copil": "13 novembre 2025",
        "moved": {S.FUNDED: "2026-09-28"},
        "axis": Axis.SKILLS,
        "lead": METALTECH,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-04", "2027-08-31"),
        "cost": 1_150_000,
        "partners": [NOGENTECH, CCI, CA_CHAUMONT],
        "summary": "Doubler la capacité de l'école de production de Nogent, de 24 à 48 élèves, "
        "avec un second atelier d'usinage.",
        "description": "Ouverte en 2022, l'école de production MétalTech forme des jeunes de 15 "
        "à 18 ans au métier d'usineur en travaillant sur de vraies commandes des industriels. "
        "Les demandes d'inscription dépassent les places disponibles. L'extension aménage un "
        "second atelier de machines à commande numérique et une salle de cours, pour "
        "accueillir de nouveaux élèves à la rentrée de septembre 2027.",
        "funding": [
            (REGION, FI.GRANT, 400_000),
            (DEPARTMENT, FI.GRANT, 200_000),
            (CA_CHAUMONT, FI.GRANT, 150_000),
            (SELF, FI.EQUITY, 400_000),
        ],
        "indicators": [("jobs_created", 4), ("jobs_kept", 6), ("trained", 24)],
        "milestones": [
            ("Conventions de financement signées", "2026-09-30", "2026-09-24"),
            ("Livraison du second atelier", "2027-07-16"),
        ],
    },
    {
        "title": "Récupération de chaleur fatale des fours de forge",
        "stage": S.IN_PROGRESS,
        "cotech": "17 juin 2025",
        "copil": "10 juillet 2025",
        "lead_user": "porteur",
        "progress": 55,
        "axis": Axis.ECOLOGICAL,
        "lead": FORGES,
        "commune": "Bologne",
        "epci": CA_CHAUMONT,
        "dates": ("2025-09-01", "2027-03-31"),
        "cost": 940_000,
        "partners": [ADEME],
        "summary": "Récupérer la chaleur des fumées des fours de réchauffage pour chauffer les "
        "ateliers et préchauffer l'air de combustion.",
        "description": "Les fours de réchauffage des lopins rejettent des fumées à plus de "
        "500 °C. Des échangeurs récupèrent cette chaleur pour préchauffer l'air de combustion "
        "et alimentent un réseau d'eau chaude qui chauffe les ateliers et les bureaux. La "
        "consommation de gaz naturel du site doit baisser d'environ 18 %.",
        "funding": [
            (ADEME, FI.GRANT, 376_000),
            (REGION, FI.GRANT, 94_000),
            (BPI, FI.LOAN, 200_000),
            (SELF, FI.EQUITY, 270_000),
        ],
        "indicators": [("jobs_created", 2, 1), ("jobs_kept", 62, 62), ("co2", 1_450, 600)],
        "milestones": [
            ("Échangeurs installés sur le four n° 1", "2026-04-30", "2026-05-12"),
            ("Réseau de chauffage des ateliers raccordé", "2026-10-30", "2026-11-06"),
            ("Mise en service sur le four n° 2", "2027-02-26"),
        ],
    },
    {
        "title": "Requalification de la friche de l'ancienne fonderie de Chaumont",
        "stage": S.DONE,
        "cotech": "4 février 2025",
        "copil": "6 mars 2025",
        "axis": Axis.LAND,
        "lead": CA_CHAUMONT,
        "commune": "Chaumont",
        "epci": CA_CHAUMONT,
        "dates": ("2025-04-01", "2026-06-30"),
        "cost": 2_800_000,
        "summary": "Dépolluer et démolir l'ancienne fonderie pour créer 4,5 hectares de "
        "terrains prêts à accueillir des entreprises industrielles.",
        "description": "Fermée depuis 2009, la fonderie laissait 12 000 m² de bâtiments "
        "dégradés et des sols pollués aux hydrocarbures et aux métaux. L'agglomération a "
        "conduit le désamiantage, la démolition et la dépollution, puis viabilisé quatre lots. "
        "Un premier lot accueille déjà l'extension d'une entreprise chaumontaise ; deux "
        "autres sont réservés.",
        "funding": [
            (PREFECTURE, FI.FONDS_VERT, 1_120_000),
            (REGION, FI.FEDER, 840_000),
            (REGION, FI.GRANT, 280_000),
            (SELF, FI.EQUITY, 560_000),
        ],
        "indicators": [("jobs_created", 80, 25), ("jobs_kept", 40, 40), ("hectares", 4.5, 4.5)],
        "milestones": [
            ("Fin du désamiantage et de la démolition", "2025-10-31", "2025-11-14"),
            ("Réception de la viabilisation", "2026-06-30", "2026-06-26"),
        ],
    },
    {
        "title": "Étude de stratégie foncière industrielle du Grand Langres",
        "stage": S.CLOSED,
        "cotech": "4 février 2025",
        "copil": "6 mars 2025",
        "axis": Axis.LAND,
        "lead": CC_LANGRES,
        "commune": "Langres",
        "epci": CC_LANGRES,
        "dates": ("2025-03-03", "2025-12-19"),
        "cost": 96_000,
        "partners": [BDT],
        "summary": "Recenser le foncier et l'immobilier industriels disponibles et définir une "
        "stratégie d'accueil des entreprises.",
        "description": "Financée au titre des missions d'ingénierie de la Banque des "
        "Territoires, l'étude a recensé 38 hectares de foncier mobilisable, dont 11 en "
        "friches. Elle propose un programme d'actions priorisé, dont l'extension du parc "
        "d'activités de Langres Sud. Ses conclusions ont été présentées aux élus "
        "communautaires en janvier 2026.",
        "funding": [(BDT, FI.GRANT, 48_000), (REGION, FI.GRANT, 19_200), (SELF, FI.EQUITY, 28_800)],
        "indicators": [("hectares", 38, 38)],
        "milestones": [("Restitution de l'étude", "2025-12-19", "2025-12-16")],
    },
    {
        "title": "Renouvellement du parc de tours à commande numérique",
        "stage": S.REJECTED,
        "via": S.COPIL,
        "cotech": "12 mars 2026",
        "copil": "3 avril 2026",
        "motive": "investissement de renouvellement à l'identique, sans effet sur l'emploi ni "
        "sur la transition du site ; le projet relève des prêts de droit commun de Bpifrance",
        "axis": Axis.INNOVATION,
        "lead": USINAGE,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2026-09-01", "2027-03-31"),
        "cost": 540_000,
        "summary": "Remplacer quatre tours à commande numérique de plus de quinze ans par des "
        "machines d'occasion récentes.",
        "description": "L'atelier réalise en petites séries des pièces de précision pour le "
        "médical et l'aéronautique. Les tours actuels tombent souvent en panne et retardent "
        "les livraisons. L'entreprise souhaite les remplacer par des machines d'occasion "
        "récentes, sans modifier son organisation.",
        "funding": [(SELF, FI.EQUITY, 240_000), (BPI, FI.LOAN, 300_000)],
        "indicators": [("jobs_created", 1), ("jobs_kept", 24), ("private_investment", 540_000)],
        "milestones": [("Consultation des fournisseurs", "2026-06-30", "2026-06-15")],
    },
    {
        "title": "Centre d'usinage 5 axes mutualisé",
        "stage": S.WITHDRAWN,
        "via": S.ELIGIBLE,
        "created": "2026-03-16",
        "motive": "Le porteur retire son projet : l'investissement est reporté à 2028, l'un des "
        "deux partenaires s'étant retiré de la convention d'exploitation.",
        "axis": Axis.INNOVATION,
        "lead": USINAGE,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2027-01-04", "2027-09-30"),
        "cost": 780_000,
        "summary": "Acquérir un centre d'usinage 5 axes partagé avec deux sous-traitants du "
        "bassin nogentais.",
        "description": "Trois ateliers de mécanique de précision refusent des commandes faute "
        "de capacité en usinage 5 axes. Le centre, installé chez Usinage de précision "
        "Nogentais, serait exploité en temps partagé selon une convention entre les "
        "entreprises. Un programmeur-régleur serait recruté et formé.",
        "funding": [
            (SELF, FI.EQUITY, 312_000),
            (BPI, FI.FRANCE_2030, 234_000),
            (REGION, FI.GRANT, 156_000),
            (BPI, FI.LOAN, 78_000),
        ],
        "indicators": [("jobs_created", 3), ("jobs_kept", 24), ("private_investment", 312_000)],
        "milestones": [("Signature de la convention de temps partagé", "2026-10-30")],
    },
    {
        "title": "Ateliers partagés de prototypage Nogentech",
        "stage": S.SUSPENDED,
        "via": S.IN_PROGRESS,
        "cotech": "17 juin 2025",
        "copil": "10 juillet 2025",
        "moved": {S.SUSPENDED: "2026-04-14"},
        "motive": "Travaux suspendus : la reprise des fondations porte le coût à 1,6 M€ ; un "
        "avenant au plan de financement attend la décision de la Région.",
        "axis": Axis.INNOVATION,
        "lead": NOGENTECH,
        "commune": "Nogent",
        "epci": CA_CHAUMONT,
        "dates": ("2025-11-03", "2027-06-30"),
        "cost": 1_320_000,
        "partners": [USINAGE, COUTELLERIE],
        "summary": "Un plateau de prototypage (impression 3D métal, métrologie, essais) ouvert "
        "aux PME du cluster.",
        "description": "Les PME du cluster n'ont pas les moyens d'acquérir seules une "
        "imprimante 3D métal ni un laboratoire de métrologie. Nogentech aménage un plateau "
        "technique partagé dans un bâtiment rénové de Nogent, avec un ingénieur d'application. "
        "Les travaux ont révélé des fondations à reprendre, ce qui renchérit le projet.",
        "funding": [
            (REGION, FI.FEDER, 528_000),
            (REGION, FI.GRANT, 264_000),
            (DEPARTMENT, FI.GRANT, 132_000),
            (SELF, FI.EQUITY, 396_000),
        ],
        "indicators": [("jobs_created", 3, 1), ("jobs_kept", 15, 15), ("trained", 80)],
        "milestones": [
            ("Désamiantage et curage du bâtiment", "2026-02-27", "2026-03-10"),
            ("Reprise des fondations", "2026-09-30"),
        ],
    },
]

MEUSE_PROJECTS: list[dict[str, Any]] = [
    {
        "title": "Requalification de la friche industrielle du quai de Commercy",
        "stage": S.FUNDED,
        "cotech": "19 mai 2026",
        "copil": "11 juin 2026",
        "moved": {S.FUNDED: "2026-10-13"},
        "axis": Axis.LAND,
        "lead": CC_COMMERCY,
        "commune": "Commercy",
        "epci": CC_COMMERCY,
        "dates": ("2027-03-01", "2027-12-17"),
        "cost": 1_650_000,
        "summary": "Démolir et dépolluer une friche de 3,2 hectares en bord de Meuse pour "
        "accueillir des ateliers industriels.",
        "description": "L'ancienne usine de tréfilerie est inoccupée depuis 2015. La communauté "
        "de communes l'a acquise et engage la démolition, la dépollution et la viabilisation "
        "de trois lots. Un sous-traitant automobile du territoire s'est porté candidat pour le "
        "premier lot.",
        "funding": [
            ("Préfecture de la Meuse", FI.FONDS_VERT, 660_000),
            (REGION, FI.FEDER, 660_000),
            (SELF, FI.EQUITY, 330_000),
        ],
        "indicators": [("jobs_created", 30), ("hectares", 3.2)],
        "milestones": [("Arrêté de financement Fonds vert notifié", "2026-10-16", "2026-10-09")],
    },
    {
        "title": "Diagnostics énergétiques des PME du Pays de Commercy",
        "stage": S.REDIRECTED,
        "cotech": "22 septembre 2026",
        "motive": "action relevant du programme régional Climaxion (Région Grand Est et "
        "ADEME), vers lequel le porteur est orienté",
        "axis": Axis.ECOLOGICAL,
        "lead": CC_COMMERCY,
        "commune": "Commercy",
        "epci": CC_COMMERCY,
        "dates": ("2027-01-04", "2027-12-17"),
        "cost": 75_000,
        "summary": "Financer un diagnostic énergétique pour vingt PME industrielles du Pays de "
        "Commercy.",
        "description": "Les petites entreprises industrielles connaissent mal leurs "
        "consommations d'énergie. La communauté de communes propose de financer un diagnostic "
        "par un bureau d'études et un plan d'actions pour chacune d'elles.",
        "funding": [(REGION, FI.GRANT, 37_500), (SELF, FI.EQUITY, 37_500)],
        "indicators": [("jobs_kept", 350), ("co2", 300)],
        "milestones": [("Appel à candidatures des entreprises", "2027-02-26")],
    },
    {
        "title": "Atelier-relais industriel de Commercy",
        "stage": S.ABANDONED,
        "via": S.APPROVED,
        "cotech": "19 mai 2026",
        "copil": "11 juin 2026",
        "motive": "Le preneur pressenti a renoncé à s'implanter ; la communauté de communes "
        "abandonne la construction de l'atelier-relais.",
        "axis": Axis.LAND,
        "lead": CC_COMMERCY,
        "commune": "Commercy",
        "epci": CC_COMMERCY,
        "dates": ("2026-09-01", "2027-10-29"),
        "cost": 1_100_000,
        "summary": "Construire un bâtiment industriel de 2 000 m² loué à une entreprise avec "
        "option d'achat.",
        "description": "L'atelier-relais devait permettre à un fabricant de menuiseries de "
        "s'implanter sans immobiliser ses fonds propres. Le bâtiment aurait été loué avec une "
        "option d'achat au terme de douze ans.",
        "funding": [
            ("Préfecture de la Meuse", FI.DETR, 330_000),
            (REGION, FI.GRANT, 220_000),
            (BDT, FI.LOAN, 330_000),
            (SELF, FI.EQUITY, 220_000),
        ],
        "indicators": [("jobs_created", 15), ("hectares", 0.5)],
        "milestones": [("Dépôt du permis de construire", "2026-07-31")],
    },
]

# Territories: their own organisations (name, kind, SIREN base), EPCIs, coordinator, projects.
TERRITORIES: list[dict[str, Any]] = [
    {
        "code": CL,
        "name": "Chaumont-Langres",
        "prefix": "CL",
        "region": "Grand Est",
        "department": "Haute-Marne",
        "coordinator": "coordination",
        "intercommunalities": [CA_CHAUMONT, CC_LANGRES],
        "organisations": [
            (CA_CHAUMONT, K.EPCI, ""),
            (CC_LANGRES, K.EPCI, ""),
            (PREFECTURE, K.STATE, ""),
            (DEPARTMENT, K.EPCI, ""),
            (CCI, K.CHAMBER, ""),
            (NOGENTECH, K.CLUSTER, ""),
            (METALTECH, K.TRAINING, ""),
            # Fictitious companies, with made-up SIRENs.
            (FORGES, K.COMPANY, "99152001"),
            (USINAGE, K.COMPANY, "99152002"),
            (COMPOSITES, K.COMPANY, "99152003"),
            (COUTELLERIE, K.COMPANY, "99152004"),
            (HYDROGENE, K.COMPANY, "99152005"),
            (LOGISTIQUE, K.COMPANY, "99152006"),
        ],
        "projects": CHAUMONT_LANGRES_PROJECTS,
    },
    {
        "code": VM,
        "name": "Vallée de la Meuse",
        "prefix": "VM",
        "region": "Grand Est",
        "department": "Meuse",
        "coordinator": "autre",
        "intercommunalities": [CC_COMMERCY],
        "organisations": [(CC_COMMERCY, K.EPCI, ""), ("Préfecture de la Meuse", K.STATE, "")],
        "projects": MEUSE_PROJECTS,
    },
]


def is_valid_siren(value: str) -> bool:
    try:
        validate_siren(value)
    except ValidationError:
        return False
    return True


def siren(base: str) -> str:
    """Complete eight digits with the Luhn key that makes a valid (fictitious) SIREN."""
    return next(base + key for key in "0123456789" if is_valid_siren(base + key)) if base else ""


def email(first_name: str, last_name: str) -> str:
    """prenom.nom@demo.tdi.fr, without accents."""
    address = unicodedata.normalize("NFKD", f"{first_name}.{last_name}".lower())
    return address.encode("ascii", "ignore").decode() + "@demo.tdi.fr"


# A project reaches a committee's examination only from the stage that waits for it; the other
# moves into COTECH / COPIL exist to amend a decision and are no path for a new project.
INSCRIPTIONS = {S.COTECH: S.ELIGIBLE, S.COPIL: S.READY_COPIL}


def stage_path(start: str, goal: str) -> list[str]:
    """The stages after start on a shortest sequence of allowed MOVES from start to goal
    (without the amendments of committee decisions)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue and goal not in previous:
        current = queue.popleft()
        for source, target in MOVES:
            if INSCRIPTIONS.get(target, source) != source:
                continue
            if source == current and target not in previous:
                previous[target] = current
                queue.append(target)
    if goal not in previous:
        raise CommandError(f"Aucun chemin d'étapes de « {start} » à « {goal} ».")
    path = []
    stage: str | None = goal
    while stage != start:
        path.append(stage)
        stage = previous[stage]
    return path[::-1]


def day(value: str | None = None) -> date | None:
    return date.fromisoformat(value) if value else None


def french_day(value: str) -> date:
    """The date of « 13 octobre 2026 »."""
    number, month, year = value.split()
    return date(int(year), MONTHS.index(month) + 1, int(number))


def anchors(spec: dict[str, Any], moves: list[tuple[str, str]]) -> tuple[dict, dict]:
    """The known days of the creation (0) and of the moves (1…): firm ones and likely ones.

    Firm: the given creation and move dates and the committee decisions. Likely: the
    inscriptions at a committee's agenda and the planned start and end of the works, kept only
    when they fit between the firm ones.
    """
    firm, likely = {}, {}
    if "created" in spec:
        firm[0] = day(spec["created"])
    for index, (source, target) in enumerate(moves, start=1):
        template = REASONS.get((source, target), "")
        meetings = [key for key in ("cotech", "copil") if f"{{{key}}}" in template]
        if target in spec.get("moved", {}):
            firm[index] = day(spec["moved"][target])
        elif meetings and target in AGENDA_NOTICE:
            meeting = french_day(spec[meetings[0]])
            likely[index] = meeting - timedelta(days=AGENDA_NOTICE[target])
        elif meetings:
            firm[index] = french_day(spec[meetings[0]])
        elif target in PLANNED:
            likely[index] = day(spec["dates"][PLANNED[target]])
    return firm, likely


def vary(spec: dict[str, Any], index: int) -> int:
    """A number that varies from one project and event to another, the same on every run."""
    return zlib.crc32(f"{spec['title']}/{index}".encode())


def on_weekday(days: list[date], fixed: set[int], first_day: date, last_day: date) -> None:
    """Move the events that fall on a weekend (other than the fixed ones) to the Friday
    before or the Monday after, without passing their neighbours (and rather not on their day)."""
    for index, moment in enumerate(days):
        if index in fixed or moment.weekday() < 5:
            continue
        friday = moment - timedelta(days=moment.weekday() - 4)
        monday = moment + timedelta(days=7 - moment.weekday())
        before = days[index - 1] if index else first_day
        after = min(days[index + 1] if index + 1 < len(days) else last_day, last_day)
        if friday > before or (friday == before and monday > after):
            days[index] = friday
        elif monday <= after:
            days[index] = monday


def spread(start: float, end: float, delays: list[int]) -> list[float]:
    """Days (as ordinals) after start for events separated by delays, ending by end.

    The events follow each other after their usual delays when these fit before end, and are
    spread in proportion to them otherwise.
    """
    total = sum(delays)
    scale = 1 if total < end - start else (end - start) / total
    days, current = [], start
    for delay in delays:
        current += delay * scale
        days.append(current)
    return days


def plan_days(spec: dict[str, Any], moves: list[tuple[str, str]], today: date) -> list[date]:
    """The day of the creation and of each move, in order, from FIRST_DAY to yesterday."""
    last_day = today - timedelta(days=1)
    first_day = min(FIRST_DAY, last_day - timedelta(days=365))
    firm, likely = anchors(spec, moves)
    known = {i: d for i, d in firm.items() if first_day <= d <= last_day}
    ordered = [known[i] for i in sorted(known)]
    if ordered != sorted(set(ordered)):
        raise CommandError(f"Dates incohérentes pour « {spec['title']} » : {known}.")
    for index, moment in sorted(likely.items()):
        before = max((i for i in known if i < index), default=None)
        after = min((i for i in known if i > index), default=None)
        low = known[before] + timedelta(days=index - before) if before is not None else first_day
        high = known[after] - timedelta(days=after - index) if after is not None else last_day
        if low <= moment <= high:
            known[index] = moment
    if not known:
        known[len(moves)] = last_day - timedelta(days=7)
    delays = [0] + [
        round(DELAYS.get(target, DEFAULT_DELAY) * (0.75 + vary(spec, index) % 500 / 1000))
        for index, (_, target) in enumerate(moves, start=1)
    ]
    days: dict[int, float] = {i: d.toordinal() for i, d in known.items()}
    indices = sorted(days)
    first, last = indices[0], indices[-1]
    # Before the first known day: back from it, and not before first_day.
    backwards = spread(0, days[first] - first_day.toordinal(), delays[first:0:-1])
    for offset, index in zip(backwards, range(first - 1, -1, -1), strict=True):
        days[index] = days[first] - offset
    for start, end in zip(indices, indices[1:], strict=False):
        between = spread(days[start], days[end], delays[start + 1 : end + 1])
        days.update(zip(range(start + 1, end), between[:-1], strict=True))
    after = spread(days[last], last_day.toordinal(), delays[last + 1 :])
    days.update(zip(range(last + 1, len(moves) + 1), after, strict=True))
    planned = [date.fromordinal(round(days[i])) for i in range(len(moves) + 1)]
    on_weekday(planned, set(known), first_day, last_day)
    return planned


def plan_moments(spec: dict[str, Any], moves: list[tuple[str, str]], now: datetime) -> list:
    """The moment of the creation and of each move: strictly increasing, in working hours."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    moments: list[datetime] = []
    for index, moment_day in enumerate(plan_days(spec, moves, today)):
        number = vary(spec, index)
        moment = datetime.combine(moment_day, time(9 + number % 8, number // 8 % 60), zone)
        if moments and moment <= moments[-1]:
            moment = moments[-1] + timedelta(minutes=10)
        moments.append(moment)
    if moments[-1] > now:
        raise CommandError(f"Date future dans l'historique de « {spec['title']} ».")
    return moments


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration des projets : territoires, organisations, comptes "
        "et projets (idempotent), et affiche les comptes de test."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.created: Counter[str] = Counter()
        self.now = timezone.now()
        with transaction.atomic():
            users = self.load_accounts()
            organisations = self.load_organisations(ORGANISATIONS, users["coordination"])
            territories = {}
            for spec in TERRITORIES:
                by = users[spec["coordinator"]]
                organisations |= self.load_organisations(spec["organisations"], by)
                territories[spec["code"]] = self.load_territory(spec, organisations, by)
            self.load_memberships(users, territories, organisations)
            for spec in TERRITORIES:
                territory, by = territories[spec["code"]], users[spec["coordinator"]]
                for project in spec["projects"]:
                    self.load_project(project, territory, organisations, users, by)
        self.report(territories)

    # --- loading -------------------------------------------------------------------------

    def create(
        self, model: type[models.Model], by: AbstractUser, *, at: datetime | None = None, **fields
    ) -> Any:
        """Create a tracked object with its history user, reason and moment, and count it."""
        obj = model(**fields)
        save_change(obj, by=by, reason=CHANGE_REASON, at=at)
        self.created[str(model._meta.verbose_name_plural)] += 1
        return obj

    def load_accounts(self) -> dict[str, AbstractUser]:
        """Create the missing demo accounts and (re)set every demo password."""
        user_model = get_user_model()
        users = {}
        for account in ACCOUNTS:
            user = user_model.objects.filter(username=account["username"]).first()
            if user is None:
                first_name, last_name = account["name"]
                superuser = account.get("superuser", False)
                user = user_model(
                    username=account["username"],
                    first_name=first_name,
                    last_name=last_name,
                    email=email(first_name, last_name),
                    is_staff=superuser,
                    is_superuser=superuser,
                )
                self.created["comptes"] += 1
            user.set_password(DEMO_PASSWORD)
            user.save()
            if account.get("national") and not NationalMembership.objects.filter(user=user):
                self.create(NationalMembership, user, user=user, role=account["national"])
            users[account["username"]] = user
        return users

    def load_organisations(
        self, specs: list[tuple[str, str, str]], by: AbstractUser
    ) -> dict[str, Organisation]:
        existing = Organisation.objects.in_bulk([name for name, _, _ in specs], field_name="name")
        return {
            name: existing.get(name)
            or self.create(Organisation, by, name=name, kind=kind, siren=siren(base))
            for name, kind, base in specs
        }

    def load_territory(
        self, spec: dict[str, Any], organisations: dict[str, Organisation], by: AbstractUser
    ) -> Territory:
        territory = Territory.objects.filter(code=spec["code"]).first()
        if territory is None:
            fields = ("code", "name", "prefix", "region", "department")
            territory = self.create(Territory, by, **{field: spec[field] for field in fields})
        territory.intercommunalities.add(*(organisations[n] for n in spec["intercommunalities"]))
        # The directory offered in the territory's forms: its own organisations and the shared
        # bodies. Only the missing ones are added, so that a rerun writes no history.
        names = [name for name, _, _ in (*ORGANISATIONS, *spec["organisations"])]
        missing = {organisations[n].pk for n in names} - set(
            territory.organisations.values_list("pk", flat=True)
        )
        if missing:
            territory._history_user = by
            territory._change_reason = CHANGE_REASON
            territory.organisations.add(*missing)
        return territory

    def load_memberships(
        self,
        users: dict[str, AbstractUser],
        territories: dict[str, Territory],
        organisations: dict[str, Organisation],
    ) -> None:
        coordinators = {spec["code"]: users[spec["coordinator"]] for spec in TERRITORIES}
        for account in ACCOUNTS:
            user = users[account["username"]]
            for code, role, organisation in account["memberships"]:
                territory = territories[code]
                if not Membership.objects.filter(user=user, territory=territory).exists():
                    self.create(
                        Membership,
                        coordinators[code],
                        user=user,
                        territory=territory,
                        role=role,
                        organisation=organisations[organisation],
                    )

    def load_project(
        self,
        spec: dict[str, Any],
        territory: Territory,
        organisations: dict[str, Organisation],
        users: dict[str, AbstractUser],
        by: AbstractUser,
    ) -> None:
        """Create one project in stage idea with its plan and move it to its target stage, each
        change at the moment the data tells (see plan_days)."""
        if Project.objects.filter(territory=territory, title=spec["title"]).exists():
            return
        stage = spec["stage"]
        lead = organisations[spec["lead"]]
        start, end = spec["dates"]
        path = self.path(spec)
        moments = plan_moments(spec, path, self.now)
        # The creation, its rows, then its lead users and partners, a second apart.
        clock = (moments[0] + timedelta(seconds=n) for n in count())
        project = self.create(
            Project,
            by,
            at=next(clock),
            territory=territory,
            title=spec["title"],
            summary=spec["summary"],
            description=spec["description"],
            axis=spec["axis"],
            lead_organisation=lead,
            commune=spec["commune"],
            epci=organisations[spec["epci"]],
            planned_start=day(start),
            planned_end=day(end),
            total_cost=Decimal(spec["cost"]),
        )
        status = FUNDING_STATUS.get(stage, FundingStatus.PLANNED)
        for funder, instrument, amount in spec["funding"]:
            self.create(
                FundingLine,
                by,
                at=next(clock),
                project=project,
                funder=lead if funder == SELF else organisations[funder],
                instrument=instrument,
                amount=Decimal(amount),
                status=FundingStatus.GRANTED
                if funder == SELF and status == FundingStatus.REQUESTED
                else status,
            )
        for kind, target, *achieved in spec["indicators"]:
            self.create(
                Indicator,
                by,
                at=next(clock),
                project=project,
                kind=IndicatorKind(kind),
                target=Decimal(str(target)),
                achieved=Decimal(str(achieved[0])) if achieved else None,
                measured_on=min(day(end), date(2026, 10, 30)) if achieved else None,
            )
        for title, due, *done in spec["milestones"]:
            self.create(
                Milestone,
                by,
                at=next(clock),
                project=project,
                title=title,
                due_on=day(due),
                done_on=day(*done),
            )
        lead_user = users.get(spec.get("lead_user", ""))
        if lead_user:
            with history_stamp(project, by=by, reason=CHANGE_REASON, at=next(clock)):
                project.lead_users.add(lead_user)
        if spec.get("partners"):
            with history_stamp(project, by=by, reason=CHANGE_REASON, at=next(clock)):
                project.partners.add(*(organisations[name] for name in spec["partners"]))

        # A fresh copy of the lead's account: the access cached on `users` predates this project.
        lead_user = get_user_model().objects.get(pk=lead_user.pk) if lead_user else by
        for (source, target), moment in zip(path, moments[1:], strict=True):
            reason = REASONS.get((source, target), "{motive}").format_map(spec)
            actor = MOVES[(source, target)].actor
            if actor == AUTOMATIC:
                # The committees' meetings come later (manage.py demo), from these reasons.
                project.follow_committee(target, by=by, cause="demo", reason=reason, at=moment)
            else:
                who = lead_user if actor == LEAD else by
                project.move_to(target, by=who, reason=reason, at=moment)
        progress = spec.get("progress", PROGRESS.get(stage, 0))
        if progress or stage in PUBLIC_STAGES:
            project.progress = progress
            project.is_public = stage in PUBLIC_STAGES
            at = moments[-1] + timedelta(minutes=5)
            save_change(project, by=by, reason=CHANGE_REASON, at=at)

    @staticmethod
    def path(spec: dict[str, Any]) -> list[tuple[str, str]]:
        """The moves (from, to) that bring a new project from idea to its stage."""
        waypoints = [spec["via"], spec["stage"]] if "via" in spec else [spec["stage"]]
        moves, current = [], Stage.IDEA
        for waypoint in waypoints:
            for stage in stage_path(current, waypoint):
                moves.append((current, stage))
                current = stage
        return moves

    # --- summary -------------------------------------------------------------------------

    def report(self, territories: dict[str, Territory]) -> None:
        if self.created:
            parts = ", ".join(f"{count} {label}" for label, count in self.created.items())
            self.stdout.write(self.style.SUCCESS(f"Données de démonstration chargées : {parts}."))
        else:
            self.stdout.write(
                "Les données de démonstration existent déjà : aucun objet n'a été créé."
            )
        for territory in territories.values():
            count = Project.objects.filter(territory=territory).count()
            self.stdout.write(f"  {territory.name} ({territory.code}) : {count} projets")
        self.stdout.write("Mots de passe des comptes de démonstration réinitialisés.\n")

        names = {code: territory.name for code, territory in territories.items()}
        rows = [("Identifiant", "Rôle", "Territoire", "Mot de passe")]
        for account in ACCOUNTS:
            if account.get("national"):
                role, where = NationalRole(account["national"]).label, "Tous les territoires"
            else:
                memberships = account["memberships"]
                role = " / ".join(sorted({Role(r).label for _, r, _ in memberships}))
                where = ", ".join(names[code] for code, _, _ in memberships)
            rows.append((account["username"], role, where, DEMO_PASSWORD))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write(
                "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"Mot de passe commun à tous les comptes : {DEMO_PASSWORD}")
