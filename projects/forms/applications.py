"""An application to a call: its header, the text of each section, the projects it includes
and the call's answer."""

from django import forms
from django.core.exceptions import ValidationError

from tdi.formats import number

from ..models import (
    Application,
    ApplicationProject,
    Project,
    Territory,
    validate_not_future,
)
from .fields import AmountField, localized_fields, territory_organisations


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["call", "applicant", "title", "contact_name", "contact_email", "contact_phone"]

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = territory_organisations(territory)
        self.fields["applicant"].error_messages["invalid_choice"] = (
            "Cette structure est inconnue : choisissez-la dans la liste."
        )
        if self.instance.pk:
            del self.fields["call"]


class SectionAnswerForm(forms.Form):
    """One section of a dossier, within the length its call sets (counted on the page as one
    types); what was typed stays in the field when it is too long."""

    text = forms.CharField(
        label="Texte", required=False, max_length=50000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, section=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section

    def clean_text(self):
        text = self.cleaned_data["text"]
        limit = self.section.max_length if self.section else None
        if limit and len(text) > limit:
            raise ValidationError(
                f"{number(len(text) - limit)} caractères en trop : la rubrique en admet "
                f"{number(limit)} au plus. Votre texte est conservé ci-dessous ; raccourcissez-le "
                "puis enregistrez."
            )
        return text


class IncludeProjectForm(forms.Form):
    project = forms.ModelChoiceField(
        label="Projet",
        queryset=Project.objects.none(),
        error_messages={"invalid_choice": "Ce projet ne peut pas être inclus dans ce dossier."},
    )
    requested_amount = AmountField(
        label="Aide sollicitée",
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={"invalid": "Saisissez un montant, par exemple 250 000."},
    )
    rank = forms.IntegerField(label="Rang", min_value=1, max_value=99, initial=1)

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = application.candidate_projects()
        self.fields["project"].label_from_instance = lambda p: f"{p.reference} — {p.title}"


class ApplicationItemForm(forms.ModelForm):
    class Meta:
        model = ApplicationProject
        fields = ["requested_amount", "rank"]
        formfield_callback = localized_fields


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label="Réponse",
        choices=[
            (s.value, s.label)
            for s in (
                Application.Status.SELECTED,
                Application.Status.NOT_SELECTED,
                Application.Status.WITHDRAWN,
            )
        ],
    )
    on = forms.DateField(
        label="Date de la réponse",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide."},
        validators=[validate_not_future],
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
