"""`manage.py demo`: the whole demo data set, loaded idempotently.

It runs `demo_projects` (territories, organisations, accounts and projects), then gives
Chaumont-Langres its committees (COTECH, COPIL, CLEE) and the meetings that the projects' history
tells of: every « COTECH du … » / « COPIL du … » of a project's history puts the project on the
agenda of the meeting of that date, with the decision that its next move shows. Past meetings get
their attendance, debates, actions and validated minutes (the PDF is rendered and archived once);
then come a held COPIL whose decision is still to be recorded, the convened upcoming COTECH and a
COTECH in preparation. The projects are not moved again: their history already holds the moves.
Last come the territory's applications to the AMI Rebond industriel (`load_applications`): its
own application, submitted and selected, and a company project file for Bpifrance in draft.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
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
    Dispatch,
    Invitation,
    Meeting,
)
from committees.notifications import invite
from projects.lifecycle import save_change
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
from projects.models import (
    Application,
    ApplicationProject,
    Call,
    Organisation,
    Project,
    Reserve,
    SectionAnswer,
    Stage,
    Territory,
)
from tdi.formats import euros, french_date

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
# text, due date, and (day, proof) when its lift, proposed by the lead, was accepted.
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
            plans = None
            if territory.committees.exists():
                self.stdout.write(
                    "Les comités de démonstration existent déjà : aucune séance n'a été créée."
                )
            else:
                self.created: Counter[str] = Counter()
                self.now = timezone.now()
                self.today = timezone.localdate(self.now)
                plans = self.load(territory)
                # The demo's meetings are played through the real workflow, which writes the
                # e-mails they would send: the demo sends none (fictitious addresses).
                Dispatch.objects.filter(meeting__committee__territory=territory).delete()
        if plans is not None:
            self.report(territory, plans)
        load_applications(territory, self.stdout, self.style)

    # --- loading ---------------------------------------------------------------------------

    def save(self, obj: models.Model, moment: datetime, reason: str, by=None, **kwargs) -> Any:
        """Save a tracked object with its history author, reason and date, and count it."""
        adding = obj._state.adding
        save_change(obj, by=by or self.coordinator, reason=reason, at=moment, **kwargs)
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
        # A meeting gets its number at the convocation (the plans are numbered in date order).
        preparing = fields.get("status", Meeting.Status.PREPARATION) == Meeting.Status.PREPARATION
        return Meeting(
            committee=plan.committee,
            number=None if preparing else plan.number,
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

        The moment of the validation is printed in the archived PDF, so that the minutes of a
        2025 meeting do not read as validated today. The actions done by then are marked done
        first, so that the archived minutes show them as they were.
        """
        day = plan.day + timedelta(days=8)
        if plan.next_day:
            day = min(day, plan.next_day - timedelta(days=1))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        moment = min(at(day, time(16, 30)), self.now - timedelta(hours=1))
        moment = max(moment, meeting.starts_at + timedelta(hours=4))
        self.complete_actions(moment)
        meeting.validate_minutes(by=self.coordinator, at=moment)

    def complete_actions(self, until: datetime) -> None:
        """Mark done the actions whose (past) day of completion comes before a moment."""
        for action, done in list(self.pending_actions):
            moment = min(at(done, time(14)), self.now - timedelta(minutes=1))
            if moment <= until:
                action.done_on = done  # all that a validated meeting leaves open
                self.save(action, moment, reason="Action réalisée", update_fields=["done_on"])
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
        # The convocation without its e-mails: the demo sends none.
        meeting.transition_to(
            Meeting.Status.CONVENED,
            by=self.coordinator,
            reason="Convocation envoyée",
            at=convened,
            convened_at=convened,
            number=plan.number,
        )
        self.reply(meeting, invite(meeting, by=self.coordinator, at=convened), convened)

    def reply(self, meeting: Meeting, invitations: list[Invitation], convened: datetime) -> None:
        """The answers received so far: most seats are coming, one is excused, one titulaire
        gives a proxy to another; the leads and some external members have not answered."""
        seats = {i.member.display_name: i for i in invitations if i.member_id}
        answers = [
            ("Claire Martin", Invitation.Reply.PRESENT, None),
            ("Patrick Girard", Invitation.Reply.PRESENT, None),
            ("Nadia Benali", Invitation.Reply.EXCUSED, None),
            ("Isabelle Faure", Invitation.Reply.PROXY, "Patrick Girard"),
            ("Thomas Hubert", Invitation.Reply.PRESENT, None),
            ("Émilie Robert", Invitation.Reply.PRESENT, None),
        ]
        for n, (name, reply, holder) in enumerate(answers):
            if name not in seats:
                continue
            later = timedelta(days=n // 2, hours=1 + 3 * (n % 2), minutes=7 * n)
            moment = min(convened + later, self.now - timedelta(minutes=5))
            proxy_to = seats[holder].member if holder else None
            user = seats[name].member.user
            seats[name].answer(reply, by=user, proxy_to=proxy_to, at=moment)

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
        # As record_decision writes it: the motive stays in the (confidential) minutes.
        origin = f"{meeting.title} — {D.FAVORABLE_RESERVES.label}"
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
                # In two steps (DESIGN §5): the lead proposes, the coordination accepts.
                reason = "Levée de la réserve"
                if owner:
                    reserve.proposed_at = decided + (lifted - decided) / 2
                    reserve.proposed_by, reserve.proposed_proof = owner, proof
                    proposed = "Levée de la réserve proposée"
                    self.save(reserve, reserve.proposed_at, reason=proposed, by=owner)
                    reason = "Levée de la réserve acceptée par la coordination"
                reserve.lifted_at, reserve.lifted_by = lifted, self.coordinator
                reserve.proof = proof
                self.save(reserve, lifted, reason=reason)
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


# --- applications to the AMI Rebond industriel -----------------------------------------------
# Loaded last, on their own (skipped when the territory already has applications): the
# territory's application to the 2026 session of the call, submitted and selected, and a company
# project file for Bpifrance still in draft. Their dates follow the projects' history: the
# application is assembled after the COTECH of 13 October 2026, the logistics platform joins it
# once validated by the COPIL of 19 November 2026, and it is filed the day after.

CALL_TITLE = "AMI Rebond industriel"
PHONE = "03 53 73 12 40"  # numbers of the range reserved by the ARCEP for fiction
COMPANY_PHONE = "03 53 73 20 58"

# (project title, aid requested, day it was added); the order is the rank.
PORTFOLIO: list[tuple[str, int, str]] = [
    ("Modernisation de l'atelier de la coutellerie Dupré", 260_000, "2026-10-20"),
    ("Station hydrogène vert de Chaumont", 900_000, "2026-10-20"),
    ("Plateforme logistique mutualisée pour les PME industrielles", 300_000, "2026-11-19"),
    ("Récupération de chaleur fatale des fours de forge", 200_000, "2026-10-20"),
]
TERRITORY_DAYS = {
    "created": "2026-10-19",
    "ready": "2026-11-20",
    "submitted": "2026-11-20",
    "outcome": "2026-11-27",
}
# Placeholders: {name}, {email}, {phone} (the contact).
TERRITORY_ANSWERS: dict[str, tuple[str, str]] = {
    "candidat": (
        "2026-10-21",
        "La candidature est portée par la Communauté d'agglomération de Chaumont au nom du "
        "Territoire d'industrie Chaumont-Langres, qu'elle constitue avec la Communauté de "
        "communes du Grand Langres. Par délibérations concordantes, les deux conseils "
        "communautaires ont approuvé la candidature et désigné l'agglomération comme structure "
        "porteuse et interlocutrice de la Banque des Territoires et de Bpifrance.\n\n"
        "EPCI candidats :\n"
        "– Communauté d'agglomération de Chaumont, structure porteuse ;\n"
        "– Communauté de communes du Grand Langres, EPCI associé.\n\n"
        "Élue référente : Christine Guillot, vice-présidente de la Communauté d'agglomération de "
        "Chaumont chargée du développement économique, qui copréside le comité de pilotage avec "
        "Bernard Vasseur, président de Forges du Bassigny.\n\n"
        "Cheffe de projet Territoire d'industrie, contact du dossier : {name}, Communauté "
        "d'agglomération de Chaumont — {email} — {phone}.\n\n"
        "Lauréat de la première session de l'AMI en avril 2023, le territoire présente à la "
        "session 2026 un nouveau portefeuille de quatre projets, examinés cette année par son "
        "comité technique et son comité de pilotage.",
    ),
    "choc": (
        "2026-10-28",
        "Le sud de la Haute-Marne compte parmi les territoires les plus industriels du Grand "
        "Est : sur les deux intercommunalités, l'industrie emploie près de 6 800 salariés, soit "
        "environ un emploi salarié privé sur quatre. Le tissu est spécialisé dans la "
        "transformation des métaux — forge et estampage dans la vallée de la Marne, coutellerie "
        "et instruments chirurgicaux autour de Nogent, usinage de précision —, auxquels "
        "s'ajoutent les composites et la logistique. Il repose pour l'essentiel sur des PME "
        "sous-traitantes de l'automobile, du poids lourd, de l'aéronautique et du médical.\n\n"
        "Nature du choc. Depuis 2023, trois difficultés se cumulent :\n"
        "– le recul des commandes de la filière automobile, engagée dans la sortie des moteurs "
        "thermiques : chez les sous-traitants du territoire, les volumes de pièces forgées et "
        "usinées destinées aux moteurs et aux boîtes de vitesses ont baissé de près d'un tiers "
        "en trois ans ;\n"
        "– des défaillances d'entreprises : deux sous-traitants de la forge et de l'usinage ont "
        "été placés en liquidation judiciaire en 2024 et en 2025 (235 salariés au total) et un "
        "équipementier a conduit en 2025 un plan de sauvegarde de l'emploi supprimant 70 postes "
        "sur son site chaumontais ;\n"
        "– la hausse des prix de l'énergie, qui a pesé lourdement sur les forges et les "
        "fonderies, grandes consommatrices de gaz pour leurs fours, et retardé leurs "
        "investissements.\n\n"
        "Ampleur. Entre la fin de 2022 et la fin de 2025, le territoire a perdu environ 520 "
        "emplois salariés industriels, soit 7 % de l'emploi industriel, dont six sur dix dans la "
        "métallurgie et le travail des métaux. Le recours à l'intérim industriel a reculé de "
        "près de 30 % sur la même période. Les pertes touchent surtout des ouvriers qualifiés de "
        "plus de 45 ans, dont les compétences (forge, réglage de presses, usinage) restent "
        "recherchées par d'autres entreprises du bassin, à condition d'être actualisées.\n\n"
        "Un marché du travail en tension. Les industriels qui investissent peinent pourtant à "
        "recruter : près d'un tiers des forgerons du bassin partiront à la retraite d'ici 2030, "
        "et les métiers d'usineur, de régleur et d'opérateur composite figurent parmi les plus "
        "difficiles à pourvoir du département. La baisse de la population active et l'image de "
        "l'industrie auprès des jeunes accentuent ces difficultés. Le foncier économique "
        "immédiatement disponible reste rare : la requalification de la friche de l'ancienne "
        "fonderie de Chaumont, fermée en 2009, n'a remis que 4,5 hectares sur le marché en "
        "2026.\n\n"
        "Sources : Urssaf (effectifs salariés privés au 31 décembre), France Travail "
        "(statistiques du marché du travail et enquête Besoins en main-d'œuvre), Insee, "
        "observatoire économique de la CCI Haute-Marne, enquête du cluster Nogentech auprès de "
        "ses adhérents (2025).",
    ),
    "ecosysteme": (
        "2026-10-30",
        "Filières. Le territoire rassemble environ 180 établissements industriels, dont une "
        "quinzaine de plus de 50 salariés. Quatre filières le structurent :\n"
        "– la forge et l'estampage à chaud, dans la vallée de la Marne (Bologne, Chaumont), qui "
        "fournissent l'automobile, le poids lourd, le ferroviaire et le machinisme agricole ;\n"
        "– la coutellerie et l'instrumentation médicale autour de Nogent, héritières d'un "
        "savoir-faire plusieurs fois centenaire, qui se diversifient vers les instruments "
        "chirurgicaux ;\n"
        "– l'usinage de précision, étroitement lié aux deux filières précédentes ;\n"
        "– les matériaux composites, pour l'aéronautique, le médical et les équipements "
        "sportifs.\n\n"
        "Entreprises structurantes. Quelques PME de taille significative — Forges du Bassigny à "
        "Bologne, Composites Haute-Marne à Chaumont, Coutellerie Dupré & Fils à Nogent — "
        "entraînent un réseau de sous-traitants et de prestataires (traitement thermique et de "
        "surface, outillage, maintenance, transport). La fragilité de ce réseau tient à la "
        "dépendance de nombreuses PME à un petit nombre de donneurs d'ordre.\n\n"
        "Innovation. Le cluster Nogentech fédère les industriels de la métallurgie et du "
        "médical, anime des groupes de travail (achats d'énergie, recrutement, qualité) et "
        "accompagne leurs projets avec des laboratoires et centres techniques partenaires. Ses "
        "ateliers partagés de prototypage (impression 3D métal, métrologie, essais), labellisés "
        "en juillet 2025, offriront aux PME un plateau technique qu'aucune ne pourrait acquérir "
        "seule.\n\n"
        "Compétences et formation. L'école de production MétalTech, ouverte à Nogent en 2022, "
        "forme des jeunes de 15 à 18 ans au métier d'usineur sur de vraies commandes des "
        "industriels ; son extension portera sa capacité de 24 à 48 élèves à la rentrée 2027. "
        "Le Comité Local Éducation Économie (CLEE) rapproche collèges, lycées et entreprises : "
        "visites d'ateliers, stages, forum de l'industrie organisé à Chaumont en octobre 2026. "
        "France Travail et la CCI complètent l'offre, notamment par des préparations "
        "opérationnelles à l'emploi collectives.\n\n"
        "Foncier. La friche de l'ancienne fonderie de Chaumont a été dépolluée et viabilisée en "
        "quatre lots (4,5 ha), dont un est occupé et deux sont réservés. L'étude de stratégie "
        "foncière du Grand Langres, financée par les missions d'ingénierie de la Banque des "
        "Territoires, a recensé 38 hectares mobilisables, dont 11 en friches, et priorisé "
        "l'extension du parc d'activités de Langres Sud, à proximité de l'A31.\n\n"
        "Atouts : des savoir-faire rares et reconnus, des entreprises familiales ancrées qui "
        "investissent, une école de production et un cluster actifs, une desserte par les "
        "autoroutes A5 et A31 et par la ligne ferroviaire Paris–Mulhouse.\n"
        "Fragilités : la dépendance à l'automobile, des procédés très consommateurs d'énergie, "
        "le vieillissement des effectifs et les difficultés de recrutement, un foncier prêt à "
        "l'emploi encore limité.",
    ),
    "gouvernance": (
        "2026-11-04",
        "Un binôme élu-industriel. Le Territoire d'industrie est piloté par Christine Guillot, "
        "vice-présidente de la Communauté d'agglomération de Chaumont chargée du développement "
        "économique, et Bernard Vasseur, président de Forges du Bassigny. Ils coprésident le "
        "comité de pilotage et portent la démarche auprès des élus et des chefs d'entreprise.\n\n"
        "Le comité de pilotage (COPIL) réunit autour du binôme la Préfecture de la Haute-Marne, "
        "la Région Grand Est, la Communauté de communes du Grand Langres, la Banque des "
        "Territoires, Bpifrance, la CCI Haute-Marne et le cluster Nogentech ; la cheffe de "
        "projet en assure le secrétariat. Il valide les projets après l'avis du comité "
        "technique et arrête les priorités du territoire ; chaque financeur reste décisionnaire "
        "pour ses propres aides.\n\n"
        "Le comité technique (COTECH), présidé par la cheffe de projet, rassemble les services "
        "économiques des deux intercommunalités, la sous-préfecture de Langres, la Région, la "
        "Banque des Territoires, Bpifrance, la CCI, Nogentech et, comme invité, France Travail. "
        "Il examine chaque fiche-action déposée par un porteur et rend un avis motivé : "
        "favorable, favorable sous réserves, ajournement, réorientation vers un autre dispositif "
        "ou défavorable.\n\n"
        "Un rythme régulier. Le COTECH se réunit trois fois par an (février, juin et octobre), "
        "chaque séance étant suivie d'un COPIL trois à quatre semaines plus tard. Depuis février "
        "2025, six comités techniques et six comités de pilotage se sont tenus. Les ordres du "
        "jour, les comptes rendus validés, les réserves et les actions sont tenus sur la "
        "plateforme de gestion du portefeuille, qui conserve l'historique de chaque décision.\n\n"
        "Pré-validation des projets d'entreprise. Conformément au cahier des charges de l'AMI, "
        "aucun projet d'entreprise n'est déposé auprès de Bpifrance sans avoir été examiné par "
        "le COTECH puis validé par le COPIL territorial. Ce filtre est exigeant : en avril 2026, "
        "le COPIL a écarté un projet de renouvellement de machines à l'identique, sans effet sur "
        "l'emploi ni sur la transition du site, et l'a orienté vers les prêts de droit commun de "
        "Bpifrance. Les quatre projets présentés ont tous reçu un avis favorable du COTECH ; "
        "ceux qui n'ont pas encore été validés par le COPIL le seront avant tout dépôt auprès de "
        "Bpifrance (COPIL du 26 novembre 2026 pour la modernisation de la coutellerie Dupré, "
        "COPIL suivant pour la station hydrogène).\n\n"
        "Ingénierie. La cheffe de projet, rattachée à l'agglomération, se consacre au programme ; "
        "elle s'appuie sur les développeurs économiques des deux intercommunalités et sur les "
        "chargés d'affaires de la CCI et de Bpifrance pour accompagner les porteurs.",
    ),
    "portefeuille": (
        "2026-11-19",
        "Le portefeuille réunit quatre projets matures, réalisables d'ici 2028, qui "
        "représentent 7,55 M€ d'investissements, dont 2,16 M€ autofinancés par les porteurs, 27 "
        "emplois créés et 130 emplois maintenus. Ils répondent aux critères de l'AMI : des "
        "investissements productifs, des effets directs sur l'emploi industriel et un impact "
        "environnemental mesurable (2 650 tonnes de CO2 évitées chaque année à terme). Ils sont "
        "classés par ordre de priorité, l'investissement productif industriel en tête.\n\n"
        "1. Modernisation de l'atelier de la coutellerie Dupré (Nogent) — 860 000 €. Installée "
        "depuis quatre générations, l'entreprise remplace ses affûteuses manuelles par un centre "
        "d'affûtage à commande numérique et équipe son atelier de polissage d'une cabine "
        "aspirée. L'investissement améliore la régularité des lames et les conditions de "
        "travail, et ouvre les marchés de l'instrumentation médicale. 5 emplois créés, 38 "
        "maintenus. Aide sollicitée : avance remboursable de Bpifrance de 260 000 €. Avis "
        "favorable du COTECH du 13 octobre 2026 ; inscrit au COPIL du 26 novembre 2026. "
        "Réalisation de février à décembre 2027.\n\n"
        "2. Station hydrogène vert de Chaumont — 3 600 000 €. Un électrolyseur de 1 MW alimenté "
        "en électricité renouvelable et une distribution à 350 et 700 bars pour les poids lourds "
        "des transporteurs et la flotte de bennes de l'agglomération. Le projet évite environ "
        "1 200 tonnes de CO2 par an et crée 8 emplois. Aide sollicitée : 900 000 € de Bpifrance "
        "au titre de France 2030, aux côtés de l'ADEME (1,2 M€) et de la Banque des Territoires "
        "(600 000 € en fonds propres). Avis favorable du COTECH du 13 octobre 2026. Réalisation "
        "de mars 2027 à juin 2028.\n\n"
        "3. Plateforme logistique mutualisée pour les PME industrielles (Chaumont) — "
        "2 150 000 €. Un entrepôt de 6 000 m², construit sur une parcelle déjà artificialisée de "
        "1,8 ha, partagé entre PME pour le stockage, la préparation des commandes et les "
        "expéditions groupées ; six PME ont adressé une lettre d'intention. 12 emplois créés, 30 "
        "maintenus, et moins de camions partiellement chargés. Aide sollicitée : prêt de "
        "Bpifrance de 300 000 €, complété par un prêt de la Banque des Territoires (900 000 €) et "
        "une subvention de la Région (300 000 €). Validé par le COPIL du 19 novembre 2026. "
        "Réalisation de janvier 2027 à mars 2028.\n\n"
        "4. Récupération de chaleur fatale des fours de forge (Forges du Bassigny, Bologne) — "
        "940 000 €. Des échangeurs récupèrent la chaleur des fumées des fours de réchauffage, à "
        "plus de 500 °C, pour préchauffer l'air de combustion et chauffer les ateliers : la "
        "consommation de gaz du site baisse d'environ 18 %, soit 1 450 tonnes de CO2 évitées "
        "par an. Validé par le COPIL du 10 juillet 2025, le projet est en réalisation : le "
        "premier four est équipé et le réseau de chauffage des ateliers raccordé ; la mise en "
        "service sur le second four est prévue en février 2027. Il maintient 62 emplois et en "
        "crée 2. Le montant présenté (200 000 €) correspond au prêt de Bpifrance inscrit à son "
        "plan de financement, accordé en 2025 ; le projet est présenté pour que ses résultats "
        "soient suivis avec ceux du portefeuille.\n\n"
        "Le recyclage des chutes de composites carbone, validé par le COPIL du 9 juillet 2026, "
        "fera l'objet d'un dossier distinct dès que son plan de financement sera bouclé.\n\n"
        "Le tableau du portefeuille, les fiches projets et l'annexe financière ci-après sont "
        "produits à partir des fiches projets du Territoire d'industrie.",
    ),
    "cofinancements": (
        "2026-11-12",
        "Région Grand Est. La Région cofinance trois des quatre projets : 170 000 € pour la "
        "modernisation de la coutellerie Dupré et 300 000 € pour la plateforme logistique, "
        "sollicités au titre de ses aides à l'investissement des entreprises, et 94 000 € déjà "
        "accordés pour la récupération de chaleur fatale, soit 564 000 € au total. Sa lettre de "
        "soutien est jointe en annexe.\n\n"
        "Communauté d'agglomération de Chaumont. Par délibération de son conseil communautaire, "
        "l'agglomération s'engage à :\n"
        "– acheter de l'hydrogène vert pour sa flotte de bennes à ordures ménagères, premier "
        "client public de la station de Chaumont, dans le cadre d'un contrat d'approvisionnement "
        "pluriannuel ;\n"
        "– financer le poste de cheffe de projet Territoire d'industrie et l'animation du "
        "programme jusqu'en 2027 ;\n"
        "– commercialiser auprès d'industriels les lots viabilisés de la friche de l'ancienne "
        "fonderie, dont elle a autofinancé la requalification à hauteur de 560 000 € ;\n"
        "– cofinancer à hauteur de 150 000 € l'extension de l'école de production MétalTech, qui "
        "formera les usineurs dont les entreprises du portefeuille ont besoin.\n\n"
        "Communauté de communes du Grand Langres. Par délibération de son conseil "
        "communautaire, elle s'engage à porter l'extension du parc d'activités de Langres Sud "
        "(9 ha, 2,4 M€, dont 600 000 € sur ses fonds propres) pour accueillir les projets "
        "industriels qui suivront.\n\n"
        "Autres partenaires publics. L'ADEME accompagne la station hydrogène (1,2 M€) et la "
        "récupération de chaleur fatale (376 000 €, accordés). La Banque des Territoires "
        "intervient en fonds propres au capital de la société porteuse de la station hydrogène "
        "(600 000 €) et en prêt pour la plateforme logistique (900 000 €).\n\n"
        "Le détail par financeur figure dans l'annexe financière du dossier.",
    ),
    "resultats": (
        "2026-11-19",
        "Résultats attendus des quatre projets (cibles inscrites dans les fiches projets) :\n"
        "– emploi : 27 emplois industriels créés et 130 maintenus, dont 62 sur le site de forge "
        "de Bologne ;\n"
        "– investissement : 7,55 M€ d'investissements, dont 2,16 M€ autofinancés par les "
        "entreprises, soit plus de 4,5 € investis pour 1 € d'aide sollicitée au titre de "
        "l'AMI ;\n"
        "– environnement : 2 650 tonnes de CO2 évitées par an à pleine charge (1 200 pour la "
        "station hydrogène, 1 450 pour la récupération de chaleur fatale), une baisse d'environ "
        "18 % de la consommation de gaz du site de forge et des expéditions regroupées ;\n"
        "– foncier : la plateforme logistique est construite sur 1,8 ha déjà artificialisés, "
        "sans consommation d'espace naturel ou agricole.\n\n"
        "Modalités de suivi. Chaque fiche projet porte ses indicateurs, avec une valeur cible et "
        "une valeur réalisée que le porteur met à jour au moins deux fois par an, ainsi que ses "
        "jalons et l'état de son plan de financement. La cheffe de projet vérifie ces données "
        "avant chaque comité technique ; les écarts (retard, surcoût, aide refusée) sont "
        "examinés en COTECH et, si nécessaire, en COPIL.\n\n"
        "Évaluation. Un bilan du portefeuille (investissements réalisés, emplois, financements "
        "obtenus, CO2 évité) est présenté au premier COPIL de chaque année et transmis à la "
        "Préfecture, à la Région, à la Banque des Territoires et à Bpifrance. Un bilan final "
        "sera établi à l'achèvement du dernier projet, prévu en 2028.",
    ),
    "annexes": (
        "2026-11-20",
        "1. Délibération du conseil communautaire de la Communauté d'agglomération de Chaumont "
        "approuvant la candidature et désignant l'agglomération comme structure porteuse.\n"
        "2. Délibération du conseil communautaire de la Communauté de communes du Grand "
        "Langres.\n"
        "3. Lettre de soutien du préfet de la Haute-Marne.\n"
        "4. Lettre de soutien de la Région Grand Est.\n"
        "5. Lettres d'engagement des quatre entreprises porteuses.\n"
        "6. Comptes rendus du COTECH du 13 octobre 2026 et du COPIL du 19 novembre 2026.\n"
        "7. Devis principaux : centre d'affûtage numérique, électrolyseur, construction de "
        "l'entrepôt.\n"
        "8. Lettres d'intention des PME utilisatrices de la plateforme logistique.\n\n"
        "Les fiches projets sont reproduites dans le présent dossier.",
    ),
}
OUTCOME_COMMENT = (
    "Courrier conjoint de la Banque des Territoires et de Bpifrance : la candidature est retenue "
    "au titre de la session 2026. Les projets d'entreprise seront instruits par Bpifrance après "
    "leur validation par le COPIL territorial."
)

# The company project file: a project pre-validated by the COPIL, filed with Bpifrance. Its
# funding plan is not balanced yet (the Région has not been asked for the balance), so the
# section on co-financing is left to write: the check list shows both.
COMPANY_PROJECT = "Recyclage des chutes de composites carbone"
COMPANY_CONTACT = "porteur2"
COMPANY_REQUESTED = 380_000
COMPANY_DAYS = {"created": "2026-09-14", "project": "2026-09-14"}
# Placeholders: {name}, {email}, {phone}, {siren}, {coordinator}.
COMPANY_ANSWERS: dict[str, tuple[str, str]] = {
    "candidat": (
        "2026-09-14",
        "Entreprise porteuse du projet : Composites Haute-Marne, SIREN {siren}, établissement de "
        "Chaumont (Communauté d'agglomération de Chaumont). Cette PME industrielle de 110 "
        "salariés fabrique des pièces en matériaux composites à fibres de carbone, par drapage "
        "de préimprégnés et moulage, pour l'aéronautique, le médical et les équipements "
        "sportifs.\n\n"
        "Contact : {name}, {email}, {phone}.\n\n"
        "Le projet s'inscrit dans le Territoire d'industrie Chaumont-Langres (Communauté "
        "d'agglomération de Chaumont et Communauté de communes du Grand Langres), lauréat de "
        "l'AMI Rebond industriel. {coordinator}, cheffe de projet Territoire d'industrie, "
        "accompagne l'entreprise dans le montage du dossier.",
    ),
    "choc": (
        "2026-09-16",
        "Composites Haute-Marne subit à double titre le choc industriel que connaît le bassin "
        "chaumontais depuis 2023. Plusieurs de ses fournisseurs et prestataires locaux "
        "(usinage, outillage de moules, traitement de surface) ont perdu une part importante de "
        "leur activité automobile ; deux d'entre eux ont cessé leur activité, ce qui a allongé "
        "ses délais d'approvisionnement. La hausse des prix de l'énergie et des matières "
        "premières a par ailleurs renchéri ses coûts : les préimprégnés de carbone représentent "
        "près de la moitié de ses achats, et près de 60 tonnes de chutes partent chaque année "
        "en centre d'enfouissement, à un coût croissant.\n\n"
        "En réemployant ses chutes, l'entreprise réduit ses achats de matière et ses coûts de "
        "traitement des déchets, consolide sa compétitivité et sécurise les 110 emplois du site, "
        "dans un bassin qui a perdu environ 520 emplois industriels entre 2022 et 2025.",
    ),
    "ecosysteme": (
        "2026-09-16",
        "L'entreprise est membre du cluster Nogentech, avec lequel elle a mis au point le "
        "procédé : les essais de broyage menés avec un laboratoire partenaire du cluster, "
        "validés en mai 2026, montrent que les fibres courtes obtenues conviennent aux pièces "
        "non structurelles (carters, capots, pièces d'aménagement intérieur).\n\n"
        "Elle travaille avec plusieurs sous-traitants du territoire pour l'usinage et "
        "l'outillage de ses moules, et recrute ses opérateurs avec France Travail et le CLEE ; "
        "un parcours de formation de douze opérateurs composites est en préparation avec France "
        "Travail. À terme, la ligne pilote pourra traiter les chutes d'autres entreprises "
        "composites de la région et ouvrir une activité de service.",
    ),
    "gouvernance": (
        "2026-09-21",
        "Le projet a suivi le circuit d'examen du Territoire d'industrie Chaumont-Langres :\n"
        "– dépôt de la fiche-action par l'entreprise et vérification de sa complétude par la "
        "coordination ;\n"
        "– avis favorable du comité technique du 16 juin 2026, qui a invité l'entreprise à "
        "solliciter la Région pour boucler son plan de financement ;\n"
        "– validation par le comité de pilotage du 9 juillet 2026, coprésidé par Christine "
        "Guillot, vice-présidente de la Communauté d'agglomération de Chaumont, et Bernard "
        "Vasseur, président de Forges du Bassigny.\n\n"
        "Le projet est ainsi pré-validé par le COPIL territorial, comme l'exige le cahier des "
        "charges de l'AMI. Les demandes d'aide ont été présentées à l'ADEME et à Bpifrance en "
        "juillet 2026 ; le présent dossier, établi avec la coordination du Territoire "
        "d'industrie, sera déposé auprès de Bpifrance dès que le plan de financement sera "
        "bouclé.",
    ),
    "portefeuille": (
        "2026-09-21",
        "Recyclage des chutes de composites carbone — coût total : 1 480 000 € HT.\n\n"
        "L'entreprise installe sur son site de Chaumont une ligne pilote de broyage et de "
        "réemploi des chutes de préimprégnés de carbone issues de sa production : tri et "
        "découpe des chutes, broyage, puis réintroduction des fibres courtes dans des pièces non "
        "structurelles moulées par compression.\n\n"
        "Maturité : procédé validé par les essais de mai 2026 ; commande de la ligne en janvier "
        "2027, mise en service et montée en cadence en 2027, fin du projet en décembre 2027.\n"
        "Investissement productif : 1,48 M€, dont 480 000 € autofinancés.\n"
        "Emploi : 6 emplois créés (conducteurs de ligne, technicien procédés) et 110 emplois "
        "maintenus.\n"
        "Environnement : environ 60 tonnes de chutes détournées chaque année de l'enfouissement "
        "et 180 tonnes de CO2 évitées par an grâce à la substitution de fibres vierges.\n\n"
        "Aide sollicitée auprès de Bpifrance au titre de France 2030 : 380 000 €.",
    ),
    "cofinancements": ("", ""),
    "resultats": (
        "2026-09-23",
        "Indicateurs suivis sur la fiche projet du Territoire d'industrie, mis à jour par "
        "l'entreprise chaque semestre :\n"
        "– emplois créés : 6 à la fin de 2027 ; emplois maintenus : 110 ;\n"
        "– CO2 évité : 180 tonnes par an à pleine cadence ;\n"
        "– chutes réemployées : 60 tonnes par an à terme (suivi interne) ;\n"
        "– investissement réalisé et aides obtenues.\n\n"
        "Les résultats sont présentés au comité technique du Territoire d'industrie et repris "
        "dans le bilan annuel du portefeuille présenté au comité de pilotage.",
    ),
    "annexes": (
        "2026-09-23",
        "1. Extrait Kbis et comptes des trois derniers exercices.\n"
        "2. Compte rendu du COPIL du 9 juillet 2026 (pré-validation du projet).\n"
        "3. Rapport des essais de broyage (mai 2026).\n"
        "4. Devis de la ligne pilote.\n"
        "5. Lettre de soutien de la Communauté d'agglomération de Chaumont.",
    ),
}


def typeset(text: str) -> str:
    """French typography that keeps figures whole: narrow no-break spaces in numbers and before
    « ; : ? ! », a no-break space between a number and its unit."""
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "\u202f", text)
    text = re.sub(r"(?<=\d) (?=(?:€|M€|%|°C|m²|ha\b|MW\b|bars\b|tonnes?\b))", "\u00a0", text)
    return re.sub(r" (?=[;:?!])", "\u202f", text)


def load_applications(territory: Territory, stdout, style) -> list[Application]:
    """The territory's applications to the AMI Rebond industriel, unless it already has some:
    its own application, submitted and selected, and a company project file in draft."""
    if territory.applications.exists():
        stdout.write("Les candidatures de démonstration existent déjà : aucune n'a été créée.")
        return []
    seeded = Call.objects.filter(title=CALL_TITLE).prefetch_related("sections").first()
    if seeded is None:
        stdout.write(f"Appel « {CALL_TITLE} » introuvable : aucune candidature n'a été créée.")
        return []
    with transaction.atomic():
        loader = ApplicationsLoader(territory, session_2026(seeded))
        applications = [loader.territory_application(), loader.company_application()]
    for application in applications:
        open_points = [c for c in application.checklist() if not c.ok]
        state = application.get_status_display().lower()
        if application.submitted_at:
            state += f", déposé le {french_date(application.submitted_at)}"
        if open_points:
            count = len(open_points)
            state += f", {count} point{'s' if count > 1 else ''} à compléter"
        stdout.write(style.SUCCESS(f"Candidature de démonstration : {application} ({state})."))
    return applications


def session_2026(seeded: Call) -> Call:
    """The call the demo files to: a 2026 session of the AMI (the one the migrations seed closed
    in March 2023), with the same sections."""
    title = f"{seeded.title} — session 2026"
    call = Call.objects.filter(title=title).first()
    if call is None:
        call = Call.objects.create(
            title=title,
            funder=seeded.funder,
            description=seeded.description,
            eligibility=seeded.eligibility,
            opens_on=date(2026, 9, 1),
            closes_on=date(2026, 12, 18),
            url=seeded.url,
        )
        for section in seeded.sections.all():
            section.pk, section.call = None, call
            section.save()
    return Call.objects.prefetch_related("sections").get(pk=call.pk)


class ApplicationsLoader:
    """Creates the demo applications, each row dated and signed by the coordinator."""

    def __init__(self, territory: Territory, call: Call):
        self.territory = territory
        self.call = call
        self.sections = {section.key: section for section in call.sections.all()}
        self.coordinator = get_user_model().objects.get(username="coordination")
        self.now = timezone.now()
        self.projects = {
            p.title: p
            for p in Project.objects.filter(territory=territory).select_related("lead_organisation")
        }

    def moment(self, day: str, hour: int = 10, minute: int = 0) -> datetime:
        """A moment of the given day, never later than an hour ago."""
        return min(at(date.fromisoformat(day), time(hour, minute)), self.now - timedelta(hours=1))

    def save(self, obj: models.Model, moment: datetime, reason: str) -> Any:
        save_change(obj, by=self.coordinator, reason=reason, at=moment)
        return obj

    def project(self, title: str) -> Project:
        try:
            return self.projects[title]
        except KeyError:
            raise CommandError(f"Projet de démonstration introuvable : « {title} ».") from None

    def answer(self, application: Application, key: str, text: str, moment: datetime) -> None:
        section = self.sections[key]
        text = typeset(text)
        if len(text) > section.max_length:
            raise CommandError(
                f"Rubrique « {section.title} » : {len(text)} caractères pour "
                f"{section.max_length} au plus."
            )
        self.save(
            SectionAnswer(application=application, section=section, text=text),
            moment,
            reason=f"Rubrique « {section.title} » rédigée",
        )

    def include(
        self, application: Application, title: str, amount: int, rank: int, moment: datetime
    ) -> None:
        self.save(
            ApplicationProject(
                application=application,
                project=self.project(title),
                requested_amount=amount,
                rank=rank,
            ),
            moment,
            reason="Projet ajouté au dossier",
        )

    def territory_application(self) -> Application:
        """Assembled from October 2026, declared ready and submitted on 20 November 2026,
        selected a week later."""
        coordinator = self.coordinator
        application = self.save(
            Application(
                call=self.call,
                territory=self.territory,
                applicant=Organisation.objects.get(name=CA_CHAUMONT),
                title=f"Candidature du Territoire d'industrie {self.territory.name} à l'AMI "
                "Rebond industriel — session 2026",
                contact_name=coordinator.get_full_name(),
                contact_email=coordinator.email,
                contact_phone=PHONE,
            ),
            self.moment(TERRITORY_DAYS["created"], 9, 30),
            reason="Création du dossier",
        )
        contact = {"name": coordinator.get_full_name(), "email": coordinator.email, "phone": PHONE}
        for key, (day, text) in TERRITORY_ANSWERS.items():
            self.answer(application, key, text.format(**contact), self.moment(day, 17))
        for rank, (title, amount, day) in enumerate(PORTFOLIO, start=1):
            self.include(application, title, amount, rank, self.moment(day, 11, rank))
        problems = [f"{c.label} : {c.detail}" for c in application.checklist() if not c.ok]
        if problems:
            raise CommandError("Candidature de démonstration incomplète : " + " ; ".join(problems))
        ready = self.moment(TERRITORY_DAYS["ready"], 10, 30)
        submitted = self.moment(TERRITORY_DAYS["submitted"], 15)
        try:
            application.mark_ready(by=coordinator, at=ready)
            application.submit(by=coordinator, at=submitted)
            decided = max(self.moment(TERRITORY_DAYS["outcome"], 11), submitted)
            application.record_outcome(
                Application.Status.SELECTED,
                by=coordinator,
                on=timezone.localdate(decided, PARIS),
                comment=typeset(OUTCOME_COMMENT),
                at=decided,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        return application

    def company_application(self) -> Application:
        """A single-project file for Bpifrance, in draft: one section and the balance of the
        funding plan are still missing."""
        project = self.project(COMPANY_PROJECT)
        company = project.lead_organisation
        contact_user = get_user_model().objects.get(username=COMPANY_CONTACT)
        contact = {
            "name": contact_user.get_full_name(),
            "email": contact_user.email,
            "phone": COMPANY_PHONE,
            "siren": company.siren or "en cours d'attribution",
            "coordinator": self.coordinator.get_full_name(),
        }
        application = self.save(
            Application(
                call=self.call,
                territory=self.territory,
                applicant=company,
                title=f"Dossier Bpifrance — {project.title} ({company})",
                contact_name=contact["name"],
                contact_email=contact["email"],
                contact_phone=COMPANY_PHONE,
            ),
            self.moment(COMPANY_DAYS["created"], 9),
            reason="Création du dossier",
        )
        self.include(
            application, project.title, COMPANY_REQUESTED, 1, self.moment(COMPANY_DAYS["project"])
        )
        for key, (day, text) in COMPANY_ANSWERS.items():
            if text:
                self.answer(application, key, text.format(**contact), self.moment(day, 16))
        return application
