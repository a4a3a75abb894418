"""Committee decisions as reports read them: the decisions register (every decision the user
may read in the current territory, filtered, as a page with its htmx fragment and as a CSV
export of the same rows), and the decisions and open reserves of the portfolio's projects, now
or as of a day (the portfolio report).

Who reads which decision is AgendaItem.objects.decisions_readable_by (the filter of
Access.reads_decision); this module only filters, orders, pages and writes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from committees.models import AgendaItem, AgendaItemQuerySet, Committee, Decision, Meeting
from projects.history import end_of_day, rows_as_of
from projects.models import Axis, Reserve

from .data import PortfolioProject
from .exports import csv_lines, csv_response, neutralise, territory_label

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
@vary_on_headers("HX-Request")
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
    template = "reports/decision_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#decision-rows"
    return render(request, template, context)


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
    neutralised (exports.neutralise)."""
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


# --- the decisions and reserves of the portfolio's projects ----------------------------------


@dataclass
class DecisionRow:
    """A committee decision on a project, as the report shows it."""

    project_id: int
    meeting: Meeting
    decision: str
    motive: str
    decided_at: datetime
    project: PortfolioProject | None = None

    @property
    def label(self) -> str:
        return Decision(self.decision).label if self.decision in Decision.values else ""

    @property
    def decided_on(self) -> date:
        return timezone.localdate(self.decided_at)

    @property
    def is_positive(self) -> bool:
        return self.decision in (
            Decision.FAVORABLE,
            Decision.FAVORABLE_RESERVES,
            Decision.VALIDATED,
            Decision.VALIDATED_CONDITIONS,
            Decision.NOTED,
        )


@dataclass
class ReserveRow:
    text: str
    due_on: date | None
    is_blocking: bool
    created_at: datetime


def visible_meetings(access):
    manager = Meeting.objects
    return manager.all() if access is None else manager.visible_to(access)


def decisions_of(project_ids: list[int], *, as_of: date | None, access) -> list[DecisionRow]:
    """Every decision recorded on these projects, oldest first (two queries).

    As of a day, the agenda items are read from their history as they were at the end of that
    day (an amended decision shows as it stood then). Only the decisions the user may read are
    kept (Access.reads_decision: a partner reads those whose minutes are validated); `access`
    None is a trusted internal call.
    """
    if as_of is None:
        items = list(
            AgendaItem.objects.filter(project_id__in=project_ids, decided_at__isnull=False)
            .exclude(decision="")
            .values("project_id", "meeting_id", "decision", "motive", "decided_at")
        )
    else:
        moment = end_of_day(as_of)
        items = [
            {
                "project_id": item.project_id,
                "meeting_id": item.meeting_id,
                "decision": item.decision,
                "motive": item.motive,
                "decided_at": item.decided_at,
            }
            for item in rows_as_of(AgendaItem, moment, project_id__in=project_ids)
            if item.decision and item.decided_at and item.decided_at <= moment
        ]
    meeting_ids = {item["meeting_id"] for item in items}
    meetings = {
        m.pk: m
        for m in visible_meetings(access).filter(pk__in=meeting_ids).select_related("committee")
    }
    rows = [
        DecisionRow(
            project_id=item["project_id"],
            meeting=meetings[item["meeting_id"]],
            decision=item["decision"],
            motive=item["motive"],
            decided_at=item["decided_at"],
        )
        for item in items
        if item["meeting_id"] in meetings
        and (
            access is None
            or access.reads_decision(
                AgendaItem(project_id=item["project_id"]), meetings[item["meeting_id"]]
            )
        )
    ]
    rows.sort(key=lambda d: (d.decided_at, d.meeting.starts_at))
    return rows


def open_reserves_of(project_ids: list[int], *, as_of: date | None) -> dict[int, list[ReserveRow]]:
    """The reserves not lifted (now, or at the end of the day from the history), by project."""
    if as_of is None:
        reserves = Reserve.objects.open().filter(project_id__in=project_ids)
    else:
        moment = end_of_day(as_of)
        reserves = [
            r
            for r in rows_as_of(Reserve, moment, project_id__in=project_ids)
            if r.created_at <= moment and (r.lifted_at is None or r.lifted_at > moment)
        ]
    by_project: dict[int, list[ReserveRow]] = defaultdict(list)
    for r in sorted(reserves, key=lambda r: (r.created_at, r.id)):
        by_project[r.project_id].append(ReserveRow(r.text, r.due_on, r.is_blocking, r.created_at))
    return by_project
