from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects.forms.fields import localized_fields, territory_organisations, territory_users
from projects.models import validate_single_line

from .models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Invitation,
    Meeting,
    ReplyStatus,
)


class CommitteeForm(forms.ModelForm):
    class Meta:
        model = Committee
        fields = ["kind", "name", "quorum", "requires_chair_approval"]


class CommitteeRulesForm(forms.ModelForm):
    """The rules of deliberation a committee sets for itself."""

    class Meta:
        model = Committee
        fields = ["quorum", "requires_chair_approval"]


class ReplyForm(forms.Form):
    """A convened person's answer: présent·e, excusé·e, or (a voting seat) pouvoir à …"""

    reply = forms.ChoiceField(
        label="Votre réponse",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez votre réponse.",
            "invalid_choice": "Choisissez votre réponse.",
        },
    )
    proxy_to = forms.ModelChoiceField(
        label="Pouvoir donné à",
        queryset=CommitteeMember.objects.none(),
        required=False,
        empty_label="— choisir un·e membre —",
        error_messages={"invalid_choice": "Le pouvoir se donne à un·e autre membre du comité."},
    )

    def __init__(self, *args, invitation: Invitation, **kwargs):
        kwargs.setdefault(
            "initial", {"reply": invitation.reply, "proxy_to": invitation.proxy_to_id}
        )
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        choices = [
            (ReplyStatus.PRESENT, "Je serai présent·e"),
            (ReplyStatus.EXCUSED, "Je serai excusé·e"),
        ]
        if invitation.may_give_proxy:
            choices.append((ReplyStatus.PROXY, "Je donne pouvoir à un·e autre membre"))
            self.fields["proxy_to"].queryset = invitation.proxy_choices()
            self.fields["proxy_to"].label_from_instance = lambda m: (
                f"{m.display_name} ({m.get_role_display().lower()})"
            )
        else:
            del self.fields["proxy_to"]
        self.fields["reply"].choices = choices

    def save(self, *, by=None) -> Invitation:
        """Record the answer; a refusal of the model lands next to its field."""
        data = self.cleaned_data
        try:
            self.invitation.answer(data["reply"], by=by, proxy_to=data.get("proxy_to"))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, error)
            raise
        return self.invitation


class MemberForm(forms.ModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["user", "name", "email", "organisation", "role", "is_active"]
        help_texts = {
            "user": "Un compte de l'application ; sinon, renseignez le nom et l'adresse.",
        }

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = territory_users(territory)
        self.fields["organisation"].queryset = territory_organisations(territory)
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["user"].error_messages["invalid_choice"] = (
            "Ce compte n'appartient pas au territoire."
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and not (cleaned.get("name") or "").strip():
            self.add_error(
                "name", "Choisissez un compte ou indiquez le nom de la personne externe."
            )
        return cleaned


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["starts_at", "place", "video_link"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }
        error_messages = {"starts_at": {"invalid": "Saisissez une date et une heure valides."}}

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if not 2000 <= starts_at.year <= 2100:
            raise ValidationError("Choisissez une date entre 2000 et 2100.")
        if self.instance._state.adding and starts_at < timezone.now():
            raise ValidationError(
                "Cette date est passée : une séance se crée pour une date à venir."
            )
        return starts_at


class AddProjectForm(forms.Form):
    project = forms.ModelChoiceField(
        label="Projet à examiner",
        queryset=None,
        error_messages={
            "invalid_choice": "Ce projet ne peut pas être inscrit à l'ordre du jour de cette séance."
        },
    )
    rapporteur = forms.CharField(
        label="Rapporteur", required=False, max_length=200, validators=[validate_single_line]
    )
    duration = forms.IntegerField(label="Durée (min)", min_value=1, max_value=240, initial=15)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = meeting.candidate_projects()
        self.fields["project"].label_from_instance = lambda p: f"{p.reference} — {p.title}"


class AddItemForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type",
        choices=[(k.value, k.label) for k in AgendaItem.Kind if k != AgendaItem.Kind.PROJECT],
    )
    title = forms.CharField(label="Intitulé", max_length=300, validators=[validate_single_line])
    rapporteur = forms.CharField(
        label="Rapporteur", required=False, max_length=200, validators=[validate_single_line]
    )
    duration = forms.IntegerField(label="Durée (min)", min_value=1, max_value=240, initial=10)


class ItemUpdateForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["rapporteur", "duration"]

    def clean_duration(self):
        duration = self.cleaned_data["duration"]
        if not 1 <= duration <= 240:
            raise ValidationError("La durée doit être comprise entre 1 et 240 minutes.")
        return duration


class DecisionForm(forms.Form):
    notes = forms.CharField(
        label="Débats", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=20000
    )
    decision = forms.ChoiceField(label="Décision")
    motive = forms.CharField(
        label="Motif",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire sauf pour un avis favorable, une validation ou un « pris acte ».",
    )
    votes_for = forms.IntegerField(label="Voix pour", required=False, min_value=0, max_value=999)
    votes_against = forms.IntegerField(
        label="Voix contre", required=False, min_value=0, max_value=999
    )
    votes_abstain = forms.IntegerField(
        label="Abstentions", required=False, min_value=0, max_value=999
    )

    def __init__(self, *args, item: AgendaItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["decision"].choices = [("", "— Choisir —"), *item.decision_choices()]
        self.fields["decision"].error_messages["invalid_choice"] = (
            "Cette décision n'est pas possible pour ce point."
        )

    def clean(self):
        cleaned = super().clean()
        votes = [cleaned.get(f) for f in ("votes_for", "votes_against", "votes_abstain")]
        cast = sum(v or 0 for v in votes)
        if cast and not self.errors:
            seats = self.item.meeting.quorum().present
            if cast > seats:
                s = "s" if seats > 1 else ""
                self.add_error(
                    "votes_for",
                    f"{cast} voix exprimées (pour, contre et abstentions) pour {seats} siège{s} "
                    f"votant{s} présent{s} ou représenté{s} : corrigez le décompte des voix.",
                )
        return cleaned


class ReserveForm(forms.Form):
    text = forms.CharField(label="Réserve ou condition", required=False, max_length=2000)
    owner = forms.ModelChoiceField(label="Responsable", required=False, queryset=None)
    due_on = forms.DateField(
        label="Échéance",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide."},
    )

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = territory_users(territory)
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


ReserveFormSet = forms.formset_factory(ReserveForm, extra=3, max_num=10)


class AttendanceForm(forms.ModelForm):
    """One member's row; who represents whom is checked by Attendance.clean (one message)."""

    class Meta:
        model = Attendance
        fields = ["status", "represented_by"]
        error_messages = {"status": {"required": "Indiquez la présence de ce membre."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rows start empty: nobody is counted present before the secretariat says so.
        self.fields["status"].choices = [("", "Non renseigné"), *Attendance.Status.choices]


class MinutesForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["minutes_intro", "minutes_conclusion"]
        widgets = {
            "minutes_intro": forms.Textarea(attrs={"rows": 4}),
            "minutes_conclusion": forms.Textarea(attrs={"rows": 4}),
        }


class ActionForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["what", "owner", "due_on"]
        formfield_callback = localized_fields


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'annulation", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class HoldForm(forms.Form):
    motive = forms.CharField(
        label="Motif de l'ouverture anticipée",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire pour ouvrir la séance avant le jour prévu.",
    )
