"""Template tags of the inbox-driven pages: what became of an interest request.

``{% interest_request_for post user as interest %}``: the latest request that one of the
user's organizations sent about this need or offer (or None), so that a post's page says
「依頼を送りました」 instead of offering the button again.
"""

from __future__ import annotations

from django import template

from matching.models import InterestRequest
from proposals.models import Need

register = template.Library()


@register.simple_tag
def interest_request_for(post, user) -> InterestRequest | None:
    if not (user and user.is_authenticated and user.organization_ids()):
        return None
    side = "need" if isinstance(post, Need) else "offer"
    return (
        InterestRequest.objects.filter(organization_id__in=user.organization_ids(), **{side: post})
        .order_by("-created_at", "-pk")
        .first()
    )
