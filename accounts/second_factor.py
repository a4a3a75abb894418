"""A second factor at login: a TOTP code from an authenticator application (django-otp), with
single-use recovery codes.

Who holds a territory's coordination, a national role or the administration must use it when
SECOND_FACTOR_REQUIRED is on (production's default); anyone may turn it on. After the password,
the session waits for the code (or, the first time, for the enrolment) before anything else is
served: the state is decided once, at login, so that pages pay no query for it.
"""

from __future__ import annotations

from urllib.parse import quote

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.html import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from projects.access import Access, Role

STATE = "second_factor"  # in the session: "code" (asked at login) or "setup" (to enrol)
RECOVERY_CODES = 10
# What a session waiting for its second factor may still reach.
OPEN_VIEWS = {"second_factor", "second_factor_setup", "logout", "password_reset"}


def required_for(user) -> bool:
    """Coordinators, national readers and admins must use a second factor (DESIGN §8 roles)."""
    if not settings.SECOND_FACTOR_REQUIRED:
        return False
    access = Access.of(user)
    return access.national is not None or Role.COORDINATOR in access.roles.values()


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@receiver(user_logged_in)
def ask_second_factor(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if authenticator(user):
        request.session[STATE] = "code"
    elif required_for(user):
        request.session[STATE] = "setup"
    else:
        request.session.pop(STATE, None)


class SecondFactorMiddleware:
    """Until the second factor is given, every page leads to the code (or enrolment) page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        state = request.session.get(STATE) if request.user.is_authenticated else None
        if not state or request.resolver_match.url_name in OPEN_VIEWS:
            return None
        target = "second_factor" if state == "code" else "second_factor_setup"
        url = f"{resolve_url(target)}?next={quote(request.get_full_path())}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() would take anything else for a view name.
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code à 6 chiffres, ou code de secours",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Saisissez le code affiché par votre application."},
    )


def _verify(user, code: str):
    """The device that accepts the code: the authenticator, else a recovery code (used once)."""
    code = "".join(code.split())
    for device in (authenticator(user), StaticDevice.objects.filter(user=user).first()):
        if device is not None:
            with transaction.atomic():
                device = type(device).objects.select_for_update().get(pk=device.pk)
                if device.verify_token(code):
                    return device
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """After the password: the code of the authenticator application."""
    if request.session.get(STATE) != "code":
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _verify(request.user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", "Ce code n'est pas valide (ou a déjà servi) : réessayez.")
        else:
            otp_login(request, device)
            del request.session[STATE]
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"Vous vous êtes connecté·e avec un code de secours ; il en reste {left}.",
                )
            return redirect(_next(request))
    status = 400 if form.errors else 200
    context = {"form": form, "next": _next(request)}
    return render(request, "accounts/second_factor_code.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on: scan the key, confirm with a code, keep the recovery codes."""
    user = request.user
    if request.session.get(STATE) == "code":
        return redirect(f"{resolve_url('second_factor')}?next={quote(request.get_full_path())}")
    enrolled = authenticator(user)
    if enrolled and request.method == "GET":
        context = {"enrolled": enrolled, "required": required_for(user)}
        return render(request, "accounts/second_factor_setup.html", context)
    if enrolled and request.POST.get("action") == "recovery":
        return _show_recovery_codes(request, enrolled)
    if enrolled and request.POST.get("action") == "disable" and not required_for(user):
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        messages.success(request, "La double authentification est désactivée.")
        return redirect("second_factor_setup")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Application d'authentification", confirmed=False
        )
    form = CodeForm(request.POST or None)
    form.fields["code"].label = "Code à 6 chiffres affiché par l'application"
    if request.method == "POST" and request.POST.get("action") == "confirm" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session.pop(STATE, None)
            return _show_recovery_codes(request, device)
        form.add_error(
            "code", "Ce code ne correspond pas : vérifiez l'heure de votre téléphone et réessayez."
        )
    secret = device.config_url.split("secret=")[1].split("&")[0]
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title="Clé à scanner")
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": mark_safe(qr),  # noqa: S308 — markup made by segno from our own URL
        "required": required_for(user),
        "next": _next(request),
    }
    status = 400 if form.errors else 200
    return render(request, "accounts/second_factor_setup.html", context, status=status)


def _show_recovery_codes(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    """New recovery codes (the previous ones stop working), shown once."""
    with transaction.atomic():
        static, _ = StaticDevice.objects.get_or_create(user=device.user, name="Codes de secours")
        static.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        for code in codes:
            static.token_set.create(token=code)
    context = {"codes": codes, "next": _next(request)}
    return render(request, "accounts/recovery_codes.html", context)
