"""User data never reaches a response header as typed, and names are one line of text."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from committees.models import AgendaItem, Committee, CommitteeMember
from projects.models import Document, Project, validate_single_line
from tdi.downloads import safe_filename
from tdi.middleware import BAD_FORM, BAD_REQUEST

from .factories import ProjectFactory, make_meeting
from .projects.test_documents import PDF_BYTES
from .projects.test_form_choices import new_project_data
from .utils import text

pytestmark = pytest.mark.django_db

HOSTILE = 'Comité « Forêt » "Nord"; filename=evil.exe'
CONTROL = "Comité\r\nSet-Cookie: x=1"
REFUSED = "Caractères de contrôle interdits (retour à la ligne, tabulation…)."
SAFE = re.compile(r'(inline|attachment); filename="[a-z0-9-]+\.[a-z]+"')


def committee_named(territory, users, name: str) -> Committee:
    # The ORM runs no validator: a name stored before the forms refused control characters.
    committee = Committee.objects.create(territory=territory, kind=Committee.Kind.OTHER, name=name)
    CommitteeMember.objects.create(committee=committee, user=users["member"], role="member")
    return committee


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('Comité « Forêt » "Nord".pdf', "comite-foret-nord.pdf"),
        ("a\r\nb\tc.PDF", "a-b-c.pdf"),
        ("../../etc/passwd", "etcpasswd"),
        ('"".ics', "document.ics"),
        ("fiche-CL-2026-001.pdf", "fiche-cl-2026-001.pdf"),
    ],
)
def test_safe_filename_keeps_only_slugs(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", [HOSTILE, CONTROL])
@pytest.mark.parametrize("document", ["ordre-du-jour.pdf", "compte-rendu.pdf", "invitation.ics"])
def test_meeting_downloads_have_a_safe_name_whatever_the_committee_s_name(
    client_for, territory, users, name, document
):
    meeting = make_meeting(committee_named(territory, users, name))
    coordinator = users["coordinator"]
    meeting.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point d'étape", by=coordinator)
    meeting.convene(by=coordinator)
    meeting.hold(by=coordinator, at=meeting.starts_at)  # the draft minutes can be read
    response = client_for("coordinator").get(f"/seances/{meeting.pk}/{document}")
    assert response.status_code == 200
    assert SAFE.fullmatch(response["Content-Disposition"]), response["Content-Disposition"]


def test_agenda_pdf_name_is_made_of_the_committee_s_slug(client_for, territory, users):
    meeting = make_meeting(committee_named(territory, users, HOSTILE))
    response = client_for("member").get(f"/seances/{meeting.pk}/ordre-du-jour.pdf")
    assert response["Content-Disposition"] == (
        'inline; filename="ordre-du-jour-comite-foret-nord-filenameevilexe-projet.pdf"'
    )


def test_project_sheet_and_exports_have_a_safe_name(client_for, territory, users):
    ProjectFactory(territory=territory, title=HOSTILE)
    project = Project.objects.get(title=HOSTILE)
    client = client_for("coordinator")
    day = timezone.localdate().isoformat()
    for url, expected in [
        (
            f"/projets/{project.pk}/fiche.pdf",
            f'inline; filename="fiche-{project.reference.lower()}.pdf"',
        ),
        ("/rapports/projets.csv", f'attachment; filename="projets-ti-0052-{day}.csv"'),
        ("/rapports/projets.xlsx", f'attachment; filename="projets-ti-0052-{day}.xlsx"'),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"] == expected


def test_a_document_is_downloaded_under_a_safe_version_of_its_name(client_for, project, users):
    document = Document.objects.create(
        project=project,
        title="Devis",
        kind=Document.Kind.QUOTE,
        file=ContentFile(PDF_BYTES, name="upload.pdf"),
        original_name='Devis "signé"\r\n.pdf',
        content_type="application/pdf",
        size=len(PDF_BYTES),
        uploaded_by=users["coordinator"],
    )
    response = client_for("coordinator").get(f"/projets/{project.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="devis-signe.pdf"'
    response.close()


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x7fb", "a\x85b"])
def test_control_characters_are_refused(value):
    with pytest.raises(ValidationError) as error:
        validate_single_line(value)
    assert error.value.messages == [REFUSED]


def test_a_french_name_is_one_line(value='Comité « Forêt » — l\'été "Nord"'):
    validate_single_line(value)


def test_the_committee_form_refuses_a_name_on_two_lines(client_for):
    response = client_for("coordinator").post(
        "/comites/", {"kind": "other", "name": "Comité\r\nNord", "quorum": "1"}
    )
    assert response.status_code == 200
    assert REFUSED in text(response)
    assert not Committee.objects.filter(name__startswith="Comité").exists()


def test_the_project_form_refuses_a_title_on_two_lines(client_for, users):
    response = client_for("coordinator").post(
        "/projets/nouveau/", new_project_data(title="Plateforme\nde formation")
    )
    assert response.status_code == 200
    assert REFUSED in text(response)
    assert not Project.objects.filter(title__startswith="Plateforme").exists()


@pytest.mark.parametrize(
    "path",
    ["/opendata/%00/projets.csv", "/projets/?territoire=%00", "/decisions/?q=a%00b", "/%00"],
)
def test_a_nul_character_is_refused_at_the_edge(client_for, path):
    for client in (client_for(None), client_for("coordinator")):
        response = client.get(path)
        assert response.status_code == 400
        assert response.content.decode() == BAD_REQUEST


def test_a_nul_character_in_a_posted_field_is_refused_at_the_edge(client_for):
    # Read raw by accounts.once (the one-time token), it made PostgreSQL answer 500.
    response = client_for("coordinator").post("/comites/", {"once": "a\x00b", "name": "Nord"})
    assert response.status_code == 400
    assert response.content.decode() == BAD_FORM


@pytest.mark.django_db
def test_names_stored_before_the_rule_become_one_line_with_a_history_row(
    territory, users, settings
):
    """The data migration of projects 0014 cleans what was stored before names refused control
    characters, and says so in each row's history."""
    settings.MIGRATION_MODULES = {}  # the migration files, even when the suite runs without them
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from committees.models import Committee

    committee = Committee.objects.create(
        territory=territory, kind="other", name="Comité\r\nhydrogène\t nord"
    )
    clean_one = Committee.objects.create(territory=territory, kind="copil", name="COPIL")
    rows = committee.history.count()
    state = MigrationLoader(connection).project_state(("projects", "0014_clean_single_line_values"))
    import_module("projects.migrations.0014_clean_single_line_values").clean(state.apps, None)
    committee.refresh_from_db()
    assert committee.name == "Comité hydrogène nord"
    assert committee.history.count() == rows + 1
    last = committee.history.first()
    assert last.name == "Comité hydrogène nord" and last.history_user is None
    assert last.history_change_reason.startswith("Caractères de contrôle retirés")
    assert clean_one.history.count() == 1  # untouched


@pytest.mark.parametrize(
    ("count", "written"), [(0, "0 projet"), (1, "1 projet"), (2, "2 projets"), (-3, "-3 projets")]
)
def test_counts_are_written_the_french_way(count, written):
    from django.template import Context, Template

    template = Template("{% load tdi %}{{ n }} projet{{ n|plural }}")
    assert template.render(Context({"n": count})) == written


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Aurélie Petit", "d'Aurélie Petit"),
        ("Bernard Vasseur", "de Bernard Vasseur"),
        ("Élise Perrin", "d'Élise Perrin"),
        ("Hervé Dumont", "de Hervé Dumont"),
    ],
)
def test_de_is_elided_before_a_vowel(name, written):
    from tdi.formats import de

    assert de(name) == written
