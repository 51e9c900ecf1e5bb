"""The meetings API (交流の場): list and create meetings, one meeting with its seats left,
registrations with their waitlist, approval and invitations.

Thin views: every change is a call to ``meetings.services``; its ``ServiceError`` becomes a
400/403/409 answer with a Japanese message, field by field where there is a field.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from lib import dates
from matching.consultations.api import ICalendarRenderer, ics_response
from meetings import calendar as meeting_calendar
from meetings import invitations as suggested_invitations
from meetings import services, tables
from meetings.models import Meeting, Registration
from meetings.serializers import (
    CancelMeetingSerializer,
    InvitationsSerializer,
    InvitationSuggestionSerializer,
    InviteSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    RegisterSerializer,
    RegistrationSerializer,
    SaveTablesSerializer,
    TableSplitSerializer,
)
from organizations.models import Organization

LIST_PARAMETERS = [
    OpenApiParameter("kind", str, description="種類（exchange, dialogue, …）"),
    OpenApiParameter("field", str, description="分野のコード"),
    OpenApiParameter("area", str, description="地域のコード"),
    OpenApiParameter("from", str, description="この日以降に始まる会合（YYYY-MM-DD）"),
]


# The QR code and the photos are answered as they are (HttpResponse); errors stay JSON (no
# image renderer: an error must never come back as "image/svg+xml").
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _signed_in(request: Request) -> None:
    if not (request.user and request.user.is_authenticated):
        raise exceptions.NotAuthenticated()


def _limit(value: str | None) -> int:
    """``?limit=`` of a list: 1 to 100 (30 when absent)."""
    if value in (None, ""):
        return suggested_invitations.DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= suggested_invitations.MAX_LIMIT:
        raise exceptions.ValidationError({"limit": [_("1から100までの数を指定してください。")]})
    return limit


def _organization(pk: int, field: str = "organization") -> Organization:
    organization = Organization.objects.filter(pk=pk, is_active=True).first()
    if organization is None:
        raise exceptions.ValidationError({field: [_("団体が見つかりません。")]})
    return organization


@extend_schema(parameters=LIST_PARAMETERS)
class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Meetings (交流会・意見交換会・説明会・相談会・研修).

    The list is public: published meetings from today on (``from`` for another day),
    filtered by ``kind``, ``field``, ``area``. A meeting shows its ``seats_left``;
    attendee names only to its organizer and coordinators. Drafts are seen by their
    organizers and coordinators only."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    queryset = Meeting.objects.none()

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        queryset = services.visible_meetings(self.request.user).prefetch_related(
            "fields", "areas", "needs", "offers"
        )
        if self.action != "list":
            return queryset
        queryset = queryset.with_seats_taken()  # seats_left without a query each
        params = self.request.query_params
        queryset = queryset.filter(status=Meeting.Status.PUBLISHED)
        # 400 naming ``from`` for a date that is not one or lies at the calendar's edge.
        start = dates.day_param(params, "from", default=timezone.localdate())
        queryset = queryset.filter(
            starts_at__gte=timezone.make_aware(dt.datetime.combine(start, dt.time()))
        )
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("field"):
            queryset = queryset.filter(fields__code=params["field"])
        if params.get("area"):
            queryset = queryset.filter(areas__code=params["area"])
        return queryset.distinct()

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        organizer = data.pop("organizer", None)
        serializer.instance = services.create_meeting(self.request.user, organizer, **data)

    def perform_update(self, serializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("organizer", None)  # a meeting keeps its organizer
        serializer.instance = services.update_meeting(
            serializer.instance, self.request.user, **data
        )

    def _meeting(self, request: Request) -> Response:
        meeting = self.get_object()
        return Response(MeetingSerializer(meeting, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Publish a draft: it appears in the list and takes registrations."""
        services.publish(self.get_object(), request.user)
        return self._meeting(request)

    @extend_schema(request=CancelMeetingSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Call the meeting off; every registrant is told."""
        body = CancelMeetingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.cancel_meeting(
            self.get_object(), request.user, reason=body.validated_data.get("reason", "")
        )
        return self._meeting(request)

    @extend_schema(request=InviteSerializer, responses={201: InvitationsSerializer})
    @action(detail=True, methods=["post"])
    def invitations(self, request: Request, pk: str | None = None) -> Response:
        """Invite one organization (``organization``) or several at once
        (``organizations``): what an invitation-only meeting requires, a personal call for
        the others; each organization's members get a notification with the one-click
        registration link. ``suggested``: picked from ``invitation-suggestions`` (saved
        with the engine's score). All or none: 409 when one is already invited or
        registered."""
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = self.get_object()
        ids = body.validated_data["ids"]
        found = Organization.objects.filter(pk__in=ids, is_active=True).in_bulk()
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            text = _("団体が見つかりません: %(ids)s") % {"ids": "、".join(missing)}
            raise exceptions.ValidationError({"organizations": [text]})
        chosen = [found[pk] for pk in ids]
        if body.validated_data["suggested"]:
            made = suggested_invitations.invite_suggested(meeting, request.user, chosen)
        else:
            made = suggested_invitations.invite_many(meeting, request.user, chosen)
        return Response(
            InvitationsSerializer({"invitations": made}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=RegisterSerializer, responses={201: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def registrations(self, request: Request, pk: str | None = None) -> Response:
        """Register an organization of yours: 201 with ``status`` registered (the people
        fit in the seats left), waitlisted (they do not) or pending_approval (approval
        mode)."""
        body = RegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = self.get_object()
        data = body.validated_data
        organization = _organization(data["organization"])
        registration = services.register(
            meeting,
            organization,
            request.user,
            data["attendees"],
            data.get("attendee_names", []),
        )
        return Response(
            RegistrationSerializer(registration, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def _registration(self, rid: str) -> Registration:
        meeting = self.get_object()
        registration = meeting.registrations.filter(pk=int(rid)).first()
        if registration is None:
            raise exceptions.NotFound(_("申込が見つかりません。"))
        return registration

    def _answer(self, registration: Registration) -> Response:
        registration.refresh_from_db()
        return Response(
            RegistrationSerializer(registration, context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path=r"registrations/(?P<rid>[0-9]+)/cancel")
    def cancel_registration(
        self, request: Request, pk: str | None = None, rid: str = ""
    ) -> Response:
        """Cancel a registration (until the start); the waitlist moves up."""
        registration = services.cancel_registration(self._registration(rid), request.user)
        return self._answer(registration)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path=r"registrations/(?P<rid>[0-9]+)/approve")
    def approve_registration(
        self, request: Request, pk: str | None = None, rid: str = ""
    ) -> Response:
        """Approval mode: accept (registered if the people fit, else waitlisted)."""
        registration = services.approve(self._registration(rid), request.user)
        return self._answer(registration)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path=r"registrations/(?P<rid>[0-9]+)/decline")
    def decline_registration(
        self, request: Request, pk: str | None = None, rid: str = ""
    ) -> Response:
        """Approval mode: decline the request."""
        registration = services.decline(self._registration(rid), request.user)
        return self._answer(registration)

    # Actions that answer a file: their errors (401, 404) stay JSON like every API error,
    # not a "file" holding an error dict (a calendar client sends Accept: text/calendar).
    FILE_ACTIONS = frozenset({"registration_ics"})

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(self, "action", None) in self.FILE_ACTIONS and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"registrations/(?P<rid>[0-9]+)/ics",
        renderer_classes=[renderers.JSONRenderer, ICalendarRenderer],
    )
    def registration_ics(self, request: Request, pk: str | None = None, rid: str = ""):
        """The registration as an iCalendar file (the meeting's time, place and page; STATUS
        CANCELLED once it or the meeting is called off), for the registering organization's
        members, the organizer and coordinators (404 for anyone else)."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        registration = self._registration(rid)
        if not meeting_calendar.may_download(request.user, registration):
            raise exceptions.NotFound(_("申込が見つかりません。"))
        return ics_response(
            meeting_calendar.registration_ics(registration),
            f"meeting-{registration.meeting_id}-registration-{registration.pk}.ics",
        )

    # --- Invitations suggested by the engine (meetings.invitations) -------------------
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit", int, description="何団体まで（1〜100、既定30）", required=False
            )
        ],
        responses=InvitationSuggestionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="invitation-suggestions", pagination_class=None)
    def invitation_suggestions(self, request: Request, pk: str | None = None) -> Response:
        """Organizations to invite, ranked by the scoring engine against the meeting's
        text, fields and areas and its linked themes and offers: the organizer and
        coordinators. Each row: the best posts and the reasons in words, the fairness
        discount for organizations often invited or registered recently, 「初参加」 for
        one that never took part. The organizer and organizations already invited or
        registered are left out."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        limit = _limit(request.query_params.get("limit"))
        meeting = self.get_object()
        rows = suggested_invitations.suggest_invitations(meeting, request.user, limit)
        return Response(InvitationSuggestionSerializer(rows, many=True).data)

    # --- Table groups (meetings.tables) ----------------------------------------------
    @extend_schema(methods=["GET"], request=None, responses=TableSplitSerializer)
    @extend_schema(methods=["PUT"], request=SaveTablesSerializer, responses=TableSplitSerializer)
    @action(detail=True, methods=["get", "put"], url_path="table-groups")
    def table_groups(self, request: Request, pk: str | None = None) -> Response:
        """グループ分け (the organizer and coordinators). GET: the saved split, or the
        engine's proposal when none is saved (``"proposed": true``). PUT: save the
        organizer's split (every registered organization seated exactly once; it
        replaces the saved one)."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        meeting = self.get_object()
        if request.method == "PUT":
            body = SaveTablesSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            result = tables.save_tables(meeting, request.user, body.validated_data["tables"])
        else:
            result = tables.current_tables(meeting, request.user)
        return Response(TableSplitSerializer(result).data)

    @extend_schema(request=None, responses=TableSplitSerializer)
    @action(detail=True, methods=["post"], url_path="table-groups/propose")
    def propose_table_groups(self, request: Request, pk: str | None = None) -> Response:
        """A new proposal of tables of 4–6 organizations (not saved): complementary needs
        and offers together, kinds mixed, each table explained."""
        result = tables.propose_tables(self.get_object(), request.user)
        return Response(TableSplitSerializer(result).data)
