"""What an import would do, row by row (the preview), and doing it (the import).

A row is matched to a project of the territory by its reference (case aside), or, without
one, by its title when a single project bears it; a reference unknown to the territory creates
the project with that reference, so that importing the same file again finds it. A blank cell
changes nothing. Organisations are matched by SIREN, then by name (case and accents aside);
an unknown one is created, unless the coordination picks an existing one in the preview.
Funding lines are matched by (funder, instrument) in their order; those the file does not name
are kept. Indicators are matched by kind.

The plan is computed again when the import is done, inside its transaction, from the stored
file: nothing the browser sends but the choices of columns and organisations is trusted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from tdi.formats import euros, french_date

from ..access import Access
from ..lifecycle import history_stamp, save_change
from ..models import (
    MEETING_HELD,
    FundingInstrument,
    FundingLine,
    FundingStatus,
    ImportStatus,
    Indicator,
    IndicatorKind,
    Organisation,
    OrganisationKind,
    Project,
    ProjectImport,
    Role,
    Stage,
)
from .columns import (
    FUNDING_LINES,
    INDICATOR_KINDS,
    TARGETS,
    CellError,
    is_blank,
    normalise,
    read_cell,
)
from .reading import open_table

CREATE, UPDATE, UNCHANGED, REFUSED = "create", "update", "unchanged", "refused"
ACTION_LABELS = {
    CREATE: "À créer",
    UPDATE: "À mettre à jour",
    UNCHANGED: "Inchangé",
    REFUSED: "Refusé",
}
# The kind an organisation gets when it is created, by the role it plays in the row.
ROLE_KINDS = {
    "lead": OrganisationKind.COMPANY,
    "epci": OrganisationKind.EPCI,
    "funder": OrganisationKind.PUBLIC_OPERATOR,
}
ROLE_LABELS = {"lead": "structure porteuse", "epci": "intercommunalité", "funder": "financeur"}
PROJECT_FIELDS = [
    "title", "summary", "description", "axis", "commune", "planned_start", "planned_end",
    "total_cost", "progress", "is_public",
]  # fmt: skip
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")
NEW = "new"

Progress = Callable[[int], None]


@dataclass
class Problem:
    column: str  # the header of the column, or what the message is about
    message: str


@dataclass
class OrgRef:
    """An organisation named in a row, as the file names it."""

    role: str  # "lead", "epci" or "funder"
    name: str
    siren: str = ""
    column: str = ""
    id: int | str | None = None  # the organisation's id, NEW (to create) or None (refused)
    kind: str = ""  # the kind of the organisation to create

    @property
    def key(self) -> str:
        """How the preview lists an unknown organisation once, whatever rows name it."""
        return f"siren:{self.siren}" if self.siren else f"nom:{normalise(self.name)}"


@dataclass
class FundingIn:
    number: int  # its line of the plan in the file (« Financeur 2 »)
    funder: OrgRef
    instrument: str
    amount: Decimal
    status: str


@dataclass
class RowPlan:
    """One row of the file and what the import does with it."""

    line: int
    reference: str = ""
    title: str = ""
    action: str = ""
    fields: dict = field(default_factory=dict)
    stage: str = ""
    stage_header: str = "Étape"
    lead_organisation: OrgRef | None = None
    epci: OrgRef | None = None
    lead_users: list = field(default_factory=list)
    funding: list[FundingIn] = field(default_factory=list)
    indicators: dict = field(default_factory=dict)  # kind → {"target": x, "achieved": y}
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    touches_project: bool = False  # an update changes the project's own fields or accounts
    project: Project | None = None

    @property
    def stage_label(self) -> str:
        return Stage(self.stage or Stage.IDEA).label

    @property
    def shown_title(self) -> str:
        return self.title or (self.project.title if self.project else "")

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]

    def refuse(self, column: str, message: str) -> None:
        self.errors.append(Problem(column, message))


@dataclass
class Unknown:
    """An organisation the file names that the application does not know (yet)."""

    key: str
    name: str
    siren: str
    role: str
    lines: list[int] = field(default_factory=list)
    choice: str = ""  # "new:<kind>" or the id of an existing organisation

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass
class Plan:
    rows: list[RowPlan]
    unknown: dict[str, Unknown]

    def of(self, action: str) -> list[RowPlan]:
        return [row for row in self.rows if row.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTION_LABELS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts


# --- organisations ------------------------------------------------------------------------


class Organisations:
    """The organisations known to the application, read once (id, name, SIREN, kind), and
    the territory's directory; the choices made in the preview for the unknown ones."""

    def __init__(self, imp: ProjectImport) -> None:
        self.by_id: dict[int, dict] = {}
        self.by_siren: dict[str, list[int]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for pk, name, siren, kind in Organisation.objects.values_list(
            "pk", "name", "siren", "kind"
        ):
            self.by_id[pk] = {"name": name, "siren": siren, "kind": kind}
            if siren:
                self.by_siren[siren].append(pk)
            self.by_name[normalise(name)].append(pk)
        self.directory = set(imp.territory.organisations.values_list("pk", flat=True))
        self.resolutions = imp.resolutions or {}
        self.unknown: dict[str, Unknown] = {}

    def _pick(self, ids: list[int], name: str = "") -> int | None | str:
        """One id among candidates: the directory's first; several → "" (ambiguous)."""
        if not ids:
            return None
        mine = [pk for pk in ids if pk in self.directory] or ids
        if len(mine) == 1:
            return mine[0]
        exact = [pk for pk in mine if self.by_id[pk]["name"].lower() == name.lower()]
        return exact[0] if len(exact) == 1 else ""

    def resolve(self, ref: OrgRef, row: RowPlan) -> int | str | None:
        """The id of the organisation; NEW when it is to be created; None with the row refused."""
        found = None
        if ref.siren and ref.siren in self.by_siren:
            found = self._pick(self.by_siren[ref.siren], ref.name)
        if not found and ref.name:
            found = self._pick(self.by_name.get(normalise(ref.name), []), ref.name)
            if found and ref.siren and self.by_id[found]["siren"] not in ("", ref.siren):
                row.refuse(
                    ref.column,
                    f"« {self.by_id[found]['name']} » est enregistrée avec le SIREN "
                    f"{self.by_id[found]['siren']}, pas {ref.siren}.",
                )
                return None
        if found == "":
            row.refuse(
                ref.column,
                f"Plusieurs organisations correspondent à « {ref.name} » : précisez son SIREN.",
            )
            return None
        if found is None:
            choice = self.resolutions.get(ref.key, "")
            if choice.isdigit() and int(choice) in self.directory:
                found = int(choice)
            else:
                unknown = self.unknown.setdefault(
                    ref.key, Unknown(ref.key, ref.name, ref.siren, ref.role)
                )
                unknown.choice = choice if choice.startswith(f"{NEW}:") else ""
                unknown.lines.append(row.line)
                if not ref.name:
                    row.refuse(
                        ref.column, f"Le SIREN {ref.siren} n'est pas connu : indiquez le nom."
                    )
                    return None
                return NEW
        if ref.role == "epci" and self.by_id[found]["kind"] != OrganisationKind.EPCI:
            kind = OrganisationKind(self.by_id[found]["kind"]).label
            row.refuse(
                ref.column,
                f"« {self.by_id[found]['name']} » n'est pas une intercommunalité (type : {kind}).",
            )
            return None
        return found

    def kind_for(self, ref: OrgRef) -> str:
        choice = self.resolutions.get(ref.key, "")
        kind = choice.removeprefix(f"{NEW}:") if choice.startswith(f"{NEW}:") else ""
        return kind if kind in OrganisationKind.values else ROLE_KINDS[ref.role]


# --- lead accounts ------------------------------------------------------------------------


def territory_leads(imp: ProjectImport) -> dict[str, list]:
    """The accounts holding a lead role in the territory, by normalised username, e-mail
    and names (« Julien Roussel », « Roussel Julien »)."""
    leads: dict[str, list] = defaultdict(list)
    users = get_user_model().objects.filter(
        memberships__territory=imp.territory, memberships__role=Role.LEAD
    )
    for user in users:
        names = {user.get_username(), user.email}
        if user.first_name or user.last_name:
            names |= {f"{user.first_name} {user.last_name}", f"{user.last_name} {user.first_name}"}
        for name in names:
            if key := normalise(name):
                leads[key].append(user)
    return leads


# --- reading the rows ---------------------------------------------------------------------


def read_row(line: int, values: list, columns: list[tuple[int, str, str]]) -> RowPlan:
    """The row's cells read for their targets; each cell that cannot be read refuses the row
    with its reason."""
    row = RowPlan(line)
    cells: dict[str, tuple[object, str]] = {}
    failed: set[str] = set()
    for index, key, header in columns:
        value = values[index] if index < len(values) else None
        if is_blank(value):
            continue
        try:
            cells[key] = (read_cell(value, TARGETS[key]), header)
        except CellError as error:
            row.refuse(header, str(error))
            failed.add(key)
    get = lambda key: cells.get(key, (None, ""))[0]  # noqa: E731
    header_of = lambda key: cells.get(key, (None, TARGETS[key].label))[1]  # noqa: E731
    row.reference = get("reference") or ""
    if row.reference and not REFERENCE.match(row.reference):
        row.refuse(
            header_of("reference"),
            "Une référence ne contient que des lettres, chiffres, espaces et les signes - _ . /",
        )
    row.title = get("title") or ""
    for name in PROJECT_FIELDS:
        if (value := get(name)) is not None:
            row.fields[name] = value
    row.stage = get("stage") or ""
    row.stage_header = header_of("stage")
    if get("lead_organisation") or get("lead_siren"):
        row.lead_organisation = OrgRef(
            "lead",
            get("lead_organisation") or "",
            get("lead_siren") or "",
            header_of("lead_organisation" if "lead_organisation" in cells else "lead_siren"),
        )
    if get("epci"):
        row.epci = OrgRef("epci", get("epci"), "", header_of("epci"))
    if get("lead_user"):
        row.lead_users = [n.strip() for n in re.split(r"[,;\n]", get("lead_user")) if n.strip()]
    for number in range(1, FUNDING_LINES + 1):
        keys = {
            base: f"{base}.{number}"
            for base in ("funder", "funder_siren", "instrument", "amount", "funding_status")
        }
        if not any(key in cells or key in failed for key in keys.values()):
            continue
        funder, siren = get(keys["funder"]) or "", get(keys["funder_siren"]) or ""
        amount = get(keys["amount"])
        if not (funder or siren):
            row.refuse(
                TARGETS[keys["funder"]].label,
                f"Ligne de financement {number} sans financeur : indiquez qui finance.",
            )
            continue
        if amount is None:
            if keys["amount"] not in failed:
                row.refuse(
                    header_of(keys["amount"]),
                    f"Ligne de financement {number} sans montant : indiquez le montant.",
                )
            continue
        row.funding.append(
            FundingIn(
                number,
                OrgRef("funder", funder, siren, header_of(keys["funder"])),
                get(keys["instrument"]) or FundingInstrument.OTHER,
                amount,
                get(keys["funding_status"]) or FundingStatus.PLANNED,
            )
        )
    for kind in INDICATOR_KINDS:
        target, achieved = get(f"{kind}.target"), get(f"{kind}.achieved")
        if target is not None or achieved is not None:
            row.indicators[kind] = {"target": target, "achieved": achieved}
    return row


def mapped_columns(imp: ProjectImport) -> list[tuple[int, str, str]]:
    """(column index, target key, header) of the columns the import reads."""
    return [
        (int(index), key, imp.headers[int(index)] or f"Colonne {int(index) + 1}")
        for index, key in sorted(imp.mapping.items(), key=lambda item: int(item[0]))
        if key in TARGETS and int(index) < len(imp.headers)
    ]


# --- the plan -----------------------------------------------------------------------------


def existing_projects(imp: ProjectImport, *, lock: bool):
    projects = Project.objects.filter(territory=imp.territory).prefetch_related(
        "lead_users",
        Prefetch("funding_lines", FundingLine.objects.order_by("pk")),
        Prefetch("indicators", Indicator.objects.order_by("pk")),
    )
    if lock:
        projects = projects.select_for_update()
    return list(projects)


def build_plan(imp: ProjectImport, *, lock: bool = False, progress: Progress | None = None) -> Plan:
    """What importing the file would do, row by row. Unreadable when the file cannot be read."""
    columns = mapped_columns(imp)
    projects = existing_projects(imp, lock=lock)
    by_reference = {p.reference.upper(): p for p in projects}
    by_title: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        by_title[normalise(project.title)].append(project)
    organisations = Organisations(imp)
    leads = territory_leads(imp)
    seen: dict[str, int] = {}
    rows = []
    imp.file.open("rb")
    try:
        with open_table(imp.file, imp.file_format) as table:
            for count, (line, values) in enumerate(table.rows, start=1):
                row = read_row(line, values, columns)
                match_project(row, by_reference, by_title, seen)
                resolve_people(row, organisations, leads)
                check_row(row)
                compare(row, organisations)
                rows.append(row)
                if progress and count % 250 == 0:
                    progress(min(5 + 45 * count // max(imp.row_count, 1), 50))
    finally:
        imp.file.close()
    return Plan(rows, organisations.unknown)


def match_project(row: RowPlan, by_reference, by_title, seen: dict[str, int]) -> None:
    if not row.reference and not row.title:
        row.refuse("Référence", "Ni référence ni intitulé : la ligne ne désigne aucun projet.")
        return
    key = f"ref:{row.reference.upper()}" if row.reference else f"titre:{normalise(row.title)}"
    if key in seen:
        what = "Référence" if row.reference else "Intitulé"
        row.refuse(
            what,
            f"{what} déjà présent{'e' if row.reference else ''} à la ligne {seen[key]} du "
            "fichier : une seule ligne par projet.",
        )
        return
    seen[key] = row.line
    if row.reference:
        row.project = by_reference.get(row.reference.upper())
    else:
        found = by_title.get(normalise(row.title), [])
        if len(found) > 1:
            row.refuse(
                "Intitulé",
                f"{len(found)} projets du territoire s'intitulent « {row.title} » : indiquez la "
                "référence du projet à mettre à jour.",
            )
        elif found:
            row.project = found[0]
    if row.project is not None and row.project.is_archived:
        row.refuse(
            "Référence",
            f"Le projet {row.project.reference} est archivé : désarchivez-le pour le mettre à jour.",
        )


def resolve_people(row: RowPlan, organisations: Organisations, leads) -> None:
    """The organisations' ids (or NEW) and the lead accounts of the row."""
    for ref in [row.lead_organisation, row.epci, *(f.funder for f in row.funding)]:
        if ref is not None:
            ref.id = organisations.resolve(ref, row)
            ref.kind = organisations.kind_for(ref)
    users = []
    for name in row.lead_users:
        found = leads.get(normalise(name), [])
        if len({u.pk for u in found}) == 1:
            users.append(found[0])
            continue
        if found:
            why = f"Plusieurs porteurs de projet du territoire répondent à « {name} »"
        else:
            why = (
                "Aucun porteur de projet du territoire n'a pour nom, identifiant ou courriel "
                f"« {name} »"
            )
        row.warnings.append(
            Problem(
                "Porteur",
                f"{why} : le projet est importé sans ce porteur (ajoutez-le sur sa fiche).",
            )
        )
    row.lead_users = users


def check_row(row: RowPlan) -> None:
    """What the row must hold to create its project, a stage it may be taken up at, and dates
    in order."""
    project = row.project
    if row.stage in MEETING_HELD and project is None:
        # (An existing project keeps its stage whatever the table says: compare().)
        row.refuse(
            row.stage_header,
            f"Étape « {Stage(row.stage).label} » impossible à reprendre : {MEETING_HELD[row.stage]}",
        )
    if project is None:
        if not row.title:
            row.refuse("Intitulé", "L'intitulé est obligatoire pour créer un projet.")
        if "axis" not in row.fields:
            row.refuse("Axe", "L'axe est obligatoire pour créer un projet.")
    start = row.fields.get("planned_start", project.planned_start if project else None)
    end = row.fields.get("planned_end", project.planned_end if project else None)
    if start and end and end < start:
        row.refuse(
            "Date de fin",
            f"La date de fin ({french_date(end)}) précède la date de début ({french_date(start)}).",
        )
    for kind, values in row.indicators.items():
        existing = [i for i in project.indicators.all() if i.kind == kind] if project else []
        if values["target"] is None and not existing:
            row.refuse(
                f"{IndicatorKind(kind).label} (cible)",
                "Un réalisé sans cible : indiquez aussi la cible de l'indicateur.",
            )


def compare(row: RowPlan, organisations: Organisations) -> None:
    """The action of the row, and for an update the list of what changes."""
    if row.errors:
        row.action = REFUSED
        return
    project = row.project
    if project is None:
        row.action = CREATE
        return
    changes = row.changes
    for name, value in row.fields.items():
        if getattr(project, name) != value:
            changes.append(str(Project._meta.get_field(name).verbose_name).capitalize())
    for name, ref in (("lead_organisation", row.lead_organisation), ("epci", row.epci)):
        if ref is not None and getattr(project, f"{name}_id") != ref.id:
            changes.append(str(Project._meta.get_field(name).verbose_name).capitalize())
    leading = {u.pk for u in project.lead_users.all()}
    if any(u.pk not in leading for u in row.lead_users):
        changes.append("Porteurs (comptes)")
    row.touches_project = bool(changes)
    if row.stage and row.stage != project.stage:
        # A project the application knows moves along its workflow (its committees, the
        # coordination's moves), never by a table: its stage stays, and the row says so.
        row.warnings.append(
            Problem(
                row.stage_header,
                f"Le projet est à l'étape « {project.get_stage_display()} » dans l'application : "
                f"l'étape « {Stage(row.stage).label} » du tableau n'est pas reprise (un projet "
                "existant change d'étape par sa page et ses comités).",
            )
        )
        row.stage = ""
    for line, existing in pair_lines(row.funding, list(project.funding_lines.all())):
        if existing is None:
            changes.append(
                f"Nouvelle ligne de financement : {line.funder.name}, {euros(line.amount)}"
            )
        elif (existing.amount, existing.status) != (line.amount, line.status):
            changes.append(f"Ligne de financement : {line.funder.name}")
    for kind, values in row.indicators.items():
        existing = [i for i in project.indicators.all() if i.kind == kind]
        if indicator_change(values, existing, row):
            changes.append(f"Indicateur : {IndicatorKind(kind).label}")
    row.action = REFUSED if row.errors else UPDATE if changes else UNCHANGED


def pair_lines(lines: list[FundingIn], existing: list[FundingLine]):
    """Each line of the file with the line of the plan it updates (None: a new line): the
    n-th line of a (funder, instrument) in the file goes with the n-th of the plan."""
    groups: dict[tuple, list[FundingLine]] = defaultdict(list)
    for line in existing:
        groups[(line.funder_id, line.instrument)].append(line)
    for line in lines:
        group = groups.get((line.funder.id, line.instrument)) if line.funder.id != NEW else None
        yield line, group.pop(0) if group else None


def indicator_change(values: dict, existing: list[Indicator], row: RowPlan) -> bool:
    """Whether the indicator changes; with several of a kind on the project, the file's
    figure must be their sum (the model table writes it) or the row is refused."""
    if not existing:
        return True
    target, achieved = values["target"], values["achieved"]
    if len(existing) > 1:
        total = sum((i.target for i in existing), Decimal(0))
        done = sum((i.achieved or Decimal(0) for i in existing), Decimal(0))
        if (target is not None and target != total) or (achieved is not None and achieved != done):
            label = IndicatorKind(existing[0].kind).label
            row.refuse(
                f"{label} (cible)",
                f"Le projet a {len(existing)} indicateurs « {label} » : mettez-les à jour sur "
                "sa fiche.",
            )
        return False
    (indicator,) = existing
    return (target is not None and target != indicator.target) or (
        achieved is not None and achieved != indicator.achieved
    )


# --- doing it -----------------------------------------------------------------------------


class Writer:
    """Writes the rows of a plan, each change with its history row (reason: the file and the
    line; the stage taken up with the import as its cause)."""

    def __init__(self, imp: ProjectImport, by, at) -> None:
        self.imp, self.by, self.at = imp, by, at
        self.created: dict[str, Organisation] = {}  # key of an unknown organisation → created
        self.used: set[int] = set()  # organisations to put in the territory's directory

    def organisation(self, ref: OrgRef | None, line: int) -> Organisation | int | None:
        if ref is None:
            return None
        if ref.id != NEW:
            self.used.add(ref.id)
            return ref.id
        if ref.key not in self.created:
            organisation = Organisation(name=ref.name, kind=ref.kind, siren=ref.siren)
            save_change(organisation, by=self.by, reason=self.imp.reason(line), at=self.at)
            self.created[ref.key] = organisation
        organisation = self.created[ref.key]
        self.used.add(organisation.pk)
        return organisation.pk

    def write(self, row: RowPlan) -> None:
        reason = self.imp.reason(row.line)
        project, created = row.project, row.project is None
        if created:
            project = Project(
                territory=self.imp.territory, reference=row.reference, created_at=self.at
            )
        for name, value in row.fields.items():
            setattr(project, name, value)
        for name, ref in (("lead_organisation", row.lead_organisation), ("epci", row.epci)):
            if ref is not None:
                setattr(project, f"{name}_id", self.organisation(ref, row.line))
        leading = {u.pk for u in project.lead_users.all()} if project.pk else set()
        new_leads = [u for u in row.lead_users if u.pk not in leading]
        if project.pk is None or row.touches_project:
            if new_leads:
                # One history row for the fields and the accounts (as projects.views does).
                project.skip_history_when_saving = True
                project.save()
                project.lead_users.add(*new_leads)
                del project.skip_history_when_saving
            save_change(project, by=self.by, reason=reason, at=self.at)
        for line, existing in pair_lines(row.funding, list(project.funding_lines.all())):
            funder_id = self.organisation(line.funder, row.line)
            if existing is None:
                existing = FundingLine(
                    project=project, funder_id=funder_id, instrument=line.instrument
                )
            elif (existing.amount, existing.status) == (line.amount, line.status):
                continue
            existing.amount, existing.status = line.amount, line.status
            save_change(existing, by=self.by, reason=reason, at=self.at)
        for kind, values in row.indicators.items():
            existing = [i for i in project.indicators.all() if i.kind == kind]
            if len(existing) > 1 or not indicator_change(values, existing, row):
                continue
            indicator = existing[0] if existing else Indicator(project=project, kind=kind)
            if values["target"] is not None:
                indicator.target = values["target"]
            if values["achieved"] is not None:
                indicator.achieved = values["achieved"]
            save_change(indicator, by=self.by, reason=reason, at=self.at)
        if row.stage and created:
            project.take_up_stage(
                row.stage,
                by=self.by,
                source=self.imp.cause,
                reason=f"{reason} : étape « {Stage(row.stage).label} »",
                at=self.at,
            )
        row.project = project

    def add_to_directory(self) -> None:
        territory = self.imp.territory
        missing = self.used - set(territory.organisations.values_list("pk", flat=True))
        if missing:
            reason = f"Reprise du tableau de suivi ({self.imp.original_name})"
            with history_stamp(territory, by=self.by, reason=reason, at=self.at):
                territory.organisations.add(*missing)


def apply_import(imp: ProjectImport, *, by, progress: Progress | None = None) -> dict:
    """Import the file: every row that the preview accepts is created or updated, in one
    transaction; refused rows are left out and listed in the summary. Importing the same file
    again changes nothing. PermissionDenied unless `by` coordinates the territory.

    `progress` (a background import) is told how far a first reading of the file got; the
    transaction itself reports nothing, so that it writes no row that another connection
    (the job's heartbeat, its page) would wait for."""
    if not Access.of(by).manages(imp.territory_id):
        raise PermissionDenied("Seule la coordination du territoire peut importer des projets.")
    if progress is not None:
        build_plan(imp, progress=progress)
    at = timezone.now()
    with transaction.atomic():
        locked = (
            ProjectImport.objects.select_for_update().select_related("territory").get(pk=imp.pk)
        )
        if locked.status == ImportStatus.DONE:
            return locked.summary
        plan = build_plan(locked, lock=True)
        writer = Writer(locked, by, at)
        for row in plan.rows:
            if row.action in (CREATE, UPDATE):
                writer.write(row)
        writer.add_to_directory()
        locked.summary = summary_of(plan, created_organisations=len(writer.created))
        locked.status, locked.applied_at, locked.error = ImportStatus.DONE, at, ""
        locked.save(update_fields=["summary", "status", "applied_at", "error"])
    imp.refresh_from_db()
    return imp.summary


def summary_of(plan: Plan, *, created_organisations: int) -> dict:
    """What the import did, kept on the import for its page (the refused rows with their
    reasons, at most REFUSED_KEPT of them)."""
    counts = plan.counts
    refused = [
        {
            "line": row.line,
            "reference": row.reference,
            "title": row.title,
            "errors": [[p.column, p.message] for p in row.errors],
        }
        for row in plan.of(REFUSED)[:REFUSED_KEPT]
    ]
    return {
        "created": counts[CREATE],
        "updated": counts[UPDATE],
        "unchanged": counts[UNCHANGED],
        "refused": counts[REFUSED],
        "organisations": created_organisations,
        "refused_rows": refused,
    }


REFUSED_KEPT = 500
