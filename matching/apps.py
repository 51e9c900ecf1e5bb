from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("マッチング")

    def ready(self) -> None:
        # signals: proposals → matching; consultations and outcomes: match_transitioned
        # receivers; audit: the models django-auditlog records.
        from . import audit, consultations, outcomes, signals  # noqa: F401
