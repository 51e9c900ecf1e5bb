"""The Celery app. Workers start with ``celery -A tsunagu.celery worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")

# The packages whose ``tasks`` module holds Celery tasks: listed, not guessed, so that a
# new feature's tasks are registered by adding it here (docs/architecture.md).
TASK_PACKAGES = [
    "tsunagu",
    "notifications",
    "organizations.imports",
    "matching.scoring",
    "matching.matches",
    "matching.consultations",
    "matching.outcomes",
    "matching.notices",
    "matching.rounds",
    "meetings",
]

app = Celery("tsunagu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(TASK_PACKAGES)
