"""The edge of the site: requests that cannot be meant are refused before any view runs, and
each request gets an id that its log lines carry."""

import logging
import re
import threading
import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

BAD_REQUEST = "Requête invalide : l'adresse contient un caractère interdit."
BAD_FORM = "Requête invalide : le formulaire contient un caractère interdit."


def has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)


class RejectNulCharacters:
    """A NUL character in the path, the query string or a posted field is no one's input:
    answer 400 rather than let it reach a database that refuses it (PostgreSQL does, with a
    500), whichever view or decorator reads it (the one-time token of accounts.once did)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or has_nul(request.GET):
            return HttpResponseBadRequest(BAD_REQUEST, content_type="text/plain; charset=utf-8")
        # The CSRF check reads request.POST before every view already: reading it here first
        # changes nothing for the views, not even for their upload handlers.
        if request.method == "POST" and has_nul(request.POST):
            return HttpResponseBadRequest(BAD_FORM, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# --- request ids ----------------------------------------------------------------------------

_current = threading.local()
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestId:
    """Give each request an id: the reverse proxy's X-Request-ID when it looks like one (deploy/
    sets it), else a new one. It is sent back in the response and written on every log line of
    the request (RequestIdFilter), so that an error a person reports can be found in the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request.id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        _current.id = request.id
        try:
            response = self.get_response(request)
        finally:
            _current.id = "-"
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to log records (« - » outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(_current, "id", "-")
        return True
