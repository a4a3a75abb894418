from django.apps import AppConfig


class CommitteesConfig(AppConfig):
    name = "committees"
    verbose_name = "Comités"

    def ready(self) -> None:
        # The e-mails listen to what the meetings announce (committees.events).
        from . import notifications  # noqa: F401
