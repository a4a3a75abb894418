"""Applications to calls (candidatures): assemble, check, submit, download the dossier."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.once import sent_once
from tdi.http import forbid_unless, posted_id, redirect_after_post
from tdi.pdf import archived_pdf_response, pdf_response

from ..dossier import render_dossier_pdf
from ..forms.applications import (
    ApplicationForm,
    ApplicationItemForm,
    IncludeProjectForm,
    OutcomeForm,
    SectionAnswerForm,
)
from ..models import Application, Call, SectionAnswer
from ..versions import EditVersion, Part, last_ids, stale


@require_http_methods(["GET", "POST"])
@sent_once
def application_list(request: HttpRequest) -> HttpResponse:
    if request.territory is None:
        raise Http404("Aucun territoire")
    applications = (
        Application.objects.visible_to(request.access)
        .filter(territory=request.territory)
        .select_related("call", "applicant")
        .annotate(project_count=Count("items"))
    )
    can_manage = request.access.manages(request.territory.pk)
    form = ApplicationForm(request.POST or None, territory=request.territory)
    if request.method == "POST":
        forbid_unless(can_manage, "Seule la coordination peut créer une candidature.")
        if form.is_valid():
            application = form.save(commit=False)
            application.territory = request.territory
            application._change_reason = "Création du dossier"
            application.save()
            messages.success(request, f"Le dossier « {application} » a été créé.")
            return redirect(application)
    return render(
        request,
        "projects/application_list.html",
        {
            "applications": applications,
            "calls": Call.objects.prefetch_related("sections"),
            "form": form,
            "can_manage": can_manage,
        },
    )


def get_application(request: HttpRequest, pk: int) -> Application:
    """The application if the user may read it; otherwise 404, as for a missing id."""
    queryset = Application.objects.visible_to(request.access).select_related(
        "call", "territory", "applicant", "submitted_by"
    )
    return get_object_or_404(queryset, pk=pk)


def get_managed_application(request: HttpRequest, pk: int) -> Application:
    application = get_application(request, pk)
    application.refuse_if_frozen()
    forbid_unless(
        application.can_manage(request.user),
        "Seule la coordination du territoire peut modifier ce dossier.",
    )
    return application


def application_context(request: HttpRequest, application: Application, **overrides) -> dict:
    can_manage = application.can_manage(request.user) and not application.is_frozen
    projects = application.project_data()
    items = {item.project_id: item for item in application.items.all()}
    # The version each section was read at, in one query (projects.versions).
    last = last_ids(SectionAnswer.history.filter(application_id=application.pk), "section_id")
    sections = [
        (
            section,
            text,
            SectionAnswerForm(initial={"text": text}, prefix=section.key),
            section_version(application, section, ids=[last.get(section.pk) or 0]),
            [],  # the changes a posted section missed (see application_section)
        )
        for section, text in application.section_rows()
    ]
    context = {
        "application": application,
        "call": application.call,
        "can_manage": can_manage,
        "can_record_outcome": application.can_manage(request.user)
        and any(step.action == "outcome" for step in application.next_steps),
        "sections": sections,
        "header_version": header_version(application),
        "projects": [(data, items.get(data["project_id"])) for data in projects],
        "checklist": application.checklist(projects),
        "totals": Application.totals(projects),
        "include_form": IncludeProjectForm(application=application, prefix="inclure")
        if can_manage
        else None,
        "outcome_form": OutcomeForm(),
        "differences": application.differences_since_submission(),
        "call_closed": not application.is_frozen
        and application.call.is_closed_on(timezone.localdate()),
    }
    context["complete"] = all(check.ok for check in context["checklist"])
    context.update(overrides)
    return context


@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    form = None
    version = header_version(application)
    conflict = []
    if request.method == "POST":
        application = get_managed_application(request, pk)
        form = ApplicationForm(request.POST, instance=application, territory=application.territory)
        conflict = stale(request, version)
        if form.is_valid() and not conflict:
            application = form.save(commit=False)
            application._change_reason = "Identification du dossier modifiée"
            application.save(update_fields=list(form.fields))
            messages.success(request, "L'identification du dossier a été enregistrée.")
            return redirect(application)
    context = application_context(request, application)
    context["header_form"] = form or ApplicationForm(
        instance=application, territory=application.territory
    )
    context["header_conflict"] = conflict
    return render(
        request, "projects/application_detail.html", context, status=409 if conflict else 200
    )


def header_version(application: Application) -> EditVersion:
    fields = tuple(ApplicationForm._meta.fields)
    return EditVersion(Part("l'identification", application.history.all(), fields))


def section_version(application: Application, section, ids=None) -> EditVersion:
    answers = SectionAnswer.history.filter(application_id=application.pk, section_id=section.pk)
    return EditVersion(Part(f"la rubrique « {section.title} »", answers), ids=ids)


@require_POST
def application_section(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """Save one section (htmx); the check list is refreshed beside it."""
    application = get_managed_application(request, pk)
    section = get_object_or_404(application.call.sections, key=key)
    form = SectionAnswerForm(request.POST, prefix=section.key, section=section)
    conflict = stale(request, section_version(application, section))
    saved = form.is_valid() and not conflict
    if saved:
        answer = SectionAnswer.objects.filter(application=application, section=section).first()
        answer = answer or SectionAnswer(application=application, section=section)
        if answer.text != form.cleaned_data["text"] or answer.pk is None:
            answer.text = form.cleaned_data["text"]
            answer._change_reason = "Rubrique rédigée"
            answer.save()
    if not request.htmx and saved:
        messages.success(request, f"La rubrique « {section.title} » a été enregistrée.")
        return redirect(f"{application.get_absolute_url()}#rubrique-{section.key}")
    context = application_context(request, application)
    text = form.cleaned_data["text"] if saved else request.POST.get(f"{section.key}-text", "")
    version = section_version(application, section)  # the current one: saving again is knowing
    if not request.htmx:  # the whole page, this section as typed, with its error or conflict
        context["sections"] = [
            (s, text, form, version, conflict) if s.pk == section.pk else row
            for row in context["sections"]
            for s in row[:1]
        ]
        context["header_form"] = ApplicationForm(
            instance=application, territory=application.territory
        )
        status = 409 if conflict else 200  # a conflict, or the text refused, kept as typed
        return render(request, "projects/application_detail.html", context, status=status)
    context.update(
        section=section,
        text=text,
        form=form,
        saved=saved,
        oob=True,
        version=version,
        section_conflict=conflict,
    )
    return render(request, "projects/application_detail.html#section", context)


@require_POST
def application_projects(request: HttpRequest, pk: int) -> HttpResponse:
    """Include a project, change its requested amount or rank, or take it out."""
    application = get_managed_application(request, pk)
    action = request.POST.get("action")
    if action == "include":
        form = IncludeProjectForm(request.POST, application=application, prefix="inclure")
        if form.is_valid():
            item = application.items.model(application=application, **form.cleaned_data)
            item._change_reason = "Projet inclus dans le dossier"
            item.save()
            messages.success(request, f"Le projet « {item.project.title} » est inclus.")
            return redirect_after_post(request, f"{application.get_absolute_url()}#projets")
        context = application_context(request, application, include_form=form)
        context["header_form"] = ApplicationForm(
            instance=application, territory=application.territory
        )
        return render(request, "projects/application_detail.html", context)
    item = get_object_or_404(application.items, pk=posted_id(request, "item"))
    if action == "remove":
        item._change_reason = "Projet retiré du dossier"
        item.delete()
        messages.success(request, "Le projet a été retiré du dossier.")
    elif action == "update":
        form = ApplicationItemForm(request.POST, instance=item, prefix=f"item-{item.pk}")
        if not form.is_valid():
            errors = " ".join(e for errs in form.errors.values() for e in errs)
            messages.error(request, f"Modification non enregistrée : {errors}")
        else:
            item = form.save(commit=False)
            item._change_reason = "Aide sollicitée ou rang modifié"
            item.save()
            messages.success(request, "Le projet a été mis à jour.")
    else:
        messages.error(request, "Action inconnue.")
    return redirect_after_post(request, f"{application.get_absolute_url()}#projets")


@require_POST
def application_status(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action")
    # A submitted dossier is frozen, but its outcome is still recorded.
    application = (get_application if action == "outcome" else get_managed_application)(request, pk)
    forbid_unless(
        application.can_manage(request.user),
        "Seule la coordination du territoire peut modifier ce dossier.",
    )
    try:
        with transaction.atomic():
            if action == "ready":
                application.mark_ready(by=request.user)
                messages.success(request, "Le dossier est prêt à être déposé.")
            elif action == "draft":
                application.back_to_draft(by=request.user)
                messages.success(request, "Le dossier est revenu en brouillon.")
            elif action == "submit":
                application.submit(
                    by=request.user, late_motive=request.POST.get("late_motive", "")[:2000]
                )
                messages.success(
                    request,
                    "Le dossier est déposé : son contenu est désormais figé. Son PDF archivé (PDF/A) "
                    "est proposé sur cette page dès qu'il est produit.",
                )
            elif action == "outcome":
                form = OutcomeForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errs in form.errors.values() for e in errs])
                application.record_outcome(
                    form.cleaned_data["status"],
                    by=request.user,
                    on=form.cleaned_data["on"],
                    comment=form.cleaned_data["comment"],
                )
                messages.success(request, "La réponse a été enregistrée.")
            else:
                messages.error(request, "Action inconnue.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect_after_post(request, application.get_absolute_url())


@require_GET
def application_dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft dossier (BROUILLON mark) from live data, or the archived one once submitted."""
    application = get_application(request, pk)
    name = f"dossier-candidature-{application.pk}.pdf"
    if application.is_frozen:
        return archived_pdf_response(application.dossier_pdf, application.dossier_sha256, name)
    return pdf_response(render_dossier_pdf(application, final=False), f"brouillon-{name}")
