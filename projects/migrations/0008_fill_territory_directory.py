"""Fill each territory's directory of organisations from what already references it.

Form choices are scoped to the directory from now on: without this, the organisations that a
territory's projects, funding lines, applications and committees already use would no longer
be offered, and re-saving those records would fail on their own current values.
"""

from django.db import migrations


def organisation_ids(apps, territory) -> set[int]:
    Membership = apps.get_model("projects", "Membership")
    Project = apps.get_model("projects", "Project")
    FundingLine = apps.get_model("projects", "FundingLine")
    Application = apps.get_model("projects", "Application")
    CommitteeMember = apps.get_model("committees", "CommitteeMember")
    sources = [
        territory.intercommunalities.values_list("pk", flat=True),
        Membership.objects.filter(territory=territory).values_list("organisation_id", flat=True),
        Project.objects.filter(territory=territory).values_list("lead_organisation_id", flat=True),
        Project.objects.filter(territory=territory).values_list("epci_id", flat=True),
        Project.partners.through.objects.filter(project__territory=territory).values_list(
            "organisation_id", flat=True
        ),
        FundingLine.objects.filter(project__territory=territory).values_list(
            "funder_id", flat=True
        ),
        Application.objects.filter(territory=territory).values_list("applicant_id", flat=True),
        CommitteeMember.objects.filter(committee__territory=territory).values_list(
            "organisation_id", flat=True
        ),
    ]
    ids = set()
    for source in sources:
        ids.update(source)
    ids.discard(None)
    return ids


def fill(apps, schema_editor):
    Territory = apps.get_model("projects", "Territory")
    for territory in Territory.objects.all():
        if ids := organisation_ids(apps, territory):
            territory.organisations.add(*ids)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0007_national_roles_and_directory"),
        ("committees", "0002_change_reason_text"),
    ]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
