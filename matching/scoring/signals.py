"""The receivers of scoring: what re-scores a post, and what makes the indexes stale.

- A saved need or offer is re-scored (``services.post_changed``); a match that starts or
  ends re-scores its offer (its free capacity changed).
- Every change to what the engine indexes bumps that side's generation
  (``matching.scoring.generation``) in the change's own transaction: posts and their
  fields, areas and forms; organizations (whether their posts are open); areas (the
  trees); matches (an offer's running collaborations).

Matching listens to proposals and organizations (they never import matching). Registered
in ``MatchingConfig.ready``."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from matching.matches.signals import match_transitioned
from matching.models import Match
from matching.scoring import generation, services
from organizations.models import Area, Organization
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


# --------------------------------------------------------------------------- generations
_SIDE_OF = {Need: "need", Offer: "offer"}


def _post_changed(sender, **kwargs) -> None:
    generation.bump(_SIDE_OF[sender])


# A post's fields, areas and forms (the many-to-many tables the engine reads).
_SIDE_OF_TABLE = {
    getattr(model, name).through: side
    for model, side in _SIDE_OF.items()
    for name in ("fields", "areas", "forms")
}


def _post_tags_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        generation.bump(_SIDE_OF_TABLE[sender])


def _both_sides_changed(sender, **kwargs) -> None:
    generation.bump()


def _offers_changed(sender, **kwargs) -> None:
    generation.bump("offer")


for _model in (Need, Offer):
    post_save.connect(_post_changed, sender=_model, dispatch_uid=f"matching.gen.{_model.__name__}")
    post_delete.connect(
        _post_changed, sender=_model, dispatch_uid=f"matching.gen.del.{_model.__name__}"
    )
for _table in _SIDE_OF_TABLE:
    m2m_changed.connect(
        _post_tags_changed, sender=_table, dispatch_uid=f"matching.gen.{_table.__name__}"
    )
for _model in (Organization, Area):
    post_save.connect(
        _both_sides_changed, sender=_model, dispatch_uid=f"matching.gen.{_model.__name__}"
    )
    post_delete.connect(
        _both_sides_changed, sender=_model, dispatch_uid=f"matching.gen.del.{_model.__name__}"
    )
post_save.connect(_offers_changed, sender=Match, dispatch_uid="matching.gen.Match")
post_delete.connect(_offers_changed, sender=Match, dispatch_uid="matching.gen.del.Match")
