from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TsunaguConfig(AppConfig):
    name = "tsunagu"
    verbose_name = _("つなぐ基盤")

    def ready(self) -> None:
        # Make the Celery app current in every Django process (web, shell, commands), so
        # that shared tasks sent from them use our broker settings. tsunagu/__init__.py
        # stays empty so that importing tsunagu.japanese never pulls in Celery or Django.
        from . import celery  # noqa: F401
