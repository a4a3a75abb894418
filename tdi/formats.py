"""French formatting of amounts, numbers, sizes and dates, for the pages, the history, the
documents and the messages of the models (the template filters of `{% load tdi %}` are these)."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone

NBSP = "\u00a0"
NNBSP = "\u202f"


def format_number(value, decimals: int | None = None) -> str:
    """1250000.5 → '1 250 000,5' with narrow no-break spaces, as French typography wants."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 2
    text = f"{number:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def euros(value) -> str:
    """1250000 → '1 250 000 €'; cents only when there are some."""
    if value is None or value == "":
        return "—"
    return f"{format_number(value)}{NBSP}€"


def number(value) -> str:
    return format_number(value) if value not in (None, "") else "—"


def file_size(size) -> str:
    """2048 → '2 Ko', 3 500 000 → '3,3 Mo': the units a French reader writes (not Kio)."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return "—"
    if size < 1024:
        return f"{format_number(size)}{NBSP}octet{'s' if size > 1 else ''}"
    for unit in ("Ko", "Mo", "Go"):
        size /= 1024
        if size < 1024 or unit == "Go":
            value = round(Decimal(size), 0 if unit == "Ko" else 1)
            return f"{format_number(value, 0 if value == int(value) else 1)}{NBSP}{unit}"
    return ""


def french_date(value, day_only: bool = False) -> str:
    """date(2026, 11, 29) → '29 novembre 2026'; a moment with its time, '1er décembre 2026 à
    9h30', or without it (`day_only`, `{{ moment|french_date:"day" }}`): '1er décembre 2026'."""
    if not value:
        return "—"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if not day_only:
            return _first_of_month(value, formats.date_format(value, "j F Y à H\\hi"))
        value = value.date()
    if isinstance(value, date):
        return _first_of_month(value, formats.date_format(value, "j F Y"))
    return str(value)


def _first_of_month(value: date, text: str) -> str:
    """French writes the first day of a month as an ordinal: « 1er mars 2026 »."""
    return f"1er{text[1:]}" if value.day == 1 else text


def iso_date(value: str) -> str:
    """'2026-01-31' (a date kept as text, e.g. in a frozen snapshot) → '31 janvier 2026'."""
    if not value:
        return "—"
    try:
        return french_date(date.fromisoformat(value))
    except ValueError:
        return str(value)


def percent(value) -> str:
    return f"{format_number(value)}{NNBSP}%"


def plural(count, suffix: str = "s") -> str:
    """The French plural mark: from 2 on (« 0 projet », « 1 projet », « 2 projets »), where
    Django's pluralize writes « 0 projets »."""
    try:
        return suffix if abs(int(count)) >= 2 else ""
    except (TypeError, ValueError):
        return ""


def de(name) -> str:
    """« de » elided before a vowel: « Présence d'Aurélie », « Présence de Bernard »."""
    name = str(name or "")
    return f"d'{name}" if name[:1].lower() in "aeiouyàâäéèêëîïôöùûüœæ" and name else f"de {name}"
