"""Exports of the portfolio, CSV and XLSX, for the territory's users; and the writers of CSV
files that the other exports (open data, the decisions register) share.

Every export reads the portfolio as every report does (ReportScope, data.portfolio()), so that
it agrees with the reports page, and takes the same filters (?axe=, ?etape=, ?epci=,
?financeur=, and for national readers ?territoire=<code>|tous); it may be produced as of a past
day (?date=AAAA-MM-JJ) from the audit history.

Spreadsheet safety (OWASP "CSV injection"): a text cell that starts with = + - @, a tab or a
carriage return would be read as a formula by a spreadsheet, so such texts are written with a
leading apostrophe, in the CSV and in the XLSX alike, and every XLSX text cell is typed as a
string: no export ever contains a formula.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.tasks import task
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from projects.models import FundingStatus, IndicatorKind, OrganisationKind, ReportJob, Territory
from tdi.downloads import attachment, disposition

from .data import PortfolioProject
from .forms import ALL
from .scope import InvalidReport, ReportScope

logger = logging.getLogger(__name__)
FAILURE_MESSAGE = (
    "La préparation de l'export a échoué. Réessayez ; si l'échec se répète, "
    "signalez-le à l'administrateur de la plateforme."
)

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
    rows: Iterable[PortfolioProject]  # read once, a part at a time (ReportScope.iter_rows)
    territories: dict[int, Territory]
    name: str  # file name without extension

    def territory_of(self, row: PortfolioProject) -> Territory | None:
        return self.territories.get(row.territory_id)


def build_export(request: HttpRequest) -> Export:
    """The portfolio the user asked for and may see, read as every report reads it
    (ReportScope): an export shows what the reports page shows. InvalidReport on bad input."""
    return export_of(ReportScope.from_request(request).check())


def export_of(scope: ReportScope, progress=None) -> Export:
    label = territory_label(scope.single) if scope.single else ALL
    day = scope.as_of or timezone.localdate()
    return Export(
        rows=scope.iter_rows(progress=progress),
        territories={t.pk: t for t in scope.territories},
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
    try:
        export = build_export(request)
    except InvalidReport as error:
        return error.response()

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
    """The workbook at once for one territory; built by the worker for several (the national
    one: 20 000 projects, over a minute of work that a request must not hold)."""
    try:
        scope = ReportScope.from_request(request).check()
    except InvalidReport as error:
        return error.response()
    export = export_of(scope)
    if scope.single is None:
        parameters = scope.job_parameters(f"{export.name}.xlsx")
        return redirect(ReportJob.ask(ReportJob.Kind.EXPORT_XLSX, request.user, parameters))
    response = attachment(xlsx_file(export), f"{export.name}.xlsx", XLSX_TYPE)
    add_never_cache_headers(response)
    return response


@task
def build_xlsx(job_id: int) -> None:
    """The workbook of a ReportJob, read a part at a time; the job records the progress."""
    job = ReportJob.objects.select_related("created_by").get(pk=job_id)
    if not job.start():
        return  # finished, or another worker has it
    try:
        with job.alive():
            scope = ReportScope.of_job(job.parameters, job.created_by)
            export = export_of(scope, progress=job.advance)
            with xlsx_file(export) as out:
                content = out.read()
        job.store(content, f"export-{job.pk}.xlsx")
    except Exception:
        logger.exception("Échec de l'export n° %s", job_id)
        job.fail(FAILURE_MESSAGE)
        raise
