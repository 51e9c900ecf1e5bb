"""Serializers of the matches API: interest requests, matches (with parties, contacts
and history) and the bodies of transitions, answers and added parties.

They validate the shape of requests (400, field by field); the rules that depend on the
state of things live in ``matching.matches.workflow`` and ``matching.matches.interest``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.matches import history, workflow
from matching.matches.permissions import can_see_party_contacts
from matching.models import (
    InterestRequest,
    Match,
    MatchParty,
    MatchTransition,
)
from organizations.models import Organization
from organizations.privacy import log_personal_data_access
from organizations.serializers import PRIVATE_FIELDS
from proposals.models import CollaborationForm, Need, Offer


class InterestRequestSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(is_active=True), required=False
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    need = serializers.PrimaryKeyRelatedField(
        queryset=Need.objects.select_related("organization"), required=False, allow_null=True
    )
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.select_related("organization"), required=False, allow_null=True
    )
    post_title = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    handled_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = InterestRequest
        fields = [
            "id",
            "organization",
            "organization_name",
            "need",
            "offer",
            "post_title",
            "message",
            "status",
            "status_display",
            "requested_by",
            "handled_by",
            "handled_at",
            "handling_comment",
            "match",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "requested_by",
            "handled_by",
            "handled_at",
            "handling_comment",
            "match",
            "created_at",
        ]
        # The one-pending-request rule is checked by the service (a clear message on the
        # post's field); the constraint-derived validator would make the fields required.
        validators: list = []

    def get_post_title(self, obj: InterestRequest) -> str:
        return obj.post.title if obj.post else ""

    def validate(self, attrs):
        if (attrs.get("need") is None) == (attrs.get("offer") is None):
            raise serializers.ValidationError(_("ニーズかシーズのどちらか一つを指定してください。"))
        user = self.context["request"].user
        if attrs.get("organization") is None:
            ids = sorted(user.organization_ids())
            if len(ids) != 1:
                raise serializers.ValidationError(
                    {"organization": _("依頼する団体を指定してください。")}
                )
            attrs["organization"] = Organization.objects.get(pk=ids[0])
        return attrs


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PartySerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    organization_kind = serializers.CharField(source="organization.kind", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    response_display = serializers.CharField(source="get_response_display", read_only=True)
    contact = serializers.SerializerMethodField()

    class Meta:
        model = MatchParty
        fields = [
            "id",
            "organization",
            "organization_name",
            "organization_kind",
            "role",
            "role_display",
            "responsibilities",
            "response",
            "response_display",
            "responded_at",
            "confirmed_at",
            "contact",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {name: {"type": "string"} for name in PRIVATE_FIELDS},
        }
    )
    def get_contact(self, party: MatchParty) -> dict | None:
        """Contact details: the party's own members always; the other parties from
        ``introduced`` on; coordinators always; nobody else."""
        user = getattr(self.context.get("request"), "user", None)
        own = bool(user and user.is_authenticated and user.is_member_of(party.organization_id))
        if not (own or can_see_party_contacts(user, party.match)):
            return None
        request = self.context.get("request")
        log_personal_data_access(
            user,
            [party.organization],
            via="api:match",
            request=request,
            record=f"match:{party.match_id}",
        )
        return {name: getattr(party.organization, name) for name in PRIVATE_FIELDS}


class TransitionSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    organization_name = serializers.CharField(
        source="organization.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = MatchTransition
        fields = [
            "id",
            "name",
            "label",
            "description",
            "source",
            "target",
            "actor",
            "organization",
            "organization_name",
            "comment",
            "override_reason",
            "at",
        ]

    def get_label(self, obj: MatchTransition) -> str:
        return str(workflow.ACTION_LABELS.get(obj.name, obj.name))

    def get_description(self, obj: MatchTransition) -> str:
        """The event in words (「○○が合意内容を確認」)."""
        return history.describe(obj)

    def get_actor(self, obj: MatchTransition) -> str | None:
        return str(obj.actor) if obj.actor else None


class MatchSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    origin_display = serializers.CharField(source="get_origin_display", read_only=True)
    coordinator = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    form = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    parties = serializers.SerializerMethodField()
    contacts_revealed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "title",
            "state",
            "state_display",
            "origin",
            "origin_display",
            "need",
            "offer",
            "score",
            "coordinator",
            "form",
            "starts_on",
            "ends_on",
            "budget_note",
            "terms_revision",
            "response_due_on",
            "decline_reason",
            "contacts_revealed",
            "parties",
            "created_at",
            "updated_at",
            "introduced_at",
            "agreed_at",
            "started_at",
            "completed_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, match: Match) -> list[dict]:
        parties = match.parties.all()
        for party in parties:
            party.match = match  # the contact rule asks the match, not a fresh copy
        return PartySerializer(parties, many=True, context=self.context).data


class MatchDetailSerializer(MatchSerializer):
    history = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(MatchSerializer.Meta):
        fields = [*MatchSerializer.Meta.fields, "history", "available_actions"]
        read_only_fields = fields

    @extend_schema_field(TransitionSerializer(many=True))
    def get_history(self, match: Match) -> list[dict]:
        return TransitionSerializer(workflow.history(match), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, match: Match) -> list[str]:
        return workflow.available_actions(self.context["request"].user, match)


class PartyInputSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(is_active=True)
    )
    role = serializers.ChoiceField(choices=MatchParty.Role.choices, required=False)
    responsibilities = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class MatchCreateSerializer(serializers.Serializer):
    """A match a coordinator puts together directly (e.g. NPO + 町内会 + school)."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    need = serializers.PrimaryKeyRelatedField(
        queryset=Need.objects.select_related("organization"), required=False, allow_null=True
    )
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.select_related("organization"), required=False, allow_null=True
    )
    parties = PartyInputSerializer(many=True, min_length=2, max_length=20)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AddPartySerializer(PartyInputSerializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResponsibilitySerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    responsibilities = serializers.CharField(max_length=2000)


class TransitionRequestSerializer(serializers.Serializer):
    """``action`` and what it needs: ``agree`` takes the terms; ``decline`` and ``cancel``
    a reason; ``decline`` the organization that declines (when not obvious)."""

    action = serializers.ChoiceField(choices=[(a, a) for a in workflow.TRANSITIONS])
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    organization = serializers.IntegerField(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    form = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CollaborationForm.objects.all(),
        required=False,
        allow_null=True,
    )
    responsibilities = ResponsibilitySerializer(many=True, required=False)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    budget_note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    override_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("activate / complete: 開始日より前に進めるときのコーディネーターの理由"),
    )


class ConfirmTermsSerializer(serializers.Serializer):
    """A party confirms the recorded terms. ``revision``: the version the person saw
    (``terms_revision``); a newer one answers 409."""

    organization = serializers.IntegerField(required=False)
    revision = serializers.IntegerField(required=False, min_value=1)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RespondSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    organization = serializers.IntegerField(required=False)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
