"""What every app's views answer in the same way: after a POST, and to an id posted in a form.

htmx's own answers come from django-htmx (`django_htmx.http`); pages that answer htmx with a
fragment say so with Django's `vary_on_headers("HX-Request")`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: a redirect, or for htmx a full-page navigation.

    A browser does not reload when only the #fragment changes, so a target on the current page
    asks htmx to refresh it instead (HX-Refresh) rather than to go there (HX-Redirect).
    """
    if request.htmx:
        current = urlsplit(request.htmx.current_url or "")
        if current.path and current.path == urlsplit(url).path:
            return HttpResponseClientRefresh()
        return HttpResponseClientRedirect(url)
    return redirect(url)


def posted_id(request: HttpRequest, name: str) -> int:
    """An id sent in a form, or 404 when it is missing or not a number."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise Http404("Identifiant invalide") from None


def forbid_unless(allowed: bool, message: str) -> None:
    """403 with the message (the reason a page gives), unless allowed."""
    if not allowed:
        raise PermissionDenied(message)
