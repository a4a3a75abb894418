"""What accounts need beyond Django's user: a trace of password reset requests, to throttle
them across every worker (a per-process cache would not)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PasswordResetRequest(models.Model):
    """One request of a password reset link: by address (its hash) and by client address."""

    email_hash = models.CharField("empreinte de l'adresse", max_length=64, db_index=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    created_at = models.DateTimeField("demandé le", default=timezone.now, db_index=True)
    refused = models.BooleanField("refusée (trop de demandes)", default=False)

    class Meta:
        verbose_name = "demande de réinitialisation de mot de passe"
        verbose_name_plural = "demandes de réinitialisation de mot de passe"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} — {self.ip_address or '?'}"

