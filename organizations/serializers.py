from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from legal import services as legal_services
from lib.errors import ServiceError
from organizations.models import Area, Field, Membership, Organization, ResourceKind, User
from organizations.permissions import can_see_private_details
from organizations.privacy import log_personal_data_access, needs_access_log
from organizations.services import check_kind

PRIVATE_FIELDS = ("contact_name", "contact_email", "contact_phone", "address")


class CodeField(serializers.SlugRelatedField):
    """A many-to-many of reference data, written and read as codes ("environment")."""

    default_error_messages = {
        "does_not_exist": _("「{value}」は登録されていないコードです。"),
        "invalid": _("コードは文字列で指定してください。"),
    }

    def __init__(self, model, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name", "short_name"]


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent"]


class ResourceKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResourceKind
        fields = ["code", "name"]


class OrganizationSerializer(serializers.ModelSerializer):
    """Public fields always; contact details only for members and coordinators."""

    fields = CodeField(Field, many=True, required=False)
    areas = CodeField(Area, many=True, required=False)
    resources = CodeField(ResourceKind, many=True, required=False)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "name_kana",
            "kind",
            "kind_display",
            "npo_status",
            "description",
            "fields",
            "areas",
            "resources",
            "website",
            *PRIVATE_FIELDS,
            "activity_checked_on",
            "is_active",
            "is_verified",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_verified", "created_at", "updated_at"]
        extra_kwargs = {name: {"required": False} for name in PRIVATE_FIELDS}

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("団体名を入力してください。"))
        return value.strip()

    def validate(self, attrs):
        if "kind" in attrs:
            # Only coordinators set or change a kind (organizations.services.check_kind):
            # refused as a 400 on ``kind``, like the posts API's refusals.
            request = self.context.get("request")
            try:
                check_kind(self.instance, attrs["kind"], actor=getattr(request, "user", None))
            except ServiceError as exc:
                raise serializers.ValidationError(exc.field_errors()) from exc
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        npo_status = attrs.get("npo_status", getattr(self.instance, "npo_status", ""))
        if npo_status and kind != Organization.Kind.NPO_CORPORATION:
            raise serializers.ValidationError(
                {"npo_status": _("認証・認定・指定はNPO法人にのみ設定できます。")}
            )
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not can_see_private_details(user, instance):
            for name in PRIVATE_FIELDS:
                data.pop(name, None)
        elif needs_access_log(user, instance.pk):
            view = self.context.get("view")
            via = f"api:organization-{getattr(view, 'action', None) or 'detail'}"
            log_personal_data_access(user, [instance], via=via, request=request)
        return data

    @transaction.atomic
    def create(self, validated_data):
        request = self.context["request"]
        user = request.user
        # A coordinator registering a group vouches for it; a self-registered group waits
        # for a coordinator's verification.
        validated_data["is_verified"] = bool(user.can_coordinate)
        organization = super().create(validated_data)
        Membership.objects.create(user=user, organization=organization, role="admin")
        return organization

    @transaction.atomic
    def update(self, instance, validated_data):
        # A change of kind re-checks the organization's posts in the same transaction.
        return super().update(instance, validated_data)


class MembershipSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    organization_kind = serializers.CharField(source="organization.kind", read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "organization_name", "organization_kind", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    consent_required = serializers.SerializerMethodField(
        help_text=(
            "True when new terms or a new privacy policy wait for your consent: read them and "
            "agree at /api/v1/legal/consents/ (the web pages ask before anything else)."
        )
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "language",
            "memberships",
            "roles",
            "consent_required",
        ]
        read_only_fields = ["id", "username", "memberships", "roles", "consent_required"]

    def get_consent_required(self, user: User) -> bool:
        return legal_services.consent_required(user)

    def get_roles(self, user: User) -> list[str]:
        roles = []
        if user.memberships.exists():
            roles.append("organization_member")
        if user.is_department_staff:
            roles.append("department_staff")
        if user.is_coordinator:
            roles.append("coordinator")
        if user.is_superuser:
            roles.append("platform_admin")
        return roles
