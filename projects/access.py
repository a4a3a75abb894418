"""Who may see and do what (DESIGN §8): the matrix as data, and one object that answers for a user.

Roles are held per territory, so every question names the territory of the object being read
or changed, never the territory the session happens to work in. Two national roles sit outside
territories: the national reader reads every territory as a partner does, and the national admin
reads the same way and manages territories and accounts in /admin/. Being a Django superuser is
the technical side of the national admin; nothing outside this module looks at it.

The middleware builds one `Access` per request (`request.access`); models, querysets, views,
report scopes, exports, PDFs and templates ask it. `Access.of(user)` gives the same object for
code that only has a user (model methods, background tasks). This module imports no model: it
reads the user's own relations and the objects it is asked about, so that every app may use it.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    """A role held in one territory (Membership)."""

    COORDINATOR = "coordinator", "Coordination (chef de projet TI)"
    LEAD = "lead", "Porteur de projet"
    MEMBER = "member", "Membre de comité"
    PARTNER = "partner", "Partenaire / financeur"


class NationalRole(models.TextChoices):
    """A role held outside territories (NationalMembership)."""

    READER = "reader", "Lecture nationale (ANCT, DGE)"
    ADMIN = "admin", "Administration nationale"


class Actor(StrEnum):
    """Who makes a stage move (DESIGN §4): the project's lead (or the coordination), only the
    coordination, or only a committee (agenda, decision, reserves lifted)."""

    LEAD = "lead"
    COORDINATOR = "coordinator"
    COMMITTEE = "committee"


class Right(StrEnum):
    """What a role lets its holder do on the objects of a territory (the rows of §8)."""

    CREATE = "create"  # create projects
    CARDS = "cards"  # project cards, from `submitted` on
    DRAFTS = "drafts"  # every project in `idea` / `drafting`
    DETAILS = "details"  # funding plan, documents, indicators, milestones, history, sheet PDF
    MANAGE = "manage"  # edit, every allowed move, reserve lifts, committees, meetings, applications
    MEETINGS = "meetings"  # every meeting: agenda, agenda PDF, .ics
    DEBATES = "debates"  # debates, decisions and motives before the minutes are validated
    MINUTES = "minutes"  # validated minutes
    APPLICATIONS = "applications"  # every application, drafts included
    SUBMITTED_APPLICATIONS = "submitted_applications"
    REPORTS = "reports"  # reports and exports (drafts only where DRAFTS or own projects)


R = Right
# A filter every row passes (an empty Q() would vanish when or-ed with another).
EVERYTHING = Q(pk__isnull=False)
NATIONAL = "national"  # the national reader's and admin's standing in every territory
READER = frozenset({R.CARDS, R.DETAILS, R.MEETINGS, R.MINUTES, R.SUBMITTED_APPLICATIONS, R.REPORTS})
MATRIX: dict[str, frozenset[Right]] = {
    Role.COORDINATOR: frozenset(Right),
    Role.LEAD: frozenset({R.CREATE, R.CARDS, R.REPORTS}),
    Role.MEMBER: frozenset({R.CARDS, R.DETAILS, R.MEETINGS, R.MINUTES, R.APPLICATIONS, R.REPORTS}),
    Role.PARTNER: READER,
    NATIONAL: READER,
}
# What a lead holds on the projects they lead, on top of their role: the project being written
# and its details, the meetings examining it, its items of validated minutes, the applications
# including it; editing and moving it within the limits the workflow sets (Project.lead_edit_mode,
# Actor.LEAD moves); proposing the lift of its reserves.
OWN_PROJECT = frozenset({R.DRAFTS, R.DETAILS})
# What a seat in a committee gives on that committee's meetings, whatever the territorial role.
SEAT = frozenset({R.MEETINGS, R.DEBATES, R.MINUTES})

FORBIDDEN = {
    R.DETAILS: "Le plan de financement, les documents et l'historique de ce projet sont réservés "
    "à son porteur, à la coordination et aux membres et partenaires du territoire.",
    R.MANAGE: "Seule la coordination du territoire peut effectuer cette action.",
    R.DEBATES: "Les débats et décisions de cette séance ne sont consultables qu'une fois le "
    "compte rendu validé.",
    R.MINUTES: "Le compte rendu complet est réservé aux membres, partenaires et à la "
    "coordination ; vos points figurent sur la page de la séance.",
}


# Why a reserve's lift is refused (DESIGN §5, §8 "lift a reserve": the lead proposes with a
# proof, the coordination accepts or refuses).
LIFT_FORBIDDEN = {
    "propose": "Seuls le porteur du projet et le responsable de la réserve peuvent proposer "
    "la levée d'une réserve.",
    "decide": "Seule la coordination du territoire peut accepter ou refuser la levée d'une "
    "réserve.",
    "pending": "Une levée de cette réserve est déjà proposée : elle attend la décision de la "
    "coordination.",
    "lifted": "Cette réserve est déjà levée.",
    "archived": "Ce projet est archivé : ses réserves ne peuvent plus être levées.",
}


class Access:
    """What one user may see and do, asked object by object (DESIGN §8).

    Everything is read lazily and once: the roles by territory, the national role, the seats
    and the projects led.
    """

    def __init__(self, user) -> None:
        self.user = user

    @classmethod
    def of(cls, user_or_access) -> Access:
        """The access object given, the one of the request's user (set by the middleware), or a
        new one: a user object kept longer than a request (a command, a test) may gain roles or
        projects meanwhile, so nothing is cached on it elsewhere."""
        if isinstance(user_or_access, Access):
            return user_or_access
        if user_or_access is not None and not hasattr(user_or_access, "is_authenticated"):
            # e.g. a template that forgot to pass `access` (an undefined variable renders "").
            raise TypeError(f"Access.of() expects a user or an Access, not {user_or_access!r}.")
        return getattr(user_or_access, "_tdi_access", None) or cls(user_or_access)

    def attach(self) -> Access:
        """Keep this object on its user for the request, so that Access.of(request.user) in
        model methods answers from the same reads."""
        if self.is_authenticated:
            self.user._tdi_access = self
        return self

    # --- who the user is --------------------------------------------------------------

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    @cached_property
    def roles(self) -> dict[int, str]:
        """Territory id → role (one query)."""
        if not self.is_authenticated:
            return {}
        return dict(self.user.memberships.values_list("territory_id", "role"))

    @cached_property
    def national(self) -> str | None:
        """The national role, if any; a superuser is the national admin."""
        if not self.is_authenticated:
            return None
        if self.user.is_superuser:
            return NationalRole.ADMIN
        try:
            return self.user.national_membership.role
        except ObjectDoesNotExist:
            return None

    @cached_property
    def seats(self) -> frozenset[int]:
        """The committees the user sits on (active seats)."""
        if not self.is_authenticated:
            return frozenset()
        return frozenset(
            self.user.committee_seats.filter(is_active=True).values_list("committee_id", flat=True)
        )

    @cached_property
    def led(self) -> frozenset[int]:
        """The projects the user leads, in territories where they hold a role."""
        if not self.roles:
            return frozenset()
        return frozenset(
            self.user.led_projects.filter(territory_id__in=list(self.roles)).values_list(
                "pk", flat=True
            )
        )

    @property
    def is_national_admin(self) -> bool:
        return self.national == NationalRole.ADMIN

    def role_label(self, territory_id: int | None) -> str:
        """The business role to show in the header for the territory the user works in."""
        if territory_id in self.roles:
            return Role(self.roles[territory_id]).label
        return NationalRole(self.national).label if self.national else ""

    # --- the matrix -------------------------------------------------------------------

    def has(self, right: Right, territory_id: int | None) -> bool:
        """Whether a role of the user gives `right` on the objects of a territory."""
        if self.national and right in MATRIX[NATIONAL]:
            return True
        role = self.roles.get(territory_id)
        return role is not None and right in MATRIX[role]

    def q(self, right: Right, field: str = "territory_id") -> Q:
        """The objects whose territory (at `field`) the user holds `right` on, as a filter."""
        if self.national and right in MATRIX[NATIONAL]:
            return EVERYTHING
        ids = [t for t, role in self.roles.items() if right in MATRIX[role]]
        return Q(**{f"{field}__in": ids})

    def belongs(self, territory_id: int | None) -> bool:
        """Whether the user works in the territory (a role there, or a national role)."""
        return bool(self.national) or territory_id in self.roles

    def q_territories(self, field: str = "territory_id") -> Q:
        """The objects of the territories the user works in."""
        if self.national:
            return EVERYTHING
        return Q(**{f"{field}__in": list(self.roles)})

    def manages(self, territory_id: int | None) -> bool:
        return self.has(R.MANAGE, territory_id)

    def creates_projects(self, territory_id: int | None) -> bool:
        return self.has(R.CREATE, territory_id)

    def sees_drafts(self, territory_id: int | None) -> bool:
        """Every project being written (idea, drafting) of the territory."""
        return self.has(R.DRAFTS, territory_id)

    def reports_on(self, territory_id: int | None) -> bool:
        return self.has(R.REPORTS, territory_id)

    @property
    def reports_nationally(self) -> bool:
        return bool(self.national)

    # --- projects ---------------------------------------------------------------------
    # `project` is anything with pk, territory_id and is_private: a Project or a report row.

    def leads(self, project) -> bool:
        return project.pk in self.led

    def sees(self, project) -> bool:
        """The project card (and, for its lead and the coordination, the project being written)."""
        if project.is_private:
            return self.sees_drafts(project.territory_id) or self.leads(project)
        return self.has(R.CARDS, project.territory_id) or self.leads(project)

    def sees_details(self, project) -> bool:
        """Funding plan, documents, indicators, milestones, reserves, history, sheet PDF."""
        return self.sees(project) and (
            self.has(R.DETAILS, project.territory_id) or self.leads(project)
        )

    def edit_mode(self, project) -> str | None:
        """'full' (every field), 'progress' (progress fields only) or None."""
        if project.is_archived:
            return None
        if self.manages(project.territory_id):
            return "full"
        if self.leads(project):
            return project.lead_edit_mode
        return None

    def why_not_edit(self, project) -> str:
        """Why the user may not edit the project, its rows and documents ("" when they may)."""
        if project.is_archived:
            return "Ce projet est archivé : il ne se modifie plus."
        if self.edit_mode(project) is not None:
            return ""
        if self.leads(project):
            return (
                f"À l'étape « {project.get_stage_display()} », le porteur ne modifie pas le "
                "projet : la coordination du territoire s'en charge."
            )
        return "Seuls les porteurs de ce projet et la coordination du territoire le modifient."

    def may_move(self, project, move) -> bool:
        """Whether the user may make this move (a Move of the workflow) on the project."""
        if move is None or move.actor == Actor.COMMITTEE or project.is_archived:
            return False
        if self.manages(project.territory_id):
            return True
        return move.actor == Actor.LEAD and self.leads(project)

    def may_propose_lift(self, reserve) -> bool:
        """The project's lead, or the reserve's owner who works in its territory, proposes the
        lift of an open reserve with no proposal pending (the coordination lifts directly)."""
        return not self.why_not_propose_lift(reserve)

    def why_not_propose_lift(self, reserve) -> str:
        """Why the user may not propose the lift of this reserve ("" when they may)."""
        project = reserve.project
        if not self.belongs(project.territory_id) or self.manages(project.territory_id):
            return LIFT_FORBIDDEN["propose"]
        owner = self.is_authenticated and reserve.owner_id == self.user.pk
        if not ((owner and project.territory_id in self.roles) or self.leads(project)):
            return LIFT_FORBIDDEN["propose"]
        return self._lift_state_problem(reserve) or (
            LIFT_FORBIDDEN["pending"] if reserve.is_lift_proposed else ""
        )

    def may_decide_lift(self, reserve) -> bool:
        """The coordination of the territory accepts or refuses a proposed lift, or lifts an
        open reserve directly with its own proof."""
        return not self.why_not_decide_lift(reserve)

    def why_not_decide_lift(self, reserve) -> str:
        """Why the user may not decide on the lift of this reserve ("" when they may)."""
        if not self.manages(reserve.project.territory_id):
            return LIFT_FORBIDDEN["decide"]
        return self._lift_state_problem(reserve)

    def _lift_state_problem(self, reserve) -> str:
        if reserve.project.is_archived:
            return LIFT_FORBIDDEN["archived"]
        return LIFT_FORBIDDEN["lifted"] if reserve.is_lifted else ""

    # --- committees -------------------------------------------------------------------
    # `meeting` is a Meeting with its committee; `item` an AgendaItem with its meeting.

    def sits_on(self, committee_id: int) -> bool:
        return committee_id in self.seats

    def reads_debates(self, meeting) -> bool:
        """Every item's debates, decisions and motives: before validation, the coordination and
        the seat-holders; once validated, whoever reads the minutes."""
        if meeting.is_locked:
            return self.reads_minutes(meeting)
        return self.has(R.DEBATES, meeting.committee.territory_id) or self.sits_on(
            meeting.committee_id
        )

    def reads_minutes(self, meeting) -> bool:
        """The validated minutes as a whole (their PDF)."""
        return meeting.is_locked and (
            self.has(R.MINUTES, meeting.committee.territory_id)
            or self.sits_on(meeting.committee_id)
        )

    def reads_minutes_pdf(self, meeting) -> bool:
        """The minutes as a document: the validated PDF, or the draft (PROJET) of a held meeting
        for those who read its debates."""
        if meeting.is_locked:
            return self.reads_minutes(meeting)
        return meeting.has_draft_minutes and self.reads_debates(meeting)

    def reads_decision(self, item, meeting=None) -> bool:
        """One item's decision, motive and reserves: with the debates, or the lead's own item
        once the minutes are validated."""
        meeting = meeting or item.meeting
        if self.reads_debates(meeting):
            return True
        return (
            meeting.is_locked
            and item.project_id is not None
            and item.project_id in self.led
            and meeting.committee.territory_id in self.roles
        )

    def why_not(self, right: Right) -> str:
        """The French reason given with a 403 for a right the user lacks."""
        return FORBIDDEN.get(right, "Vous n'avez pas le droit d'effectuer cette action.")
