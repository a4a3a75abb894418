"""Personal API tokens: a user creates one on their account page, sees it once, and revokes it.

Only the SHA-256 of a token is stored (a token is 256 random bits: a plain hash is as safe as
a slow one, and costs nothing per request); its first characters stay readable so that the
owner can tell their tokens apart. A token reads exactly what its owner may read (api.views).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "tdi_"
# The last use is written at most this often: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="compte",
    )
    name = models.CharField("nom", max_length=100, help_text="Pour qui ou pour quel outil.")
    key_hash = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    start = models.CharField("début du jeton", max_length=12, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.start}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """A new token of the user and its value, which is shown once and never stored."""
        raw = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=digest(raw), start=raw[:12])
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        """The active token of this value, its owner with it; its last use noted."""
        if not raw.startswith(PREFIX):
            return None
        token = cls.objects.active().select_related("user").filter(key_hash=digest(raw)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            token.last_used_at = now
            token.save(update_fields=["last_used_at"])
        return token

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
