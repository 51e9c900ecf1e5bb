"""Serializers of the scoring API: suggestions (with their score breakdown) and full
re-score runs."""

from __future__ import annotations

from rest_framework import serializers

from matching.models import RescoreRun, Suggestion


class ComponentSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    weight = serializers.FloatField()
    contribution = serializers.FloatField()


class SuggestionSerializer(serializers.ModelSerializer):
    need_title = serializers.CharField(source="need.title", read_only=True)
    offer_title = serializers.CharField(source="offer.title", read_only=True)
    need_organization = serializers.CharField(source="need.organization.name", read_only=True)
    offer_organization = serializers.CharField(source="offer.organization.name", read_only=True)
    components = ComponentSerializer(many=True, read_only=True)
    breakdown = serializers.SerializerMethodField()
    rank = serializers.IntegerField(read_only=True)

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "rank",
            "need",
            "need_title",
            "need_organization",
            "offer",
            "offer_title",
            "offer_organization",
            "score",
            "breakdown",
            "components",
            "reasons",
            "weaknesses",
            "engine_version",
            "profile_name",
            "weights",
            "computed_at",
        ]

    def get_breakdown(self, obj: Suggestion) -> dict[str, float]:
        return obj.breakdown()


class RescoreRunSerializer(serializers.ModelSerializer):
    percent_done = serializers.IntegerField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = RescoreRun
        fields = [
            "id",
            "status",
            "status_display",
            "percent_done",
            "total_chunks",
            "done_chunks",
            "needs_total",
            "suggestions_written",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
