from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """The registry import (団体名簿の取り込み) as an app of its own, for its one model: the
    uploaded file and its stored preview (``RegistryImport``)."""

    name = "organizations.imports"
    label = "registry_imports"
    verbose_name = _("団体名簿の取り込み")
    default_auto_field = "django.db.models.BigAutoField"
