"""The dashboard's « À faire » (tdi.reports.todo): for each role, what appears, what does not, where each
line leads, and a number of queries that does not grow with the data.

One territory holds a little of everything (`scene`); each test states, from the rules of
tdi/reports/todo.py and DESIGN §8, which lines each person gets. Lines are compared as (kind, url)
pairs: the url names the object and the panel where the work is done.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from committees.models import ActionItem, AgendaItem, Attendance, Decision, Meeting, ReplyStatus
from projects.access import Access, NationalRole, Role
from projects.models import (
    Application,
    Call,
    Indicator,
    NationalMembership,
    Project,
    Reserve,
    Stage,
)
from tdi.reports.todo import INDICATOR_PERIOD, LIMIT, Kind, todo_for

from ...factories import (
    IndicatorFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)
from ...test_audit import World
from ...utils import held_tasks, text

pytestmark = pytest.mark.django_db
User = get_user_model()

K = Kind


def pairs(user, territory, **kwargs) -> set[tuple[str, str]]:
    """The to-do of a user as (kind, url) pairs, the informative lines marked « info: »."""
    return {
        (f"info:{line.kind}" if line.informative else str(line.kind), line.url)
        for line in todo_for(Access(user), territory, **kwargs)
    }


def project_url(project: Project, anchor: str) -> str:
    return f"/projets/{project.pk}/#{anchor}"


def meeting_url(meeting: Meeting, anchor: str) -> str:
    return f"/seances/{meeting.pk}/#{anchor}"


def reserve(project: Project, text: str, *, owner, days: int | None = None) -> Reserve:
    """An open reserve of the project, due in `days` days (negative: past due)."""
    due = timezone.localdate() + timedelta(days=days) if days is not None else None
    return Reserve.objects.create(project=project, text=text, owner=owner, due_on=due)


@pytest.fixture
def national():
    user = UserFactory(username="national")
    NationalMembership.objects.create(user=user, role=NationalRole.READER)
    return user


@pytest.fixture
def scene(territory, other_territory, users, project, copil):  # noqa: F811
    # The e-mails and the minutes' PDF wait in a queue nobody reads: the to-do does not need
    # them, and the scene builds in a third of the time.
    with held_tasks():
        return build_scene(territory, other_territory, users, project, copil)


def build_scene(territory, other_territory, users, project, copil):  # noqa: F811
    """The territory of tests/conftest.py with, around its submitted `project` (led by `lead`):
    reserves in every state, a project under way with milestones and indicators, meetings held,
    convened, started and validated, applications and action items; and a submitted project of
    the other territory."""
    w = World(territory, users, project)
    by, lead, other_lead = w.coordinator, users["lead"], users["other_lead"]
    today = timezone.localdate()
    s = SimpleNamespace(w=w, today=today)

    # Projects waiting for the completeness check: `project`; an archived one waits no more.
    archived = ProjectFactory(territory=territory, title="Dossier abandonné en route")
    archived.archive(by=by)
    s.foreign = ProjectFactory(territory=other_territory, title="Projet meusien déposé")

    # Reserves of a project under reserves, led by `lead`.
    s.forge = w.new_project(Stage.RESERVES, "Académie de la forge", rows=False)
    s.open = reserve(s.forge, "Joindre la convention de partenariat", owner=lead, days=30)
    s.late = reserve(s.forge, "Joindre le calendrier des sessions", owner=lead, days=-5)
    s.proposed = reserve(s.forge, "Fournir le permis de construire", owner=lead, days=10)
    s.proposed.propose_lift(by=lead, proof="Permis accordé le 3 mars.")
    s.refused = reserve(s.forge, "Fournir le plan de formation", owner=lead, days=20)
    s.refused.propose_lift(by=lead, proof="Plan en cours.")
    s.refused.refuse_lift(by=by, motive="Le plan n'est pas signé.")
    s.lifted = reserve(s.forge, "Fournir l'étude de marché", owner=lead, days=-30)
    s.lifted.lift(by=by, proof="Étude reçue.")
    # A reserve past due on a project being written again: only its lead and the coordination
    # may open that project.
    s.drafting = w.new_project(Stage.DRAFTING, "Robotisation de l'estampage", rows=False)
    s.private = reserve(s.drafting, "Compléter le plan de financement", owner=lead, days=-2)

    # A project under way, led by `lead`: milestones and indicators.
    s.works = w.new_project(Stage.IN_PROGRESS, "Récupération de chaleur fatale", rows=False)
    s.milestone = MilestoneFactory(project=s.works, title="Pose", due_on=today - timedelta(10))
    MilestoneFactory(project=s.works, title="Commande", due_on=today - timedelta(40), done_on=today)
    MilestoneFactory(project=s.works, title="Mise en service", due_on=today + timedelta(60))
    s.unmeasured = IndicatorFactory(project=s.works, kind=Indicator.Kind.JOBS_CREATED)
    s.stale = IndicatorFactory(
        project=s.works,
        kind=Indicator.Kind.JOBS_KEPT,
        achieved=Decimal("40"),
        measured_on=today - INDICATOR_PERIOD - timedelta(days=1),
    )
    IndicatorFactory(
        project=s.works,
        kind=Indicator.Kind.CO2_AVOIDED,
        achieved=Decimal("300"),
        measured_on=today - timedelta(days=30),
    )
    # Not due: a suspended project's milestones, indicators before the works start.
    suspended = w.new_project(Stage.SUSPENDED, "Ateliers partagés", rows=False)
    MilestoneFactory(project=suspended, due_on=today - timedelta(days=10))
    financing = w.new_project(Stage.FINANCING, "Recyclage des composites", rows=False)
    IndicatorFactory(project=financing)

    # Another lead's project: their milestone and their reserve.
    s.theirs = ProjectFactory(
        territory=territory, title="Station hydrogène", stage=Stage.IN_PROGRESS
    )
    s.theirs.lead_users.add(other_lead)
    s.their_milestone = MilestoneFactory(project=s.theirs, due_on=today - timedelta(days=3))
    s.their_late = reserve(s.theirs, "Fournir l'accord de la Région", owner=other_lead, days=-1)

    # Meetings (each World meeting is a COTECH of its own, seats: coordinator chair, member
    # and partner; its first item examines a project led by `lead`, who is convened too).
    s.held = w.meeting(Meeting.Status.HELD, free_items=1, days=-2)  # decisions missing
    s.decided = w.meeting(Meeting.Status.HELD, days=-1)
    w.first_item(s.decided).record_decision(Decision.FAVORABLE, by=by)
    s.convened = w.meeting(Meeting.Status.CONVENED, days=5)
    s.convened.invitations.get(member__user=users["partner"]).answer(ReplyStatus.EXCUSED)
    s.changed = w.meeting(Meeting.Status.CONVENED, days=8)
    s.changed.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point ajouté", by=by)
    s.started = w.meeting(Meeting.Status.CONVENED, days=-1)  # not opened in the application
    w.meeting(Meeting.Status.PREPARATION, days=20)  # nothing to do before the convocation
    cancelled = w.meeting(Meeting.Status.CONVENED, days=12)
    cancelled.cancel(by=by, reason="Quorum impossible à réunir.")
    # A COPIL whose minutes the chairs approve: coordinator chair, member co-chair.
    copil.requires_chair_approval = True
    copil.save()
    s.copil = Meeting.objects.create(committee=copil, starts_at=timezone.now() - timedelta(days=3))
    s.copil.add_item(kind=AgendaItem.Kind.INFORMATION, title="Point sur l'AMI", by=by)
    s.copil.convene(by=by)
    s.copil.hold(by=by, at=s.copil.starts_at)
    # Validated minutes with an action past due, and the held meeting's actions.
    s.validated = w.meeting(Meeting.Status.HELD, days=-30)
    ActionItem.objects.create(
        meeting=s.validated, what="Relancer la Région", owner="CM", due_on=today - timedelta(9)
    )
    for seat in s.validated.committee.members.all():
        Attendance.objects.create(meeting=s.validated, member=seat, status="present")
    w.first_item(s.validated).record_decision(Decision.FAVORABLE, by=by)
    s.validated.validate_minutes(by=by, at=s.validated.ends_at)
    ActionItem.objects.create(
        meeting=s.held, what="Transmettre le plan", owner="Porteur", due_on=today - timedelta(3)
    )
    ActionItem.objects.create(
        meeting=s.held, what="Action faite", owner="CM", due_on=today - timedelta(3), done_on=today
    )
    ActionItem.objects.create(
        meeting=s.held, what="Action à venir", owner="CM", due_on=today + timedelta(3)
    )

    # Applications: one ready whose call has closed, one in draft for an open call.
    s.ready = w.application(Application.Status.READY)
    s.ready.call.closes_on = date(2023, 3, 17)
    s.ready.call.save()
    call = Call.objects.create(
        title="Appel à projets Fonds vert",
        funder="Préfecture",
        description="Recyclage des friches.",
        closes_on=today + timedelta(days=20),
    )
    s.draft = Application.objects.create(
        call=call, territory=territory, applicant=OrganisationFactory(), title="Friches 2027"
    )
    return s


def coordinator_pairs(s) -> set:
    return {
        (K.COMPLETENESS, project_url(s.w.project, "stage-panel")),
        (K.LIFT, project_url(s.forge, f"reserve-{s.proposed.pk}")),  # to accept or refuse
        (K.LIFT, project_url(s.forge, f"reserve-{s.late.pk}")),  # past due: follow up
        (K.LIFT, project_url(s.drafting, f"reserve-{s.private.pk}")),
        (K.LIFT, project_url(s.theirs, f"reserve-{s.their_late.pk}")),
        (K.DECISIONS, meeting_url(s.held, f"point-{s.w.first_item(s.held).pk}")),
        (K.DECISIONS, meeting_url(s.copil, f"point-{s.w.first_item(s.copil).pk}")),
        (K.MINUTES, meeting_url(s.decided, "h-steps")),
        (K.MEETING_OPEN, meeting_url(s.started, "h-steps")),
        (K.AGENDA_CHANGES, meeting_url(s.changed, "agenda-changes")),
        # Convened as the chair of the COTECHs, with no answer yet.
        (K.REPLY, meeting_url(s.convened, "reponse")),
        (K.REPLY, meeting_url(s.changed, "reponse")),
        (K.ACTION, meeting_url(s.held, "actions")),
        (K.ACTION, meeting_url(s.validated, "actions")),
        (K.APPLICATION, f"/candidatures/{s.ready.pk}/#h-status"),
        (K.APPLICATION, f"/candidatures/{s.draft.pk}/#checklist"),
    }


def test_coordinator(scene, users, territory):
    assert pairs(users["coordinator"], territory) == coordinator_pairs(scene)


def test_coordinator_lines_say_what_and_when(scene, users, territory):
    lines = {(line.kind, line.url): line for line in todo_for(users["coordinator"], territory)}
    held = lines[K.DECISIONS, meeting_url(scene.held, f"point-{scene.w.first_item(scene.held).pk}")]
    # Two items without outcome (the project examined and the information item), held two days
    # ago: the decisions are late.
    assert held.label == "Enregistrer les décisions"
    assert "2 points sans décision" in held.detail and "Information 1" in held.detail
    assert held.overdue and held.due_on == scene.held.day
    submitted = lines[K.COMPLETENESS, project_url(scene.w.project, "stage-panel")]
    assert scene.w.project.reference in submitted.detail and not submitted.overdue
    proposed = lines[K.LIFT, project_url(scene.forge, f"reserve-{scene.proposed.pk}")]
    assert proposed.label == "Accepter ou refuser la levée proposée" and not proposed.overdue
    late = lines[K.LIFT, project_url(scene.forge, f"reserve-{scene.late.pk}")]
    assert late.overdue and late.due_on == scene.late.due_on
    draft = lines[K.APPLICATION, f"/candidatures/{scene.draft.pk}/#checklist"]
    assert draft.due_on == scene.draft.call.closes_on and not draft.overdue
    # A closed call: said, not flagged late (a late filing is made with its motive).
    ready = lines[K.APPLICATION, f"/candidatures/{scene.ready.pk}/#h-status"]
    assert ready.due_on is None and not ready.overdue
    assert "appel clos le 17 mars 2023 : dépôt hors délai, avec motif" in ready.detail
    assert ready.label == "Déposer le dossier de candidature"


def test_lead(scene, users, territory):
    s = scene
    assert pairs(users["lead"], territory) == {
        # Their reserves with no lift pending, the refused one included; not the lifted one,
        # nor the one waiting for the coordination.
        (K.RESERVE, project_url(s.forge, f"reserve-{s.open.pk}")),
        (K.RESERVE, project_url(s.forge, f"reserve-{s.late.pk}")),
        (K.RESERVE, project_url(s.forge, f"reserve-{s.refused.pk}")),
        (K.RESERVE, project_url(s.drafting, f"reserve-{s.private.pk}")),
        # Progress of the project under way: edited at this stage (progress fields).
        (K.MILESTONE, f"/projets/{s.works.pk}/modifier/#rows-jalons"),
        (K.INDICATOR, f"/projets/{s.works.pk}/modifier/#rows-indicateurs"),  # both indicators
        # Convened for their project's item, not answered yet.
        (K.REPLY, meeting_url(s.convened, "reponse")),
        (K.REPLY, meeting_url(s.changed, "reponse")),
    }
    lines = todo_for(users["lead"], territory)
    refused = next(line for line in lines if line.url.endswith(f"reserve-{s.refused.pk}"))
    assert refused.label == "Répondre à la réserve : levée refusée"
    assert "Le plan n'est pas signé." in refused.detail
    indicators = [line for line in lines if line.kind == K.INDICATOR]
    assert len(indicators) == 2
    stale = next(line for line in indicators if "dernière mesure" in line.detail)
    assert stale.overdue and stale.due_on == s.stale.measured_on + INDICATOR_PERIOD
    never = next(line for line in indicators if "jamais mesuré" in line.detail)
    assert never.due_on is None and not never.overdue


def test_a_lead_sees_nothing_of_another_leads_projects(scene, users, territory):
    s = scene
    assert pairs(users["other_lead"], territory) == {
        (K.RESERVE, project_url(s.theirs, f"reserve-{s.their_late.pk}")),
        (K.MILESTONE, f"/projets/{s.theirs.pk}/modifier/#rows-jalons"),
    }


def test_a_lead_with_nothing_to_do(scene, territory):
    newcomer = MembershipFactory(territory=territory, role=Role.LEAD).user
    assert todo_for(newcomer, territory) == []


def seat_pairs(s, *, answered: bool) -> set:
    """A seat-holder of every COTECH of the scene: agendas to read, answers not given, draft
    minutes to review; reserves and actions past due, for information (not the private
    project's reserve, nor the actions of meetings they do not sit on)."""
    return {
        (K.AGENDA, meeting_url(s.convened, "agenda")),
        (K.AGENDA, meeting_url(s.changed, "agenda")),
        (K.REPLY, meeting_url(s.changed, "reponse")),
        *(set() if answered else {(K.REPLY, meeting_url(s.convened, "reponse"))}),
        (K.DRAFT_MINUTES, meeting_url(s.held, "h-decisions")),
        (K.DRAFT_MINUTES, meeting_url(s.decided, "h-decisions")),
        ("info:action", meeting_url(s.held, "actions")),
        ("info:action", meeting_url(s.validated, "actions")),
        ("info:reserve", project_url(s.forge, f"reserve-{s.late.pk}")),
        ("info:reserve", project_url(s.theirs, f"reserve-{s.their_late.pk}")),
    }


def test_member(scene, users, territory):
    # Co-chair of the COPIL, which requires the chairs' approval of the draft.
    expected = seat_pairs(scene, answered=False) | {
        (K.DRAFT_MINUTES, meeting_url(scene.copil, "approbation"))
    }
    assert pairs(users["member"], territory) == expected


def test_a_chair_who_approved_reviews_the_draft(scene, users, territory):
    scene.copil.approve_draft(by=users["member"])
    assert (K.DRAFT_MINUTES, meeting_url(scene.copil, "h-decisions")) in pairs(
        users["member"], territory
    )


def test_answering_the_convocation_takes_the_line_away(scene, users, territory):
    invitation = scene.convened.invitations.get(member__user=users["member"])
    invitation.answer(ReplyStatus.PRESENT, by=users["member"])
    assert (K.REPLY, meeting_url(scene.convened, "reponse")) not in pairs(
        users["member"], territory
    )
    # Once the meeting has begun, no answer is taken: no line either.
    later = scene.changed.starts_at + timedelta(minutes=1)
    assert not [
        line for line in todo_for(users["member"], territory, at=later) if line.kind == K.REPLY
    ]


def test_partner(scene, users, territory):
    # Seated on the COTECHs (not on the COPIL); answered « excusé·e » to one convocation.
    assert pairs(users["partner"], territory) == seat_pairs(scene, answered=True)


def test_partner_without_a_seat_and_national_reader_only_read(scene, territory, national):
    """Nothing to do: reserves past due of the projects they read, and the actions of the
    validated minutes, for information."""
    s = scene
    expected = {
        ("info:action", meeting_url(s.validated, "actions")),
        ("info:reserve", project_url(s.forge, f"reserve-{s.late.pk}")),
        ("info:reserve", project_url(s.theirs, f"reserve-{s.their_late.pk}")),
    }
    partner = MembershipFactory(territory=territory, role=Role.PARTNER).user
    assert pairs(partner, territory) == expected
    assert pairs(national, territory) == expected


def test_admin_is_the_coordinator_of_nothing(scene, users, territory, national):
    assert pairs(users["admin"], territory) == pairs(national, territory)
    assert not [line for line in todo_for(users["admin"], territory) if not line.informative]


def test_another_territory_sees_nothing_of_this_one(scene, users, territory, other_territory):
    stranger = users["stranger"]  # coordinator of the other territory
    assert todo_for(stranger, territory) == []
    assert pairs(stranger, other_territory) == {
        (K.COMPLETENESS, project_url(scene.foreign, "stage-panel"))
    }
    assert todo_for(users["coordinator"], other_territory) == []
    assert todo_for(users["lead"], other_territory) == []


def test_roles_in_two_territories_each_in_its_own(scene, users, territory, other_territory):
    """A coordinator of the other territory who leads a project here: here the lead's lines,
    there the coordination's; never one territory's lines in the other."""
    double = MembershipFactory(territory=other_territory, role=Role.COORDINATOR).user
    MembershipFactory(user=double, territory=territory, role=Role.LEAD)
    scene.forge.lead_users.add(double)
    here = pairs(double, territory)
    assert here == {
        (K.RESERVE, project_url(scene.forge, f"reserve-{r.pk}"))
        for r in (scene.open, scene.late, scene.refused)
    }
    assert pairs(double, other_territory) == {
        (K.COMPLETENESS, project_url(scene.foreign, "stage-panel"))
    }
    # Both at once (a national-style scope) is the union.
    assert pairs(double, [territory, other_territory]) == here | pairs(double, other_territory)


def test_order_overdue_first_then_by_date(scene, users, territory):
    lines = todo_for(users["coordinator"], territory)
    overdue = [line for line in lines if line.overdue]
    rest = [line for line in lines if not line.overdue]
    assert lines == overdue + rest
    assert [line.due_on for line in overdue] == sorted(line.due_on for line in overdue)
    dated = [line.due_on for line in rest if line.due_on]
    assert [line.due_on for line in rest[: len(dated)]] == sorted(dated)
    assert all(line.due_on is None for line in rest[len(dated) :])


# --- the links: every line leads to a page its reader opens, to the panel named ----------


def test_every_link_opens_on_its_panel(scene, users, territory, national, client):
    users = {**users, "national": national}
    for name in ["coordinator", "lead", "other_lead", "member", "partner", "national"]:
        lines = todo_for(users[name], territory)
        assert lines, name
        client.force_login(users[name])
        for line in lines:
            path, anchor = line.url.split("#")
            response = client.get(path)
            assert response.status_code == 200, (name, line.url)
            assert f'id="{anchor}"' in response.content.decode(), (name, line.url)


# --- the dashboard -------------------------------------------------------------------------


def test_dashboard_shows_the_panel_at_the_top(scene, client_for):
    body = text(client_for("coordinator").get("/"))
    todo = body.index('id="h-todo"')
    assert todo < body.index('id="h-meetings"') < body.index('id="figures"')
    assert "Enregistrer les décisions" in body
    assert f'href="{meeting_url(scene.held, f"point-{scene.w.first_item(scene.held).pk}")}"' in body
    assert "Rien à faire pour le moment." not in body
    assert "En retard, pour information" not in body  # the coordination follows them up


def test_dashboard_keeps_what_is_late_for_information(scene, client_for):
    body = text(client_for("member").get("/"))
    assert "En retard, pour information" in body
    assert "Joindre le calendrier des sessions" in body  # the reserve past due
    assert "Relancer la Région" in body  # the action past due
    assert "Compléter le plan de financement" not in body  # the private project's


def test_dashboard_empty_state(scene, territory, client):
    client.force_login(MembershipFactory(territory=territory, role=Role.LEAD).user)
    assert "Rien à faire pour le moment." in text(client.get("/"))


def test_dashboard_follows_the_territory_worked_in(scene, territory, other_territory, client):
    double = MembershipFactory(territory=other_territory, role=Role.COORDINATOR).user
    MembershipFactory(user=double, territory=territory, role=Role.LEAD)
    scene.forge.lead_users.add(double)
    client.force_login(double)
    here = text(client.get("/"))
    assert "Proposer la levée de la réserve" in here and scene.foreign.reference not in here
    session = client.session
    session["territory_id"] = other_territory.pk
    session.save()
    there = text(client.get("/"))
    assert scene.foreign.reference in there and "Proposer la levée" not in there


# --- a bounded number of queries ------------------------------------------------------------

# Access: the national role, the roles, the seats, the projects led (4); the meetings and their
# four prefetches (5); then one query per source: the coordination's three (projects, reserves,
# applications) or the lead's three (reserves, milestones, indicators), the actions and the
# reserves past due (5). A coordinator who also leads projects adds the lead's milestones and
# indicators (16): still a constant.
MAX_QUERIES = 14


def more_of_everything(s, users, territory, count: int) -> None:
    """`count` more of every source: projects submitted, lifts proposed, reserves, milestones
    and indicators due, meetings held and convened, actions past due, applications."""
    lead, today = users["lead"], s.today
    for n in range(count):
        ProjectFactory(territory=territory, title=f"Projet déposé {n}")
        proposed = reserve(s.forge, f"Réserve proposée {n}", owner=lead, days=-n)
        proposed.propose_lift(by=lead, proof="Pièce jointe.")
        reserve(s.works, f"Réserve {n}", owner=lead, days=n - 5)
        MilestoneFactory(project=s.works, due_on=today - timedelta(days=n + 1))
        IndicatorFactory(project=s.works)
        ActionItem.objects.create(
            meeting=s.held, what=f"Action {n}", owner="CM", due_on=today - timedelta(n + 1)
        )
        Application.objects.create(
            call=s.draft.call, territory=territory, applicant=s.draft.applicant, title=f"D {n}"
        )
    for days in range(count // 4):
        s.w.meeting(Meeting.Status.HELD, days=-3 - days)
        s.w.meeting(Meeting.Status.CONVENED, days=3 + days)


def test_queries_do_not_grow_with_the_data(scene, users, territory, django_assert_max_num_queries):
    names = ["coordinator", "lead", "other_lead", "member", "partner", "admin"]

    def queries(name: str) -> int:
        # A user object just read: nothing cached on it (its national role, its roles).
        access = Access(User.objects.get(pk=users[name].pk))
        with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as run:
            lines = todo_for(access, territory)
        assert len(lines) <= len(Kind) * (LIMIT + 1)
        return len(run)

    before = {name: queries(name) for name in names}
    more_of_everything(scene, users, territory, LIMIT + 5)
    assert {name: queries(name) for name in names} == before


def test_long_lists_are_capped_and_say_so(scene, users, territory):
    more_of_everything(scene, users, territory, LIMIT + 5)
    lines = todo_for(users["coordinator"], territory)
    completeness = [line for line in lines if line.kind == K.COMPLETENESS]
    assert len(completeness) == LIMIT + 1
    assert completeness[-1].label == "Et d'autres projets déposés"
    assert completeness[-1].url == "/projets/?etape=submitted"


def test_dashboard_queries_do_not_grow(scene, users, territory, client_for):
    client = client_for("coordinator")
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    more_of_everything(scene, users, territory, LIMIT + 5)
    with CaptureQueriesContext(connection) as after:
        response = client.get("/")
    assert response.status_code == 200
    assert len(after) == len(before)
