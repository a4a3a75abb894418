from django.http import HttpRequest, HttpResponse

from .access import Access
from .models import Territory

SESSION_KEY = "territory_id"


class CurrentTerritoryMiddleware:
    """Set request.access (what the user may see and do, projects.access) and request.territory
    (the territory the user works in: lists, dashboard, new objects).

    The territory is kept in the session; it falls back to the user's first territory. National
    readers and admins may choose any territory. Permissions never depend on this choice: they
    are asked of request.access with the territory of the object concerned.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.access = access = Access(request.user).attach()
        request.territory = None
        if access.is_authenticated:
            territories = Territory.objects.reachable_by(access)
            wanted = request.session.get(SESSION_KEY)
            request.territory = (
                wanted and territories.filter(pk=wanted).first()
            ) or territories.first()
        return self.get_response(request)
