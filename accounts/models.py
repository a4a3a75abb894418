"""What accounts need beyond Django's user: a trace of password reset requests, to throttle
them across every worker (a per-process cache would not); the one-time tokens of the creation
forms already sent."""

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


class SubmittedForm(models.Model):
    """A creation form already sent: its one-time token (accounts.once), so that a double
    click or a resent request creates one object, not two."""

    token = models.CharField("jeton", max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="compte"
    )
    created_at = models.DateTimeField("envoyé le", default=timezone.now, db_index=True)
    result_url = models.CharField("page du résultat", max_length=500, blank=True)

    class Meta:
        verbose_name = "formulaire envoyé"
        verbose_name_plural = "formulaires envoyés"
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="form_sent_once_per_user")
        ]

    def __str__(self) -> str:
        return self.token
