"""The import of a territory's table of projects (issue 14): who may import, the model table
round trip, hostile and malformed files, the preview's reasons per cell, history and stages,
organisations matched by SIREN then name, and the same file imported twice changing nothing."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from projects import imports
from projects.imports.columns import guess_mapping
from projects.models import (
    Axis,
    FundingLine,
    FundingStatus,
    ImportStatus,
    Indicator,
    Organisation,
    Project,
    ProjectImport,
    ReportJob,
    Role,
    Stage,
    Territory,
)
from tdi.reports.data import key_figures, portfolio

from ..factories import (
    FundingLineFactory,
    IndicatorFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    TerritoryFactory,
    UserFactory,
    in_directory,
)
from ..utils import run_worker, text

pytestmark = pytest.mark.django_db

HEADERS = ["Référence", "Intitulé", "Axe", "Étape", "Coût total HT"]
FORBIDDEN = "Seule la coordination du territoire peut importer un tableau de projets."


def siren(base: str) -> str:
    """Eight digits and their Luhn key."""
    for key in "0123456789":
        candidate = base + key
        total = 0
        for index, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError(base)


def csv_upload(rows, name="suivi.csv", encoding="utf-8", delimiter=";") -> SimpleUploadedFile:
    content = "\r\n".join(delimiter.join(str(v) for v in row) for row in rows) + "\r\n"
    return SimpleUploadedFile(name, content.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows, title="Projets") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, file):
    return client.post("/projets/import/", {"file": file})


def walk(client, file) -> tuple[ProjectImport, object]:
    """Upload, keep the columns as guessed, and read the preview."""
    response = upload(client, file)
    assert response.status_code == 302, text(response)
    imp = ProjectImport.objects.latest("pk")
    mapping = {f"col{index}": key for index, key in imp.mapping.items()}
    response = client.post(f"/projets/import/{imp.pk}/colonnes/", mapping)
    assert response.status_code == 302, text(response)
    return imp, client.get(f"/projets/import/{imp.pk}/apercu/")


def run(client, imp, **choices):
    return client.post(f"/projets/import/{imp.pk}/apercu/", {"importer": "1", **choices})


def history_counts() -> tuple[int, ...]:
    return tuple(
        model.history.count()
        for model in (Project, FundingLine, Indicator, Organisation, Territory)
    )


# --- who may import -----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in ("/projets/import/", "/projets/import/modele.xlsx"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("name", ["lead", "member", "partner"])
def test_other_roles_are_forbidden_with_the_reason(client_for, name):
    client = client_for(name)
    for response in (
        client.get("/projets/import/"),
        client.get("/projets/import/modele.xlsx"),
        upload(client, csv_upload([HEADERS, ["X-1", "Projet", "Autre", "Idée", "1"]])),
    ):
        assert response.status_code == 403
        assert FORBIDDEN in text(response)
    assert not ProjectImport.objects.exists()


def test_the_coordinator_of_another_territory_never_reaches_this_one(
    client_for, territory, other_territory
):
    imp, _preview = walk(
        client_for("coordinator"), csv_upload([HEADERS, ["X-1", "Projet", "Autre", "Idée", "1"]])
    )
    stranger = client_for("stranger")
    for url in ("", "colonnes/", "apercu/"):
        assert stranger.get(f"/projets/import/{imp.pk}/{url}").status_code == 404
    assert run(stranger, imp).status_code == 404
    # What the stranger imports goes to the territory they coordinate, never to this one.
    mine, _ = walk(stranger, csv_upload([HEADERS, ["X-1", "Projet", "Autre", "Idée", "1"]]))
    run(stranger, mine)
    assert Project.objects.get(reference="X-1").territory == other_territory
    assert not Project.objects.filter(territory=territory).exists()


def test_the_coordinator_sees_the_link_and_imports(client_for, territory):
    client = client_for("coordinator")
    assert 'href="/projets/import/"' in text(client.get("/projets/"))
    assert 'href="/projets/import/"' not in text(client_for("lead").get("/projets/"))
    imp, preview = walk(client, csv_upload([HEADERS, ["X-1", "Projet importé", "Autre", "", "1"]]))
    assert preview.status_code == 200
    assert not Project.objects.exists()  # the preview writes nothing
    response = run(client, imp)
    assert response.status_code == 302
    project = Project.objects.get()
    assert (project.territory, project.reference, project.title) == (
        territory,
        "X-1",
        "Projet importé",
    )


# --- the model table, filled and imported back ----------------------------------------------


@pytest.fixture
def portfolio_of_a_territory(territory, users):
    """Projects at stages a table may hold, with funding plans and jobs indicators."""
    forges = OrganisationFactory(name="Forges du Bassigny SAS", siren=siren("99152001"))
    epci = OrganisationFactory(name="Communauté de communes du Grand Langres", kind="epci")
    region = OrganisationFactory(name="Région Grand Est", kind="region")
    bpi = OrganisationFactory(name="Bpifrance", kind="operator")
    in_directory(territory, forges, epci, region, bpi)
    funded = ProjectFactory(
        territory=territory,
        title="Récupération de chaleur fatale",
        axis=Axis.ECOLOGICAL,
        stage=Stage.FUNDED,
        lead_organisation=forges,
        epci=epci,
        total_cost=Decimal("500000"),
        progress=40,
        is_public=True,
    )
    funded.lead_users.add(users["lead"])
    FundingLineFactory(project=funded, funder=region, amount=Decimal("200000"), status="granted")
    FundingLineFactory(
        project=funded, funder=bpi, instrument="loan", amount=Decimal("100000.50"), status="paid"
    )
    FundingLineFactory(
        project=funded, funder=region, instrument="feder", amount=Decimal("50000"), status="refused"
    )
    IndicatorFactory(project=funded, kind="jobs_created", target=12, achieved=3)
    IndicatorFactory(project=funded, kind="jobs_kept", target=20)
    drafting = ProjectFactory(
        territory=territory,
        title="Parcours de formation d'opérateurs",
        summary="=1+1 n'est pas une formule",
        axis=Axis.SKILLS,
        stage=Stage.DRAFTING,
        lead_organisation=None,
        total_cost=Decimal("80000"),
    )
    FundingLineFactory(project=drafting, funder=region, amount=Decimal("40000"), status="planned")
    IndicatorFactory(project=drafting, kind="jobs_created", target=2)
    ProjectFactory(territory=territory, axis=Axis.LAND, stage=Stage.APPROVED)
    ProjectFactory(territory=territory, axis=Axis.INNOVATION, stage=Stage.REJECTED)
    return territory


def figures_of(territory) -> dict:
    return key_figures(portfolio([territory], include_private=True))


def test_the_model_table_lists_the_columns_and_the_allowed_values(client_for):
    response = client_for("coordinator").get("/projets/import/modele.xlsx")
    assert response.status_code == 200
    assert "modele-tableau-projets.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    headers = next(workbook["Projets"].iter_rows(values_only=True))
    for header in ("Référence", "Intitulé", "Axe", "Étape", "Coût total HT", "Financeur 1",
                   "Montant 1", "Statut du financement 1", "Emplois créés (cible)"):  # fmt: skip
        assert header in headers
    values = [cell for row in workbook["Valeurs autorisées"].iter_rows(values_only=True)
              for cell in row if cell]  # fmt: skip
    for label in ("Financé", "Recrutement et compétences", "Fonds vert", "Accordé", "Prêt"):
        assert label in values
    assert "Examen COTECH" not in values[:40]  # a meeting holds it: not taken up by a table


def test_the_model_table_round_trips_into_an_empty_territory(client_for, portfolio_of_a_territory):
    source = portfolio_of_a_territory
    table = client_for("coordinator").get("/projets/import/modele.xlsx?projets=1").content
    empty = TerritoryFactory(name="Nouveau territoire", prefix="NT")
    coordinator = MembershipFactory(
        user=UserFactory(username="nouveau"), territory=empty, role=Role.COORDINATOR
    ).user
    client = client_for(None)
    client.force_login(coordinator)

    imp, preview = walk(client, SimpleUploadedFile("projets.xlsx", table))
    assert "Projets à créer (4)" in text(preview)
    assert run(client, imp).status_code == 302

    assert Project.objects.filter(territory=empty).count() == 4
    assert figures_of(empty) == figures_of(source)
    assert figures_of(empty)["by_stage"]  # the comparison compares something
    copy = Project.objects.get(territory=empty, title="Parcours de formation d'opérateurs")
    assert copy.summary == "=1+1 n'est pas une formule"  # written as text, read back as text
    # The organisations of the source are found again and join the new territory's directory.
    assert empty.organisations.filter(name="Bpifrance").exists()
    assert Organisation.objects.filter(name="Région Grand Est").count() == 1


def test_the_filled_model_table_imported_into_its_own_territory_changes_nothing(
    client_for, portfolio_of_a_territory
):
    # A project on a meeting's agenda: no table may put it there, but it may say it is there.
    ProjectFactory(territory=portfolio_of_a_territory, stage=Stage.COTECH)
    client = client_for("coordinator")
    table = client.get("/projets/import/modele.xlsx?projets=1").content
    before = history_counts()
    imp, preview = walk(client, SimpleUploadedFile("projets.xlsx", table))
    assert "Projets inchangés 5" in " ".join(text(preview).split()).replace("</dt><dd>", " ")
    assert "Lignes refusées 0" in " ".join(text(preview).split()).replace("</dt><dd>", " ")
    run(client, imp)
    assert history_counts() == before
    imp.refresh_from_db()
    assert imp.summary["unchanged"] == 5


# --- files that are not a table, or not one we read ------------------------------------------


def macro_workbook() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADERS, ["X-1", "P", "Autre", "", 1]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"\x00" * 100


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tableau.xlsx", PDF, "Ce fichier n'est pas un tableau"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "Ce fichier n'est pas un tableau"),
        ("suivi.xlsm", macro_workbook(), "Ce classeur contient des macros (.xlsm)"),
        (
            "protege.xlsx",
            OLE + b"\x00" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100,
            "Ce classeur est protégé par un mot de passe",
        ),
        ("ancien.xls", OLE + b"\x00" * 600, "Excel 97-2003 (.xls)"),
        ("casse.xlsx", b"PK\x03\x04" + b"garbage" * 50, "Ce classeur est endommagé"),
        ("vide.csv", b"", "Le fichier est vide"),  # Django refuses it before we read it
        ("vide.xlsx", xlsx_bytes([]), "Aucune ligne d'en-têtes dans la feuille « Projets »"),
        (
            "entetes.xlsx",
            xlsx_bytes([HEADERS]),
            "La feuille « Projets » ne contient que la ligne d'en-têtes",
        ),
        ("une-colonne.csv", b"rien\nqu'une colonne\n", "Aucune ligne d'en-têtes dans le fichier"),
        ("unicode.csv", "Intitulé\tAxe\n".encode("utf-16"), "en UTF-16"),
    ],
)
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_written(
    client_for, name, content, message
):
    response = upload(client_for("coordinator"), SimpleUploadedFile(name, content))
    assert response.status_code == 200
    body = text(response)
    assert "Le tableau n'a pas été déposé" in body
    if name == "vide.csv":
        message = "Le fichier soumis est vide."  # Django's own message, before ours
    assert message in body
    assert not ProjectImport.objects.exists()
    assert not Project.objects.exists()


@pytest.mark.parametrize("megabytes", [10.01, 50])
def test_a_file_over_ten_megabytes_is_refused(client_for, megabytes):
    content = b"Intitule;Axe\n" + b"x" * int(megabytes * 1024 * 1024)
    response = upload(client_for("coordinator"), SimpleUploadedFile("gros.csv", content))
    assert response.status_code == 200
    assert "Le fichier dépasse la taille maximale de 10\u00a0Mo" in text(response)
    assert not ProjectImport.objects.exists()


def with_cached_formula(workbook: bytes, marker: int, formula: str, cached: str) -> bytes:
    """The workbook with the cell holding `marker` turned into a formula whose value Excel
    cached (openpyxl itself writes formulas without a value)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    f"<v>{marker}</v>".encode(), f"<f>{formula}</f><v>{cached}</v>".encode()
                )
            target.writestr(item, data)
    return out.getvalue()


def test_formulas_give_their_cached_values_and_are_never_evaluated(client_for):
    workbook = xlsx_bytes(
        [
            HEADERS,
            ["F-1", "Projet calculé", "Autre", "Idée", 12345],
            ["F-2", "Sans valeur", "Autre", "Idée", "=2+2"],
        ]
    )
    # 1+1 would give 2: the cell is read as the 777 that the file says Excel computed.
    workbook = with_cached_formula(workbook, 12345, "1+1", "777")
    client = client_for("coordinator")
    imp, _preview = walk(client, SimpleUploadedFile("formules.xlsx", workbook))
    run(client, imp)
    assert Project.objects.get(reference="F-1").total_cost == Decimal("777")
    # A formula with no cached value is an empty cell: nothing is computed.
    assert Project.objects.get(reference="F-2").total_cost == Decimal("0")


def test_a_windows_1252_csv_with_semicolons_is_read(client_for):
    rows = [
        ["Référence", "Intitulé", "Axe", "Étape", "Coût total HT", "Date de début"],
        ["W-1", "Rénovation énergétique de l'usine", "Transition écologique et énergétique",
         "Financé", "1 250 000,50", "15/03/2026"],
    ]  # fmt: skip
    client = client_for("coordinator")
    imp, preview = walk(client, csv_upload(rows, name="export-excel.csv", encoding="cp1252"))
    assert imp.headers == rows[0]
    assert "Rénovation énergétique de l'usine" in text(preview)
    run(client, imp)
    project = Project.objects.get(reference="W-1")
    assert project.title == "Rénovation énergétique de l'usine"
    assert project.total_cost == Decimal("1250000.50")
    assert project.stage == Stage.FUNDED
    assert str(project.planned_start) == "2026-03-15"


def test_a_utf8_csv_with_bom_and_commas_is_read(client_for):
    rows = [["Référence", "Intitulé", "Axe"], ["U-1", "Usine à cœur ouvert", "Autre"]]
    content = "\ufeff" + "\n".join(",".join(row) for row in rows)
    client = client_for("coordinator")
    imp, _preview = walk(client, SimpleUploadedFile("bom.csv", content.encode("utf-8")))
    assert imp.headers[0] == "Référence"
    run(client, imp)
    assert Project.objects.get(reference="U-1").title == "Usine à cœur ouvert"


# --- columns --------------------------------------------------------------------------------


def test_headers_are_matched_whatever_their_case_accents_and_spaces():
    mapping = guess_mapping(
        ["  REFERENCE ", "intitule", "Coût total HT (€)", "Date de Début", "financeur",
         "MONTANT", "Financeur", "Montant", "statut du financement", "Emplois créés (ETP)", "?"]
    )  # fmt: skip
    assert list(mapping.values()) == [
        "reference", "title", "total_cost", "planned_start", "funder.1", "amount.1",
        "funder.2", "amount.2", "funding_status.1", "jobs_created.target", "",
    ]  # fmt: skip


def test_the_columns_can_be_corrected_and_a_field_read_twice_is_refused(client_for):
    client = client_for("coordinator")
    response = upload(
        client, csv_upload([["Identifiant interne", "Nom", "Thème"], ["C-1", "Projet", "Autre"]])
    )
    imp = ProjectImport.objects.get()
    assert imp.mapping == {"0": "", "1": "", "2": ""}  # none of these headers is known
    url = f"/projets/import/{imp.pk}/colonnes/"
    response = client.post(url, {"col0": "", "col1": "", "col2": "axis"})
    assert "Associez au moins la colonne de la référence ou celle de l'intitulé" in text(response)
    response = client.post(url, {"col0": "reference", "col1": "reference", "col2": "axis"})
    assert "« Référence » est déjà lu dans la colonne « Identifiant interne »" in text(response)
    response = client.post(url, {"col0": "reference", "col1": "title", "col2": "axis"})
    assert response.status_code == 302
    run(client, imp)
    assert Project.objects.get(reference="C-1").axis == Axis.OTHER


# --- the preview ------------------------------------------------------------------------------


def test_the_preview_refuses_rows_with_the_reason_per_cell_and_writes_nothing(client_for):
    rows = [
        ["Référence", "Intitulé", "Axe", "Étape", "Coût total HT", "Date de début",
         "Date de fin", "Financeur", "Montant"],
        ["A-1", "Étape inconnue", "Autre", "Presque fini", "1000", "", "", "", ""],
        ["A-2", "Montant en lettres", "Autre", "Idée", "cent mille", "", "", "", ""],
        ["A-3", "Dates inversées", "Autre", "Idée", "1000", "01/06/2026", "01/01/2026", "", ""],
        ["A-4", "Financeur inconnu", "Autre", "Idée", "1000", "", "", "Fonds des Vosges", "500"],
        ["A-4", "Doublon", "Autre", "Idée", "1000", "", "", "", ""],
        ["A-5", "Sans axe", "", "Idée", "1000", "", "", "", ""],
        ["A-6", "Montant sans financeur", "Autre", "Idée", "1000", "", "", "", "500"],
        ["A-7", "Étape d'un comité", "Autre", "Examen COTECH", "1000", "", "", "", ""],
    ]  # fmt: skip
    before = history_counts()
    imp, preview = walk(client_for("coordinator"), csv_upload(rows))
    body = text(preview)
    assert "Étape inconnue : « Presque fini »" in body
    assert "« cent mille » n'est pas un montant" in body
    assert "La date de fin (1er janvier 2026) précède la date de début (1er juin 2026)." in body
    assert "Référence déjà présente à la ligne 5 du fichier" in body
    assert "L'axe est obligatoire pour créer un projet." in body
    assert "Ligne de financement 1 sans financeur" in body
    assert "Étape « Examen COTECH » impossible à reprendre" in body
    assert "Fonds des Vosges" in body and "sera créé" in body
    assert "Lignes refusées (7)" in body
    assert "Projets à créer (1)" in body
    assert history_counts() == before
    assert not Project.objects.exists()
    assert not Organisation.objects.filter(name="Fonds des Vosges").exists()


def test_an_unknown_funder_is_created_or_replaced_by_an_existing_one(client_for, territory):
    ademe = OrganisationFactory(name="ADEME", kind="operator")
    in_directory(territory, ademe)
    rows = [
        ["Référence", "Intitulé", "Axe", "Financeur", "Montant", "Statut du financement"],
        ["O-1", "Projet aidé", "Autre", "Agence de la transition", "5000", "Sollicité"],
        ["O-2", "Autre projet aidé", "Autre", "Fonds des Vosges", "7000", ""],
    ]
    client = client_for("coordinator")
    imp, preview = walk(client, csv_upload(rows))
    body = text(preview)
    assert "Agence de la transition" in body and "Fonds des Vosges" in body
    # The first is ADEME under another name; the second is created.
    run(client, imp, org0=str(ademe.pk), org1="new:operator")
    first = FundingLine.objects.get(project__reference="O-1")
    assert (first.funder, first.amount, first.status) == (ademe, Decimal("5000"), "requested")
    assert not Organisation.objects.filter(name="Agence de la transition").exists()
    created = Organisation.objects.get(name="Fonds des Vosges")
    assert created.kind == "operator"
    assert FundingLine.objects.get(project__reference="O-2").status == FundingStatus.PLANNED
    assert territory.organisations.filter(pk=created.pk).exists()


def test_an_existing_organisation_is_matched_by_siren_then_by_name(client_for, territory):
    known = siren("99152001")
    forges = OrganisationFactory(name="Forges du Bassigny SAS", siren=known)
    metaltech = OrganisationFactory(name="MétalTech – école de production", kind="training")
    rows = [
        ["Référence", "Intitulé", "Axe", "Structure porteuse", "SIREN"],
        ["S-1", "Par SIREN", "Autre", "Les Forges (nom d'usage)", known],
        ["S-2", "Par nom", "Autre", "FORGES DU BASSIGNY SAS", ""],
        ["S-3", "Sans accents", "Autre", "metaltech - ecole de production", ""],
        ["S-4", "Nouvelle", "Autre", "Fonderie Nouvelle", siren("12345678")],
        ["S-5", "SIREN contraire", "Autre", "Forges du Bassigny SAS", siren("11111111")],
    ]
    client = client_for("coordinator")
    organisations = Organisation.objects.count()
    imp, preview = walk(client, csv_upload(rows))
    assert f"est enregistrée avec le SIREN {known}" in text(preview)
    run(client, imp)
    lead = {p.reference: p.lead_organisation for p in Project.objects.all()}
    assert lead["S-1"] == forges
    assert lead["S-2"] == forges
    assert lead["S-3"] == metaltech
    assert lead["S-4"].name == "Fonderie Nouvelle"
    assert lead["S-4"].siren == siren("12345678")
    assert lead["S-4"].kind == "company"
    assert "S-5" not in lead
    assert Organisation.objects.count() == organisations + 1  # only the Fonderie Nouvelle
    directory = set(territory.organisations.all())
    assert {forges, metaltech, lead["S-4"]} <= directory


# --- history, stages, importing again --------------------------------------------------------


def test_each_change_names_the_file_and_line_and_the_stage_is_taken_up(client_for, users):
    rows = [
        ["Référence", "Intitulé", "Axe", "Étape", "Porteur", "Financeur", "Montant",
         "Emplois créés"],
        ["H-1", "Projet financé", "Foncier industriel", "financé", users["lead"].username,
         "Bpifrance", "1 000", "4"],
    ]  # fmt: skip
    client = client_for("coordinator")
    imp, _preview = walk(client, csv_upload(rows, name="Suivi 2026.csv"))
    run(client, imp)
    project = Project.objects.get(reference="H-1")
    reason = "Reprise du tableau de suivi (Suivi 2026.csv, ligne 2)"
    created, taken_up = project.history.order_by("history_id")
    assert (created.history_type, created.stage, created.history_change_reason) == (
        "~",  # saved once more with its lead accounts, as the project form does
        Stage.IDEA,
        reason,
    )
    assert set(project.lead_users.all()) == {users["lead"]}
    assert taken_up.stage == Stage.FUNDED
    assert taken_up.history_cause == f"import:{imp.pk}"
    assert taken_up.history_change_reason == f"{reason} : étape « Financé »"
    assert taken_up.history_user == users["coordinator"]
    line = FundingLine.history.get(project_id=project.pk)
    assert line.history_change_reason == reason
    assert Indicator.history.get(project_id=project.pk).history_change_reason == reason
    assert Organisation.history.get(name="Bpifrance").history_change_reason == reason


def test_an_import_updates_by_reference_and_importing_it_again_changes_nothing(
    client_for, territory
):
    project = ProjectFactory(
        territory=territory, title="Ancien intitulé", stage=Stage.ELIGIBLE, total_cost=1000
    )
    rows = [
        ["Référence", "Intitulé", "Étape", "Coût total HT", "Résumé"],
        [project.reference.lower(), "Nouvel intitulé", "Validé (labellisé TI)", "2000", ""],
    ]
    client = client_for("coordinator")
    imp, preview = walk(client, csv_upload(rows))
    assert "Projets à mettre à jour (1)" in text(preview)
    # A project the application knows keeps its stage: it moves by its page and committees.
    assert "l'étape « Validé (labellisé TI) » du tableau n'est pas reprise" in text(preview)
    run(client, imp)
    project.refresh_from_db()
    assert (project.title, project.stage, project.total_cost) == (
        "Nouvel intitulé",
        Stage.ELIGIBLE,
        Decimal("2000"),
    )
    assert project.summary == "Modernisation d'un site industriel."  # a blank cell keeps it
    before = history_counts()
    again, preview = walk(client, csv_upload(rows))
    assert "Aucun projet à créer ni à mettre à jour" in text(preview)
    run(client, again)
    assert history_counts() == before
    assert ProjectImport.objects.get(pk=again.pk).summary["unchanged"] == 1


def test_take_up_stage_is_the_coordinations_and_never_a_meetings(users, project):
    with pytest.raises(PermissionDenied):
        project.take_up_stage(Stage.FUNDED, by=users["lead"], source="import:1", reason="x")
    with pytest.raises(ValidationError, match="inscrit à l'ordre du jour"):
        project.take_up_stage(Stage.COTECH, by=users["coordinator"], source="import:1", reason="x")
    rows = project.history.count()
    assert not project.take_up_stage(
        project.stage, by=users["coordinator"], source="import:1", reason="x"
    )
    assert project.history.count() == rows
    assert project.take_up_stage(
        Stage.IN_PROGRESS, by=users["coordinator"], source="import:1", reason="Reprise"
    )
    latest = project.history.first()
    assert (latest.stage, latest.history_cause, latest.history_change_reason) == (
        Stage.IN_PROGRESS,
        "import:1",
        "Reprise",
    )


# --- large tables ----------------------------------------------------------------------------


def test_a_large_table_is_imported_by_a_worker(worker_queue, client_for, monkeypatch):
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    rows = [HEADERS] + [[f"L-{n}", f"Projet {n}", "Autre", "Idée", n] for n in range(1, 6)]
    client = client_for("coordinator")
    imp, _preview = walk(client, csv_upload(rows))
    response = run(client, imp)
    assert response["Location"] == f"/projets/import/{imp.pk}/"
    imp.refresh_from_db()
    assert imp.status == ImportStatus.QUEUED
    page = text(client.get(f"/projets/import/{imp.pk}/"))
    assert "Import en attente" in page and 'hx-trigger="every 2s"' in page
    assert not Project.objects.exists()
    run_worker()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE
    assert imp.job.kind == ReportJob.Kind.PROJECT_IMPORT
    assert imp.job.status == ReportJob.Status.DONE
    # The documents' progress page of the job leads to the import's own page.
    assert client.get(f"/rapports/generations/{imp.job.pk}/")["Location"] == (
        f"/projets/import/{imp.pk}/"
    )
    assert Project.objects.count() == 5
    assert "Projets créés 5" in " ".join(
        text(client.get(f"/projets/import/{imp.pk}/", HTTP_HX_REQUEST="true")).split()
    ).replace("</dt><dd>", " ")


def test_old_tables_are_purged_and_what_they_did_stays_readable(client_for, territory):
    """purge_jobs: an import confirmed a week ago keeps its row and result page, not its file;
    one never confirmed goes with its file; a recent one is left alone."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    rows = [["Intitulé", "Axe"], ["Halle de la forge", "Foncier industriel"]]
    client = client_for("coordinator")
    done, _preview = walk(client, csv_upload(rows))
    run(client, done)
    abandoned, _preview = walk(client, csv_upload(rows, name="brouillon.csv"))
    recent, _preview = walk(client, csv_upload(rows, name="recent.csv"))
    week_ago = timezone.now() - timedelta(days=8)
    for old in (done, abandoned):
        ProjectImport.objects.filter(pk=old.pk).update(created_at=week_ago)
    stored = {imp.pk: ProjectImport.objects.get(pk=imp.pk).file for imp in (done, abandoned)}
    assert all(f.storage.exists(f.name) for f in stored.values())

    call_command("purge_jobs", stdout=io.StringIO())

    done.refresh_from_db()
    assert not done.file and not stored[done.pk].storage.exists(stored[done.pk].name)
    assert not ProjectImport.objects.filter(pk=abandoned.pk).exists()
    assert not stored[abandoned.pk].storage.exists(stored[abandoned.pk].name)
    assert ProjectImport.objects.get(pk=recent.pk).file
    page = client.get(f"/projets/import/{done.pk}/")
    assert page.status_code == 200
    assert "Import terminé" in text(page)
    assert "<dt>Projets créés</dt><dd>1</dd>" in text(page)


def test_an_imported_reference_never_breaks_the_numbering(client_for, territory):
    """An imported reference may read "CL-2026-012 bis": the next project created in the
    application still gets the next number."""
    from django.utils import timezone

    year = timezone.now().year
    rows = [["Référence", "Intitulé", "Axe"], [f"CL-{year}-012 bis", "Projet repris", "Autre"]]
    client = client_for("coordinator")
    imp, _preview = walk(client, csv_upload(rows))
    run(client, imp)
    assert Project.objects.filter(reference=f"CL-{year}-012 bis").exists()
    created = ProjectFactory(territory=territory)
    assert created.reference == f"CL-{year}-001"


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        # 41 MB of spaces: a few dozen KB once compressed.
        ({"xl/workbook.xml": b"<workbook/>", "xl/sharedStrings.xml": b" " * (41 << 20)},
         "plus de 40 Mo une fois décompressé"),
        ({"xl/workbook.xml": b"<workbook/>", "[Content_Types].xml": b" " * (2 << 20)},
         "Ce classeur est endommagé ou incomplet"),
    ],
    ids=["bombe", "types"],
)  # fmt: skip
def test_a_compressed_bomb_is_refused_before_it_is_read(client_for, entries, message):
    bomb = zipped(entries)
    assert len(bomb) < 200_000
    response = upload(client_for("coordinator"), SimpleUploadedFile("suivi.xlsx", bomb))
    assert response.status_code == 200
    assert message in text(response)
    assert not ProjectImport.objects.exists()


def test_a_row_beyond_excel_is_refused(client_for):
    """A forged row number would make the reader walk millions of empty rows."""
    book = xlsx_bytes([HEADERS, ["L-1", "Projet", "Autre", "Idée", 1]])
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name in entries if name.startswith("xl/worksheets/"))
    entries[sheet] = (
        entries[sheet].replace(b'r="2"', b'r="1048577"').replace(b'r="A2"', b'r="A1048577"')
    )
    response = upload(client_for("coordinator"), SimpleUploadedFile("suivi.xlsx", zipped(entries)))
    assert "au-delà de la dernière ligne d'Excel" in text(response)
    assert not ProjectImport.objects.exists()
