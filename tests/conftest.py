from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.core.cache import cache
from django.template.base import Template
from django.test import Client
from django.utils import timezone
from pytest_django.plugin import blocking_manager_key

from committees.models import Committee, CommitteeMember
from projects.models import Role, Stage

from .factories import (
    FundingLineFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    TerritoryFactory,
    UserFactory,
    make_meeting,
)
from .utils import use_tasks_backend


def open_the_call() -> None:
    """The AMI Rebond industriel that the migrations seed, seeded here when the suite builds its
    schema from the models (`make test` runs with --nomigrations: the migrations are applied by
    the production-settings test and by the PostgreSQL run). It closed in March 2023: here it is
    open, so that the tests file their dossiers in time (those about a late filing close it)."""
    from django.apps import apps

    from projects.models import Call

    if not Call.objects.exists():
        import_module("projects.migrations.0005_ami_rebond_industriel").seed(apps, None)
    for call in Call.objects.filter(title="AMI Rebond industriel"):
        call.closes_on = timezone.localdate() + timedelta(days=90)
        call.save()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        open_the_call()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A test that commits (django_db(transaction=True)) ends by emptying every table, the
    seeded call included: it is seeded again for the tests that come after it, whatever the
    order the test processes receive them in."""
    result = yield
    marker = item.get_closest_marker("django_db")
    emptied = marker is not None and marker.kwargs.get("transaction")
    # The browser tests restore their whole database (the demo) themselves: serialized_rollback.
    if emptied and not marker.kwargs.get("serialized_rollback") and nextitem is not None:
        with item.config.stash[blocking_manager_key].unblock():
            open_the_call()
    return result


@pytest.fixture(autouse=True)
def _plain_template_rendering(request, monkeypatch):
    """Django's test environment sends a signal at every template rendered, and the test client
    copies the context each time, for `response.context`: with the form widgets' templates, that
    was a fifth of the suite's time. A test that reads `response.context` asks for it with
    `@pytest.mark.template_context`."""
    if not request.node.get_closest_marker("template_context"):
        monkeypatch.setattr(
            Template, "_render", lambda self, context: self.nodelist.render(context)
        )


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A rolled-back test may leave history ids that the next one writes again: the reports'
    # sums kept under such an id (ReportScope.summed) must not outlive their test.
    cache.clear()


@pytest.fixture
def territory():
    return TerritoryFactory(name="Chaumont-Langres", code="ti-0052", prefix="CL")


@pytest.fixture
def other_territory():
    return TerritoryFactory(name="Vallée de la Meuse", code="ti-0055", prefix="VM")


@pytest.fixture
def users(territory, other_territory):
    """One user per role in the territory, a lead who leads nothing, and a stranger."""
    company = OrganisationFactory(name="Forges du Bassigny")
    made = {}
    for name, role in [
        ("coordinator", Role.COORDINATOR),
        ("lead", Role.LEAD),
        ("other_lead", Role.LEAD),
        ("member", Role.MEMBER),
        ("partner", Role.PARTNER),
    ]:
        made[name] = MembershipFactory(
            user=UserFactory(username=name), territory=territory, role=role, organisation=company
        ).user
    made["stranger"] = MembershipFactory(
        user=UserFactory(username="stranger"), territory=other_territory, role=Role.COORDINATOR
    ).user
    made["admin"] = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return made


@pytest.fixture
def project(territory, users):
    """A submitted project led by the `lead` user."""
    project = ProjectFactory(territory=territory, title="Extension de l'école de production")
    project.lead_users.add(users["lead"])
    return project


@pytest.fixture
def client_for(users):
    def make(name: str | None) -> Client:
        client = Client()
        if name:
            client.force_login(users[name])
        return client

    return make


@pytest.fixture
def htmx_headers():
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def worker_queue(settings):
    """The production set-up: jobs go to the database queue that a worker reads."""
    use_tasks_backend("django_tasks_db.DatabaseBackend")
    yield
    use_tasks_backend(settings.TASKS["default"]["BACKEND"])


# --- committees -------------------------------------------------------------------------


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
