import html

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Document, Project, Stage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
NEW_PDF_BYTES = PDF_BYTES.replace(b"595 842", b"842 595") + b"% version 2\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01" + b"\x00" * 512
MZ_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 512


def upload_url(project_id: int) -> str:
    return f"/projets/{project_id}/documents/"


def download_url(project_id: int, doc_id: int) -> str:
    return f"/projets/{project_id}/documents/{doc_id}/"


def replace_url(project_id: int, doc_id: int) -> str:
    return f"/projets/{project_id}/documents/{doc_id}/remplacer/"


def version_url(project_id: int, doc_id: int, history_id: int) -> str:
    return f"/projets/{project_id}/documents/{doc_id}/versions/{history_id}/"


def pdf_upload(name: str = "devis.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def body_of(response) -> bytes:
    # Consume the stream through the test client's wrapper: calling response.close() here would
    # send request_finished outside the client and close the test's database connection.
    return b"".join(response.streaming_content)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def stored_files() -> list:
    media = settings.MEDIA_ROOT
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def set_stage(project: Project, stage: str) -> Project:
    project.stage = stage
    project.save()
    return project


@pytest.fixture
def drafting_project(project):
    return set_stage(project, Stage.DRAFTING)


def make_document(project: Project, user, content: bytes = PDF_BYTES) -> Document:
    return Document.objects.create(
        project=project,
        title="Devis de l'entreprise",
        kind=Document.Kind.QUOTE,
        file=ContentFile(content, name="upload.pdf"),
        original_name="devis.pdf",
        content_type="application/pdf",
        size=len(content),
        uploaded_by=user,
    )


@pytest.fixture
def document(project, users):
    return make_document(project, users["coordinator"])


# --- upload: allowed ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["coordinator", "lead"])
def test_upload_pdf_saves_document_with_detected_metadata(
    client_for, users, drafting_project, name
):
    response = client_for(name).post(
        upload_url(drafting_project.pk),
        {"title": "Devis de l'entreprise", "kind": "quote", "file": pdf_upload()},
    )

    assert response.status_code == 302
    assert response.url == f"/projets/{drafting_project.pk}/#documents"
    document = Document.objects.get(project=drafting_project)
    assert document.title == "Devis de l'entreprise"
    assert document.kind == Document.Kind.QUOTE
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF_BYTES)
    assert document.original_name == "devis.pdf"
    assert document.uploaded_by == users[name]
    # The stored name never reuses the uploaded one.
    assert "devis" not in document.file.name
    assert document.file.name.endswith(".pdf")
    with document.file.open("rb") as handle:
        assert handle.read() == PDF_BYTES
    history = list(document.history.all())
    assert len(history) == 1
    assert history[0].history_type == "+"
    assert history[0].history_user == users[name]
    assert history[0].history_change_reason == "Dépôt du document"


def test_htmx_upload_success_is_not_a_plain_redirect(client_for, drafting_project, htmx_headers):
    response = client_for("coordinator").post(
        upload_url(drafting_project.pk),
        {"title": "Devis", "kind": "quote", "file": pdf_upload()},
        **htmx_headers,
    )

    assert Document.objects.filter(project=drafting_project).count() == 1
    assert not 300 <= response.status_code < 400
    assert response.has_header("HX-Redirect") or response.has_header("HX-Location")


# --- upload: forbidden -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["member", "partner", "other_lead"])
def test_upload_forbidden_for_roles_without_document_rights(client_for, project, name):
    response = client_for(name).post(
        upload_url(project.pk), {"title": "Devis", "kind": "quote", "file": pdf_upload()}
    )

    assert response.status_code == 403
    # The reason: who edits the project, its documents included.
    assert "Seuls les porteurs de ce projet et la coordination du territoire" in text_of(response)
    assert Document.objects.count() == 0


def test_upload_forbidden_for_lead_once_project_is_submitted(client_for, project):
    response = client_for("lead").post(
        upload_url(project.pk), {"title": "Devis", "kind": "quote", "file": pdf_upload()}
    )

    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_upload_to_other_territory_project_is_404(client_for, project):
    response = client_for("stranger").post(
        upload_url(project.pk), {"title": "Devis", "kind": "quote", "file": pdf_upload()}
    )

    assert response.status_code == 404
    assert Document.objects.count() == 0


def test_upload_to_missing_project_is_404(client_for, project):
    response = client_for("coordinator").post(
        upload_url(project.pk + 1000), {"title": "Devis", "kind": "quote", "file": pdf_upload()}
    )

    assert response.status_code == 404


def test_upload_anonymous_is_redirected_to_login(client_for, drafting_project):
    url = upload_url(drafting_project.pk)
    response = client_for(None).post(url, {"title": "Devis", "kind": "quote", "file": pdf_upload()})

    assert response.status_code == 302
    assert response.url.startswith("/connexion/?next=")
    assert Document.objects.count() == 0


# --- upload: bad input -------------------------------------------------------------------

BAD_UPLOADS = {
    "too_big": (
        lambda: SimpleUploadedFile(
            "rapport.pdf", b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024), "application/pdf"
        ),
        "limite",
    ),
    "elf_renamed_pdf": (lambda: pdf_upload("rapport.pdf", ELF_BYTES), "n'est pas accepté"),
    "windows_exe_renamed_pdf": (
        lambda: pdf_upload("rapport.pdf", MZ_BYTES),
        "n'est pas accepté",
    ),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_is_refused_with_french_message(
    client_for, drafting_project, htmx_headers, case, htmx
):
    make_file, message = BAD_UPLOADS[case]
    headers = htmx_headers if htmx else {}

    response = client_for("coordinator").post(
        upload_url(drafting_project.pk),
        {"title": "Rapport", "kind": "study", "file": make_file()},
        **headers,
    )

    assert response.status_code == 200
    content = text_of(response)
    assert message in content
    assert 'id="document-form"' in content
    assert "Le document n'a pas été déposé" in content
    assert ("<html" in content) is not htmx
    assert Document.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_upload_without_title_is_refused(client_for, drafting_project, htmx_headers, htmx):
    headers = htmx_headers if htmx else {}

    response = client_for("coordinator").post(
        upload_url(drafting_project.pk),
        {"title": "", "kind": "quote", "file": pdf_upload()},
        **headers,
    )

    assert response.status_code == 200
    content = text_of(response)
    assert 'id="document-form"' in content
    assert "Ce champ est obligatoire." in content
    assert ("<html" in content) is not htmx
    assert Document.objects.count() == 0
    assert stored_files() == []


def test_upload_without_file_is_refused(client_for, drafting_project):
    response = client_for("coordinator").post(
        upload_url(drafting_project.pk), {"title": "Devis", "kind": "quote"}
    )

    assert response.status_code == 200
    assert "Ce champ est obligatoire." in text_of(response)
    assert Document.objects.count() == 0


# --- download ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["coordinator", "lead", "member", "partner", "admin"])
def test_download_serves_the_file_as_attachment(client_for, project, document, name):
    response = client_for(name).get(download_url(project.pk, document.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="devis.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body_of(response) == PDF_BYTES


def test_download_by_other_territory_is_404(client_for, project, document):
    response = client_for("stranger").get(download_url(project.pk, document.pk))

    assert response.status_code == 404


def test_download_anonymous_is_redirected_to_login(client_for, project, document):
    url = download_url(project.pk, document.pk)
    response = client_for(None).get(url)

    assert response.status_code == 302
    assert response.url == f"/connexion/?next={url}"


def test_download_of_another_projects_document_through_this_project_is_404(
    client_for, territory, users, project, document
):
    other = ProjectFactory(territory=territory)
    response = client_for("coordinator").get(download_url(other.pk, document.pk))

    assert response.status_code == 404


def test_download_missing_document_is_404(client_for, project, document):
    response = client_for("coordinator").get(download_url(project.pk, document.pk + 1000))

    assert response.status_code == 404


def test_download_of_private_project_document_is_404_for_member(client_for, project, document):
    set_stage(project, Stage.IDEA)

    assert client_for("member").get(download_url(project.pk, document.pk)).status_code == 404
    assert client_for("partner").get(download_url(project.pk, document.pk)).status_code == 404
    assert client_for("other_lead").get(download_url(project.pk, document.pk)).status_code == 404
    response = client_for("lead").get(download_url(project.pk, document.pk))
    assert response.status_code == 200
    assert body_of(response) == PDF_BYTES


def test_download_with_missing_file_is_404(client_for, project, document):
    document.file.storage.delete(document.file.name)

    response = client_for("coordinator").get(download_url(project.pk, document.pk))

    assert response.status_code == 404


# --- replace and versions ----------------------------------------------------------------


def replace_with_new_version(client, project: Project, document: Document):
    """Post a second version; return the (old, new) history rows of the document."""
    response = client.post(
        replace_url(project.pk, document.pk), {"file": pdf_upload("devis-v2.pdf", NEW_PDF_BYTES)}
    )
    assert response.status_code == 302
    old, new = document.history.order_by("history_id")
    return old, new


def test_replace_serves_new_version_and_history_links_both(client_for, users, project, document):
    client = client_for("coordinator")

    old, new = replace_with_new_version(client, project, document)

    document.refresh_from_db()
    assert document.original_name == "devis-v2.pdf"
    assert document.size == len(NEW_PDF_BYTES)
    assert document.title == "Devis de l'entreprise"
    assert body_of(client.get(download_url(project.pk, document.pk))) == NEW_PDF_BYTES
    assert new.history_change_reason == "Nouvelle version du document"
    assert new.history_user == users["coordinator"]
    # The old file stays in storage, under its own name.
    assert old.file != new.file
    assert document.file.storage.exists(old.file)

    history_page = client.get(f"/projets/{project.pk}/historique/")
    assert history_page.status_code == 200
    content = history_page.content.decode()
    assert version_url(project.pk, document.pk, old.history_id) in content
    assert version_url(project.pk, document.pk, new.history_id) in content


def test_previous_version_stays_downloadable_after_replace(client_for, project, document):
    client = client_for("coordinator")
    old, new = replace_with_new_version(client, project, document)

    response = client.get(version_url(project.pk, document.pk, old.history_id))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="devis.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response) == PDF_BYTES
    response = client.get(version_url(project.pk, document.pk, new.history_id))
    assert body_of(response) == NEW_PDF_BYTES


def test_previous_version_readable_by_member(client_for, project, document):
    old, _new = replace_with_new_version(client_for("coordinator"), project, document)

    response = client_for("member").get(version_url(project.pk, document.pk, old.history_id))

    assert response.status_code == 200
    assert body_of(response) == PDF_BYTES


def test_replace_page_shows_the_current_version_not_its_storage_path(client_for, project, document):
    response = client_for("coordinator").get(replace_url(project.pk, document.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nouvelle version" in text_of(response)
    # Its name, links to the download the site serves, sizes in Mo, never the storage path.
    download = f'href="/projets/{project.pk}/documents/{document.pk}/"'
    assert download in page and document.original_name in page
    assert "20\u00a0Mo au plus" in page and "Mio" not in page
    assert "Actuellement" not in page and document.file.name not in page and "/media/" not in page


def test_replace_with_executable_is_refused(client_for, project, document):
    response = client_for("coordinator").post(
        replace_url(project.pk, document.pk), {"file": pdf_upload("v2.pdf", ELF_BYTES)}
    )

    assert response.status_code == 200
    assert "n'est pas accepté" in text_of(response)
    document.refresh_from_db()
    assert document.original_name == "devis.pdf"
    assert document.history.count() == 1


@pytest.mark.parametrize("name", ["member", "partner", "other_lead"])
def test_replace_forbidden_for_roles_without_document_rights(client_for, project, document, name):
    client = client_for(name)

    assert client.get(replace_url(project.pk, document.pk)).status_code == 403
    response = client.post(
        replace_url(project.pk, document.pk), {"file": pdf_upload("v2.pdf", NEW_PDF_BYTES)}
    )

    assert response.status_code == 403
    document.refresh_from_db()
    assert document.original_name == "devis.pdf"
    assert document.history.count() == 1


def test_replace_by_other_territory_is_404(client_for, project, document):
    response = client_for("stranger").post(
        replace_url(project.pk, document.pk), {"file": pdf_upload("v2.pdf", NEW_PDF_BYTES)}
    )

    assert response.status_code == 404
    assert document.history.count() == 1


def test_replace_anonymous_is_redirected_to_login(client_for, project, document):
    response = client_for(None).post(
        replace_url(project.pk, document.pk), {"file": pdf_upload("v2.pdf", NEW_PDF_BYTES)}
    )

    assert response.status_code == 302
    assert response.url.startswith("/connexion/?next=")


def test_version_by_other_territory_is_404(client_for, project, document):
    history_id = document.history.get().history_id

    response = client_for("stranger").get(version_url(project.pk, document.pk, history_id))

    assert response.status_code == 404


def test_version_anonymous_is_redirected_to_login(client_for, project, document):
    history_id = document.history.get().history_id

    response = client_for(None).get(version_url(project.pk, document.pk, history_id))

    assert response.status_code == 302
    assert response.url.startswith("/connexion/?next=")


def test_version_of_another_projects_document_is_404(client_for, territory, project, document):
    other = ProjectFactory(territory=territory)
    history_id = document.history.get().history_id

    response = client_for("coordinator").get(version_url(other.pk, document.pk, history_id))

    assert response.status_code == 404


def test_version_with_mismatched_document_id_is_404(client_for, users, project, document):
    second = make_document(project, users["coordinator"], NEW_PDF_BYTES)
    history_id = document.history.get().history_id

    response = client_for("coordinator").get(version_url(project.pk, second.pk, history_id))

    assert response.status_code == 404


def test_version_of_private_project_is_404_for_member(client_for, project, document):
    history_id = document.history.get().history_id
    set_stage(project, Stage.DRAFTING)

    response = client_for("member").get(version_url(project.pk, document.pk, history_id))

    assert response.status_code == 404
