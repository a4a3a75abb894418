"""The forms of the import of a table of projects: the upload (the file checked by its
content and size), the columns (each column of the file with the field it fills) and the
organisations the application does not know (create it, or pick one of the territory's)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from ..imports import MAX_SIZE, Unreadable, detect_format, open_table, too_large
from ..imports.columns import TARGETS, guess_mapping
from ..models import OrganisationKind, ProjectImport, Territory
from .fields import territory_organisations

IGNORE = ""


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Tableau de suivi des projets",
        help_text="Classeur Excel (.xlsx) ou fichier CSV, 10 Mo au plus ; une ligne par projet, "
        "la première ligne nommant les colonnes.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SIZE:
            raise ValidationError(too_large(upload.size))
        try:
            self.file_format = detect_format(upload)
            with open_table(upload, self.file_format) as table:
                self.table = {
                    "sheet": table.sheet,
                    "header_line": table.header_line,
                    "headers": table.headers,
                    "row_count": sum(1 for _row in table.rows),
                }
        except Unreadable as refused:
            raise ValidationError(refused.message) from None
        finally:
            upload.seek(0)
        if not self.table["row_count"]:
            where = f"La feuille « {self.table['sheet']} »" if self.table["sheet"] else "Le fichier"
            raise ValidationError(
                f"{where} ne contient que la ligne d'en-têtes : aucun projet à importer."
            )
        return upload

    def save(self, *, territory: Territory, user) -> ProjectImport:
        upload = self.cleaned_data["file"]
        imp = ProjectImport(
            territory=territory,
            created_by=user,
            original_name=upload.name[-200:],
            file_format=self.file_format,
            size=upload.size,
            sheet=self.table["sheet"][:100],
            headers=self.table["headers"],
            header_line=self.table["header_line"],
            row_count=self.table["row_count"],
            mapping=guess_mapping(self.table["headers"]),
        )
        imp.file.save("import", upload, save=False)
        imp.save()
        return imp


def target_choices() -> list:
    """The fields a column may fill, grouped as the project page groups them."""
    groups: dict[str, list] = {"Projet": [], "Indicateurs": [], "Plan de financement": []}
    for key, target in TARGETS.items():
        group = (
            "Plan de financement"
            if "." in key and key.split(".")[1].isdigit()
            else "Indicateurs"
            if "." in key
            else "Projet"
        )
        groups[group].append((key, target.label))
    return [(IGNORE, "— Ne pas importer —"), *groups.items()]


class ImportMappingForm(forms.Form):
    """One select per column of the file, set to the field its header names."""

    def __init__(self, *args, imp: ProjectImport, **kwargs):
        super().__init__(*args, **kwargs)
        self.imp = imp
        choices = target_choices()
        for index, header in enumerate(imp.headers):
            self.fields[f"col{index}"] = forms.ChoiceField(
                label=header or f"Colonne {index + 1} (sans en-tête)",
                choices=choices,
                required=False,
                initial=imp.mapping.get(str(index), IGNORE),
            )

    def columns(self):
        """(index, bound field) of each column, for the template."""
        return [(index, self[f"col{index}"]) for index in range(len(self.imp.headers))]

    def clean(self):
        cleaned = super().clean()
        seen: dict[str, str] = {}
        for index, header in enumerate(self.imp.headers):
            name = f"col{index}"
            key = cleaned.get(name)
            if not key:
                continue
            if key in seen:
                self.add_error(
                    name,
                    f"« {TARGETS[key].label} » est déjà lu dans la colonne « {seen[key]} » : "
                    "choisissez un autre champ ou « Ne pas importer ».",
                )
            seen[key] = header or f"Colonne {index + 1}"
        if not any(key in seen for key in ("reference", "title")):
            raise ValidationError(
                "Associez au moins la colonne de la référence ou celle de l'intitulé : sans "
                "elles, aucune ligne ne désigne un projet."
            )
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            str(index): self.cleaned_data.get(f"col{index}") or IGNORE
            for index in range(len(self.imp.headers))
        }


KIND_CHOICES = [(f"new:{kind.value}", f"Créer : {kind.label}") for kind in OrganisationKind]


class ImportOrganisationsForm(forms.Form):
    """For each organisation the file names that the application does not know: create it
    (of which kind) or take one of the territory's directory instead."""

    def __init__(self, *args, imp: ProjectImport, unknown: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = list(unknown.values())
        directory = [
            (str(pk), name)
            for pk, name in territory_organisations(imp.territory).values_list("pk", "name")
        ]
        for index, org in enumerate(self.unknown):
            default = f"new:{ROLE_DEFAULT[org.role]}"
            self.fields[f"org{index}"] = forms.ChoiceField(
                label=org.name or org.siren,
                choices=[
                    ("Créer l'organisation", KIND_CHOICES),
                    ("Organisations du territoire", directory),
                ],
                initial=org.choice or imp.resolutions.get(org.key) or default,
                required=False,  # not sent: created, of the kind its role suggests
            )

    def rows(self):
        return [(org, self[f"org{index}"]) for index, org in enumerate(self.unknown)]

    def resolutions(self, previous: dict) -> dict[str, str]:
        chosen = dict(previous)
        for index, org in enumerate(self.unknown):
            if choice := self.cleaned_data.get(f"org{index}"):
                chosen[org.key] = choice
        return chosen


ROLE_DEFAULT = {
    "lead": OrganisationKind.COMPANY.value,
    "epci": OrganisationKind.EPCI.value,
    "funder": OrganisationKind.PUBLIC_OPERATOR.value,
}
