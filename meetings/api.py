"""The meetings API (交流の場): list and create meetings, one meeting with its seats left,
registrations with their waitlist, approval and invitations.

Thin views: every change is a call to ``meetings.services``; its ``ServiceError`` becomes a
400/403/409 answer with a Japanese message, field by field where there is a field.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from meetings import services
from meetings.models import Meeting, Registration
from meetings.serializers import (
    CancelMeetingSerializer,
    InvitationSerializer,
    InviteSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
    RegisterSerializer,
    RegistrationSerializer,
)
from organizations.models import Organization

LIST_PARAMETERS = [
    OpenApiParameter("kind", str, description="種類（exchange, dialogue, …）"),
    OpenApiParameter("field", str, description="分野のコード"),
    OpenApiParameter("area", str, description="地域のコード"),
    OpenApiParameter("from", str, description="この日以降に始まる会合（YYYY-MM-DD）"),
]


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
        params = self.request.query_params
        queryset = queryset.filter(status=Meeting.Status.PUBLISHED)
        start = timezone.localdate()
        if params.get("from"):
            try:
                start = parse_date(params["from"])
            except ValueError:
                start = None
            if start is None:
                raise exceptions.ValidationError(
                    {"from": [_("日付の形式が正しくありません（YYYY-MM-DD）。")]}
                )
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

    @extend_schema(request=InviteSerializer, responses={201: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def invitations(self, request: Request, pk: str | None = None) -> Response:
        """Invite an organization (what an invitation-only meeting requires)."""
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = self.get_object()
        organization = _organization(body.validated_data["organization"])
        invitation = services.invite(meeting, request.user, organization)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

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
