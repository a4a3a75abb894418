"""What a report covers, read once from the request for every report: the page, its htmx
fragment, the portfolio PDF and the exports.

`ReportScope.from_request` reads the territories (the current one; another the user reports on
by ?territoire=<code>; every territory with ?territoire=tous for national readers), the as-of
day and the filters, for the user's access. Out of scope answers 404 (as a missing territory);
bad input raises InvalidReport, which every report answers the same way: 400, in French.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBadRequest

from projects.access import Access, Right
from projects.history import as_of, end_of_day
from projects.models import FundingLine, Indicator, Organisation, Project, Territory
from projects.models.registry import cards_seen

from .data import PortfolioProject, portfolio, sums_in_database
from .forms import ALL, ReportFilterForm

# How long the sums of a report stay in the cache while nothing changes.
SUMS_KEPT = 3600


def data_version() -> tuple:
    """The last history row of each table the figures read (one indexed query each)."""
    return tuple(
        model.history.order_by("-history_id").values_list("history_id", flat=True).first()
        for model in (Project, FundingLine, Indicator, Organisation)
    )


class InvalidReport(ValueError):
    """Query parameters that a report cannot use; `messages` say why, in French."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages

    def response(self) -> HttpResponseBadRequest:
        """The answer of a file (PDF, export): a French text, one line per parameter."""
        return HttpResponseBadRequest(
            "Paramètres invalides.\n" + "\n".join(self.messages) + "\n",
            content_type="text/plain; charset=utf-8",
        )


@dataclass
class ReportScope:
    access: Access
    territories: list[Territory]
    national: bool  # every territory (?territoire=tous)
    form: ReportFilterForm | None  # None for a scope rebuilt by a background job
    as_of: date | None = None
    filters: dict = field(default_factory=dict)  # portfolio() keyword arguments
    # What sums() found, for the rest of the request (the figures, then the summaries).
    found_sums: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_request(cls, request: HttpRequest) -> ReportScope:
        """The scope asked for; Http404 out of scope. Check `errors` (pages show them next to
        the filters) or call `check()` (files answer InvalidReport)."""
        access = request.access
        territories, national = requested_territories(request)
        form = ReportFilterForm(
            request.GET or None,
            territories=territories,
            national=access.reports_nationally,
            everywhere=national,
        )
        scope = cls(access=access, territories=territories, national=national, form=form)
        if form.is_bound and form.is_valid():
            scope.as_of = form.cleaned_data.get("date")
            scope.filters = form.portfolio_filters()
        return scope

    def job_parameters(self, file_name: str) -> dict:
        """What a background job (ReportJob.parameters) keeps of the scope: of_job() reads it
        back in the worker, with the access of the job's author."""
        return {
            "territories": "all" if self.national else [t.pk for t in self.territories],
            "territory_names": ["Tous les territoires"]
            if self.national
            else [t.name for t in self.territories],
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "filters": {k: v for k, v in self.filters.items() if v not in ("", None)},
            "file_name": file_name,
        }

    @classmethod
    def of_job(cls, parameters: dict, user) -> ReportScope:
        """The scope a job was asked for (job_parameters), for its author as they are now."""
        national = parameters.get("territories") == "all"
        territories = Territory.objects.order_by("name")
        if not national:
            territories = territories.filter(pk__in=parameters["territories"])
        as_of = parameters.get("as_of")
        return cls(
            access=Access.of(user),
            territories=list(territories),
            national=national,
            form=None,
            as_of=date.fromisoformat(as_of) if as_of else None,
            filters=parameters.get("filters", {}),
        )

    @property
    def errors(self) -> list[str]:
        form = self.form
        if form is None or not form.is_bound or form.is_valid():
            return []
        return [
            f"{form.fields[name].label if name in form.fields else name} : {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]

    def check(self) -> ReportScope:
        if errors := self.errors:
            raise InvalidReport(errors)
        return self

    @property
    def single(self) -> Territory | None:
        """The one territory of the report, None for several or the national one."""
        return self.territories[0] if len(self.territories) == 1 and not self.national else None

    def rows(self) -> list[PortfolioProject]:
        """The portfolio of the scope, as the user may see it."""
        return portfolio(self.territories, as_of=self.as_of, access=self.access, **self.filters)

    def iter_rows(self, per_part: int = 10, progress=None) -> Iterator[PortfolioProject]:
        """The rows ten territories at a time, for the exports: the first line of a national
        file leaves before the last territory is read, and memory holds one part.
        `progress(percent)` is told after each part (a background job's progress bar)."""
        territories = self.territories
        for start in range(0, len(territories), per_part):
            part = territories[start : start + per_part]
            yield from portfolio(part, as_of=self.as_of, access=self.access, **self.filters)
            if progress is not None:
                progress(5 + 85 * min(start + per_part, len(territories)) // len(territories))

    def sums(self) -> tuple[dict, dict[int, dict]]:
        """A report of several territories: its figures and its sums by territory, added up by
        the database (data.sums_in_database), its projects never loaded: today from the
        tables, as of a past day from the history's rows. Kept in the cache until the data
        changes: every change of a project, funding line, indicator or organisation writes a
        history row, whose id is part of the key; at national size the sums take 0.2 s of the
        database today and 0.5 s as of a past day, and a reader who comes back, or the next
        national reader, gets them at once."""
        if self.found_sums is not None:
            return self.found_sums
        access = self.access
        reader = (access.national, sorted(access.roles.items()), sorted(access.led))
        scope = "all" if self.national else [t.pk for t in self.territories]
        wanted = (scope, self.as_of, sorted(self.filters.items()), reader, data_version())
        key = "tdi-report-sums:" + hashlib.sha256(repr(wanted).encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            found = sums_in_database(*self.sources())
            cache.set(key, found, timeout=SUMS_KEPT)
        self.found_sums = found
        return found

    def sources(self) -> tuple[QuerySet, Q, QuerySet, QuerySet]:
        """What the report adds up, filtered as portfolio() filters its rows (Access.sees and
        Access.sees_details, as filters): the projects counted, the filter of those whose
        details the reader sees, and the funding lines and indicators of these. Today the
        tables; as of a past day the history rows that describe each object then
        (projects.history.as_of), whose fields have the same names."""
        access, wanted = self.access, self.filters
        if self.as_of is None:
            projects, lines, indicators = Project.objects, FundingLine.objects, Indicator.objects
        else:
            moment = end_of_day(self.as_of)
            projects, lines, indicators = (
                as_of(model, moment) for model in (Project, FundingLine, Indicator)
            )
        projects = projects.filter(
            cards_seen(access),
            territory_id__in=[t.pk for t in self.territories],
            is_archived=False,
        )
        if wanted.get("axis"):
            projects = projects.filter(axis=wanted["axis"])
        if wanted.get("stage"):
            projects = projects.filter(stage=wanted["stage"])
        if wanted.get("epci") is not None:
            projects = projects.filter(epci_id=wanted["epci"])
        details = access.q(Right.DETAILS) | Q(id__in=access.led)
        if wanted.get("funder") is not None:
            # Only the projects it funds, as far as the reader sees their funding plan.
            funded = lines.filter(funder_id=wanted["funder"]).values("project_id")
            projects = projects.filter(details, id__in=funded)
        seen = projects.filter(details).values("id")
        return (
            projects,
            details,
            lines.filter(project_id__in=seen),
            indicators.filter(project_id__in=seen),
        )


def requested_territories(request: HttpRequest) -> tuple[list[Territory], bool]:
    """The territories a report covers and whether it is the national one; 404 out of scope.

    Without `territoire`: the current territory. With it: a territory by national code, which
    must be one the user reports on (another territory answers 404, as a missing one); national
    readers and admins may name any territory, or all of them with `territoire=tous`.
    """
    access = request.access
    wanted = request.GET.get("territoire", "").strip()
    if not wanted:
        if request.territory is None:
            raise Http404("Aucun territoire.")
        return [request.territory], False
    if wanted == ALL:
        if not access.reports_nationally:
            raise Http404("Le rapport national est réservé aux lecteurs nationaux.")
        return list(Territory.objects.order_by("name")), True
    territory = Territory.objects.filter(code=wanted).first()
    if territory is None or not access.reports_on(territory.pk):
        raise Http404("Territoire introuvable.")
    return [territory], False
