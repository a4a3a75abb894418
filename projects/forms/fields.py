"""Fields and choices shared by the forms of the app: a territory's organisations and users,
French number inputs."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from tdi.formats import format_number

from ..models import (
    Organisation,
    Territory,
)


def territory_organisations(territory: Territory) -> models.QuerySet[Organisation]:
    """The organisations a form of the territory offers: its directory, never another's."""
    return territory.organisations.order_by("name")


def territory_users(territory: Territory) -> models.QuerySet:
    """The accounts a form of the territory offers: those with a membership in it."""
    return (
        get_user_model()
        .objects.filter(memberships__territory=territory)
        .order_by("last_name", "first_name", "username")
    )


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing a key beyond 64 bits as an unknown choice before any query: SQLite
    raises OverflowError on it in the IN (...) the field checks its choices with (Django
    guards only the = lookup), a 500 for a forged form."""

    def clean(self, value):
        for key in value if isinstance(value, list | tuple) else ():
            try:
                out_of_range = not -(2**63) <= int(key) < 2**63
            except (TypeError, ValueError):
                continue  # not a number: Django refuses it with its own message
            if out_of_range:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": key},
                )
        return super().clean(value)


class AmountInput(forms.TextInput):
    """An amount shown as French writes it (1 250 000,5), whatever Django's own settings."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if value is None or isinstance(value, str):
            return value or None  # what was typed, kept as typed
        return format_number(value)


class AmountField(forms.DecimalField):
    """A decimal typed the French way: « 1 250 000,50 », spaces of any kind between the
    thousands (the ones a copy from a spreadsheet brings too) and a comma before the cents.
    The rule is here rather than in USE_THOUSAND_SEPARATOR, which also wrote ids as « 1 317 »."""

    widget = AmountInput
    default_error_messages = {"invalid": "Saisissez un montant, par exemple 1 250 000 ou 12,50."}

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace(",", ".")
        return super().to_python(value)


def localized_fields(field: models.Field, **kwargs) -> forms.Field:
    """Decimal inputs accept French writing (1 250 000,50), dates use the date picker and
    multiple choices refuse a forged key out of range."""
    if isinstance(field, models.ManyToManyField):
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
    if isinstance(field, models.DecimalField):
        kwargs.setdefault("form_class", AmountField)
        return field.formfield(**kwargs)
    if isinstance(field, models.DateField):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        formfield = field.formfield(**kwargs)
        formfield.error_messages["invalid"] = "Saisissez une date valide (jj/mm/aaaa)."
        return formfield
    return field.formfield(**kwargs)
