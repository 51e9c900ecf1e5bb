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

from django.db.models import Exists, OuterRef, QuerySet

from matching.models import Evaluation, Match, MatchParty

logger = logging.getLogger(__name__)


def case_book() -> QuerySet[Match]:
    """Evaluated matches every active party agreed to publish in the case book (事例集).
    (The coordinator's own ``publish_consent`` is a recommendation, not required.)"""
    consenting = Evaluation.objects.filter(
        match=OuterRef("match"),
        organization=OuterRef("organization"),
        evaluator=Evaluation.Evaluator.PARTY,
        publish_consent=True,
    )
    parties = MatchParty.objects.filter(match=OuterRef("pk")).exclude(
        response=MatchParty.Response.DECLINED
    )
    return (
        Match.objects.filter(state=Match.State.EVALUATED)
        .filter(Exists(parties))
        .exclude(Exists(parties.exclude(Exists(consenting))))
        .select_related("form", "need", "offer")
        .order_by("-completed_at", "-pk")
    )
