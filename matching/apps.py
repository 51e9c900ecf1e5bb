from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("マッチング")

    def ready(self) -> None:
        from . import signals  # noqa: F401
