"""The site-wide dashboard: it brings together what the apps know about my territory."""

from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from committees.models import ActionItem, Meeting
from projects.models import Project, Reserve, Role, Stage


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    territory = request.territory
    if territory is None:
        return render(request, "dashboard.html", {})
    user = request.user
    projects = Project.objects.visible_to(user).active().filter(territory=territory)
    by_stage = dict(projects.order_by().values_list("stage").annotate(n=Count("pk")))
    totals = projects.aggregate(cost=Sum("total_cost"), count=Count("pk"))
    mine = (
        projects.filter(lead_users=user).select_related("lead_organisation").order_by("-updated_at")
    )
    recent = projects.select_related("lead_organisation").order_by("-updated_at")[:8]
    meetings = (
        Meeting.objects.visible_to(user)
        .filter(committee__territory=territory, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .annotate(item_count=Count("items"))
        .order_by("starts_at")
    )
    if request.role != Role.COORDINATOR:
        # "Mes prochaines séances": those of the committees I sit on, or examining my projects.
        meetings = meetings.filter(
            Q(committee__members__user=user, committee__members__is_active=True)
            | Q(items__project__lead_users=user)
        ).distinct()
    today = timezone.localdate()
    overdue_reserves = (
        Reserve.objects.open()
        .filter(project__in=projects, due_on__lt=today)
        .select_related("project", "owner")
        .order_by("due_on")
    )
    overdue_actions = (
        ActionItem.objects.filter(
            meeting__in=Meeting.objects.visible_to(user).filter(committee__territory=territory),
            done_on__isnull=True,
            due_on__lt=today,
        )
        .select_related("meeting", "meeting__committee")
        .order_by("due_on")
    )
    context = {
        "stages": [(stage, by_stage[stage.value]) for stage in Stage if stage.value in by_stage],
        "totals": totals,
        "mine": mine[:10],
        "mine_count": mine.count(),
        "recent": recent,
        "meetings": meetings[:6],
        "overdue_reserves": overdue_reserves[:10],
        "overdue_actions": overdue_actions[:10],
    }
    return render(request, "dashboard.html", context)
