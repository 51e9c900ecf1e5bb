"""Admin for evaluations and continuation follow-ups (registered from
``MatchingConfig.ready``)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from matching.models import (
    CasePublication,
    ContinuationFollowUp,
    Evaluation,
    PublicationConsent,
)


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["match", "evaluator", "organization", "grade", "publish_consent",
                    "submitted_by", "submitted_at"]  # fmt: skip
    list_filter = ["grade", "evaluator", "publish_consent", "match__form"]
    search_fields = ["match__title", "organization__name", "effects", "problems", "next_steps"]
    list_select_related = ["match", "organization", "submitted_by"]
    # Grades are given through ``evaluations.record_evaluation`` (the match pages, the
    # API), which closes the evaluation step when the required grades are in; here the
    # grade and who gave it are only read, and the notes may be corrected.
    readonly_fields = ["match", "evaluator", "organization", "grade", "publish_consent",
                       "submitted_by", "submitted_at"]  # fmt: skip
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request) -> bool:
        return False


class AnsweredFilter(admin.SimpleListFilter):
    title = _("回答")
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("yes", _("回答済み")), ("no", _("未回答"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(answer="")
        if self.value() == "no":
            return queryset.filter(answer="")
        return queryset


@admin.register(ContinuationFollowUp)
class ContinuationFollowUpAdmin(admin.ModelAdmin):
    list_display = ["match", "organization", "months", "due_on", "sent_at", "reminded_at",
                    "answer", "answered_at"]  # fmt: skip
    list_filter = ["months", AnsweredFilter, "answer", "match__form", "due_on"]
    search_fields = ["match__title", "organization__name", "reason"]
    list_select_related = ["match", "organization"]
    # Follow-ups are planned by the workflow and answered by the parties (follow_ups.py):
    # the continuation rate the council sees is computed from them, so the admin only shows.
    readonly_fields = ["match", "organization", "months", "due_on", "sent_at", "reminded_at",
                       "answer", "reason", "answered_by", "answered_at"]  # fmt: skip
    date_hierarchy = "due_on"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Publication decisions are made on the match pages and the API
    (``matching.outcomes.case_book``), with their history; here they are only read."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PublicationConsent)
class PublicationConsentAdmin(ReadOnlyAdmin):
    list_display = ["match", "organization", "consented", "decided_by", "decided_at"]
    list_filter = ["consented"]
    search_fields = ["match__title", "organization__name"]
    list_select_related = ["match", "organization", "decided_by"]


@admin.register(CasePublication)
class CasePublicationAdmin(ReadOnlyAdmin):
    list_display = ["match", "approved_by", "approved_at", "updated_at"]
    search_fields = ["match__title", "text"]
    list_select_related = ["match", "approved_by"]
