"""Form choices are the territory's own (DESIGN §8): its directory of organisations and the
accounts with a membership in it; a forged choice of another territory is refused by the form."""

from types import SimpleNamespace

import pytest

from committees.forms import MemberForm, ReserveForm
from committees.models import Committee, CommitteeMember
from projects.forms.applications import ApplicationForm
from projects.forms.projects import ProjectForm, build_formsets
from projects.models import Application, Call, FundingLine, Organisation, Project, Role, Stage

from ..factories import MembershipFactory, OrganisationFactory, UserFactory
from ..utils import text
from .test_edit import edit_data

pytestmark = pytest.mark.django_db

Kind = Organisation.Kind
INVALID_CHOICE = "Sélectionnez un choix valide"


@pytest.fixture
def directory(territory, other_territory, users, project):
    """The territory's directory (with the organisations of the fixtures: the members' company,
    the project's lead), the other territory's, and an organisation of no directory."""
    home = SimpleNamespace(
        epci=OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind=Kind.EPCI),
        funder=OrganisationFactory(name="Région Grand Est", kind=Kind.REGION),
    )
    territory.organisations.add(home.epci, home.funder)
    foreign = SimpleNamespace(
        organisation=OrganisationFactory(name="Préfecture de la Meuse", kind=Kind.STATE),
        epci=OrganisationFactory(name="Communauté de communes de Commercy", kind=Kind.EPCI),
        lead=MembershipFactory(
            user=UserFactory(username="foreign_lead"), territory=other_territory, role=Role.LEAD
        ).user,
    )
    other_territory.organisations.add(foreign.organisation, foreign.epci)
    return SimpleNamespace(
        home=home,
        foreign=foreign,
        nowhere=OrganisationFactory(name="Organisation sans territoire"),
        expected={
            "Communauté d'agglomération de Chaumont",
            "Forges du Bassigny",
            "Région Grand Est",
            project.lead_organisation.name,
        },
    )


def names(queryset) -> list[str]:
    return [str(obj) for obj in queryset]


def assert_directory(queryset, directory) -> None:
    offered = names(queryset)
    assert offered == sorted(offered)
    assert set(offered) == directory.expected


# --- what the forms offer ------------------------------------------------------------------


def test_project_form_offers_the_territory_s_organisations_and_leads(territory, directory, users):
    form = ProjectForm(territory=territory, can_assign_leads=True)
    assert_directory(form.fields["lead_organisation"].queryset, directory)
    assert_directory(form.fields["partners"].queryset, directory)
    assert names(form.fields["epci"].queryset) == ["Communauté d'agglomération de Chaumont"]
    leads = list(form.fields["lead_users"].queryset)
    assert users["lead"] in leads and users["other_lead"] in leads
    assert directory.foreign.lead not in leads and users["stranger"] not in leads


def test_funding_rows_offer_the_project_territory_s_funders(project, directory):
    row = build_formsets("full", project)["financement"].empty_form
    assert_directory(row.fields["funder"].queryset, directory)


def test_an_added_funding_row_offers_the_project_territory_s_funders(
    client_for, project, directory, htmx_headers
):
    url = f"/projets/ligne/financement/?projet={project.pk}&financement-TOTAL_FORMS=1"
    body = text(client_for("coordinator").get(url, **htmx_headers))
    assert "Région Grand Est" in body
    # The lead of a submitted project edits nothing: no row to add either.
    assert client_for("lead").get(url, **htmx_headers).status_code == 403
    assert "Préfecture de la Meuse" not in body and "Organisation sans territoire" not in body
    # Another territory's project is out of reach, as everywhere.
    assert client_for("stranger").get(url, **htmx_headers).status_code == 404
    bad = "/projets/ligne/financement/?projet=abc"
    assert client_for("lead").get(bad, **htmx_headers).status_code == 404


def test_application_form_offers_the_territory_s_organisations(territory, directory):
    form = ApplicationForm(territory=territory)
    assert_directory(form.fields["applicant"].queryset, directory)


def test_member_and_reserve_forms_offer_the_territory_s_organisations_and_accounts(
    territory, directory, users
):
    member_form = MemberForm(territory=territory)
    assert_directory(member_form.fields["organisation"].queryset, directory)
    reserve_form = ReserveForm(territory=territory)
    for field in (member_form.fields["user"], reserve_form.fields["owner"]):
        accounts = list(field.queryset)
        assert users["coordinator"] in accounts and users["partner"] in accounts
        assert users["stranger"] not in accounts and directory.foreign.lead not in accounts
        assert users["admin"] not in accounts


# --- forged choices through the pages ------------------------------------------------------


def assert_refused(response, field_id: str, message: str) -> None:
    assert response.status_code == 200
    body = text(response)
    # The message sits next to the field (the error list Django ties to its input).
    assert f'id="id_{field_id}_error"' in body
    error_list = body.split(f'id="id_{field_id}_error"', 1)[1].split("</ul>", 1)[0]
    assert message in error_list


def forged(directory, field: str):
    foreign = directory.foreign
    return {
        "lead_organisation": foreign.organisation.pk,
        "partners": [foreign.organisation.pk],
        "epci": foreign.epci.pk,
        "lead_users": [foreign.lead.pk],
    }[field]


PROJECT_FIELDS = ["lead_organisation", "partners", "epci", "lead_users"]


def new_project_data(**overrides) -> dict:
    data = {
        "title": "Plateforme de formation aux métiers de l'usinage",
        "axis": "skills",
        "total_cost": "250000",
        "progress": "0",
        "financement-TOTAL_FORMS": "1",
        "financement-INITIAL_FORMS": "0",
        "indicateurs-TOTAL_FORMS": "0",
        "indicateurs-INITIAL_FORMS": "0",
        "jalons-TOTAL_FORMS": "0",
        "jalons-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_the_create_data_is_valid_with_the_territory_s_choices(client_for, directory, users):
    data = new_project_data(
        lead_organisation=directory.home.funder.pk,
        partners=[directory.home.epci.pk],
        epci=directory.home.epci.pk,
        lead_users=[users["lead"].pk],
        **{
            "financement-0-funder": directory.home.funder.pk,
            "financement-0-instrument": "grant",
            "financement-0-amount": "1000",
            "financement-0-status": "planned",
        },
    )
    response = client_for("coordinator").post("/projets/nouveau/", data)
    assert response.status_code == 302
    created = Project.objects.get(title=data["title"])
    assert created.funding_lines.get().funder == directory.home.funder


@pytest.mark.parametrize("field", PROJECT_FIELDS)
def test_project_create_refuses_another_territory_s_choice(client_for, directory, field):
    projects, lines = Project.objects.count(), FundingLine.objects.count()
    response = client_for("coordinator").post(
        "/projets/nouveau/", new_project_data(**{field: forged(directory, field)})
    )
    assert_refused(response, field, INVALID_CHOICE)
    assert (Project.objects.count(), FundingLine.objects.count()) == (projects, lines)


def test_project_create_refuses_another_territory_s_funder(client_for, directory):
    projects, lines = Project.objects.count(), FundingLine.objects.count()
    data = new_project_data(
        **{
            "financement-0-funder": directory.foreign.organisation.pk,
            "financement-0-instrument": "grant",
            "financement-0-amount": "1000",
            "financement-0-status": "planned",
        }
    )
    response = client_for("coordinator").post("/projets/nouveau/", data)
    assert_refused(response, "financement-0-funder", "Ce financeur est inconnu")
    assert (Project.objects.count(), FundingLine.objects.count()) == (projects, lines)


@pytest.fixture
def drafted(project, directory):
    project.stage = Stage.DRAFTING
    project.save()
    FundingLine.objects.create(
        project=project, funder=directory.home.funder, instrument="grant", amount=50000
    )
    return project


@pytest.mark.parametrize("field", PROJECT_FIELDS)
def test_project_edit_refuses_another_territory_s_choice(
    client_for, drafted, directory, users, field
):
    before, lead_organisation = drafted.history.count(), drafted.lead_organisation
    data = edit_data(drafted, **{field: forged(directory, field)})
    response = client_for("coordinator").post(f"/projets/{drafted.pk}/modifier/", data)
    assert_refused(response, field, INVALID_CHOICE)
    drafted.refresh_from_db()
    assert drafted.history.count() == before
    assert (drafted.lead_organisation, drafted.epci) == (lead_organisation, None)
    assert not drafted.partners.exists()
    assert list(drafted.lead_users.all()) == [users["lead"]]


def test_project_edit_refuses_another_territory_s_funder(client_for, drafted, directory):
    line = drafted.funding_lines.get()
    funding_history = FundingLine.history.filter(project_id=drafted.pk).count()
    foreign = directory.foreign.organisation.pk
    data = edit_data(
        drafted,
        **{
            "financement-0-funder": foreign,  # an existing row
            "financement-TOTAL_FORMS": 2,
            "financement-1-funder": foreign,  # a new row
            "financement-1-instrument": "loan",
            "financement-1-amount": "1000",
            "financement-1-status": "planned",
        },
    )
    response = client_for("lead").post(f"/projets/{drafted.pk}/modifier/", data)
    assert_refused(response, "financement-0-funder", "Ce financeur est inconnu")
    assert_refused(response, "financement-1-funder", "Ce financeur est inconnu")
    line.refresh_from_db()
    assert line.funder == directory.home.funder
    assert drafted.funding_lines.count() == 1
    assert FundingLine.history.filter(project_id=drafted.pk).count() == funding_history


def test_application_create_refuses_another_territory_s_applicant(client_for, directory):
    call = Call.objects.get(title="AMI Rebond industriel")
    data = {"call": call.pk, "title": "Candidature Chaumont-Langres"}
    client = client_for("coordinator")
    response = client.post(
        "/candidatures/", {**data, "applicant": directory.foreign.organisation.pk}
    )
    assert_refused(response, "applicant", "Cette structure est inconnue")
    assert not Application.objects.exists()
    response = client.post("/candidatures/", {**data, "applicant": directory.home.epci.pk})
    assert response.status_code == 302
    assert Application.objects.get().applicant == directory.home.epci


def test_application_edit_refuses_another_territory_s_applicant(client_for, territory, directory):
    application = Application.objects.create(
        call=Call.objects.get(title="AMI Rebond industriel"),
        territory=territory,
        applicant=directory.home.epci,
        title="Candidature Chaumont-Langres",
    )
    response = client_for("coordinator").post(
        f"/candidatures/{application.pk}/",
        {"title": "Autre titre", "applicant": directory.foreign.organisation.pk},
    )
    assert_refused(response, "applicant", "Cette structure est inconnue")
    application.refresh_from_db()
    assert (application.title, application.applicant) == (
        "Candidature Chaumont-Langres",
        directory.home.epci,
    )


@pytest.mark.parametrize(
    ("field", "message"),
    [("organisation", INVALID_CHOICE), ("user", "Ce compte n'appartient pas au territoire")],
)
def test_committee_member_add_refuses_another_territory_s_choice(
    client_for, territory, directory, users, field, message
):
    committee = Committee.objects.create(
        territory=territory, kind=Committee.Kind.COTECH, name="Comité technique"
    )
    value = {"organisation": directory.foreign.organisation.pk, "user": users["stranger"].pk}
    data = {
        "membre-role": "member",
        "membre-name": "Agnès Externe",
        f"membre-{field}": value[field],
    }
    response = client_for("coordinator").post(f"/comites/{committee.pk}/", data)
    assert_refused(response, f"membre-{field}", message)
    assert not CommitteeMember.objects.filter(committee=committee).exists()
    data[f"membre-{field}"] = {"organisation": directory.home.funder.pk, "user": users["lead"].pk}[
        field
    ]
    assert client_for("coordinator").post(f"/comites/{committee.pk}/", data).status_code == 302
    assert CommitteeMember.objects.filter(committee=committee).count() == 1
