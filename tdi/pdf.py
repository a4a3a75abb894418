"""The one entry to WeasyPrint: a Django template rendered to PDF, with only our static files.

WeasyPrint's default fetcher reads any URL a document names (file://, the network, localhost)
and `<link rel="attachment">` embeds what it reads into the PDF. Here every resource goes
through `StaticOnlyFetcher`, which serves the app's own static files and refuses the rest;
attachments are dropped and only harmless links are kept before the PDF is written.

Official documents (validated minutes, submitted dossiers) are fixed as HTML when their record
freezes (`official_document`), printed once to PDF/A in the background, stored with two
fingerprints, and served by `archived_pdf_response`, which checks the stored bytes against
theirs (or says that the PDF is on its way); every PDF view answers through `pdf_response`.
"""

from __future__ import annotations

import base64
import binascii
import faulthandler
import hashlib
import logging
import mimetypes
import multiprocessing
import os
import posixpath
import resource
import signal
import ssl
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .downloads import disposition

logger = logging.getLogger(__name__)
# Without HarfBuzz's subsetter, WeasyPrint subsets fonts with fontTools, which stamps each font
# with the current time unless SOURCE_DATE_EPOCH is set: two renderings of the same document a
# second apart would differ, and an archived PDF could no longer be rendered again identically.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

# The base URL of every document: a scheme that no library resolves, so that relative URLs reach
# the fetcher as written (relative to the static root) and nothing is joined to a host or a path
# of the server. Never the request's URL: the PDF must not depend on, nor reach, any server.
BASE_URL = "tdi-static:/"
MAX_STATIC_SIZE = 10 * 1024 * 1024
MAX_DATA_IMAGE_SIZE = 1024 * 1024
DATA_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}
# Links that stay clickable in a PDF; any other (file:, javascript:, relative) is dropped.
LINK_SCHEMES = ("http:", "https:", "mailto:")
# Every PDF is tagged (RGAA asks it of downloadable documents): a structure tree in reading
# order (headings, lists, tables with their header cells, figures with the <title> of their
# SVG as /Alt), /MarkInfo /Marked, the language of <html lang>, the <title> in the metadata and
# shown by the viewer (/DisplayDocTitle); borders and backgrounds are artifacts.
TAGGED = {"pdf_tags": True}
# Archived documents are PDF/A-3a: level A is PDF/A-3u (fonts embedded, every glyph mapped to
# Unicode) plus the tags above, and says so in the XMP (pdfaid:conformance="A"). WeasyPrint's
# "pdf/a-3a" variant turns the tags on itself; with "pdf/a-3b" they would be written all the
# same, but the file would only claim level B, which checks none of them.
ARCHIVAL = {**TAGGED, "pdf_variant": "pdf/a-3a"}


class RefusedResource(ValueError):
    """A resource that a PDF may not load. WeasyPrint logs it and renders without it."""


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's static files (through the staticfiles finders) and refuses the rest.

    Accepted: URLs under STATIC_URL (`/static/tdi/fonts/DejaVuSans.ttf`), the same path relative
    to the base URL (`tdi/fonts/DejaVuSans.ttf`, `tdi-static:/tdi/fonts/DejaVuSans.ttf`), and
    small `data:` images. Refused: every other scheme (http, https, file, ftp…), absolute
    paths of the file system, `..` segments, media files.
    """

    # The urllib machinery underneath allows no protocol; its HTTPS handler still wants a TLS
    # context, which by default loads the system's certificates: 25 ms for every document.
    UNUSED_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self) -> None:
        super().__init__(
            allowed_protocols=(),
            allow_redirects=False,
            fail_on_errors=False,
            ssl_context=self.UNUSED_TLS,
        )

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return self.data_image(url)
        relative = self.static_path(url)
        found = finders.find(relative)
        if not found:
            raise RefusedResource(f"Fichier statique introuvable : {url}")
        path = Path(found).resolve()
        media_root = Path(settings.MEDIA_ROOT).resolve()
        if path.is_relative_to(media_root) or not path.is_file():
            raise RefusedResource(f"Ressource refusée : {url}")
        if path.stat().st_size > MAX_STATIC_SIZE:
            raise RefusedResource(f"Fichier statique trop volumineux : {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            BASE_URL + relative, path.read_bytes(), {"Content-Type": content_type}
        )

    @staticmethod
    def static_path(url: str) -> str:
        """The path relative to the static root that the URL names, or RefusedResource."""
        static_url = settings.STATIC_URL or "/static/"
        if url.startswith(BASE_URL):
            relative = url.removeprefix(BASE_URL)
        elif url.startswith(static_url):
            relative = url.removeprefix(static_url)
        elif ":" in url.split("/", 1)[0] or url.startswith(("/", "\\")):
            # Another scheme, or a path outside STATIC_URL (file system, media, anything).
            raise RefusedResource(f"Ressource refusée : {url}")
        else:
            relative = url
        relative = unquote(relative.split("#", 1)[0].split("?", 1)[0])
        segments = relative.split("/")
        if (
            not relative
            or relative.startswith("/")
            or "\\" in relative
            or "\x00" in relative
            or any(segment in ("", ".", "..") for segment in segments)
            or posixpath.normpath(relative) != relative
        ):
            raise RefusedResource(f"Chemin refusé : {url}")
        return relative

    @staticmethod
    def data_image(url: str) -> URLFetcherResponse:
        """A small image written in the document itself (charts); nothing else as data:."""
        header, comma, payload = url.removeprefix("data:").partition(",")
        media_type, *params = header.split(";")
        if not comma or media_type.strip().lower() not in DATA_IMAGE_TYPES:
            raise RefusedResource("Seules les petites images sont acceptées en data:.")
        if len(payload) > MAX_DATA_IMAGE_SIZE * 4 // 3 + 4:
            raise RefusedResource("Image data: trop volumineuse.")
        try:
            if "base64" in (p.strip().lower() for p in params):
                body = base64.b64decode(payload, validate=True)
            else:
                body = unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as error:
            raise RefusedResource("Image data: illisible.") from error
        return URLFetcherResponse("data:", body, {"Content-Type": media_type.strip().lower()})


def keep_link(link: tuple) -> bool:
    """Links inside the document and to web or mail addresses; never attachments or files."""
    link_type, target = link[0], link[1]
    if link_type == "internal":
        return True
    return link_type == "external" and str(target).lower().startswith(LINK_SCHEMES)


class PdfBudgetExceeded(ValidationError):
    """A document too long to lay out within what one request may spend on it."""


TOO_LONG = (
    "Ce document est trop long pour être produit ici ({what}) : raccourcissez les textes "
    "concernés, ou demandez-le par la page des rapports, qui le prépare en arrière-plan."
)


@contextmanager
def time_budget(seconds: float | None):
    """Interrupt the block after `seconds` with PdfBudgetExceeded. A sync worker serves a request
    in its main thread, where a timer signal can interrupt WeasyPrint; elsewhere (a threaded
    development server) the other budgets still hold."""
    usable = seconds and threading.current_thread() is threading.main_thread()
    if not usable or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise PdfBudgetExceeded(TOO_LONG.format(what=f"plus de {seconds:.0f} secondes"))

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


TOO_LARGE = (
    "Ce document demanderait plus de {limit} Mo de mémoire pour être mis en page : il n'a pas "
    "été produit. Réduisez le périmètre (un territoire, des filtres) ; si ce document est "
    "nécessaire tel quel, signalez-le à l'administrateur de la plateforme."
)


def process_size() -> int:
    """The virtual size of this process, in bytes (what RLIMIT_AS limits)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


@contextmanager
def memory_budget(megabytes: int | None):
    """Let the block grow the process by at most `megabytes` (RLIMIT_AS, restored after): a
    layout that would take more ends with PdfBudgetExceeded, in French, instead of taking the
    worker and the machine down (a national report in one document once took 11 GB)."""
    if not megabytes or not Path("/proc/self/statm").exists():
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    allowed = process_size() + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        allowed = min(allowed, hard)
    resource.setrlimit(resource.RLIMIT_AS, (allowed, hard))
    exhausted = False
    try:
        yield
    except MemoryError:
        exhausted = True  # the message is written once the limit is given back
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    if exhausted:
        raise PdfBudgetExceeded(TOO_LARGE.format(limit=megabytes))


def render_pdf(
    template_name: str, context: dict, *, archival: bool = False, budget: bool = True
) -> bytes:
    """Render a Django template to tagged PDF bytes; `archival` makes a PDF/A-3a document.

    The output depends only on the HTML and the static files: no date, no random identifier
    is written (a date belongs in the template, e.g. `<meta name="dcterms.created">`), so the
    same input gives the same bytes, which archived documents rely on.

    Within a request (`budget`), the document has a budget (PDF_BUDGET: size of its HTML,
    seconds of layout, pages), beyond which PdfBudgetExceeded says so in French instead of a
    worker killed by its timeout; the background jobs render without it.
    """
    return html_to_pdf(render_to_string(template_name, context), archival=archival, budget=budget)


def html_to_pdf(html: str, *, archival: bool = False, budget: bool = True) -> bytes:
    """The PDF of a document's HTML (see render_pdf): how an official document stored as HTML
    at its freeze is printed, in the background, and can be printed again.

    The layout runs in a child process when it can (settings.PDF_LAYOUT_APART, a process of one
    thread: a sync gunicorn worker, the task worker, the management commands): the memory limit
    then bounds the child alone, and a child that the C libraries end under it is refused in
    French like any other excess, the worker untouched. In a threaded process (the development
    server), where fork is unsafe, it runs in place under the same limits."""
    limits = settings.PDF_BUDGET if budget else {}
    if len(html) > limits.get("html_chars", len(html)):
        raise PdfBudgetExceeded(TOO_LONG.format(what=f"{len(html) // 1000}000 caractères"))
    options = ARCHIVAL if archival else TAGGED
    if settings.PDF_LAYOUT_APART and single_threaded():
        return layout_apart(html, options, limits)
    return layout(html, options, limits)


def single_threaded() -> bool:
    """Whether this process runs one thread, as a fork wants: the threads that C libraries or
    other modules start without `threading` (a test runner's) count too."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def layout(html: str, options: dict, limits: dict) -> bytes:
    """Lay out and write the PDF in this process, within the memory and time limits."""
    with memory_budget(settings.PDF_MEMORY_MB), time_budget(limits.get("seconds")):
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render(
            **options
        )
        if len(document.pages) > limits.get("pages", len(document.pages)):
            raise PdfBudgetExceeded(TOO_LONG.format(what=f"{len(document.pages)} pages"))
        # Nothing is ever embedded: <link rel="attachment"> and <a rel="attachment"> are
        # dropped before the fetcher is asked for them.
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if keep_link(link)]
        return document.write_pdf(**options)


LAYOUT_HOURS = 1


def layout_apart(html: str, options: dict, limits: dict) -> bytes:
    """`layout` in a forked child that sends back the PDF or the refusal. The child reads no
    database (the HTML is made, the fetcher reads static files only) and leaves by os._exit,
    so that the connections it inherited stay the parent's."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=layout_child, args=(sending, html, options, limits))
    child.start()
    sending.close()
    # The child keeps its own time budget; past it and a margin, or past an hour for the
    # worker's documents, a child that hangs (a lock of a C library held at the fork) is ended.
    waited = limits["seconds"] + 10 if limits.get("seconds") else LAYOUT_HOURS * 3600
    try:
        if receiving.poll(waited):
            kind, payload = receiving.recv()
        else:
            child.kill()
            kind, payload = "refused", TOO_LONG.format(what=f"plus de {waited:.0f} secondes")
    except EOFError:  # the child ended without a word: killed, or aborted in a C library
        kind, payload = "ended", None
    finally:
        receiving.close()
        child.join()
    if kind == "pdf":
        return payload
    if kind == "refused":
        raise PdfBudgetExceeded(payload)
    if kind == "failed":
        raise RuntimeError(f"La mise en page du PDF a échoué :\n{payload}")
    logger.error("La mise en page d'un PDF s'est arrêtée (code %s).", child.exitcode)
    raise PdfBudgetExceeded(TOO_LARGE.format(limit=settings.PDF_MEMORY_MB))


def layout_child(sending, html: str, options: dict, limits: dict) -> None:
    # A child ended in a C library is reported by its parent (exit code, French refusal), not
    # by a dump of its stack in the worker's log.
    faulthandler.disable()
    try:
        answer = ("pdf", layout(html, options, limits))
    except PdfBudgetExceeded as refused:
        answer = ("refused", refused.message)
    except Exception:
        answer = ("failed", traceback.format_exc())
    sending.send(answer)
    sending.close()


# --- official documents: rendered once, fingerprinted, stored, served as stored -------------


class ArchiveAltered(Exception):
    """An archived official PDF whose bytes no longer match their stored SHA-256."""


def official_html(template_name: str, context: dict) -> str:
    """The HTML of an official document without its fingerprint: the fingerprint that the PDF
    prints is its SHA-256, so that anyone can render it again and compare."""
    return render_to_string(template_name, {**context, "content_sha256": ""})


def official_document(template_name: str, context: dict, *, prefix: str) -> dict:
    """What a record stores as it freezes with its official document: the fingerprint of the
    content and the HTML that prints it (`<prefix>_html`), from which its PDF/A is produced
    afterwards (`projects.lifecycle.produce_archive`), out of the request."""
    content_sha256 = hashlib.sha256(official_html(template_name, context).encode()).hexdigest()
    html = render_to_string(template_name, {**context, "content_sha256": content_sha256})
    return {f"{prefix}_html": html, "content_sha256": content_sha256}


def pdf_response(content: bytes, filename: str, **headers: str) -> HttpResponse:
    """A PDF shown in the browser, with the name to save it under."""
    headers["Content-Disposition"] = disposition(filename, inline=True)
    return HttpResponse(content, content_type="application/pdf", headers=headers)


ARCHIVE_PENDING = (
    "Le document est figé ; son PDF archivé (PDF/A) est en cours de production et sera "
    "disponible dans quelques instants."
)


def archived_pdf_response(field: FieldFile, sha256: str, filename: str) -> HttpResponse:
    """The archived PDF, byte-identical, once its bytes are checked against their SHA-256; while
    it is being produced, a 503 that says so and when to come back."""
    if not field:
        page = render_to_string("503.html", {"message": ARCHIVE_PENDING})
        return HttpResponse(page, status=503, headers={"Retry-After": "10"})
    with field.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ArchiveAltered(
            f"Le document archivé « {filename} » ne correspond plus à son empreinte SHA-256 : "
            "il n'est pas servi. L'équipe technique a été prévenue."
        )
    return pdf_response(content, filename, **{"X-Content-SHA256": sha256})


class ArchiveAlteredMiddleware(MiddlewareMixin):
    """Answers an altered archive with a 500 that says so in French, and logs it as an error;
    a document over its budget with a 503 that says so."""

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, PdfBudgetExceeded):
            logger.warning("Document hors budget : %s (%s)", exception.message, request.path)
            page = render_to_string("500.html", {"message": exception.message})
            return HttpResponse(page, status=503)
        if not isinstance(exception, ArchiveAltered):
            return None
        logger.error("Archive altérée : %s (%s)", exception, request.path, exc_info=exception)
        return HttpResponseServerError(render_to_string("500.html", {"message": str(exception)}))
