from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("ニーズとシーズ")

    def ready(self) -> None:
        # The receiver that re-checks an organization's posts when its kind changes.
        from proposals import services  # noqa: F401
