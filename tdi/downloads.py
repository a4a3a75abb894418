"""The files the app sends: names made of slugs, headers written by Django.

A download's name reaches a response header (Content-Disposition) and then the user's disk.
Built from what users type (a committee's short name, the name of an uploaded file), it could
carry quotes, CR/LF or a path; `safe_filename` keeps only slugs, and every download goes through
`disposition` or `attachment`, which let Django write the header.
"""

from __future__ import annotations

from typing import IO

from django.http import FileResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

# The formats users may upload (checked from the file's content, projects.forms), with the
# extension their stored name gets.
UPLOAD_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "text/csv": "csv",
    "text/plain": "txt",
}


def safe_filename(name: str) -> str:
    """The name as ASCII slugs, its extension kept: « CoTech "Nord".pdf » gives cotech-nord.pdf."""
    stem, dot, extension = name.rpartition(".")
    if not (dot and extension.isascii() and extension.isalnum()):
        stem, extension = name, ""
    stem = slugify(stem) or "document"
    return f"{stem}.{extension.lower()}" if extension else stem


def disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition of a download: shown in the browser (inline) or saved."""
    return content_disposition_header(not inline, safe_filename(filename))


def attachment(file: IO[bytes], filename: str, content_type: str) -> FileResponse:
    """A stored file to save, which the browser must neither sniff nor render as one of our pages."""
    response = FileResponse(
        file, as_attachment=True, filename=safe_filename(filename), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
