"""Admin for meetings, their registrations and invitations.

Registrations change only through ``meetings.services`` (seats, waitlist, notices): here
they are read-only, and a meeting's status is read-only too (publish and cancel through
the API)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from lib.errors import Invalid
from meetings import services
from meetings.models import Invitation, Meeting, Registration

# What decides seats and deadlines: set when the meeting is made, then changed only through
# meetings.services (a larger capacity moves the waitlist up; a smaller one is checked).
RULE_FIELDS = ["capacity", "registration_mode", "starts_at", "ends_at", "registration_deadline"]


class MeetingForm(forms.ModelForm):
    # Online meeting links are https (and Django 6 assumes so too).
    online_url = Meeting._meta.get_field("online_url").formfield(assume_scheme="https")

    class Meta:
        model = Meeting
        fields = ["organizer", "created_by", *services.MEETING_FIELDS, "fields", "areas"]
        fields += ["needs", "offers"]

    def clean(self) -> dict:
        data = super().clean()
        values = {name: getattr(self.instance, name, None) for name in services.MEETING_FIELDS}
        values.update({k: v for k, v in data.items() if k in services.MEETING_FIELDS})
        try:
            services.check_meeting(values)
        except Invalid as exc:
            for field, messages in exc.field_errors().items():
                self.add_error(field if field in self.fields else None, messages)
        return data


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["organization", "attendees", "attendee_names", "status", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "organizer",
        "starts_at",
        "capacity",
        "registration_mode",
        "status",
    ]
    list_filter = ["kind", "status", "registration_mode", ("starts_at", admin.DateFieldListFilter)]
    search_fields = ["title", "description", "venue_name", "organizer__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["organizer"]
    raw_id_fields = ["organizer", "created_by", "needs", "offers"]
    filter_horizontal = ["fields", "areas"]
    readonly_fields = ["status", "published_at", "cancelled_at", "created_at", "updated_at"]
    inlines = [RegistrationInline]
    form = MeetingForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        fields = list(self.readonly_fields)
        return fields + RULE_FIELDS if obj is not None else fields

    def save_model(self, request, obj: Meeting, form, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "organization", "attendees", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["meeting__title", "organization__name"]
    list_select_related = ["meeting", "organization"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in Registration._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "organization", "invited_by", "created_at"]
    search_fields = ["meeting__title", "organization__name"]
    list_select_related = ["meeting", "organization", "invited_by"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
