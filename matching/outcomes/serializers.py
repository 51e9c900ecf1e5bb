"""Serializers for evaluations, continuation follow-ups and the continuation rate."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from matching.models import ContinuationFollowUp, Evaluation
from organizations.models import Organization

GRADE_ERROR = _("評価はA・B・C・Dのいずれかで選んでください。")
ANSWER_ERROR = _("回答は「継続している」「形を変えて継続している」「終了した」から選んでください。")


class EvaluationSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(
        source="organization.name", read_only=True, default=None
    )
    grade_label = serializers.CharField(source="get_grade_display", read_only=True)
    evaluator_label = serializers.CharField(source="get_evaluator_display", read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "match",
            "evaluator",
            "evaluator_label",
            "organization",
            "organization_name",
            "grade",
            "grade_label",
            "effects",
            "problems",
            "next_steps",
            "publish_consent",
            "submitted_at",
        ]
        read_only_fields = fields


class EvaluationInputSerializer(serializers.Serializer):
    """POST body. ``organization``: the party evaluating (id); ``null`` for the
    coordinator's evaluation; omitted: the user's only party organization, or the
    coordinator's evaluation for a coordinator who belongs to no party."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), allow_null=True, required=False
    )
    grade = serializers.ChoiceField(
        choices=Evaluation.Grade.choices,
        error_messages={"invalid_choice": GRADE_ERROR, "required": GRADE_ERROR},
    )
    effects = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    problems = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    next_steps = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    publish_consent = serializers.BooleanField(required=False, default=False)


class FollowUpSerializer(serializers.ModelSerializer):
    match_title = serializers.CharField(source="match.title", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    answer_label = serializers.CharField(source="get_answer_display", read_only=True)

    class Meta:
        model = ContinuationFollowUp
        fields = [
            "id",
            "match",
            "match_title",
            "organization",
            "organization_name",
            "months",
            "due_on",
            "sent_at",
            "reminded_at",
            "answer",
            "answer_label",
            "reason",
            "answered_at",
        ]
        read_only_fields = fields


class FollowUpAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(
        choices=ContinuationFollowUp.Answer.choices,
        error_messages={"invalid_choice": ANSWER_ERROR, "required": ANSWER_ERROR},
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ContinuationRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    answered = serializers.IntegerField()
    continued = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class ContinuationRateSerializer(serializers.Serializer):
    """The continuation-rate report: rows by ``by``, and the total (null with no answer)."""

    by = serializers.CharField()
    months = serializers.IntegerField()
    rows = ContinuationRowSerializer(many=True)
    total = ContinuationRowSerializer(allow_null=True)


class AwaitedOrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MatchEvaluationsSerializer(serializers.Serializer):
    """GET /matches/{id}/evaluations/: the evaluations one may see, and who is awaited."""

    match = serializers.IntegerField()
    state = serializers.CharField()
    evaluations = EvaluationSerializer(many=True)
    awaiting = AwaitedOrganizationSerializer(many=True)
    awaiting_coordinator = serializers.BooleanField()


class PublicationActionSerializer(serializers.Serializer):
    """POST /matches/{id}/publication/: ``consent`` or ``revoke`` (a party's members;
    ``organization`` when they act for one of several), ``approve`` with ``text`` or
    ``withdraw`` (coordinators)."""

    action = serializers.ChoiceField(choices=["consent", "revoke", "approve", "withdraw"])
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False
    )
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PartyConsentSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    organization_name = serializers.CharField()
    consented = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)


class PublicationSerializer(serializers.Serializer):
    """A match's publication in the case book: each party's consent, the text and its
    approval, and whether it is public now."""

    match = serializers.IntegerField()
    parties = PartyConsentSerializer(many=True)
    text = serializers.CharField(allow_blank=True)
    approved = serializers.BooleanField()
    approved_at = serializers.DateTimeField(allow_null=True)
    public = serializers.BooleanField()
