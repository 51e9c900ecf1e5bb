from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Area, Field, Membership, Organization, ResourceKind, User


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


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
