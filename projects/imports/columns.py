"""What a column of the table may hold (the targets), how a header is recognised (case,
accents, spaces and punctuation set aside), and how a cell is read: French numbers and dates,
choices by their French label.

A project's funding plan takes several lines of a row: « Financeur », « Montant »… then
« Financeur 2 », « Montant 2 »… (or the same headers repeated), up to FUNDING_LINES.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..models import Axis, FundingInstrument, FundingStatus, IndicatorKind, Stage
from ..models.validators import CONTROL_CHARACTERS

FUNDING_LINES = 8
TEXT, LONG_TEXT, MONEY, QUANTITY, DATE, PERCENT, BOOLEAN, CHOICE, SIREN = (
    "text", "long_text", "money", "quantity", "date", "percent", "boolean", "choice", "siren",
)  # fmt: skip


# What a spreadsheet reads as a formula (OWASP "CSV injection"); the model table writes such a
# text with a leading apostrophe, as the exports of tdi.reports do, and the import drops it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """A cell that cannot be read; the message says why, in French."""


def normalise(text) -> str:
    """« Coût total HT (€) » → "cout total ht": lower case, no accents, words only."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.findall(r"[a-z0-9]+", text))


@dataclass(frozen=True)
class Target:
    """A field a column may fill in: its key ("title", "funder.2"), its label in French, how
    its cells are read, and the headers (normalised) that name it."""

    key: str
    label: str
    kind: str
    aliases: tuple[str, ...] = ()
    choices: tuple = ()
    max_length: int = 0

    @property
    def base(self) -> str:
        """The key without its funding line: "funder.2" → "funder"."""
        return self.key.split(".")[0]

    @property
    def line(self) -> int:
        """The funding line of the target (1 for the others)."""
        parts = self.key.split(".")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1


PROJECT_TARGETS = [
    Target("reference", "Référence", TEXT, ("reference", "ref", "reference du projet",
           "reference de la fiche", "n fiche", "numero de fiche", "numero", "n", "code projet"),
           max_length=30),
    Target("title", "Intitulé", TEXT, ("intitule", "intitule du projet", "titre", "projet",
           "nom du projet", "fiche action", "libelle"), max_length=200),
    Target("summary", "Résumé", LONG_TEXT, ("resume", "synthese", "objet"), max_length=1000),
    Target("description", "Description", LONG_TEXT, ("description", "description detaillee"),
           max_length=20000),
    Target("axis", "Axe", CHOICE, ("axe", "axe principal", "priorite", "axe prioritaire",
           "thematique"), tuple(Axis)),
    Target("stage", "Étape", CHOICE, ("etape", "stade", "statut", "statut du projet",
           "etat", "etat du projet", "avancement du projet"), tuple(Stage)),
    Target("lead_user", "Porteur (compte)", TEXT, ("porteur", "porteur de projet", "referent",
           "responsable", "chef de projet porteur")),
    Target("lead_organisation", "Structure porteuse", TEXT, ("structure porteuse",
           "maitre d ouvrage", "maitrise d ouvrage", "structure", "entreprise",
           "organisme porteur"), max_length=200),
    Target("lead_siren", "SIREN de la structure porteuse", SIREN, ("siren",
           "siren de la structure porteuse", "siren structure porteuse", "siren du porteur",
           "siren porteur")),
    Target("commune", "Commune", TEXT, ("commune", "ville", "localisation", "lieu"),
           max_length=100),
    Target("epci", "EPCI", TEXT, ("epci", "intercommunalite", "communaute de communes",
           "interco"), max_length=200),
    Target("planned_start", "Date de début", DATE, ("date de debut", "debut", "debut prevu",
           "date debut", "date de demarrage", "demarrage")),
    Target("planned_end", "Date de fin", DATE, ("date de fin", "fin", "fin prevue", "date fin",
           "date d achevement", "achevement")),
    Target("total_cost", "Coût total HT", MONEY, ("cout total ht", "cout total", "cout ht",
           "cout total ht eur", "montant total", "montant total ht", "budget", "cout")),
    Target("progress", "Avancement (%)", PERCENT, ("avancement", "avancement %",
           "avancement pourcentage", "progression", "taux d avancement")),
    Target("is_public", "Publiable en données ouvertes", BOOLEAN, ("publiable",
           "publiable en donnees ouvertes", "open data", "donnees ouvertes", "public")),
]  # fmt: skip

FUNDING_FIELDS = [
    ("funder", "Financeur", TEXT, ("financeur", "financeur principal", "cofinanceur")),
    ("funder_siren", "SIREN du financeur", SIREN, ("siren du financeur", "siren financeur")),
    ("instrument", "Dispositif", CHOICE, ("dispositif", "instrument", "type d aide",
     "nature de l aide", "type de financement")),
    ("amount", "Montant", MONEY, ("montant", "montant ht", "montant eur", "montant sollicite",
     "montant de l aide", "montant du financement")),
    ("funding_status", "Statut du financement", CHOICE, ("statut du financement",
     "statut financement", "etat du financement", "statut de la demande")),
]  # fmt: skip
FUNDING_CHOICES = {"instrument": tuple(FundingInstrument), "funding_status": tuple(FundingStatus)}

INDICATOR_NAMES = {
    IndicatorKind.JOBS_CREATED: ("emplois crees", "emplois a creer", "creations d emplois"),
    IndicatorKind.JOBS_KEPT: ("emplois maintenus", "emplois preserves"),
    IndicatorKind.PEOPLE_TRAINED: ("personnes formees",),
    IndicatorKind.HECTARES: ("foncier amenage ou requalifie", "hectares", "surface ha"),
    IndicatorKind.CO2_AVOIDED: ("emissions evitees", "tco2e evitees", "co2 evite"),
    IndicatorKind.PRIVATE_INVESTMENT: ("investissement prive",),
}


def _funding_targets(line: int) -> list[Target]:
    targets = []
    for base, label, kind, aliases in FUNDING_FIELDS:
        numbered = tuple(f"{alias} {line}" for alias in aliases)
        targets.append(
            Target(
                f"{base}.{line}",
                f"{label} {line}" if line > 1 else label,
                kind,
                numbered + (aliases if line == 1 else ()),
                FUNDING_CHOICES.get(base, ()),
                max_length=200 if base == "funder" else 0,
            )
        )
    return targets


def _indicator_targets() -> list[Target]:
    targets = []
    for kind, names in INDICATOR_NAMES.items():
        label = kind.label
        targets.append(
            Target(
                f"{kind.value}.target",
                f"{label} (cible)",
                QUANTITY,
                tuple(a for n in names for a in (n, f"{n} cible", f"{n} prevus", f"{n} objectif")),
            )
        )
        targets.append(
            Target(
                f"{kind.value}.achieved",
                f"{label} (réalisé)",
                QUANTITY,
                tuple(a for n in names for a in (f"{n} realise", f"{n} realises", f"{n} reel")),
            )
        )
    return targets


TARGETS: dict[str, Target] = {
    t.key: t
    for t in [
        *PROJECT_TARGETS,
        *(t for line in range(1, FUNDING_LINES + 1) for t in _funding_targets(line)),
        *_indicator_targets(),
    ]
}
INDICATOR_KINDS = [kind.value for kind in INDICATOR_NAMES]
# A header (normalised) → the target it names; the units a header may carry are dropped.
UNITS = re.compile(r"\b(eur|euros?|ht|ttc|en|etp|ha|tco2e an|pourcentage)\b")
ALIASES: dict[str, str] = {}
for _target in TARGETS.values():
    for _alias in (normalise(_target.label), *_target.aliases):
        ALIASES.setdefault(_alias, _target.key)


def target_of(header: str) -> str:
    """The target a header names, or "" (unknown)."""
    name = normalise(header)
    if name in ALIASES:
        return ALIASES[name]
    bare = " ".join(UNITS.sub(" ", name).split())
    return ALIASES.get(bare, "")


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Column index → target, from the headers. A funding header met again without a number
    fills the next funding line (« Financeur », « Montant », « Financeur », « Montant »); any
    other target met twice is left to the user."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = target_of(header) if header else ""
        if (
            key
            and key in taken
            and TARGETS[key].base
            in FUNDING_CHOICES.keys()
            | {
                "funder",
                "funder_siren",
                "amount",
            }
        ):
            base = TARGETS[key].base
            free = [line for line in range(1, FUNDING_LINES + 1) if f"{base}.{line}" not in taken]
            key = f"{base}.{free[0]}" if free else ""
        if key in taken:
            key = ""
        if key:
            taken.add(key)
        mapping[str(index)] = key
    return mapping


# --- reading a cell -----------------------------------------------------------------------

SPACES = re.compile(r"[\s\u00a0\u202f']")
CURRENCY = re.compile(r"(€|eur(os?)?|k€|m€)$", re.IGNORECASE)
TRUE = {"oui", "o", "vrai", "x", "1", "yes", "y", "true"}
FALSE = {"non", "n", "faux", "0", "no", "false"}


def is_blank(value) -> bool:
    """An empty cell, or one that only says so (« - », « — », « / »)."""
    return value is None or (isinstance(value, str) and not any(c.isalnum() for c in value))


def read_text(value, target: Target) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # « 12 » typed in a cell that Excel keeps as 12.0
    if isinstance(value, datetime | date):
        value = value.strftime("%d/%m/%Y")
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]  # a text that an export kept from being read as a formula
    if target.kind != LONG_TEXT:
        text = " ".join(text.split())  # one line: no line break or tab in a name or a title
        if CONTROL_CHARACTERS.search(text):
            raise CellError("Caractères de contrôle interdits dans ce texte.")
    if target.max_length and len(text) > target.max_length:
        raise CellError(f"Texte trop long : {len(text)} caractères, {target.max_length} au plus.")
    return text


def read_decimal(value, *, what: str = "montant") -> Decimal:
    """12, 12.5, « 1 250 000,50 € », « 1.250.000,50 », « 12,5 » → Decimal; CellError otherwise."""
    if isinstance(value, bool):
        raise CellError(f"Ce {what} n'est pas un nombre.")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = SPACES.sub("", str(value))
        text = CURRENCY.sub("", text)
        if "," in text and "." in text:
            # The last separator is the decimal one: 1.250.000,50 or 1,250,000.50.
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "").replace(",", ".")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        elif text.count(".") > 1:
            text = text.replace(".", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(
                f"« {str(value)[:40]} » n'est pas un {what} (exemple : 1 250 000 ou 12,50)."
            ) from None
    if not number.is_finite():
        raise CellError(f"« {str(value)[:40]} » n'est pas un {what}.")
    if number < 0:
        raise CellError(f"Le {what} ne peut pas être négatif.")
    if number >= Decimal("1e12"):
        raise CellError(f"Ce {what} est hors limites (moins de mille milliards).")
    return number.quantize(Decimal("0.01"))


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


def read_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        raise CellError(
            "Cette cellule contient un nombre, pas une date : saisissez-la comme 15/03/2026."
        )
    text = str(value).strip().split(" ")[0]  # « 15/03/2026 00:00:00 »
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()  # noqa: DTZ007 — a calendar day
        except ValueError:
            continue
        if not 1900 <= day.year <= 2100:
            break
        return day
    raise CellError(f"« {str(value)[:40]} » n'est pas une date (exemple : 15/03/2026).")


def read_percent(value) -> int:
    if isinstance(value, float) and 0 < value < 1:
        value = value * 100  # a cell formatted as a percentage holds 0.45 for 45 %
    try:
        number = read_decimal(str(value).replace("%", "") if isinstance(value, str) else value,
                              what="pourcentage")  # fmt: skip
    except CellError:
        raise CellError(f"« {str(value)[:40]} » n'est pas un pourcentage (0 à 100).") from None
    if number > 100 or number != number.to_integral_value():
        raise CellError("L'avancement est un nombre entier de 0 à 100.")
    return int(number)


def read_boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = normalise(value)
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(f"« {str(value)[:40]} » : répondez « oui » ou « non ».")


def read_siren(value) -> str:
    from ..models import validate_siren  # noqa: PLC0415

    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\s\u00a0\u202f.]", "", str(value))
    if text.isdigit() and len(text) == 8:
        text = "0" + text  # a leading zero that a spreadsheet dropped
    try:
        validate_siren(text)
    except Exception as invalid:  # noqa: BLE001 — a ValidationError with its French message
        raise CellError(" ".join(getattr(invalid, "messages", [str(invalid)]))) from None
    return text


def choice_lookup(choices) -> dict[str, str]:
    """Normalised label (with and without its parenthesis), and value → value."""
    lookup = {}
    for choice in choices:
        label = normalise(choice.label)
        lookup[label] = choice.value
        lookup[normalise(re.sub(r"\(.*?\)", "", choice.label))] = choice.value
        for part in choice.label.split("/"):
            lookup.setdefault(normalise(part), choice.value)
        lookup[normalise(choice.value)] = choice.value
    return lookup


LOOKUPS: dict[str, dict[str, str]] = {}


UNKNOWN_CHOICE = {
    "axis": "Axe inconnu",
    "stage": "Étape inconnue",
    "instrument": "Dispositif inconnu",
    "funding_status": "Statut du financement inconnu",
}


def read_choice(value, target: Target) -> str:
    lookup = LOOKUPS.setdefault(target.base, choice_lookup(target.choices))
    found = lookup.get(normalise(value))
    if found is None:
        allowed = ", ".join(f"« {c.label} »" for c in target.choices)
        raise CellError(
            f"{UNKNOWN_CHOICE[target.base]} : « {str(value)[:60]} ». Valeurs possibles : {allowed}."
        )
    return found


READERS = {
    TEXT: read_text,
    LONG_TEXT: read_text,
    MONEY: lambda value, target: read_decimal(value, what="montant"),
    QUANTITY: lambda value, target: read_decimal(value, what="nombre"),
    DATE: lambda value, target: read_date(value),
    PERCENT: lambda value, target: read_percent(value),
    BOOLEAN: lambda value, target: read_boolean(value),
    CHOICE: read_choice,
    SIREN: lambda value, target: read_siren(value),
}


def read_cell(value, target: Target):
    """The value of a non-blank cell for its target; CellError with the reason otherwise."""
    return READERS[target.kind](value, target)
