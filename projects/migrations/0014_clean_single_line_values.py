"""Names and titles stored before they refused control characters (a CR/LF in a committee's
name, a tab in a title) become the one line they should have been: each control character is
a space, runs of spaces one, and the row's history says so (no author: the application did)."""

import re

from django.db import migrations
from django.utils import timezone

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
PATTERN = r"[\x01-\x1f\x7f-\x9f]"  # as the databases read it (no NUL in a text column)
REASON = "Caractères de contrôle retirés (nom ou titre sur une seule ligne)"


def single_line_fields(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if any(getattr(v, "__name__", "") == "validate_single_line" for v in field.validators)
    ]


def history_row(apps, obj):
    """A history row like simple-history writes it, for a save that bypasses its signals."""
    try:
        historical = apps.get_model(obj._meta.app_label, f"Historical{obj._meta.object_name}")
    except LookupError:
        return None
    row = historical(
        history_date=timezone.now(), history_type="~", history_change_reason=REASON
    )
    for field in historical._meta.concrete_fields:
        if not field.name.startswith("history_") and hasattr(obj, field.attname):
            setattr(row, field.attname, getattr(obj, field.attname))
    return row


def clean(apps, schema_editor):
    for app_label in ("projects", "committees"):
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for name in single_line_fields(model):
                for obj in model._default_manager.filter(**{f"{name}__regex": PATTERN}):
                    value = " ".join(CONTROL.sub(" ", getattr(obj, name)).split())
                    setattr(obj, name, value or "—")
                    obj.save(update_fields=[name])
                    if row := history_row(apps, obj):
                        row.save()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0013_official_document_html"),
        ("committees", "0010_official_document_html"),
    ]

    operations = [migrations.RunPython(clean, migrations.RunPython.noop)]
