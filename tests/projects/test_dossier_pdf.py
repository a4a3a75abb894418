"""The application dossier PDF (DESIGN §6): content, table of contents, draft mark, the
archived PDF/A with its SHA-256, the freeze at submission and hostile content."""

import hashlib
import io
import re
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from django.core.files.base import ContentFile

from projects.dossier import dossier_html, render_dossier_pdf
from projects.models import (
    Application,
    ApplicationProject,
    Axis,
    Call,
    Document,
    FundingLine,
    Indicator,
    Organisation,
    SectionAnswer,
    Stage,
)

from ..factories import FundingLineFactory, IndicatorFactory, MilestoneFactory, ProjectFactory
from ..tdi.test_pdf import Listener, assert_nothing_embedded, hostile_markup, pdf_text

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
NNBSP = "\u202f"
Kind = Organisation.Kind
Instrument = FundingLine.Instrument
Status = FundingLine.Status

# Each paragraph stays under five lines: with orphans and widows at 3 it never splits across
# pages, so its words follow each other in the extracted text.
SECTION_TEXTS = {
    "candidat": (
        "Candidature portée par la Communauté d'agglomération de Chaumont, en groupement avec "
        "la Communauté de communes du Grand Langres.\n\n"
        "Élu référent : le président de l'agglomération. Cheffe de projet Territoire "
        "d'industrie : Claire Martin, 03 25 00 00 00."
    ),
    "choc": (
        "La fermeture de la fonderie de Brethenay en 2024 a supprimé 240 emplois directs et "
        "fragilisé une trentaine de sous-traitants de la vallée de la Marne.\n\n"
        "Le taux de chômage de la zone d'emploi a progressé de 1,4 point en un an (source : "
        "INSEE, quatrième trimestre 2024)."
    ),
    "ecosysteme": (
        "Le territoire compte 4 200 emplois industriels, dans la forge, la coutellerie, la "
        "métallurgie et les dispositifs médicaux, et une école de production ouverte en 2021."
    ),
    "gouvernance": (
        "Le binôme élu-industriel anime un comité de pilotage trimestriel réunissant la "
        "Région, l'État, la Banque des Territoires, Bpifrance et la CCI de la Haute-Marne.\n"
        "Le comité technique se réunit chaque mois et pré-valide les projets d'entreprise."
    ),
    "portefeuille": (
        "Les projets présentés sont réalisables sous deux ans ; ils combinent investissements "
        "productifs, formation et requalification foncière."
    ),
    "cofinancements": (
        "La Région Grand Est s'engage à hauteur de 552 000 euros ; les EPCI apportent "
        "424 000 euros (délibérations jointes en annexe)."
    ),
    "resultats": (
        "Cinquante-huit emplois créés et quatre-vingt-quatorze maintenus ; suivi semestriel "
        "des indicateurs en comité de pilotage."
    ),
    # "annexes" (optional) is left unanswered.
}

PROJECTS = [
    {
        "title": "Extension de l'atelier de forge à chaud",
        "lead": ("Forges du Bassigny", Kind.COMPANY),
        "axis": Axis.INNOVATION,
        "stage": Stage.APPROVED,
        "commune": "Nogent",
        "dates": (date(2026, 3, 1), date(2027, 9, 30)),
        "summary": "Une presse de 2 500 tonnes et un four à induction pour les pièces de grande taille.",
        "description": (
            "Construction d'un bâtiment de 1 800 m² attenant à l'atelier actuel.\n"
            "Installation d'une presse hydraulique et d'un four à induction basse consommation."
        ),
        "cost": "2400000",
        "requested": "720000",
        "lines": [
            ("Bpifrance", Kind.PUBLIC_OPERATOR, Instrument.FRANCE_2030, Status.REQUESTED, "720000"),
            ("Région Grand Est", Kind.REGION, Instrument.GRANT, Status.GRANTED, "360000"),
            ("Forges du Bassigny", Kind.COMPANY, Instrument.EQUITY, Status.GRANTED, "1320000"),
            ("Préfecture de la Haute-Marne", Kind.STATE, Instrument.DETR, Status.REFUSED, "200000"),
        ],
        "indicators": [
            (Indicator.Kind.JOBS_CREATED, "18"),
            (Indicator.Kind.JOBS_KEPT, "42"),
            (Indicator.Kind.PRIVATE_INVESTMENT, "1320000"),
        ],
        "milestones": [
            ("Dépôt du permis de construire", date(2026, 1, 15), date(2026, 1, 12)),
            ("Mise en service de la presse", date(2027, 6, 30), None),
        ],
        "documents": [
            ("Devis de la presse hydraulique", Document.Kind.QUOTE, "devis-presse-2500t.pdf"),
            ("Lettre de soutien de la Région", Document.Kind.LETTER, "soutien-region.pdf"),
        ],
    },
    {
        "title": "Ligne de traitement de surface sans chrome hexavalent",
        "lead": ("Coutellerie langroise", Kind.COMPANY),
        "axis": Axis.ECOLOGICAL,
        "stage": Stage.COPIL,
        "commune": "Langres",
        "dates": (date(2026, 2, 1), date(2027, 3, 31)),
        "summary": "Remplacer le chromage dur par un procédé sans chrome hexavalent.",
        "description": "Ligne automatisée de traitement de surface et station d'épuration des eaux.",
        "cost": "850000",
        "requested": "255000",
        "lines": [
            ("Bpifrance", Kind.PUBLIC_OPERATOR, Instrument.FRANCE_2030, Status.REQUESTED, "255000"),
            ("ADEME", Kind.PUBLIC_OPERATOR, Instrument.FONDS_VERT, Status.REQUESTED, "170000"),
            ("Coutellerie langroise", Kind.COMPANY, Instrument.EQUITY, Status.GRANTED, "425000"),
        ],
        "indicators": [
            (Indicator.Kind.JOBS_CREATED, "6"),
            (Indicator.Kind.JOBS_KEPT, "25"),
            (Indicator.Kind.CO2_AVOIDED, "120"),
        ],
        "milestones": [("Commande de la ligne", date(2026, 4, 30), None)],
        "documents": [],
    },
    {
        "title": "École de production des métiers de la forge",
        "lead": ("École de production de Haute-Marne", Kind.TRAINING),
        "axis": Axis.SKILLS,
        "stage": Stage.READY_COPIL,
        "commune": "Chaumont",
        "dates": (date(2026, 9, 1), date(2028, 6, 30)),
        "summary": "Former chaque année vingt-quatre jeunes de 15 à 18 ans aux métiers de la forge.",
        "description": "Aménagement d'un atelier pédagogique et recrutement de deux maîtres professionnels.",
        "cost": "640000",
        "requested": "256000",
        "lines": [
            ("Bpifrance", Kind.PUBLIC_OPERATOR, Instrument.FRANCE_2030, Status.REQUESTED, "256000"),
            ("Région Grand Est", Kind.REGION, Instrument.GRANT, Status.GRANTED, "192000"),
            (
                "Banque des Territoires",
                Kind.PUBLIC_OPERATOR,
                Instrument.GRANT,
                Status.PLANNED,
                "128000",
            ),
            (
                "Communauté d'agglomération de Chaumont",
                Kind.EPCI,
                Instrument.GRANT,
                Status.GRANTED,
                "64000",
            ),
        ],
        "indicators": [
            (Indicator.Kind.JOBS_CREATED, "4"),
            (Indicator.Kind.PEOPLE_TRAINED, "48"),
        ],
        "milestones": [
            ("Ouverture de la première promotion", date(2026, 9, 1), None),
            ("Première certification", date(2028, 6, 30), None),
        ],
        "documents": [
            (
                "Délibération du conseil communautaire",
                Document.Kind.DELIBERATION,
                "deliberation-2025-112.pdf",
            ),
        ],
    },
    {
        "title": "Requalification de la friche des Tanneries",
        "lead": ("Communauté de communes du Grand Langres", Kind.EPCI),
        "axis": Axis.LAND,
        "stage": Stage.APPROVED,
        "commune": "Langres",
        "dates": (date(2026, 1, 1), date(2027, 12, 31)),
        "summary": "Dépolluer et viabiliser 4,5 hectares pour accueillir des entreprises industrielles.",
        "description": "Désamiantage, démolition, dépollution des sols et viabilisation de six lots.",
        "cost": "1200000",
        "requested": "360000",
        "lines": [
            (
                "Banque des Territoires",
                Kind.PUBLIC_OPERATOR,
                Instrument.FRANCE_2030,
                Status.REQUESTED,
                "360000",
            ),
            (
                "Préfecture de la Haute-Marne",
                Kind.STATE,
                Instrument.FONDS_VERT,
                Status.GRANTED,
                "480000",
            ),
            (
                "Communauté de communes du Grand Langres",
                Kind.EPCI,
                Instrument.OTHER,
                Status.GRANTED,
                "360000",
            ),
        ],
        "indicators": [
            (Indicator.Kind.JOBS_CREATED, "30"),
            (Indicator.Kind.JOBS_KEPT, "27"),
            (Indicator.Kind.HECTARES, "4.5"),
        ],
        "milestones": [("Fin de la dépollution", date(2026, 12, 31), None)],
        "documents": [],
    },
]


# --- building an application -------------------------------------------------------------


def organisation(name: str, kind: str) -> Organisation:
    return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def add_project(application: Application, spec: dict, rank: int, uploader) -> ApplicationProject:
    start, end = spec["dates"]
    project = ProjectFactory(
        territory=application.territory,
        title=spec["title"],
        summary=spec["summary"],
        description=spec["description"],
        axis=spec["axis"],
        stage=spec["stage"],
        lead_organisation=organisation(*spec["lead"]),
        commune=spec["commune"],
        planned_start=start,
        planned_end=end,
        total_cost=Decimal(spec["cost"]),
    )
    for name, kind, instrument, status, amount in spec["lines"]:
        FundingLineFactory(
            project=project,
            funder=organisation(name, kind),
            instrument=instrument,
            status=status,
            amount=Decimal(amount),
        )
    for kind, target in spec["indicators"]:
        IndicatorFactory(project=project, kind=kind, target=Decimal(target))
    for title, due_on, done_on in spec["milestones"]:
        MilestoneFactory(project=project, title=title, due_on=due_on, done_on=done_on)
    for title, kind, name in spec["documents"]:
        Document.objects.create(
            project=project,
            title=title,
            kind=kind,
            file=ContentFile(b"%PDF-1.4\n", name=name),
            original_name=name,
            content_type="application/pdf",
            size=9,
            uploaded_by=uploader,
        )
    return ApplicationProject.objects.create(
        application=application,
        project=project,
        requested_amount=Decimal(spec["requested"]),
        rank=rank,
    )


def build_application(
    territory,
    coordinator,
    *,
    projects: list[dict] = PROJECTS,
    title: str = "Rebond industriel du bassin Chaumont-Langres",
    texts: dict[str, str] = SECTION_TEXTS,
) -> Application:
    call = Call.objects.get(title="AMI Rebond industriel")
    application = Application.objects.create(
        call=call,
        territory=territory,
        applicant=organisation("Communauté d'agglomération de Chaumont", Kind.EPCI),
        title=title,
        contact_name="Claire Martin",
        contact_email="claire.martin@agglo-chaumont.fr",
        contact_phone="03 25 00 00 00",
    )
    for section in call.sections.all():
        if section.key in texts:
            SectionAnswer.objects.create(
                application=application, section=section, text=texts[section.key]
            )
    for rank, spec in enumerate(projects, 1):
        add_project(application, spec, rank, coordinator)
    return application


def submit(application: Application, by) -> Application:
    application.mark_ready(by=by)
    application.submit(by=by)
    return Application.objects.get(pk=application.pk)


def included(application: Application) -> list[ApplicationProject]:
    return list(application.items.select_related("project").order_by("rank", "pk"))


def stored_pdf(application: Application) -> bytes:
    with application.dossier_pdf.open("rb") as stored:
        return stored.read()


# --- reading the PDF ---------------------------------------------------------------------


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, whitespace runs (no-break spaces included) as one space."""
    return [" ".join(page.extract_text().split()) for page in reader(pdf).pages]


def reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def raw_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in reader(pdf).pages)


def squashed(text: str) -> str:
    """Letters and digits only: immune to line breaks, hyphenation and justification."""
    return re.sub(r"[\W_]+", "", text)


def amount(value: Decimal) -> str:
    """An amount as our euros filter writes it, spelled out here rather than imported."""
    return f"{value:,.0f}".replace(",", NNBSP) + NBSP + "€"


@pytest.fixture
def coordinator(users):
    return users["coordinator"]


# --- the draft ---------------------------------------------------------------------------


def test_draft_dossier_shows_sections_projects_and_totals(territory, coordinator):
    application = build_application(territory, coordinator)
    pdf = render_dossier_pdf(application, final=False)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    flat = squashed(text)
    pages = pages_of(pdf)

    # Cover: alone on page 1.
    cover = pages[0]
    assert "DOSSIER DE CANDIDATURE" in cover
    assert "AMI Rebond industriel" in cover
    assert "Rebond industriel du bassin Chaumont-Langres" in cover
    assert "Territoire d’industrie Chaumont-Langres (ti-0052)" in cover
    assert "Communauté d'agglomération de Chaumont" in cover
    assert "Claire Martin" in cover and "claire.martin@agglo-chaumont.fr" in cover
    assert "Brouillon" in cover
    assert "Sommaire" not in cover

    # Every section of the call, with its text, and the unanswered optional one.
    call = application.call
    for section in call.sections.all():
        assert section.title in text
        if section.key in SECTION_TEXTS:
            for paragraph in SECTION_TEXTS[section.key].split("\n\n"):
                assert squashed(paragraph) in flat, section.key
    assert "Non renseigné." in text

    # Every project, in the portfolio and on its sheet.
    items = included(application)
    assert len(items) == 4
    for item in items:
        assert text.count(item.project.reference) >= 4  # contents, portfolio, sheet, annex
        assert item.project.title in text
    assert "Portefeuille de projets" in text
    assert "Annexe financière" in text
    assert "Pièces jointes" in text

    # Totals, computed here from what was created.
    total_cost = sum(Decimal(spec["cost"]) for spec in PROJECTS)
    total_requested = sum(Decimal(spec["requested"]) for spec in PROJECTS)
    assert total_cost == Decimal("5090000")
    assert total_requested == Decimal("1591000")
    raw = raw_text(pdf)
    assert amount(total_cost) in raw
    assert amount(total_requested) in raw
    assert "5\u202f090\u202f000\u00a0€" in raw
    assert "1\u202f591\u202f000\u00a0€" in raw
    # Jobs: 18 + 6 + 4 + 30 created, 42 + 25 + 27 kept.
    assert "Total (4 projets) 5 090 000 € 1 591 000 € 58 94" in text

    # A refused request is shown on the sheet, left out of the totals.
    assert "Préfecture de la Haute-Marne" in text
    assert "Refusé" in text
    assert "Total des financements (hors demandes refusées) 2 400 000 €" in text
    # Dates in French, from the ISO strings of the project data.
    assert "du 1er mars 2026 au 30 septembre 2027" in text
    assert "Dépôt du permis de construire" in text

    # Attachments: the documents of each project, or none.
    assert "Devis de la presse hydraulique" in text
    assert "devis-presse-2500t.pdf" in text
    assert "Délibération du conseil communautaire" in text
    assert text.count("Aucune pièce jointe") == 2

    # The draft mark, the footer, the metadata.
    assert "BROUILLON" in text
    assert "Rebond industriel du bassin Chaumont-Langres — AMI Rebond industriel" in text
    assert f"page 1 sur {len(pages)}" in text
    metadata = reader(pdf).metadata
    assert metadata.title == "Dossier de candidature — Rebond industriel du bassin Chaumont-Langres"


def test_table_of_contents_gives_the_right_pages(territory, coordinator):
    application = build_application(territory, coordinator)
    pages = pages_of(render_dossier_pdf(application, final=False))
    contents = pages[1]
    assert "Territoire d’industrie Chaumont-Langres" in contents
    assert "Sommaire" in contents

    def listed_page(label: str) -> int:
        match = re.search(re.escape(label) + r"[\s.]*(\d+)", contents)
        assert match, label
        return int(match.group(1))

    def first_page_with(needle: str) -> int:
        return next(number for number, page in enumerate(pages, 1) if needle in page)

    # The call's sections: the first one starts right after the contents.
    first_section = Call.objects.get(title="AMI Rebond industriel").sections.first()
    assert listed_page(first_section.title) == 3
    for number, item in enumerate(included(application), 1):
        label = f"{item.project.reference} — {item.project.title}"
        kicker = f"FICHE PROJET 9.{number} · RANG {number}"
        assert listed_page(label) == first_page_with(kicker) > 3
    annex = listed_page("Annexe financière")
    assert annex == first_page_with("10. Annexe financière Synthèse")
    assert "Plan de financement consolidé, par financeur" in pages[annex - 1]
    attachments = listed_page("Pièces jointes")
    assert attachments >= annex
    assert "Pièces déposées sur les fiches des projets" in pages[attachments - 1]
    portfolio = listed_page("Portefeuille de projets")
    assert "Projet et structure porteuse" in pages[portfolio - 1]
    assert "Total (4 projets)" in pages[portfolio - 1]


def test_page_count_grows_with_the_number_of_projects(territory, coordinator):
    one = build_application(territory, coordinator, projects=PROJECTS[:1], title="Un projet")
    four = build_application(territory, coordinator, title="Quatre projets")
    one_pages = len(reader(render_dossier_pdf(one, final=False)).pages)
    four_pages = len(reader(render_dossier_pdf(four, final=False)).pages)
    # Each project sheet starts on a new page.
    assert four_pages >= one_pages + 3


# --- the submitted dossier ---------------------------------------------------------------


def test_submitted_dossier_is_pdfa_with_its_hashes(territory, coordinator):
    application = build_application(territory, coordinator)
    draft = render_dossier_pdf(application, final=False)
    application = submit(application, coordinator)
    assert application.status == Application.Status.SUBMITTED
    pdf = stored_pdf(application)
    assert hashlib.sha256(pdf).hexdigest() == application.dossier_sha256
    assert len(application.content_sha256) == 64

    text = pdf_text(pdf)
    assert "BROUILLON" not in text
    assert "Brouillon" not in text
    assert "BROUILLON" in pdf_text(draft)
    cover = pages_of(pdf)[0]
    assert f"Empreinte du contenu (SHA-256) : {application.content_sha256}" in cover
    assert "L'empreinte du fichier PDF archivé figure sur la page de la candidature." in cover
    assert "Déposé" in cover
    assert "Date de dépôt" in cover
    # The optional section left blank reads as such once submitted.
    assert "Sans objet." in text
    assert "Non renseigné" not in text

    # PDF/A-3b.
    root = reader(pdf).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfaid" in xmp
    assert b'pdfaid:part="3"' in xmp
    assert "/OutputIntents" in root

    # The printed hash is the hash of the dossier's HTML without it: anyone can check it.
    recomputed = hashlib.sha256(dossier_html(application, final=True).encode()).hexdigest()
    assert recomputed == application.content_sha256


def test_submission_freezes_the_dossier(territory, coordinator):
    application = build_application(territory, coordinator)
    application = submit(application, coordinator)
    pdf = stored_pdf(application)
    item = included(application)[0]
    project = item.project
    old_title = project.title

    # The project lives on after submission.
    project.title = "Extension de l'atelier de forge et de la ligne d'usinage"
    project.total_cost = Decimal("3000000")
    project.save()
    equity = project.funding_lines.get(instrument=Instrument.EQUITY)
    equity.amount = Decimal("1620000")
    equity.save()
    FundingLineFactory(
        project=project,
        funder=organisation("Banque des Territoires", Kind.PUBLIC_OPERATOR),
        amount=Decimal("300000"),
    )

    application = Application.objects.get(pk=application.pk)
    # The archived PDF is untouched and still matches its hash.
    again = stored_pdf(application)
    assert again == pdf
    assert hashlib.sha256(again).hexdigest() == application.dossier_sha256
    # The dossier's data are those of the submission…
    frozen = application.project_data()[0]
    assert frozen["title"] == old_title
    assert Decimal(frozen["total_cost"]) == Decimal("2400000")
    assert Decimal(frozen["funding_total"]) == Decimal("2400000")
    assert len(frozen["funding_lines"]) == 4
    # …so rendering it again gives the same bytes, without the new figures.
    rendered = render_dossier_pdf(application, final=True)
    assert rendered == pdf
    assert "forge et de la ligne d'usinage" not in pdf_text(rendered)
    # What changed since is listed.
    changes = {
        (ref, label): (old, new)
        for ref, label, old, new in application.differences_since_submission()
    }
    assert changes[(project.reference, "Intitulé")] == (old_title, project.title)
    assert Decimal(changes[(project.reference, "Coût total HT")][1]) == Decimal("3000000")
    old_total, new_total = changes[(project.reference, "Total des financements")]
    assert (Decimal(old_total), Decimal(new_total)) == (Decimal("2400000"), Decimal("3000000"))


# --- hostile content ---------------------------------------------------------------------


def test_hostile_content_is_printed_never_loaded(territory, coordinator):
    listener = Listener()
    try:
        bits = hostile_markup(listener.port)
        texts = {key: f"{text}\n\n" + "\n".join(bits) for key, text in SECTION_TEXTS.items()}
        hostile_project = {**PROJECTS[0], "description": "\n".join(bits)}
        application = build_application(
            territory,
            coordinator,
            projects=[hostile_project],
            title=" ".join(bits),
            texts=texts,
        )
        draft = render_dossier_pdf(application, final=False)
        application = submit(application, coordinator)
        final = stored_pdf(application)
        for pdf in (draft, final):
            assert_nothing_embedded(pdf)
            # Escaped by the template: the markup is printed as text.
            assert 'rel="attachment" href="file:///etc/passwd">' in pdf_text(pdf)
    finally:
        connections = listener.stop()
    assert connections == []
