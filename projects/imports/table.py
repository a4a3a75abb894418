"""The model table: the columns an import reads best, a sheet of the values allowed, and,
filled in, a territory's projects as the import reads them back (the import of a table it
wrote creates the same portfolio; imported again into the same territory, it changes nothing).

Spreadsheet safety (OWASP "CSV injection"), as the exports of tdi.reports do it: a text that
starts with = + - @, a tab or a carriage return is written with a leading apostrophe (which the
import drops), and every text cell is typed as a string: the table never holds a formula.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import (
    MEETING_HELD,
    Axis,
    FundingInstrument,
    FundingLine,
    FundingStatus,
    IndicatorKind,
    Project,
    Stage,
)
from .columns import FORMULA_PREFIXES, FUNDING_LINES, INDICATOR_KINDS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD/MM/YYYY"
SHOWN_FUNDING_LINES = 3  # in the empty model; a filled one has as many as its projects need
VALUES_SHEET = "Valeurs autorisées"
ZERO = Decimal(0)

# (header, what it holds, how the import reads it) of the project's own columns.
PROJECT_COLUMNS = [
    ("Référence", "reference", "Identifie le projet : une ligne dont la référence existe met "
     "ce projet à jour ; vide, une référence est attribuée."),
    ("Intitulé", "title", "Obligatoire pour créer un projet (200 caractères au plus)."),
    ("Résumé", "summary", "1 000 caractères au plus."),
    ("Description", "description", ""),
    ("Axe", "axis", "Un axe de la feuille « Valeurs autorisées » ; obligatoire pour créer."),
    ("Étape", "stage", "Une étape de la feuille « Valeurs autorisées » ; vide : Idée."),
    ("Porteur", "lead_user", "Nom, identifiant ou courriel d'un porteur de projet inscrit "
     "sur le territoire (plusieurs : séparés par des virgules)."),
    ("Structure porteuse", "lead_organisation", "Reconnue par son SIREN, sinon par son nom ; "
     "inconnue, elle est créée."),
    ("SIREN de la structure porteuse", "lead_siren", "9 chiffres."),
    ("Commune", "commune", ""),
    ("EPCI", "epci", "Nom de l'intercommunalité."),
    ("Date de début", "planned_start", "Date (15/03/2026)."),
    ("Date de fin", "planned_end", "Date, postérieure au début."),
    ("Coût total HT", "total_cost", "Montant en euros (1 250 000 ou 1250000,50)."),
    ("Avancement (%)", "progress", "Nombre entier de 0 à 100."),
    ("Publiable en données ouvertes", "is_public", "oui ou non."),
]  # fmt: skip
FUNDING_COLUMNS = [
    ("Financeur", "Reconnu par son SIREN, sinon par son nom ; inconnu, il est créé."),
    ("SIREN du financeur", "9 chiffres (facultatif)."),
    ("Dispositif", "Un dispositif de la feuille « Valeurs autorisées » ; vide : Autre."),
    ("Montant", "Montant en euros ; obligatoire pour chaque financeur."),
    ("Statut du financement", "Un statut de la feuille « Valeurs autorisées » ; vide : Envisagé."),
]


def neutralise(text: str) -> str:
    """A text that a spreadsheet would take for a formula, made plain text (OWASP)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def headers(funding_lines: int) -> list[tuple[str, str]]:
    """(header, help) of every column of the model table."""
    columns = [(header, help) for header, _key, help in PROJECT_COLUMNS]
    for kind in INDICATOR_KINDS:
        label = IndicatorKind(kind).label
        columns.append((f"{label} (cible)", "Nombre."))
        columns.append((f"{label} (réalisé)", "Nombre."))
    for number in range(1, funding_lines + 1):
        columns += [(f"{header} {number}", help) for header, help in FUNDING_COLUMNS]
    return columns


def project_rows(projects: QuerySet[Project]):
    """The territory's projects, each as the cells of its row, and the number of funding lines
    the widest plan needs."""
    projects = projects.select_related("lead_organisation", "epci").prefetch_related(
        "lead_users",
        Prefetch("funding_lines", FundingLine.objects.select_related("funder").order_by("pk")),
        "indicators",
    )
    rows, widest = [], 0
    for project in projects.order_by("reference"):
        org = project.lead_organisation
        row = [
            project.reference,
            project.title,
            project.summary,
            project.description,
            project.get_axis_display(),
            project.get_stage_display(),
            ", ".join(u.get_username() for u in project.lead_users.all()),
            org.name if org else "",
            org.siren if org else "",
            project.commune,
            project.epci.name if project.epci else "",
            project.planned_start,
            project.planned_end,
            project.total_cost,
            project.progress,
            "oui" if project.is_public else "non",
        ]
        for kind in INDICATOR_KINDS:
            measures = [i for i in project.indicators.all() if i.kind == kind]
            achieved = [i.achieved for i in measures if i.achieved is not None]
            row.append(sum((i.target for i in measures), ZERO) if measures else None)
            row.append(sum(achieved, ZERO) if achieved else None)
        lines = list(project.funding_lines.all())[:FUNDING_LINES]
        widest = max(widest, len(lines))
        for line in lines:
            row += [
                line.funder.name,
                line.funder.siren,
                line.get_instrument_display(),
                line.amount,
                line.get_status_display(),
            ]
        rows.append(row)
    return rows, widest


def model_table(projects: QuerySet[Project] | None = None) -> bytes:
    """The model table as XLSX bytes: empty, or filled with these projects."""
    rows, widest = project_rows(projects) if projects is not None else ([], 0)
    columns = headers(max(widest, SHOWN_FUNDING_LINES))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projets"
    sheet.freeze_panes = "C2"
    bold = Font(bold=True)
    for index, (header, _help) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = bold
        cell.data_type = "s"
        sheet.column_dimensions[get_column_letter(index)].width = max(14, min(len(header), 32))
    for number, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            write(sheet, number, index, value)
    allowed = allowed_values(workbook)
    add_lists(sheet, columns, allowed)
    help_sheet(workbook, columns)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write(sheet, row: int, column: int, value) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        cell = sheet.cell(
            row=row, column=column, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        )
        cell.data_type = "s"  # never a formula
        return
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    elif hasattr(value, "isoformat"):
        cell.number_format = DATE_FORMAT


def importable_stages() -> list[Stage]:
    return [stage for stage in Stage if stage not in MEETING_HELD]


def allowed_values(workbook: Workbook) -> dict[str, str]:
    """The sheet of allowed values; the range of each list, by the header it applies to."""
    sheet = workbook.create_sheet(VALUES_SHEET)
    lists = [
        ("Étape", [s.label for s in importable_stages()]),
        ("Axe", [a.label for a in Axis]),
        ("Dispositif", [i.label for i in FundingInstrument]),
        ("Statut du financement", [s.label for s in FundingStatus]),
        ("Publiable en données ouvertes", ["oui", "non"]),
    ]
    ranges = {}
    for index, (header, values) in enumerate(lists, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 34
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        for number, value in enumerate(values, start=2):
            sheet.cell(row=number, column=index, value=value).data_type = "s"
        ranges[header] = f"'{VALUES_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    note = len(max(lists, key=lambda item: len(item[1]))[1]) + 3
    sheet.cell(
        row=note,
        column=1,
        value="Les étapes « Examen COTECH », « Levée de réserves » et « Examen COPIL » ne se "
        "reprennent pas : elles découlent de l'ordre du jour et des avis des comités.",
    )
    return ranges


def add_lists(sheet, columns: list[tuple[str, str]], ranges: dict[str, str]) -> None:
    """Drop-down lists on the columns of choices (typing another value stays possible: the
    import says what it does not recognise)."""
    for index, (header, _help) in enumerate(columns, start=1):
        base = header.rstrip("0123456789 ")
        if base in ranges:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list", formula1=ranges[base], allow_blank=True, showErrorMessage=False
            )
            validation.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(validation)


def help_sheet(workbook: Workbook, columns: list[tuple[str, str]]) -> None:
    sheet = workbook.create_sheet("Mode d'emploi")
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 100
    lines = [
        ("Une ligne par projet", "Les en-têtes de la feuille « Projets » sont reconnus sans "
         "tenir compte des majuscules, des accents ni des espaces ; l'import propose ensuite "
         "de corriger l'association des colonnes."),
        ("Cellule vide", "Une cellule vide ne modifie rien sur un projet existant."),
        ("Plusieurs financeurs", "Financeur 1, Montant 1… puis Financeur 2, Montant 2… ; "
         "ajoutez des colonnes numérotées au besoin (jusqu'à 8 lignes de financement)."),
        ("", ""),
    ]  # fmt: skip
    lines += columns
    for number, (what, help) in enumerate(lines, start=1):
        sheet.cell(row=number, column=1, value=what).font = Font(bold=number > 4)
        sheet.cell(row=number, column=2, value=help)
