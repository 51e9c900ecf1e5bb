from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("団体")

    def ready(self) -> None:
        # The receivers that announce a change of an organization's kind.
        from organizations import services  # noqa: F401
