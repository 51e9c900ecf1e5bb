"""The receivers that re-score: a saved need or offer, and a match that starts or ends.

Matching listens to proposals (proposals never imports matching). Registered in
``MatchingConfig.ready``."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from matching.matches.signals import match_transitioned
from matching.scoring import services
from proposals.models import Need, Offer


@receiver(post_save, sender=Need, dispatch_uid="matching.need_saved")
def need_saved(sender, instance: Need, raw: bool = False, **kwargs) -> None:
    if not raw:
        services.post_changed("need", instance.pk, instance.status)


@receiver(post_save, sender=Offer, dispatch_uid="matching.offer_saved")
def offer_saved(sender, instance: Offer, raw: bool = False, **kwargs) -> None:
    if not raw:
        services.post_changed("offer", instance.pk, instance.status)


@receiver(match_transitioned, dispatch_uid="matching.rescore_after_match_change")
def rescore_after_match_change(sender, match, target: str, **kwargs) -> None:
    """A match starting or ending changes its offer's free capacity (and its parties'
    exposure): re-score the offer once the transition is committed."""
    if match.offer_id and target in ("agreed", "active", "completed", "declined", "cancelled"):
        services.post_changed("offer", match.offer_id, match.offer.status)
