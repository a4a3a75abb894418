"""Project documents joined to a PDF (the board pack of a meeting, the submitted dossier): read
through the documents' storage by the name the database holds, fingerprinted, and joined when
they are readable PDFs, else listed with why."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import default_storage

from tdi.downloads import UPLOAD_TYPES
from tdi.pdf_merge import Part, clean_pdf

if TYPE_CHECKING:
    from .models import Document

# Why a document is listed instead of joined (besides tdi.pdf_merge's unreadable PDFs).
NOT_PDF = "Format {format} : non joint (seuls les PDF sont réunis)."
MISSING = "Fichier introuvable dans le stockage : non joint."
TOO_BIG = "Fichier plus volumineux que la limite de dépôt : non joint."


@dataclass
class Attachment:
    """A document: joined (its part), or listed with why; with its SHA-256 when it was read."""

    document: object  # a Document, or what a snapshot pinned of it
    part: Part | None = None
    note: str = ""
    sha256: str = ""


def read_attachment(document: Document) -> Attachment:
    return read_file(document.file.name, document.content_type, document)


def read_file(name: str, content_type: str, document: object = None) -> Attachment:
    """The stored file joined as a clean PDF, or the reason it is listed, with its SHA-256."""
    attachment = Attachment(document=document)
    limit = settings.DOCUMENT_MAX_SIZE
    try:  # the storage of Document.file
        with default_storage.open(name, "rb") as handle:
            content = handle.read(limit + 1)
    except (FileNotFoundError, OSError):
        attachment.note = MISSING
        return attachment
    attachment.sha256 = hashlib.sha256(content).hexdigest()
    if len(content) > limit:
        attachment.note, attachment.sha256 = TOO_BIG, ""
    elif content_type != "application/pdf":
        extension = UPLOAD_TYPES.get(content_type, "").upper()
        attachment.note = NOT_PDF.format(format=extension or "inconnu")
    else:
        reader, attachment.note = clean_pdf(content)
        if reader is not None:
            attachment.part = Part(reader)
    return attachment
