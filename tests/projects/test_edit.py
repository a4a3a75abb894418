from decimal import Decimal

import pytest

from projects.models import FundingLine, Indicator, Milestone, Organisation, Project, Stage

from ..factories import FundingLineFactory, IndicatorFactory, MilestoneFactory, OrganisationFactory
from ..utils import text

pytestmark = pytest.mark.django_db


def edit_data(project: Project, **overrides) -> dict:
    """The POST body of the edit page for the project as it stands, with overrides."""
    data = {
        "title": project.title,
        "summary": project.summary,
        "description": project.description,
        "axis": project.axis,
        "lead_organisation": project.lead_organisation_id or "",
        "partners": [o.pk for o in project.partners.all()],
        "lead_users": [u.pk for u in project.lead_users.all()],
        "commune": project.commune,
        "epci": project.epci_id or "",
        "planned_start": project.planned_start.isoformat() if project.planned_start else "",
        "planned_end": project.planned_end.isoformat() if project.planned_end else "",
        "total_cost": str(project.total_cost),
        "progress": project.progress,
    }
    if project.is_public:
        data["is_public"] = "on"
    rows = {
        "financement": (project.funding_lines.all(), ["funder", "instrument", "amount", "status"]),
        "indicateurs": (
            project.indicators.all(),
            ["kind", "target", "achieved", "unit", "measured_on"],
        ),
        "jalons": (project.milestones.all(), ["title", "due_on", "done_on"]),
    }
    for prefix, (objects, fields) in rows.items():
        objects = list(objects)
        data[f"{prefix}-TOTAL_FORMS"] = len(objects)
        data[f"{prefix}-INITIAL_FORMS"] = len(objects)
        for i, obj in enumerate(objects):
            data[f"{prefix}-{i}-id"] = obj.pk
            for name in fields:
                value = getattr(obj, f"{name}_id", None) if name == "funder" else getattr(obj, name)
                data[f"{prefix}-{i}-{name}"] = "" if value is None else str(value)
    data.update(overrides)
    return data


@pytest.fixture
def full_project(project):
    project.stage = Stage.DRAFTING
    project.save()
    FundingLineFactory(project=project, amount=Decimal("60000"))
    FundingLineFactory(project=project, amount=Decimal("40000"))
    IndicatorFactory(project=project)
    MilestoneFactory(project=project)
    return project


def history_counts(project: Project) -> dict[str, int]:
    return {
        "project": project.history.count(),
        "funding": FundingLine.history.filter(project_id=project.pk).count(),
        "indicators": Indicator.history.filter(project_id=project.pk).count(),
        "milestones": Milestone.history.filter(project_id=project.pk).count(),
    }


def test_lead_edits_funding_plan_one_history_row_per_changed_object(
    client_for, full_project, users
):
    before = history_counts(full_project)
    line = full_project.funding_lines.first()
    data = edit_data(full_project, **{"financement-0-amount": "65 000,50"})
    response = client_for("lead").post(f"/projets/{full_project.pk}/modifier/", data)
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.amount == Decimal("65000.50")
    after = history_counts(full_project)
    assert after == {**before, "funding": before["funding"] + 1}
    assert FundingLine.history.filter(id=line.pk).first().history_user == users["lead"]


def test_editing_fields_and_partners_makes_one_project_history_row(client_for, full_project, users):
    partner = OrganisationFactory(name="Nogentech")
    full_project.territory.organisations.add(partner)
    before = history_counts(full_project)
    data = edit_data(full_project, title="Nouveau titre", partners=[partner.pk])
    assert (
        client_for("coordinator").post(f"/projets/{full_project.pk}/modifier/", data).status_code
        == 302
    )
    after = history_counts(full_project)
    assert after == {**before, "project": before["project"] + 1}
    record = full_project.history.first()
    assert record.title == "Nouveau titre"
    assert record.history_user == users["coordinator"]
    assert [row.organisation_id for row in record.historicalproject_partners_set.all()] == [
        partner.pk
    ]


def test_unchanged_submit_writes_no_history(client_for, full_project):
    before = history_counts(full_project)
    response = client_for("coordinator").post(
        f"/projets/{full_project.pk}/modifier/", edit_data(full_project)
    )
    assert response.status_code == 302
    assert history_counts(full_project) == before


def test_add_and_delete_rows(client_for, full_project):
    funder = Organisation.objects.create(name="Région Grand Est", kind="region")
    full_project.territory.organisations.add(funder)
    line = full_project.funding_lines.first()
    data = edit_data(
        full_project,
        **{
            "financement-TOTAL_FORMS": 3,
            "financement-0-DELETE": "on",
            "financement-2-funder": funder.pk,
            "financement-2-instrument": "grant",
            "financement-2-amount": "60000",
            "financement-2-status": "requested",
        },
    )
    assert client_for("lead").post(f"/projets/{full_project.pk}/modifier/", data).status_code == 302
    assert not FundingLine.objects.filter(pk=line.pk).exists()
    assert full_project.funding_lines.filter(funder=funder, amount=60000).exists()
    assert FundingLine.history.filter(id=line.pk, history_type="-").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"total_cost": "-5"}, "ne peut pas être négatif"),
        ({"total_cost": "beaucoup"}, "Saisissez un montant"),
        ({"financement-0-amount": "-100"}, "ne peut pas être négatif"),
        ({"financement-0-amount": "abc"}, "Saisissez un montant"),
        ({"planned_start": "2026-06-01", "planned_end": "2026-01-01"}, "ne peut pas précéder"),
        ({"financement-0-funder": "999999"}, "Ce financeur est inconnu"),
        ({"axis": "hacked"}, "Sélectionnez un choix valide"),
        ({"progress": "150"}, "100"),
        ({"title": ""}, "Ce champ est obligatoire"),
    ],
)
def test_bad_input_is_refused_with_a_french_message_and_nothing_saved(
    client_for, full_project, overrides, message
):
    before = history_counts(full_project)
    snapshot = Project.objects.get(pk=full_project.pk)
    amounts = list(full_project.funding_lines.values_list("amount", flat=True))
    data = edit_data(full_project, **{"title": "Titre modifié en même temps", **overrides})
    response = client_for("coordinator").post(f"/projets/{full_project.pk}/modifier/", data)
    assert response.status_code == 200
    body = text(response)
    assert message in body
    assert "n'a pas été enregistré" in body
    assert history_counts(full_project) == before
    full_project.refresh_from_db()
    assert full_project.title == snapshot.title
    assert list(full_project.funding_lines.values_list("amount", flat=True)) == amounts


def test_forged_row_id_of_another_project_is_refused(client_for, full_project, territory):
    other_line = FundingLineFactory(project__territory=territory)
    data = edit_data(
        full_project, **{"financement-0-id": other_line.pk, "financement-0-amount": "1"}
    )
    response = client_for("coordinator").post(f"/projets/{full_project.pk}/modifier/", data)
    assert response.status_code == 200
    assert "n'appartient pas à ce projet" in text(response)
    other_line.refresh_from_db()
    assert other_line.amount == Decimal("50000")


def test_forged_territory_in_create_post_is_ignored(client_for, territory, other_territory):
    data = {
        "title": "Projet neuf",
        "axis": "skills",
        "total_cost": "1000",
        "progress": "0",
        "territory": other_territory.pk,
        "financement-TOTAL_FORMS": 0,
        "financement-INITIAL_FORMS": 0,
        "indicateurs-TOTAL_FORMS": 0,
        "indicateurs-INITIAL_FORMS": 0,
        "jalons-TOTAL_FORMS": 0,
        "jalons-INITIAL_FORMS": 0,
    }
    response = client_for("lead").post("/projets/nouveau/", data)
    assert response.status_code == 302
    project = Project.objects.get(title="Projet neuf")
    assert project.territory == territory
    assert project.reference.startswith("CL-")
    assert project.stage == Stage.IDEA
    assert list(project.lead_users.values_list("username", flat=True)) == ["lead"]
    assert project.history.count() == 1


def test_create_permissions(client_for):
    assert client_for(None).get("/projets/nouveau/").status_code == 302
    assert client_for("member").get("/projets/nouveau/").status_code == 403
    assert client_for("partner").get("/projets/nouveau/").status_code == 403
    assert client_for("lead").get("/projets/nouveau/").status_code == 200
    assert client_for("coordinator").get("/projets/nouveau/").status_code == 200


def test_lead_edit_rights_follow_the_stage(client_for, full_project):
    url = f"/projets/{full_project.pk}/modifier/"
    assert client_for("lead").get(url).status_code == 200
    for stage, expected in [
        (Stage.SUBMITTED, 403),
        (Stage.COTECH, 403),
        (Stage.RESERVES, 200),
        (Stage.APPROVED, 403),
        (Stage.IN_PROGRESS, 200),
    ]:
        full_project.stage = stage
        full_project.save()
        assert client_for("lead").get(url).status_code == expected, stage
    assert client_for("other_lead").get(url).status_code == 403
    assert client_for("member").get(url).status_code == 403
    assert client_for("stranger").get(url).status_code == 404


def test_progress_mode_only_changes_progress_fields(client_for, full_project):
    full_project.stage = Stage.IN_PROGRESS
    full_project.save()
    indicator = full_project.indicators.get()
    response = client_for("lead").get(f"/projets/{full_project.pk}/modifier/")
    assert 'name="title"' not in response.content.decode()
    data = {
        "title": "Tentative de changer le titre",
        "total_cost": "1",
        "progress": "40",
        "indicateurs-TOTAL_FORMS": 1,
        "indicateurs-INITIAL_FORMS": 1,
        "indicateurs-0-id": indicator.pk,
        "indicateurs-0-achieved": "5",
        "indicateurs-0-measured_on": "2026-10-01",
        "indicateurs-0-target": "999",
        "jalons-TOTAL_FORMS": 1,
        "jalons-INITIAL_FORMS": 1,
        "jalons-0-id": full_project.milestones.get().pk,
        "jalons-0-done_on": "2026-09-15",
    }
    response = client_for("lead").post(f"/projets/{full_project.pk}/modifier/", data)
    assert response.status_code == 302
    full_project.refresh_from_db()
    indicator.refresh_from_db()
    assert full_project.progress == 40
    assert full_project.title != "Tentative de changer le titre"
    assert full_project.total_cost == Decimal("100000")
    assert indicator.achieved == 5
    assert indicator.target == 12


def test_formset_row_fragment(client_for):
    client = client_for("lead")
    response = client.get(
        "/projets/ligne/financement/?financement-TOTAL_FORMS=3", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="financement-3-amount"' in body
    assert 'value="4"' in body and 'hx-swap-oob="true"' in body
    assert client.get("/projets/ligne/inconnu/", HTTP_HX_REQUEST="true").status_code == 404
    assert client_for(None).get("/projets/ligne/financement/").status_code == 302


@pytest.mark.parametrize(
    "typed",
    ["1 250 000,50", "1\u202f250\u202f000,50", "1\u00a0250\u00a0000,50", "1250000.50"],
    ids=["spaces", "narrow-no-break", "no-break", "dot"],
)
def test_amounts_are_typed_and_shown_the_french_way(client_for, full_project, typed):
    """Thousands apart by any space a keyboard or a spreadsheet gives, cents after a comma; the
    form shows the amount back as French writes it (tdi.formats), not as Django's settings do."""
    data = edit_data(full_project, total_cost=typed)
    client = client_for("coordinator")
    response = client.post(f"/projets/{full_project.pk}/modifier/", data)
    assert response.status_code == 302
    full_project.refresh_from_db()
    assert full_project.total_cost == Decimal("1250000.50")
    form = text(client.get(f"/projets/{full_project.pk}/modifier/"))
    assert 'name="total_cost" value="1\u202f250\u202f000,50"' in form
