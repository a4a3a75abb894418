"""No lost update: an edit form carries the version of the record it was opened on, and a save
made after someone else's change shows that change instead of silently undoing it.

The version is read from the audit history, which every write leaves: for each part of the
record (the record, its rows) the last history id. A form posted with an older version gets
the list of what changed since, who changed it and when; the person's input is kept, and the
form now carries the current version, so that saving again is a decision, not an accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

FIELD = "version"  # the name of the hidden input


@dataclass(frozen=True)
class Part:
    label: str  # « le projet », « le plan de financement »…
    history: QuerySet  # the historical rows of this part
    fields: tuple[str, ...] = ()  # only changes of these fields count (all, if empty)

    def counts(self, entry) -> bool:
        if not self.fields or entry.history_type != "~" or entry.prev_record is None:
            return True
        return bool(set(entry.diff_against(entry.prev_record).changed_fields) & set(self.fields))


class EditVersion:
    """The version of a record and its rows, as a token for a hidden input."""

    def __init__(self, *parts: Part, ids: list[int] | None = None):
        self.parts = parts
        self._ids = ids  # known already (a page that read many versions in one query)

    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = [
                part.history.aggregate(last=Max("history_id"))["last"] or 0 for part in self.parts
            ]
        return self._ids

    @property
    def token(self) -> str:
        return ".".join(str(i) for i in self.ids)

    def changes_since(self, token: str | None) -> list[str]:
        """What others changed since `token` (the version a form was opened on), one line
        each, oldest first; [] when nothing changed. A form without a token is not checked."""
        if not token:
            return []
        try:
            seen = [int(i) for i in token.split(".")]
        except ValueError:
            seen = []
        if len(seen) != len(self.parts):
            seen = [0] * len(self.parts)
        lines = []
        for part, last_seen, current in zip(self.parts, seen, self.ids, strict=True):
            if current <= last_seen:
                continue
            entries = part.history.filter(history_id__gt=last_seen).select_related("history_user")
            for entry in entries.order_by("history_date", "history_id"):
                if part.counts(entry):
                    lines.append(f"{part.label} : {describe(entry)}")
        return lines


def last_ids(history: QuerySet, key: str) -> dict:
    """The last history id of each row of `history`, by `key`, in one query: the versions of
    the many forms of one page."""
    return dict(history.values(key).annotate(last=Max("history_id")).values_list(key, "last"))


def describe(entry) -> str:
    """« titre, description modifiés par Claire Martin le 3 décembre 2026 à 10h12 »."""
    what = entry.history_change_reason or {"+": "création", "-": "suppression"}.get(
        entry.history_type, "modification"
    )
    if entry.history_type == "~" and entry.prev_record is not None:
        fields = entry.diff_against(entry.prev_record).changed_fields
        model = entry.instance_type
        names = [str(model._meta.get_field(f).verbose_name) for f in fields]
        if names:
            what += f" ({', '.join(names)})"
    user = entry.history_user
    who = (user.get_full_name() or user.get_username()) if user else "l'application"
    when = date_format(timezone.localtime(entry.history_date), "j F Y à H\\hi")
    return f"{what}, par {who} le {when}"


def keep_theirs(form, version: EditVersion, token: str | None):
    """After a conflict, re-bind `form` so that the fields the person did not touch show the
    record as it is now (someone else's change included), and only what they typed stays
    theirs: saving again then overrides nothing they did not mean to. The record is the first
    part of `version`; its state when the form was opened is read from its history.
    Many-to-many fields and rows stay as posted (the conflict lists their changes)."""
    try:
        opened_id = int((token or "").split(".")[0])
    except ValueError:
        return form
    opened = version.parts[0].history.filter(history_id=opened_id).first()
    if opened is None:
        return form
    model = opened.instance_type
    now = model._default_manager.get(pk=form.instance.pk)
    data = form.data.copy()
    for name, field in form.fields.items():
        try:
            column = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if column.many_to_many:
            continue
        if not field.has_changed(getattr(opened, column.attname), form[name].data):
            value = getattr(now, column.attname)
            data.setlist(form.add_prefix(name), [] if value is None else [str(value)])
    form.data = data
    return form


def stale(request, version: EditVersion) -> list[str]:
    """The changes a posted form missed (see EditVersion.changes_since)."""
    return version.changes_since(request.POST.get(FIELD)) if request.method == "POST" else []
