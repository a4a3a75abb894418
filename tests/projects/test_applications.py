import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import (
    Application,
    ApplicationProject,
    Call,
    FundingLine,
    SectionAnswer,
    Stage,
)

from ..factories import FundingLineFactory, IndicatorFactory, OrganisationFactory, ProjectFactory
from ..utils import pdf_text, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return Call.objects.get(title="AMI Rebond industriel")


@pytest.fixture
def complete_project(territory, users):
    project = ProjectFactory(
        territory=territory,
        title="Requalification de la friche",
        stage=Stage.APPROVED,
        total_cost=Decimal("1000000"),
    )
    project.lead_users.add(users["lead"])
    FundingLineFactory(project=project, amount=Decimal("600000"))
    FundingLineFactory(project=project, amount=Decimal("400000"))
    IndicatorFactory(project=project, target=Decimal("25"))
    return project


@pytest.fixture
def application(call, territory, complete_project):
    epci = OrganisationFactory(name="Communauté d'agglomération de Chaumont", kind="epci")
    territory.organisations.add(epci)
    application = Application.objects.create(
        call=call, territory=territory, applicant=epci, title="Candidature Chaumont-Langres"
    )
    ApplicationProject.objects.create(
        application=application, project=complete_project, requested_amount=Decimal("300000")
    )
    return application


def answer_all(application, text="Texte de la rubrique."):
    for section in application.call.sections.all():
        _answer(application, section, text)


def _answer(application, section, text):
    answer = SectionAnswer.objects.filter(application=application, section=section).first()
    answer = answer or SectionAnswer(application=application, section=section)
    answer.text = text
    answer.save()


def open_checks(application) -> list[str]:
    return [f"{c.label} : {c.detail}" for c in application.checklist() if not c.ok]


def test_every_required_section_must_be_written(application):
    problems = open_checks(application)
    required = application.call.sections.filter(required=True).count()
    assert len([p for p in problems if p.startswith("Rubrique")]) == required
    answer_all(application)
    assert open_checks(application) == []


def test_sections_must_fit_their_length(application):
    answer_all(application)
    section = application.call.sections.get(key="choc")
    _answer(application, section, "x" * (section.max_length + 1))
    assert any("caractères pour" in p for p in open_checks(application))


def test_projects_must_be_complete(application, complete_project):
    answer_all(application)
    assert application.is_complete()
    line = complete_project.funding_lines.first()
    line.amount = Decimal("1")
    line.save()
    assert any("déséquilibré" in p for p in open_checks(application))
    line.amount = Decimal("600000")
    line.status = FundingLine.Status.REFUSED
    line.save()
    assert any(
        "déséquilibré" in p for p in open_checks(application)
    )  # a refused line finances nothing
    line.status = FundingLine.Status.GRANTED
    line.save()
    complete_project.indicators.all().delete()
    assert any("indicateur d'emplois" in p for p in open_checks(application))
    IndicatorFactory(project=complete_project, kind="jobs_kept")
    item = application.items.get()
    item.requested_amount = Decimal("2000000")
    item.save()
    assert any("supérieur au coût" in p for p in open_checks(application))
    item.requested_amount = Decimal("0")
    item.save()
    assert any("montant sollicité non renseigné" in p for p in open_checks(application))
    item.requested_amount = Decimal("300000")
    item.save()
    assert application.is_complete()


def test_no_project_is_an_open_line(call, territory):
    application = Application.objects.create(
        call=call, territory=territory, applicant=OrganisationFactory(), title="Vide"
    )
    answer_all(application)
    assert any("aucun projet" in p for p in open_checks(application))


def test_totals_are_computed_from_the_projects(application, territory, complete_project):
    other = ProjectFactory(territory=territory, stage=Stage.APPROVED, total_cost=Decimal("250000"))
    bpi = OrganisationFactory(name="Bpifrance", kind="operator")
    FundingLineFactory(project=other, funder=bpi, amount=Decimal("250000"))
    IndicatorFactory(project=other, kind="jobs_kept", target=Decimal("10"))
    ApplicationProject.objects.create(
        application=application, project=other, requested_amount=Decimal("100000"), rank=2
    )
    totals = Application.totals(application.project_data())
    assert totals["cost"] == Decimal("1250000")
    assert totals["requested"] == Decimal("400000")
    assert totals["jobs_created"] == Decimal("25")
    assert totals["jobs_kept"] == Decimal("10")
    assert dict(totals["by_funder"])["Bpifrance"] == Decimal("250000")
    assert sum(dict(totals["by_kind"]).values()) == Decimal("1250000")


def test_submission_is_refused_while_a_line_is_open(application, users):
    coordinator = users["coordinator"]
    with pytest.raises(ValidationError):
        application.mark_ready(by=coordinator)
    answer_all(application)
    application.mark_ready(by=coordinator)
    application.refresh_from_db()
    assert application.status == Application.Status.READY
    with pytest.raises(PermissionDenied):
        application.submit(by=users["member"])


def test_lifecycle_and_permissions_through_the_pages(client_for, application, users):
    answer_all(application)
    url = f"/candidatures/{application.pk}/"
    for name, expected in [
        (None, 302),
        ("coordinator", 200),
        ("member", 200),
        ("lead", 200),
        ("other_lead", 404),
        ("partner", 404),
        ("stranger", 404),
        ("admin", 404),  # national roles read submitted dossiers only
    ]:
        assert client_for(name).get(url).status_code == expected, name
    status_url = f"/candidatures/{application.pk}/statut/"
    assert client_for("member").post(status_url, {"action": "ready"}).status_code == 403
    client = client_for("coordinator")
    assert client.post(status_url, {"action": "ready"}).status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.READY


def test_section_save_with_htmx_updates_the_checklist(client_for, application, htmx_headers):
    url = f"/candidatures/{application.pk}/rubriques/choc/"
    response = client_for("coordinator").post(
        url, {"choc-text": "Fermeture de deux sous-traitants."}, **htmx_headers
    )
    assert response.status_code == 200
    body = text(response)
    assert "Rubrique enregistrée" in body
    assert 'id="checklist"' in body and 'hx-swap-oob="true"' in body
    assert SectionAnswer.objects.get(application=application, section__key="choc").text.startswith(
        "Fermeture"
    )
    assert client_for("member").post(url, {"choc-text": "x"}, **htmx_headers).status_code == 403
    assert client_for("stranger").post(url, {"choc-text": "x"}, **htmx_headers).status_code == 404
    assert (
        client_for("coordinator")
        .post(f"/candidatures/{application.pk}/rubriques/inconnue/", {})
        .status_code
        == 404
    )


def test_include_projects_through_the_page(client_for, application, territory):
    other = ProjectFactory(territory=territory, stage=Stage.FINANCING, title="Station hydrogène")
    draft = ProjectFactory(territory=territory, stage=Stage.DRAFTING, title="Brouillon")
    url = f"/candidatures/{application.pk}/projets/"
    client = client_for("coordinator")
    response = client.post(
        url,
        {
            "action": "include",
            "inclure-project": draft.pk,
            "inclure-requested_amount": "10",
            "inclure-rank": "2",
        },
    )
    assert response.status_code == 200
    assert "ne peut pas être inclus" in text(response)
    response = client.post(
        url,
        {
            "action": "include",
            "inclure-project": other.pk,
            "inclure-requested_amount": "-5",
            "inclure-rank": "2",
        },
    )
    assert response.status_code == 200
    response = client.post(
        url,
        {
            "action": "include",
            "inclure-project": other.pk,
            "inclure-requested_amount": "50 000",
            "inclure-rank": "2",
        },
    )
    assert response.status_code == 302
    item = application.items.get(project=other)
    assert item.requested_amount == Decimal("50000")
    client.post(url, {"action": "remove", "item": item.pk})
    assert not application.items.filter(project=other).exists()


def test_partner_reads_submitted_applications_only(client_for, application, users):
    answer_all(application)
    application.status = Application.Status.SUBMITTED
    application.save()
    assert client_for("partner").get(f"/candidatures/{application.pk}/").status_code == 200
    assert client_for("partner").get("/candidatures/").status_code == 200
    assert application.title in text(client_for("partner").get("/candidatures/"))


def test_submission_freezes_the_application_and_its_project_data(
    client_for, application, complete_project, users, htmx_headers
):
    import hashlib

    answer_all(application)
    client = client_for("coordinator")
    status_url = f"/candidatures/{application.pk}/statut/"
    client.post(status_url, {"action": "ready"})
    assert client.post(status_url, {"action": "submit"}).status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    stored = application.dossier_pdf.read()
    assert hashlib.sha256(stored).hexdigest() == application.dossier_sha256

    # The project moves on: the submitted dossier does not.
    complete_project.title = "Titre changé après le dépôt"
    complete_project.total_cost = Decimal("1200000")
    complete_project.save()
    page = text(client.get(f"/candidatures/{application.pk}/"))
    assert "Requalification de la friche" in page
    assert "Évolutions des projets depuis le dépôt" in page
    assert "Titre changé après le dépôt" in page
    assert "1\u202f000\u202f000\u00a0€" in page  # the frozen cost
    first = client.get(f"/candidatures/{application.pk}/dossier.pdf").content
    assert first == client.get(f"/candidatures/{application.pk}/dossier.pdf").content == stored

    # Every edit path refuses.
    for url, data in [
        (f"/candidatures/{application.pk}/rubriques/choc/", {"choc-text": "réécrit"}),
        (
            f"/candidatures/{application.pk}/projets/",
            {"action": "remove", "item": application.items.get().pk},
        ),
        (
            f"/candidatures/{application.pk}/",
            {"title": "réécrit", "applicant": application.applicant_id},
        ),
        (status_url, {"action": "draft"}),
    ]:
        for headers in ({}, htmx_headers):
            response = client.post(url, data, **headers)
            assert response.status_code == 403, url
            assert Application.FROZEN_MESSAGE in text(response)
    application.refresh_from_db()
    assert application.title == "Candidature Chaumont-Langres"
    assert application.status == Application.Status.SUBMITTED
    answer = application.answers.first()
    answer.text = "réécrit"
    with pytest.raises(ValidationError):
        answer.save()
    with pytest.raises(ValidationError):
        application.items.get().delete()
    application.title = "réécrit"
    with pytest.raises(ValidationError):
        application.save()
    admin = client_for("admin")
    assert (
        admin.post(
            f"/admin/projects/application/{application.pk}/change/", {"title": "x"}
        ).status_code
        == 403
    )

    # The outcome is still recorded.
    application.refresh_from_db()
    response = client.post(
        status_url,
        {"action": "outcome", "status": "selected", "on": "2026-11-20", "comment": "Lauréat"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SELECTED
    assert (
        client_for("partner").get(f"/candidatures/{application.pk}/dossier.pdf").status_code == 200
    )


# --- no lost update (issue 12): sections and identification ---------------------------------


def version_of_section(page, key: str) -> str:
    html = page.content.decode()
    article = html[html.index(f'id="rubrique-{key}"') :]
    return re.findall(r'name="version" value="([^"]*)"', article)[0]


def test_a_section_written_twice_at_once_keeps_the_first(
    client_for, users, application, htmx_headers
):
    url = f"/candidatures/{application.pk}/rubriques/choc/"
    first, second = client_for("coordinator"), client_for("coordinator")
    opened = version_of_section(first.get(f"/candidatures/{application.pk}/"), "choc")
    assert second.post(url, {"choc-text": "Texte de Claire", "version": opened}).status_code == 302
    stale = first.post(url, {"choc-text": "Texte de Paul", "version": opened}, **htmx_headers)
    assert stale.status_code == 200  # the section fragment, with the conflict in it
    page = text(stale)
    assert "Ces informations ont été modifiées depuis que vous avez ouvert le formulaire" in page
    assert "la rubrique « " in page and "Rubrique rédigée, par" in page
    assert "Texte de Paul" in page  # kept in the textarea
    answer = SectionAnswer.objects.get(application=application, section__key="choc")
    assert answer.text == "Texte de Claire"
    # Without JavaScript: the whole page, the section as typed, status 409.
    page = first.post(url, {"choc-text": "Texte de Paul", "version": opened})
    assert page.status_code == 409 and "Texte de Paul" in text(page)
    # Saving again with the version shown is a decision.
    again = first.post(
        url, {"choc-text": "Texte de Paul", "version": version_of_section(stale, "choc")}
    )
    assert again.status_code == 302
    answer.refresh_from_db()
    assert answer.text == "Texte de Paul"


def test_writing_another_section_meanwhile_does_not_block(client_for, application):
    url = f"/candidatures/{application.pk}/rubriques/"
    client = client_for("coordinator")
    page = client.get(f"/candidatures/{application.pk}/")
    keys = list(application.call.sections.values_list("key", flat=True)[:2])
    versions = {key: version_of_section(page, key) for key in keys}
    for key in keys:
        response = client.post(f"{url}{key}/", {f"{key}-text": "Écrit", "version": versions[key]})
        assert response.status_code == 302


@pytest.mark.parametrize("htmx", [True, False], ids=["fragment", "page"])
def test_a_section_over_its_length_is_refused_and_kept(client_for, application, htmx):
    section = application.call.sections.get(key="choc")
    typed = "é" * (section.max_length + 8000)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_for("coordinator").post(
        f"/candidatures/{application.pk}/rubriques/choc/", {"choc-text": typed}, **headers
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "8\u202f000 caractères en trop : la rubrique en admet" in page
    assert typed in page and 'aria-invalid="true"' in page  # kept, and said where
    assert "Rubrique enregistrée" not in page and "a été enregistrée" not in page
    assert not SectionAnswer.objects.filter(application=application, section=section).exists()


def ready(application, users):
    answer_all(application)
    application.mark_ready(by=users["coordinator"])


def test_a_dossier_for_a_closed_call_needs_the_motive_of_its_late_filing(
    client_for, users, application
):
    from datetime import date

    call = application.call
    call.closes_on = date(2023, 3, 17)
    call.save()
    ready(application, users)
    client = client_for("coordinator")
    page = client.get(application.get_absolute_url()).content.decode()
    assert "L'appel est clos depuis le 17 mars 2023" in page and 'name="late_motive"' in page
    url = f"/candidatures/{application.pk}/statut/"
    refused = client.post(url, {"action": "submit"}, follow=True)
    assert "est clos depuis le 17 mars 2023 : le dépôt hors délai demande son motif" in (
        refused.content.decode().replace("&#x27;", "'")
    )
    application.refresh_from_db()
    assert application.status == Application.Status.READY
    motive = "Report de la date limite accordé par la DGE par courriel du 2 mars."
    client.post(url, {"action": "submit", "late_motive": motive})
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert application.late_motive == motive
    printed = pdf_text(application.dossier_pdf.read())
    assert "Dépôt hors délai, l'appel étant clos le 17 mars 2023" in printed
    assert "Report de la date limite accordé par la DGE" in printed


def test_a_dossier_filed_in_time_carries_no_motive(users, application):
    ready(application, users)
    application.submit(by=users["coordinator"], late_motive="Sans objet")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and application.late_motive == ""
