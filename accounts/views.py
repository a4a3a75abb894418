"""Password change and a throttled password reset."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator

from .models import PasswordResetRequest

RESET_WINDOW = timedelta(hours=1)
RESET_PER_ADDRESS = 3
RESET_PER_IP = 10
TOO_MANY = (
    "Trop de demandes de réinitialisation récentes : réessayez dans une heure, ou adressez-vous "
    "à la coordination de votre territoire."
)


def axes_username(request, credentials=None) -> str:
    """The username django-axes records for a login attempt, cut to what a username may be
    (150): a 5 000-character one is a failed attempt, not a database error on its column."""
    source = credentials or getattr(request, "POST", None) or {}
    return str(source.get("username") or "")[:150]


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """The reset link goes out at most RESET_PER_ADDRESS times an hour to one address, and a
    client asks at most RESET_PER_IP times an hour; beyond, one message for both (nothing says
    whether the address has an account)."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        email_hash = hashlib.sha256(email.encode()).hexdigest()
        ip_address = get_client_ip_address(self.request)
        recent = PasswordResetRequest.objects.filter(
            created_at__gte=timezone.now() - RESET_WINDOW, refused=False
        )
        too_many = recent.filter(email_hash=email_hash).count() >= RESET_PER_ADDRESS or (
            ip_address and recent.filter(ip_address=ip_address).count() >= RESET_PER_IP
        )
        PasswordResetRequest.objects.create(
            email_hash=email_hash, ip_address=ip_address, refused=bool(too_many)
        )
        if too_many:
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été changé.")
        return response
