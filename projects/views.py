from datetime import date, datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.once import sent_once
from tdi.downloads import attachment
from tdi.http import forbid_unless, posted_id, redirect_after_post
from tdi.pdf import pdf_response, render_pdf

from .access import Right
from .forms import (
    FORMSETS,
    DocumentForm,
    ProgressForm,
    ProjectFilterForm,
    ProjectForm,
    ReplaceDocumentForm,
    ReserveDecisionForm,
    ReserveLiftForm,
    StageMoveForm,
    build_formsets,
    formset_kwargs,
)
from .history import project_as_of, project_timeline
from .middleware import SESSION_KEY
from .models import Document, FundingLine, Indicator, Milestone, Project, Reserve, Territory
from .versions import EditVersion, Part, keep_theirs, stale


def visible_projects(request: HttpRequest):
    return Project.objects.visible_to(request.access)


def get_project(request: HttpRequest, pk: int, *, details: bool = False) -> Project:
    """The project if the user may see it (otherwise 404, exactly as for a missing id); with
    `details`, 403 unless they may also read its funding plan, documents and history."""
    queryset = visible_projects(request).select_related("territory", "lead_organisation", "epci")
    project = get_object_or_404(queryset, pk=pk)
    if details:
        forbid_unless(request.access.sees_details(project), request.access.why_not(Right.DETAILS))
    return project


def edit_mode_or_403(request: HttpRequest, project: Project) -> str:
    """How the user may edit the project ('full', 'progress'), or a 403 that says why not."""
    mode = request.access.edit_mode(project)
    if mode is None:
        raise PermissionDenied(request.access.why_not_edit(project))
    return mode


@require_POST
def territory_switch(request: HttpRequest) -> HttpResponse:
    territories = Territory.objects.reachable_by(request.access)
    territory = get_object_or_404(territories, pk=posted_id(request, "territory"))
    request.session[SESSION_KEY] = territory.pk
    messages.success(request, f"Vous travaillez désormais sur le territoire {territory}.")
    return redirect("dashboard")


@require_GET
@vary_on_headers("HX-Request")
def project_list(request: HttpRequest) -> HttpResponse:
    if request.territory is None:
        raise Http404("Aucun territoire")
    projects = visible_projects(request).filter(territory=request.territory)
    form = ProjectFilterForm(request.GET or None, projects=projects)
    filtered = form.filter(projects).select_related("lead_organisation")
    page = Paginator(filtered, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_create": request.access.creates_projects(request.territory.pk),
    }
    template = "projects/project_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#project-results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@sent_once
def project_create(request: HttpRequest) -> HttpResponse:
    territory = request.territory
    forbid_unless(
        territory is not None and request.access.creates_projects(territory.pk),
        "Seuls la coordination et les porteurs de projet peuvent créer un projet.",
    )
    project = Project(territory=territory)
    membership_org = (
        request.user.memberships.filter(territory=territory)
        .values_list("organisation", flat=True)
        .first()
    )
    is_coordinator = request.access.manages(territory.pk)
    if request.method == "POST":
        form = ProjectForm(
            request.POST, instance=project, territory=territory, can_assign_leads=is_coordinator
        )
        formsets = build_formsets("full", project, request.POST)
        if form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
            leads = [] if is_coordinator else [request.user]
            project = save_project(form, formsets, "Création du projet", add_leads=leads)
            messages.success(request, f"Le projet {project.reference} a été créé.")
            return redirect(project)
    else:
        form = ProjectForm(
            instance=project,
            territory=territory,
            can_assign_leads=is_coordinator,
            initial={"lead_organisation": membership_org},
        )
        formsets = build_formsets("full", project)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "formsets": formsets,
            "project": None,
            "mode": "full",
            "has_errors": request.method == "POST",
        },
    )


@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    mode = edit_mode_or_403(request, project)
    is_coordinator = request.access.manages(project.territory_id)
    form_class = ProjectForm if mode == "full" else ProgressForm
    extra = (
        {"territory": project.territory, "can_assign_leads": is_coordinator}
        if mode == "full"
        else {}
    )
    version = project_version(project, form_class._meta.fields)
    conflict = stale(request, version)
    valid = True
    if request.method == "POST":
        form = form_class(request.POST, instance=project, **extra)
        formsets = build_formsets(mode, project, request.POST)
        valid = form.is_valid() and all(fs.is_valid() for fs in formsets.values())
        if valid and not conflict:
            save_project(form, formsets, "Modification du projet")
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect(project)
        if conflict:  # what they did not touch shows the record as it now is
            form = keep_theirs(form, version, request.POST.get("version"))
    else:
        form = form_class(instance=project, **extra)
        formsets = build_formsets(mode, project)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "formsets": formsets,
            "project": project,
            "mode": mode,
            "has_errors": not valid,
            "version": version,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


def project_version(project: Project, fields) -> EditVersion:
    """What an edit form of the project was opened on: its fields and its rows."""
    return EditVersion(
        Part("le projet", project.history.all(), tuple(fields)),
        Part("le plan de financement", FundingLine.history.filter(project_id=project.pk)),
        Part("les indicateurs", Indicator.history.filter(project_id=project.pk)),
        Part("les jalons", Milestone.history.filter(project_id=project.pk)),
    )


def save_project(form, formsets, reason: str, add_leads=()) -> Project:
    """Save the project and its rows atomically, one history row per changed object.

    The many-to-many fields are written without history, then the project is saved once more so
    that its single history row holds both the field and the relation changes.
    """
    project = form.instance
    with transaction.atomic():
        if project.pk is not None:
            # The workflow owns these columns: keep what a concurrent move or archive wrote.
            current = Project.objects.select_for_update().get(pk=project.pk)
            project.stage, project.is_archived = current.stage, current.is_archived
        if form.has_changed() or project.pk is None:
            project = form.save(commit=False)
            project.skip_history_when_saving = True
            project.save()
            form.save_m2m()
            project.lead_users.add(*add_leads)
            del project.skip_history_when_saving
            project._change_reason = reason
            project.save()
        for formset in formsets.values():
            formset.instance = project
            formset.save()
    return project


@require_GET
def formset_row(request: HttpRequest, prefix: str) -> HttpResponse:
    """An empty row for an editable table of the project form (htmx "add a row")."""
    if prefix not in FORMSETS or not request.htmx:
        raise Http404
    total_key = f"{prefix}-TOTAL_FORMS"
    try:
        index = max(0, min(int(request.GET.get(total_key, "0")), 199))
    except ValueError:
        index = 0
    # The row offers the organisations of the edited project's territory (of the current
    # territory for a new project), and the fields the person may fill in on that project
    # (and, past drafting, the row a lead may add: no « remove » box).
    mode = "full"
    if project_id := request.GET.get("projet"):
        try:
            project = get_project(request, int(project_id))
        except ValueError:
            raise Http404("Identifiant invalide") from None
        territory, mode = project.territory, edit_mode_or_403(request, project)
    else:
        territory = request.territory
    if territory is None:
        raise Http404
    formset_class = FORMSETS[prefix][0 if mode == "full" else 1]
    if formset_class is None:
        raise Http404
    form = formset_class(prefix=prefix, **formset_kwargs(formset_class, territory)).empty_form
    form.prefix = f"{prefix}-{index}"
    return render(
        request,
        "projects/project_form.html#formset-row",
        {"row": form, "prefix": prefix, "new_total": index + 1, "oob": True},
    )


def detail_context(request: HttpRequest, project: Project) -> dict:
    access = request.access
    edit_mode = access.edit_mode(project)
    sees_details = access.sees_details(project)
    reserves = project.reserves.all() if sees_details else ()
    return {
        "project": project,
        "sees_details": sees_details,
        "edit_mode": edit_mode,
        "move_form": StageMoveForm(project=project, user=access)
        if project.allowed_moves(access)
        else None,
        "can_archive": access.manages(project.territory_id),
        "document_form": DocumentForm() if edit_mode else None,
        # The lead proposes a lift with a proof; the coordination lifts directly, or answers
        # the proposal pending.
        "lift_forms": {
            reserve.pk: ReserveLiftForm(project=project, prefix=f"reserve-{reserve.pk}")
            for reserve in reserves
            if access.may_propose_lift(reserve)
            or (access.may_decide_lift(reserve) and not reserve.is_lift_proposed)
        },
        "lifts_directly": access.manages(project.territory_id),
        "decision_forms": {
            reserve.pk: ReserveDecisionForm(prefix=f"reserve-{reserve.pk}")
            for reserve in reserves
            if reserve.is_lift_proposed and access.may_decide_lift(reserve)
        },
    }


def with_rows_of(projects):
    """The projects with their people, funding plan, indicators, milestones, documents and
    reserves (the sheet's rows), in a fixed number of queries."""
    return projects.select_related("territory", "lead_organisation", "epci").prefetch_related(
        "lead_users",
        "partners",
        Prefetch("funding_lines", FundingLine.objects.select_related("funder")),
        "indicators",
        "milestones",
        Prefetch("documents", Document.objects.select_related("uploaded_by")),
        Prefetch(
            "reserves",
            Reserve.objects.select_related(
                "owner", "lifted_by", "proof_document", "proposed_by", "proposed_document"
            ),
        ),
    )


def with_rows(project: Project) -> Project:
    """The project again, with its rows (with_rows_of)."""
    return with_rows_of(Project.objects.filter(pk=project.pk)).get()


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = with_rows(get_project(request, pk))
    context = detail_context(request, project)
    context["timeline"] = project_timeline(project, limit=8)
    return render(request, "projects/project_detail.html", context)


@require_GET
def project_sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    project = with_rows(get_project(request, pk, details=True))
    moves = [entry for entry in project_timeline(project) if entry.stage_move][:10]
    pdf = render_pdf(
        "projects/project_sheet_pdf.html",
        {
            "project": project,
            "territory": project.territory,
            "moves": moves,
            "access": request.access,
            "generated_at": timezone.localdate(),
        },
    )
    return pdf_response(pdf, f"fiche-{project.reference}.pdf")


@require_POST
def project_move(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    forbid_unless(
        bool(project.allowed_moves(request.access)),
        "Vous ne pouvez pas changer l'étape de ce projet.",
    )
    form = StageMoveForm(request.POST, project=project, user=request.user)
    if form.is_valid():
        try:
            project.move_to(
                form.cleaned_data["stage"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.is_valid():
        messages.success(
            request, f"Le projet est passé à l'étape « {project.get_stage_display()} »."
        )
        return redirect_after_post(request, project.get_absolute_url())
    context = detail_context(request, project)
    context["move_form"] = form
    if request.htmx:
        return render(request, "projects/project_detail.html#stage-panel", context)
    messages.error(
        request,
        "Le changement d'étape n'a pas été enregistré : "
        + " ".join(str(e) for errors in form.errors.values() for e in errors),
    )
    return redirect(project)


@require_POST
def project_archive(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk)
    forbid_unless(
        request.access.manages(project.territory_id),
        "Seule la coordination peut archiver un projet.",
    )
    if project.is_archived:
        project.restore(by=request.user)
        messages.success(request, "Le projet a été désarchivé.")
    else:
        project.archive(by=request.user, reason=request.POST.get("reason", "").strip()[:500])
        messages.success(
            request, "Le projet a été archivé ; il reste consultable avec son historique."
        )
    return redirect(project)


def parse_as_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@require_GET
def project_history(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project(request, pk, details=True)
    raw_date = request.GET.get("date")
    as_of = parse_as_of(raw_date)
    context = {"project": project, "date_error": bool(raw_date) and as_of is None}
    if as_of:
        end_of_day = timezone.make_aware(datetime.combine(as_of, time.max))
        context["as_of"] = as_of
        context["snapshot"] = project_as_of(project, end_of_day)
    context["timeline"] = project_timeline(project)
    return render(request, "projects/project_history.html", context)


# --- documents ---------------------------------------------------------------------------


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


@require_POST
def reserve_lift(request: HttpRequest, pk: int, reserve_pk: int) -> HttpResponse:
    """The lead proposes the lift of a reserve with a proof; the coordination lifts it directly."""
    project = with_rows(get_project(request, pk))
    reserve = get_object_or_404(project.reserves.all(), pk=reserve_pk)
    access = request.access
    if access.manages(project.territory_id):
        forbid_unless(access.may_decide_lift(reserve), access.why_not_decide_lift(reserve))
        act, done = reserve.lift, "La réserve est levée."
    else:
        forbid_unless(access.may_propose_lift(reserve), access.why_not_propose_lift(reserve))
        act, done = reserve.propose_lift, "La levée est proposée à la coordination."
    form = ReserveLiftForm(request.POST, project=project, prefix=f"reserve-{reserve.pk}")
    if form.is_valid():
        try:
            act(
                by=request.user,
                proof=form.cleaned_data["proof"],
                document=form.cleaned_data["document"],
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.is_valid():
        messages.success(request, done)
        return redirect_after_post(request, project.get_absolute_url() + "#reserves")
    return reserve_form_response(request, project, reserve, "lift_forms", form)


@require_POST
def reserve_lift_decide(request: HttpRequest, pk: int, reserve_pk: int) -> HttpResponse:
    """The coordination accepts the lift proposed for a reserve, or refuses it with a motive."""
    project = with_rows(get_project(request, pk))
    reserve = get_object_or_404(project.reserves.all(), pk=reserve_pk)
    access = request.access
    forbid_unless(access.may_decide_lift(reserve), access.why_not_decide_lift(reserve))
    form = ReserveDecisionForm(request.POST, prefix=f"reserve-{reserve.pk}")
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            (reserve.accept_lift if accept else reserve.refuse_lift)(
                by=request.user, motive=form.cleaned_data["motive"]
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.is_valid():
        messages.success(request, "La réserve est levée." if accept else "La levée est refusée.")
        return redirect_after_post(request, project.get_absolute_url() + "#reserves")
    return reserve_form_response(request, project, reserve, "decision_forms", form)


def reserve_form_response(
    request: HttpRequest,
    project: Project,
    reserve: Reserve,
    forms_key: str,
    form: ReserveLiftForm | ReserveDecisionForm,
) -> HttpResponse:
    """A lift form that failed, with its message: the reserve for htmx, else the page."""
    reserve.refresh_from_db()  # as stored: a refused step left nothing in the database
    context = detail_context(request, project)
    context[forms_key][reserve.pk] = form
    context["reserve"] = reserve
    if request.htmx:
        return render(request, "projects/project_detail.html#reserve", context)
    context["timeline"] = project_timeline(project, limit=8)
    return render(request, "projects/project_detail.html", context)
