"""Admin for scoring: matching profiles (weights and thresholds), synonyms, relevance
judgments, the suggestions (read-only: they come from the engine) and full re-score runs."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from matching.models import MatchingProfile, RelevanceJudgment, RescoreRun, Suggestion, SynonymGroup


@admin.register(RelevanceJudgment)
class RelevanceJudgmentAdmin(admin.ModelAdmin):
    list_display = ["need", "offer", "grade", "source", "created_at"]
    list_filter = ["grade", "source"]
    search_fields = ["need__title", "offer__title", "offer__organization__name", "source"]
    autocomplete_fields = ["need", "offer"]
    list_select_related = ["need", "offer"]
    readonly_fields = ["created_at"]


@admin.register(MatchingProfile)
class MatchingProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "w_text", "w_area", "w_form", "fairness", "min_score"]
    list_filter = ["is_active"]
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            _("重み（相対値。合計で割って使います）"),
            {
                "fields": (
                    "w_text",
                    "w_reciprocity",
                    "w_field",
                    "w_area",
                    "w_form",
                    "w_period",
                    "w_capacity",
                    "w_commercial",
                )
            },
        ),
        (_("偏りの調整"), {"fields": ("fairness", "fairness_saturation")}),
        (_("提案の条件"), {"fields": ("require_form_overlap", "min_score", "top_k")}),
    )


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ["__str__", "note", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["terms", "note"]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["need", "offer", "score", "engine_version", "profile_name", "computed_at"]
    list_filter = ["engine_version", "profile_name"]
    search_fields = ["need__title", "offer__title", "offer__organization__name"]
    list_select_related = ["need", "offer"]
    readonly_fields = [f.name for f in Suggestion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # suggestions come from the engine only


@admin.register(RescoreRun)
class RescoreRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "percent_done", "needs_total", "suggestions_written",
                    "requested_by", "created_at", "finished_at"]  # fmt: skip
    list_filter = ["status"]
    readonly_fields = [f.name for f in RescoreRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
