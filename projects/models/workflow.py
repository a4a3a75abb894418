"""The stage workflow of a project: its stages, the moves allowed between them and who makes
each (the committees make the AUTOMATIC ones), and the groups of stages the rules read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from ..access import Actor


class Stage(models.TextChoices):
    IDEA = "idea", "Idée"
    DRAFTING = "drafting", "En rédaction"
    SUBMITTED = "submitted", "Déposé"
    ELIGIBLE = "eligible", "Recevable"
    COTECH = "cotech", "Examen COTECH"
    RESERVES = "reserves", "Levée de réserves"
    READY_COPIL = "ready_copil", "Avis favorable COTECH"
    COPIL = "copil", "Examen COPIL"
    APPROVED = "approved", "Validé (labellisé TI)"
    FINANCING = "financing", "Financement en cours"
    FUNDED = "funded", "Financé"
    IN_PROGRESS = "in_progress", "En réalisation"
    DONE = "done", "Réalisé"
    CLOSED = "closed", "Clôturé"
    REJECTED = "rejected", "Non retenu"
    REDIRECTED = "redirected", "Réorienté"
    WITHDRAWN = "withdrawn", "Retiré"
    SUSPENDED = "suspended", "Suspendu"
    ABANDONED = "abandoned", "Abandonné"


# Who may make a move (projects.access.Actor): the project's lead (or a coordinator), only a
# coordinator, or only a committee.
LEAD, COORDINATOR, AUTOMATIC = Actor.LEAD, Actor.COORDINATOR, Actor.COMMITTEE


@dataclass(frozen=True)
class Move:
    actor: str
    motive_required: bool = False
    label: str = ""


S = Stage
PRE_APPROVAL_WITHDRAWABLE = [S.IDEA, S.DRAFTING, S.SUBMITTED, S.ELIGIBLE, S.RESERVES, S.READY_COPIL]
# The allowed moves, keyed (from, to). The committees app drives the AUTOMATIC ones.
MOVES: dict[tuple[str, str], Move] = {
    (S.IDEA, S.DRAFTING): Move(LEAD, label="Commencer la rédaction"),
    (S.DRAFTING, S.SUBMITTED): Move(LEAD, label="Déposer le projet"),
    (S.SUBMITTED, S.ELIGIBLE): Move(COORDINATOR, label="Déclarer recevable"),
    (S.SUBMITTED, S.DRAFTING): Move(COORDINATOR, True, "Renvoyer en rédaction"),
    (S.ELIGIBLE, S.DRAFTING): Move(COORDINATOR, True, "Renvoyer en rédaction"),
    (S.ELIGIBLE, S.COTECH): Move(AUTOMATIC),
    (S.COTECH, S.ELIGIBLE): Move(AUTOMATIC),
    (S.COTECH, S.READY_COPIL): Move(AUTOMATIC),
    (S.COTECH, S.RESERVES): Move(AUTOMATIC, True),
    (S.COTECH, S.DRAFTING): Move(AUTOMATIC, True),
    (S.COTECH, S.REJECTED): Move(AUTOMATIC, True),
    (S.COTECH, S.REDIRECTED): Move(AUTOMATIC, True),
    (S.RESERVES, S.READY_COPIL): Move(AUTOMATIC),
    (S.READY_COPIL, S.COPIL): Move(AUTOMATIC),
    (S.COPIL, S.READY_COPIL): Move(AUTOMATIC),
    (S.COPIL, S.APPROVED): Move(AUTOMATIC),
    (S.COPIL, S.ELIGIBLE): Move(AUTOMATIC, True),
    (S.COPIL, S.REJECTED): Move(AUTOMATIC, True),
    (S.APPROVED, S.FINANCING): Move(LEAD, label="Lancer les demandes de financement"),
    (S.FINANCING, S.FUNDED): Move(COORDINATOR, label="Déclarer le financement acquis"),
    (S.FUNDED, S.IN_PROGRESS): Move(LEAD, label="Démarrer la réalisation"),
    (S.IN_PROGRESS, S.DONE): Move(LEAD, label="Déclarer le projet réalisé"),
    (S.DONE, S.CLOSED): Move(COORDINATOR, label="Clôturer le projet"),
    # Amending a committee decision first takes the project back to its examination stage.
    **{(s, S.COTECH): Move(AUTOMATIC, True) for s in (S.READY_COPIL, S.RESERVES, S.DRAFTING)},
    **{(s, S.COTECH): Move(AUTOMATIC, True) for s in (S.REJECTED, S.REDIRECTED)},
    **{(s, S.COPIL): Move(AUTOMATIC, True) for s in (S.APPROVED, S.ELIGIBLE, S.REJECTED)},
    **{(s, S.WITHDRAWN): Move(LEAD, True, "Retirer le projet") for s in PRE_APPROVAL_WITHDRAWABLE},
    **{
        (s, S.SUSPENDED): Move(COORDINATOR, True, "Suspendre le projet")
        for s in (S.FINANCING, S.FUNDED, S.IN_PROGRESS)
    },
    **{
        (S.SUSPENDED, s): Move(COORDINATOR, True, f"Reprendre ({s.label.lower()})")
        for s in (S.FINANCING, S.FUNDED, S.IN_PROGRESS)
    },
    **{
        (s, S.ABANDONED): Move(LEAD, True, "Abandonner le projet")
        for s in (S.APPROVED, S.FINANCING, S.FUNDED, S.IN_PROGRESS, S.SUSPENDED)
    },
}

# The normal path of a project, shown as a track on its page.
MAIN_PATH = [
    S.IDEA, S.DRAFTING, S.SUBMITTED, S.ELIGIBLE, S.COTECH, S.READY_COPIL, S.COPIL,
    S.APPROVED, S.FINANCING, S.FUNDED, S.IN_PROGRESS, S.DONE, S.CLOSED,
]  # fmt: skip
SIDE_STAGES = [S.REJECTED, S.REDIRECTED, S.WITHDRAWN, S.SUSPENDED, S.ABANDONED]
# Stages that only the coordinator and the project's leads may see.
PRIVATE_STAGES = [S.IDEA, S.DRAFTING]
# Stages in which a lead may edit the whole project, and those in which only progress fields.
LEAD_EDITABLE_STAGES = [S.IDEA, S.DRAFTING, S.RESERVES]
PROGRESS_STAGES = [S.FINANCING, S.FUNDED, S.IN_PROGRESS, S.DONE, S.SUSPENDED]
# Stages that a meeting holds a project in (the agenda it sits on, the reserves a decision set):
# a project taken up from the territory's table never starts there (Project.take_up_stage),
# since no agenda or decision would ever move it on. Each says what to do instead.
MEETING_HELD: dict[str, str] = {
    S.COTECH: "un projet n'est en examen COTECH que s'il est inscrit à l'ordre du jour d'une "
    "séance : reprenez-le à l'étape « Recevable », puis inscrivez-le à l'ordre du jour.",
    S.COPIL: "un projet n'est en examen COPIL que s'il est inscrit à l'ordre du jour d'une "
    "séance : reprenez-le à l'étape « Avis favorable COTECH », puis inscrivez-le à l'ordre du "
    "jour.",
    S.RESERVES: "la levée de réserves suppose des réserves posées par un avis du COTECH : "
    "reprenez le projet à l'étape « Recevable » ou « Avis favorable COTECH ».",
}
