from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.errors import ServiceError
from organizations.models import (
    Area,
    Field,
    Membership,
    Organization,
    PersonalDataAccess,
    ResourceKind,
    User,
)
from organizations.privacy import log_personal_data_access
from organizations.services import check_kind


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("つなぐ"), {"fields": ("display_name", "is_coordinator", "language")}),
    )
    list_display = ["username", "display_name", "email", "is_coordinator", "is_staff", "is_active"]
    list_filter = ["is_coordinator", "is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    inlines = [MembershipInline]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "short_name", "name"]
    list_display_links = ["code"]
    search_fields = ["code", "name", "short_name"]


@admin.register(ResourceKind)
class ResourceKindAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "name"]
    list_display_links = ["code"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


class OrganizationAdminForm(forms.ModelForm):
    """The admin asks the kind rule too (``check_kind``): a staff user who is not a
    coordinator sees the refusal on the kind field."""

    actor = None  # set per request by OrganizationAdmin.get_form

    class Meta:
        model = Organization
        fields = ["kind"]  # the admin's fieldsets add the others

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        instance = self.instance if self.instance.pk is not None else None
        try:
            check_kind(instance, kind, actor=self.actor)
        except ServiceError as exc:
            raise forms.ValidationError(exc.texts()) from exc
        return kind


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = [
        "name",
        "kind",
        "npo_status",
        "is_active",
        "is_verified",
        "activity_checked_on",
        "updated_at",
    ]
    list_filter = ["kind", "npo_status", "is_active", "is_verified", "fields", "areas"]
    search_fields = ["name", "name_kana", "description", "contact_name", "contact_email"]
    filter_horizontal = ["fields", "areas", "resources"]
    # A website typed without a scheme is https:// (Django 6's default, said now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["source", "external_id", "created_at", "updated_at"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("name", "name_kana", "kind", "npo_status", "description", "website")}),
        (_("分野・地域・資源"), {"fields": ("fields", "areas", "resources")}),
        (
            _("連絡先（非公開）"),
            {"fields": ("contact_name", "contact_email", "contact_phone", "address")},
        ),
        (_("状態"), {"fields": ("is_active", "is_verified", "activity_checked_on")}),
        (_("記録"), {"fields": ("source", "external_id", "created_at", "updated_at")}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change form shows the private contact fields: log who looked.
        response = super().change_view(request, object_id, form_url, extra_context)
        org = Organization.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if org is not None and request.method == "GET" and response.status_code == 200:
            log_personal_data_access(request.user, [org], via="admin:organization", request=request)
        return response


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The access log (read-only): who viewed which organization's personal data."""

    list_display = ["timestamp", "actor", "object_repr", "via", "record", "remote_addr"]
    list_filter = ["timestamp"]
    search_fields = ["object_repr", "actor__username", "actor__display_name"]
    list_select_related = ["actor"]
    date_hierarchy = "timestamp"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(action=PersonalDataAccess.Action.ACCESS)

    @admin.display(description=_("経路"))
    def via(self, obj) -> str:
        return (obj.additional_data or {}).get("via", "")

    @admin.display(description=_("対象の記録"))
    def record(self, obj) -> str:
        return (obj.additional_data or {}).get("record", "")

    # The log records what coordinators looked at: it is for the platform admin and the
    # city's auditor, like the audit log (tsunagu/roles.py), not for coordinators.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
