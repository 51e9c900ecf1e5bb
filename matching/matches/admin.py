"""Admin for matches (with parties and history), the transition log and interest requests.

A match's state is read-only here: it moves only through ``matching.matches.workflow``,
so that every change keeps its history, notifications and permission checks.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from matching.models import (
    InterestRequest,
    Match,
    MatchParty,
    MatchTransition,
)


class MatchPartyInline(admin.TabularInline):
    model = MatchParty
    extra = 0
    autocomplete_fields = ["organization"]
    fields = ["organization", "role", "responsibilities", "response", "responded_at",
              "confirmed_at"]  # fmt: skip
    # Parties, answers, roles and confirmations change only through the workflow (its
    # rules hold here too: a party added or removed, or a role edited, in the admin would
    # skip the parties' confirmation and the history).
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MatchTransitionInline(admin.TabularInline):
    model = MatchTransition
    extra = 0
    can_delete = False
    fields = ["at", "name", "source", "target", "actor", "organization", "comment",
              "override_reason"]  # fmt: skip
    readonly_fields = fields
    ordering = ["at", "pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "state",
        "origin",
        "coordinator",
        "form",
        "response_due_on",
        "starts_on",
        "ends_on",
        "updated_at",
    ]
    list_filter = ["state", "origin", "coordinator", "form"]
    search_fields = ["title", "parties__organization__name", "need__title", "offer__title"]
    list_select_related = ["coordinator", "form"]
    autocomplete_fields = ["need", "offer"]
    date_hierarchy = "created_at"
    inlines = [MatchPartyInline, MatchTransitionInline]
    readonly_fields = [
        "state",
        "score",
        "created_by",
        "created_at",
        "updated_at",
        "introduced_at",
        "agreed_at",
        "started_at",
        "completed_at",
        "closed_at",
        "response_due_on",
        # The agreed terms are the parties' (recorded and confirmed through the workflow).
        "form",
        "starts_on",
        "ends_on",
        "budget_note",
        "terms_revision",
    ]
    fieldsets = (
        (None, {"fields": ("title", "state", "origin", "need", "offer", "score", "coordinator")}),
        (
            _("合意の内容"),
            {"fields": ("form", "starts_on", "ends_on", "budget_note", "terms_revision")},
        ),
        (_("回答・辞退"), {"fields": ("response_due_on", "decline_reason")}),
        (
            _("日時"),
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "updated_at",
                    "introduced_at",
                    "agreed_at",
                    "started_at",
                    "completed_at",
                    "closed_at",
                )
            },
        ),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        # A match is the record the city reports on (history, evaluations, the case book);
        # it ends by cancel/decline in the workflow, and personal data leaves by erasure.
        return False

    def get_search_results(self, request, queryset, search_term):
        queryset, _dup = super().get_search_results(request, queryset, search_term)
        return queryset, True  # searching parties can repeat a match


@admin.register(MatchTransition)
class MatchTransitionAdmin(admin.ModelAdmin):
    list_display = ["match", "name", "source", "target", "actor", "at"]
    list_filter = ["name", "source", "target"]
    search_fields = ["match__title", "comment", "actor__username"]
    list_select_related = ["match", "actor"]
    readonly_fields = [f.name for f in MatchTransition._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history is kept


@admin.register(InterestRequest)
class InterestRequestAdmin(admin.ModelAdmin):
    list_display = ["organization", "need", "offer", "status", "requested_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["organization__name", "need__title", "offer__title", "message"]
    list_select_related = ["organization", "need", "offer", "requested_by"]
    # Requests are sent, accepted, declined and withdrawn through matching.matches.interest
    # (with their notices); the admin only shows them.
    readonly_fields = ["organization", "need", "offer", "message", "status", "requested_by",
                       "handled_by", "handled_at", "match", "created_at"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
