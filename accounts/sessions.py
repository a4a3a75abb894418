"""Sessions fit for an administration tool: an idle timeout, an absolute limit after login, and
nothing a user saw kept in a shared or browser cache."""

from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

STARTED = "session_started"  # when the user logged in (seconds since the epoch)
SEEN = "session_seen"  # their last request, to the minute
EXPIRED = "Votre session a expiré : reconnectez-vous pour continuer."


@receiver(user_logged_in)
def start_session(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[STARTED] = request.session[SEEN] = int(time.time())


class SessionLimits:
    """End a session after SESSION_IDLE_TIMEOUT seconds without a request, or
    SESSION_ABSOLUTE_TIMEOUT seconds after the login, whatever the activity; and mark every
    response to a signed-in user `Cache-Control: no-store, private` (pages, fragments, PDFs,
    documents, exports, calendar files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and (expired := self.expired(request)):
            return expired
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response

    def expired(self, request: HttpRequest) -> HttpResponse | None:
        now, session = int(time.time()), request.session
        started = session.setdefault(STARTED, now)
        seen = session.get(SEEN, now)
        if (
            now - seen <= settings.SESSION_IDLE_TIMEOUT
            and now - started <= settings.SESSION_ABSOLUTE_TIMEOUT
        ):
            if now - seen >= 60:  # one session write a minute at most
                session[SEEN] = now
            return None
        logout(request)
        messages.info(request, EXPIRED)
        url = f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.get_full_path())}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        response = redirect(url)
        patch_cache_control(response, no_store=True, private=True)
        return response
