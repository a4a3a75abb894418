"""Proposing the lift of a reserve with a proof, and the coordination's decision on it."""

from django import forms
from django.core.exceptions import ValidationError

from ..models import (
    Document,
    Project,
)


class ReserveLiftForm(forms.Form):
    proof = forms.CharField(
        label="Justification",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ce qui montre que la réserve est levée (délibération, courrier, pièce…).",
    )
    document = forms.ModelChoiceField(
        label="Pièce justificative (document du projet)",
        required=False,
        queryset=Document.objects.none(),
        empty_label="— Aucune —",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = project.documents.all()
        self.fields["document"].error_messages["invalid_choice"] = (
            "Ce document n'appartient pas au projet."
        )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("proof") or "").strip() and not cleaned.get("document"):
            raise ValidationError("Indiquez la justification ou choisissez une pièce.")
        return cleaned


class ReserveDecisionForm(forms.Form):
    """The coordination's answer to a proposed lift: accept, or refuse with a motive."""

    decision = forms.ChoiceField(
        label="Décision",
        choices=[("accept", "Accepter la levée"), ("refuse", "Refuser la levée")],
        error_messages={
            "required": "Choisissez d'accepter ou de refuser la levée.",
            "invalid_choice": "Choisissez d'accepter ou de refuser la levée.",
        },
    )
    motive = forms.CharField(
        label="Motif",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire en cas de refus ; il est montré au porteur.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("motive") or "").strip():
            self.add_error("motive", "Le motif du refus est obligatoire.")
        return cleaned
