"""What the committees show on pages of other apps: a project's passages in committee.

The project page belongs to `projects`, which knows nothing of committees; this panel is the
committees' own, scoped by `Meeting.objects.visible_to` and `Access.reads_decision`, so that a
project page never shows a decision its reader could not open (DESIGN §8).
"""

from django import template

from ..models import AgendaItem, Meeting

register = template.Library()
# How a project's history row names the agenda item whose decision moved it.
DECISION_CAUSE = "agendaitem:"


@register.simple_tag
def committee_passages(project, access) -> list[tuple[AgendaItem, bool]]:
    """The project's agenda items in the meetings this reader may open, oldest first, each with
    whether the reader may read its decision, motive and reserves (one query)."""
    items = (
        AgendaItem.objects.filter(
            project_id=project.pk, meeting__in=Meeting.objects.visible_to(access)
        )
        .select_related("meeting__committee")
        .order_by("meeting__starts_at", "pk")
    )
    return [(item, access.reads_decision(item, item.meeting)) for item in items]


@register.inclusion_tag("committees/_project_passages.html", takes_context=True)
def project_passages(context, project) -> dict:
    """The "Passages en comité" panel of the project page."""
    return {"passages": committee_passages(project, context["access"])}


@register.simple_tag
def hidden_causes(timeline, access) -> dict[str, str]:
    """For the moves of a project's timeline caused by a decision that this reader may not read
    yet (Access.reads_decision), the text shown instead of their reason, by cause."""
    ids = {
        int(cause.removeprefix(DECISION_CAUSE))
        for entry in timeline
        if (cause := entry.cause).startswith(DECISION_CAUSE)
    }
    if not ids:
        return {}
    items = AgendaItem.objects.filter(pk__in=ids).select_related("meeting__committee")
    return {
        f"{DECISION_CAUSE}{item.pk}": f"Examen lors de la séance {item.meeting.title} : la "
        "décision sera consultable une fois le compte rendu validé."
        for item in items
        if not access.reads_decision(item, item.meeting)
    }
