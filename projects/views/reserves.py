"""The lift of a reserve: the lead proposes it with a proof, the coordination accepts or refuses
it (or lifts it directly)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from tdi.http import forbid_unless, redirect_after_post

from ..forms.reserves import ReserveDecisionForm, ReserveLiftForm
from ..history import project_timeline
from ..models import Project, Reserve
from .lookup import get_project, with_rows
from .projects import detail_context


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
