"""Open data: today's public portfolio of a territory, as JSON and CSV, for everyone
(docs/opendata.md describes the fields and docs/opendata.schema.json their schema)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from projects.models import PRIVATE_STAGES, IndicatorKind, Project, Territory

from .data import PortfolioProject, portfolio
from .exports import (
    DATE,
    INTEGER,
    MONEY,
    QUANTITY,
    TEXT,
    csv_lines,
    csv_response,
    neutralise,
    plain_number,
)

LICENCE = "Licence Ouverte 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
SCHEMA = "docs/opendata.schema.json"
SCHEMA_VERSION = "1.0"


def json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def jobs_target(row: PortfolioProject, kind: str) -> Decimal | None:
    """The target of a jobs indicator, or None when the project has none of this kind."""
    if not any(m.kind == kind for m in row.measures):
        return None
    return row.jobs(kind)[0]


# The public fields, in order (docs/opendata.md describes each): (name, kind, value).
OPEN_FIELDS: list[tuple[str, str, Callable]] = [
    ("reference", TEXT, lambda row, t, u: row.reference),
    ("intitule", TEXT, lambda row, t, u: row.title),
    ("resume", TEXT, lambda row, t, u: row.summary),
    ("code_territoire", TEXT, lambda row, t, u: t.code),
    ("axe_code", TEXT, lambda row, t, u: row.axis),
    ("axe_libelle", TEXT, lambda row, t, u: row.axis_label),
    ("etape_code", TEXT, lambda row, t, u: row.stage),
    ("etape_libelle", TEXT, lambda row, t, u: row.stage_label),
    ("structure_porteuse", TEXT, lambda row, t, u: row.lead_organisation),
    ("commune", TEXT, lambda row, t, u: row.commune),
    ("intercommunalite", TEXT, lambda row, t, u: row.epci),
    ("debut_prevu", DATE, lambda row, t, u: row.planned_start),
    ("fin_prevue", DATE, lambda row, t, u: row.planned_end),
    ("cout_total_ht", MONEY, lambda row, t, u: row.total_cost),
    ("financements_total", MONEY, lambda row, t, u: row.funding_total),
    (
        "emplois_crees_cible",
        QUANTITY,
        lambda row, t, u: jobs_target(row, IndicatorKind.JOBS_CREATED),
    ),
    (
        "emplois_maintenus_cible",
        QUANTITY,
        lambda row, t, u: jobs_target(row, IndicatorKind.JOBS_KEPT),
    ),
    ("avancement", INTEGER, lambda row, t, u: row.progress),
    ("mis_a_jour_le", DATE, lambda row, t, u: u.get(row.id)),
]


def public_projects(territory: Territory) -> tuple[list[PortfolioProject], dict[int, date]]:
    """Today's public projects of the territory, and the day each was last changed.

    Public means: flagged publishable, not archived, and past the stages in which a project is
    still being written (those stay private even when flagged).
    """
    rows = [
        row
        for row in portfolio([territory], include_private=False, include_archived=False)
        if row.is_public and not row.is_archived and row.stage not in PRIVATE_STAGES
    ]
    updated = Project.objects.filter(pk__in=[row.id for row in rows]).values_list(
        "pk", "updated_at"
    )
    return rows, {pk: timezone.localdate(moment) for pk, moment in updated}


def opendata_headers(response: HttpResponse) -> HttpResponse:
    """Public, read-only data: any site may fetch it, and caches may keep it for an hour."""
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response


def open_territory(code: str) -> Territory:
    return get_object_or_404(Territory, code=code)


@login_not_required
@require_safe
def opendata_json(request: HttpRequest, code: str) -> HttpResponse:
    territory = open_territory(code)
    rows, updated = public_projects(territory)

    def json_value(kind: str, value):
        if kind == DATE:
            return value.isoformat() if value else None
        if kind in (MONEY, QUANTITY):
            return json_number(value)
        return value if value is not None else ""

    document = {
        "territoire": {"code": territory.code, "nom": territory.name, "region": territory.region},
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "producteur": f"Territoire d'industrie {territory.name}",
        "genere_le": timezone.localtime().isoformat(timespec="seconds"),
        "schema": SCHEMA,
        "version_schema": SCHEMA_VERSION,
        "projets": [
            {
                name: json_value(kind, get(row, territory, updated))
                for name, kind, get in OPEN_FIELDS
            }
            for row in rows
        ],
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    return opendata_headers(response)


@login_not_required
@require_safe
def opendata_csv(request: HttpRequest, code: str) -> HttpResponse:
    territory = open_territory(code)
    rows, updated = public_projects(territory)

    def csv_open_value(kind: str, value) -> str:
        # Machine-readable like the JSON: point decimals and ISO dates (docs/opendata.md).
        if value is None:
            return ""
        if kind == DATE:
            return value.isoformat()
        if kind in (MONEY, QUANTITY):
            return plain_number(value)
        if kind == INTEGER:
            return str(value)
        return neutralise(str(value))

    def records() -> Iterator[list[str]]:
        for row in rows:
            yield [
                csv_open_value(kind, get(row, territory, updated)) for _, kind, get in OPEN_FIELDS
            ]

    response = csv_response(
        csv_lines([name for name, _, _ in OPEN_FIELDS], records()), f"projets-{territory.code}.csv"
    )
    return opendata_headers(response)
