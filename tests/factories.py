from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from committees.models import Meeting
from projects.lifecycle import save_change
from projects.models import (
    Axis,
    FundingLine,
    Indicator,
    Membership,
    Milestone,
    Organisation,
    Project,
    Role,
    Stage,
    Territory,
)

factory.Faker._DEFAULT_LOCALE = "fr_FR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.fr")
    password = factory.django.Password("motdepasse-test")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territoire {n}")
    code = factory.Sequence(lambda n: f"ti-{n:04d}")
    prefix = "TI"
    region = "Grand Est"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.COMPANY


def in_directory(territory: Territory, *organisations: Organisation | None) -> None:
    """Put organisations into the territory's directory, as the data migration does for the
    organisations that its data already uses: forms only offer the directory. Only those not
    in it yet, as the import does: an add of nothing still writes a history row of the territory
    (simple-history records every m2m_changed)."""
    present = set(territory.organisations.values_list("pk", flat=True))
    if organisations := [o for o in organisations if o is not None and o.pk not in present]:
        territory.organisations.add(*organisations)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    territory = factory.SubFactory(TerritoryFactory)
    role = Role.MEMBER

    @factory.post_generation
    def directory(self, create, extracted, **kwargs):
        if create:
            in_directory(self.territory, self.organisation)


class DatedFactory(factory.django.DjangoModelFactory):
    """A factory of a record kept in history. Given `at=` (with `by=` and `reason=`), it makes
    the object as it was made at that moment, through save_change, so that the history dates
    its creation as the domain would: never rewrite a history row to forge the past."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, at=None, by=None, reason: str = "", **kwargs):
        if at is None and by is None and not reason:
            return super()._create(model_class, *args, **kwargs)
        obj = model_class(*args, **kwargs)
        save_change(obj, by=by, reason=reason, at=at)
        return obj


class ProjectFactory(DatedFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    territory = factory.SubFactory(TerritoryFactory)
    title = factory.Sequence(lambda n: f"Projet structurant {n}")
    summary = "Modernisation d'un site industriel."
    description = "Description détaillée du projet."
    axis = Axis.INNOVATION
    lead_organisation = factory.SubFactory(OrganisationFactory)
    planned_start = factory.Faker("date_between", start_date="-1y", end_date="today")
    total_cost = Decimal("100000")
    stage = Stage.SUBMITTED

    @factory.post_generation
    def directory(self, create, extracted, **kwargs):
        if create:
            in_directory(self.territory, self.lead_organisation, self.epci)


class FundingLineFactory(DatedFactory):
    class Meta:
        model = FundingLine
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    funder = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.PUBLIC_OPERATOR)
    instrument = FundingLine.Instrument.GRANT
    amount = Decimal("50000")

    @factory.post_generation
    def directory(self, create, extracted, **kwargs):
        if create:
            in_directory(self.project.territory, self.funder)


class IndicatorFactory(DatedFactory):
    class Meta:
        model = Indicator

    project = factory.SubFactory(ProjectFactory)
    kind = Indicator.Kind.JOBS_CREATED
    target = Decimal("12")


class MilestoneFactory(DatedFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = "Lancement des travaux"
    due_on = factory.Faker("date_between", start_date="today", end_date="+1y")


def make_meeting(committee, days: int = 10) -> Meeting:
    return Meeting.objects.create(
        committee=committee,
        starts_at=timezone.now() + timedelta(days=days),
        place="Hôtel de l'agglomération, Chaumont",
    )
