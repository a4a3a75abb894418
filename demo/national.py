"""A national data set to measure the application at the programme's size (issue 13):
`manage.py demo --national` writes 183 territories of 110 projects each, with their
committees and two years of meetings, decisions and validated minutes.

It is written in bulk, each object with the history rows the workflow would have written: the
creation, then one row per move, dated, signed by the coordinator and explained with the
application's reasons; each committee move has its agenda item as cause, as
`AgendaItem.record_decision` records it. Everything follows one seeded random generator and one
"today" (NOW): the same arguments give the same data. The minutes' HTML is made by the
application's own function; their archived PDFs are not printed (`manage.py produce_archives`
prints them, about a second each).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from committees.documents import MINUTES, minutes_context
from committees.models import AgendaItem, Attendance, Committee, CommitteeMember, Decision, Meeting
from projects.models import (
    Axis,
    FundingInstrument,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorKind,
    Membership,
    Organisation,
    OrganisationKind,
    Project,
    Role,
    Stage,
    Territory,
)
from tdi.pdf import official_document

PARIS = ZoneInfo("Europe/Paris")
NOW = date(2026, 12, 1)  # the data set's today
START = date(2025, 1, 6)  # the first committee
CYCLE = 70  # days between two COTECH; each COPIL follows its COTECH three weeks later
REGIONS = [
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire",
    "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine",
    "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur", "Corse",
]  # fmt: skip
S = Stage
# The moves a person makes after the examination, with their usual delay in days (low, high).
AFTER = [
    (S.FINANCING, "Demandes de financement déposées auprès des financeurs", (10, 30)),
    (S.FUNDED, "Plan de financement bouclé : toutes les aides sont notifiées", (40, 120)),
    (S.IN_PROGRESS, "Démarrage des travaux (ordre de service)", (15, 60)),
    (S.DONE, "Réception des travaux et bilan des indicateurs", (180, 360)),
    (S.CLOSED, "Bilan final transmis, dossier soldé", (40, 90)),
]
BEFORE = [
    (S.DRAFTING, "Début de la rédaction de la fiche-action", (5, 30)),
    (S.SUBMITTED, "Dossier déposé par le porteur", (15, 45)),
    (S.ELIGIBLE, "Dossier complet", (5, 20)),
]
# The outcomes of each committee: the usual one first.
OUTCOMES = {
    "cotech": [
        (Decision.FAVORABLE, S.READY_COPIL),
        (Decision.REDIRECTED, S.REDIRECTED),
        (Decision.UNFAVORABLE, S.REJECTED),
    ],
    "copil": [(Decision.VALIDATED, S.APPROVED), (Decision.REJECTED, S.REJECTED)],
}
STATUS_OF = {S.FINANCING: FundingStatus.REQUESTED, S.FUNDED: FundingStatus.GRANTED}
STATUS_OF |= dict.fromkeys((S.IN_PROGRESS, S.DONE, S.CLOSED), FundingStatus.GRANTED)


# What a meeting gets at its convocation and its validation, with its value before.
LATER = {
    "number": None,
    "convened_at": None,
    "validated_at": None,
    "validated_by_id": None,
    "minutes_html": "",
    "content_sha256": "",
}


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


class Builder:
    def __init__(self, territories: int, projects: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.size = (territories, projects)
        self.history: dict[type, list] = {}
        self.counts: Counter[str] = Counter()

    def row(self, obj, when: datetime, by, reason: str, kind: str = "~", cause: str = ""):
        """The history row of `obj` as it stands, as simple-history would write it."""
        model = type(obj).history.model
        values = {f.attname: getattr(obj, f.attname) for f in model.tracked_fields}
        row = model(
            **values,
            history_date=when,
            history_user=by,
            history_change_reason=reason,
            history_type=kind,
        )
        if cause:
            row.history_cause = cause
        self.history.setdefault(model, []).append(row)

    def created(self, objects: list, when, by, reason: str) -> list:
        """Bulk-create objects, each with its creation row."""
        model = type(objects[0])
        model.objects.bulk_create(objects, batch_size=2000)
        for obj in objects:
            self.row(obj, when(obj) if callable(when) else when, by, reason, "+")
        self.counts[str(model._meta.verbose_name_plural)] += len(objects)
        return objects

    def flush_history(self) -> None:
        for model, rows in self.history.items():
            model.objects.bulk_create(rows, batch_size=5000)
            self.counts["lignes d'historique"] += len(rows)
        self.history.clear()

    # --- the country ---------------------------------------------------------------------

    def build(self) -> Counter:
        territories, per_territory = self.size
        since = at(START - timedelta(days=30), 9)
        admin = get_user_model().objects.filter(is_superuser=True).first()
        names = {
            "Bpifrance": OrganisationKind.PUBLIC_OPERATOR,
            "Banque des Territoires": OrganisationKind.PUBLIC_OPERATOR,
            "ADEME": OrganisationKind.PUBLIC_OPERATOR,
            **{f"Région {region}": OrganisationKind.REGION for region in REGIONS},
        }
        existing = set(Organisation.objects.filter(name__in=names).values_list("name", flat=True))
        if missing := [Organisation(name=n, kind=k) for n, k in names.items() if n not in existing]:
            self.created(missing, since, admin, "Création")
        funders = Organisation.objects.in_bulk(list(names), field_name="name")
        for number in range(1, territories + 1):
            with transaction.atomic():
                self.territory(number, per_territory, funders, since)
                self.flush_history()
        return self.counts

    def territory(self, number: int, size: int, funders: dict, since: datetime) -> None:
        rng = self.rng
        coordinator = get_user_model().objects.create(
            username=f"coordination-{number:03d}",
            first_name="Coordination",
            last_name=f"TI {number:03d}",
            email=f"coordination-{number:03d}@national.tdi.fr",
        )
        region = REGIONS[number % len(REGIONS)]
        territory = Territory(
            code=f"ti-{2000 + number}",
            name=f"Territoire d'industrie n° {number:03d}",
            prefix=f"N{number:03d}",
            region=region,
            department=f"Département {number % 96 + 1:02d}",
        )
        self.created([territory], since, coordinator, "Création du territoire")
        epci = Organisation(name=f"Communauté de communes n° {number:03d}", kind="epci")
        companies = [
            Organisation(name=f"Entreprise {number:03d}-{n}", kind="company") for n in range(1, 6)
        ]
        self.created([epci, *companies], since, coordinator, "Création")
        territory.intercommunalities.add(epci)
        territory.organisations.add(epci, *companies, *funders.values())
        membership = Membership(
            user=coordinator, territory=territory, role=Role.COORDINATOR, organisation=epci
        )
        self.created([membership], since, coordinator, "Ajout d'un membre du territoire")
        committees = {}
        for kind, name in (("cotech", "Comité technique"), ("copil", "Comité de pilotage")):
            committee = Committee(territory=territory, kind=kind, name=f"{name} n° {number:03d}")
            self.created([committee], since, coordinator, "Création du comité")
            seats = [CommitteeMember(committee=committee, user=coordinator, role="chair")]
            seats += [
                CommitteeMember(
                    committee=committee,
                    name=f"Membre {n} du {kind.upper()} {number:03d}",
                    email=f"membre-{n}-{kind}-{number:03d}@national.tdi.fr",
                    role="member",
                )
                for n in range(1, 6)
            ]
            self.created(seats, since, coordinator, "Ajout d'un membre")
            committees[kind] = (committee, seats)
        # The meetings: a COTECH every CYCLE days, its COPIL three weeks later.
        meetings: dict[str, list[Meeting]] = {"cotech": [], "copil": []}
        day = START + timedelta(days=rng.randrange(14))
        while day <= NOW + timedelta(days=40):
            for kind, offset in (("cotech", 0), ("copil", 21)):
                starts = at(day + timedelta(offset), 9, 30)
                meeting = Meeting(committee=committees[kind][0], starts_at=starts)
                meeting.agenda = []  # [project, inscribed at, decision, motive, decided at]
                meetings[kind].append(meeting)
            day += timedelta(days=CYCLE)
        projects = [self.project(territory, epci, companies, meetings) for _ in range(size)]
        projects.sort(key=lambda p: p.created_at)
        years: Counter[int] = Counter()
        for project in projects:
            year = project.created_at.year
            years[year] += 1
            project.reference = f"{territory.prefix}-{year}-{years[year]:03d}"
        Project.objects.bulk_create(projects, batch_size=2000)
        self.counts["projets"] += len(projects)
        self.rows_of_projects(projects, coordinator, funders, region)
        for kind in ("cotech", "copil"):
            self.meetings(meetings[kind], *committees[kind], coordinator)
        for project in projects:
            self.project_history(project, coordinator)

    def project(self, territory, epci, companies, meetings) -> Project:
        rng = self.rng
        created = START + timedelta(days=rng.randrange((NOW - START).days - 20))
        subject = rng.choice(
            ["modernisation", "formation", "décarbonation", "foncier", "innovation"]
        )
        project = Project(
            territory=territory,
            title=f"Projet {subject} n° {rng.randrange(1, 10_000):04d}",
            summary="Projet structurant du territoire.",
            description="Projet du jeu de données national de mesure.",
            axis=rng.choice(Axis.values),
            lead_organisation=rng.choice(companies),
            commune="Commune",
            epci=epci,
            planned_start=created + timedelta(days=200),
            planned_end=created + timedelta(days=600),
            total_cost=Decimal(rng.randrange(50, 3000) * 1000),
        )
        # Its moves: (moment, stage, reason, meeting or None).
        project.moves = [(self.moment(created), S.IDEA, "Création du projet", None)]
        day = created
        for stage, reason, (low, high) in BEFORE:
            day += timedelta(days=rng.randint(low, high))
            if day > NOW:
                break
            project.moves.append((self.moment(day), stage, reason, None))
        else:
            self.examination(project, day, meetings)
        project.stage = project.moves[-1][1]
        project.created_at, project.updated_at = project.moves[0][0], project.moves[-1][0]
        return project

    def moment(self, day: date) -> datetime:
        return at(day, 9 + self.rng.randrange(8), self.rng.randrange(60))

    def examination(self, project, day, meetings) -> None:
        """The COTECH, then the COPIL, then the life of a labelled project."""
        rng = self.rng
        for kind in ("cotech", "copil"):
            start = day + timedelta(days=10)
            meeting = next((m for m in meetings[kind] if m.starts_at.date() >= start), None)
            if meeting is None:
                return
            inscribed = at(
                max(day + timedelta(days=1), meeting.starts_at.date() - timedelta(21)), 11
            )
            project.moves.append((inscribed, S(kind), "", meeting))
            entry = [project, inscribed, "", "", None]
            meeting.agenda.append(entry)
            if meeting.starts_at.date() > NOW - timedelta(days=3):
                return  # not examined yet
            draw = rng.random()
            if kind == "cotech" and draw < 0.85 or kind == "copil" and draw < 0.92:
                decision, stage = OUTCOMES[kind][0]
                motive = ""
            else:
                decision, stage = rng.choice(OUTCOMES[kind][1:])
                motive = "projet relevant d'un dispositif de droit commun"
            decided = meeting.starts_at + timedelta(minutes=20 * len(meeting.agenda))
            entry[2:] = [decision, motive, decided]
            project.moves.append((decided, stage, "", meeting))
            if stage not in (S.READY_COPIL, S.APPROVED):
                return
            day = decided.date()
        for stage, reason, (low, high) in AFTER:
            day += timedelta(days=rng.randint(low, high))
            if day > NOW:
                return
            project.moves.append((self.moment(day), stage, reason, None))

    def rows_of_projects(self, projects, coordinator, funders, region) -> None:
        lines, indicators = [], []
        for project in projects:
            status = STATUS_OF.get(project.stage, FundingStatus.PLANNED)
            third = (project.total_cost / 3).quantize(Decimal("1"))
            for funder, instrument, amount in (
                (
                    project.lead_organisation,
                    FundingInstrument.EQUITY,
                    project.total_cost - 2 * third,
                ),
                (funders[f"Région {region}"], FundingInstrument.GRANT, third),
                (funders["Bpifrance"], FundingInstrument.LOAN, third),
            ):
                line = FundingLine(
                    project=project, funder=funder, instrument=instrument, amount=amount
                )
                line.status = status
                lines.append(line)
            for kind in (IndicatorKind.JOBS_CREATED, IndicatorKind.JOBS_KEPT):
                target = Decimal(self.rng.randrange(1, 80))
                indicators.append(Indicator(project=project, kind=kind, target=target))
        when = lambda row: row.project.created_at  # noqa: E731 — written with the project
        self.created(lines, when, coordinator, "Création du projet")
        self.created(indicators, when, coordinator, "Création du projet")

    def meetings(self, found, committee, seats, coordinator) -> None:
        """The meetings that have an agenda: numbered at their convocation, their items,
        attendance and validated minutes, and the history rows of each step."""
        number = 0
        for meeting in (m for m in found if m.agenda):
            starts = meeting.starts_at
            first = min(entry[1] for entry in meeting.agenda) - timedelta(days=1)
            steps = [(first, Meeting.Status.PREPARATION, "Création de la séance")]
            convened = at(starts.date() - timedelta(days=10), 10)
            if convened.date() <= NOW:
                number += 1
                meeting.number, meeting.convened_at = number, convened
                steps.append((convened, Meeting.Status.CONVENED, "Convocation envoyée"))
            if starts.date() <= NOW:
                steps.append((starts, Meeting.Status.HELD, "Séance tenue"))
            meeting.status = steps[-1][1]
            meeting.skip_history_when_saving = True  # its rows, one per step, are written below
            meeting.save()
            self.counts["séances"] += 1
            items = [
                AgendaItem(
                    meeting=meeting,
                    order=order,
                    kind=AgendaItem.Kind.PROJECT,
                    project=project,
                    title=project.title,
                    rapporteur="Coordination du territoire",
                    duration=15,
                )
                for order, (project, *_) in enumerate(meeting.agenda, 1)
            ]
            AgendaItem.objects.bulk_create(items)
            for item, (project, inscribed, decision, motive, decided) in zip(
                items, meeting.agenda, strict=True
            ):
                project.causes = {**getattr(project, "causes", {}), meeting: item.pk}
                self.row(item, inscribed, coordinator, "Inscription à l'ordre du jour", "+")
                if decision:
                    item.decision, item.motive, item.decided_at = decision, motive, decided
                    self.row(item, decided, coordinator, "Décision enregistrée")
            AgendaItem.objects.bulk_update(items, ["decision", "motive", "decided_at"])
            if meeting.is_held:
                rows = [
                    Attendance(meeting=meeting, member=seat, status="present") for seat in seats
                ]
                self.created(rows, starts + timedelta(minutes=2), coordinator, "Présences saisies")
                validated = at(starts.date() + timedelta(days=7), 16, 30)
                if all(item.decision for item in items) and validated.date() <= NOW:
                    for row in rows:
                        row.take_snapshot()
                    Attendance.objects.bulk_update(rows, Attendance.SNAPSHOT)
                    meeting.validated_at, meeting.validated_by = validated, coordinator
                    document = minutes_context(meeting, final=True)
                    for field, value in official_document(
                        MINUTES, document, prefix="minutes"
                    ).items():
                        setattr(meeting, field, value)
                    meeting.status = Meeting.Status.VALIDATED
                    meeting.save()
                    steps.append((validated, Meeting.Status.VALIDATED, "Compte rendu validé"))
            self.steps_history(meeting, steps, coordinator)

    def steps_history(self, meeting, steps, coordinator) -> None:
        """A row per step, with what the meeting held at that step only."""
        final = {f: getattr(meeting, f) for f in LATER}
        for index, (when, status, reason) in enumerate(steps):
            meeting.status = status
            for field, value in final.items():
                reached = {
                    "number": status != Meeting.Status.PREPARATION,
                    "convened_at": status != Meeting.Status.PREPARATION,
                }.get(field, status == Meeting.Status.VALIDATED)
                setattr(meeting, field, value if reached else LATER[field])
            self.row(meeting, when, coordinator, reason, "~" if index else "+")
        for field, value in final.items():
            setattr(meeting, field, value)

    def project_history(self, project, coordinator) -> None:
        """The project's rows: its creation, then each move with the application's reason; a
        committee's move names its meeting as it was titled then, and its item as the cause."""
        stage = project.stage
        for index, (when, step, reason, meeting) in enumerate(project.moves):
            project.stage, cause = step, ""
            if meeting is not None:
                cause = f"agendaitem:{project.causes[meeting]}"
                entry = next(e for e in meeting.agenda if e[0] is project)
                if step in (S.COTECH, S.COPIL):
                    number, meeting.number = meeting.number, None  # its title when inscribed
                    reason = f"Inscrit à l'ordre du jour du {meeting.title}"
                    meeting.number = number
                else:
                    reason = f"{meeting.title} — {Decision(entry[2]).label}"
                    reason += f" : {entry[3]}" if entry[3] else ""
            self.row(project, when, coordinator, reason, "~" if index else "+", cause)
        project.stage = stage
