from django.http import HttpRequest, HttpResponse

from .models import Territory, roles_of

SESSION_KEY = "territory_id"


class CurrentTerritoryMiddleware:
    """Set request.territory (the territory the user works in) and request.role in it.

    The choice is kept in the session; it falls back to the user's first territory. National
    admins (superusers) may choose any territory and act as coordinators there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.territory = None
        request.role = None
        user = request.user
        if user.is_authenticated:
            territories = Territory.objects.all()
            if not user.is_superuser:
                territories = territories.filter(pk__in=list(roles_of(user)))
            wanted = request.session.get(SESSION_KEY)
            territory = (wanted and territories.filter(pk=wanted).first()) or territories.first()
            if territory:
                request.territory = territory
                request.role = "coordinator" if user.is_superuser else roles_of(user)[territory.pk]
        return self.get_response(request)
