from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees.models import Committee, CommitteeMember, Meeting
from projects.models import Stage

from ..factories import FundingLineFactory, ProjectFactory


@pytest.fixture
def cotech(territory, users):
    committee = Committee.objects.create(
        territory=territory, kind=Committee.Kind.COTECH, name="Comité technique", quorum=2
    )
    for name, role in [("coordinator", "chair"), ("member", "member"), ("partner", "member")]:
        CommitteeMember.objects.create(committee=committee, user=users[name], role=role)
    CommitteeMember.objects.create(
        committee=committee, name="Agnès Externe", email="agnes@region.example.fr", role="guest"
    )
    return committee


@pytest.fixture
def copil(territory, users):
    committee = Committee.objects.create(
        territory=territory, kind=Committee.Kind.COPIL, name="Comité de pilotage"
    )
    CommitteeMember.objects.create(committee=committee, user=users["coordinator"], role="chair")
    CommitteeMember.objects.create(committee=committee, user=users["member"], role="co_chair")
    return committee


def make_meeting(committee, days: int = 10) -> Meeting:
    return Meeting.objects.create(
        committee=committee,
        starts_at=timezone.now() + timedelta(days=days),
        place="Hôtel de l'agglomération, Chaumont",
    )


@pytest.fixture
def meeting(cotech):
    return make_meeting(cotech)


@pytest.fixture
def eligible_projects(territory, users):
    projects = []
    for title in ["Friche de la fonderie", "Station hydrogène", "Académie de la forge"]:
        project = ProjectFactory(
            territory=territory, title=title, stage=Stage.ELIGIBLE, total_cost=Decimal("200000")
        )
        project.lead_users.add(users["lead"])
        FundingLineFactory(project=project, amount=Decimal("200000"))
        projects.append(project)
    return projects
