"""How the API knows who calls: a personal token in `Authorization: Bearer tdi_…`, and how
often it may call (per token, counted in the database cache so that every worker agrees)."""

from django.core.cache import caches
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken

KEYWORD = b"bearer"


class TokenAuthentication(BaseAuthentication):
    """A personal token (api.models.ApiToken): the request reads as its owner."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête Authorization invalide : « Bearer <jeton> » est attendu."
            )
        token = ApiToken.find(header[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed(
                "Jeton inconnu ou révoqué : créez-en un sur la page « Accès à l'API » de "
                "votre compte."
            )
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes an unauthenticated call answer 401 with this challenge, not 403.
        return 'Bearer realm="tdi"'


class TokenRateThrottle(SimpleRateThrottle):
    """So many requests per token and per minute (REST_FRAMEWORK's "token" rate)."""

    scope = "token"

    @property
    def cache(self):
        return caches["api"]

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None  # the schema read with a session: not throttled here
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class TokenScheme(OpenApiAuthenticationExtension):
    """The token, as the OpenAPI schema declares it (a bearer scheme)."""

    target_class = TokenAuthentication
    name = "jeton"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton personnel créé sur la page « API » de votre compte : "
            "« Authorization: Bearer tdi_… ».",
        }
