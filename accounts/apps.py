from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "comptes et sessions"

    def ready(self) -> None:
        # Their login receivers, connected at start-up: not only once a request has loaded the
        # middleware (a login made first thing in a process would skip the second factor).
        from . import second_factor, sessions  # noqa: F401
