"""How records live: one way to move them through their statuses, to freeze them, and to date
and explain each change in their history.

A record (meeting, application) declares its moves as data, `TRANSITIONS` keyed (from, to), and
the stored statuses that freeze it with their message; its rows declare the record they freeze
with. The guard reads the stored status under a row lock, so a stale copy cannot undo a freeze.
`Frozen` is a ValidationError for the code that catches it and a 403 with the record's message
for a request that does not; `FreezableAdmin` answers the admin the same way.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record


class Frozen(ValidationError, PermissionDenied):
    """An edit of a frozen record or of one of its rows, with the record's message."""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Step:
    """An allowed move of a record, as its page offers it."""

    action: str  # what the page posts
    label: str
    confirm: str = ""  # the question asked before the move
    motive_required: bool = False


@contextmanager
def history_stamp(obj: models.Model, *, by, reason: str, at=None, cause: str = ""):
    """Stamp the save or delete made in the block with its author, reason, moment (`at`,
    default now) and cause, without leaving the last two for the object's next save."""
    obj._history_user, obj._change_reason = by, reason
    obj._history_date, obj._history_cause = at or timezone.now(), cause
    try:
        yield obj
    finally:
        del obj._history_date, obj._history_cause


def save_change(obj: models.Model, *, by, reason: str, at=None, cause: str = "", **kwargs) -> None:
    with history_stamp(obj, by=by, reason=reason, at=at, cause=cause):
        obj.save(**kwargs)


class HistoryCause(models.Model):
    """Base of a historical model: what made the application change a record by itself
    ("agendaitem:12", "reserve:3", "meeting:5"); empty for a change made by a person."""

    history_cause = models.CharField("cause", max_length=40, blank=True)

    class Meta:
        abstract = True


@receiver(pre_create_historical_record)
def record_cause(sender, instance, history_instance, **kwargs) -> None:
    if isinstance(history_instance, HistoryCause):
        history_instance.history_cause = getattr(instance, "_history_cause", "")


class Freezable(models.Model):
    """A record, or a row of one, that refuses to change once the record is frozen."""

    frozen_with: ClassVar[str] = ""  # the record a row freezes with ("meeting"); "" for a record
    # What save(update_fields=…) may still write once frozen: an action done, an outcome.
    frozen_except: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            self.refuse_frozen_write(kwargs.get("update_fields"))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            self.refuse_frozen_write()
            return super().delete(*args, **kwargs)

    @property
    def frozen_record(self) -> Lifecycle:
        return getattr(self, self.frozen_with) if self.frozen_with else self

    def refuse_frozen_write(self, fields=None) -> None:
        record = self.frozen_record
        stored = record.stored_status()
        if stored in record.FROZEN_IN and not (
            fields
            and set(fields) <= set(self.frozen_except)
            and ("status" not in fields or (stored, self.status) in record.TRANSITIONS)
        ):
            raise Frozen(record.FROZEN_MESSAGE)


class Lifecycle(Freezable):
    """A record with a status: moved only along its TRANSITIONS, frozen in FROZEN_IN."""

    TRANSITIONS: ClassVar[dict[tuple[str, str], Step]] = {}
    FROZEN_IN: ClassVar[frozenset[str]] = frozenset()
    FROZEN_MESSAGE: ClassVar[str] = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._loaded_status = self.status

    @property
    def is_frozen(self) -> bool:
        """Frozen by the status read from the database (a status set in memory freezes nothing)."""
        return getattr(self, "_loaded_status", self.status) in self.FROZEN_IN

    def refuse_if_frozen(self) -> None:
        if self.is_frozen:
            raise Frozen(self.FROZEN_MESSAGE)

    def stored_status(self) -> str | None:
        """The status in the database, read under a row lock (call inside a transaction)."""
        rows = type(self)._default_manager.select_for_update().filter(pk=self.pk)
        return rows.values_list("status", flat=True).first() if self.pk else None

    @property
    def next_steps(self) -> list[Step]:
        """The moves the table allows from the current status, each once, in table order."""
        return list(dict.fromkeys(s for (a, _), s in self.TRANSITIONS.items() if a == self.status))

    def locked_for(self, status: str) -> Lifecycle:
        """The record as stored, under a row lock, once the move to `status` is found allowed."""
        locked = type(self)._default_manager.select_for_update().get(pk=self.pk)
        if (locked.status, status) not in self.TRANSITIONS:
            labels = dict(self._meta.get_field("status").choices)
            raise ValidationError(
                f"Le passage de « {labels[locked.status]} » à « {labels.get(status, status)} » "
                "n'est pas prévu."
            )
        return locked

    def transition_to(self, status: str, *, by, reason: str, at=None, **fields) -> None:
        """Make one move of the table: check it against the stored status under a row lock,
        write the status and the fields, with the reason and the moment (`at`) in history."""
        with transaction.atomic():
            locked = self.locked_for(status)
            for name, value in {**fields, "status": status}.items():
                setattr(locked, name, value)
            save_change(locked, by=by, reason=reason, at=at, update_fields=["status", *fields])
        for name in ("status", *fields):
            setattr(self, name, getattr(locked, name))
        self._loaded_status = status


class FreezableAdmin:
    """Admin mixin: frozen records and their rows are read-only, and a change or deletion
    posted anyway answers 403 with the record's message, as the pages do."""

    def frozen_record_of(self, obj) -> Lifecycle | None:
        return obj.frozen_record if obj and obj.frozen_record.is_frozen else None

    def has_change_permission(self, request, obj=None):
        return not self.frozen_record_of(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.frozen_record_of(obj) and super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if record := self.frozen_record_of(object_id and self.get_object(request, object_id)):
            if request.method == "POST":
                raise Frozen(record.FROZEN_MESSAGE)
            self.message_user(request, record.FROZEN_MESSAGE, messages.WARNING)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if record := self.frozen_record_of(self.get_object(request, object_id)):
            raise Frozen(record.FROZEN_MESSAGE)
        return super().delete_view(request, object_id, extra_context)
