"""Exports of the portfolio: CSV and XLSX for the territory's users, open data for everyone.

Every export reads the portfolio through `projects.reports.portfolio()`, so that it agrees with
the reports page, and takes the same filters (?axe=, ?etape=, ?epci=, ?financeur=, and for
national admins ?territoire=<code>|tous). The CSV and XLSX exports may be produced as of a past
day (?date=AAAA-MM-JJ) from the audit history; open data is always today's public portfolio.

Spreadsheet safety (OWASP "CSV injection"): a text cell that starts with = + - @, a tab or a
carriage return would be read as a formula by a spreadsheet, so such texts are written with a
leading apostrophe, in the CSV and in the XLSX alike, and every XLSX text cell is typed as a
string: no export ever contains a formula.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET, require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tdi.downloads import attachment, disposition

from .models import (
    PRIVATE_STAGES,
    FundingStatus,
    IndicatorKind,
    OrganisationKind,
    Project,
    Territory,
)
from .reports import ALL, PortfolioProject, portfolio, report_scope

# --- cell values ---------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT, DATE, MONEY, QUANTITY, INTEGER = "text", "date", "money", "quantity", "integer"
ZERO = Decimal(0)
GRANTED = (FundingStatus.GRANTED, FundingStatus.PAID)


def neutralise(text: str) -> str:
    """A text that a spreadsheet would take for a formula, made plain text (OWASP)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def plain_number(value: Decimal) -> str:
    """A decimal without exponent nor useless trailing zeros: 12.00 → "12", 2.50 → "2.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Column:
    label: str
    kind: str
    value: Callable


def territory_label(territory: Territory | None) -> str:
    if territory is None:
        return ""
    return territory.code or territory.prefix


def granted_total(row: PortfolioProject) -> Decimal:
    """Aid granted: the lines granted or already paid."""
    return sum((line.amount for line in row.lines if line.status in GRANTED), ZERO)


def jobs(kind: str, which: int) -> Callable:
    return lambda row, territory: row.jobs(kind)[which]


PROJECT_COLUMNS = [
    Column("Référence", TEXT, lambda row, t: row.reference),
    Column("Intitulé", TEXT, lambda row, t: row.title),
    Column("Résumé", TEXT, lambda row, t: row.summary),
    Column("Territoire", TEXT, lambda row, t: t.name if t else ""),
    Column("Code territoire", TEXT, lambda row, t: territory_label(t)),
    Column("Étape", TEXT, lambda row, t: row.stage_label),
    Column("Axe", TEXT, lambda row, t: row.axis_label),
    Column("Structure porteuse", TEXT, lambda row, t: row.lead_organisation),
    Column("Commune", TEXT, lambda row, t: row.commune),
    Column("Intercommunalité", TEXT, lambda row, t: row.epci),
    Column("Début prévu", DATE, lambda row, t: row.planned_start),
    Column("Fin prévue", DATE, lambda row, t: row.planned_end),
    Column("Coût total HT (€)", MONEY, lambda row, t: row.total_cost),
    Column("Total des financements hors refus (€)", MONEY, lambda row, t: row.funding_total),
    Column("Aide accordée (€)", MONEY, lambda row, t: granted_total(row)),
    Column("Emplois créés (cible)", QUANTITY, jobs(IndicatorKind.JOBS_CREATED, 0)),
    Column("Emplois créés (réalisé)", QUANTITY, jobs(IndicatorKind.JOBS_CREATED, 1)),
    Column("Emplois maintenus (cible)", QUANTITY, jobs(IndicatorKind.JOBS_KEPT, 0)),
    Column("Emplois maintenus (réalisé)", QUANTITY, jobs(IndicatorKind.JOBS_KEPT, 1)),
    Column("Avancement (%)", INTEGER, lambda row, t: row.progress),
    Column("Publiable en données ouvertes", TEXT, lambda row, t: "oui" if row.is_public else "non"),
]

# The funding and indicator sheets: one row per (project, line) or (project, measure).
LINK_COLUMNS = [
    Column("Référence du projet", TEXT, lambda row, t, item: row.reference),
    Column("Intitulé du projet", TEXT, lambda row, t, item: row.title),
    Column("Code territoire", TEXT, lambda row, t, item: territory_label(t)),
]
FUNDING_COLUMNS = [
    *LINK_COLUMNS,
    Column("Financeur", TEXT, lambda row, t, line: line.funder),
    Column(
        "Type de financeur",
        TEXT,
        lambda row, t, line: (
            OrganisationKind(line.funder_kind).label
            if line.funder_kind in OrganisationKind.values
            else ""
        ),
    ),
    Column("Dispositif", TEXT, lambda row, t, line: line.instrument_label),
    Column("Statut", TEXT, lambda row, t, line: line.status_label),
    Column("Montant (€)", MONEY, lambda row, t, line: line.amount),
]
INDICATOR_COLUMNS = [
    *LINK_COLUMNS,
    Column("Indicateur", TEXT, lambda row, t, m: m.label),
    Column("Cible", QUANTITY, lambda row, t, m: m.target),
    Column("Réalisé", QUANTITY, lambda row, t, m: m.achieved),
    Column("Unité", TEXT, lambda row, t, m: m.unit),
    Column("Date de mesure", DATE, lambda row, t, m: m.measured_on),
]


# --- scope and filters ---------------------------------------------------------------------


@dataclass
class Export:
    rows: list[PortfolioProject]
    territories: dict[int, Territory]
    name: str  # file name without extension

    def territory_of(self, row: PortfolioProject) -> Territory | None:
        return self.territories.get(row.territory_id)


def build_export(request: HttpRequest) -> Export | HttpResponse:
    """The portfolio the user asked for and may see, or a 400 answer for bad filters.

    The territory and filters are read exactly as the reports page reads them (same form), so
    that an export shows what the page shows: the current territory, another of the user's by
    ?territoire=<code> (national admins: any, or tous), projects being written only for the
    coordination.
    """
    territories, form = report_scope(request)
    if form.is_bound and not form.is_valid():
        messages = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.append(f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return HttpResponseBadRequest(
            "Paramètres d'export invalides.\n" + "\n".join(messages) + "\n",
            content_type="text/plain; charset=utf-8",
        )
    data = form.cleaned_data if form.is_bound else {}
    as_of: date | None = data.get("date")
    rows = portfolio(territories, as_of=as_of, access=request.access, **form.portfolio_filters())
    single = len(territories) == 1 and request.GET.get("territoire") != ALL
    label = territory_label(territories[0]) if single else ALL
    day = as_of or timezone.localdate()
    return Export(
        rows=rows,
        territories={t.pk: t for t in territories},
        name=f"projets-{label}-{day.isoformat()}",
    )


# --- CSV -----------------------------------------------------------------------------------


class Echo:
    """A file-like object whose write() gives back the line, for streaming with csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], records: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, a line at a time: UTF-8 BOM, `;` separator, as French Excel expects."""
    writer = csv.writer(Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(header)
    for record in records:
        yield writer.writerow(record)


def csv_response(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        lines,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition(filename)},
    )


def csv_value(kind: str, value) -> str:
    """A cell of the CSV export, written for French Excel.

    Decimals use a comma (1250000,50) and dates JJ/MM/AAAA, because French Excel reads a point
    as text and ISO dates inconsistently; there is no thousands separator, so that the number
    stays a number. Texts that look like formulas are neutralised.
    """
    if value is None:
        return ""
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == MONEY:
        return f"{value:.2f}".replace(".", ",")
    if kind == QUANTITY:
        return plain_number(value).replace(".", ",")
    if kind == INTEGER:
        return str(value)
    return neutralise(str(value))


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    export = build_export(request)
    if isinstance(export, HttpResponse):
        return export

    def records() -> Iterator[list[str]]:
        for row in export.rows:
            territory = export.territory_of(row)
            yield [csv_value(c.kind, c.value(row, territory)) for c in PROJECT_COLUMNS]

    response = csv_response(
        csv_lines([c.label for c in PROJECT_COLUMNS], records()), f"{export.name}.csv"
    )
    add_never_cache_headers(response)
    return response


# --- XLSX ----------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '#,##0.00 "€"'
QUANTITY_FORMAT = "#,##0.##"
DATE_FORMAT = "DD/MM/YYYY"
WIDTHS = {TEXT: 28, DATE: 12, MONEY: 18, QUANTITY: 12, INTEGER: 10}


class Sheet:
    """A write-only sheet: bold French header, first row frozen, typed cells."""

    def __init__(self, workbook: Workbook, title: str, columns: list[Column]):
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.ws.freeze_panes = "A2"
        for index, column in enumerate(columns, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = WIDTHS[column.kind]
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = self.text_cell(column.label)
            cell.font = bold
            header.append(cell)
        self.ws.append(header)

    def text_cell(self, text: str) -> WriteOnlyCell:
        # Characters that XML 1.0 cannot carry are dropped rather than failing the export.
        cell = WriteOnlyCell(self.ws, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", text)))
        cell.data_type = "s"  # never a formula, nor an error code such as #N/A
        return cell

    def cell(self, kind: str, value) -> WriteOnlyCell | None:
        if value is None or value == "":
            return None
        if kind == TEXT:
            return self.text_cell(str(value))
        cell = WriteOnlyCell(self.ws, value=value)
        if kind == MONEY:
            cell.number_format = MONEY_FORMAT
        elif kind == QUANTITY:
            cell.number_format = QUANTITY_FORMAT
        elif kind == DATE:
            cell.number_format = DATE_FORMAT
        return cell

    def append(self, *args) -> None:
        self.ws.append([self.cell(c.kind, c.value(*args)) for c in self.columns])


def xlsx_file(export: Export):
    """The workbook, written row by row (write-only mode) into a spooled temporary file."""
    workbook = Workbook(write_only=True)
    projects = Sheet(workbook, "Projets", PROJECT_COLUMNS)
    funding = Sheet(workbook, "Financements", FUNDING_COLUMNS)
    indicators = Sheet(workbook, "Indicateurs", INDICATOR_COLUMNS)
    for row in export.rows:
        territory = export.territory_of(row)
        projects.append(row, territory)
        for line in row.lines:
            funding.append(row, territory, line)
        for measure in row.measures:
            indicators.append(row, territory, measure)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by the response)
    workbook.save(out)
    out.seek(0)
    return out


@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    export = build_export(request)
    if isinstance(export, HttpResponse):
        return export
    response = attachment(xlsx_file(export), f"{export.name}.xlsx", XLSX_TYPE)
    add_never_cache_headers(response)
    return response


# --- open data -----------------------------------------------------------------------------

LICENCE = "Licence Ouverte 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
SCHEMA = "docs/opendata.schema.json"
SCHEMA_VERSION = "1.0"


def json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def jobs_target(row: PortfolioProject, kind: str) -> Decimal | None:
    """The target of a jobs indicator, or None when the project has none of this kind."""
    if not any(m.kind == kind for m in row.measures):
        return None
    return row.jobs(kind)[0]


# The public fields, in order (docs/opendata.md describes each): (name, kind, value).
OPEN_FIELDS: list[tuple[str, str, Callable]] = [
    ("reference", TEXT, lambda row, t, u: row.reference),
    ("intitule", TEXT, lambda row, t, u: row.title),
    ("resume", TEXT, lambda row, t, u: row.summary),
    ("code_territoire", TEXT, lambda row, t, u: t.code),
    ("axe_code", TEXT, lambda row, t, u: row.axis),
    ("axe_libelle", TEXT, lambda row, t, u: row.axis_label),
    ("etape_code", TEXT, lambda row, t, u: row.stage),
    ("etape_libelle", TEXT, lambda row, t, u: row.stage_label),
    ("structure_porteuse", TEXT, lambda row, t, u: row.lead_organisation),
    ("commune", TEXT, lambda row, t, u: row.commune),
    ("intercommunalite", TEXT, lambda row, t, u: row.epci),
    ("debut_prevu", DATE, lambda row, t, u: row.planned_start),
    ("fin_prevue", DATE, lambda row, t, u: row.planned_end),
    ("cout_total_ht", MONEY, lambda row, t, u: row.total_cost),
    ("financements_total", MONEY, lambda row, t, u: row.funding_total),
    (
        "emplois_crees_cible",
        QUANTITY,
        lambda row, t, u: jobs_target(row, IndicatorKind.JOBS_CREATED),
    ),
    (
        "emplois_maintenus_cible",
        QUANTITY,
        lambda row, t, u: jobs_target(row, IndicatorKind.JOBS_KEPT),
    ),
    ("avancement", INTEGER, lambda row, t, u: row.progress),
    ("mis_a_jour_le", DATE, lambda row, t, u: u.get(row.id)),
]


def public_projects(territory: Territory) -> tuple[list[PortfolioProject], dict[int, date]]:
    """Today's public projects of the territory, and the day each was last changed.

    Public means: flagged publishable, not archived, and past the stages in which a project is
    still being written (those stay private even when flagged).
    """
    rows = [
        row
        for row in portfolio([territory], include_private=False, include_archived=False)
        if row.is_public and not row.is_archived and row.stage not in PRIVATE_STAGES
    ]
    updated = Project.objects.filter(pk__in=[row.id for row in rows]).values_list(
        "pk", "updated_at"
    )
    return rows, {pk: timezone.localdate(moment) for pk, moment in updated}


def opendata_headers(response: HttpResponse) -> HttpResponse:
    """Public, read-only data: any site may fetch it, and caches may keep it for an hour."""
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response


def open_territory(code: str) -> Territory:
    return get_object_or_404(Territory, code=code)


@login_not_required
@require_safe
def opendata_json(request: HttpRequest, code: str) -> HttpResponse:
    territory = open_territory(code)
    rows, updated = public_projects(territory)

    def json_value(kind: str, value):
        if kind == DATE:
            return value.isoformat() if value else None
        if kind in (MONEY, QUANTITY):
            return json_number(value)
        return value if value is not None else ""

    document = {
        "territoire": {"code": territory.code, "nom": territory.name, "region": territory.region},
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "producteur": f"Territoire d'industrie {territory.name}",
        "genere_le": timezone.localtime().isoformat(timespec="seconds"),
        "schema": SCHEMA,
        "version_schema": SCHEMA_VERSION,
        "projets": [
            {
                name: json_value(kind, get(row, territory, updated))
                for name, kind, get in OPEN_FIELDS
            }
            for row in rows
        ],
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    return opendata_headers(response)


@login_not_required
@require_safe
def opendata_csv(request: HttpRequest, code: str) -> HttpResponse:
    territory = open_territory(code)
    rows, updated = public_projects(territory)

    def csv_open_value(kind: str, value) -> str:
        # Machine-readable like the JSON: point decimals and ISO dates (docs/opendata.md).
        if value is None:
            return ""
        if kind == DATE:
            return value.isoformat()
        if kind in (MONEY, QUANTITY):
            return plain_number(value)
        if kind == INTEGER:
            return str(value)
        return neutralise(str(value))

    def records() -> Iterator[list[str]]:
        for row in rows:
            yield [
                csv_open_value(kind, get(row, territory, updated)) for _, kind, get in OPEN_FIELDS
            ]

    response = csv_response(
        csv_lines([name for name, _, _ in OPEN_FIELDS], records()), f"projets-{territory.code}.csv"
    )
    return opendata_headers(response)
