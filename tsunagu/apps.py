from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TsunaguConfig(AppConfig):
    name = "tsunagu"
    verbose_name = _("つなぐ基盤")

    def ready(self) -> None:
        # Make the Celery app current in every Django process (web, shell, commands), so
        # that tasks sent from them use our broker settings, and register every task
        # (services send them by name: lib.tasks.task).
        # roles: the coordinators' admin group follows User.is_coordinator.
        from django.conf import settings
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_migrate, post_save

        from tsunagu import roles
        from tsunagu.celery import TASK_PACKAGES, app

        app.autodiscover_tasks(TASK_PACKAGES, force=True)

        post_save.connect(roles.on_user_saved, sender=settings.AUTH_USER_MODEL)
        m2m_changed.connect(roles.on_groups_changed, sender=Group.user_set.through)
        post_migrate.connect(roles.on_post_migrate)
