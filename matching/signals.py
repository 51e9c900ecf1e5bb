"""Matching listens to proposals (proposals never imports matching)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from proposals.models import Need, Offer

from . import services


@receiver(post_save, sender=Need, dispatch_uid="matching.need_saved")
def need_saved(sender, instance: Need, raw: bool = False, **kwargs) -> None:
    if not raw:
        services.post_changed("need", instance.pk, instance.status)


@receiver(post_save, sender=Offer, dispatch_uid="matching.offer_saved")
def offer_saved(sender, instance: Offer, raw: bool = False, **kwargs) -> None:
    if not raw:
        services.post_changed("offer", instance.pk, instance.status)


# Sent by matching.workflow after every successful match transition (inside its
# transaction): receivers schedule what follows (follow-ups, cancelled bookings, …).
# kwargs: match, name (transition), source, target, actor, comment.
match_transitioned = Signal()
