"""The API of the day and after (当日と開催後): check-in (by the list and by a
registration's QR code), the meeting marked held, minutes, the public report and its
photos, and the post-meeting form's wishes.

A second viewset on the ``meetings`` prefix (``meetings/api_urls.py``): the same meetings
as ``meetings.api.MeetingViewSet`` (``services.visible_meetings``), actions only. Thin
views: every change is a call to ``attendance``, ``reports`` or ``wishes``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from meetings import services
from meetings.day import attendance, reports, wishes
from meetings.models import Meeting, Registration
from meetings.serializers import (
    CheckedInSerializer,
    CheckInSerializer,
    MeetingAttendanceSerializer,
    MeetingMinutesSerializer,
    MeetingSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    QrCheckInSerializer,
    ReportAnswerSerializer,
    ReportSerializer,
    WishesSerializer,
    WishSerializer,
    WishSubmitSerializer,
)
from organizations.models import Organization

# The QR code and the photos are answered as they are (HttpResponse); errors stay JSON (no
# image renderer: an error must never come back as "image/svg+xml").
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _signed_in(request: Request) -> None:
    if not (request.user and request.user.is_authenticated):
        raise exceptions.NotAuthenticated()


def _organization(pk: int, field: str = "organization") -> Organization:
    organization = Organization.objects.filter(pk=pk, is_active=True).first()
    if organization is None:
        raise exceptions.ValidationError({field: [_("団体が見つかりません。")]})
    return organization


class MeetingDayViewSet(viewsets.GenericViewSet):
    """A meeting on the day and after: check-in, held, minutes, report, photos, wishes."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return services.visible_meetings(self.request.user)

    def _registration(self, rid: str) -> Registration:
        meeting = self.get_object()
        registration = meeting.registrations.filter(pk=int(rid)).first()
        if registration is None:
            raise exceptions.NotFound(_("申込が見つかりません。"))
        return registration

    # --- On the day: check-in (meetings.day.attendance) ------------------------------------
    @extend_schema(responses=MeetingAttendanceSerializer)
    @action(detail=True, methods=["get"], url_path="attendance")
    def attendance_list(self, request: Request, pk: str | None = None) -> Response:
        """The attendance list (参加者名簿, with names): the organizer and coordinators."""
        _signed_in(request)
        return Response(
            MeetingAttendanceSerializer(attendance.attendance(self.get_object(), request.user)).data
        )

    @extend_schema(request=CheckInSerializer, responses=CheckedInSerializer)
    @action(detail=True, methods=["post"], url_path=r"registrations/(?P<rid>[0-9]+)/check-in")
    def check_in(self, request: Request, pk: str | None = None, rid: str = "") -> Response:
        """Check a registered organization in (``people``: how many came; default the
        people registered). From the meeting's day until 7 days after its end."""
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration = attendance.check_in(
            self._registration(rid), request.user, body.validated_data.get("people")
        )
        return Response(CheckedInSerializer(registration).data)

    @extend_schema(request=None, responses=CheckedInSerializer)
    @action(detail=True, methods=["post"], url_path=r"registrations/(?P<rid>[0-9]+)/undo-check-in")
    def undo_check_in(self, request: Request, pk: str | None = None, rid: str = "") -> Response:
        """Take a check-in back."""
        registration = attendance.undo_check_in(self._registration(rid), request.user)
        return Response(CheckedInSerializer(registration).data)

    @extend_schema(request=CheckInSerializer, responses=QrCheckInSerializer)
    @action(detail=False, methods=["post"], url_path=r"checkin/(?P<token>[A-Za-z0-9_-]{1,64})")
    def check_in_by_token(self, request: Request, token: str = "") -> Response:
        """The registration's QR code was scanned: the organizer checks it in
        (``already_checked_in`` when it was before). Anyone else: 403, naming nothing."""
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = attendance.check_in_by_token(
            token, request.user, body.validated_data.get("people")
        )
        registration = result.registration
        registration.already_checked_in = result.already_checked_in
        return Response(QrCheckInSerializer(registration).data)

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.STR})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"registrations/(?P<rid>[0-9]+)/qr\.svg",
    )
    def registration_qr(self, request: Request, pk: str | None = None, rid: str = "") -> Any:
        """The registration's QR code (SVG) to bring on the day: the organizer and the
        registering organization."""
        _signed_in(request)
        registration = self._registration(rid)
        if not (
            services.is_organizer(request.user, registration.meeting)
            or request.user.is_member_of(registration.organization_id)
        ):
            raise exceptions.PermissionDenied(_("申込した団体と主催者だけが見られます。"))
        svg = attendance.qr_svg(registration, settings.TSUNAGU_BASE_URL)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def held(self, request: Request, pk: str | None = None) -> Response:
        """開催済み: the meeting took place (after its start)."""
        attendance.mark_held(self.get_object(), request.user)
        meeting = self.get_object()
        return Response(MeetingSerializer(meeting, context=self.get_serializer_context()).data)

    # --- After: minutes, report, photos (meetings.day.reports) -----------------------------
    @extend_schema(methods=["GET"], request=None, responses=MeetingMinutesSerializer)
    @extend_schema(
        methods=["PUT"], request=MeetingMinutesSerializer, responses=MeetingMinutesSerializer
    )
    @action(detail=True, methods=["get", "put"])
    def minutes(self, request: Request, pk: str | None = None) -> Response:
        """The minutes (議事録): the organizer, coordinators and the organizations that were
        registered read them; the organizer writes them (after the start)."""
        _signed_in(request)
        meeting = self.get_object()
        if request.method == "PUT":
            body = MeetingMinutesSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            meeting = reports.save_minutes(meeting, request.user, body.validated_data["minutes"])
        elif not reports.may_see_minutes(request.user, meeting):
            raise exceptions.PermissionDenied(
                _("議事録は主催者、コーディネーターと参加した団体だけが見られます。")
            )
        return Response({"minutes": meeting.minutes})

    def _report(self, meeting: Meeting) -> Response:
        answer = {
            "report": meeting.report,
            "report_published_at": meeting.report_published_at,
            "photos": list(meeting.photos.all()),
        }
        return Response(ReportAnswerSerializer(answer).data)

    @extend_schema(methods=["GET"], request=None, responses=ReportAnswerSerializer)
    @extend_schema(methods=["PUT"], request=ReportSerializer, responses=ReportAnswerSerializer)
    @action(detail=True, methods=["get", "put"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """The 開催報告 with its photos: public once published; the organizer writes it
        (after the start) and publishes it (``publish``)."""
        meeting = self.get_object()
        if request.method == "PUT":
            body = ReportSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            meeting = reports.save_report(meeting, request.user, data["report"], data["publish"])
        elif not reports.may_see_report(request.user, meeting):
            raise exceptions.NotFound(_("開催報告はまだ公開されていません。"))
        return self._report(meeting)

    @extend_schema(
        request={"multipart/form-data": PhotoUploadSerializer}, responses={201: PhotoSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        """Add a photo to the report (JPEG/PNG/WebP, 5 MB, 10 per meeting; its EXIF and
        other metadata are removed)."""
        body = PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo = reports.add_photo(
            self.get_object(),
            request.user,
            body.validated_data["image"],
            body.validated_data.get("caption", ""),
        )
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
        },
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"photos/(?P<pid>[0-9]+)",
    )
    def photo(self, request: Request, pk: str | None = None, pid: str = "") -> Any:
        """A photo of the report: who may see the report sees it; the organizer removes it."""
        meeting = self.get_object()
        if request.method == "DELETE":
            reports.remove_photo(meeting, request.user, int(pid))
            return Response(status=status.HTTP_204_NO_CONTENT)
        photo = reports.visible_photo(meeting, request.user, int(pid))
        extension = photo.image.name.rsplit(".", 1)[-1].lower()
        with photo.image.open("rb") as image:
            content = image.read()
        response = HttpResponse(content, content_type=PHOTO_TYPES.get(extension, "image/jpeg"))
        response["Cache-Control"] = (
            "public, max-age=3600" if reports.is_report_public(meeting) else "private, no-store"
        )
        return response

    # --- After: the post-meeting form (meetings.day.wishes) --------------------------------
    @extend_schema(methods=["GET"], request=None, responses=WishesSerializer)
    @extend_schema(
        methods=["POST"], request=WishSubmitSerializer, responses={201: WishSerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"], url_path="wishes")
    def wish_list(self, request: Request, pk: str | None = None) -> Response:
        """「もっと話したい団体」. GET: the form (open, deadline, the participants one may
        name) and the wishes one may see (one's organizations'; all for the organizer and
        coordinators). POST: an organization's answer; each wish becomes an interest
        request in the coordinators' queue (``outcome``: requested, already_requested,
        kept, or no_open_post when the other organization has no open post)."""
        _signed_in(request)
        meeting = self.get_object()
        if request.method == "POST":
            body = WishSubmitSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            result = wishes.submit_wishes(
                meeting,
                request.user,
                _organization(data["organization"]),
                data["targets"],
                data.get("message", ""),
            )
            context = {
                "mutual": wishes.mutual_pairs(meeting),
                "outcomes": {o.wish.pk: o.outcome for o in result.outcomes},
            }
            answer = WishSerializer([o.wish for o in result.outcomes], many=True, context=context)
            return Response(answer.data, status=status.HTTP_201_CREATED)
        visible = wishes.visible_wishes(meeting, request.user)
        answer = {
            "open": wishes.is_open(meeting),
            "deadline": wishes.deadline(meeting),
            "participants": list(wishes.participants(meeting)),
            "wishes": list(visible),
        }
        context = {"mutual": wishes.mutual_pairs(meeting)}
        return Response(WishesSerializer(answer, context=context).data)
