from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("マッチング")

    def ready(self) -> None:
        # Explicit registration, in one place: each feature's admin pages, the signal
        # receivers (proposals → scoring; match_transitioned → scoring, consultations,
        # outcomes) and the models django-auditlog records. Celery finds the features'
        # task modules through the list in tsunagu/celery.py.
        from matching.consultations import admin as consultations_admin  # noqa: F401
        from matching.consultations import services as consultations  # noqa: F401
        from matching.matches import admin as matches_admin  # noqa: F401
        from matching.matches import audit  # noqa: F401
        from matching.outcomes import admin as outcomes_admin  # noqa: F401
        from matching.outcomes import evaluations  # noqa: F401
        from matching.privacy import admin as privacy_admin  # noqa: F401
        from matching.review import admin as review_admin  # noqa: F401
        from matching.rounds import admin as rounds_admin  # noqa: F401
        from matching.scoring import admin as scoring_admin  # noqa: F401
        from matching.scoring import signals  # noqa: F401
