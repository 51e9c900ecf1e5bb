"""Serializers for consultation slots, bookings and the calendar feed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lib import dates
from matching.models import ConsultationBooking, ConsultationSlot


class ConsultationSlotSerializer(serializers.ModelSerializer):
    coordinator = serializers.StringRelatedField(read_only=True)
    # A moment at the calendar's edge is a 400, not an OverflowError (lib/dates.py).
    starts_at = dates.MomentField()
    ends_at = dates.MomentField()
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = ConsultationSlot
        fields = [
            "id",
            "coordinator",
            "starts_at",
            "ends_at",
            "place",
            "online_url",
            "capacity",
            "booked_count",
            "seats_left",
            "note",
            "is_cancelled",
            "created_at",
        ]
        read_only_fields = ["booked_count", "is_cancelled", "created_at"]


class BookSlotSerializer(serializers.Serializer):
    match = serializers.IntegerField(min_value=1, label=_("マッチ"))


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, label=_("理由")
    )


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, label=_("新しいコマ"))


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField(max_length=20000, label=_("議事録"))


class AttendanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (ConsultationBooking.Status.HELD, _("実施済み")),
            (ConsultationBooking.Status.NO_SHOW, _("欠席")),
        ],
        label=_("出欠"),
    )


class ConsultationBookingSerializer(serializers.ModelSerializer):
    slot = ConsultationSlotSerializer(read_only=True)
    match_title = serializers.CharField(source="match.title", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    booked_by = serializers.StringRelatedField(read_only=True)
    minutes_recorded_by = serializers.StringRelatedField(read_only=True)
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = ConsultationBooking
        fields = [
            "id",
            "slot",
            "match",
            "match_title",
            "status",
            "status_display",
            "booked_by",
            "created_at",
            "cancelled_at",
            "minutes",
            "minutes_recorded_by",
            "sequence",
            "ics_url",
        ]
        read_only_fields = fields

    def get_ics_url(self, obj: ConsultationBooking) -> str:
        return f"/api/v1/consultations/{obj.pk}/ics/"


class SlotUsageSerializer(serializers.Serializer):
    """The KPI: seats offered vs booked (Sagamihara: 38 of 252)."""

    slots = serializers.IntegerField()
    offered = serializers.IntegerField()
    booked = serializers.IntegerField()
    held = serializers.IntegerField()
    no_show = serializers.IntegerField()
    cancelled_slots = serializers.IntegerField()
    usage_rate = serializers.FloatField(allow_null=True)
    no_show_rate = serializers.FloatField(allow_null=True)


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField()
    created_at = serializers.DateTimeField()
