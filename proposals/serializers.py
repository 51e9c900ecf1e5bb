from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rest_framework import serializers

from lib.errors import ServiceError
from organizations.models import Area, Field, Organization, ResourceKind
from organizations.serializers import CodeField
from proposals.models import CollaborationForm, Need, Offer, Support
from proposals.services import check_post, save_post


class CollaborationFormSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollaborationForm
        fields = ["code", "name", "description"]


class SupportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Support
        fields = ["code", "name"]


class PostSerializer(serializers.ModelSerializer):
    """Shared by needs and offers: the wire format; the rules are the service's."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(is_active=True)
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    organization_kind = serializers.CharField(source="organization.kind", read_only=True)
    fields = CodeField(Field, many=True, required=False)
    areas = CodeField(Area, many=True, required=False)
    forms = CodeField(CollaborationForm, many=True, required=False)
    resources = CodeField(ResourceKind, many=True, required=False)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    common_fields = [
        "id",
        "organization",
        "organization_name",
        "organization_kind",
        "title",
        "description",
        "fields",
        "areas",
        "forms",
        "resources",
        "starts_on",
        "ends_on",
        "status",
        "status_display",
        "author",
        "created_at",
        "updated_at",
    ]

    # The rules (ownership, period, status transition, kind) are proposals.services'; the
    # serializer only parses the wire format and answers a refusal as a field-level 400.
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        post = self.instance if self.instance is not None else self.Meta.model()
        with _as_validation_error():
            return check_post(post, attrs, actor=self.context["request"].user)

    def create(self, validated_data: dict[str, Any]) -> Need | Offer:
        validated_data["author"] = self.context["request"].user
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance: Need | Offer, validated_data: dict[str, Any]) -> Need | Offer:
        return self._save(instance, validated_data)

    def _save(self, post: Need | Offer, data: dict[str, Any]) -> Need | Offer:
        # save_post checks again under a row lock: a change committed since validate()
        # (another request archiving the post) is refused here, as the same 400.
        with _as_validation_error():
            return save_post(post, data, actor=self.context["request"].user)


@contextmanager
def _as_validation_error() -> Iterator[None]:
    """A service's refusal as DRF's 400 with field-level messages, as the API always
    answered (also ``Forbidden`` to post for an organization: a 400 on ``organization``)."""
    try:
        yield
    except ServiceError as exc:
        raise serializers.ValidationError(exc.field_errors()) from exc


class NeedSerializer(PostSerializer):
    poster_supports = CodeField(Support, many=True, required=False)
    kind = serializers.ChoiceField(choices=Need.Kind.choices, required=False)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Need
        fields = [
            *PostSerializer.common_fields,
            "kind",
            "kind_display",
            "poster_supports",
            "poster_support_note",
            "beneficiaries",
            "budget_note",
            "partners_wanted",
        ]


class OfferSerializer(PostSerializer):
    class Meta:
        model = Offer
        fields = [*PostSerializer.common_fields, "capacity"]
