"""Serializers of the match rounds API: a round with its progress and figures, and, when
it is done, its pairs and needs with their explanations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.models import MatchRound
from matching.rounds import results


class MatchRoundSerializer(serializers.ModelSerializer):
    percent_done = serializers.IntegerField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    phase_display = serializers.CharField(source="get_phase_display", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = MatchRound
        fields = [
            "id",
            "status",
            "status_display",
            "phase",
            "phase_display",
            "percent_done",
            "needs_total",
            "needs_ranked",
            "needs_served",
            "needs_unserved",
            "pairs_proposed",
            "total_score",
            "candidates_per_need",
            "min_score",
            "fairness",
            "summary",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RoundPairSerializer(serializers.Serializer):
    need = serializers.IntegerField(source="pair.need_id")
    offer = serializers.IntegerField(source="pair.offer_id")
    offer_title = serializers.CharField(source="pair.offer.title")
    offer_organization = serializers.CharField(source="pair.offer.organization.name")
    score = serializers.FloatField(source="pair.score")
    rank = serializers.IntegerField(source="pair.rank", help_text="ニーズの候補での順位")
    reason = serializers.CharField(
        source="pair.reason", help_text="first_choice | capacity | fairness | full"
    )
    first_choice = serializers.IntegerField(source="pair.first_choice_id", allow_null=True)
    first_choice_score = serializers.FloatField(source="pair.first_choice_score", allow_null=True)
    explanation = serializers.CharField()
    reasons = serializers.ListField(source="pair.reasons", child=serializers.CharField())


class RoundNeedSerializer(serializers.Serializer):
    need = serializers.IntegerField(source="outcome.need_id")
    need_title = serializers.CharField(source="outcome.need.title")
    need_organization = serializers.CharField(source="outcome.need.organization.name")
    wanted = serializers.IntegerField(source="outcome.wanted")
    assigned = serializers.IntegerField(source="outcome.assigned")
    candidates = serializers.IntegerField(source="outcome.candidates")
    outcome = serializers.CharField(
        source="outcome.outcome", help_text="served | partial | unserved"
    )
    reason = serializers.CharField(
        source="outcome.reason", help_text="no_candidate | full | taken | fairness（未充足のとき）"
    )
    explanation = serializers.CharField()
    pairs = RoundPairSerializer(many=True)


class MatchRoundDetailSerializer(MatchRoundSerializer):
    needs = serializers.SerializerMethodField()

    class Meta(MatchRoundSerializer.Meta):
        fields = [*MatchRoundSerializer.Meta.fields, "needs"]
        read_only_fields = fields

    @extend_schema_field(RoundNeedSerializer(many=True))
    def get_needs(self, obj: MatchRound) -> list[dict]:
        if obj.status != MatchRound.Status.DONE:
            return []
        return RoundNeedSerializer(results.need_rows(obj), many=True).data
