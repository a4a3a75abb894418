"""A project's documents: upload, new version, download (the current file or a version kept by
the history)."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.once import sent_once
from tdi.downloads import attachment
from tdi.http import redirect_after_post

from ..forms.documents import DocumentForm, ReplaceDocumentForm
from ..models import Document
from ..versions import EditVersion, Part, stale
from .lookup import edit_mode_or_403, get_project
from .projects import detail_context


@require_POST
@sent_once
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    edit_mode_or_403(request, project)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        document = form.save(commit=False)
        document.project = project
        document.uploaded_by = request.user
        document._change_reason = "Dépôt du document"
        document.save()
        messages.success(request, f"Le document « {document.title} » a été déposé.")
        return redirect_after_post(request, project.get_absolute_url() + "#documents")
    context = detail_context(request, project)
    context["document_form"] = form
    if request.htmx:
        return render(request, "projects/project_detail.html#document-form", context)
    return render(request, "projects/document_form.html", context, status=200)


@require_http_methods(["GET", "POST"])
def document_replace(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    project = get_project(request, pk)
    document = get_object_or_404(project.documents, pk=doc_pk)
    edit_mode_or_403(request, project)
    form = ReplaceDocumentForm(request.POST or None, request.FILES or None, instance=document)
    version = EditVersion(Part("le document", Document.history.filter(id=document.pk)))
    conflict = stale(request, version)
    if request.method == "POST" and form.is_valid() and not conflict:
        # The old file stays in storage: the previous history row still points to it.
        document = form.save(commit=False)
        document.uploaded_by = request.user
        document.uploaded_at = timezone.now()
        document._change_reason = "Nouvelle version du document"
        document.save()
        messages.success(request, f"Une nouvelle version de « {document.title} » a été déposée.")
        return redirect(project.get_absolute_url() + "#documents")
    if conflict:
        document.refresh_from_db()  # the page names the version now current
    return render(
        request,
        "projects/document_replace.html",
        {
            "project": project,
            "document": document,
            "form": form,
            "version": version,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


def serve_document(path: str, name: str, content_type: str) -> FileResponse:
    """A stored file as a download; history rows keep the path, so both go through storage."""
    try:
        handle = Document._meta.get_field("file").storage.open(path, "rb")
    except FileNotFoundError as missing:
        raise Http404("Fichier introuvable") from missing
    return attachment(handle, name, content_type)


@require_GET
def document_download(request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
    project = get_project(request, pk, details=True)
    document = get_object_or_404(project.documents, pk=doc_pk)
    return serve_document(document.file.name, document.original_name, document.content_type)


@require_GET
def document_version_download(
    request: HttpRequest, pk: int, doc_pk: int, history_id: int
) -> FileResponse:
    project = get_project(request, pk, details=True)
    version = get_object_or_404(
        Document.history.filter(project_id=project.pk, id=doc_pk), history_id=history_id
    )
    return serve_document(version.file, version.original_name, version.content_type)
