"""Territories, organisations and who belongs where: memberships in a territory, national roles."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ..access import Access, NationalRole, Role
from .audit import TrackedQuerySet
from .validators import validate_single_line, validate_siren


class TerritoryQuerySet(TrackedQuerySet):
    def reachable_by(self, access) -> TerritoryQuerySet:
        """The territories the user works in (every one for national roles)."""
        return self.filter(Access.of(access).q_territories("pk"))


class Territory(models.Model):
    """A Territoire d'industrie: the unit that owns projects, committees and memberships."""

    name = models.CharField("nom", max_length=200, validators=[validate_single_line])
    code = models.CharField(
        "code national",
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^ti-\d{4}$", "Le code doit avoir la forme ti-1234.")],
    )
    prefix = models.CharField(
        "préfixe des références",
        max_length=6,
        validators=[RegexValidator(r"^[A-Z]{1,6}$", "De 1 à 6 lettres majuscules.")],
    )
    region = models.CharField("région", max_length=100, validators=[validate_single_line])
    department = models.CharField(
        "département", max_length=100, blank=True, validators=[validate_single_line]
    )
    intercommunalities = models.ManyToManyField(
        "Organisation", verbose_name="intercommunalités", blank=True, related_name="+"
    )
    organisations = models.ManyToManyField(
        "Organisation",
        verbose_name="organisations du territoire",
        blank=True,
        related_name="territories",
        help_text="Les organisations proposées dans les formulaires du territoire.",
    )

    objects = TerritoryQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[organisations])

    class Meta:
        verbose_name = "territoire"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    COMPANY = "company", "Entreprise"
    EPCI = "epci", "EPCI / collectivité"
    STATE = "state", "État"
    REGION = "region", "Région"
    PUBLIC_OPERATOR = "operator", "Opérateur public"
    CLUSTER = "cluster", "Cluster / association"
    TRAINING = "training", "Formation"
    CHAMBER = "chamber", "Chambre consulaire"


class Organisation(models.Model):
    """A company, local authority, State service, funder or association taking part in projects."""

    Kind = OrganisationKind

    name = models.CharField("nom", max_length=200, unique=True, validators=[validate_single_line])
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    siren = models.CharField(
        "SIREN", max_length=9, blank=True, validators=[validate_siren], db_index=True
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one territory, on behalf of an organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="utilisateur",
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="memberships", verbose_name="territoire"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name="organisation",
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "appartenance"
        constraints = [
            models.UniqueConstraint(fields=["user", "territory"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.territory} ({self.get_role_display()})"


class NationalMembership(models.Model):
    """A role held outside territories: the national reader, or the national admin (DESIGN §8)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="national_membership",
        verbose_name="utilisateur",
    )
    role = models.CharField("rôle national", max_length=20, choices=NationalRole.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )

    objects = TrackedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "rôle national"
        verbose_name_plural = "rôles nationaux"
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=NationalRole.values), name="national_role_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"
