from django.contrib import admin

from tsunagu.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["token", "seen_at"]
    search_fields = ["token"]
