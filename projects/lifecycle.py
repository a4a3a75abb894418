"""How records live: one way to move them through their statuses, to freeze them, and to date
and explain each change in their history.

A record (meeting, application) declares its moves as data, `TRANSITIONS` keyed (from, to), and
the stored statuses that freeze it with their message; its rows declare the record they freeze
with. The guard reads the stored status under a row lock, so a stale copy cannot undo a freeze.
`Frozen` is a ValidationError for the code that catches it and a 403 with the record's message
for a request that does not; `FreezableAdmin` answers the admin the same way.

A record that freezes with an official document (validated minutes, a submitted dossier)
stores the document's HTML in the same transaction; `produce_archive` prints it to PDF/A after
the commit, in the background, and stores it once (`frozen_once`).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from tdi.pdf import html_to_pdf

logger = logging.getLogger(__name__)


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
    # What it may write once, while still empty: the archived PDF, produced after the freeze.
    frozen_once: ClassVar[tuple[str, ...]] = ()

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
        once = set(fields or ()) & set(self.frozen_once)
        if stored in record.FROZEN_IN and not (
            fields
            and set(fields) <= set(self.frozen_except) | once
            and ("status" not in fields or (stored, self.status) in record.TRANSITIONS)
            and not any(self.stored_values(once))
        ):
            raise Frozen(record.FROZEN_MESSAGE)

    def stored_values(self, fields) -> tuple:
        if not fields:
            return ()
        return type(self)._default_manager.filter(pk=self.pk).values_list(*fields).get()


@dataclass(frozen=True)
class Archive:
    """The official document a record freezes with: its fields `<prefix>_html`, `<prefix>_pdf`
    and `<prefix>_sha256`, the name of its file, and the fields that date and sign the freeze
    (the PDF is stored in the name of who froze the record)."""

    prefix: str
    name: str
    frozen_at: str
    frozen_by: str

    LATE: ClassVar[timedelta] = timedelta(minutes=5)


class Lifecycle(Freezable):
    """A record with a status: moved only along its TRANSITIONS, frozen in FROZEN_IN."""

    TRANSITIONS: ClassVar[dict[tuple[str, str], Step]] = {}
    FROZEN_IN: ClassVar[frozenset[str]] = frozenset()
    FROZEN_MESSAGE: ClassVar[str] = ""
    ARCHIVE: ClassVar[Archive | None] = None

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

    # --- the official document ----------------------------------------------------------

    def schedule_archive(self) -> None:
        """Queue the printing of the stored HTML to PDF/A, in the freeze's transaction: the
        database queue makes the job visible to the worker with the freeze, or never. Without a
        worker (development, tests), the job runs at once."""
        produce_archive.enqueue(self._meta.label, self.pk)

    @property
    def archive_state(self) -> str:
        """ "" (no document yet), "stored", "pending" while it is produced, "late" past
        Archive.LATE (the worker is down, or the rendering failed: see the error log)."""
        archive = self.ARCHIVE
        if archive is None or not self.is_frozen:
            return ""
        if getattr(self, f"{archive.prefix}_pdf"):
            return "stored"
        frozen_at = getattr(self, archive.frozen_at)
        return "late" if frozen_at and timezone.now() - frozen_at > archive.LATE else "pending"

    @property
    def archived_sha256(self) -> str:
        return getattr(self, f"{self.ARCHIVE.prefix}_sha256") if self.ARCHIVE else ""

    def archive_with(self, pdf: bytes) -> bytes:
        """The file archived, from the document printed (a record may join its annexes)."""
        return pdf

    def archive_stored(self) -> None:
        """What follows once the archived PDF is stored (a record may send it, say)."""


@task
def produce_archive(model: str, pk: int) -> str:
    """Print a frozen record's official document from the HTML stored at its freeze to PDF/A,
    and store it with its SHA-256, once: a second run finds it stored and leaves it."""
    record_type = apps.get_model(model)
    archive = record_type.ARCHIVE
    record = record_type._default_manager.get(pk=pk)
    field = getattr(record, f"{archive.prefix}_pdf")
    if field:
        return field.name
    try:
        html = getattr(record, f"{archive.prefix}_html")
        pdf = record.archive_with(html_to_pdf(html, archival=True, budget=False))
    except Exception:
        logger.exception("Le PDF archivé de %s n° %s n'a pas pu être produit.", model, pk)
        raise
    sha256 = hashlib.sha256(pdf).hexdigest()
    field.save(f"{archive.name}-{pk}-{sha256[:12]}.pdf", ContentFile(pdf), save=False)
    setattr(record, f"{archive.prefix}_sha256", sha256)
    try:
        save_change(
            record,
            by=getattr(record, archive.frozen_by),
            reason="PDF archivé (PDF/A) produit",
            update_fields=[f"{archive.prefix}_pdf", f"{archive.prefix}_sha256"],
        )
    except Frozen:  # another run stored it first: its file is the archive
        field.delete(save=False)
        return getattr(record_type._default_manager.get(pk=pk), f"{archive.prefix}_pdf").name
    except BaseException:
        field.delete(save=False)
        raise
    record.archive_stored()
    return field.name


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
