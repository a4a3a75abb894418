"""Load the demo: the data of `demo.data`, then the events of `demo.script` replayed in order
through the application's own methods, each at its moment (`at=`).

The verbs, with what they call:

- projects: `project` (created as the project form saves it, with its funding plan, indicators
  and milestones), `move` (`Project.move_to`), `update` (progress, open data), `measure` (an
  indicator's value), `reach` (a milestone done), `propose_lift` and `accept_lift`
  (`Reserve.propose_lift` / `accept_lift`: the last blocking reserve moves the project on);
- meetings: `meeting` (created in preparation), `inscribe` (`Meeting.add_project`: the project
  moves to the examination stage), `item` (`add_item`), `convene` (`convene`: numbers it and
  invites everyone), `reply` (`Invitation.answer`), `hold`, `attendance` (every active seat
  present but those named), `notes` (debates), `decide` (`AgendaItem.record_decision`: the
  project moves), `action`, `done`, `minutes` (introduction and conclusion), `validate`
  (`validate_minutes`: frozen, archived as PDF/A);
- applications: `application`, `answer`, `include`, `ready` (`mark_ready`), `submit`,
  `outcome` (`record_outcome`).

Nothing is written around these methods: no status, no history date, no clock. The messages
they queue are dropped unsent (the addresses are fictitious).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.tasks import default_task_backend
from django.test import override_settings
from django.utils import timezone

from committees.models import (
    ActionItem,
    Attendance,
    Committee,
    CommitteeMember,
    Meeting,
)
from demo import data
from demo.script import SCRIPT
from projects.lifecycle import history_stamp, save_change
from projects.models import (
    Application,
    ApplicationProject,
    Call,
    FundingLine,
    Indicator,
    Membership,
    Milestone,
    NationalMembership,
    Organisation,
    Project,
    Reserve,
    SectionAnswer,
    Territory,
    validate_siren,
)

PARIS = ZoneInfo("Europe/Paris")
QUEUE = "django.tasks.backends.dummy.DummyBackend"  # holds what is enqueued, runs nothing


def moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)


def email(first_name: str, last_name: str) -> str:
    """prenom.nom@demo.tdi.fr, without accents."""
    address = unicodedata.normalize("NFKD", f"{first_name}.{last_name}".lower())
    return address.encode("ascii", "ignore").decode() + "@demo.tdi.fr"


def siren(base: str) -> str:
    """Eight digits completed with the Luhn key that makes a valid (fictitious) SIREN."""
    for key in "0123456789" if base else ():
        try:
            validate_siren(base + key)
        except ValidationError:
            continue
        return base + key
    return ""


class Loader:
    def __init__(self) -> None:
        self.users = {}
        self.organisations: dict[str, Organisation] = {}
        self.territories: dict[str, Territory] = {}
        self.meetings: dict[str, Meeting] = {}
        self.applications: dict[str, Application] = {}

    def load(self) -> bool:
        """Reset the demo accounts; the rest only on a database without the demo (False)."""
        with transaction.atomic():
            self.accounts()
            if Territory.objects.filter(code=data.CL).exists():
                return False
            self.setup(moment(data.SINCE))
            # The past is replayed with the work it queues (archived PDFs) held back, then that
            # work is queued for real: done now, and dated now, after the replayed events.
            with override_settings(TASKS={"default": {"BACKEND": QUEUE}}):
                self.replay()
                queued = list(default_task_backend.results)
            for result in queued:
                result.task.enqueue(*result.args, **result.kwargs)
        return True

    def replay(self) -> None:
        last = moment(data.SINCE)
        for when, who, verb, *args in SCRIPT:
            at = moment(when)
            if at < last or at > timezone.now():
                raise CommandError(f"Événement hors de l'ordre du temps : {when} {verb}.")
            last = at
            getattr(self, verb)(at, self.users.get(who), *args)

    def save(self, obj, by, at: datetime, reason: str, **kwargs):
        """Save an object as a page of the application would, at its moment."""
        save_change(obj, by=by, reason=reason, at=at, **kwargs)
        return obj

    # --- set-up: accounts, organisations, territories, committees ----------------------------

    def accounts(self) -> None:
        for account in data.ACCOUNTS:
            first_name, last_name = account["name"]
            user, _created = get_user_model().objects.get_or_create(
                username=account["username"],
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": email(first_name, last_name),
                    "is_staff": account.get("superuser", False),
                    "is_superuser": account.get("superuser", False),
                },
            )
            user.set_password(data.PASSWORD)
            user.save()
            self.users[user.username] = user

    def setup(self, at: datetime) -> None:
        by = self.users["coordination"]
        for account in data.ACCOUNTS:
            if role := account.get("national"):
                user = self.users[account["username"]]
                self.save(NationalMembership(user=user, role=role), by, at, "Rôle national")
        for spec in [None, *data.TERRITORIES]:
            if spec:
                by = self.users[spec["coordinator"]]
            for name, kind, base in spec["organisations"] if spec else data.ORGANISATIONS:
                organisation = Organisation(name=name, kind=kind, siren=siren(base))
                self.organisations[name] = self.save(organisation, by, at, "Création")
        for spec in data.TERRITORIES:
            by = self.users[spec["coordinator"]]
            fields = {f: spec[f] for f in ("code", "name", "prefix", "region", "department")}
            territory = self.save(Territory(**fields), by, at, "Création du territoire")
            names = [n for n, _, _ in (*data.ORGANISATIONS, *spec["organisations"])]
            with history_stamp(territory, by=by, reason="Annuaire du territoire", at=at):
                territory.intercommunalities.add(
                    *(self.organisations[n] for n in spec["intercommunalities"])
                )
                territory.organisations.add(*(self.organisations[n] for n in names))
            self.territories[spec["code"]] = self.territories[spec["prefix"]] = territory
        for account in data.ACCOUNTS:
            for code, role, organisation in account["memberships"]:
                territory = self.territories[code]
                by = self.users[
                    next(t for t in data.TERRITORIES if t["code"] == code)["coordinator"]
                ]
                membership = Membership(
                    user=self.users[account["username"]],
                    territory=territory,
                    role=role,
                    organisation=self.organisations[organisation],
                )
                self.save(membership, by, at, "Ajout d'un membre du territoire")
        for code, committees in data.COMMITTEES.items():
            territory = self.territories[code]
            by = self.users[next(t for t in data.TERRITORIES if t["code"] == code)["coordinator"]]
            for spec in committees:
                committee = Committee(
                    territory=territory, kind=spec["kind"], name=spec["name"], quorum=spec["quorum"]
                )
                self.save(committee, by, at, "Création du comité")
                for seat in spec["members"]:
                    member = CommitteeMember(committee=committee, role=seat["role"])
                    if "user" in seat:
                        member.user = self.users[seat["user"]]
                        member.organisation = member.user.memberships.get(
                            territory=territory
                        ).organisation
                    else:
                        member.name = seat["name"]
                        member.email = email(*seat["name"].split(" ", 1))
                        member.organisation = self.organisations.get(seat.get("organisation", ""))
                    self.save(member, by, at, "Ajout d'un membre")
        seeded = Call.objects.prefetch_related("sections").get(title=data.CALL["title"])
        opens, closes = data.CALL["dates"]
        self.call = Call.objects.create(
            title=f"{seeded.title} — {data.CALL['session']}",
            funder=seeded.funder,
            description=seeded.description,
            eligibility=seeded.eligibility,
            opens_on=date.fromisoformat(opens),
            closes_on=date.fromisoformat(closes),
            url=seeded.url,
        )
        for section in seeded.sections.all():
            section.pk, section.call = None, self.call
            section.save()

    # --- projects --------------------------------------------------------------------------

    def project(self, at, by, reference) -> None:
        """As the project form creates it: the card and its relations, then its rows."""
        card = data.PROJECTS[reference]
        lead = self.organisations[card["lead"]]
        start, end = card["dates"]
        project = Project(
            territory=self.territories[reference.split("-")[0]],
            created_at=at,
            title=card["title"],
            summary=card["summary"],
            description=card["description"],
            axis=card["axis"],
            lead_organisation=lead,
            commune=card["commune"],
            epci=self.organisations[card["epci"]],
            planned_start=date.fromisoformat(start),
            planned_end=date.fromisoformat(end),
            total_cost=Decimal(card["cost"]),
        )
        project.skip_history_when_saving = True
        project.save()
        project.lead_users.add(*(self.users[u] for u in card.get("lead_users", ())))
        project.partners.add(*(self.organisations[n] for n in card.get("partners", ())))
        del project.skip_history_when_saving
        self.save(project, by, at, "Création du projet")
        if project.reference != reference:
            raise CommandError(f"« {card['title']} » a reçu la référence {project.reference}.")
        for funder, instrument, amount, status in card["funding"]:
            line = FundingLine(
                project=project,
                funder=lead if funder == "self" else self.organisations[funder],
                instrument=instrument,
                amount=Decimal(amount),
                status=status,
            )
            self.save(line, by, at, "Création du projet")
        for kind, target in card["indicators"]:
            indicator = Indicator(project=project, kind=kind, target=Decimal(str(target)))
            self.save(indicator, by, at, "Création du projet")
        for title, due in card["milestones"]:
            milestone = Milestone(project=project, title=title, due_on=date.fromisoformat(due))
            self.save(milestone, by, at, "Création du projet")

    def get_project(self, reference: str) -> Project:
        return Project.objects.get(reference=reference)

    def move(self, at, by, reference, stage, reason) -> None:
        self.get_project(reference).move_to(stage, by=by, reason=reason, at=at)

    def update(self, at, by, reference, fields) -> None:
        project = self.get_project(reference)
        for name, value in fields.items():
            setattr(project, name, value)
        self.save(project, by, at, "Modification du projet")

    def measure(self, at, by, reference, kind, value) -> None:
        indicator = Indicator.objects.get(project__reference=reference, kind=kind)
        indicator.achieved, indicator.measured_on = Decimal(str(value)), at.date()
        self.save(indicator, by, at, "Indicateur mesuré")

    def reach(self, at, by, reference, title) -> None:
        milestone = Milestone.objects.get(project__reference=reference, title=title)
        milestone.done_on = at.date()
        self.save(milestone, by, at, "Jalon atteint")

    def reserve(self, reference: str, text: str) -> Reserve:
        return Reserve.objects.get(project__reference=reference, text=text)

    def propose_lift(self, at, by, reference, text, proof) -> None:
        self.reserve(reference, text).propose_lift(by=by, proof=proof, at=at)

    def accept_lift(self, at, by, reference, text) -> None:
        self.reserve(reference, text).accept_lift(by=by, at=at)

    # --- meetings --------------------------------------------------------------------------

    def meeting(self, at, by, key, code, kind, starts, place) -> None:
        committee = Committee.objects.get(territory__code=code, kind=kind)
        meeting = Meeting(committee=committee, starts_at=moment(starts), place=place)
        self.meetings[key] = self.save(meeting, by, at, "Création de la séance")

    def agenda_item(self, key: str, name: str):
        """An item of a meeting, by the reference of its project or by its title."""
        items = self.meetings[key].items
        return items.filter(project__reference=name).first() or items.get(title=name)

    def inscribe(self, at, by, key, reference, rapporteur, duration) -> None:
        project = self.get_project(reference)
        self.meetings[key].add_project(
            project, by=by, rapporteur=rapporteur, duration=duration, at=at
        )

    def item(self, at, by, key, kind, title, rapporteur, duration) -> None:
        self.meetings[key].add_item(
            kind=kind, title=title, by=by, rapporteur=rapporteur, duration=duration, at=at
        )

    def convene(self, at, by, key) -> None:
        self.meetings[key].convene(by=by, at=at)
        self.meetings[key].dispatches.all().delete()  # fictitious addresses: nothing is sent

    def reply(self, at, by, key, name, reply, proxy) -> None:
        meeting = self.meetings[key]
        seats = {m.display_name: m for m in meeting.committee.members.select_related("user")}
        invitation = meeting.invitations.get(member=seats[name])
        invitation.answer(reply, by=by, proxy_to=seats.get(proxy), at=at)

    def hold(self, at, by, key) -> None:
        self.meetings[key].hold(by=by, at=at)

    def attendance(self, at, by, key, away) -> None:
        meeting = self.meetings[key]
        for member in meeting.committee.members.filter(is_active=True).select_related("user"):
            status, deputy = away.get(member.display_name, Attendance.Status.PRESENT), ""
            if isinstance(status, tuple):
                status, deputy = status
            row = Attendance(meeting=meeting, member=member, status=status, represented_by=deputy)
            self.save(row, by, at, "Présences saisies")

    def notes(self, at, by, key, name, text) -> None:
        item = self.agenda_item(key, name)
        item.notes = text
        self.save(item, by, at, "Débats saisis")

    def decide(self, at, by, key, name, decision, motive, extra=None) -> None:
        item = self.agenda_item(key, name)
        extra = extra or {}
        owner = item.project.lead_users.first() if item.project_id else None
        reserves = [
            {"text": text, "due_on": date.fromisoformat(due), "owner": owner}
            for text, due in extra.get("reserves", ())
        ]
        votes = extra.get("votes", (None, None, None))
        item.record_decision(decision, by=by, motive=motive, votes=votes, reserves=reserves, at=at)

    def action(self, at, by, key, name, what, owner, due) -> None:
        item = self.agenda_item(key, name) if name else None
        action = ActionItem(
            meeting=self.meetings[key],
            agenda_item=item,
            what=what,
            owner=owner,
            due_on=date.fromisoformat(due),
        )
        self.save(action, by, at, "Action ajoutée")

    def done(self, at, by, key, what) -> None:
        action = self.meetings[key].actions.get(what=what)
        action.done_on = at.date()
        self.save(action, by, at, "Action réalisée", update_fields=["done_on"])

    def minutes(self, at, by, key, intro, conclusion) -> None:
        meeting = self.meetings[key]
        meeting.minutes_intro, meeting.minutes_conclusion = intro, conclusion
        fields = ["minutes_intro", "minutes_conclusion"]
        self.save(meeting, by, at, "Compte rendu rédigé", update_fields=fields)

    def validate(self, at, by, key) -> None:
        self.meetings[key].validate_minutes(by=by, at=at)
        self.meetings[key].dispatches.all().delete()

    # --- applications ----------------------------------------------------------------------

    def application(self, at, by, key) -> None:
        spec = data.APPLICATIONS[key]
        contact = self.users[spec["contact"]]
        application = Application(
            call=self.call,
            territory=self.territories[spec["territory"]],
            applicant=self.organisations[spec["applicant"]],
            title=spec["title"],
            contact_name=contact.get_full_name(),
            contact_email=contact.email,
            contact_phone=spec["phone"],
            created_at=at,
        )
        self.applications[key] = self.save(application, by, at, "Création du dossier")

    def answer(self, at, by, key, section, text) -> None:
        application = self.applications[key]
        row = SectionAnswer(
            application=application, section=self.call.sections.get(key=section), text=text
        )
        self.save(row, by, at, "Rubrique rédigée")

    def include(self, at, by, key, reference, amount, rank) -> None:
        row = ApplicationProject(
            application=self.applications[key],
            project=self.get_project(reference),
            requested_amount=Decimal(amount),
            rank=rank,
        )
        self.save(row, by, at, "Projet inclus dans le dossier")

    def ready(self, at, by, key) -> None:
        self.applications[key].mark_ready(by=by, at=at)

    def submit(self, at, by, key) -> None:
        self.applications[key].submit(by=by, at=at)

    def outcome(self, at, by, key, status, on, comment) -> None:
        application = self.applications[key]
        application.record_outcome(status, by=by, on=date.fromisoformat(on), comment=comment, at=at)
