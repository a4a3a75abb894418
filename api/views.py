"""The read API (/api/v1/): what a personal token's owner may read (DESIGN §8), today or as of
a past day, in pages that stay small whatever the size of the country.

Every answer goes through the access object (projects.access) exactly as the pages do: the
projects a token reads are those of `Project.objects.visible_to`, their details those of
`Access.sees_details`, a decision those of `Access.reads_decision`; a territory out of reach
answers 404 as a missing one. The projects come from the reports' own rows
(tdi.reports.data.portfolio), so that the API, the reports and the exports agree on every
figure, on any day.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import defaultdict
from types import SimpleNamespace

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from committees.models import AgendaItem, Committee, Decision, Meeting, MeetingStatus
from projects.access import Access, Right
from projects.history import end_of_day, rows_as_of
from projects.models import (
    Application,
    ApplicationProject,
    ApplicationStatus,
    Axis,
    FundingLine,
    Milestone,
    Project,
    Stage,
    Territory,
)
from projects.models.calls import SUBMITTED_STATUSES
from tdi.reports.data import key_figures, portfolio
from tdi.reports.forms import check_as_of

from . import serializers as s

THROTTLED = "Trop de requêtes pour ce jeton : réessayez dans {wait} s."
LARGEST_ID = 2**63 - 1  # a larger number would overflow the database's integers


class Page(BasePagination):
    """Pages after a cursor (the last id served): stable ordering by id, and a page that does
    not shift when objects are added meanwhile. `?page_size=` up to 100."""

    default_size, max_size = 50, 100

    def read(self, request) -> tuple[int, int]:
        errors = {}
        raw_size = request.query_params.get("page_size", "")
        size = self.default_size
        if raw_size:
            if not re.fullmatch(r"[0-9]{1,3}", raw_size) or not 1 <= int(raw_size) <= self.max_size:
                errors["page_size"] = [f"Un nombre entier de 1 à {self.max_size} est attendu."]
            else:
                size = int(raw_size)
        after = 0
        if cursor := request.query_params.get("cursor", ""):
            try:
                after = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
                if not 0 <= after <= LARGEST_ID:
                    raise ValueError(after)
            except (ValueError, binascii.Error, UnicodeDecodeError):
                errors["cursor"] = ["Curseur invalide : reprenez le lien « next » d'une page."]
        if errors:
            raise exceptions.ValidationError(errors)
        return size, after

    def page(self, objects, request) -> list:
        """One page of objects: a queryset (read after the cursor, ordered by id) or a list
        already sorted by id (a report's rows as of a day)."""
        size, after = self.read(request)
        if isinstance(objects, QuerySet):
            chunk = list(objects.filter(pk__gt=after).order_by("pk")[: size + 1])
        else:
            chunk = [o for o in objects if o.pk > after][: size + 1]
        self.request, self.next_after = request, chunk[size - 1].pk if len(chunk) > size else None
        return chunk[:size]

    def get_paginated_response(self, data) -> Response:
        next_url = None
        if self.next_after is not None:
            cursor = base64.urlsafe_b64encode(str(self.next_after).encode()).decode().rstrip("=")
            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
        return Response({"next": next_url, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "La page suivante (null à la dernière).",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Curseur de la page suivante (lien « next »).",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Nombre d'objets par page (1 à {self.max_size}, 50 par défaut).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_size},
            },
        ]


class Filters(forms.Form):
    """The filters every list shares: a territory, and the day it is read as of."""

    territory = forms.CharField(required=False, max_length=20)
    date = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Saisissez une date valide (AAAA-MM-JJ)."},
    )

    def clean_date(self):
        return check_as_of(self.cleaned_data.get("date"))


class ProjectFilters(Filters):
    stage = forms.ChoiceField(required=False, choices=[("", ""), *Stage.choices])
    axis = forms.ChoiceField(required=False, choices=[("", ""), *Axis.choices])
    funder = forms.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)


class MeetingFilters(Filters):
    committee = forms.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)
    status = forms.ChoiceField(required=False, choices=[("", ""), *MeetingStatus.choices])
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


class ApplicationFilters(Filters):
    status = forms.ChoiceField(required=False, choices=[("", ""), *ApplicationStatus.choices])


def parameters(form_class) -> list[OpenApiParameter]:
    """The query parameters of a filter form, described in French for the schema."""
    described = {
        "territory": (OpenApiTypes.STR, "Code national d'un territoire (ti-0000)."),
        "date": (
            OpenApiTypes.DATE,
            "Lire la situation à cette date (AAAA-MM-JJ), comme les rapports.",
        ),
        "stage": (OpenApiTypes.STR, "Étape (code)."),
        "axis": (OpenApiTypes.STR, "Axe (code)."),
        "funder": (OpenApiTypes.INT, "Identifiant d'un financeur : projets qu'il finance."),
        "committee": (OpenApiTypes.INT, "Identifiant d'un comité."),
        "status": (OpenApiTypes.STR, "Statut (code)."),
        "since": (OpenApiTypes.DATE, "Séances à partir de ce jour."),
        "until": (OpenApiTypes.DATE, "Séances jusqu'à ce jour."),
    }
    found = []
    for name, field in form_class.base_fields.items():
        kind, text = described[name]
        enum = [c for c, _label in field.choices if c] if hasattr(field, "choices") else None
        found.append(OpenApiParameter(name, kind, description=text, enum=enum or None))
    return found


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What every resource shares: the token's access, the filters, the pages, the ETag."""

    pagination_class = Page
    filters_form = Filters
    lookup_value_regex = r"\d+"

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # DRF authenticates by token: Django's login redirect does not apply.
        return login_not_required(super().as_view(actions, **initkwargs))

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permission, throttle
        self.access = Access(request.user).attach()
        if int(kwargs.get("pk", 0)) > LARGEST_ID:
            raise Http404("Aucun objet ne porte cet identifiant.")

    def throttled(self, request, wait) -> None:
        raise exceptions.Throttled(wait, detail=THROTTLED.format(wait=round(wait or 0)))

    def finalize_response(self, request, response, *args, **kwargs):
        """Answers depend on the token: never shared by caches. A list's ETag lets a client
        ask again with If-None-Match and get 304 when nothing changed."""
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        response["Cache-Control"] = "private, no-cache"
        if request.method == "GET" and response.status_code == 200:
            response.render()
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
            response["ETag"] = etag
            wanted = request.headers.get("If-None-Match", "")
            if etag in [tag.strip() for tag in wanted.split(",")]:
                response.status_code = 304
                response.content = b""
        return response

    # --- what the request asks ------------------------------------------------------------

    @property
    def wanted(self) -> dict:
        if not hasattr(self, "_wanted"):
            form = self.filters_form(self.request.query_params)
            if not form.is_valid():
                raise exceptions.ValidationError(
                    {name: list(errors) for name, errors in form.errors.items()}
                )
            self._wanted = form.cleaned_data
        return self._wanted

    @property
    def moment(self):
        day = self.wanted["date"]
        return end_of_day(day) if day else None

    def territories(self) -> list[Territory]:
        """The territory asked for (404 out of reach, as a missing one), or every territory the
        token's owner works in."""
        reachable = Territory.objects.reachable_by(self.access).order_by("name")
        if code := self.wanted["territory"]:
            found = list(reachable.filter(code=code))
            if not found:
                raise Http404("Territoire introuvable.")
            return found
        return list(reachable)

    def paged(self, objects) -> Response:
        page = self.paginator.page(objects, self.request)
        data = self.get_serializer(self.present(page), many=True).data
        return self.paginator.get_paginated_response(data)

    def present(self, objects: list) -> list:
        """The objects as the serializer reads them."""
        return objects


DATE = OpenApiParameter("date", OpenApiTypes.DATE, description="Lire à cette date (AAAA-MM-JJ).")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Identifiant.")


@extend_schema_view(
    list=extend_schema(
        summary="Les territoires",
        description="Les territoires où le titulaire du jeton a un rôle (tous pour un lecteur "
        "national).",
        parameters=parameters(Filters),
    ),
    retrieve=extend_schema(
        summary="Un territoire et les chiffres clés de son portefeuille",
        description="Les chiffres sont ceux des rapports, à la date ?date= si elle est donnée.",
        responses=s.TerritoryDetailSerializer,
        parameters=[DATE],
    ),
)
class TerritoryViewSet(ReadViewSet):
    serializer_class = s.TerritorySerializer
    lookup_field = "code"
    lookup_value_regex = r"ti-\d{4}"

    def list(self, request):
        reachable = Territory.objects.reachable_by(self.access)
        if code := self.wanted["territory"]:
            reachable = reachable.filter(code=code)
        return self.paged(reachable)

    def retrieve(self, request, code: str):
        territory = Territory.objects.reachable_by(self.access).filter(code=code).first()
        if territory is None:
            raise Http404("Territoire introuvable.")
        rows = portfolio([territory], as_of=self.wanted["date"], access=self.access)
        territory.figures = key_figures(rows)
        return Response(s.TerritoryDetailSerializer(territory).data)


@extend_schema_view(
    list=extend_schema(
        summary="Les projets",
        description="Les projets que le titulaire du jeton peut lire (hors archivés), avec leur "
        "plan de financement, leurs indicateurs, leurs jalons et les dates de leurs étapes "
        "quand il en lit le détail ; aujourd'hui ou à la date ?date=.",
        parameters=parameters(ProjectFilters),
    ),
    retrieve=extend_schema(summary="Un projet", parameters=[ID, DATE]),
)
class ProjectViewSet(ReadViewSet):
    serializer_class = s.ProjectSerializer
    filters_form = ProjectFilters

    def list(self, request):
        wanted, access = self.wanted, self.access
        territories = self.territories()
        if wanted["date"]:
            rows = portfolio(
                territories,
                as_of=wanted["date"],
                access=access,
                axis=wanted["axis"],
                stage=wanted["stage"],
                funder=wanted["funder"],
            )
            return self.paged(sorted(rows, key=lambda row: row.id))
        projects = Project.objects.visible_to(access).filter(
            territory__in=territories, is_archived=False
        )
        if wanted["axis"]:
            projects = projects.filter(axis=wanted["axis"])
        if wanted["stage"]:
            projects = projects.filter(stage=wanted["stage"])
        if wanted["funder"]:
            # As the reports: a funder's projects among those whose funding plan is read.
            funded = FundingLine.objects.filter(funder_id=wanted["funder"]).values("project_id")
            projects = projects.filter(access.q(Right.DETAILS) | Q(pk__in=access.led))
            projects = projects.filter(pk__in=funded)
        return self.paged(projects.only("pk"))

    def retrieve(self, request, pk: str):
        rows = portfolio(
            ids=[int(pk)], as_of=self.wanted["date"], access=self.access, include_archived=True
        )
        if not rows:
            raise Http404("Projet introuvable.")
        return Response(self.get_serializer(self.present(rows)[0]).data)

    def present(self, objects: list) -> list:
        """Report rows with what the API adds: the territory's code, the details flag, the
        milestones and the dates of the stages (for those whose details the owner reads)."""
        access, moment = self.access, self.moment
        if objects and isinstance(objects[0], Project):  # today's page: read it as the reports
            rows = portfolio(ids=[p.pk for p in objects], access=access)
            objects = sorted(rows, key=lambda row: row.id)
        codes = dict(Territory.objects.values_list("pk", "code"))
        detailed = [row.id for row in objects if access.sees_details(row)]
        if moment is None:
            milestones = Milestone.objects.filter(project_id__in=detailed).order_by("due_on", "pk")
        else:
            milestones = rows_as_of(Milestone, moment, project_id__in=detailed)
            milestones.sort(key=lambda m: (m.due_on, m.id))
        milestones_of = defaultdict(list)
        for milestone in milestones:
            milestones_of[milestone.project_id].append(milestone)
        history = Project.history.filter(id__in=detailed)
        if moment is not None:
            history = history.filter(history_date__lte=moment)
        stages_of = defaultdict(list)
        for project_id, stage, moment_of in history.order_by(
            "id", "history_date", "history_id"
        ).values_list("id", "stage", "history_date"):
            entered = stages_of[project_id]
            if not entered or entered[-1].stage != stage:
                entered.append(
                    SimpleNamespace(stage=stage, label=Stage(stage).label, since=moment_of)
                )
        for row in objects:
            row.territory = codes.get(row.territory_id)
            row.details = row.id in detailed
            row.milestones = milestones_of.get(row.id, [])
            row.stages = stages_of.get(row.id, [])
            row.stage_since = row.stages[-1].since if row.stages else None
            row.funding = row.funding_total
            if not row.details:
                row.total_cost = row.progress = row.funding = None
        return objects


@extend_schema_view(
    list=extend_schema(
        summary="Les comités",
        description="Les comités des territoires où le titulaire du jeton a un rôle, et ceux où "
        "il siège.",
        parameters=parameters(Filters)[:1],
    ),
    retrieve=extend_schema(summary="Un comité", parameters=[ID]),
)
class CommitteeViewSet(ReadViewSet):
    serializer_class = s.CommitteeSerializer

    def get_queryset(self):
        return Committee.objects.visible_to(self.access).select_related("territory")

    def list(self, request):
        return self.paged(self.get_queryset().filter(territory__in=self.territories()))


@extend_schema_view(
    list=extend_schema(
        summary="Les séances et leurs décisions",
        description="Les séances dont le titulaire du jeton lit l'ordre du jour ; les décisions "
        "d'un point seulement s'il les lit (compte rendu validé, ou coordination et membres du "
        "comité avant validation). À la date ?date= : les séances et décisions telles "
        "qu'elles étaient ce jour-là.",
        parameters=parameters(MeetingFilters),
    ),
    retrieve=extend_schema(summary="Une séance", parameters=[ID, DATE]),
)
class MeetingViewSet(ReadViewSet):
    serializer_class = s.MeetingSerializer
    filters_form = MeetingFilters

    def get_queryset(self):
        meetings = Meeting.objects.visible_to(self.access).select_related("committee__territory")
        if self.moment is not None:
            # Those that existed then, in the status asked for then (before the pages are cut).
            wanted = self.wanted.get("status")
            then = rows_as_of(
                Meeting,
                self.moment,
                fields=("id", "status"),
                committee__territory__in=self.territories(),
            )
            meetings = meetings.filter(
                pk__in=[row["id"] for row in then if not wanted or row["status"] == wanted]
            )
        return meetings

    def list(self, request):
        wanted = self.wanted
        meetings = self.get_queryset().filter(committee__territory__in=self.territories())
        if wanted["committee"]:
            meetings = meetings.filter(committee_id=wanted["committee"])
        if wanted["since"]:
            meetings = meetings.filter(starts_at__date__gte=wanted["since"])
        if wanted["until"]:
            meetings = meetings.filter(starts_at__date__lte=wanted["until"])
        if wanted["status"] and self.moment is None:
            meetings = meetings.filter(status=wanted["status"])
        return self.paged(meetings)

    def retrieve(self, request, pk: str):
        meeting = self.get_queryset().filter(pk=pk).first()
        if meeting is None:
            raise Http404("Séance introuvable.")
        return Response(self.get_serializer(self.present([meeting])[0]).data)

    def present(self, meetings: list) -> list:
        """The meetings with their items, as they were at the moment asked (their status and
        decisions from the history); a decision only for whom Access.reads_decision allows."""
        access, moment = self.access, self.moment
        ids = [m.pk for m in meetings]
        if moment is None:
            items = list(
                AgendaItem.objects.filter(meeting_id__in=ids)
                .select_related("project")
                .order_by("order", "pk")
            )
            states = {m.pk: m for m in meetings}
        else:
            states = {row.id: row for row in rows_as_of(Meeting, moment, id__in=ids)}
            items = sorted(
                rows_as_of(AgendaItem, moment, meeting_id__in=ids), key=lambda i: (i.order, i.id)
            )
        references = dict(
            Project.objects.filter(
                pk__in={i.project_id for i in items if i.project_id}
            ).values_list("pk", "reference")
        )
        items_of = defaultdict(list)
        for item in items:
            items_of[item.meeting_id].append(item)
        presented = []
        for meeting in meetings:
            state = states[meeting.pk]  # the meeting as it was at the moment asked
            as_then = SimpleNamespace(
                is_locked=state.status == MeetingStatus.VALIDATED,
                committee=meeting.committee,
                committee_id=meeting.committee_id,
            )
            presented.append(
                SimpleNamespace(
                    id=meeting.pk,
                    territory=meeting.committee.territory.code,
                    committee_id=meeting.committee_id,
                    committee_name=meeting.committee.name,
                    number=state.number,
                    starts_at=state.starts_at,
                    place=state.place,
                    status=state.status,
                    status_label=MeetingStatus(state.status).label,
                    validated_at=state.validated_at,
                    items=[
                        agenda_item(item, references, access.reads_decision(item, as_then))
                        for item in items_of[meeting.pk]
                    ],
                )
            )
        return presented


def agenda_item(item, references: dict, readable: bool) -> SimpleNamespace:
    decided = readable and item.decision
    return SimpleNamespace(
        order=item.order,
        kind=item.kind,
        title=item.title,
        project_reference=references.get(item.project_id),
        decision_readable=readable,
        decision=item.decision if decided else None,
        decision_label=Decision(item.decision).label if decided else None,
        motive=item.motive if decided else None,
        votes_for=item.votes_for if decided else None,
        votes_against=item.votes_against if decided else None,
        votes_abstain=item.votes_abstain if decided else None,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Les dossiers de candidature",
        description="Les dossiers que le titulaire du jeton peut lire : tous pour la "
        "coordination et les membres, les dossiers déposés pour les partenaires et les lecteurs "
        "nationaux, ceux qui incluent un de ses projets pour un porteur. À la date ?date= : "
        "leur statut ce jour-là.",
        parameters=parameters(ApplicationFilters),
    ),
    retrieve=extend_schema(summary="Un dossier de candidature", parameters=[ID, DATE]),
)
class ApplicationViewSet(ReadViewSet):
    serializer_class = s.ApplicationSerializer
    filters_form = ApplicationFilters

    def get_queryset(self):
        access, moment = self.access, self.moment
        applications = Application.objects.visible_to(access).select_related(
            "territory", "call", "applicant"
        )
        if moment is not None:
            # Those that existed then, that the owner could read then (a draft then is not
            # for a reader of submitted files), in the status asked for: before the pages.
            wanted = self.wanted.get("status")
            own = set(
                ApplicationProject.objects.filter(project_id__in=access.led).values_list(
                    "application_id", flat=True
                )
            )
            then = rows_as_of(Application, moment, fields=("id", "status", "territory_id"))
            applications = applications.filter(
                pk__in=[
                    row["id"]
                    for row in then
                    if (not wanted or row["status"] == wanted)
                    and (
                        access.has(Right.APPLICATIONS, row["territory_id"])
                        or row["status"] in SUBMITTED_STATUSES
                        or row["id"] in own
                    )
                ]
            )
        return applications.prefetch_related(
            Prefetch(
                "items",
                queryset=ApplicationProject.objects.select_related("project").order_by("rank"),
            )
        )

    def list(self, request):
        applications = self.get_queryset().filter(territory__in=self.territories())
        if self.moment is None and self.wanted["status"]:
            applications = applications.filter(status=self.wanted["status"])
        return self.paged(applications)

    def retrieve(self, request, pk: str):
        found = self.present(list(self.get_queryset().filter(pk=pk)))
        if not found:
            raise Http404("Dossier introuvable.")
        return Response(self.get_serializer(found[0]).data)

    def present(self, applications: list) -> list:
        """As they were at the moment asked: their status and projects of then."""
        moment = self.moment
        ids = [a.pk for a in applications]
        if moment is None:
            then = {a.pk: a for a in applications}
            included = {
                a.pk: [item.project.reference for item in a.items.all()] for a in applications
            }
        else:  # get_queryset() kept those that existed and were readable then
            then = {row.id: row for row in rows_as_of(Application, moment, id__in=ids)}
            items = rows_as_of(ApplicationProject, moment, application_id__in=ids)
            references = dict(
                Project.objects.filter(pk__in={i.project_id for i in items}).values_list(
                    "pk", "reference"
                )
            )
            included = defaultdict(list)
            for item in sorted(items, key=lambda i: (i.rank, i.id)):
                included[item.application_id].append(references.get(item.project_id))
        presented = []
        for application in applications:
            state = then[application.pk]
            presented.append(
                SimpleNamespace(
                    id=application.pk,
                    territory_code=application.territory.code,
                    call=application.call.title,
                    title=state.title,
                    applicant=application.applicant.name,
                    status=state.status,
                    status_label=ApplicationStatus(state.status).label,
                    submitted_at=state.submitted_at,
                    outcome_on=state.outcome_on,
                    projects=included.get(application.pk, []),
                )
            )
        return presented
