"""Match rounds in the admin: read-only records of what each round proposed (start one
from the coordinators' page or the API)."""

from __future__ import annotations

from django.contrib import admin

from matching.models import MatchRound, RoundNeed, RoundPair


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RoundPairInline(admin.TabularInline):
    model = RoundPair
    fields = ["need", "offer", "score", "rank", "reason", "first_choice", "first_choice_score"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MatchRound)
class MatchRoundAdmin(_ReadOnly):
    list_display = [
        "pk",
        "status",
        "created_at",
        "requested_by",
        "needs_total",
        "needs_served",
        "pairs_proposed",
        "total_score",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in MatchRound._meta.fields]
    inlines = [RoundPairInline]


@admin.register(RoundNeed)
class RoundNeedAdmin(_ReadOnly):
    list_display = ["round", "need", "wanted", "assigned", "outcome", "reason"]
    list_filter = ["outcome", "reason"]
    raw_id_fields = ["need"]
    readonly_fields = [f.name for f in RoundNeed._meta.fields]
