"""Deletion requests (削除の請求) in the admin: coordinators carry them out or decline them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from matching.privacy import erasure as privacy
from organizations.models import DeletionRequest


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["organization", "status", "requested_at", "due_on", "overdue", "handled_by"]
    list_filter = ["status"]
    list_select_related = ["organization", "handled_by"]
    search_fields = ["organization__name"]
    fields = [
        "organization",
        "requested_by",
        "reason",
        "status",
        "requested_at",
        "due_on",
        "handled_by",
        "handled_at",
        "handling_note",
    ]
    readonly_fields = [f for f in fields if f != "handling_note"]
    actions = ["carry_out", "reject"]

    @admin.display(boolean=True, description=_("期限切れ"))
    def overdue(self, obj: DeletionRequest) -> bool:
        return obj.status == DeletionRequest.Status.PENDING and obj.due_on < timezone.localdate()

    def _coordinator(self, request) -> bool:
        return request.user.is_active and request.user.can_coordinate

    def has_module_permission(self, request) -> bool:
        return self._coordinator(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._coordinator(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._coordinator(request)

    def has_add_permission(self, request) -> bool:
        return False  # organizations ask from マイページ or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the request is the record that the erasure was asked for and done

    @admin.action(description=_("選択した請求どおりにデータを削除する（取り消せません）"))
    def carry_out(self, request, queryset) -> None:
        for req in queryset.filter(status=DeletionRequest.Status.PENDING):
            try:
                privacy.carry_out_deletion(req, request.user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{req}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("団体 #%(id)s のデータを削除しました。") % {"id": req.organization_id},
                    messages.SUCCESS,
                )

    @admin.action(description=_("選択した請求に対応しない（「対応の記録」に理由を書いてから）"))
    def reject(self, request, queryset) -> None:
        for req in queryset.filter(status=DeletionRequest.Status.PENDING):
            try:
                privacy.reject_deletion(req, request.user, req.handling_note)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{req}: {exc}", messages.ERROR)
