"""Reading an uploaded table: what it is (from its content, never its name), its header line
and its rows, one at a time.

Threat model: the file comes from a user's disk and may be anything. It is read, never run:
an XLSX workbook is opened with openpyxl in read-only mode (rows streamed, memory bounded)
and `data_only=True`, so that a formula gives the value Excel cached, and is never evaluated
nor written anywhere; a workbook with macros (.xlsm) or protected by a password (an encrypted
OLE container), an old .xls, an OpenDocument sheet, and a zip whose content would unpack beyond
MAX_UNZIPPED are refused before openpyxl sees them. A CSV is decoded as UTF-8 (with or without
BOM) or else Windows-1252, the encoding of French Excel, and its delimiter is sniffed. Every
refusal is an `Unreadable` with a French message for the upload field.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import filetype

from tdi.formats import file_size

MAX_SIZE = 10 * 1024 * 1024  # what a territory's table weighs, many times over
# What the XML inside a workbook may unpack to: a table of 10 000 projects is a few MB; a
# compressed bomb of a few hundred KB would otherwise take gigabytes and minutes.
MAX_UNZIPPED = 40 * 1024 * 1024
MAX_CONTENT_TYPES = 1024 * 1024
EXCEL_ROWS = 1_048_576  # no sheet written by Excel goes further
MAX_ROWS = 10_000  # data rows
MAX_COLUMNS = 100
MAX_CELL = 20_000  # characters kept of a cell (the longest field, the description, holds that)
HEADER_SEARCH = 20  # the header line is the first of these with two cells filled in
PREFERRED_SHEET = "Projets"  # the sheet of the model table

XLSX, CSV = "xlsx", "csv"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")
MACRO_TYPE = b"macroEnabled"

NOT_A_TABLE = (
    "Ce fichier n'est pas un tableau : déposez un classeur Excel (.xlsx) ou un fichier CSV "
    "(le contenu est vérifié, pas seulement l'extension)."
)
MACROS = (
    "Ce classeur contient des macros (.xlsm) : pour votre sécurité, il n'est pas lu. "
    "Enregistrez-le au format « Classeur Excel (.xlsx) » ou CSV, puis déposez-le à nouveau."
)
ENCRYPTED = (
    "Ce classeur est protégé par un mot de passe : il ne peut pas être lu. Retirez la "
    "protection (Fichier › Informations › Protéger le classeur) et enregistrez-le en .xlsx."
)
OLD_XLS = (
    "Ce classeur est au format Excel 97-2003 (.xls), qui n'est pas lu : enregistrez-le au "
    "format « Classeur Excel (.xlsx) » ou CSV."
)
ODS = (
    "Les classeurs OpenDocument (.ods) ne sont pas lus : enregistrez-le au format « Classeur "
    "Excel (.xlsx) » ou CSV."
)
UTF16 = (
    "Ce fichier texte est en UTF-16 (« Texte Unicode » d'Excel) : enregistrez-le au format "
    "« CSV UTF-8 (délimité par des virgules) » ou « CSV (séparateur : point-virgule) »."
)
BROKEN = (
    "Ce classeur est endommagé ou incomplet : il n'a pas pu être lu. Ouvrez-le dans votre "
    "tableur, enregistrez-le à nouveau au format .xlsx, puis déposez-le."
)


class Unreadable(Exception):  # noqa: N818 — a message for the user, not a programming error
    """The file cannot be taken up; the message says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def too_large(size: int) -> str:
    return (
        f"Le fichier dépasse la taille maximale de {file_size(MAX_SIZE)} "
        f"({file_size(size)}) : retirez les feuilles inutiles ou enregistrez la feuille des "
        "projets seule, en CSV."
    )


def detect_format(file: IO[bytes]) -> str:
    """XLSX or CSV, from the content; Unreadable for anything else (with the reason)."""
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    if not head.strip():
        raise Unreadable("Le fichier est vide.")
    if head.startswith(b"PK\x03\x04"):
        check_workbook(file)
        return XLSX
    if head.startswith(OLE):
        file.seek(0)
        content = file.read(MAX_SIZE + 1)
        file.seek(0)
        raise Unreadable(ENCRYPTED if ENCRYPTED_STREAM in content else OLD_XLS)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable(UTF16)
    if filetype.guess(head) is not None or b"\x00" in head:
        raise Unreadable(NOT_A_TABLE)
    return CSV


TOO_BIG_UNZIPPED = (
    "Ce classeur occupe plus de 40 Mo une fois décompressé : enregistrez la feuille des projets "
    "seule, en .xlsx ou en CSV."
)
BEYOND_EXCEL = (
    "Ce classeur déclare des lignes au-delà de la dernière ligne d'Excel (1 048 576) : "
    "enregistrez-le à nouveau depuis Excel, ou en CSV."
)


def check_workbook(file: IO[bytes]) -> None:
    """A zip that is an Excel workbook without macros, and that unpacks to a bounded size."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNZIPPED:  # before reading anything (zipfile keeps to the sizes)
                raise Unreadable(TOO_BIG_UNZIPPED)
            types = b""
            if "[Content_Types].xml" in names:
                if archive.getinfo("[Content_Types].xml").file_size > MAX_CONTENT_TYPES:
                    raise Unreadable(BROKEN)
                types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, OSError, RuntimeError) as broken:  # RuntimeError: encrypted zip
        raise Unreadable(BROKEN) from broken
    finally:
        file.seek(0)
    if "mimetype" in names and "content.xml" in names:
        raise Unreadable(ODS)
    if "xl/workbook.xml" not in names:
        raise Unreadable(NOT_A_TABLE)
    if "xl/vbaProject.bin" in names or MACRO_TYPE in types:
        raise Unreadable(MACROS)


@dataclass
class Table:
    """A table as read: its sheet (XLSX), its header line and headers, and its data rows as
    (line number in the file, cell values), read one at a time."""

    file_format: str
    sheet: str
    header_line: int
    headers: list[str]
    rows: Iterator[tuple[int, list]]


@contextmanager
def open_table(file: IO[bytes], file_format: str) -> Iterator[Table]:
    """The table of the file, open while the block reads its rows. Unreadable: no header line,
    or a workbook that openpyxl cannot read."""
    if file_format == XLSX:
        with _xlsx_lines(file) as (sheet, lines):
            yield _table(XLSX, sheet, lines)
    else:
        yield _table(CSV, "", _csv_lines(file))


def _table(file_format: str, sheet: str, lines: Iterator[tuple[int, list]]) -> Table:
    where = f"la feuille « {sheet} »" if sheet else "le fichier"
    for number, values in lines:
        if number > HEADER_SEARCH:
            break
        if sum(1 for value in values if _text(value)) >= 2:
            headers = [_text(value) for value in values[:MAX_COLUMNS]]
            while headers and not headers[-1]:
                headers.pop()
            return Table(file_format, sheet, number, headers, _data_rows(lines, len(headers)))
    raise Unreadable(
        f"Aucune ligne d'en-têtes dans {where} : la première ligne doit nommer les colonnes "
        "(Référence, Intitulé, Axe, Étape…). Téléchargez le modèle de tableau pour voir la "
        "forme attendue."
    )


def _data_rows(lines: Iterator[tuple[int, list]], width: int) -> Iterator[tuple[int, list]]:
    count = 0
    for number, values in lines:
        values = [_clip(value) for value in values[:width]]
        if not any(_text(value) for value in values):
            continue  # blank lines between blocks of projects
        count += 1
        if count > MAX_ROWS:
            raise Unreadable(
                f"Le tableau compte plus de {MAX_ROWS:,} lignes de projets : "
                "découpez-le en plusieurs fichiers.".replace(",", "\u202f")
            )
        yield number, values + [None] * (width - len(values))


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _clip(value):
    return value[:MAX_CELL] if isinstance(value, str) else value


# --- XLSX ---------------------------------------------------------------------------------


@contextmanager
def _xlsx_lines(file: IO[bytes]):
    from openpyxl import load_workbook  # noqa: PLC0415 — only when a workbook is read

    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception as broken:  # noqa: BLE001 — any failure of a hostile file is « broken »
        raise Unreadable(BROKEN) from broken
    try:
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not sheets:
            raise Unreadable("Ce classeur ne contient aucune feuille de calcul.")
        by_name = {ws.title: ws for ws in sheets}
        sheet = by_name.get(PREFERRED_SHEET) or sheets[0]
        # The dimensions a workbook declares may be wrong (written by another tool): read
        # every row there is.
        sheet.reset_dimensions()
        yield sheet.title, _xlsx_rows(sheet)
    finally:
        workbook.close()


def _xlsx_rows(sheet) -> Iterator[tuple[int, list]]:
    try:
        for number, row in enumerate(
            sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
        ):
            if number > EXCEL_ROWS:  # a forged row number: the gap is read row by row
                raise Unreadable(BEYOND_EXCEL)
            yield number, list(row)
    except Unreadable:
        raise
    except Exception as broken:  # noqa: BLE001 — a sheet that breaks while read
        raise Unreadable(BROKEN) from broken


# --- CSV ----------------------------------------------------------------------------------


def detect_encoding(file: IO[bytes]) -> str:
    """UTF-8 with a BOM, UTF-8, or else Windows-1252 (French Excel's « CSV (séparateur :
    point-virgule) »): the whole file is tried as UTF-8, a chunk at a time."""
    file.seek(0)
    if file.read(3) == codecs.BOM_UTF8:
        file.seek(0)
        return "utf-8-sig"
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(65536):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        file.seek(0)
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """The delimiter of the CSV: ; , tab or |, sniffed from its first lines."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in ";,\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ";"


def _csv_lines(file: IO[bytes]) -> Iterator[tuple[int, list]]:
    encoding = detect_encoding(file)
    text = io.TextIOWrapper(file, encoding=encoding, errors="replace", newline="")
    try:
        sample = text.read(65536)
        text.seek(0)
        delimiter = detect_delimiter(sample)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for values in reader:
                yield reader.line_num, values[:MAX_COLUMNS]
        except csv.Error as broken:
            raise Unreadable(
                f"Le fichier CSV est mal formé vers la ligne {reader.line_num} (guillemet non "
                "fermé ?) : corrigez-le dans votre tableur et enregistrez-le à nouveau."
            ) from broken
    finally:
        text.detach()  # leave the upload open for its owner
