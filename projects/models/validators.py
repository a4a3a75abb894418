"""Validators of the fields of the projects app (kept importable from registry: the migrations name
them there)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils import timezone


def validate_siren(value: str) -> None:
    """A SIREN is nine digits whose Luhn checksum is valid."""
    if not re.fullmatch(r"\d{9}", value):
        raise ValidationError("Le SIREN doit comporter exactement 9 chiffres.")
    total = 0
    for index, char in enumerate(reversed(value)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10:
        raise ValidationError("Ce SIREN n'est pas valide (clé de contrôle incorrecte).")


# C0, DEL and C1: what ends a line or a header, or shows as nothing, in a name that goes to mail
# subjects, PDF titles, file names and CSV cells.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def validate_single_line(value: str) -> None:
    """A name or a title is one line of visible text: no control character."""
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Caractères de contrôle interdits (retour à la ligne, tabulation…).", code="control"
        )


def validate_not_future(value) -> None:
    """A date that records a fact (done, measured, answered) is today or before."""
    if value and value > timezone.localdate():
        raise ValidationError(
            "Cette date enregistre un fait : elle ne peut pas être postérieure à aujourd'hui.",
            code="future",
        )
