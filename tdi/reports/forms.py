"""The filters of every report (dashboard, reports page, portfolio PDF, exports): read by
ReportScope from the query string."""

from collections import defaultdict
from functools import cached_property

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from projects.models import Axis, FundingLine, Organisation, Project, Stage, Territory

ALL = "tous"  # ?territoire=tous: every territory, for national readers


def check_as_of(day):
    """The day a report (or the API) is read as of: from 2000 to today."""
    if day and day.year < 2000:
        raise forms.ValidationError("Choisissez une date à partir de 2000.")
    if day and day > timezone.localdate():
        raise forms.ValidationError(
            "La situation se lit au passé : choisissez aujourd'hui ou une date antérieure."
        )
    return day


class Options(BaseChoiceIterator):
    """A filter's organisations as choices (id, name), read from the database once, when the
    list is first shown or checked (the htmx fragments of the figures show no filter)."""

    def __init__(self, organisations, empty: str) -> None:
        self.organisations, self.empty = organisations, empty

    @cached_property
    def choices(self) -> list[tuple]:
        return [("", self.empty), *self.organisations.values_list("pk", "name")]

    def __iter__(self):
        return iter(self.choices)


class ReportFilterForm(forms.Form):
    """The filters shared by the dashboard, the reports page, the portfolio PDF and exports."""

    territoire = forms.ChoiceField(label="Territoire", required=False)
    axe = forms.ChoiceField(label="Axe", required=False, choices=[("", "Tous"), *Axis.choices])
    etape = forms.ChoiceField(
        label="Étape", required=False, choices=[("", "Toutes"), *Stage.choices]
    )
    # Choices of (id, name) read as plain values: at national size a model instance per
    # intercommunality, and Django's model choice machinery, cost a fifth of the page.
    epci = forms.TypedChoiceField(
        label="Intercommunalité", required=False, coerce=int, empty_value=None
    )
    financeur = forms.TypedChoiceField(
        label="Financeur", required=False, coerce=int, empty_value=None
    )
    date = forms.DateField(
        label="Situation au",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (AAAA-MM-JJ)."},
        help_text="Laissez vide pour la situation d'aujourd'hui.",
    )

    def clean_date(self):
        return check_as_of(self.cleaned_data.get("date"))

    def __init__(
        self,
        *args,
        territories: list[Territory],
        national: bool,
        everywhere: bool = False,
        **kwargs,
    ):
        """`national`: the reader's filters offer every territory; `everywhere`: the report
        covers them all (?territoire=tous)."""
        super().__init__(*args, **kwargs)
        if national:
            # 183 territories: grouped by region, so that the list stays readable.
            by_region = defaultdict(list)
            for code, name, region in (
                Territory.objects.exclude(code=None)
                .order_by("region", "name")
                .values_list("code", "name", "region")
            ):
                by_region[region or "Autres"].append((code, name))
            self.fields["territoire"].choices = [
                ("", "Territoire courant"),
                (ALL, "Tous les territoires"),
                *by_region.items(),
            ]
        else:
            del self.fields["territoire"]
        ids = [t.pk for t in territories]
        projects, lines = Project.objects.all(), FundingLine.objects.all()
        if not everywhere:
            projects = projects.filter(territory_id__in=ids)
            lines = lines.filter(project__territory_id__in=ids)
        # The organisations that some project of the report names, each looked up in the
        # index: at national size, the funders took 23 ms as a semi-join over 100 000 lines
        # restricted to 183 territories, 1 ms thus.
        epcis = Organisation.objects.filter(
            Exists(projects.filter(epci_id=OuterRef("pk"))), kind=Organisation.Kind.EPCI
        )
        funders = Organisation.objects.filter(Exists(lines.filter(funder_id=OuterRef("pk"))))
        if len(ids) > 1:
            # Across territories, the public funders: the companies that finance their own
            # project (900 at national size) are a filter of their territory's report.
            funders = funders.exclude(kind=Organisation.Kind.COMPANY)
        for name, found, empty in (("epci", epcis, "Toutes"), ("financeur", funders, "Tous")):
            self.fields[name].choices = Options(found, empty)

    def portfolio_filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "axis": data.get("axe") or "",
            "stage": data.get("etape") or "",
            "epci": data.get("epci"),
            "funder": data.get("financeur"),
        }
