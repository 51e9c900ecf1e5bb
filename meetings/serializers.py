"""Serializers for meetings and their registrations."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lib.dates import MomentField
from meetings import invitations, services
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
    # Moments at the calendar's edge answer 400 under the field (REST framework's own
    # field raises OverflowError there, a 500).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: MomentField,
    }
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


# The largest id a request may name (the database's integer range: a larger number is a
# 400, not an overflow).
MAX_ID = 2**31 - 1


class InviteSerializer(serializers.Serializer):
    """One organization (``organization``) or several at once (``organizations``);
    ``suggested``: picked from the engine's list (saved with its score)."""

    organization = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, label=_("団体")
    )
    organizations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100,
        label=_("団体（複数）"),
    )
    suggested = serializers.BooleanField(
        required=False, default=False, label=_("提案の一覧から招待する")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ids = list(attrs.get("organizations") or [])
        if attrs.get("organization") is not None:
            ids.insert(0, attrs["organization"])
        if not ids:
            raise serializers.ValidationError(
                {"organizations": [invitations.MSG_INVITE_NONE]}, code="required"
            )
        attrs["ids"] = list(dict.fromkeys(ids))
        return attrs


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    meeting = serializers.IntegerField(source="meeting_id", read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    suggested = serializers.BooleanField(read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class InvitationsSerializer(serializers.Serializer):
    """The invitations made by one request (one per organization)."""

    invitations = InvitationSerializer(many=True, read_only=True)


# --- On the day and after (meetings.day: attendance, reports, wishes) ---------------------
class CheckInSerializer(serializers.Serializer):
    people = serializers.IntegerField(
        min_value=1,
        max_value=100000,
        required=False,
        allow_null=True,
        label=_("出席人数"),
        help_text=_("空欄: 申込の人数。"),
    )


class CheckedInSerializer(serializers.Serializer):
    """A registration's check-in, for the organizer."""

    id = serializers.IntegerField(read_only=True)
    meeting = serializers.IntegerField(source="meeting_id", read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    status = serializers.CharField(read_only=True)
    attendees = serializers.IntegerField(read_only=True)
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    attended_people = serializers.IntegerField(read_only=True, allow_null=True)


class QrCheckInSerializer(CheckedInSerializer):
    already_checked_in = serializers.BooleanField(read_only=True)


class MeetingAttendanceRowSerializer(serializers.Serializer):
    registration = serializers.IntegerField(source="registration.pk", read_only=True)
    organization = serializers.IntegerField(source="registration.organization_id", read_only=True)
    organization_name = serializers.CharField(read_only=True)
    attendees = serializers.IntegerField(read_only=True)
    attendee_names = serializers.ListField(child=serializers.CharField(), read_only=True)
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True)
    attended_people = serializers.IntegerField(read_only=True, allow_null=True)


class MeetingAttendanceSerializer(serializers.Serializer):
    """The attendance list (参加者名簿): names are personal data, for the organizer only."""

    meeting = serializers.IntegerField(source="meeting.pk", read_only=True)
    organizations = serializers.IntegerField(read_only=True)
    registered_people = serializers.IntegerField(read_only=True)
    checked_in_organizations = serializers.IntegerField(read_only=True)
    attended_people = serializers.IntegerField(read_only=True)
    rows = MeetingAttendanceRowSerializer(many=True, read_only=True)


class MeetingMinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField(max_length=20000, allow_blank=True, label=_("議事録"))


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    caption = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_url(self, obj) -> str:
        # Served by the API with the report's visibility (MEDIA is not public).
        return f"/api/v1/meetings/{obj.meeting_id}/photos/{obj.pk}/"


class ReportSerializer(serializers.Serializer):
    """The 開催報告: public once published."""

    report = serializers.CharField(max_length=10000, allow_blank=True, label=_("開催報告"))
    publish = serializers.BooleanField(default=False, label=_("公開する"))


class ReportAnswerSerializer(serializers.Serializer):
    report = serializers.CharField(read_only=True)
    report_published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    photos = PhotoSerializer(many=True, read_only=True)


class PhotoUploadSerializer(serializers.Serializer):
    # A plain file: meetings.day.reports decides what is an image (Pillow), its size, its count.
    image = serializers.FileField(label=_("写真"), help_text=_("JPEG・PNG・WebP、5MBまで。"))
    caption = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("説明")
    )


class WishSubmitSerializer(serializers.Serializer):
    organization = serializers.IntegerField(min_value=1, label=_("回答する団体"))
    targets = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=500,
        label=_("もっと話したい団体"),
    )
    message = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, label=_("ひとこと")
    )


class WishSerializer(serializers.Serializer):
    """A wish; ``mutual``: the other organization named this one too; ``outcome`` (in the
    answer to a submission): requested, already_requested, kept or no_open_post."""

    id = serializers.IntegerField(read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    target = serializers.IntegerField(source="target_id", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    message = serializers.CharField(read_only=True)
    interest_request = serializers.IntegerField(
        source="interest_request_id", read_only=True, allow_null=True
    )
    interest_request_status = serializers.SerializerMethodField()
    mutual = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_interest_request_status(self, obj) -> str | None:
        return obj.interest_request.status if obj.interest_request_id else None

    def get_mutual(self, obj) -> bool:
        return (obj.organization_id, obj.target_id) in self.context.get("mutual", set())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_outcome(self, obj) -> str | None:
        return self.context.get("outcomes", {}).get(obj.pk)


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class WishesSerializer(serializers.Serializer):
    """The post-meeting form: whether it is open, until when, whom one may name, and the
    wishes the person may see."""

    open = serializers.BooleanField(read_only=True)
    deadline = serializers.DateTimeField(read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    wishes = WishSerializer(many=True, read_only=True)


# --- Invitations suggested by the engine (meetings.invitations) --------------------------
class SuggestedPostSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["need", "offer"], read_only=True)
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    score = serializers.FloatField(read_only=True)
    via = serializers.CharField(read_only=True, help_text="what it fits, in words")
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class InvitationSuggestionSerializer(serializers.Serializer):
    """One organization to invite: its score (after the fairness discount), its best
    posts, the reasons in words, 「初参加」 for one that never took part."""

    organization = serializers.IntegerField(source="organization.pk", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    organization_kind = serializers.CharField(source="organization.kind", read_only=True)
    organization_kind_label = serializers.CharField(
        source="organization.get_kind_display", read_only=True
    )
    score = serializers.FloatField(read_only=True)
    score_before_fairness = serializers.FloatField(read_only=True)
    first_time = serializers.BooleanField(read_only=True)
    marks = serializers.ListField(child=serializers.CharField(), read_only=True)
    recent_meetings = serializers.IntegerField(read_only=True)
    fairness_discount = serializers.FloatField(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    posts = SuggestedPostSerializer(many=True, read_only=True)


# --- Table groups (meetings.tables) -------------------------------------------------------
class TableSeatSerializer(serializers.Serializer):
    registration = serializers.IntegerField(source="registration_id", read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="name", read_only=True)
    organization_kind = serializers.CharField(source="kind", read_only=True)
    kind_group = serializers.CharField(source="group", read_only=True)
    kind_group_label = serializers.CharField(source="group_label", read_only=True)


class TableSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    seats = TableSeatSerializer(many=True, read_only=True)
    explanation = serializers.ListField(child=serializers.CharField(), read_only=True)
    fit = serializers.FloatField(read_only=True)


class TableSplitSerializer(serializers.Serializer):
    """A split into tables: ``proposed`` true for the engine's proposal (not saved)."""

    proposed = serializers.BooleanField(read_only=True)
    fit = serializers.FloatField(read_only=True)
    same_kind_pairs = serializers.IntegerField(read_only=True)
    tables = TableSerializer(many=True, read_only=True)
    unseated = TableSeatSerializer(many=True, read_only=True)


class TableInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("テーブル名")
    )
    registrations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=1000,
        label=_("参加申込"),
    )


class SaveTablesSerializer(serializers.Serializer):
    tables = TableInputSerializer(many=True, label=_("テーブル"))

    def validate_tables(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not value:
            raise serializers.ValidationError(_("テーブルを一つ以上指定してください。"))
        if len(value) > 200:
            raise serializers.ValidationError(_("テーブルは200までにしてください。"))
        return value
