"""The admin: publish a new version (never edit a published one), read the consents.

Adding a version goes through ``legal.services.publish`` (the same rules as the
coordinators' page /coord/legal/): the number is the next one, and the form starts from the
current text of the kind chosen (``?kind=privacy``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from legal import services
from legal.models import Consent, Document


class NewVersionForm(forms.ModelForm):
    minor = forms.BooleanField(
        label=_("軽微な修正（再同意を求めない）"),
        required=False,
        help_text=_("誤字の訂正など、内容が変わらない修正のときだけ選んでください。"),
    )

    class Meta:
        model = Document
        fields = ["kind", "title", "body", "title_en", "body_en", "summary"]

    request: HttpRequest | None = None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        services.check_new_version(
            self.request.user if self.request else None,
            data["kind"],
            title=data.get("title", ""),
            body=data.get("body", ""),
            title_en=data.get("title_en", ""),
            body_en=data.get("body_en", ""),
        )
        return data


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "title", "requires_consent", "published_at", "published_by"]
    list_filter = ["kind", "requires_consent"]
    search_fields = ["title", "body"]
    ordering = ["kind", "-version"]
    form = NewVersionForm
    ADD_FIELDS = ["kind", "title", "body", "title_en", "body_en", "summary", "minor"]
    SHOWN_FIELDS = [
        "kind",
        "version",
        "title",
        "body",
        "title_en",
        "body_en",
        "summary",
        "requires_consent",
        "published_at",
        "published_by",
    ]

    def get_fields(self, request, obj=None):
        return self.ADD_FIELDS if obj is None else self.SHOWN_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:  # shown read only
            return super().get_form(request, obj, change=change, form=forms.ModelForm, **kwargs)
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        now = services.current(initial.get("kind", ""))
        if now is not None:
            initial.update(
                title=now.title, body=now.body, title_en=now.title_en, body_en=now.body_en
            )
        return initial

    def save_model(self, request, obj, form, change) -> None:
        published = services.publish(
            request.user,
            obj.kind,
            title=obj.title,
            body=obj.body,
            title_en=obj.title_en,
            body_en=obj.body_en,
            summary=obj.summary,
            minor=form.cleaned_data.get("minor", False),
        )
        # The admin logs and links the object it was given: make it the published row.
        obj.__dict__.update({k: v for k, v in published.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    # A published version is a record of what people agreed to.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return services.may_edit(request.user) and super().has_add_permission(request)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Read only: the record of who agreed to which version when."""

    list_display = ["user", "kind", "version", "agreed_at", "via"]
    list_filter = ["kind", "via"]
    search_fields = ["user__username", "user__display_name"]
    date_hierarchy = "agreed_at"
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
