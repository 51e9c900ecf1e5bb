from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from proposals.models import CollaborationForm, Need, Offer, Support


@admin.register(CollaborationForm)
class CollaborationFormAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "name", "description"]
    list_display_links = ["code"]


@admin.register(Support)
class SupportAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "name"]
    list_display_links = ["code"]


class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "status", "starts_on", "ends_on", "updated_at"]
    list_filter = ["status", "fields", "forms", "areas", "organization__kind"]
    search_fields = ["title", "description", "organization__name"]
    autocomplete_fields = ["organization", "author"]
    filter_horizontal = ["fields", "areas", "forms", "resources"]
    readonly_fields = ["source", "external_id", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    list_select_related = ["organization"]


@admin.register(Need)
class NeedAdmin(PostAdmin):
    list_display = ["title", "organization", "kind", *PostAdmin.list_display[2:]]
    list_filter = ["kind", *PostAdmin.list_filter]
    filter_horizontal = [*PostAdmin.filter_horizontal, "poster_supports"]
    fieldsets = (
        (None, {"fields": ("organization", "kind", "title", "description", "status", "author")}),
        (_("分類"), {"fields": ("fields", "areas", "forms", "resources")}),
        (_("期間"), {"fields": ("starts_on", "ends_on")}),
        (
            _("投稿者が提供できること"),
            {"fields": ("poster_supports", "poster_support_note", "beneficiaries", "budget_note")},
        ),
        (_("記録"), {"fields": ("source", "external_id", "created_at", "updated_at")}),
    )


@admin.register(Offer)
class OfferAdmin(PostAdmin):
    list_display = [*PostAdmin.list_display[:2], "capacity", *PostAdmin.list_display[2:]]
    fieldsets = (
        (None, {"fields": ("organization", "title", "description", "status", "author")}),
        (_("分類"), {"fields": ("fields", "areas", "forms", "resources")}),
        (_("期間と受入れ"), {"fields": ("starts_on", "ends_on", "capacity")}),
        (_("記録"), {"fields": ("source", "external_id", "created_at", "updated_at")}),
    )
