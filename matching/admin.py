from django.contrib import admin

from .models import RelevanceJudgment


@admin.register(RelevanceJudgment)
class RelevanceJudgmentAdmin(admin.ModelAdmin):
    list_display = ["need", "offer", "grade", "source", "created_at"]
    list_filter = ["grade", "source"]
    search_fields = ["need__title", "offer__title", "offer__organization__name", "source"]
    autocomplete_fields = ["need", "offer"]
    list_select_related = ["need", "offer"]
    readonly_fields = ["created_at"]
