"""Serializers of the review API: the queue (items and filters), decisions on suggested
pairs and the rejection reasons.

They validate the shape of requests (400, field by field); the rules that depend on the
state of things live in ``matching.review.services``.
"""

from __future__ import annotations

from rest_framework import serializers

from matching.models import (
    RejectionReason,
    ReviewDecision,
)
from matching.scoring.serializers import SuggestionSerializer
from proposals.models import Need, Offer


class ReviewQueueItemSerializer(SuggestionSerializer):
    need_organization_id = serializers.IntegerField(source="need.organization_id", read_only=True)
    offer_organization_id = serializers.IntegerField(source="offer.organization_id", read_only=True)

    class Meta(SuggestionSerializer.Meta):
        fields = [f for f in SuggestionSerializer.Meta.fields if f != "rank"] + [
            "need_organization_id",
            "offer_organization_id",
        ]


class ReviewQueueQuerySerializer(serializers.Serializer):
    min_score = serializers.FloatField(required=False, min_value=0, max_value=1)
    field = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    area = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    department = serializers.ListField(child=serializers.IntegerField(), required=False)
    form = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class RejectionReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectionReason
        fields = ["code", "label", "order"]


class DecisionItemSerializer(serializers.Serializer):
    need = serializers.PrimaryKeyRelatedField(queryset=Need.objects.select_related("organization"))
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.select_related("organization")
    )
    decision = serializers.ChoiceField(choices=ReviewDecision.Decision.choices)
    reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=RejectionReason.objects.all(),
        required=False,
        allow_null=True,
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    deferred_until = serializers.DateField(required=False, allow_null=True)


class DecideSerializer(serializers.Serializer):
    """Several decisions at once (all or none); a single decision may also be sent as one
    object without ``items``."""

    items = DecisionItemSerializer(many=True, allow_empty=False, max_length=200)


class DecisionResultSerializer(serializers.Serializer):
    need = serializers.IntegerField(source="item.need.pk")
    offer = serializers.IntegerField(source="item.offer.pk")
    decision = serializers.CharField(source="item.decision")
    review = serializers.IntegerField(source="review.pk")
    match = serializers.IntegerField(source="match.pk", allow_null=True, default=None)
