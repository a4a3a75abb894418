import html
import io

import pypdf


def text(response) -> str:
    """The response body with HTML entities decoded, to assert on French messages."""
    return html.unescape(response.content.decode())


def pdf_text(pdf: bytes) -> str:
    """The text of every page on one line, runs of spaces (no-break ones too) as one space:
    lines may break anywhere in a PDF."""
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())
