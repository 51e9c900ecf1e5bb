"""Admin for needs, offers and their reference lists.

Posts obey the same rules here as everywhere (proposals.services): the form checks them
with ``check_post`` and shows a refusal on the field, and the save goes through
``save_post``. No ``actor`` is passed: who may use the admin is Django's permissions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lib.errors import ServiceError
from proposals.models import CollaborationForm, Need, Offer, Support
from proposals.services import check_post, save_post

# The fields the post rules read; the others (m2m, notes) have no rule beyond the model's.
RULE_FIELDS = ("organization", "kind", "title", "description", "status", "starts_on", "ends_on")


class PostAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Only the values that passed their own field's checks; the instance is still the
        # stored post here (the form assigns the values after clean()).
        data = {name: cleaned[name] for name in RULE_FIELDS if name in cleaned}
        try:
            cleaned.update(check_post(self.instance, data))
        except ServiceError as exc:
            for field, messages in exc.field_errors().items():
                target = field if field in self.fields else None
                if target is not None and target in self.errors:
                    continue  # the field's own error already says what is wrong
                for message in messages:
                    self.add_error(target, message)
        return cleaned


class NeedAdminForm(PostAdminForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            # Left empty, the kind is the organization's default (check_post sets it).
            self.fields["kind"].required = False


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
    form = PostAdminForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The one write path of posts: the rules again (now with the row locked), then save.
        save_post(
            obj,
            {name: form.cleaned_data[name] for name in RULE_FIELDS if name in form.cleaned_data},
        )


@admin.register(Need)
class NeedAdmin(PostAdmin):
    form = NeedAdminForm
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
