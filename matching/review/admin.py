"""Admin for the review queue's data: review decisions (their fingerprints and resulting
match read-only) and the rejection reasons coordinators pick from (editable).
"""

from __future__ import annotations

from django.contrib import admin

from matching.models import (
    RejectionReason,
    ReviewDecision,
)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["need", "offer", "decision", "reason", "score", "decided_by", "decided_at"]
    list_filter = ["decision", "reason"]
    search_fields = ["need__title", "offer__title", "offer__organization__name", "comment"]
    list_select_related = ["need", "offer", "reason", "decided_by"]
    autocomplete_fields = ["need", "offer"]
    readonly_fields = ["need_fingerprint", "offer_fingerprint", "match", "decided_by", "decided_at"]


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]
