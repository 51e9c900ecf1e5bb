"""The inbox (``/api/v1/notifications/``) and preferences
(``/api/v1/notification-preferences/``): each user sees only their own."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import services
from notifications.models import Notification
from notifications.serializers import (
    MarkReadSerializer,
    NotificationSerializer,
    PreferencesSerializer,
)

CountSerializer = inline_serializer("NotificationCount", {"count": serializers.IntegerField()})
MarkedSerializer = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your notifications, newest first. ``?unread=true`` for the unread ones."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    queryset = Notification.objects.none()  # for the schema; get_queryset is per user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        rows = services.inbox(self.request.user)
        unread = self.request.query_params.get("unread", "").lower()
        if unread in ("1", "true", "yes"):
            rows = rows.filter(read_at__isnull=True)
        kind = self.request.query_params.get("kind")
        if kind:
            rows = rows.filter(kind=kind)
        return rows

    @extend_schema(responses=CountSerializer)
    @action(detail=False, methods=["get"])
    def unread_count(self, request: Request) -> Response:
        return Response({"count": services.unread_count(request.user)})

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        services.mark_read(request.user, [notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"])
    def read_all(self, request: Request) -> Response:
        """Mark all as read, or only ``ids`` when given."""
        data = MarkReadSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        return Response(
            {"marked": services.mark_read(request.user, data.validated_data.get("ids"))}
        )


class NotificationPreferencesView(APIView):
    """Your channel for each kind of notification: ``in_app``, ``email``, ``digest_daily``,
    ``digest_weekly`` or ``off``; kind ``*`` is the default for kinds without their own."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response({"preferences": services.preferences(request.user)})

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_preferences(
            request.user,
            {row["kind"]: row["channel"] for row in data.validated_data["preferences"]},
        )
        return Response({"preferences": services.preferences(request.user)})
