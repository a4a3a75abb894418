"""What the API answers, field by field: English names, French descriptions (the schema's).

Projects are serialised from the report's rows (tdi.reports.data.portfolio), today or as of a
day, so that the API and the reports can never disagree; meetings, committees, applications
and territories from their models."""

from rest_framework import serializers


def described(field_class, text: str, **kwargs):
    return field_class(help_text=text, read_only=True, **kwargs)


class FundingLineSerializer(serializers.Serializer):
    funder = described(serializers.CharField, "Financeur (nom de l'organisation).")
    funder_kind = described(serializers.CharField, "Type de financeur (État, Région, EPCI…).")
    instrument = described(serializers.CharField, "Dispositif (code).")
    instrument_label = described(serializers.CharField, "Dispositif (libellé).")
    status = described(serializers.CharField, "Statut du financement (code).")
    status_label = described(serializers.CharField, "Statut du financement (libellé).")
    amount = described(
        serializers.DecimalField, "Montant en euros.", max_digits=14, decimal_places=2
    )


class IndicatorSerializer(serializers.Serializer):
    kind = described(serializers.CharField, "Indicateur (code).")
    label = described(serializers.CharField, "Indicateur (libellé).")
    target = described(serializers.DecimalField, "Cible.", max_digits=14, decimal_places=2)
    achieved = described(
        serializers.DecimalField, "Réalisé (null si non mesuré).", max_digits=14, decimal_places=2
    )
    unit = described(serializers.CharField, "Unité.")
    measured_on = described(serializers.DateField, "Date de la mesure.")


class MilestoneSerializer(serializers.Serializer):
    title = described(serializers.CharField, "Jalon.")
    due_on = described(serializers.DateField, "Échéance.")
    done_on = described(serializers.DateField, "Date de réalisation (null si non atteint).")


class StageDateSerializer(serializers.Serializer):
    stage = described(serializers.CharField, "Étape (code).")
    label = described(serializers.CharField, "Étape (libellé).")
    since = described(serializers.DateTimeField, "Date d'entrée dans cette étape.")


class ProjectSerializer(serializers.Serializer):
    id = described(serializers.IntegerField, "Identifiant (stable).")
    reference = described(serializers.CharField, "Référence du projet (ex. CL-2025-004).")
    title = described(serializers.CharField, "Intitulé.")
    summary = described(serializers.CharField, "Résumé.")
    territory = described(serializers.CharField, "Code national du territoire (ti-0000).")
    axis = described(serializers.CharField, "Axe principal (code).")
    axis_label = described(serializers.CharField, "Axe principal (libellé).")
    stage = described(serializers.CharField, "Étape du projet (code).")
    stage_label = described(serializers.CharField, "Étape du projet (libellé).")
    lead_organisation = described(serializers.CharField, "Structure porteuse.")
    commune = described(serializers.CharField, "Commune.")
    epci = described(serializers.CharField, "Intercommunalité (EPCI).")
    planned_start = described(serializers.DateField, "Début prévu.")
    planned_end = described(serializers.DateField, "Fin prévue.")
    details = described(
        serializers.BooleanField,
        "Vrai si le titulaire du jeton lit le détail du projet (coût, plan de financement, "
        "indicateurs, jalons, dates des étapes) ; faux pour une fiche publique seule.",
    )
    total_cost = described(
        serializers.DecimalField, "Coût total HT en euros.", max_digits=14, decimal_places=2
    )
    funding_total = described(
        serializers.DecimalField,
        "Total des financements (hors lignes refusées).",
        max_digits=14,
        decimal_places=2,
        source="funding",
    )
    progress = described(serializers.IntegerField, "Avancement en pourcentage.")
    stage_since = described(serializers.DateTimeField, "Date d'entrée dans l'étape actuelle.")
    stages = StageDateSerializer(many=True, read_only=True, help_text="Les étapes parcourues.")
    funding_lines = FundingLineSerializer(
        many=True, read_only=True, source="lines", help_text="Plan de financement."
    )
    indicators = IndicatorSerializer(
        many=True, read_only=True, source="measures", help_text="Indicateurs."
    )
    milestones = MilestoneSerializer(many=True, read_only=True, help_text="Jalons.")


class StageFigureSerializer(serializers.Serializer):
    stage = described(serializers.CharField, "Étape (code).")
    label = described(serializers.CharField, "Étape (libellé).")
    count = described(serializers.IntegerField, "Nombre de projets.")
    cost = described(serializers.DecimalField, "Coût total HT.", max_digits=16, decimal_places=2)


class AxisFigureSerializer(serializers.Serializer):
    axis = described(serializers.CharField, "Axe (code).")
    label = described(serializers.CharField, "Axe (libellé).")
    count = described(serializers.IntegerField, "Nombre de projets.")
    cost = described(serializers.DecimalField, "Coût total HT.", max_digits=16, decimal_places=2)


class FunderFigureSerializer(serializers.Serializer):
    funder = described(serializers.CharField, "Financeur.")
    kind = described(serializers.CharField, "Type de financeur.")
    total = described(
        serializers.DecimalField,
        "Montant (hors lignes refusées).",
        max_digits=16,
        decimal_places=2,
    )


class FiguresSerializer(serializers.Serializer):
    count = described(serializers.IntegerField, "Nombre de projets (hors archivés).")
    investment = described(
        serializers.DecimalField, "Investissement total HT.", max_digits=16, decimal_places=2
    )
    funding = described(
        serializers.DecimalField,
        "Financements (hors lignes refusées).",
        max_digits=16,
        decimal_places=2,
    )
    by_stage = StageFigureSerializer(many=True, read_only=True, help_text="Par étape.")
    by_axis = AxisFigureSerializer(many=True, read_only=True, help_text="Par axe.")
    by_funder = FunderFigureSerializer(many=True, read_only=True, help_text="Par financeur.")
    jobs_created = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        read_only=True,
        help_text="Emplois créés : [cible, réalisé].",
    )
    jobs_kept = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        read_only=True,
        help_text="Emplois maintenus : [cible, réalisé].",
    )


class TerritorySerializer(serializers.Serializer):
    id = described(serializers.IntegerField, "Identifiant.")
    code = described(serializers.CharField, "Code national (ti-0000).")
    name = described(serializers.CharField, "Nom du territoire.")
    region = described(serializers.CharField, "Région.")
    department = described(serializers.CharField, "Département(s).")


class TerritoryDetailSerializer(TerritorySerializer):
    figures = FiguresSerializer(
        read_only=True,
        help_text="Chiffres clés du portefeuille, ceux des rapports (à la date ?date= si donnée).",
    )


class CommitteeSerializer(serializers.Serializer):
    id = described(serializers.IntegerField, "Identifiant.")
    territory = described(serializers.CharField, "Code du territoire.", source="territory.code")
    kind = described(serializers.CharField, "Type (cotech, copil).")
    kind_label = described(serializers.CharField, "Type (libellé).", source="get_kind_display")
    name = described(serializers.CharField, "Nom du comité.")


class AgendaItemSerializer(serializers.Serializer):
    order = described(serializers.IntegerField, "Ordre du point.")
    kind = described(serializers.CharField, "Type de point (code).")
    title = described(serializers.CharField, "Intitulé du point.")
    project = described(
        serializers.CharField,
        "Référence du projet examiné (null sinon).",
        source="project_reference",
    )
    decision_readable = described(
        serializers.BooleanField,
        "Vrai si le titulaire du jeton lit la décision de ce point (compte rendu validé, ou "
        "coordination et membres du comité avant validation).",
    )
    decision = described(serializers.CharField, "Décision (code ; null si non lisible).")
    decision_label = described(serializers.CharField, "Décision (libellé).")
    motive = described(serializers.CharField, "Motif de la décision.")
    votes_for = described(serializers.IntegerField, "Voix pour.")
    votes_against = described(serializers.IntegerField, "Voix contre.")
    votes_abstain = described(serializers.IntegerField, "Abstentions.")


class MeetingSerializer(serializers.Serializer):
    id = described(serializers.IntegerField, "Identifiant.")
    territory = described(serializers.CharField, "Code du territoire.")
    committee = described(serializers.IntegerField, "Identifiant du comité.", source="committee_id")
    committee_name = described(serializers.CharField, "Nom du comité.")
    number = described(serializers.IntegerField, "Numéro de la séance.")
    starts_at = described(serializers.DateTimeField, "Date et heure.")
    place = described(serializers.CharField, "Lieu.")
    status = described(serializers.CharField, "Statut (code).")
    status_label = described(serializers.CharField, "Statut (libellé).")
    validated_at = described(serializers.DateTimeField, "Compte rendu validé le.")
    items = AgendaItemSerializer(many=True, read_only=True, help_text="Ordre du jour.")


class ApplicationSerializer(serializers.Serializer):
    id = described(serializers.IntegerField, "Identifiant.")
    territory = described(serializers.CharField, "Code du territoire.", source="territory_code")
    call = described(serializers.CharField, "Appel (intitulé).")
    title = described(serializers.CharField, "Intitulé du dossier.")
    applicant = described(serializers.CharField, "Structure candidate.")
    status = described(serializers.CharField, "Statut (code).")
    status_label = described(serializers.CharField, "Statut (libellé).")
    submitted_at = described(serializers.DateTimeField, "Déposé le.")
    outcome_on = described(serializers.DateField, "Date de la réponse.")
    projects = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Références des projets inclus."
    )
