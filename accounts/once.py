"""Creation forms are sent once: each carries a one-time token ({% once_token %}); a second
request with the same token (a double click, a resent request) creates nothing and leads to
what the first one created."""

from __future__ import annotations

import secrets
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .models import SubmittedForm

FIELD = "once"
ALREADY_SENT = "Ce formulaire a déjà été envoyé : rien n'a été créé une seconde fois."


def new_token() -> str:
    return secrets.token_urlsafe(24)


def came_from(request: HttpRequest) -> str:
    """The page of this site the form was on, or the dashboard."""
    htmx = getattr(request, "htmx", None)
    candidates = [htmx.current_url if htmx else None, request.headers.get("Referer")]
    for url in candidates:
        if url and url_has_allowed_host_and_scheme(url, {request.get_host()}):
            return url
    return "/"


def sent_once(view):
    """Decorate a view whose POST creates something. A POST without a token is served as
    before (an API client, a test); a token seen before answers with what the first request
    led to, or the page it came from while the first one is still being handled."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not token or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        try:
            with transaction.atomic():
                record = SubmittedForm.objects.create(token=token[:64], user=request.user)
        except IntegrityError:
            first = SubmittedForm.objects.filter(token=token[:64], user=request.user).first()
            messages.info(request, ALREADY_SENT)
            url = (first and first.result_url) or came_from(request)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)
        response = view(request, *args, **kwargs)
        # Kept even when the form came back with errors: it comes back with a new token.
        if location := response.get("Location") or response.get("HX-Redirect"):
            record.result_url = location[:500]
            record.save(update_fields=["result_url"])
        return response

    return wrapper
