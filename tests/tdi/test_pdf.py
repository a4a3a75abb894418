import io
import socket
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import weasyprint
from django.conf import settings
from pypdf.generic import IndirectObject, StreamObject

import tdi.pdf
from projects.access import Access
from projects.models import FundingLine, Organisation, Stage
from tdi.pdf import BASE_URL, RefusedResource, StaticOnlyFetcher, render_pdf

from ..factories import (
    FundingLineFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
)
from ..utils import pdf_text

pytestmark = pytest.mark.django_db

PASSWD_MARK = b"root:x:0:"
FONT = Path(settings.BASE_DIR) / "tdi" / "static" / "tdi" / "fonts" / "DejaVuSans.ttf"


def sheet_url(project_id: int) -> str:
    return f"/projets/{project_id}/fiche.pdf"


def reader_of(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def all_stream_data(reader: pypdf.PdfReader) -> bytes:
    """Every stream of the file, decompressed, to look for leaked content anywhere."""
    data = []
    for generation, objects in reader.xref.items():
        for number in objects:
            obj = reader.get_object(IndirectObject(number, generation, reader))
            if isinstance(obj, StreamObject):
                data.append(obj.get_data())
    for number in reader.xref_objStm:
        obj = reader.get_object(IndirectObject(number, 0, reader))
        if isinstance(obj, StreamObject):
            data.append(obj.get_data())
    return b"\n".join(data)


def assert_nothing_embedded(pdf: bytes) -> None:
    reader = reader_of(pdf)
    names = reader.trailer["/Root"].get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    assert reader.attachments == {}
    assert b"/EmbeddedFile" not in pdf
    assert PASSWD_MARK not in pdf
    assert PASSWD_MARK not in all_stream_data(reader)
    assert PASSWD_MARK.decode() not in pdf_text(pdf)


class Listener:
    """A local TCP server in a thread that records every connection it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.connections: list = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopping.is_set():
            self.accept_one()

    def accept_one(self) -> None:
        try:
            connection, address = self.server.accept()
        except (TimeoutError, BlockingIOError):
            return
        self.connections.append(address)
        with connection:
            connection.settimeout(1)
            try:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\n\r\n")
            except OSError:
                pass

    def stop(self) -> list:
        if not self.stopping.is_set():
            self.stopping.set()
            self.thread.join()
            self.accept_one()  # one last look at the backlog
            self.server.close()
        return self.connections


@pytest.fixture
def listener():
    listener = Listener()
    yield listener
    listener.stop()


class RecordingFetcher(StaticOnlyFetcher):
    """The real fetcher, recording what it served and what it refused."""

    served: list[str] = []
    refused: list[str] = []

    def fetch(self, url, headers=None):
        try:
            response = super().fetch(url, headers)
        except RefusedResource:
            self.refused.append(url)
            raise
        self.served.append(url)
        return response


@pytest.fixture
def recording_fetcher(monkeypatch, settings):
    # What the fetcher is asked is recorded in this process: the layout stays in it.
    settings.PDF_LAYOUT_APART = False
    RecordingFetcher.served, RecordingFetcher.refused = [], []
    monkeypatch.setattr(tdi.pdf, "StaticOnlyFetcher", RecordingFetcher)
    return RecordingFetcher


@pytest.fixture
def funded_project(project):
    project.summary = "Doubler la capacité d'accueil de l'école de production."
    project.description = "Construction d'un atelier de 600 m².\nAchat de deux centres d'usinage."
    project.commune = "Nogent"
    project.planned_start = date(2026, 1, 5)
    project.planned_end = date(2027, 11, 29)
    project.save()
    bank = OrganisationFactory(
        name="Banque des Territoires", kind=Organisation.Kind.PUBLIC_OPERATOR
    )
    region = OrganisationFactory(name="Région Grand Est", kind=Organisation.Kind.REGION)
    state = OrganisationFactory(name="Préfecture de la Haute-Marne", kind=Organisation.Kind.STATE)
    FundingLineFactory(project=project, funder=bank, amount=Decimal("60000"))
    FundingLineFactory(
        project=project,
        funder=region,
        amount=Decimal("40000"),
        status=FundingLine.Status.GRANTED,
    )
    FundingLineFactory(
        project=project,
        funder=state,
        instrument=FundingLine.Instrument.DETR,
        amount=Decimal("25000"),
        status=FundingLine.Status.REFUSED,
    )
    IndicatorFactory(project=project, target=Decimal("12"), achieved=Decimal("4"))
    MilestoneFactory(project=project, title="Dépôt du permis de construire")
    return project


# --- the project sheet -------------------------------------------------------------------


def test_project_sheet_pdf(client_for, funded_project, recording_fetcher):
    response = client_for("member").get(sheet_url(funded_project.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'inline; filename="fiche-{funded_project.reference.lower()}.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Extension de l'école de production" in text
    assert funded_project.reference in text
    assert "Territoire d’industrie Chaumont-Langres" in text
    assert "page 1 sur" in text
    assert "Banque des Territoires" in text
    assert "Région Grand Est" in text
    assert "Préfecture de la Haute-Marne" in text
    # Amounts in French: 100 000 € is the cost and the total (the refused 25 000 € is left out).
    assert "100 000 €" in text
    assert "60 000 €" in text
    # pypdf keeps the narrow no-break space between thousands and the no-break space before €.
    raw = "".join(page.extract_text() for page in reader_of(pdf).pages)
    assert "100\u202f000\u00a0€" in raw
    assert "Plan de financement équilibré" in text
    assert "5 janvier 2026" in text
    assert "29 novembre 2027" in text
    assert "Dépôt du permis de construire" in text
    assert "Emplois créés" in text
    # The fonts come from our static files, through the fetcher.
    assert any(url.endswith("tdi/fonts/DejaVuSans.ttf") for url in recording_fetcher.served)
    assert recording_fetcher.refused == []
    metadata = reader_of(pdf).metadata
    assert metadata.title == f"Fiche projet {funded_project.reference} — {funded_project.title}"
    assert "Chaumont-Langres" in metadata.author


def test_project_sheet_shows_an_unbalanced_plan(client_for, project):
    FundingLineFactory(project=project, amount=Decimal("30000"))
    text = pdf_text(client_for("coordinator").get(sheet_url(project.pk)).content)
    assert "Plan de financement déséquilibré" in text
    assert "il manque 70 000 €" in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [("coordinator", 200), ("lead", 200), ("member", 200), ("partner", 200), ("stranger", 404)],
)
def test_project_sheet_permissions(client_for, project, name, expected):
    assert client_for(name).get(sheet_url(project.pk)).status_code == expected


def test_project_sheet_redirects_anonymous_to_login(client_for, project):
    response = client_for(None).get(sheet_url(project.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


def test_project_sheet_of_an_idea_is_hidden_from_members(client_for, project):
    project.stage = Stage.IDEA
    project.save()
    assert client_for("member").get(sheet_url(project.pk)).status_code == 404
    assert client_for("lead").get(sheet_url(project.pk)).status_code == 200


def test_project_sheet_missing_project_is_404(client_for):
    assert client_for("coordinator").get(sheet_url(999999)).status_code == 404


def test_project_detail_links_to_the_sheet(client_for, project):
    response = client_for("member").get(f"/projets/{project.pk}/")
    assert f'href="{sheet_url(project.pk)}"' in response.content.decode()


# --- hostile content ---------------------------------------------------------------------


def hostile_markup(port: int) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<img src="http://127.0.0.1:{port}/x.png">',
    ]


def test_project_sheet_with_hostile_content(client_for, project, listener, recording_fetcher):
    bits = hostile_markup(listener.port)
    project.title = bits[2][:200]
    project.summary = " ".join(bits)
    project.description = "\n".join(bits)
    project.save()
    response = client_for("coordinator").get(sheet_url(project.pk))
    assert response.status_code == 200
    pdf = response.content
    assert_nothing_embedded(pdf)
    assert listener.stop() == []
    # Escaped by the template: the markup is printed as text, never loaded.
    assert 'rel="attachment" href="file:///etc/passwd">' in pdf_text(pdf)
    assert not any("passwd" in url or "127.0.0.1" in url for url in recording_fetcher.served)
    assert recording_fetcher.refused == []


HOSTILE_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Hostile</title>
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="/static/tdi/favicon.svg">
<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">
<link rel="stylesheet" href="http://localhost:{port}/s.css">
<style>
@import url(http://127.0.0.1:{port}/i.css);
@font-face {{ font-family: "T"; src: url(/static/tdi/fonts/DejaVuSans.ttf); }}
body {{ font-family: "T"; background: url(file:///etc/passwd); }}
</style></head>
<body><p>Contenu hostile</p>
<img src="file:///etc/passwd">
<img src="/static/../../../../etc/passwd">
<img src="/static/tdi/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd">
<img src="../../../../etc/passwd">
<img src="/etc/passwd">
<img src="/media/documents/secret.pdf">
<img src="http://127.0.0.1:{port}/x.png">
<img src="https://localhost:{port}/x.png">
<img src="/static/tdi/favicon.svg">
<a href="file:///etc/passwd">fichier</a>
<a href="javascript:alert(1)">script</a>
<a rel="attachment" href="/static/tdi/favicon.svg">pièce jointe</a>
<a href="https://www.prefectures-regions.gouv.fr/">préfecture</a>
</body></html>"""


def link_uris(pdf: bytes) -> list[str]:
    uris = []
    for page in reader_of(pdf).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def test_fetcher_refuses_everything_but_static_files(listener, caplog):
    """The fetcher alone, under WeasyPrint's own pipeline (attachments included)."""
    fetcher = RecordingFetcher()
    RecordingFetcher.served, RecordingFetcher.refused = [], []
    html = HOSTILE_HTML.format(port=listener.port)
    pdf = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()
    # The static favicon is served, so WeasyPrint's own attachment pipeline may embed it: only
    # /etc/passwd must be absent. render_pdf() below drops every attachment.
    assert PASSWD_MARK not in all_stream_data(reader_of(pdf))
    assert "root:x" not in pdf_text(pdf)
    assert listener.stop() == []
    assert not any("passwd" in url or ":" + str(listener.port) in url for url in fetcher.served)
    assert "/static/tdi/fonts/DejaVuSans.ttf" in fetcher.served
    assert "/static/tdi/favicon.svg" in fetcher.served
    assert "file:///etc/passwd" in fetcher.refused
    assert f"http://127.0.0.1:{listener.port}/s.css" in fetcher.refused
    assert f"http://127.0.0.1:{listener.port}/i.css" in fetcher.refused
    assert "/static/../../../../etc/passwd" in fetcher.refused
    assert "Contenu hostile" in pdf_text(pdf)


def test_render_pdf_embeds_nothing_and_fetches_nothing_foreign(
    listener, settings, recording_fetcher
):
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **template,
            "APP_DIRS": False,
            "OPTIONS": {
                **template["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"hostile.html": HOSTILE_HTML.format(port=listener.port)},
                    )
                ],
            },
        }
    ]
    pdf = render_pdf("hostile.html", {})
    assert_nothing_embedded(pdf)
    assert listener.stop() == []
    assert "/static/tdi/fonts/DejaVuSans.ttf" in recording_fetcher.served
    assert "/static/tdi/favicon.svg" in recording_fetcher.served
    assert not any("passwd" in url or "127.0.0.1" in url for url in recording_fetcher.served)
    # Only web links stay clickable: no file:, no javascript:, no attachment.
    assert link_uris(pdf) == ["https://www.prefectures-regions.gouv.fr/"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "/etc/passwd",
        "//127.0.0.1/static/tdi/favicon.svg",
        "http://127.0.0.1/static/tdi/favicon.svg",
        "https://localhost/static/tdi/favicon.svg",
        "ftp://127.0.0.1/x",
        "/static/../../../../etc/passwd",
        "/static/tdi/../../../../../etc/passwd",
        "/static/tdi/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/tdi/..%2f..%2f..%2fetc/passwd",
        "/static/tdi%5c..%5c..%5cetc%5cpasswd",
        "tdi-static:/../../etc/passwd",
        "tdi-static:/%2Fetc/passwd",
        "../../../etc/passwd",
        "/media/documents/2026/01/1-x.pdf",
        "/static/tdi/nope.css",
        "/static/",
        "data:text/html,<p>x</p>",
        "data:application/pdf;base64,JVBERi0=",
    ],
)
def test_fetcher_refuses(url):
    with pytest.raises(RefusedResource):
        StaticOnlyFetcher().fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "/static/tdi/fonts/DejaVuSans.ttf",
        "tdi/fonts/DejaVuSans.ttf",
        "tdi-static:/tdi/fonts/DejaVuSans.ttf",
        "/static/tdi/fonts/DejaVuSans.ttf?v=1#x",
    ],
)
def test_fetcher_serves_static_files(url):
    response = StaticOnlyFetcher().fetch(url)
    assert response.read() == FONT.read_bytes()


def test_fetcher_serves_small_data_images():
    response = StaticOnlyFetcher().fetch("data:image/svg+xml,%3Csvg%2F%3E")
    assert response.read() == b"<svg/>"
    assert response.content_type == "image/svg+xml"


# --- archival PDF ------------------------------------------------------------------------


def test_archival_pdf_is_pdfa_and_reproducible(funded_project):
    context = {
        "project": funded_project,
        "territory": funded_project.territory,
        "moves": [],
        "access": Access(None),  # a reader without rights: no committee passage shown
        "generated_at": date(2026, 11, 29),
    }
    first = render_pdf("projects/project_sheet_pdf.html", context, archival=True)
    second = render_pdf("projects/project_sheet_pdf.html", context, archival=True)
    reader = reader_of(first)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid" in xmp
    assert b'pdfaid:part="3"' in xmp
    assert b'pdfaid:conformance="A"' in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert first == second
