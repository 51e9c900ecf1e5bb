"""The case book (事例集): evaluated matches that every active party agreed to publish,
shown on the public cases page (``web.public.cases``). Rules: ``docs/evaluation.md``.
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
