import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from projects.models import Axis, FundingLine, Indicator, Organisation, ReportJob, Stage

from ...factories import FundingLineFactory, IndicatorFactory, OrganisationFactory, ProjectFactory
from ...utils import run_worker

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs"
CSV_URL = "/rapports/projets.csv"
XLSX_URL = "/rapports/projets.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "Référence",
    "Intitulé",
    "Résumé",
    "Territoire",
    "Code territoire",
    "Étape",
    "Axe",
    "Structure porteuse",
    "Commune",
    "Intercommunalité",
    "Début prévu",
    "Fin prévue",
    "Coût total HT (€)",
    "Total des financements hors refus (€)",
    "Aide accordée (€)",
    "Emplois créés (cible)",
    "Emplois créés (réalisé)",
    "Emplois maintenus (cible)",
    "Emplois maintenus (réalisé)",
    "Avancement (%)",
    "Publiable en données ouvertes",
]


def csv_rows(response) -> tuple[list[dict], list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.getvalue().decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]], rows[0]


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(response.getvalue()))


def sheet_dicts(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def schema_validator() -> Draft202012Validator:
    schema = json.loads((DOCS / "opendata.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.fixture
def rich_project(project):
    """The `project` fixture with dates, two funding lines (one refused) and indicators."""
    project.planned_start = date(2026, 1, 5)
    project.planned_end = date(2027, 6, 30)
    project.total_cost = Decimal("1250000.50")
    project.commune = "Nogent"
    project.progress = 40
    project.save()
    state = OrganisationFactory(name="Préfecture de la Haute-Marne", kind=Organisation.Kind.STATE)
    FundingLineFactory(
        project=project,
        funder=state,
        amount=Decimal("300000"),
        status=FundingLine.Status.GRANTED,
        instrument=FundingLine.Instrument.DETR,
    )
    FundingLineFactory(project=project, amount=Decimal("50000"), status=FundingLine.Status.REFUSED)
    FundingLineFactory(project=project, amount=Decimal("100000.25"))
    IndicatorFactory(project=project, target=Decimal("12"), achieved=Decimal("3.5"))
    IndicatorFactory(project=project, kind=Indicator.Kind.JOBS_KEPT, target=Decimal("40"))
    IndicatorFactory(
        project=project,
        kind=Indicator.Kind.HECTARES,
        target=Decimal("2.5"),
        measured_on=date(2026, 2, 1),
    )
    return project


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_french_header_and_french_excel_values(client_for, rich_project):
    response = client_for("partner").get(CSV_URL)
    rows, header = csv_rows(response)
    assert header == HEADER
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="projets-ti-0052-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    (row,) = rows
    assert row["Référence"] == rich_project.reference
    assert row["Intitulé"] == "Extension de l'école de production"
    assert row["Territoire"] == "Chaumont-Langres"
    assert row["Code territoire"] == "ti-0052"
    assert row["Étape"] == "Déposé"
    assert row["Axe"] == "Écosystèmes d'innovation"
    assert row["Commune"] == "Nogent"
    assert row["Début prévu"] == "05/01/2026"
    assert row["Fin prévue"] == "30/06/2027"
    assert row["Coût total HT (€)"] == "1250000,50"
    assert row["Total des financements hors refus (€)"] == "400000,25"
    assert row["Aide accordée (€)"] == "300000,00"
    assert row["Emplois créés (cible)"] == "12"
    assert row["Emplois créés (réalisé)"] == "3,5"
    assert row["Emplois maintenus (cible)"] == "40"
    assert row["Emplois maintenus (réalisé)"] == "0"
    assert row["Avancement (%)"] == "40"
    assert row["Publiable en données ouvertes"] == "non"


def test_csv_neutralises_formula_like_texts(client_for, territory, project):
    project.title = '=HYPERLINK("http://x","clic")'
    project.summary = "+33 6 12 34 56 78"
    project.commune = "@SUM(A1:A9)"
    project.save()
    ProjectFactory(territory=territory, title="-2+3", summary="\tcaché")
    ProjectFactory(territory=territory, title="\r=1+1", summary="Un résumé = sans danger")
    rows, _ = csv_rows(client_for("member").get(CSV_URL))
    by_title = {row["Intitulé"]: row for row in rows}
    assert set(by_title) == {'\'=HYPERLINK("http://x","clic")', "'-2+3", "'\r=1+1"}
    first = by_title['\'=HYPERLINK("http://x","clic")']
    assert first["Résumé"] == "'+33 6 12 34 56 78"
    assert first["Commune"] == "'@SUM(A1:A9)"
    assert by_title["'-2+3"]["Résumé"] == "'\tcaché"
    assert by_title["'\r=1+1"]["Résumé"] == "Un résumé = sans danger"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_has_three_typed_sheets_and_no_formula(client_for, rich_project):
    rich_project.title = '=HYPERLINK("http://x")'
    rich_project.summary = "Contient\x0bun caractère de contrôle"
    rich_project.save()
    response = client_for("partner").get(XLSX_URL)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="projets-ti-0052-{today}.xlsx"'
    wb = workbook(response)
    assert wb.sheetnames == ["Projets", "Financements", "Indicateurs"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))

    projects = wb["Projets"]
    assert [c.value for c in projects[1]] == HEADER
    (row,) = sheet_dicts(projects)
    assert row["Intitulé"] == '\'=HYPERLINK("http://x")'
    assert row["Résumé"] == "Contientun caractère de contrôle"
    assert row["Code territoire"] == "ti-0052"
    assert isinstance(row["Coût total HT (€)"], int | float)
    assert row["Coût total HT (€)"] == pytest.approx(1250000.50)
    assert row["Total des financements hors refus (€)"] == pytest.approx(400000.25)
    assert row["Aide accordée (€)"] == pytest.approx(300000)
    assert row["Emplois créés (cible)"] == 12
    assert row["Emplois créés (réalisé)"] == pytest.approx(3.5)
    assert row["Avancement (%)"] == 40
    assert row["Début prévu"] == datetime(2026, 1, 5)
    assert row["Fin prévue"] == datetime(2027, 6, 30)
    amount_cell = projects.cell(row=2, column=HEADER.index("Coût total HT (€)") + 1)
    assert amount_cell.data_type == "n"
    assert "€" in amount_cell.number_format
    date_cell = projects.cell(row=2, column=HEADER.index("Début prévu") + 1)
    assert date_cell.is_date
    assert date_cell.number_format == "DD/MM/YYYY"

    funding = sheet_dicts(wb["Financements"])
    assert len(funding) == 3
    granted = next(line for line in funding if line["Statut"] == "Accordé")
    assert granted["Financeur"] == "Préfecture de la Haute-Marne"
    assert granted["Type de financeur"] == "État"
    assert granted["Dispositif"] == "DETR / DSIL"
    assert granted["Référence du projet"] == rich_project.reference
    assert isinstance(granted["Montant (€)"], int | float)
    assert granted["Montant (€)"] == pytest.approx(300000)

    indicators = sheet_dicts(wb["Indicateurs"])
    assert [m["Indicateur"] for m in indicators] == [
        "Emplois créés",
        "Emplois maintenus",
        "Foncier aménagé ou requalifié",
    ]
    hectares = indicators[2]
    assert hectares["Cible"] == pytest.approx(2.5)
    assert hectares["Unité"] == "ha"
    assert hectares["Date de mesure"] == datetime(2026, 2, 1)
    assert indicators[0]["Réalisé"] == pytest.approx(3.5)
    assert indicators[1]["Réalisé"] is None


def test_xlsx_neutralises_every_formula_prefix_and_error_code(client_for, territory, project):
    project.title = "@cmd"
    project.save()
    ProjectFactory(territory=territory, title="#N/A", summary="-1")
    wb = workbook(client_for("coordinator").get(XLSX_URL))
    cells = {c.value: c for row in wb["Projets"].iter_rows(min_row=2) for c in row if c.value}
    assert cells["'@cmd"].data_type == "s"
    assert cells["#N/A"].data_type == "s"
    assert cells["'-1"].data_type == "s"


# --- scope and permissions -------------------------------------------------------------------


def exported_titles(client, url=CSV_URL) -> set[str]:
    response = client.get(url)
    if url.split("?")[0].endswith(".xlsx"):
        return {row["Intitulé"] for row in sheet_dicts(workbook(response)["Projets"])}
    rows, _ = csv_rows(response)
    return {row["Intitulé"] for row in rows}


def test_anonymous_is_sent_to_login_for_exports():
    for url in (CSV_URL, XLSX_URL):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_every_role_exports_its_territory_and_never_another(
    client_for, territory, other_territory, project, url
):
    ProjectFactory(territory=other_territory, title="Projet de la Meuse", is_public=True)
    drafting = ProjectFactory(territory=territory, title="Brouillon", stage=Stage.DRAFTING)
    ProjectFactory(territory=territory, title="Archivé", is_archived=True)
    for name in ("coordinator", "lead", "other_lead", "member", "partner"):
        titles = exported_titles(client_for(name), url)
        assert project.title in titles
        assert "Projet de la Meuse" not in titles
        assert "Archivé" not in titles
        # Projects being written only appear for the coordination, as on the reports page.
        assert (drafting.title in titles) == (name == "coordinator")
    assert exported_titles(client_for("stranger"), url) == {"Projet de la Meuse"}


def test_a_territory_parameter_does_not_widen_the_scope_of_a_non_admin(
    client_for, other_territory, project
):
    from projects.models import Membership, Role

    ProjectFactory(territory=other_territory, title="Projet de la Meuse")
    client = client_for("partner")
    # Another territory answers 404, as a missing one; "tous" is for national admins only.
    assert client.get(f"{CSV_URL}?territoire=ti-0055").status_code == 404
    assert client.get(f"{CSV_URL}?territoire=tous").status_code == 404
    # A territory the user belongs to can be named, as on the portfolio PDF.
    partner = Membership.objects.get(role=Role.PARTNER, territory__code="ti-0052").user
    Membership.objects.create(user=partner, territory=other_territory, role=Role.PARTNER)
    assert exported_titles(client, f"{CSV_URL}?territoire=ti-0055") == {"Projet de la Meuse"}


def test_national_admin_chooses_one_territory_or_all(client_for, other_territory, project):
    ProjectFactory(territory=other_territory, title="Projet de la Meuse")
    admin = client_for("admin")
    assert exported_titles(admin, f"{CSV_URL}?territoire=ti-0055") == {"Projet de la Meuse"}
    response = admin.get(f"{CSV_URL}?territoire=tous")
    assert "projets-tous-" in response["Content-Disposition"]
    rows, _ = csv_rows(response)
    assert {(r["Intitulé"], r["Code territoire"]) for r in rows} == {
        (project.title, "ti-0052"),
        ("Projet de la Meuse", "ti-0055"),
    }
    assert admin.get(f"{CSV_URL}?territoire=ti-9999").status_code == 404


def test_the_national_workbook_is_built_by_the_worker(
    client_for, other_territory, project, worker_queue
):
    """Issue 13: 20 000 projects are over a minute of work, which no request may hold."""
    ProjectFactory(territory=other_territory, title="Projet de la Meuse")
    admin = client_for("admin")
    response = admin.get(f"{XLSX_URL}?territoire=tous")
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rapports/generations/{job.pk}/"
    assert (job.kind, job.status) == (ReportJob.Kind.EXPORT_XLSX, ReportJob.Status.QUEUED)
    page = admin.get(job.get_absolute_url()).content.decode()
    assert "Export des projets (XLSX)" in page and "Tous les territoires" in page
    assert admin.get(f"{XLSX_URL}?territoire=tous")["Location"] == response["Location"]

    run_worker()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE
    assert "Télécharger l'export (XLSX" in admin.get(job.get_absolute_url()).content.decode()
    download = admin.get(f"/rapports/generations/{job.pk}/fichier.pdf")
    assert (
        f'filename="projets-tous-{timezone.localdate().isoformat()}.xlsx"'
        in (download["Content-Disposition"])
    )
    assert download["Content-Type"] == XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert {row["Intitulé"] for row in sheet_dicts(book["Projets"])} == {
        project.title,
        "Projet de la Meuse",
    }
    # The same request a minute later gets the same file; a territory's own comes at once.
    assert admin.get(f"{XLSX_URL}?territoire=tous")["Location"] == response["Location"]
    assert exported_titles(admin, f"{XLSX_URL}?territoire=ti-0055") == {"Projet de la Meuse"}


def test_a_report_of_a_past_day_is_reused_and_one_of_today_is_made_again(client_for, project):
    admin = client_for("admin")
    today, past = f"{XLSX_URL}?territoire=tous", f"{XLSX_URL}?territoire=tous&date=2026-01-05"
    first_today, first_past = admin.get(today)["Location"], admin.get(past)["Location"]
    ReportJob.objects.update(finished_at=timezone.now() - timedelta(hours=1))
    assert admin.get(past)["Location"] == first_past  # the history of a past day is settled
    assert admin.get(today)["Location"] != first_today  # today's figures may have changed
    assert ReportJob.objects.count() == 3


def test_filters_are_those_of_the_reports_page(client_for, territory, project):
    epci = OrganisationFactory(name="CC du Grand Langres", kind=Organisation.Kind.EPCI)
    bpi = OrganisationFactory(name="Bpifrance", kind=Organisation.Kind.PUBLIC_OPERATOR)
    skills = ProjectFactory(territory=territory, title="Compétences", axis=Axis.SKILLS, epci=epci)
    FundingLineFactory(project=skills, funder=bpi)
    ProjectFactory(territory=territory, title="Recevable", stage=Stage.ELIGIBLE)
    client = client_for("member")
    assert exported_titles(client, f"{CSV_URL}?axe=skills") == {"Compétences"}
    assert exported_titles(client, f"{CSV_URL}?etape=eligible") == {"Recevable"}
    assert exported_titles(client, f"{XLSX_URL}?epci={epci.pk}") == {"Compétences"}
    assert exported_titles(client, f"{CSV_URL}?financeur={bpi.pk}") == {"Compétences"}
    assert exported_titles(client, f"{CSV_URL}?axe=&etape=") == {
        project.title,
        "Compétences",
        "Recevable",
    }


@pytest.mark.parametrize("query", ["date=hier", "date=2025-02-30", "axe=inconnu"])
def test_bad_parameters_answer_400_in_french(client_for, project, query):
    response = client_for("member").get(f"{CSV_URL}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Paramètres invalides.\n")
    assert client_for("member").get(f"{XLSX_URL}?{query}").status_code == 400


def test_exports_as_of_a_date_show_the_audit_history(client_for, territory, users):
    now = timezone.now()
    # Ten days ago: the project and its funding line were created; both changed since.
    created = {"by": users["lead"], "reason": "Dépôt du projet", "at": now - timedelta(days=10)}
    project = ProjectFactory(territory=territory, title="Ancien titre", **created)
    line = FundingLineFactory(project=project, amount=Decimal("40000"), **created)
    project.total_cost = Decimal("250000")
    project.title = "Nouveau titre"
    project.save()
    line.amount = Decimal("90000")
    line.save()
    ProjectFactory(territory=territory, title="Projet récent")

    client = client_for("partner")
    day = (now - timedelta(days=7)).date()
    response = client.get(f"{CSV_URL}?date={day.isoformat()}")
    assert f"projets-ti-0052-{day.isoformat()}.csv" in response["Content-Disposition"]
    (old,) = csv_rows(response)[0]
    assert old["Intitulé"] == "Ancien titre"
    assert old["Coût total HT (€)"] == "100000,00"
    assert old["Total des financements hors refus (€)"] == "40000,00"

    rows, _ = csv_rows(client.get(CSV_URL))
    assert {r["Intitulé"]: r["Coût total HT (€)"] for r in rows} == {
        "Nouveau titre": "250000,00",
        "Projet récent": "100000,00",
    }

    wb = workbook(client.get(f"{XLSX_URL}?date={day.isoformat()}"))
    (row,) = sheet_dicts(wb["Projets"])
    assert row["Coût total HT (€)"] == 100000
    (funding,) = sheet_dicts(wb["Financements"])
    assert funding["Montant (€)"] == 40000

    before = (now - timedelta(days=30)).date().isoformat()
    assert csv_rows(client.get(f"{CSV_URL}?date={before}"))[0] == []


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_export_query_count_does_not_grow_with_the_portfolio(client_for, territory, users, url):
    client = client_for("coordinator")

    def add_projects(count: int) -> None:
        for _ in range(count):
            p = ProjectFactory(territory=territory, epci=OrganisationFactory(kind="epci"))
            FundingLineFactory(project=p)
            IndicatorFactory(project=p)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
            assert response.getvalue()
        return len(ctx.captured_queries)

    add_projects(5)
    few = count_queries()
    add_projects(45)
    many = count_queries()
    assert few == many
    assert many <= 12


# --- open data -------------------------------------------------------------------------------


@pytest.fixture
def public_projects(territory, other_territory, rich_project):
    """rich_project made public, plus projects that must never be published."""
    rich_project.is_public = True
    rich_project.description = "Description interne, jamais publiée."
    rich_project.save()
    secret_funder = OrganisationFactory(name="Banque confidentielle", kind="operator")
    FundingLineFactory(project=rich_project, funder=secret_funder, amount=Decimal("1000"))
    ProjectFactory(territory=territory, title="Non publiable", is_public=False)
    ProjectFactory(
        territory=territory, title="Publiable en rédaction", is_public=True, stage=Stage.DRAFTING
    )
    ProjectFactory(territory=territory, title="Publiable idée", is_public=True, stage=Stage.IDEA)
    ProjectFactory(territory=territory, title="Publiable archivé", is_public=True, is_archived=True)
    ProjectFactory(territory=other_territory, title="Projet public de la Meuse", is_public=True)
    return rich_project


def test_opendata_json_follows_the_documented_schema(public_projects):
    response = Client().get("/opendata/ti-0052/projets.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    document = response.json()
    schema_validator().validate(document)
    assert document["territoire"] == {
        "code": "ti-0052",
        "nom": "Chaumont-Langres",
        "region": "Grand Est",
    }
    assert document["licence"] == "Licence Ouverte 2.0"
    (project,) = document["projets"]
    assert project["reference"] == public_projects.reference
    assert project["intitule"] == "Extension de l'école de production"
    assert project["axe_code"] == "innovation"
    assert project["etape_libelle"] == "Déposé"
    assert project["cout_total_ht"] == 1250000.5
    assert project["financements_total"] == 401000.25
    assert project["emplois_crees_cible"] == 12
    assert project["emplois_maintenus_cible"] == 40
    assert project["debut_prevu"] == "2026-01-05"
    assert project["mis_a_jour_le"] == timezone.localdate().isoformat()
    body = response.content.decode()
    for secret in (
        "Non publiable",
        "Publiable en rédaction",
        "Publiable idée",
        "Publiable archivé",
        "Meuse",
        "Description interne",
        "Banque confidentielle",
        "Préfecture de la Haute-Marne",
    ):
        assert secret not in body


def test_opendata_projects_carry_only_the_documented_public_fields(public_projects):
    schema = json.loads((DOCS / "opendata.schema.json").read_text())
    public_fields = list(schema["$defs"]["projet"]["properties"])
    document = Client().get("/opendata/ti-0052/projets.json").json()
    assert list(document["projets"][0]) == public_fields
    assert "description" not in public_fields
    assert not any("financeur" in name or "ligne" in name for name in public_fields)
    documented = (DOCS / "opendata.md").read_text()
    for name in public_fields:
        assert f"`{name}`" in documented


def test_opendata_csv_has_the_same_fields(public_projects, territory):
    ProjectFactory(territory=territory, title="=1+1", is_public=True, stage=Stage.APPROVED)
    response = Client().get("/opendata/ti-0052/projets.csv")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=3600" in response["Cache-Control"]
    assert 'filename="projets-ti-0052.csv"' in response["Content-Disposition"]
    rows, header = csv_rows(response)
    schema = json.loads((DOCS / "opendata.schema.json").read_text())
    assert header == list(schema["$defs"]["projet"]["properties"])
    by_title = {row["intitule"]: row for row in rows}
    assert set(by_title) == {"Extension de l'école de production", "'=1+1"}
    row = by_title["Extension de l'école de production"]
    assert row["cout_total_ht"] == "1250000.5"
    assert row["debut_prevu"] == "2026-01-05"
    assert row["code_territoire"] == "ti-0052"
    assert by_title["'=1+1"]["emplois_crees_cible"] == ""
    body = response.getvalue().decode()
    assert "Description interne" not in body
    assert "Banque confidentielle" not in body
    assert "Non publiable" not in body


def test_opendata_unknown_territory_is_404_and_empty_territory_is_valid(other_territory):
    assert Client().get("/opendata/ti-9999/projets.json").status_code == 404
    assert Client().get("/opendata/ti-9999/projets.csv").status_code == 404
    document = Client().get("/opendata/ti-0055/projets.json").json()
    schema_validator().validate(document)
    assert document["projets"] == []


def test_documented_example_follows_the_schema():
    documented = (DOCS / "opendata.md").read_text()
    example = re.search(r"```json\n(.*?)```", documented, re.S).group(1)
    schema_validator().validate(json.loads(example))
