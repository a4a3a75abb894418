"""The filters of every report (dashboard, reports page, portfolio PDF, exports): read by
ReportScope from the query string."""

from collections import defaultdict

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

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


class ReportFilterForm(forms.Form):
    """The filters shared by the dashboard, the reports page, the portfolio PDF and exports."""

    territoire = forms.ChoiceField(label="Territoire", required=False)
    axe = forms.ChoiceField(label="Axe", required=False, choices=[("", "Tous"), *Axis.choices])
    etape = forms.ChoiceField(
        label="Étape", required=False, choices=[("", "Toutes"), *Stage.choices]
    )
    epci = forms.ModelChoiceField(
        label="Intercommunalité",
        required=False,
        queryset=Organisation.objects.none(),
        empty_label="Toutes",
    )
    financeur = forms.ModelChoiceField(
        label="Financeur",
        required=False,
        queryset=Organisation.objects.none(),
        empty_label="Tous",
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
        self.fields["epci"].queryset = Organisation.objects.filter(
            Exists(projects.filter(epci_id=OuterRef("pk"))), kind=Organisation.Kind.EPCI
        )
        funders = Organisation.objects.filter(Exists(lines.filter(funder_id=OuterRef("pk"))))
        if len(ids) > 1:
            # Across territories, the public funders: the companies that finance their own
            # project (900 at national size) are a filter of their territory's report.
            funders = funders.exclude(kind=Organisation.Kind.COMPANY)
        self.fields["financeur"].queryset = funders

    def portfolio_filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "axis": data.get("axe") or "",
            "stage": data.get("etape") or "",
            "epci": data["epci"].pk if data.get("epci") else None,
            "funder": data["financeur"].pk if data.get("financeur") else None,
        }
