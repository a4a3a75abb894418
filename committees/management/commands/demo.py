"""`manage.py demo`: the whole demo data set, loaded idempotently.

It runs `demo_projects` (territories, organisations, accounts and projects), then gives
Chaumont-Langres its committees (COTECH, COPIL, CLEE) and the meetings that the projects' history
tells of: every « COTECH du … » / « COPIL du … » of a project's history puts the project on the
agenda of the meeting of that date, with the decision that its next move shows. Past meetings get
their attendance, debates, actions and validated minutes (the PDF is rendered and archived once);
then come a held COPIL whose decision is still to be recorded, the convened upcoming COTECH and a
COTECH in preparation. The projects are not moved again: their history already holds the moves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst

from committees.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
)
from projects.management.commands.demo_projects import (
    BPI,
    CA_CHAUMONT,
    CC_LANGRES,
    CCI,
    CL,
    COMPOSITES,
    COUTELLERIE,
    FORGES,
    FRANCE_TRAVAIL,
    HYDROGENE,
    LOGISTIQUE,
    METALTECH,
    MONTHS,
    NOGENTECH,
    PREFECTURE,
    REGION,
    USINAGE,
    email,
)
from projects.models import Organisation, Project, Reserve, Stage, Territory
from projects.templatetags.tdi import euros, french_date

PARIS = ZoneInfo("Europe/Paris")
START = time(9, 30)
COTECH, COPIL, OTHER = Committee.Kind.COTECH, Committee.Kind.COPIL, Committee.Kind.OTHER
ROLE = CommitteeMember.Role
D = Decision

# --- committees and their members ----------------------------------------------------------
# A seat: an account ("user") or an external person ("name", "organisation"); "function" is
# used in the minutes' texts, "deputy" names who represents the member when away, "always"
# marks the members present at every meeting (chairs, secretariat).

COMMITTEES: list[dict[str, Any]] = [
    {
        "kind": COTECH,
        "name": "Comité technique Territoire d'industrie Chaumont-Langres",
        "quorum": 4,
        "places": ("Hôtel de l'agglomération, Chaumont", "Maison du Département, Langres"),
        "members": [
            {
                "user": "coordination",
                "role": ROLE.CHAIR,
                "function": "cheffe de projet Territoire d'industrie",
                "always": True,
            },
            {"user": "membre", "role": ROLE.MEMBER, "deputy": "Émilie Robert (CCI Haute-Marne)"},
            {"user": "partenaire", "role": ROLE.MEMBER},
            {
                "name": "Isabelle Faure",
                "organisation": PREFECTURE,
                "role": ROLE.MEMBER,
                "deputy": "Marc Vidal, secrétaire général de la sous-préfecture de Langres",
            },
            {"name": "Thomas Hubert", "organisation": REGION, "role": ROLE.MEMBER},
            {
                "name": "Laurent Mercier",
                "organisation": BPI,
                "role": ROLE.MEMBER,
                "deputy": "Julie Caron (Bpifrance)",
            },
            {"name": "Vincent Marchal", "organisation": NOGENTECH, "role": ROLE.MEMBER},
            {
                "name": "Aurélie Colin",
                "organisation": CA_CHAUMONT,
                "role": ROLE.MEMBER,
                "deputy": "Rémi Fontaine (Communauté d'agglomération de Chaumont)",
            },
            {"name": "Nicolas Gauthier", "organisation": CC_LANGRES, "role": ROLE.MEMBER},
            {"name": "Émilie Robert", "organisation": CCI, "role": ROLE.SUBSTITUTE},
            {"name": "Sandrine Roche", "organisation": FRANCE_TRAVAIL, "role": ROLE.GUEST},
        ],
    },
    {
        "kind": COPIL,
        "name": "Comité de pilotage Territoire d'industrie Chaumont-Langres",
        "quorum": None,
        "places": ("Sous-préfecture de Langres", "Hôtel de l'agglomération, Chaumont"),
        "members": [
            {
                "name": "Christine Guillot",
                "organisation": CA_CHAUMONT,
                "role": ROLE.CHAIR,
                "function": "vice-présidente de la Communauté d'agglomération de Chaumont "
                "chargée du développement économique",
                "always": True,
            },
            {
                "name": "Bernard Vasseur",
                "organisation": FORGES,
                "role": ROLE.CO_CHAIR,
                "function": "président de Forges du Bassigny",
                "always": True,
            },
            {
                "name": "Olivier Brunet",
                "organisation": PREFECTURE,
                "role": ROLE.MEMBER,
                "deputy": "Isabelle Faure (sous-préfecture de Langres)",
            },
            {"name": "Élise Perrin", "organisation": REGION, "role": ROLE.MEMBER},
            {"user": "partenaire", "role": ROLE.MEMBER},
            {
                "name": "Frédéric Lemaire",
                "organisation": BPI,
                "role": ROLE.MEMBER,
                "deputy": "Laurent Mercier (Bpifrance)",
            },
            {
                "name": "Jean-Marc Thiébaut",
                "organisation": CC_LANGRES,
                "role": ROLE.MEMBER,
                "deputy": "Nicolas Gauthier (Communauté de communes du Grand Langres)",
            },
            {"user": "membre", "role": ROLE.MEMBER},
            {"name": "Hervé Dumont", "organisation": NOGENTECH, "role": ROLE.GUEST},
            {"user": "coordination", "role": ROLE.GUEST, "always": True},
        ],
    },
    {
        "kind": OTHER,
        "name": "Comité Local Éducation Économie (CLEE) Chaumont-Langres",
        "quorum": None,
        "members": [
            {"name": "Françoise Garnier", "role": ROLE.CHAIR},
            {"name": "Denis Charpentier", "organisation": METALTECH, "role": ROLE.MEMBER},
            {"name": "Mathieu Noël", "role": ROLE.MEMBER},
            {"user": "membre", "role": ROLE.MEMBER},
            {"name": "Sandrine Roche", "organisation": FRANCE_TRAVAIL, "role": ROLE.MEMBER},
            {"user": "coordination", "role": ROLE.GUEST},
        ],
    },
]

# Who presents a project in COTECH, by lead organisation (the lead's account when it has one).
CONTACTS = {
    FORGES: "Julien Roussel",
    COMPOSITES: "Sophie Lefèvre",
    COUTELLERIE: "Antoine Dupré",
    HYDROGENE: "Karine Morel",
    LOGISTIQUE: "Yannick Berthier",
    METALTECH: "Denis Charpentier",
    CA_CHAUMONT: "Aurélie Colin",
    CC_LANGRES: "Nicolas Gauthier",
    USINAGE: "Pascal Renaud",
    NOGENTECH: "Vincent Marchal",
    FRANCE_TRAVAIL: "Sandrine Roche",
}

# --- what was said -------------------------------------------------------------------------
# Debates by (project title, committee kind). Placeholders: {contact} (who presents the
# project), {coordinator}, {cotech} (the date of the project's COTECH opinion).

NOTES: dict[tuple[str, str], str] = {
    ("Requalification de la friche de l'ancienne fonderie de Chaumont", COTECH): (
        "{contact} présente les diagnostics de pollution et le phasage des travaux : "
        "désamiantage et démolition en 2025, dépollution et viabilisation en 2026. La Préfecture "
        "confirme l'éligibilité du projet au Fonds vert au titre du recyclage des friches. Le "
        "comité souligne l'intérêt de disposer de terrains prêts à construire à proximité du "
        "centre de Chaumont."
    ),
    ("Étude de stratégie foncière industrielle du Grand Langres", COTECH): (
        "{contact} présente le cahier des charges de l'étude, financée pour moitié par les "
        "missions d'ingénierie de la Banque des Territoires. Le comité demande que l'étude "
        "recense aussi les bâtiments vacants et les friches de moins d'un hectare. La CCI "
        "propose de relayer le questionnaire auprès des entreprises."
    ),
    ("Récupération de chaleur fatale des fours de forge", COTECH): (
        "{contact} présente l'audit énergétique du site de Bologne : les fumées des fours de "
        "réchauffage sortent à plus de 500 °C. L'ADEME a confirmé l'éligibilité du projet à ses "
        "aides ; Bpifrance propose de compléter le plan de financement par un prêt. Le comité "
        "relève un temps de retour sur investissement inférieur à six ans."
    ),
    ("Ateliers partagés de prototypage Nogentech", COTECH): (
        "{contact} présente le plateau technique et les quatorze PME qui ont déjà manifesté "
        "leur intérêt. Le comité s'interroge sur le modèle économique après la période de "
        "financement : le cluster prévoit une tarification à l'heure machine qui couvre les "
        "frais de fonctionnement dès la troisième année. La Région confirme que le projet "
        "relève du FEDER."
    ),
    ("Extension de l'école de production MétalTech", COTECH): (
        "{contact}, directeur de l'école, présente les effectifs : vingt-quatre élèves et plus "
        "de quarante candidatures qui n'ont pu être retenues faute de place. Le comité salue un "
        "projet au cœur de la priorité « recrutement et compétences ». France Travail propose "
        "d'associer l'école aux forums de recrutement organisés avec le CLEE."
    ),
    ("Renouvellement du parc de tours à commande numérique", COTECH): (
        "{contact} présente les difficultés de l'atelier : pannes répétées des tours et retards "
        "de livraison sur les marchés du médical et de l'aéronautique. Plusieurs membres "
        "relèvent qu'il s'agit d'un renouvellement à l'identique, sans création d'emploi ; "
        "Bpifrance rappelle l'existence de ses prêts de droit commun. Le comité rend un avis "
        "favorable à la majorité et laisse au COPIL l'appréciation de l'intérêt du projet pour "
        "le programme."
    ),
    ("Recyclage des chutes de composites carbone", COTECH): (
        "{contact} présente les essais de broyage menés avec le laboratoire partenaire de "
        "Nogentech : les fibres courtes obtenues conviennent aux pièces non structurelles. "
        "L'ADEME confirme son soutien au titre de l'économie circulaire. Le comité invite "
        "l'entreprise à solliciter la Région pour boucler son plan de financement."
    ),
    ("Académie des métiers de la forge", COTECH): (
        "{contact} présente l'académie : un plateau de formation équipé d'une presse-école, "
        "installé dans un bâtiment inoccupé du site de Bologne. Le comité salue la réponse "
        "apportée aux départs en retraite des forgerons, mais relève que le partenariat avec "
        "MétalTech n'est pas encore formalisé. L'avis est favorable sous réserve de la "
        "convention de partenariat et du calendrier des premières sessions."
    ),
    ("Station hydrogène vert de Chaumont", COTECH): (
        "{contact} présente le dimensionnement de l'électrolyseur et les engagements d'achat "
        "des premiers clients, dont la flotte de bennes de l'agglomération. L'ADEME et "
        "Bpifrance confirment que l'instruction de leurs aides est en cours. Le comité souligne "
        "l'effet d'entraînement du projet pour la plateforme logistique mutualisée."
    ),
    ("Modernisation de l'atelier de la coutellerie Dupré", COTECH): (
        "{contact} présente le centre d'affûtage numérique et la cabine de polissage aspirée. "
        "Le comité relève l'amélioration des conditions de travail et la diversification vers "
        "l'instrumentation médicale. Nogentech propose d'associer l'entreprise au plateau de "
        "métrologie du cluster."
    ),
    ("Plateforme logistique mutualisée pour les PME industrielles", COTECH): (
        "{contact} présente l'entrepôt de 6 000 m², construit sur une parcelle déjà "
        "artificialisée, et les lettres d'intention de six PME utilisatrices. La CCI confirme "
        "l'intérêt des industriels pour des expéditions groupées. Le comité demande que la "
        "desserte par la future station hydrogène soit prévue dès la conception."
    ),
    ("Requalification de la friche de l'ancienne fonderie de Chaumont", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Le sous-préfet confirme "
        "que le dossier est instruit au titre du Fonds vert. Le COPIL valide le projet, "
        "prioritaire pour l'accueil d'entreprises industrielles à Chaumont."
    ),
    ("Étude de stratégie foncière industrielle du Grand Langres", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. La Banque des "
        "Territoires confirme la prise en charge de la moitié du coût de l'étude. Le COPIL "
        "valide le projet et demande que les conclusions soient présentées aux élus des deux "
        "intercommunalités."
    ),
    ("Récupération de chaleur fatale des fours de forge", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Les coprésidents "
        "soulignent l'exemplarité du projet pour la décarbonation des forges du bassin. Le "
        "COPIL valide le projet."
    ),
    ("Ateliers partagés de prototypage Nogentech", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Le COPIL valide le "
        "projet et demande au cluster de présenter chaque année la fréquentation du plateau "
        "par les PME du territoire."
    ),
    ("Extension de l'école de production MétalTech", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. La Région et le "
        "Département confirment leur participation au plan de financement. Le COPIL valide le "
        "projet à l'unanimité."
    ),
    ("Renouvellement du parc de tours à commande numérique", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}, rendu à la majorité. "
        "Le COPIL considère qu'un renouvellement de machines à l'identique, sans effet sur "
        "l'emploi ni sur la transition du site, ne relève pas du programme. Bpifrance propose "
        "de recevoir l'entreprise pour étudier un prêt de droit commun."
    ),
    ("Recyclage des chutes de composites carbone", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Le COPIL valide le "
        "projet ; la Région indique qu'elle pourra être sollicitée pour compléter le plan de "
        "financement."
    ),
    ("Plateforme logistique mutualisée pour les PME industrielles", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Le COPIL valide le "
        "projet et demande qu'une convention d'usage soit proposée aux PME utilisatrices avant "
        "le démarrage des travaux."
    ),
    ("Modernisation de l'atelier de la coutellerie Dupré", COPIL): (
        "{coordinator} présente l'avis favorable du COTECH du {cotech}. Bpifrance précise que "
        "l'avance remboursable sera instruite dès la labellisation du projet ; les membres "
        "interrogent l'entreprise sur le calendrier de commande du centre d'affûtage."
    ),
}
DEFAULT_NOTES = {
    COTECH: "{contact} présente le projet, d'un coût total de {cost}. Les membres interrogent le "
    "porteur sur son calendrier et sur l'état de son plan de financement.",
    COPIL: "{coordinator} présente l'avis du COTECH du {cotech} et le plan de financement du "
    "projet, d'un coût total de {cost}.",
}
# Votes recorded on an item, by (project title, kind): (against, abstentions); the others for.
VOTES = {("Renouvellement du parc de tours à commande numérique", COTECH): (2, 1)}

# The reserves of a COTECH « favorable sous réserves », by project (else one, from the motive):
# text, due date, and (day, proof) when the lead has already lifted it.
RESERVES: dict[str, list[dict[str, Any]]] = {
    "Académie des métiers de la forge": [
        {
            "text": "Joindre le calendrier des premières sessions de formation : publics, "
            "effectifs et dates",
            "due": "2026-11-30",
            "lifted": (
                "2026-11-12",
                "Calendrier 2027 transmis : première session le 4 janvier 2027 pour dix "
                "stagiaires, puis une session par trimestre.",
            ),
        },
        {
            "text": "Joindre la convention de partenariat signée avec MétalTech – école de "
            "production",
            "due": "2026-12-31",
        },
    ],
}
LIFT_PROOF = "Pièces transmises à la coordination et vérifiées : réserve levée."

AMI = "Point d'étape sur l'AMI Rebond industriel"
AMI_NOTES = (
    "{coordinator} rappelle que le territoire est lauréat de l'AMI Rebond industriel depuis "
    "avril 2023. Bpifrance présente l'état des projets d'entreprises déposés après leur "
    "pré-validation par le COPIL ; la Banque des Territoires détaille les missions d'ingénierie "
    "que les intercommunalités peuvent encore mobiliser."
)
# Free items by meeting (kind, day): kind, title, rapporteur ("coordinator" or a name), duration,
# debates, and whether the item opens the meeting.
FREE_ITEMS: dict[tuple[str, str], list[dict[str, Any]]] = {
    (COTECH, "2025-02-04"): [
        {
            "kind": AgendaItem.Kind.INFORMATION,
            "title": "Installation du comité technique et calendrier des séances 2025",
            "rapporteur": "coordinator",
            "duration": 15,
            "first": True,
            "notes": "{coordinator} présente la composition du comité technique, son rôle "
            "d'examen préalable des fiches-actions et le calendrier 2025 : trois séances, "
            "chacune suivie d'un comité de pilotage. Le modèle de fiche-action et la grille "
            "d'examen seront adressés aux membres.",
        },
    ],
    (COPIL, "2025-03-06"): [
        {
            "kind": AgendaItem.Kind.INFORMATION,
            "title": AMI,
            "rapporteur": "Frédéric Lemaire (Bpifrance)",
            "duration": 15,
            "notes": AMI_NOTES,
        },
    ],
    (COTECH, "2025-10-14"): [
        {
            "kind": AgendaItem.Kind.INFORMATION,
            "title": AMI,
            "rapporteur": "Laurent Mercier (Bpifrance)",
            "duration": 15,
            "notes": AMI_NOTES,
        },
    ],
    (COTECH, "2026-06-16"): [
        {
            "kind": AgendaItem.Kind.OTHER,
            "title": "Point divers : forum de l'industrie avec le CLEE",
            "rapporteur": "Patrick Girard (CCI Haute-Marne)",
            "duration": 10,
            "notes": "La CCI annonce le forum de l'industrie organisé avec le CLEE à Chaumont le "
            "15 octobre 2026. Les industriels du territoire sont invités à proposer des visites "
            "d'ateliers aux collégiens et lycéens.",
        },
    ],
    (COTECH, "2026-10-13"): [
        {
            "kind": AgendaItem.Kind.INFORMATION,
            "title": AMI,
            "rapporteur": "Laurent Mercier (Bpifrance)",
            "duration": 15,
            "notes": AMI_NOTES,
        },
    ],
    (COPIL, "2026-11-19"): [
        {
            "kind": AgendaItem.Kind.OTHER,
            "title": "Point divers : calendrier des comités 2027",
            "rapporteur": "coordinator",
            "duration": 10,
            "notes": "{coordinator} propose de réunir le comité technique en février, juin et "
            "octobre 2027, chaque séance étant suivie d'un comité de pilotage trois à quatre "
            "semaines plus tard. Les dates seront confirmées par courriel.",
        },
    ],
}
# The free item of the convened meeting when FREE_ITEMS has none for it.
UPCOMING_ITEM = {
    "kind": AgendaItem.Kind.INFORMATION,
    "title": AMI,
    "rapporteur": "Laurent Mercier (Bpifrance)",
    "duration": 15,
}
# Actions decided apart from the items, by meeting: what, owner ("coordinator" or a name),
# due date and done date (None: still open, it carries over to the next meetings).
EXTRA_ACTIONS: dict[tuple[str, str], list[tuple[str, str, str, str | None]]] = {
    (COTECH, "2025-02-04"): [
        (
            "Adresser aux membres le modèle de fiche-action et la grille d'examen",
            "coordinator",
            "2025-02-18",
            "2025-02-10",
        ),
    ],
    (COPIL, "2026-11-19"): [
        (
            "Présenter au premier COPIL de 2027 le bilan 2026 du portefeuille : "
            "investissements, emplois et financements obtenus",
            "coordinator",
            "2027-01-29",
            None,
        ),
    ],
}

# What a move out of the examination stage says of the decision, by committee.
EXAMINATION = {Stage.COTECH: COTECH, Stage.COPIL: COPIL}
DECISIONS = {
    COTECH: {
        Stage.READY_COPIL: D.FAVORABLE,
        Stage.RESERVES: D.FAVORABLE_RESERVES,
        Stage.DRAFTING: D.ADJOURNED,
        Stage.REJECTED: D.UNFAVORABLE,
        Stage.REDIRECTED: D.REDIRECTED,
    },
    COPIL: {
        Stage.APPROVED: D.VALIDATED,
        Stage.REJECTED: D.REJECTED,
        Stage.ELIGIBLE: D.REFERRED_BACK,
    },
}
COMMITTEE_DATE = re.compile(
    r"\b(COTECH|COPIL)(?: n° \d+)? du (1er|\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b"
)


@dataclass
class Passage:
    """A project on the agenda of a meeting, as its history tells it."""

    project: Project
    inscribed_at: datetime | None = None
    decision: str = ""
    motive: str = ""


@dataclass
class Plan:
    """A meeting to create."""

    committee: Committee
    day: date
    number: int = 0
    passages: list[Passage] = field(default_factory=list)
    status: str = Meeting.Status.VALIDATED
    next_day: date | None = None
    previous_day: date | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.committee.kind, self.day.isoformat())


def committee_meeting(reason: str | None) -> tuple[str, date] | None:
    """(kind, day) of the first « COTECH du 13 octobre 2026 » of a history reason."""
    match = COMMITTEE_DATE.search(reason or "")
    if not match:
        return None
    kind, number, month, year = match.groups()
    number = 1 if number == "1er" else int(number)
    return kind.lower(), date(int(year), MONTHS.index(month) + 1, number)


def motive_of(reason: str | None) -> str:
    """The motive of a decision's reason: what follows the first « : »."""
    _, _, motive = (reason or "").partition(" : ")
    return motive.strip()


def at(day: date, moment: time = START) -> datetime:
    return datetime.combine(day, moment, PARIS)


def weekday(day: date) -> date:
    """The day itself, or the Monday after a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def clock(moment: datetime) -> str:
    local = timezone.localtime(moment, PARIS)
    return f"{local.hour} h {local.minute:02d}" if local.minute else f"{local.hour} h"


class Command(BaseCommand):
    help = (
        "Charge toutes les données de démonstration (idempotent) : projets et comptes "
        "(demo_projects), puis comités, séances et comptes rendus de Chaumont-Langres."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            call_command("demo_projects", stdout=self.stdout)
            territory = Territory.objects.get(code=CL)
            if territory.committees.exists():
                self.stdout.write(
                    "Les comités de démonstration existent déjà : aucune séance n'a été créée."
                )
                return
            self.created: Counter[str] = Counter()
            self.now = timezone.now()
            self.today = timezone.localdate(self.now)
            plans = self.load(territory)
        self.report(territory, plans)

    # --- loading ---------------------------------------------------------------------------

    def save(self, obj: models.Model, moment: datetime, reason: str, by=None) -> Any:
        """Save a tracked object with its history author, reason and date, and count it."""
        obj._history_user = by or self.coordinator
        obj._history_date = moment
        obj._change_reason = reason
        adding = obj._state.adding
        obj.save()
        if adding:
            self.created[str(obj._meta.verbose_name_plural)] += 1
        return obj

    def load(self, territory: Territory) -> list[Plan]:
        usernames = {m["user"] for c in COMMITTEES for m in c["members"] if "user" in m}
        self.users = {
            u.username: u for u in get_user_model().objects.filter(username__in=usernames)
        }
        self.coordinator = self.users["coordination"]
        self.organisations = Organisation.objects.in_bulk(field_name="name")
        self.memberships = {
            m.user_id: m.organisation for m in territory.memberships.select_related("organisation")
        }
        passages, self.history = self.read_history(territory)
        # The committee opinions of each project: (kind, day) of the meetings that decided.
        self.opinions: dict[int, list[tuple[str, date]]] = {}
        for (kind, day), found in passages.items():
            for passage in found:
                if passage.decision:
                    self.opinions.setdefault(passage.project.pk, []).append((kind, day))
        first_day = min((day for _, day in passages), default=self.today)
        self.seats: dict[str, list[tuple[CommitteeMember, dict]]] = {}
        committees = {
            spec["kind"]: self.load_committee(territory, spec, at(first_day) - timedelta(days=45))
            for spec in COMMITTEES
        }
        plans = self.plan(committees, passages)
        self.pending_actions: list[tuple[ActionItem, date]] = []
        for plan in sorted(plans, key=lambda p: (p.day, p.committee.kind)):
            if plan.status in (Meeting.Status.VALIDATED, Meeting.Status.HELD):
                self.create_held(plan)
            elif plan.status == Meeting.Status.CONVENED:
                self.create_convened(plan)
            else:
                self.create_in_preparation(plan, plans)
        self.complete_actions(self.now)
        return plans

    def load_committee(self, territory: Territory, spec: dict, moment: datetime) -> Committee:
        committee = self.save(
            Committee(
                territory=territory, kind=spec["kind"], name=spec["name"], quorum=spec["quorum"]
            ),
            moment,
            reason="Création du comité",
        )
        seats = []
        for offset, seat in enumerate(spec["members"], start=1):
            if "user" in seat:
                user = self.users[seat["user"]]
                member = CommitteeMember(
                    committee=committee, user=user, organisation=self.memberships.get(user.pk)
                )
            else:
                first_name, last_name = seat["name"].split(" ", 1)
                member = CommitteeMember(
                    committee=committee,
                    name=seat["name"],
                    email=email(first_name, last_name),
                    organisation=self.organisations.get(seat.get("organisation", "")),
                )
            member.role = seat["role"]
            self.save(member, moment + timedelta(minutes=offset), reason="Ajout d'un membre")
            seats.append((member, seat))
        self.seats[spec["kind"]] = seats
        return committee

    def read_history(self, territory: Territory) -> tuple[dict, dict]:
        """The passages of the projects at each (kind, day) meeting, in order of inscription,
        and per project its moves: (from stage, to stage, moment)."""
        passages: dict[tuple[str, date], dict[int, Passage]] = {}
        history: dict[int, list[tuple[str, str, datetime]]] = {}
        projects = (
            Project.objects.filter(territory=territory)
            .select_related("lead_organisation")
            .prefetch_related("lead_users", "reserves")
            .order_by("reference")
        )
        for project in projects:
            moves = history[project.pk] = []
            current = previous = None
            for record in project.history.order_by("history_date", "history_id"):
                stage, reason = record.stage, record.history_change_reason
                if previous is None or stage == previous:
                    previous = stage
                    continue
                moves.append((previous, stage, record.history_date))
                named = committee_meeting(reason)
                if stage in EXAMINATION:
                    kind = EXAMINATION[stage]
                    current = named if named and named[0] == kind else None
                    if current:
                        passages.setdefault(current, {})[project.pk] = Passage(
                            project, record.history_date
                        )
                elif previous in EXAMINATION:
                    kind = EXAMINATION[previous]
                    key = named if named and named[0] == kind else current
                    decision = DECISIONS[kind].get(stage)
                    if key and decision:
                        passage = passages.setdefault(key, {}).setdefault(
                            project.pk, Passage(project)
                        )
                        passage.decision, passage.motive = decision, motive_of(reason)
                    elif key in passages:  # taken off the agenda
                        passages[key].pop(project.pk, None)
                    current = None
                previous = stage
        ordered = {
            key: sorted(
                found.values(),
                key=lambda p: (p.inscribed_at or at(key[1]), p.project.reference),
            )
            for key, found in passages.items()
            if found
        }
        return ordered, history

    def plan(self, committees: dict[str, Committee], passages: dict) -> list[Plan]:
        """One plan per meeting of the history, numbered per committee, plus a COTECH in
        preparation some weeks after the last one."""
        plans = [
            Plan(committees[kind], day, passages=found)
            for (kind, day), found in sorted(passages.items(), key=lambda kv: kv[0][1])
        ]
        cotech_days = [p.day for p in plans if p.committee.kind == COTECH]
        day = max([*cotech_days, self.today]) + timedelta(weeks=8)
        day += timedelta(days=(3 - day.weekday()) % 7)  # a Thursday
        plans.append(Plan(committees[COTECH], day, status=Meeting.Status.PREPARATION))
        for kind in (COTECH, COPIL):
            mine = [p for p in plans if p.committee.kind == kind]
            for number, plan in enumerate(mine, start=1):
                plan.number = number
                plan.previous_day = mine[number - 2].day if number > 1 else None
                plan.next_day = mine[number].day if number < len(mine) else None
                if plan.status == Meeting.Status.PREPARATION:
                    continue
                if all(p.decision for p in plan.passages):
                    plan.status = Meeting.Status.VALIDATED
                elif plan.day <= self.today:
                    plan.status = Meeting.Status.HELD
                else:
                    plan.status = Meeting.Status.CONVENED
        return plans

    # --- meetings ----------------------------------------------------------------------------

    def new_meeting(self, plan: Plan, **fields: Any) -> Meeting:
        places = next(c["places"] for c in COMMITTEES if c["kind"] == plan.committee.kind)
        return Meeting(
            committee=plan.committee,
            number=plan.number,
            starts_at=at(plan.day),
            place=places[(plan.number - 1) % len(places)],
            **fields,
        )

    def create_held(self, plan: Plan) -> None:
        """A past meeting: agenda, decisions, attendance, debates, actions; its minutes are
        validated when every project has its decision."""
        attendance = self.attendance(plan)
        present = sum(1 for status, _ in attendance.values() if status != Attendance.Status.EXCUSED)
        entries = self.entries(plan)
        start = at(plan.day)
        minutes = sum(entry["duration"] for entry in entries)
        ends = start + timedelta(minutes=5 * -(-(minutes + 10) // 5))
        validated = plan.status == Meeting.Status.VALIDATED
        meeting = self.new_meeting(
            plan,
            status=Meeting.Status.HELD,
            minutes_intro=self.intro(plan),
            minutes_conclusion=self.conclusion(plan, entries, ends) if validated else "",
        )
        recorded = ends + timedelta(minutes=30)
        self.save(meeting, recorded, reason="Création de la séance")
        elapsed = 10
        for order, entry in enumerate(entries, start=1):
            elapsed += entry["duration"]
            decided = start + timedelta(minutes=elapsed) if entry["decision"] else None
            item = self.create_item(meeting, order, entry, recorded, decided, present)
            if entry["decision"] == D.FAVORABLE_RESERVES:
                self.create_reserves(item, entry["passage"], meeting, decided)
            for action in self.actions(plan, entry):
                self.create_action(meeting, item, action, recorded)
        for action in EXTRA_ACTIONS.get(plan.key, []):
            self.create_action(meeting, None, action, recorded)
        for member, (status, deputy) in attendance.items():
            self.save(
                Attendance(meeting=meeting, member=member, status=status, represented_by=deputy),
                recorded,
                reason="Présences saisies",
            )
        if validated:
            self.validate(meeting, plan)

    def validate(self, meeting: Meeting, plan: Plan) -> None:
        """Validate the minutes about a week after the meeting, before the committee's next
        one (and never later than now).

        validate_minutes() stamps validated_at with the current time and prints it in the
        archived PDF: the clock is set to the moment of the validation while it runs, so that
        the minutes of a 2025 meeting do not read as validated today. The actions done by then
        are marked done first, so that the archived minutes show them as they were.
        """
        day = plan.day + timedelta(days=8)
        if plan.next_day:
            day = min(day, plan.next_day - timedelta(days=1))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        moment = min(at(day, time(16, 30)), self.now - timedelta(hours=1))
        moment = max(moment, meeting.starts_at + timedelta(hours=4))
        self.complete_actions(moment)
        meeting._history_date = moment
        with mock.patch.object(timezone, "now", return_value=moment):
            meeting.validate_minutes(by=self.coordinator)

    def complete_actions(self, until: datetime) -> None:
        """Mark done the actions whose (past) day of completion comes before a moment."""
        for action, done in list(self.pending_actions):
            moment = min(at(done, time(14)), self.now - timedelta(minutes=1))
            if moment <= until:
                action.done_on = done
                self.save(action, moment, reason="Action réalisée")
                self.pending_actions.remove((action, done))

    def create_convened(self, plan: Plan) -> None:
        """The upcoming meeting: agenda built as projects were put on it, then convened."""
        inscribed = [p.inscribed_at for p in plan.passages if p.inscribed_at]
        first = min(inscribed, default=self.now - timedelta(days=10))
        created = min(first - timedelta(days=1), self.now - timedelta(hours=3))
        meeting = self.save(
            self.new_meeting(plan, status=Meeting.Status.PREPARATION),
            created,
            reason="Création de la séance",
        )
        entries = self.entries(plan)
        last = created
        for order, entry in enumerate(entries, start=1):
            passage = entry["passage"]
            moment = passage.inscribed_at if passage and passage.inscribed_at else None
            moment = moment or created + timedelta(minutes=10 * order)
            last = max(last, moment)
            self.create_item(meeting, order, {**entry, "notes": ""}, moment, None, 0)
        convened = at(weekday(timezone.localdate(last, PARIS) + timedelta(days=3)), time(10))
        convened = max(min(convened, self.now - timedelta(hours=2)), last + timedelta(minutes=5))
        meeting._history_date = convened
        meeting._set_status(
            Meeting.Status.CONVENED,
            by=self.coordinator,
            reason="Convocation envoyée",
            convened_at=convened,
        )

    def create_in_preparation(self, plan: Plan, plans: list[Plan]) -> None:
        """The next COTECH, created with an empty agenda."""
        convened = [
            p.day for p in plans if p.committee == plan.committee and p.status == "convened"
        ]
        moment = at(max(convened, default=self.today - timedelta(days=5)), time(11))
        moment = min(moment - timedelta(days=15), self.now - timedelta(hours=1))
        self.save(self.new_meeting(plan), moment, reason="Création de la séance")

    # --- agenda items, reserves, actions, attendance -----------------------------------------

    def contact(self, project: Project) -> tuple[str, str]:
        """Who presents the project, and as what « Name (organisation) »."""
        leads = list(project.lead_users.all())
        organisation = project.lead_organisation.name if project.lead_organisation else ""
        if leads:
            name = leads[0].get_full_name() or leads[0].username
        else:
            name = CONTACTS.get(organisation, self.coordinator.get_full_name())
        return name, f"{name} ({organisation})" if organisation else name

    def cotech_day(self, project: Project, before: date) -> str:
        """The date of the project's last COTECH opinion before a day, in words."""
        days = [
            day
            for kind, day in self.opinions.get(project.pk, [])
            if kind == COTECH and day < before
        ]
        return french_date(max(days)) if days else "—"

    def entries(self, plan: Plan) -> list[dict[str, Any]]:
        """The items of a meeting: free items that open it, the projects, the other ones."""
        kind = plan.committee.kind
        coordinator = self.coordinator.get_full_name()
        projects = []
        for passage in plan.passages:
            project = passage.project
            name, rapporteur = self.contact(project)
            if kind == COPIL:
                rapporteur = f"{coordinator} (coordination)"
            template = NOTES.get((project.title, kind), DEFAULT_NOTES[kind])
            projects.append(
                {
                    "kind": AgendaItem.Kind.PROJECT,
                    "passage": passage,
                    "title": project.title,
                    "rapporteur": rapporteur,
                    "duration": 20 if kind == COTECH else 15,
                    "notes": template.format(
                        contact=name,
                        coordinator=coordinator,
                        cotech=self.cotech_day(project, plan.day),
                        cost=euros(project.total_cost),
                    ),
                    "decision": passage.decision,
                    "motive": passage.motive,
                }
            )
        free = FREE_ITEMS.get(plan.key, [])
        if not free and plan.status == Meeting.Status.CONVENED:
            free = [UPCOMING_ITEM]
        past = plan.status in (Meeting.Status.VALIDATED, Meeting.Status.HELD)
        others = [
            {
                **spec,
                "passage": None,
                "rapporteur": f"{coordinator} (coordination)"
                if spec["rapporteur"] == "coordinator"
                else spec["rapporteur"],
                "notes": spec.get("notes", "").format(coordinator=coordinator),
                "decision": D.NOTED if past else "",
                "motive": "",
            }
            for spec in free
        ]
        return (
            [e for e in others if e.get("first")]
            + projects
            + [e for e in others if not e.get("first")]
        )

    def create_item(
        self,
        meeting: Meeting,
        order: int,
        entry: dict[str, Any],
        moment: datetime,
        decided: datetime | None,
        voters: int,
    ) -> AgendaItem:
        passage = entry["passage"]
        item = AgendaItem(
            meeting=meeting,
            order=order,
            kind=entry["kind"],
            project=passage.project if passage else None,
            title=entry["title"],
            rapporteur=entry["rapporteur"],
            duration=entry["duration"],
            notes=entry["notes"],
            decision=entry["decision"],
            motive=entry["motive"],
            decided_at=decided,
        )
        votes = VOTES.get((entry["title"], meeting.committee.kind)) if passage else None
        if votes and entry["decision"] and voters:
            against, abstain = votes
            item.votes_for, item.votes_against, item.votes_abstain = (
                voters - against - abstain,
                against,
                abstain,
            )
        return self.save(item, moment, reason="Inscription à l'ordre du jour")

    def create_reserves(
        self, item: AgendaItem, passage: Passage, meeting: Meeting, decided: datetime
    ) -> None:
        """The reserves of a « favorable sous réserves » opinion: lifted if the project has
        gone on since, else at least one left open for its lead to lift."""
        project = passage.project
        existing = list(project.reserves.all())
        if existing:
            item.reserves.add(*existing)
            return
        origin = f"{meeting.title} — {D.FAVORABLE_RESERVES.label}"
        origin += f" : {passage.motive}" if passage.motive else ""
        leads = list(project.lead_users.all())
        owner = leads[0] if leads else None
        left = next(
            (
                moment
                for source, _target, moment in self.history.get(project.pk, [])
                if source == Stage.RESERVES and moment > decided
            ),
            None,
        )
        specs = RESERVES.get(project.title) or [
            {
                "text": capfirst(passage.motive or "compléter le dossier").rstrip("."),
                "due": weekday(meeting.starts_at.date() + timedelta(days=60)).isoformat(),
            }
        ]
        for index, spec in enumerate(specs):
            reserve = Reserve(
                project=project,
                text=spec["text"],
                origin=origin[:300],
                owner=owner,
                due_on=date.fromisoformat(spec["due"]),
                created_at=decided,
            )
            self.save(reserve, decided, reason=origin[:100])
            lifted, proof = None, LIFT_PROOF
            if left:
                lifted = left - timedelta(minutes=len(specs) - index)
            elif "lifted" in spec and index < len(specs) - 1:
                lifted_day, proof = spec["lifted"]
                lifted = min(at(date.fromisoformat(lifted_day), time(14, 30)), self.now)
            if lifted and lifted > decided:
                reserve.lifted_at = lifted
                reserve.lifted_by = owner or self.coordinator
                reserve.proof = proof
                self.save(reserve, lifted, reason="Levée de la réserve", by=reserve.lifted_by)
            item.reserves.add(reserve)

    def actions(self, plan: Plan, entry: dict[str, Any]) -> list[tuple]:
        """The follow-up of an item: (what, owner, due, done), done only when it is past."""
        passage, decision, day = entry["passage"], entry["decision"], plan.day
        if passage is None:
            if entry["title"] != AMI or not decision:
                return []
            return [
                (
                    "Recenser les projets d'entreprises à présenter au COPIL au titre de l'AMI "
                    "Rebond industriel",
                    entry["rapporteur"],
                    weekday(day + timedelta(days=30)),
                    weekday(day + timedelta(days=24)),
                )
            ]
        project = passage.project
        name, contact = self.contact(project)
        moves = self.history.get(project.pk, [])
        if decision == D.FAVORABLE:
            copil = next(
                (m for _, target, m in moves if target == Stage.COPIL and m.date() > day), None
            )
            return [
                (
                    f"Porter « {project.title} » à l'ordre du jour du prochain COPIL",
                    "coordinator",
                    weekday(day + timedelta(days=28)),
                    timezone.localdate(copil, PARIS) if copil else None,
                )
            ]
        if decision == D.FAVORABLE_RESERVES:
            left = next(
                (m for source, _, m in moves if source == Stage.RESERVES and m.date() > day), None
            )
            return [
                (
                    f"Transmettre à la coordination les pièces demandées pour lever les réserves "
                    f"sur « {project.title} »",
                    contact,
                    max(
                        (date.fromisoformat(r["due"]) for r in RESERVES.get(project.title, [])),
                        default=weekday(day + timedelta(days=60)),
                    ),
                    timezone.localdate(left, PARIS) if left else None,
                )
            ]
        if decision == D.VALIDATED:
            what = (
                f"Notifier au porteur la labellisation de « {project.title} » et l'accompagner "
                "dans ses demandes de financement"
            )
            return [
                (
                    what,
                    "coordinator",
                    weekday(day + timedelta(days=10)),
                    weekday(day + timedelta(days=3)),
                )
            ]
        if not decision:
            return []
        what = {
            D.REJECTED: "Adresser au porteur le courrier motivé de la décision du COPIL",
            D.REFERRED_BACK: "Transmettre au porteur les compléments demandés avant un nouvel "
            "examen en COTECH",
        }.get(decision, "Informer le porteur de l'avis du comité et de ses motifs")
        return [
            (
                f"{what} (« {project.title} »)",
                "coordinator",
                weekday(day + timedelta(days=10)),
                weekday(day + timedelta(days=4)),
            )
        ]

    def create_action(
        self, meeting: Meeting, item: AgendaItem | None, action: tuple, moment: datetime
    ) -> None:
        what, owner, due, done = action
        if owner == "coordinator":
            owner = f"{self.coordinator.get_full_name()} (coordination)"
        due = date.fromisoformat(due) if isinstance(due, str) else due
        done = date.fromisoformat(done) if isinstance(done, str) else done
        action = self.save(
            ActionItem(meeting=meeting, agenda_item=item, what=what, owner=owner, due_on=due),
            moment,
            reason="Action ajoutée",
        )
        if done and done <= self.today:
            self.pending_actions.append((action, done))

    def attendance(self, plan: Plan) -> dict[CommitteeMember, tuple[str, str]]:
        """Every active member: present, but for two of them in turn, one of whom (when a
        deputy is named) is represented and the other excused."""
        seats = self.seats[plan.committee.kind]
        rotating = [member for member, seat in seats if not seat.get("always")]
        away = [rotating[(2 * plan.number + i) % len(rotating)] for i in (1, 4)]
        deputies = {member: seat.get("deputy", "") for member, seat in seats}
        represented = next((m for m in away if deputies[m]), None)
        return {
            member: (
                (Attendance.Status.REPRESENTED, deputies[member])
                if member == represented
                else (Attendance.Status.EXCUSED, "")
                if member in away
                else (Attendance.Status.PRESENT, "")
            )
            for member, _ in seats
        }

    # --- minutes texts -----------------------------------------------------------------------

    def seat(self, kind: str, role: str) -> tuple[str, str]:
        """Name and function of the holder of a role in a committee."""
        member, seat = next((m, s) for m, s in self.seats[kind] if s["role"] == role)
        return member.display_name, seat.get("function", "")

    def intro(self, plan: Plan) -> str:
        kind = plan.committee.kind
        chair, chair_function = self.seat(kind, ROLE.CHAIR)
        if kind == COPIL:
            co_chair, co_function = self.seat(kind, ROLE.CO_CHAIR)
            text = (
                f"La séance est ouverte à {clock(at(plan.day))} sous la coprésidence de {chair}, "
                f"{chair_function}, et de {co_chair}, {co_function}."
            )
        else:
            text = (
                f"La séance est ouverte à {clock(at(plan.day))} par {chair}, {chair_function}, "
                "qui préside le comité technique. Le quorum étant atteint, le comité peut "
                "valablement rendre ses avis."
            )
        if plan.previous_day:
            text += (
                f"\n\nLe compte rendu de la séance du {french_date(plan.previous_day)}, validé "
                "et diffusé aux membres, n'appelle pas d'observation."
            )
        elif kind == COPIL:
            text += (
                "\n\nLes coprésidents rappellent que le comité de pilotage se prononce sur les "
                "projets après l'avis du comité technique ; chaque financeur reste décisionnaire "
                "pour ses propres aides."
            )
        else:
            text += (
                f"\n\n{chair} rappelle le rôle du comité technique : examiner les fiches-actions "
                "des porteurs et rendre un avis avant leur présentation au comité de pilotage."
            )
        return text

    def conclusion(self, plan: Plan, entries: list[dict], ends: datetime) -> str:
        decisions = {entry["decision"] for entry in entries}
        text = f"L'ordre du jour étant épuisé, la séance est levée à {clock(ends)}."
        if plan.next_day:
            name = "comité technique" if plan.committee.kind == COTECH else "comité de pilotage"
            text += f" Le prochain {name} se réunira le {french_date(plan.next_day)}."
        if D.VALIDATED in decisions:
            text += (
                "\n\nLes projets validés sont labellisés Territoire d'industrie ; la coordination "
                "accompagne leurs porteurs dans leurs demandes de financement auprès de chaque "
                "financeur."
            )
        elif decisions & {D.FAVORABLE, D.FAVORABLE_RESERVES}:
            text += (
                "\n\nLes projets ayant reçu un avis favorable seront présentés au comité de "
                "pilotage"
            )
            text += (
                ", une fois levées les réserves dont leur avis est assorti."
                if D.FAVORABLE_RESERVES in decisions
                else "."
            )
        return text

    # --- summary -----------------------------------------------------------------------------

    def report(self, territory: Territory, plans: list[Plan]) -> None:
        parts = ", ".join(f"{count} {label}" for label, count in self.created.items())
        self.stdout.write(
            self.style.SUCCESS(f"Comités de démonstration chargés ({territory.name}) : {parts}.")
        )
        meetings = Meeting.objects.filter(committee__territory=territory).select_related(
            "committee"
        )
        validated = [m for m in meetings if m.status == Meeting.Status.VALIDATED]
        if validated:
            first, last = (
                min(validated, key=lambda m: m.starts_at),
                max(validated, key=lambda m: m.starts_at),
            )
            self.stdout.write(
                f"  {len(validated)} comptes rendus validés, du {first.title} au {last.title}"
            )
        for meeting in sorted(meetings, key=lambda m: m.starts_at):
            if meeting.status != Meeting.Status.VALIDATED:
                todo = {
                    Meeting.Status.HELD: " : décision à enregistrer",
                    Meeting.Status.PREPARATION: " : ordre du jour à composer",
                }.get(meeting.status, "")
                self.stdout.write(
                    f"  {meeting.title} — {meeting.get_status_display().lower()}{todo}"
                )
