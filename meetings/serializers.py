"""Serializers for meetings and their registrations."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetings import services
from meetings.models import Meeting, Registration
from organizations.models import Area, Field, Organization
from proposals.models import Need, Offer


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration. ``attendee_names`` only for the organizer and coordinators (null
    for everyone else)."""

    organization_name = serializers.CharField(source="organization.name", read_only=True)
    waitlist_position = serializers.SerializerMethodField()
    attendee_names = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "meeting",
            "organization",
            "organization_name",
            "attendees",
            "attendee_names",
            "status",
            "waitlist_position",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_waitlist_position(self, obj: Registration) -> int | None:
        return services.waitlist_position(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_attendee_names(self, obj: Registration) -> list[str] | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if services.may_see_names(user, obj.meeting):
            return list(obj.attendee_names)
        return None


class MeetingSerializer(serializers.ModelSerializer):
    organizer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(is_active=True),
        allow_null=True,
        required=False,
        label=_("主催団体"),
    )
    organizer_name = serializers.CharField(source="organizer.name", read_only=True, default="")
    fields = serializers.SlugRelatedField(
        slug_field="code", queryset=Field.objects.all(), many=True, required=False
    )
    areas = serializers.SlugRelatedField(
        slug_field="code", queryset=Area.objects.all(), many=True, required=False
    )
    needs = serializers.PrimaryKeyRelatedField(
        queryset=Need.objects.all(), many=True, required=False
    )
    offers = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.all(), many=True, required=False
    )
    seats_left = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "organizer",
            "organizer_name",
            "title",
            "description",
            "fields",
            "areas",
            "needs",
            "offers",
            "venue_name",
            "venue_address",
            "is_public_facility",
            "online_url",
            "starts_at",
            "ends_at",
            "registration_deadline",
            "capacity",
            "seats_left",
            "registration_mode",
            "barrier_free",
            "sign_language",
            "childcare",
            "accessibility_note",
            "status",
            "published_at",
            "cancelled_at",
            "created_at",
        ]
        read_only_fields = ["status", "published_at", "cancelled_at", "created_at"]
        extra_kwargs = {"capacity": {"min_value": 1, "max_value": 100000}}

    def get_seats_left(self, obj: Meeting) -> int:
        return services.seats_left(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The model's CHECK constraints are the service's rules: leave them to it (its
        # messages are per field), not to DRF's generic "constraint violated".
        return attrs

    def get_validators(self) -> list:
        return []


class MeetingDetailSerializer(MeetingSerializer):
    """One meeting, with the registrations the user may see: all of them (with names) for
    the organizer and coordinators, the user's own organizations' otherwise."""

    registrations = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "registrations"]

    @extend_schema_field(RegistrationSerializer(many=True))
    def get_registrations(self, obj: Meeting) -> list[dict]:
        user = getattr(self.context.get("request"), "user", None)
        queryset = obj.registrations.select_related("organization", "meeting")
        if not services.is_organizer(user, obj):
            if not (user and user.is_authenticated):
                return []
            queryset = queryset.filter(organization_id__in=user.organization_ids())
        return RegistrationSerializer(queryset, many=True, context=self.context).data


class RegisterSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, label=_("団体"))
    attendees = serializers.IntegerField(min_value=1, max_value=100000, label=_("参加人数"))
    attendee_names = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True),
        required=False,
        max_length=1000,
        label=_("参加者の氏名"),
    )


class CancelMeetingSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, label=_("理由")
    )


class InviteSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, label=_("団体"))


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    meeting = serializers.IntegerField(source="meeting_id", read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
