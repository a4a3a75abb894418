"""The dashboard's « À faire »: what a person has to do now in a territory, line by line.

`todo_for(access, territories)` lists, for the territories given (the one the dashboard shows),
what the roles of the user there call for (DESIGN §1, §4, §5), each line linking to the panel
of the page where the work is done:

- the coordination (Right.MANAGE): held meetings waiting for their decisions or their minutes,
  convened meetings whose time has come (to open) or whose agenda changed (to notify), projects
  « Déposé » waiting for the completeness check (→ « Recevable », or back to drafting), reserve
  lifts proposed by leads, applications in draft or ready, action items and reserves past due;
- a project's lead: the open reserves of their projects (and those they own), a refused lift
  with its motive; milestones past due and not done; indicators due (INDICATOR_PERIOD);
- whoever is convened (seat-holders, and leads for their item): meetings to answer; a
  seat-holder also has the agendas of their committees' convened meetings to read and the
  draft minutes of their held meetings to review (or approve, for a chair when required);
- for information, to whoever reads them: reserves and action items past due that someone else
  handles (what the dashboard's « En retard » list showed).

Nothing here decides access: every line comes through the Access API and the querysets'
`visible_to`, so a line never names a project or a meeting its reader could not open (§8). The
national reader and the national admin hold no territorial role: nothing to do (unless they sit
on a committee), only the read-only lines. A requested document is not a notion of the model (a reserve may ask for one,
and then it is a reserve line), so no line lists documents.

Each source is one query capped at LIMIT rows (plus the prefetches of the meetings' source):
the number of queries does not grow with the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from committees.models import (
    ActionItem,
    AgendaItem,
    Approval,
    CommitteeMember,
    Invitation,
    Meeting,
    MemberRole,
)
from projects.access import Access, Right
from projects.models import (
    SIDE_STAGES,
    Application,
    Indicator,
    Milestone,
    Project,
    Reserve,
    Stage,
    Territory,
)
from tdi.formats import french_date

# Rows read per source at most: a to-do longer than that is read on the list it comes from.
LIMIT = 20
# An indicator is due when its project reports results — « En réalisation » (progress %,
# indicators) and « Réalisé » (final indicators), DESIGN §4 — and it has never been measured,
# or its last measure is older than six months: the COPIL, which meets two or three times a
# year, and the reports for the public agencies (§7) then read figures of the last semester.
INDICATOR_STAGES = (Stage.IN_PROGRESS, Stage.DONE)
INDICATOR_PERIOD = timedelta(days=183)
# No milestone is due in a project closed, stopped (rejected, redirected, withdrawn, abandoned)
# or suspended (its milestones wait with it).
MILESTONES_IDLE = [*SIDE_STAGES, Stage.CLOSED]
# An open reserve whose lift the lead proposed: the coordination's turn (Reserve.is_lift_proposed).
PROPOSED = Q(proposed_at__isnull=False, refused_at__isnull=True)


class Kind(StrEnum):
    """What a line is about; its badge on the dashboard."""

    DECISIONS = "decisions"
    MINUTES = "minutes"
    MEETING_OPEN = "meeting_open"
    AGENDA_CHANGES = "agenda_changes"
    COMPLETENESS = "completeness"
    LIFT = "lift"
    APPLICATION = "application"
    ACTION = "action"
    RESERVE = "reserve"
    MILESTONE = "milestone"
    INDICATOR = "indicator"
    REPLY = "reply"
    AGENDA = "agenda"
    DRAFT_MINUTES = "draft_minutes"

    @property
    def badge(self) -> str:
        return BADGES[self]


BADGES = {
    Kind.DECISIONS: "Séance",
    Kind.MINUTES: "Compte rendu",
    Kind.MEETING_OPEN: "Séance",
    Kind.AGENDA_CHANGES: "Ordre du jour",
    Kind.COMPLETENESS: "Projet",
    Kind.LIFT: "Réserve",
    Kind.APPLICATION: "Candidature",
    Kind.ACTION: "Action",
    Kind.RESERVE: "Réserve",
    Kind.MILESTONE: "Jalon",
    Kind.INDICATOR: "Indicateur",
    Kind.REPLY: "Convocation",
    Kind.AGENDA: "Ordre du jour",
    Kind.DRAFT_MINUTES: "Compte rendu",
}


@dataclass(frozen=True)
class Line:
    """One thing to do: what (label), on what (detail), where (url, with the panel's anchor),
    by when (due_on, and whether that date has passed)."""

    kind: Kind
    label: str
    detail: str
    url: str
    due_on: date | None = None
    due_label: str = "échéance"
    overdue: bool = False
    # Read-only: the user follows it, someone else acts (a reserve or an action past due).
    informative: bool = False

    @property
    def badge(self) -> str:
        return self.kind.badge


def todo_for(
    access, territories: Territory | int | Iterable[Territory | int], *, at: datetime | None = None
) -> list[Line]:
    """What the user (or their Access) has to do in the territories given, as of `at` (now):
    overdue lines first, then by due date, the undated last; the informative lines among them."""
    access = Access.of(access)
    if not access.is_authenticated:
        return []
    if isinstance(territories, Territory | int):
        territories = [territories]
    ids = [t.pk if isinstance(t, Territory) else t for t in territories]
    lines = _Todo(access, ids, at or timezone.now()).lines()
    return sorted(lines, key=lambda line: (not line.overdue, line.due_on or date.max))


def _capped(queryset) -> tuple[list, bool]:
    rows = list(queryset[: LIMIT + 1])
    return rows[:LIMIT], len(rows) > LIMIT


def _project_text(project: Project) -> str:
    return f"{project.reference} — {project.title}"


def _short(text: str, length: int = 90) -> str:
    return Truncator(" ".join(text.split())).chars(length)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class _Todo:
    def __init__(self, access: Access, ids: list[int], at: datetime) -> None:
        self.access, self.at = access, at
        self.user = access.user
        self.today = timezone.localdate(at)
        self.ids = ids
        self.managed = [t for t in ids if access.manages(t)]
        # The territories where the user works under a role that is not the coordination.
        self.others = [t for t in ids if t in access.roles and t not in self.managed]
        self.led = list(access.led)  # projects of territories where they hold a role

    def lines(self) -> list[Line]:
        lines = self.meetings()
        if self.managed:
            lines += self.submitted_projects() + self.reserves_to_decide() + self.applications()
        if self.led or self.others:
            lines += self.reserves_to_answer()
        if self.led:
            lines += self.milestones() + self.indicators()
        return lines + self.actions() + self.late_reserves_to_follow()

    def _more(self, kind: Kind, what: str, url: str = "") -> Line:
        return Line(kind, f"Et d'autres {what}", f"liste limitée ici à {LIMIT} lignes", url)

    # --- meetings ----------------------------------------------------------------------

    def meetings(self) -> list[Line]:
        """One query for every line about a meeting (and four prefetches): the held and
        convened meetings the user may open, of the committees of a territory they manage or
        they sit on, or to which they are convened."""
        user = self.user
        convened = Invitation.objects.filter(Q(user=user) | Q(member__user=user))
        meetings, more = _capped(
            Meeting.objects.visible_to(self.access)
            .filter(
                committee__territory_id__in=self.ids,
                status__in=(Meeting.Status.HELD, Meeting.Status.CONVENED),
            )
            .filter(
                Q(committee__territory_id__in=self.managed)
                | Q(committee_id__in=self.access.seats)
                | Q(pk__in=convened.values("meeting_id"))
            )
            .select_related("committee")
            .prefetch_related(
                Prefetch(
                    "items",
                    AgendaItem.objects.filter(decision="").order_by("order", "pk"),
                    to_attr="undecided",
                ),
                Prefetch("invitations", convened, to_attr="mine"),
                Prefetch(
                    "committee__members",
                    CommitteeMember.objects.filter(
                        user=user, is_active=True, role__in=(MemberRole.CHAIR, MemberRole.CO_CHAIR)
                    ),
                    to_attr="my_chairs",
                ),
                Prefetch(
                    "approvals", Approval.objects.filter(member__user=user), to_attr="approved"
                ),
            )
            .order_by("starts_at", "pk")
        )
        lines = []
        for meeting in meetings:
            lines += self._meeting_lines(meeting)
        if more:
            lines.append(self._more(Kind.AGENDA, "séances", reverse("committees:list")))
        return lines

    def _meeting_lines(self, meeting: Meeting) -> list[Line]:
        day = timezone.localdate(meeting.starts_at)
        url, title = meeting.get_absolute_url(), meeting.title
        # Answers are taken while the meeting is convened and has not begun (Invitation.answer).
        answering = meeting.status == Meeting.Status.CONVENED and meeting.starts_at > self.at
        lines = []
        invitation = next(iter(meeting.mine), None)
        if answering and invitation is not None and not invitation.reply:
            lines.append(
                Line(
                    Kind.REPLY,
                    "Répondre à la convocation",
                    title,
                    f"{url}#reponse",
                    day,
                    "séance le",
                )
            )
        if meeting.committee.territory_id in self.managed:
            return lines + self._managed_meeting_lines(meeting, day, url, title)
        if meeting.committee_id not in self.access.seats:
            return lines  # convened as the lead of a project on the agenda
        if answering:
            lines.append(
                Line(Kind.AGENDA, "Lire l'ordre du jour", title, f"{url}#agenda", day, "séance le")
            )
        elif meeting.status == Meeting.Status.HELD:
            approving = meeting.committee.requires_chair_approval and meeting.committee.my_chairs
            if approving and not meeting.approved:
                label, anchor = "Approuver le projet de compte rendu", "approbation"
            else:
                label, anchor = "Relire le projet de compte rendu", "h-decisions"
            lines.append(
                Line(Kind.DRAFT_MINUTES, label, title, f"{url}#{anchor}", day, "séance du")
            )
        return lines

    def _managed_meeting_lines(self, meeting: Meeting, day: date, url: str, title: str):
        """The coordination's: a held meeting's decisions, then its minutes; a convened one
        to open once its time has come, or whose agenda changes are not yet notified."""
        if meeting.status == Meeting.Status.HELD:
            if undecided := meeting.undecided:
                names = ", ".join(_short(item.title, 60) for item in undecided[:3])
                more = f" et {len(undecided) - 3} autres" if len(undecided) > 3 else ""
                count = f"{len(undecided)} point{'s' if len(undecided) > 1 else ''}"
                return [
                    Line(
                        Kind.DECISIONS,
                        "Enregistrer les décisions",
                        f"{title} — {count} sans décision ({names}{more})",
                        f"{url}#point-{undecided[0].pk}",
                        day,
                        "séance du",
                        # Decisions are recorded during the meeting: the day after, they are late.
                        overdue=day < self.today,
                    )
                ]
            return [
                Line(
                    Kind.MINUTES,
                    "Valider le compte rendu",
                    f"{title} — décisions enregistrées",
                    f"{url}#h-steps",
                    day,
                    "séance du",
                )
            ]
        if meeting.starts_at <= self.at:
            return [
                Line(
                    Kind.MEETING_OPEN,
                    "Ouvrir la séance",
                    f"{title} — présences et décisions à saisir",
                    f"{url}#h-steps",
                    day,
                    "séance le",
                    overdue=day < self.today,
                )
            ]
        if meeting.pending_changes:
            count = len(meeting.pending_changes)
            return [
                Line(
                    Kind.AGENDA_CHANGES,
                    "Prévenir les membres des modifications de l'ordre du jour",
                    f"{title} — {count} modification{'s' if count > 1 else ''} non notifiée"
                    f"{'s' if count > 1 else ''}",
                    f"{url}#agenda-changes",
                    day,
                    "séance le",
                )
            ]
        return []

    # --- the coordination's ------------------------------------------------------------

    def submitted_projects(self) -> list[Line]:
        """« Déposé »: the coordination checks completeness, then declares the project
        « Recevable » or sends it back to drafting (the moves of the stage panel)."""
        projects, more = _capped(
            Project.objects.active()
            .filter(territory_id__in=self.managed, stage=Stage.SUBMITTED)
            .select_related("lead_organisation")
            .order_by("updated_at", "pk")
        )
        lines = [
            Line(
                Kind.COMPLETENESS,
                "Vérifier la complétude du projet déposé",
                _project_text(p) + (f" ({p.lead_organisation})" if p.lead_organisation else ""),
                f"{p.get_absolute_url()}#stage-panel",
            )
            for p in projects
        ]
        if more:
            url = reverse("projects:list") + f"?etape={Stage.SUBMITTED}"
            lines.append(self._more(Kind.COMPLETENESS, "projets déposés", url))
        return lines

    def reserves_to_decide(self) -> list[Line]:
        """Lifts proposed by leads, to accept or refuse; open reserves past due, to follow up
        (the coordination may also lift them directly)."""
        reserves, more = _capped(
            Reserve.objects.open()
            .filter(project__territory_id__in=self.managed, project__is_archived=False)
            .filter(PROPOSED | Q(due_on__lt=self.today))
            .select_related("project", "proposed_by")
            .order_by("due_on", "pk")
        )
        lines = []
        for r in reserves:
            overdue = r.due_on is not None and r.due_on < self.today
            url = f"{r.project.get_absolute_url()}#reserve-{r.pk}"
            if r.is_lift_proposed:
                label = "Accepter ou refuser la levée proposée"
                detail = (
                    f"{r.project.reference} — {_short(r.text)} (proposée par "
                    f"{_name(r.proposed_by)} le {french_date(timezone.localdate(r.proposed_at))})"
                )
            else:
                label, detail = (
                    "Relancer la levée de la réserve",
                    f"{r.project.reference} — {_short(r.text)}",
                )
            lines.append(Line(Kind.LIFT, label, detail, url, r.due_on, overdue=overdue))
        if more:
            lines.append(self._more(Kind.LIFT, "réserves"))
        return lines

    def applications(self) -> list[Line]:
        applications, more = _capped(
            Application.objects.filter(
                territory_id__in=self.managed,
                status__in=(Application.Status.DRAFT, Application.Status.READY),
            )
            .select_related("call")
            .order_by("call__closes_on", "pk")
        )
        lines = []
        for a in applications:
            if a.status == Application.Status.READY:
                label, anchor = "Déposer le dossier de candidature", "h-status"
            else:
                label, anchor = "Compléter le dossier de candidature", "checklist"
            detail = f"{a.title} ({a.get_status_display().lower()}) — {a.call.title}"
            closes = a.call.closes_on
            if closes is not None and closes < self.today:
                # Not flagged late: a dossier is still filed after the closing date, with the
                # motive of the late filing (Application.submit), as the company files
                # pre-validated by the COPIL are for the AMI Rebond industriel (DESIGN §6).
                detail += f", appel clos le {french_date(closes)} : dépôt hors délai, avec motif"
                closes = None
            url = f"{a.get_absolute_url()}#{anchor}"
            lines.append(
                Line(Kind.APPLICATION, label, detail, url, closes, "clôture de l'appel le")
            )
        if more:
            lines.append(self._more(Kind.APPLICATION, "dossiers", reverse("projects:applications")))
        return lines

    # --- the lead's --------------------------------------------------------------------

    def reserves_to_answer(self) -> list[Line]:
        """Open reserves of the user's projects, and those they own where they may propose the
        lift (Access.may_propose_lift; the page shows them with the project's details), but
        a lift pending: that is the coordination's turn."""
        reserves, more = _capped(
            Reserve.objects.open()
            .filter(project__territory_id__in=self.others, project__is_archived=False)
            .filter(Q(project_id__in=self.led) | Q(owner=self.user))
            .exclude(PROPOSED)
            .select_related("project")
            .order_by("due_on", "pk")
        )
        lines = []
        for r in reserves:
            project = r.project
            if not (self.access.leads(project) or self.access.sees_details(project)):
                continue
            detail = f"{project.reference} — {_short(r.text)}"
            if r.is_lift_refused:
                label = "Répondre à la réserve : levée refusée"
                detail += f" (motif : {_short(r.decision_motive, 120)})"
            else:
                label = "Proposer la levée de la réserve"
            overdue = r.due_on is not None and r.due_on < self.today
            url = f"{project.get_absolute_url()}#reserve-{r.pk}"
            lines.append(Line(Kind.RESERVE, label, detail, url, r.due_on, overdue=overdue))
        if more:
            lines.append(self._more(Kind.RESERVE, "réserves"))
        return lines

    def _progress_url(self, project: Project, rows: str, panel: str) -> str:
        """The edit form's table when the user may edit it at this stage, else the panel."""
        if self.access.edit_mode(project):
            return f"{reverse('projects:edit', args=[project.pk])}#rows-{rows}"
        return f"{project.get_absolute_url()}#{panel}"

    def milestones(self) -> list[Line]:
        milestones, more = _capped(
            Milestone.objects.filter(
                project_id__in=self.led,
                project__territory_id__in=self.ids,
                project__is_archived=False,
                done_on__isnull=True,
                due_on__lt=self.today,
            )
            .exclude(project__stage__in=MILESTONES_IDLE)
            .select_related("project")
            .order_by("due_on", "pk")
        )
        lines = [
            Line(
                Kind.MILESTONE,
                "Indiquer où en est le jalon",
                f"{m.project.reference} — {m.title}",
                self._progress_url(m.project, "jalons", "h-milestones"),
                m.due_on,
                overdue=True,
            )
            for m in milestones
        ]
        if more:
            lines.append(self._more(Kind.MILESTONE, "jalons en retard"))
        return lines

    def indicators(self) -> list[Line]:
        stale = self.today - INDICATOR_PERIOD
        indicators, more = _capped(
            Indicator.objects.filter(
                project_id__in=self.led,
                project__territory_id__in=self.ids,
                project__is_archived=False,
                project__stage__in=INDICATOR_STAGES,
            )
            .filter(
                Q(achieved__isnull=True) | Q(measured_on__isnull=True) | Q(measured_on__lt=stale)
            )
            .select_related("project")
            .order_by("measured_on", "pk")
        )
        lines = []
        for i in indicators:
            measured = i.measured_on if i.achieved is not None else None
            if measured:
                due = measured + INDICATOR_PERIOD
                detail = f"dernière mesure le {french_date(measured)}"
            else:
                due, detail = None, "jamais mesuré"
            lines.append(
                Line(
                    Kind.INDICATOR,
                    "Mesurer l'indicateur",
                    f"{i.project.reference} — {i.get_kind_display()} : {detail}",
                    self._progress_url(i.project, "indicateurs", "h-indicators"),
                    due,
                    overdue=due is not None and due < self.today,
                )
            )
        if more:
            lines.append(self._more(Kind.INDICATOR, "indicateurs"))
        return lines

    # --- past due: the coordination's to follow up, the others' for information --------

    def actions(self) -> list[Line]:
        """Action items past due of the meetings whose debates the user reads (the relevé de
        décisions): the coordination follows them up; the others read them."""
        readable = Meeting.objects.debates_readable_by(self.access).filter(
            committee__territory_id__in=self.ids
        )
        actions, more = _capped(
            ActionItem.objects.filter(
                meeting__in=readable, done_on__isnull=True, due_on__lt=self.today
            )
            .select_related("meeting__committee")
            .order_by("due_on", "pk")
        )
        lines = []
        for a in actions:
            follows = a.meeting.committee.territory_id in self.managed
            who = f"{a.owner}, {a.meeting.title}"
            lines.append(
                Line(
                    Kind.ACTION,
                    "Relancer l'action" if follows else _short(a.what),
                    f"{_short(a.what)} — {who}" if follows else who,
                    f"{a.meeting.get_absolute_url()}#actions",
                    a.due_on,
                    overdue=True,
                    informative=not follows,
                )
            )
        if more:
            lines.append(self._more(Kind.ACTION, "actions en retard"))
        return lines

    def late_reserves_to_follow(self) -> list[Line]:
        """Reserves past due of the projects whose details the user reads, that neither the
        coordination's lines nor the lead's already list: for information."""
        readable = Project.objects.visible_to(self.access).filter(
            Q(pk__in=self.led) | self.access.q(Right.DETAILS)
        )
        reserves, more = _capped(
            Reserve.objects.open()
            .filter(
                project__in=readable,
                project__territory_id__in=[t for t in self.ids if t not in self.managed],
                project__is_archived=False,
                due_on__lt=self.today,
            )
            # Those of reserves_to_answer: theirs, with no lift pending.
            .exclude((Q(project_id__in=self.led) | Q(owner=self.user)) & ~PROPOSED)
            .select_related("project")
            .order_by("due_on", "pk")
        )
        lines = [
            Line(
                Kind.RESERVE,
                _short(r.text),
                _project_text(r.project)
                + (
                    " — levée proposée, en attente de la coordination" if r.is_lift_proposed else ""
                ),
                f"{r.project.get_absolute_url()}#reserve-{r.pk}",
                r.due_on,
                overdue=True,
                informative=True,
            )
            for r in reserves
        ]
        if more:
            lines.append(self._more(Kind.RESERVE, "réserves en retard"))
        return lines
