from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import Delivery, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "title", "channel", "created_at", "read_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["title", "recipient__username"]
    readonly_fields = ["created_at", "dedupe_key"]
    raw_id_fields = ["recipient", "digest"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Email deliveries; filter on 「送信失敗（要対応）」 for the dead letters."""

    list_display = [
        "pk",
        "recipient",
        "notification",
        "digest_key",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status"]
    search_fields = ["recipient__username", "recipient__email", "message_id"]
    raw_id_fields = ["recipient", "notification"]
    readonly_fields = [
        "recipient",
        "notification",
        "digest_key",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "message_id",
        "created_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("最後のエラー"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("選択した送信失敗のメールを再送する"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.retry_dead(queryset)
        self.message_user(
            request,
            ngettext("%d件を再送の列に戻しました。", "%d件を再送の列に戻しました。", count) % count,
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "updated_at"]
    list_filter = ["channel"]
    search_fields = ["user__username", "kind"]
    raw_id_fields = ["user"]
