"""The decisions register: every decision the user may read in the current territory, filtered,
as a page (with its htmx fragment) and as a CSV export of the same rows.

Who reads which decision is AgendaItem.objects.decisions_readable_by (the filter of
Access.reads_decision); this module only filters, orders, pages and writes them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from projects.exports import csv_lines, csv_response, neutralise, territory_label
from projects.models import Axis, Reserve
from projects.views import htmx_vary

from .models import AgendaItem, AgendaItemQuerySet, Committee, Decision

PAGE_SIZE = 25
DATE_INVALID = "Saisissez une date valide, par exemple 31/12/2026."


class DecisionFilterForm(forms.Form):
    q = forms.CharField(
        label="Rechercher",
        required=False,
        max_length=100,
        help_text="Intitulé, référence du projet ou motif.",
    )
    comite = forms.ModelChoiceField(
        label="Comité",
        required=False,
        queryset=Committee.objects.none(),
        empty_label="Tous",
        error_messages={"invalid_choice": "Ce comité est inconnu : choisissez-le dans la liste."},
    )
    decision = forms.ChoiceField(
        label="Décision",
        required=False,
        choices=[("", "Toutes")] + Decision.choices,
        error_messages={
            "invalid_choice": "Cette décision est inconnue : choisissez-la dans la liste."
        },
    )
    axe = forms.ChoiceField(
        label="Axe du projet",
        required=False,
        choices=[("", "Tous")] + Axis.choices,
        error_messages={"invalid_choice": "Cet axe est inconnu : choisissez-le dans la liste."},
    )
    du = forms.DateField(
        label="Du",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    au = forms.DateField(
        label="Au",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comite"].queryset = committees

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and start > end:
            self.add_error(
                "au", "La date de fin doit être postérieure ou égale à la date de début."
            )
        return cleaned

    def filter(self, items):
        """The items matching the filters that are valid (a wrong field is reported next to
        itself and ignored, so the page still answers)."""
        self.is_valid()
        data = self.cleaned_data
        if committee := data.get("comite"):
            items = items.filter(meeting__committee=committee)
        if decision := data.get("decision"):
            items = items.filter(decision=decision)
        if axis := data.get("axe"):
            items = items.filter(project__axis=axis)
        if start := data.get("du"):
            items = items.filter(meeting__starts_at__date__gte=start)
        if end := data.get("au"):
            items = items.filter(meeting__starts_at__date__lte=end)
        if text := (data.get("q") or "").strip():
            items = items.filter(
                Q(title__icontains=text)
                | Q(project__title__icontains=text)
                | Q(project__reference__icontains=text)
                | Q(motive__icontains=text)
            )
        return items

    def error_lines(self) -> list[str]:
        lines = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            lines.append(f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return lines


def register(request: HttpRequest) -> tuple[DecisionFilterForm, AgendaItemQuerySet]:
    """The filter form and the filtered decisions of the current territory, newest first."""
    territory = request.territory
    if territory is None:
        raise Http404("Aucun territoire")
    committees = Committee.objects.visible_to(request.access).filter(territory=territory)
    form = DecisionFilterForm(request.GET or None, committees=committees)
    items = (
        AgendaItem.objects.decisions_readable_by(request.access)
        .filter(meeting__committee__territory=territory)
        .select_related("meeting__committee", "project")
        .prefetch_related(Prefetch("reserves", queryset=Reserve.objects.order_by("pk")))
        .order_by("-meeting__starts_at", "-meeting_id", "order", "pk")
    )
    if form.is_bound:
        items = form.filter(items)
    return form, items


@require_GET
def decision_list(request: HttpRequest) -> HttpResponse:
    form, items = register(request)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for item in page.object_list:
        # A project sent back to drafting is named in the decision but not open to every reader.
        item.project_readable = item.project is not None and request.access.sees(item.project)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "committees/decision_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#decision-rows"
    return htmx_vary(render(request, template, context))


CSV_HEADER = [
    "Comité",
    "Séance",
    "Date",
    "Référence du projet",
    "Projet ou point",
    "Axe",
    "Décision",
    "Motif",
    "Réserves",
]


def csv_record(item: AgendaItem) -> list[str]:
    """One row of the export; every text that a spreadsheet would take for a formula is
    neutralised (projects.exports)."""
    meeting, project = item.meeting, item.project
    day = timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y")
    texts = [
        meeting.committee.name,
        meeting.title,
        day,
        project.reference if project else "",
        project.title if project else item.title,
        project.get_axis_display() if project else "",
        item.get_decision_display(),
        item.motive,
        " | ".join(reserve.text for reserve in item.reserves.all()),
    ]
    return [neutralise(text) for text in texts]


@require_GET
def decision_list_csv(request: HttpRequest) -> HttpResponse:
    form, items = register(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(
            "Paramètres d'export invalides.\n" + "\n".join(form.error_lines()) + "\n",
            content_type="text/plain; charset=utf-8",
        )

    def records() -> Iterator[list[str]]:
        for item in items.iterator(chunk_size=500):
            yield csv_record(item)

    day = timezone.localdate().isoformat()
    name = f"decisions-{territory_label(request.territory)}-{day}.csv"
    response = csv_response(csv_lines(CSV_HEADER, records()), name)
    add_never_cache_headers(response)
    return response
