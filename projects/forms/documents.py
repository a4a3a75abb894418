"""Uploading a document: its format is read from the content, never from the name."""

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from tdi.formats import file_size

from ..models import (
    Document,
)


def detect_content_type(upload) -> str | None:
    """The document's type read from its content (magic bytes), never from its name."""
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        # OpenDocument and OOXML files are zip archives; filetype tells them apart by content.
        return kind.mime if kind.mime in Document.EXTENSIONS else None
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head[:-3].decode("utf-8")  # the sample may cut a multi-byte character
        except UnicodeDecodeError:
            return None
    return "text/csv" if upload.name.lower().endswith(".csv") else "text/plain"


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "kind", "file"]
        help_texts = {
            "file": "PDF, image PNG ou JPEG, document Word, Excel ou OpenDocument, CSV ou texte ; "
            f"{file_size(settings.DOCUMENT_MAX_SIZE)} au plus."
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.DOCUMENT_MAX_SIZE:
            raise ValidationError(
                f"Le fichier pèse {file_size(upload.size)} : la limite est de "
                f"{file_size(settings.DOCUMENT_MAX_SIZE)}."
            )
        content_type = detect_content_type(upload)
        if content_type is None:
            raise ValidationError(
                "Ce type de fichier n'est pas accepté (le contenu est vérifié, pas seulement "
                "l'extension) : déposez un PDF, une image, un document bureautique ou un CSV."
            )
        self.instance.content_type = content_type
        self.instance.size = upload.size
        self.instance.original_name = upload.name[-255:]
        return upload


class ReplaceDocumentForm(DocumentForm):
    class Meta(DocumentForm.Meta):
        fields = ["file"]
        labels = {"file": "Nouvelle version"}
        # Not Django's « Actuellement : <storage path> » with a link the site does not serve:
        # the page shows the current version itself.
        widgets = {"file": forms.FileInput}
