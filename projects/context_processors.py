from django.http import HttpRequest

from .models import Territory


def territory(request: HttpRequest) -> dict:
    """The territory the user works in, what they may do there (booleans, from request.access),
    their business role, and the territories they may switch to (lazily)."""
    access = getattr(request, "access", None)
    if access is None or not access.is_authenticated:
        return {}
    current = getattr(request, "territory", None)
    current_id = current.pk if current else None
    return {
        # For template tags that ask it about an object; templates themselves test booleans.
        "access": access,
        "current_territory": current,
        "current_role_label": access.role_label(current_id),
        "manages_territory": access.manages(current_id),
        "creates_projects": access.creates_projects(current_id),
        "switchable_territories": lambda: list(Territory.objects.reachable_by(access)),
    }
