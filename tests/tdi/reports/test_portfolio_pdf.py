"""The portfolio report PDF: contents, as-of date, permissions, and the background path."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import tdi.reports.document as document
from committees.models import AgendaItem, Committee, CommitteeMember, Decision, Meeting
from projects.lifecycle import history_stamp, save_change
from projects.models import (
    FundingLine,
    Indicator,
    Organisation,
    Project,
    ReportJob,
    Reserve,
    Stage,
)
from tdi.formats import euros, number

from ...factories import FundingLineFactory, IndicatorFactory, OrganisationFactory, ProjectFactory
from ...utils import Tagged, pdf_text, text

pytestmark = pytest.mark.django_db

URL = "/rapports/portefeuille.pdf"


def flat(value: str) -> str:
    """A formatted value as pdf_text() gives it back (no-break spaces as plain spaces)."""
    return " ".join(value.split())


@pytest.fixture
def funders():
    return {
        "region": OrganisationFactory(name="Région Grand Est", kind=Organisation.Kind.REGION),
        "bpi": OrganisationFactory(name="Bpifrance", kind=Organisation.Kind.PUBLIC_OPERATOR),
    }


def make_portfolio(territory, other_territory, users, funders, *, at=None) -> list:
    """Three projects of the territory at different stages, an idea, and a stranger's one,
    entered by the coordinator at a moment (`at`, default now)."""
    made = {"by": users["coordinator"], "reason": "Saisie du portefeuille", "at": at}
    specs = [
        ("Extension de l'école de production", Stage.SUBMITTED, "1250000", [
            ("region", FundingLine.Status.GRANTED, "400000"),
            ("bpi", FundingLine.Status.REQUESTED, "600000"),
        ], ("12", "3")),
        ("Friche de la fonderie Chanteclair", Stage.IN_PROGRESS, "2780000", [
            ("region", FundingLine.Status.PAID, "900000"),
            ("bpi", FundingLine.Status.PLANNED, "1000000"),
            ("bpi", FundingLine.Status.REFUSED, "77000"),
        ], ("30", "8")),
        ("Station hydrogène de Chaumont", Stage.APPROVED, "640000", [
            ("region", FundingLine.Status.PLANNED, "140000"),
        ], None),
    ]  # fmt: skip
    projects = []
    for title, stage, cost, lines, jobs in specs:
        project = ProjectFactory(
            territory=territory, title=title, stage=stage, total_cost=Decimal(cost), **made
        )
        with history_stamp(project, **made):
            project.lead_users.add(users["lead"])
        for funder, status, amount in lines:
            FundingLineFactory(
                project=project,
                funder=funders[funder],
                status=status,
                amount=Decimal(amount),
                **made,
            )
        if jobs:
            IndicatorFactory(
                project=project,
                kind=Indicator.Kind.JOBS_CREATED,
                target=Decimal(jobs[0]),
                achieved=Decimal(jobs[1]),
                **made,
            )
        projects.append(project)
    ProjectFactory(
        territory=territory, title="Idée confidentielle de l'atelier", stage=Stage.IDEA, **made
    )
    ProjectFactory(
        territory=other_territory, title="Port fluvial de Givet", stage=Stage.SUBMITTED, **made
    )
    return projects


@pytest.fixture
def portfolio_projects(territory, other_territory, users, funders):
    return make_portfolio(territory, other_territory, users, funders)


def get_pdf(client, query: str = "") -> bytes:
    response = client.get(URL + query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_the_pdf_shows_the_territory_its_figures_and_every_project(client_for, portfolio_projects):
    content = pdf_text(get_pdf(client_for("partner")))

    assert "Territoire d’industrie Chaumont-Langres" in content
    assert "Rapport de portefeuille" in content
    assert "page 1 sur" in content
    for project in portfolio_projects:
        assert project.title in content
        assert project.reference in content
    # Figures computed here from the tables, independently of the report's code.
    projects = Project.objects.filter(pk__in=[p.pk for p in portfolio_projects])
    investment = sum(p.total_cost for p in projects)
    lines = FundingLine.objects.filter(project__in=projects)
    funding = sum(line.amount for line in lines if line.status != FundingLine.Status.REFUSED)
    assert flat(euros(investment)) in content  # 4 670 000 €
    assert flat(euros(funding)) in content  # 3 040 000 €
    for status in ("planned", "requested", "granted", "paid"):
        amount = sum(line.amount for line in lines if line.status == status)
        label = FundingLine.Status(status).label
        assert f"{label} {flat(euros(amount))}" in content
    jobs = Indicator.objects.filter(project__in=projects, kind=Indicator.Kind.JOBS_CREATED)
    target = sum(i.target for i in jobs)
    achieved = sum(i.achieved for i in jobs)
    assert f"Emplois créés {number(target)} {number(achieved)}" in content
    assert "3 projets au portefeuille" in content
    # A partner does not see ideas, nor another territory's projects.
    assert "Idée confidentielle" not in content
    assert "Port fluvial de Givet" not in content
    assert "Idée » et « En rédaction » ne figurent que pour la coordination" in content


def test_the_coordination_sees_the_ideas_too(client_for, portfolio_projects):
    content = pdf_text(get_pdf(client_for("coordinator")))
    assert "Idée confidentielle de l'atelier" in content
    assert "4 projets au portefeuille" in content
    assert "Port fluvial de Givet" not in content


def test_filters_are_applied_and_shown_on_the_cover(client_for, portfolio_projects, funders):
    content = pdf_text(get_pdf(client_for("member"), "?etape=in_progress"))
    assert "Friche de la fonderie Chanteclair" in content
    assert "Station hydrogène" not in content
    assert "Étape : En réalisation" in content
    content = pdf_text(get_pdf(client_for("member"), f"?financeur={funders['bpi'].pk}"))
    assert "Financeur : Bpifrance" in content
    assert "Station hydrogène" not in content


def test_last_decision_open_reserves_and_decisions_of_the_period(
    client_for, territory, users, portfolio_projects
):
    project = portfolio_projects[0]
    cotech = Committee.objects.create(territory=territory, kind="cotech", name="COTECH")
    now = timezone.now()
    # Held meetings were convened: each has its number (fixed at the convocation).
    validated = Meeting.objects.create(
        committee=cotech, number=1, starts_at=now - timedelta(days=40), status=Meeting.Status.HELD
    )
    AgendaItem.objects.create(
        meeting=validated,
        order=1,
        kind=AgendaItem.Kind.PROJECT,
        project=project,
        title=project.title,
        decision=Decision.FAVORABLE_RESERVES,
        motive="Délibération de l'EPCI attendue",
        decided_at=now - timedelta(days=40),
    )
    validated.status = Meeting.Status.VALIDATED
    validated.save()
    held = Meeting.objects.create(
        committee=cotech, number=2, starts_at=now - timedelta(days=2), status=Meeting.Status.HELD
    )
    AgendaItem.objects.create(
        meeting=held,
        order=1,
        kind=AgendaItem.Kind.PROJECT,
        project=portfolio_projects[2],
        title="Hydrogène",
        decision=Decision.UNFAVORABLE,
        motive="Modèle économique fragile",
        decided_at=now - timedelta(days=2),
    )
    old = Meeting.objects.create(
        committee=cotech, number=3, starts_at=now - timedelta(days=500), status=Meeting.Status.HELD
    )
    AgendaItem.objects.create(
        meeting=old,
        order=1,
        kind=AgendaItem.Kind.PROJECT,
        project=portfolio_projects[1],
        title="Friche",
        decision=Decision.FAVORABLE,
        decided_at=now - timedelta(days=500),
    )
    Reserve.objects.create(project=project, text="Produire la délibération de l'EPCI")
    Reserve.objects.create(
        project=project, text="Réserve déjà levée", lifted_at=now - timedelta(days=1)
    )

    # Seat-holders read the committee's decisions before the minutes are validated.
    CommitteeMember.objects.create(committee=cotech, user=users["member"], role="member")
    member = pdf_text(get_pdf(client_for("member")))
    assert "Avis favorable sous réserves — COTECH n° 1" in member
    assert "Délibération de l'EPCI attendue" in member
    assert "Produire la délibération de l'EPCI" in member
    assert "Réserve déjà levée" not in member
    assert "Modèle économique fragile" in member  # held, not yet validated: seat-holders read it
    period = member.split("4. Décisions des comités de la période")[-1]
    assert "Modèle économique fragile" in period
    assert "Délibération de l'EPCI attendue" in period
    assert "COTECH n° 3" not in period  # 500 days ago: before the period
    assert "Avis favorable — COTECH n° 3" in member  # but still the project's last decision

    partner = pdf_text(get_pdf(client_for("partner")))
    assert "Délibération de l'EPCI attendue" in partner
    assert "Modèle économique fragile" not in partner  # partners read validated minutes only
    coordinator = pdf_text(get_pdf(client_for("coordinator")))
    assert "Modèle économique fragile" in coordinator


def test_as_of_a_past_day_shows_the_portfolio_as_the_history_recorded_it(
    client_for, territory, other_territory, users, funders
):
    now = timezone.now()
    coordinator = users["coordinator"]
    entered, examined = now - timedelta(days=10), now - timedelta(days=9)
    portfolio_projects = make_portfolio(territory, other_territory, users, funders, at=entered)
    project = portfolio_projects[0]
    # A reserve open then (lifted since), a decision then, and a decision since.
    reserve = Reserve(project=project, text="Plan de financement signé", created_at=examined)
    save_change(reserve, by=coordinator, reason="Réserve du COTECH", at=examined)
    cotech = Committee.objects.create(territory=project.territory, kind="cotech", name="COTECH")
    meeting = Meeting.objects.create(
        committee=cotech, number=1, starts_at=examined, status=Meeting.Status.HELD
    )
    before = AgendaItem(
        meeting=meeting,
        order=1,
        kind=AgendaItem.Kind.PROJECT,
        project=project,
        title=project.title,
        decision=Decision.ADJOURNED,
        motive="Compléments demandés sur les emplois",
        decided_at=examined,
    )
    save_change(before, by=coordinator, reason="Décision enregistrée", at=examined)
    reserve.lift(by=coordinator, proof="Plan signé par les financeurs", at=now - timedelta(days=3))
    # Amended since: the report of the past day shows the decision as it stood then.
    before.decision = Decision.FAVORABLE
    before.motive = ""
    before.decided_at = now
    before.save()
    meeting.status = Meeting.Status.VALIDATED
    meeting.save()
    project.total_cost = Decimal("1999999")
    project._history_user = coordinator
    project.save()
    project.move_to(Stage.ELIGIBLE, by=coordinator, reason="Dossier complet")
    day = (now - timedelta(days=7)).date()

    old = pdf_text(get_pdf(client_for("partner"), f"?date={day.isoformat()}"))
    assert "Situation au" in old and "(d’après l’historique)" in old
    assert flat(euros(Decimal("1250000"))) in old
    assert flat(euros(Decimal("1999999"))) not in old
    assert "Déposé — 1 projet" in old
    assert "Recevable" not in old
    assert project.title in old
    assert "Plan de financement signé" in old  # open then
    assert "Ajourné – compléments demandés — COTECH n° 1" in old
    assert "Compléments demandés sur les emplois" in old

    live = pdf_text(get_pdf(client_for("partner")))
    assert "Plan de financement signé" not in live  # lifted since
    assert "Avis favorable — COTECH n° 1" in live
    assert "Compléments demandés sur les emplois" not in live
    assert flat(euros(Decimal("1999999"))) in live
    assert "Recevable — 1 projet" in live
    assert "d’après l’historique" not in live

    # Before anything existed: an empty portfolio, not an error.
    empty = pdf_text(get_pdf(client_for("partner"), "?date=2000-01-01"))
    assert "Aucun projet ne correspond" in empty


@pytest.mark.parametrize(
    "query", ["?date=2026-13-45", "?date=demain", "?etape=inconnue", "?axe=lune"]
)
def test_bad_parameters_answer_400_in_french(client_for, portfolio_projects, query):
    response = client_for("partner").get(URL + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "Paramètres invalides" in response.content.decode()


def test_a_future_date_is_refused(client_for, portfolio_projects):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for("partner").get(f"{URL}?date={tomorrow.isoformat()}")
    assert response.status_code == 400
    assert "La situation se lit au passé" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "status"),
    [("coordinator", 200), ("lead", 200), ("member", 200), ("partner", 200), ("admin", 200)],
)
def test_every_role_of_the_territory_may_read_the_report(
    client_for, portfolio_projects, name, status
):
    assert client_for(name).get(URL).status_code == status


def test_anonymous_goes_to_login_and_strangers_get_404(client_for, portfolio_projects):
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
    stranger = client_for("stranger")
    assert stranger.get(f"{URL}?territoire=ti-0052").status_code == 404
    assert stranger.get(f"{URL}?territoire=tous").status_code == 404
    # Their own report never shows the other territory's projects.
    content = pdf_text(get_pdf(stranger))
    assert "Port fluvial de Givet" in content
    for project in portfolio_projects:
        assert project.title not in content


def test_a_user_without_territory_gets_404(client_for, users, django_user_model):
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(URL).status_code == 404


def test_queries_do_not_grow_with_the_number_of_projects(
    territory, users, funders, portfolio_projects
):
    """Measured on what the PDF is made of, its data and its HTML (any lazy query of the template
    included), without the layout of the pages, which queries nothing."""

    def report_html() -> str:
        context = document.portfolio_context(
            [territory], as_of=None, filters={}, user=users["coordinator"]
        )
        return render_to_string(document.TEMPLATE, context)

    report_html()  # the reader's access is read once, then kept on their account
    with CaptureQueriesContext(connection) as few:
        assert "Projet supplémentaire" not in report_html()
    for index in range(6):
        project = ProjectFactory(territory=territory, title=f"Projet supplémentaire {index}")
        FundingLineFactory(project=project, funder=funders["bpi"])
        IndicatorFactory(project=project)
        Reserve.objects.create(project=project, text="Une réserve")
    with CaptureQueriesContext(connection) as many:
        assert report_html().count("Projet supplémentaire") >= 6
    assert len(many) == len(few)


def test_a_large_report_is_built_in_the_background(
    client_for, users, portfolio_projects, monkeypatch, htmx_headers
):
    monkeypatch.setattr(document, "SYNC_LIMIT", 0)
    client = client_for("partner")
    response = client.get(f"{URL}?etape=submitted")
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rapports/generations/{job.pk}/"
    assert job.created_by == users["partner"]
    assert job.parameters["filters"] == {"stage": "submitted"}
    # The immediate backend of the tests has already run the task.
    assert (job.status, job.progress) == (ReportJob.Status.DONE, 100)
    assert job.finished_at is not None

    page = client.get(response["Location"])
    assert page.status_code == 200
    body = text(page)
    assert "Le document est prêt" in body
    assert f"/rapports/generations/{job.pk}/fichier.pdf" in body
    assert 'role="status"' in body

    download = client.get(f"/rapports/generations/{job.pk}/fichier.pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert "portefeuille-chaumont-langres-" in download["Content-Disposition"]
    content = pdf_text(b"".join(download.streaming_content))
    assert "Extension de l'école de production" in content
    assert "Station hydrogène" not in content
    assert "Étape : Déposé" in content

    # Another user's job is out of scope, exactly as a missing one.
    other = client_for("member")
    assert other.get(f"/rapports/generations/{job.pk}/").status_code == 404
    assert other.get(f"/rapports/generations/{job.pk}/fichier.pdf").status_code == 404
    assert client_for("admin").get(f"/rapports/generations/{job.pk}/").status_code == 404
    assert client_for(None).get(f"/rapports/generations/{job.pk}/").status_code == 302


def test_the_national_report_is_a_synthesis_for_national_readers(
    client_for, portfolio_projects, territory, other_territory
):
    """Issue 13: a national reader gets figures, regions, territories and the decisions of the
    period counted, in one document of a few pages; each project's sheet is in its
    territory's report (20 000 sheets in one document took 11 GB before failing)."""
    client = client_for("admin")
    response = client.get(f"{URL}?territoire=tous")
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert job.parameters["territories"] == "all"
    download = client.get(f"/rapports/generations/{job.pk}/fichier.pdf")
    pdf = b"".join(download.streaming_content)
    content = pdf_text(pdf)
    assert "Ensemble des Territoires d’industrie" in content
    assert "Par région" in content and "Par territoire" in content
    assert "Décisions des comités de la période" in content
    for place in (territory, other_territory):
        assert place.name in content and place.region in content
    # No project listed, no sheet: the figures only.
    assert "Fiches projets" not in content
    for title in [p.title for p in portfolio_projects] + ["Port fluvial de Givet"]:
        assert title not in content
    # The three projects of Chaumont-Langres and the one of the Meuse; the idea is left out.
    assert "4 projets de 2 territoires" in content
    reader = Tagged(pdf).reader
    assert len(reader.pages) <= 6
    # One territory by its code, at once, with its projects.
    content = pdf_text(get_pdf(client, "?territoire=ti-0055"))
    assert "Port fluvial de Givet" in content
    assert "Extension de l'école de production" not in content


def test_the_progress_fragment_polls_until_done(client_for, users, htmx_headers):
    job = ReportJob.objects.create(
        kind=ReportJob.Kind.PORTFOLIO,
        parameters={"territories": [], "territory_names": ["Chaumont-Langres"]},
        status=ReportJob.Status.RUNNING,
        progress=30,
        heartbeat_at=timezone.now(),  # its worker is alive
        created_by=users["partner"],
    )
    client = client_for("partner")
    fragment = client.get(f"/rapports/generations/{job.pk}/", **htmx_headers)
    assert fragment.status_code == 200
    body = text(fragment)
    assert "<html" not in body and "<h1" not in body
    assert body.strip().startswith('<div id="job-status"')
    assert 'hx-trigger="every 2s"' in body
    assert f'hx-get="/rapports/generations/{job.pk}/"' in body
    assert '<progress id="job-progress" max="100" value="30">' in body
    assert "Vary" in fragment and "HX-Request" in fragment["Vary"]
    # Not ready yet: no download.
    assert client.get(f"/rapports/generations/{job.pk}/fichier.pdf").status_code == 404

    page = text(client.get(f"/rapports/generations/{job.pk}/"))
    assert "<h1>" in page and 'aria-live="polite"' in page and "<progress" in page

    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED, error="Échec")
    body = text(client.get(f"/rapports/generations/{job.pk}/", **htmx_headers))
    assert "every 2s" not in body
    assert "Échec" in body


def test_a_failed_build_is_recorded_with_a_french_message(
    client_for, portfolio_projects, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(document, "SYNC_LIMIT", 0)
    monkeypatch.setattr(document, "render_pdf", broken)
    client = client_for("coordinator")
    response = client.get(URL)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED
    assert "a échoué" in job.error
    assert "boom" not in job.error
    assert "a échoué" in text(client.get(response["Location"]))
