"""The project form (drafting mode, or progress mode past drafting), its rows (funding lines,
indicators, milestones) as formsets, the stage move and the list's filters."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from tdi.formats import french_date, number

from ..models import (
    Axis,
    FundingLine,
    Indicator,
    IndicatorKind,
    Milestone,
    Organisation,
    Project,
    Role,
    Stage,
    Territory,
)
from .fields import localized_fields, territory_organisations


class ProjectForm(forms.ModelForm):
    """Every field a coordinator, or the lead of a project being written, may change."""

    class Meta:
        model = Project
        formfield_callback = localized_fields
        fields = [
            "title",
            "summary",
            "description",
            "axis",
            "lead_organisation",
            "partners",
            "lead_users",
            "commune",
            "epci",
            "planned_start",
            "planned_end",
            "total_cost",
            "progress",
            "is_public",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "partners": forms.SelectMultiple(attrs={"size": 6}),
            "lead_users": forms.SelectMultiple(attrs={"size": 4}),
        }
        help_texts = {
            "partners": "Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
            "lead_users": "Comptes habilités à mettre à jour le projet.",
        }

    def __init__(self, *args, territory, can_assign_leads: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.territory = territory
        if can_assign_leads:
            self.fields["lead_users"].queryset = (
                get_user_model()
                .objects.filter(memberships__territory=territory, memberships__role=Role.LEAD)
                .order_by("last_name", "first_name")
            )
            self.fields["lead_users"].label_from_instance = lambda u: (
                u.get_full_name() or u.username
            )
        else:
            del self.fields["lead_users"]
        organisations = territory_organisations(territory)
        self.fields["lead_organisation"].queryset = organisations
        self.fields["partners"].queryset = organisations
        self.fields["epci"].queryset = organisations.filter(kind=Organisation.Kind.EPCI)
        self.fields["axis"].choices = [("", "— Choisir un axe —"), *Axis.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "La fin prévue ne peut pas précéder le début prévu.")
        return cleaned


class ProgressForm(forms.ModelForm):
    """What a lead may update once the project is financed: its progress."""

    class Meta:
        model = Project
        fields = ["progress"]


class FundingLineForm(forms.ModelForm):
    class Meta:
        model = FundingLine
        formfield_callback = localized_fields
        fields = ["funder", "instrument", "amount", "status"]
        error_messages = {
            "funder": {"invalid_choice": "Ce financeur est inconnu : choisissez-le dans la liste."}
        }

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = territory_organisations(territory)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        formfield_callback = localized_fields
        fields = ["kind", "target", "achieved", "unit", "measured_on"]
        help_texts = {"unit": "Laissée vide, l'unité usuelle de l'indicateur est reprise."}


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        formfield_callback = localized_fields
        fields = ["title", "due_on", "done_on"]


class ProgressRowForm:
    """Past drafting, a lead records what was achieved on the existing rows, which show what
    they are (the indicator and its target, the milestone and its due date) as text, and adds
    rows of their own, complete, kept in the history like any change."""

    fixed: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = {}
        if self.instance.pk:
            for name in self.fixed:
                self.fields[name].disabled = True  # whatever is posted, the stored value
            self.shown = self.describe(self.instance)


class IndicatorProgressForm(ProgressRowForm, IndicatorForm):
    fixed = ("kind", "target", "unit")

    @staticmethod
    def describe(indicator) -> dict:
        return {
            "kind": indicator.get_kind_display(),
            "target": number(indicator.target),
            "unit": indicator.unit,
        }


class MilestoneProgressForm(ProgressRowForm, MilestoneForm):
    fixed = ("title", "due_on")

    @staticmethod
    def describe(milestone) -> dict:
        return {"title": milestone.title, "due_on": french_date(milestone.due_on)}


class ProjectRowsFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # Django silently skips an existing row whose id is not one of this project's rows
        # (a forged or stale id): refuse the whole form instead.
        if any(form.instance.pk is None for form in self.initial_forms):
            raise ValidationError(
                "Une des lignes envoyées n'appartient pas à ce projet (elle a peut-être été "
                "supprimée entre-temps) : rechargez la page et recommencez."
            )


class IndicatorRowsFormSet(ProjectRowsFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            kind = getattr(form, "cleaned_data", {}).get("kind")
            if not kind or self._should_delete_form(form):
                continue
            if kind in seen:
                form.add_error(
                    "kind",
                    f"L'indicateur « {IndicatorKind(kind).label} » figure déjà sur une autre "
                    "ligne : mettez cette ligne-là à jour plutôt que d'en ajouter une seconde.",
                )
            seen.add(kind)


def _formset(form, formset=ProjectRowsFormSet, *, progress: bool = False):
    return forms.inlineformset_factory(
        Project,
        form._meta.model,
        form=form,
        formset=formset,
        extra=0 if progress else 1,
        can_delete=not progress,  # progress updates add rows but remove none
        max_num=200,
        validate_max=True,
    )


# Prefix → (formset for full edit, formset for progress edit); the prefixes are in French
# because they show in the "add a row" URL.


FORMSETS = {
    "financement": (_formset(FundingLineForm), None),
    "indicateurs": (
        _formset(IndicatorForm, IndicatorRowsFormSet),
        _formset(IndicatorProgressForm, IndicatorRowsFormSet, progress=True),
    ),
    "jalons": (_formset(MilestoneForm), _formset(MilestoneProgressForm, progress=True)),
}


def formset_kwargs(formset_class, territory: Territory) -> dict:
    """What a project formset needs besides its data: the territory, for the rows that offer
    organisations (the funders of the funding plan)."""
    if issubclass(formset_class.form, FundingLineForm):
        return {"form_kwargs": {"territory": territory}}
    return {}


def build_formsets(mode: str, project: Project, data=None) -> dict[str, forms.BaseFormSet]:
    formsets = {}
    for prefix, (full, progress) in FORMSETS.items():
        formset_class = full if mode == "full" else progress
        if formset_class is not None:
            formsets[prefix] = formset_class(
                data,
                instance=project,
                prefix=prefix,
                **formset_kwargs(formset_class, project.territory),
            )
    return formsets


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(label="Nouvelle étape")
    reason = forms.CharField(
        label="Motif",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour un retour en arrière, un retrait, une suspension ou un abandon.",
    )

    def __init__(self, *args, project: Project, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.moves = dict(project.allowed_moves(user))
        self.fields["stage"].choices = [
            (to, f"{move.label} → {Stage(to).label}") for to, move in self.moves.items()
        ]
        self.fields["stage"].error_messages["invalid_choice"] = (
            "Ce changement d'étape n'est pas possible depuis l'étape actuelle."
        )

    def clean(self):
        cleaned = super().clean()
        move = self.moves.get(cleaned.get("stage"))
        if move and move.motive_required and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Le motif est obligatoire pour ce changement d'étape.")
        return cleaned


class ProjectFilterForm(forms.Form):
    SORTS = {
        "reference": ("reference", "Référence"),
        "titre": ("title", "Intitulé"),
        "etape": ("stage", "Étape"),
        "cout": ("total_cost", "Coût croissant"),
        "-cout": ("-total_cost", "Coût décroissant"),
        "-modifie": ("-updated_at", "Dernière modification"),
    }

    q = forms.CharField(label="Rechercher", required=False, max_length=100)
    etape = forms.ChoiceField(
        label="Étape", required=False, choices=[("", "Toutes")] + Stage.choices
    )
    axe = forms.ChoiceField(label="Axe", required=False, choices=[("", "Tous")] + Axis.choices)
    porteur = forms.ModelChoiceField(
        label="Structure porteuse",
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
    tri = forms.ChoiceField(
        label="Trier par",
        required=False,
        choices=[(key, label) for key, (_, label) in SORTS.items()],
    )
    archives = forms.BooleanField(label="Inclure les projets archivés", required=False)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["porteur"].queryset = Organisation.objects.filter(
            pk__in=projects.values("lead_organisation")
        )
        self.fields["financeur"].queryset = Organisation.objects.filter(
            pk__in=FundingLine.objects.filter(project__in=projects).values("funder")
        )

    def filter(self, projects):
        data = self.cleaned_data if self.is_valid() else {}
        if not data.get("archives"):
            projects = projects.active()
        if q := data.get("q", "").strip():
            projects = projects.filter(
                models.Q(title__icontains=q)
                | models.Q(reference__icontains=q)
                | models.Q(summary__icontains=q)
            )
        if stage := data.get("etape"):
            projects = projects.filter(stage=stage)
        if axis := data.get("axe"):
            projects = projects.filter(axis=axis)
        if lead := data.get("porteur"):
            projects = projects.filter(lead_organisation=lead)
        if funder := data.get("financeur"):
            projects = projects.filter(
                pk__in=FundingLine.objects.filter(funder=funder).values("project_id")
            )
        order = self.SORTS.get(data.get("tri") or "-modifie")[0]
        return projects.order_by(order, "pk")
