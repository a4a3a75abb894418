from django.http import HttpRequest

from .models import Role, Territory, roles_of


def territory(request: HttpRequest) -> dict:
    """The current territory and role, and the territories the user may switch to (lazily)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}

    def switchable():
        territories = Territory.objects.all()
        if not user.is_superuser:
            territories = territories.filter(pk__in=list(roles_of(user)))
        return list(territories)

    role = getattr(request, "role", None)
    return {
        "current_territory": getattr(request, "territory", None),
        "current_role": role,
        "current_role_label": Role(role).label if role else "",
        "is_coordinator": role == Role.COORDINATOR,
        "switchable_territories": switchable,
    }
