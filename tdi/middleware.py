"""The edge of the site: requests that cannot be meant are refused before any view runs."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

BAD_REQUEST = "Requête invalide : l'adresse contient un caractère interdit."


class RejectNulCharacters:
    """A NUL character in the path or the query string is no one's input: answer 400 rather
    than let it reach a database that refuses it (PostgreSQL does, with a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.GET
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            return HttpResponseBadRequest(BAD_REQUEST, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
