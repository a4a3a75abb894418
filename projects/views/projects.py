"""The project pages: the territory's list, creation, the edit form (drafting or progress mode),
the project page, its sheet PDF, stage moves, archiving, and the history « as of » a day."""

from datetime import date, datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.once import sent_once
from tdi.http import forbid_unless, posted_id, redirect_after_post
from tdi.pdf import pdf_response, render_pdf

from ..forms.documents import DocumentForm
from ..forms.projects import (
    FORMSETS,
    ProgressForm,
    ProjectFilterForm,
    ProjectForm,
    StageMoveForm,
    build_formsets,
    formset_kwargs,
)
from ..forms.reserves import ReserveDecisionForm, ReserveLiftForm
from ..history import project_as_of, project_timeline
from ..middleware import SESSION_KEY
from ..models import FundingLine, Indicator, Milestone, Project, Territory
from ..versions import EditVersion, Part, keep_theirs, stale
from .lookup import edit_mode_or_403, get_project, visible_projects, with_rows


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
        "can_import": request.access.manages(request.territory.pk),
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
