"""Consultation API: slots (コマ), bookings, .ics files, the private calendar feed, the KPI.

Thin views: every change is a call to ``matching.consultations.services``; its
``ServiceError`` becomes a 400/403/409 answer with a Japanese message. The feed itself
(``calendar_feed``, no login: the token is in the URL) is mounted by ``matching/urls.py``.
"""

from __future__ import annotations

from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lib import dates
from lib.dates import fiscal_year_bounds
from lib.errors import Invalid
from matching.consultations import calendar as calendar_mod
from matching.consultations import ical, services, slots
from matching.consultations.serializers import (
    AttendanceSerializer,
    BookSlotSerializer,
    CalendarFeedSerializer,
    CancelSerializer,
    ConsultationBookingSerializer,
    ConsultationSlotSerializer,
    MinutesSerializer,
    RescheduleSerializer,
    SlotUsageSerializer,
)
from matching.models import ConsultationBooking, ConsultationSlot, Match
from organizations.permissions import is_coordinator


class ICalendarRenderer(renderers.BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else str(data).encode()


def ics_response(body: bytes, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class CanUseConsultations(permissions.BasePermission):
    """Coordinators, and members of organizations with a match that may book."""

    message = _("相談を予約できるマッチの参加団体のメンバーかコーディネーターだけが使えます。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return is_coordinator(user) or services.bookable_matches(user).exists()


class IsCoordinatorForWrites(permissions.BasePermission):
    message = services.MSG_COORDINATOR_ONLY

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", "") == "book":
            return True
        return is_coordinator(request.user)


RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", str, description="開始日（YYYY-MM-DD）か日時（0002-01-01〜9998-12-31）"
    ),
    OpenApiParameter(
        "to", str, description="終了日（その日を含む）か日時（0002-01-01〜9998-12-31）"
    ),
]


@extend_schema(parameters=RANGE_PARAMETERS)
class ConsultationSlotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Consultation slots (コマ). Coordinators publish, change and cancel them; parties of
    matches in progress see the upcoming ones with seats left, and book them.

    Coordinators see every slot from ``from`` (default: now), full and cancelled ones
    included (``?open=true`` for those still bookable only)."""

    serializer_class = ConsultationSlotSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseConsultations, IsCoordinatorForWrites]
    queryset = ConsultationSlot.objects.select_related("coordinator")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            return queryset
        params = self.request.query_params
        now = timezone.now()
        start = dates.moment_param(params, "from", default=now)
        end = dates.moment_param(params, "to", end=True)
        queryset = queryset.filter(starts_at__gte=start)
        if end is not None:
            queryset = queryset.filter(starts_at__lt=end)
        only_open = params.get("open", "").lower() in ("1", "true", "yes")
        if only_open or not is_coordinator(self.request.user):
            queryset = queryset.filter(is_cancelled=False, starts_at__gt=now).exclude(
                booked_count__gte=F("capacity")
            )
        return queryset

    def perform_create(self, serializer) -> None:
        serializer.instance = slots.publish_slot(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = slots.update_slot(
            serializer.instance, self.request.user, **serializer.validated_data
        )

    @extend_schema(request=CancelSerializer, responses=ConsultationSlotSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw the slot: its bookings are cancelled and everyone is told."""
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        slot = slots.cancel_slot(
            self.get_object(), request.user, reason=body.validated_data.get("reason", "")
        )
        return Response(self.get_serializer(slot).data)

    @extend_schema(request=BookSlotSerializer, responses={201: ConsultationBookingSerializer})
    @action(detail=True, methods=["post"])
    def book(self, request: Request, pk: str | None = None) -> Response:
        """Book this slot for a match ({"match": id})."""
        body = BookSlotSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        match = Match.objects.filter(pk=body.validated_data["match"]).first()
        if match is None:
            raise exceptions.ValidationError({"match": [_("マッチが見つかりません。")]})
        booking = services.book(self.get_object(), match, request.user)
        return Response(
            ConsultationBookingSerializer(booking, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(parameters=RANGE_PARAMETERS)
class ConsultationViewSet(viewsets.ReadOnlyModelViewSet):
    """Consultations (bookings) the user may see: coordinators all of them, members those
    of their organizations' matches. Filters: ``status``, ``match``, ``from``, ``to``."""

    serializer_class = ConsultationBookingSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = ConsultationBooking.objects.none()

    def finalize_response(self, request, response, *args, **kwargs):
        # An error on the .ics action (401, 404) is JSON like every API error, not a
        # "calendar" holding an error dict.
        if getattr(self, "action", None) == "ics" and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConsultationBooking.objects.none()
        queryset = services.visible_bookings(self.request.user)
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        if params.get("match", "").isdigit():
            queryset = queryset.filter(match_id=int(params["match"]))
        start = dates.moment_param(params, "from")
        end = dates.moment_param(params, "to", end=True)
        if start is not None:
            queryset = queryset.filter(slot__starts_at__gte=start)
        if end is not None:
            queryset = queryset.filter(slot__starts_at__lt=end)
        return queryset

    def _done(self, booking: ConsultationBooking) -> Response:
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = services.cancel_booking(
            self.get_object(), request.user, reason=body.validated_data.get("reason", "")
        )
        return self._done(booking)

    @extend_schema(request=RescheduleSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = self.get_object()
        new_slot = ConsultationSlot.objects.filter(pk=body.validated_data["slot"]).first()
        if new_slot is None:
            raise exceptions.ValidationError({"slot": [_("コマが見つかりません。")]})
        booking = services.reschedule(booking, new_slot, request.user)
        return self._done(booking)

    @extend_schema(request=MinutesSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request: Request, pk: str | None = None) -> Response:
        body = MinutesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = services.record_minutes(
            self.get_object(), request.user, body.validated_data["minutes"]
        )
        return self._done(booking)

    @extend_schema(request=AttendanceSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        body = AttendanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = services.mark_attendance(
            self.get_object(), request.user, body.validated_data["status"]
        )
        return self._done(booking)

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, ICalendarRenderer],
    )
    def ics(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The consultation as an iCalendar file."""
        booking = self.get_object()
        return ics_response(ical.booking_ics(booking), f"consultation-{booking.pk}.ics")

    @extend_schema(responses=SlotUsageSerializer)
    @action(detail=False, methods=["get"])
    def kpi(self, request: Request) -> Response:
        """Slot use (coordinators): seats offered vs booked, held, no-shows, for slots
        starting between ``from`` and ``to`` (default: this fiscal year, April–March)."""
        if not is_coordinator(request.user):
            raise exceptions.PermissionDenied(services.MSG_COORDINATOR_ONLY)
        default_start, default_end = fiscal_year_bounds(timezone.localdate())
        params = request.query_params
        start = dates.moment_param(params, "from", default=default_start)
        end = dates.moment_param(params, "to", end=True, default=default_end)
        if end <= start:
            raise Invalid(_("終了日は開始日より後にしてください。"), field="to")
        return Response(calendar_mod.slot_usage(start, end).as_dict())


class CalendarFeedView(APIView):
    """The user's private calendar feed URL (GET); POST makes a new one, and the old URL
    stops working."""

    permission_classes = [permissions.IsAuthenticated]

    def _answer(self, request: Request, feed) -> Response:
        url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.token]))
        return Response(CalendarFeedSerializer({"url": url, "created_at": feed.created_at}).data)

    @extend_schema(responses=CalendarFeedSerializer)
    def get(self, request: Request) -> Response:
        return self._answer(request, ical.feed_for(request.user))

    @extend_schema(request=None, responses=CalendarFeedSerializer)
    def post(self, request: Request) -> Response:
        return self._answer(request, ical.rotate_feed(request.user))


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public-by-token feed (no login: calendar clients cannot log in)."""
    user = ical.user_for_token(token)
    if user is None:
        raise Http404
    response = ics_response(ical.feed_ics(user))
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
