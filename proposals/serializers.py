from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from organizations.models import Area, Field, Organization, ResourceKind
from organizations.permissions import can_post_for
from organizations.serializers import CodeField
from proposals.models import CollaborationForm, Need, Offer, Support
from proposals.services import save_post


class CollaborationFormSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollaborationForm
        fields = ["code", "name", "description"]


class SupportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Support
        fields = ["code", "name"]


class PostSerializer(serializers.ModelSerializer):
    """Shared by needs and offers: validation of ownership, period and status."""

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

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("タイトルを入力してください。"))
        return value.strip()

    def validate_description(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("内容を入力してください。"))
        return value.strip()

    def validate_organization(self, organization: Organization) -> Organization:
        if self.instance is not None and organization.pk != self.instance.organization_id:
            raise serializers.ValidationError(_("投稿団体は変更できません。"))
        user = self.context["request"].user
        if not can_post_for(user, organization):
            raise serializers.ValidationError(_("この団体の名前で投稿する権限がありません。"))
        return organization

    def validate_status(self, value: str) -> str:
        if self.instance is not None and not self.instance.can_change_status_to(value):
            raise serializers.ValidationError(
                _("「%(old)s」から「%(new)s」には変更できません。")
                % {
                    "old": self.instance.get_status_display(),
                    "new": dict(self.fields["status"].choices)[value],
                }
            )
        return value

    def validate(self, attrs):
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError(
                {"ends_on": _("終了日は開始日以降の日付にしてください。")}
            )
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        validated_data["author"] = self.context["request"].user
        return save_post(self.Meta.model(), validated_data)

    @transaction.atomic
    def update(self, instance, validated_data):
        return save_post(instance, validated_data)


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
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        organization = attrs.get("organization", getattr(self.instance, "organization", None))
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        if organization is not None and not kind:
            attrs["kind"] = kind = Need.default_kind_for(organization)
        if (
            kind == Need.Kind.ADMINISTRATIVE
            and organization is not None
            and organization.kind != Organization.Kind.CITY_DEPARTMENT
        ):
            raise serializers.ValidationError({"kind": _("行政提案は市の部署だけが投稿できます。")})
        return attrs


class OfferSerializer(PostSerializer):
    class Meta:
        model = Offer
        fields = [*PostSerializer.common_fields, "capacity"]
