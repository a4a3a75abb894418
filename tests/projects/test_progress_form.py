"""The lead's progress form (issue 10): each row says what it is, the lead may add an indicator
or a milestone, the same indicator twice is refused, and dates that record a fact are not in
the future (a report « situation au » a future day: tests/test_portfolio.py)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import Indicator, Milestone, Stage

from ..factories import IndicatorFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FACT = "Cette date enregistre un fait : elle ne peut pas être postérieure à aujourd&#x27;hui."


@pytest.fixture
def funded(territory, users):
    project = ProjectFactory(territory=territory, stage=Stage.IN_PROGRESS, title="Usine pilote")
    project.lead_users.add(users["lead"])
    IndicatorFactory(project=project, kind=Indicator.Kind.JOBS_CREATED, target=Decimal("25"))
    MilestoneFactory(project=project, title="Mise en service", due_on=date(2027, 3, 31))
    return project


def form_data(project, **changes) -> dict:
    """The progress form as the page posts it, rows included."""
    indicator, milestone = project.indicators.get(), project.milestones.get()
    data = {
        "progress": "40",
        "indicateurs-TOTAL_FORMS": "1",
        "indicateurs-INITIAL_FORMS": "1",
        "indicateurs-0-id": indicator.pk,
        "indicateurs-0-achieved": "",
        "indicateurs-0-measured_on": "",
        "jalons-TOTAL_FORMS": "1",
        "jalons-INITIAL_FORMS": "1",
        "jalons-0-id": milestone.pk,
        "jalons-0-done_on": "",
    }
    return {**data, **changes}


def test_each_row_names_its_indicator_and_milestone(client_for, funded):
    page = client_for("lead").get(f"/projets/{funded.pk}/modifier/").content.decode()
    # Read-only: what the row is, its target and unit, the milestone and its due date.
    for shown in ("Emplois créés", "25", "ETP", "Mise en service", "31 mars 2027"):
        assert f'<span class="read-only">{shown}</span>' in page
    # A screen reader hears which row a field belongs to.
    assert re.search(r"<label[^>]*>Réalisé — Emplois créés</label>", page)
    assert re.search(r"<label[^>]*>Réalisé le — Mise en service</label>", page)
    assert 'name="indicateurs-0-kind"' not in page and 'name="jalons-0-title"' not in page


def test_the_lead_records_progress_and_cannot_rewrite_the_target(client_for, users, funded):
    indicator = funded.indicators.get()
    response = client_for("lead").post(
        f"/projets/{funded.pk}/modifier/",
        form_data(
            funded,
            **{
                "indicateurs-0-achieved": "12",
                "indicateurs-0-measured_on": "2026-11-30",
                "indicateurs-0-target": "2",  # forged: the target is fixed past drafting
                "indicateurs-0-kind": "hectares",
            },
        ),
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.kind, indicator.target) == (Indicator.Kind.JOBS_CREATED, Decimal("25"))
    assert (indicator.achieved, indicator.measured_on) == (Decimal("12"), date(2026, 11, 30))
    assert indicator.history.first().history_user == users["lead"]


def test_the_lead_adds_a_milestone_and_an_indicator(client_for, users, funded):
    data = form_data(
        funded,
        **{
            "indicateurs-TOTAL_FORMS": "2",
            "indicateurs-1-kind": "trained",
            "indicateurs-1-target": "40",
            "indicateurs-1-unit": "",
            "indicateurs-1-achieved": "",
            "indicateurs-1-measured_on": "",
            "jalons-TOTAL_FORMS": "2",
            "jalons-1-title": "Première promotion formée",
            "jalons-1-due_on": "2027-09-30",
            "jalons-1-done_on": "",
        },
    )
    response = client_for("lead").post(f"/projets/{funded.pk}/modifier/", data)
    assert response.status_code == 302
    added = funded.milestones.get(title="Première promotion formée")
    assert added.due_on == date(2027, 9, 30)
    assert added.history.get().history_user == users["lead"]
    trained = funded.indicators.get(kind=Indicator.Kind.PEOPLE_TRAINED)
    assert (trained.target, trained.unit) == (Decimal("40"), "personnes")


def test_the_row_a_lead_adds_has_no_remove_box(client_for, funded, htmx_headers):
    url = f"/projets/ligne/jalons/?projet={funded.pk}&jalons-TOTAL_FORMS=1"
    response = client_for("lead").get(url, **htmx_headers)
    assert response.status_code == 200
    row = response.content.decode()
    assert 'name="jalons-1-title"' in row and "DELETE" not in row


def test_the_same_indicator_twice_is_refused(client_for, funded):
    data = form_data(
        funded,
        **{
            "indicateurs-TOTAL_FORMS": "2",
            "indicateurs-1-kind": "jobs_created",
            "indicateurs-1-target": "5",
            "indicateurs-1-unit": "",
            "indicateurs-1-achieved": "",
            "indicateurs-1-measured_on": "",
        },
    )
    response = client_for("lead").post(f"/projets/{funded.pk}/modifier/", data)
    assert response.status_code == 200
    assert (
        "L&#x27;indicateur « Emplois créés » figure déjà sur une autre ligne"
        in response.content.decode()
    )
    assert funded.indicators.count() == 1


def test_a_fact_cannot_be_dated_in_the_future(client_for, funded):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = form_data(
        funded, **{"jalons-0-done_on": tomorrow, "indicateurs-0-measured_on": tomorrow}
    )
    response = client_for("lead").post(f"/projets/{funded.pk}/modifier/", data)
    assert response.status_code == 200
    assert response.content.decode().count(FACT) == 2
    milestone = Milestone.objects.get(project=funded)
    assert milestone.done_on is None
    today = timezone.localdate().isoformat()
    done = client_for("lead").post(
        f"/projets/{funded.pk}/modifier/", form_data(funded, **{"jalons-0-done_on": today})
    )
    assert done.status_code == 302


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("other_lead", "Seuls les porteurs de ce projet et la coordination du territoire le"),
        ("member", "Seuls les porteurs de ce projet et la coordination du territoire le"),
    ],
)
def test_a_refused_edit_says_why(client_for, funded, who, reason):
    response = client_for(who).get(f"/projets/{funded.pk}/modifier/")
    assert response.status_code == 403
    assert reason in response.content.decode()


def test_a_lead_past_their_stage_is_told_who_edits(client_for, users, territory):
    project = ProjectFactory(territory=territory, stage=Stage.SUBMITTED, title="Halle")
    project.lead_users.add(users["lead"])
    response = client_for("lead").get(f"/projets/{project.pk}/modifier/")
    assert response.status_code == 403
    assert "le porteur ne modifie pas le projet : la coordination du territoire" in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_every_described_field_of_the_form_points_to_an_existing_description(client_for, funded):
    page = client_for("coordinator").get(f"/projets/{funded.pk}/modifier/").content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    described = {i for ref in re.findall(r'aria-describedby="([^"]+)"', page) for i in ref.split()}
    assert "id_is_public_helptext" in described
    assert described <= ids
