"""Admin for consultations: slots with their bookings, and the bookings themselves.

Seats and statuses change through ``matching.consultations.services`` (so that counters,
calendars and notifications stay right): here the counters and statuses are read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from matching.models import ConsultationBooking, ConsultationSlot


class ConsultationBookingInline(admin.TabularInline):
    model = ConsultationBooking
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["match", "status", "booked_by", "created_at", "cancelled_at", "sequence"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsultationSlot)
class ConsultationSlotAdmin(admin.ModelAdmin):
    list_display = [
        "starts_at",
        "ends_at",
        "place",
        "online_url",
        "coordinator",
        "capacity",
        "booked_count",
        "is_cancelled",
    ]
    list_filter = ["is_cancelled", ("starts_at", admin.DateFieldListFilter), "coordinator"]
    search_fields = ["place", "online_url", "note", "bookings__match__title"]
    date_hierarchy = "starts_at"
    list_select_related = ["coordinator"]
    raw_id_fields = ["coordinator"]
    readonly_fields = ["booked_count", "is_cancelled", "created_at"]
    inlines = [ConsultationBookingInline]
    # Online meeting links are https (and Django 6 assumes so too).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        queryset, _dupes = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(ConsultationBooking)
class ConsultationBookingAdmin(admin.ModelAdmin):
    list_display = ["match", "slot", "status", "booked_by", "created_at", "minutes_recorded"]
    list_filter = ["status", ("slot__starts_at", admin.DateFieldListFilter)]
    search_fields = ["match__title", "slot__place", "minutes"]
    list_select_related = ["match", "slot", "booked_by"]
    raw_id_fields = ["minutes_recorded_by"]
    readonly_fields = [
        "slot",
        "match",
        "status",
        "booked_by",
        "created_at",
        "cancelled_at",
        "uid",
        "sequence",
        "reminded_day_before_at",
        "reminded_hour_before_at",
    ]
    fields = [*readonly_fields[:6], "minutes", "minutes_recorded_by", *readonly_fields[6:]]

    @admin.display(boolean=True, description=_("議事録"))
    def minutes_recorded(self, obj: ConsultationBooking) -> bool:
        return bool(obj.minutes)

    def has_add_permission(self, request) -> bool:
        return False
