"""The receivers of scoring: what re-scores a post, and what makes the indexes stale.

- A saved need or offer is re-scored (``services.post_changed``); a match that starts or
  ends re-scores its offer (its free capacity changed).
- Every change to what the engine indexes bumps that side's generation
  (``matching.scoring.generation``) in the change's own transaction, naming the posts it
  changed: posts and their fields, areas and forms; organizations (whether their posts are
  open: all their posts); matches (an offer's running collaborations: that offer). Areas
  change the trees every post is placed in: the whole of both sides.

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


def _post_changed(sender, instance, **kwargs) -> None:
    generation.bump_posts(_SIDE_OF[sender], [instance.pk])


# A post's fields, areas and forms (the many-to-many tables the engine reads).
_SIDE_OF_TABLE = {
    getattr(model, name).through: side
    for model, side in _SIDE_OF.items()
    for name in ("fields", "areas", "forms")
}


def _post_tags_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    side = _SIDE_OF_TABLE[sender]
    if not reverse:  # post.areas.add(...): the post changed
        generation.bump_posts(side, [instance.pk])
    elif pk_set is not None:  # area.needs.add(...): these posts changed
        generation.bump_posts(side, pk_set)
    else:  # area.needs.clear(): which posts is no longer known
        generation.bump(side)


def _organization_changed(sender, instance: Organization, **kwargs) -> None:
    """Whether an organization's posts are open (verified, active) and its kind: all its
    posts changed."""
    generation.bump_posts(
        "need", Need.objects.filter(organization=instance).values_list("pk", flat=True)
    )
    generation.bump_posts(
        "offer", Offer.objects.filter(organization=instance).values_list("pk", flat=True)
    )


def _areas_changed(sender, **kwargs) -> None:
    generation.bump()


def _offer_capacity_changed(sender, instance: Match, **kwargs) -> None:
    if instance.offer_id:
        generation.bump_posts("offer", [instance.offer_id])


for _model in (Need, Offer):
    post_save.connect(_post_changed, sender=_model, dispatch_uid=f"matching.gen.{_model.__name__}")
    post_delete.connect(
        _post_changed, sender=_model, dispatch_uid=f"matching.gen.del.{_model.__name__}"
    )
for _table in _SIDE_OF_TABLE:
    m2m_changed.connect(
        _post_tags_changed, sender=_table, dispatch_uid=f"matching.gen.{_table.__name__}"
    )
for _model, _receiver in (
    (Organization, _organization_changed),
    (Area, _areas_changed),
    (Match, _offer_capacity_changed),
):
    post_save.connect(_receiver, sender=_model, dispatch_uid=f"matching.gen.{_model.__name__}")
    post_delete.connect(
        _receiver, sender=_model, dispatch_uid=f"matching.gen.del.{_model.__name__}"
    )
