"""Taking up a territory's table of projects (issue 14): the coordination uploads its
spreadsheet (XLSX or CSV), checks how the columns map to the project's fields, reads a preview
(rows to create, to update, refused with the reason per cell) and imports it in one
transaction, each change recorded in history with the file's name and line.

- `reading`: what the file is and its rows, read one at a time (hostile files refused);
- `columns`: the fields a column may fill, headers recognised, cells read the French way;
- `plan`: the preview, and the import itself (`apply_import`);
- `table`: the model table to download, empty or filled with the territory's projects.

A large table (more than SYNC_ROWS rows) is imported by the `run_import` task, a ReportJob
whose progress the import's page shows.
"""

from __future__ import annotations

import logging

from django.tasks import task

from ..models import ImportStatus, ProjectImport, ReportJob
from .plan import apply_import, build_plan
from .reading import MAX_SIZE, Unreadable, detect_format, open_table, too_large
from .table import XLSX_TYPE, model_table

__all__ = [
    "MAX_SIZE",
    "SYNC_ROWS",
    "XLSX_TYPE",
    "Unreadable",
    "apply_import",
    "build_plan",
    "detect_format",
    "model_table",
    "open_table",
    "run_import",
    "start_import",
    "too_large",
]

logger = logging.getLogger(__name__)

# Up to this many rows, the import runs in the request; beyond, in the background.
SYNC_ROWS = 300
FAILURE_MESSAGE = (
    "L'import a échoué et rien n'a été enregistré. Réessayez ; si l'échec se répète, "
    "signalez-le à l'administrateur de la plateforme."
)


def start_import(imp: ProjectImport, *, by) -> None:
    """Import now, or queue the import of a large table for a worker."""
    if imp.row_count <= SYNC_ROWS:
        apply_import(imp, by=by)
        return
    imp.status = ImportStatus.QUEUED
    imp.save(update_fields=["status"])
    job = ReportJob.ask(
        ReportJob.Kind.PROJECT_IMPORT,
        by,
        {"import": imp.pk, "territory_names": [imp.territory.name]},
    )
    imp.job = job
    imp.save(update_fields=["job"])


@task
def run_import(job_id: int) -> None:
    """Import the table of a ProjectImport in the background; the job records the progress."""
    job = ReportJob.objects.select_related("created_by").get(pk=job_id)
    if not job.start():
        return  # finished, or another worker has it
    imp = ProjectImport.objects.select_related("territory").get(pk=job.parameters["import"])
    try:
        with job.alive():
            if imp.status != ImportStatus.DONE:
                imp.status = ImportStatus.RUNNING
                imp.save(update_fields=["status"])
            apply_import(imp, by=job.created_by, progress=job.advance)
        job.finish()
    except Exception as error:
        logger.exception("Échec de l'import de projets n° %s", imp.pk)
        message = error.message if isinstance(error, Unreadable) else FAILURE_MESSAGE
        imp.status, imp.error = ImportStatus.FAILED, message
        imp.save(update_fields=["status", "error"])
        job.fail(message)
        raise
