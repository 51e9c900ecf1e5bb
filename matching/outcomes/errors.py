"""What happens around and after a collaboration: response deadlines, evaluations (A–D),
continuation follow-ups at 6 and 12 months, the continuation rate and the case book.

Plain service functions, called by the API (``matching.api_outcomes``), the Celery tasks
(``matching.tasks_outcomes``) and the ``match_transitioned`` receiver below. Rules and
definitions: ``docs/evaluation.md``.

Every function that depends on the date takes ``today`` (or ``now``) so that tests and
back-fills control the clock; by default it is the current date in Asia/Tokyo.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


# --- Errors ---------------------------------------------------------------------------
class OutcomeError(Exception):
    """A refused request; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class InvalidOutcome(OutcomeError):
    status = 400


class OutcomeForbidden(OutcomeError):
    status = 403


class OutcomeConflict(OutcomeError):
    status = 409
