"""Thin DRF views over ``matching.matches.workflow`` and ``matching.matches.interest``:
matches (creation, transitions, answers, added parties) and interest requests
(「この団体と話したい」).

Errors are the services' (``lib.errors``), answered by ``lib.api.exception_handler``: a
state that does not allow the action 409 (``code``, ``state``, ``action``); bad data 400,
field by field; not allowed 403; not visible 404. Nothing is saved when a request fails.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from lib import ratelimit
from matching.matches import interest, workflow
from matching.matches.serializers import (
    AddPartySerializer,
    CommentSerializer,
    ConfirmTermsSerializer,
    InterestRequestSerializer,
    MatchCreateSerializer,
    MatchDetailSerializer,
    MatchSerializer,
    PartySerializer,
    RespondSerializer,
    TransitionRequestSerializer,
)
from matching.models import InterestRequest, Match
from organizations.models import Organization
from organizations.permissions import is_coordinator


class InterestRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """「この団体と話したい」: requests for an introduction, handled by coordinators.

    Members create them for their organization and see their organization's; coordinators
    see all and accept (→ a match) or decline them.
    """

    serializer_class = InterestRequestSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["status", "organization"]

    def get_queryset(self) -> QuerySet[InterestRequest]:
        qs = InterestRequest.objects.select_related(
            "organization", "need", "offer", "requested_by", "handled_by"
        )
        user = self.request.user
        if is_coordinator(user):
            return qs
        if not user.is_authenticated:
            return qs.none()
        return qs.filter(organization__in=user.organization_ids())

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        # Shared with the web form (lib/ratelimit.py): per person and address.
        keys = (f"user:{self.request.user.pk}", ratelimit.client_ip(self.request))
        if ratelimit.INTEREST_REQUEST.is_over(*keys):
            raise ratelimit.RateLimited(ratelimit.INTEREST_REQUEST)
        ratelimit.INTEREST_REQUEST.hit(*keys)
        serializer.instance = interest.create_interest_request(
            self.request.user,
            data["organization"],
            need=data.get("need"),
            offer=data.get("offer"),
            message=data.get("message", ""),
        )

    def _handle(self, request: Request, func) -> Response:
        item = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if func is interest.withdraw_interest_request:
            item = func(request.user, item)
        else:
            item = func(request.user, item, body.validated_data["comment"])
        return Response(self.get_serializer(item).data)

    @extend_schema(request=CommentSerializer, responses={200: InterestRequestSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        """Coordinators: turn the request into a match (proposed)."""
        return self._handle(request, interest.accept_interest_request)

    @extend_schema(request=CommentSerializer, responses={200: InterestRequestSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk=None) -> Response:
        """Coordinators: decline the request (a comment is required)."""
        return self._handle(request, interest.decline_interest_request)

    @extend_schema(request=None, responses={200: InterestRequestSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        """The requesting organization's members: withdraw a pending request."""
        return self._handle(request, interest.withdraw_interest_request)


class MatchFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=Match.State.choices)
    organization = django_filters.NumberFilter(
        field_name="parties__organization", distinct=True, label=_("参加団体のID")
    )
    coordinator = django_filters.NumberFilter(field_name="coordinator")
    form = django_filters.CharFilter(field_name="form__code")
    origin = django_filters.ChoiceFilter(choices=Match.Origin.choices)

    class Meta:
        model = Match
        fields = ["state", "organization", "coordinator", "form", "origin", "need", "offer"]


def _party_org(request: Request, match: Match, given: int | None) -> Organization | int:
    """The organization a party member acts for: given, or their only one in the match."""
    if given is not None:
        return given
    mine = [
        p.organization_id
        for p in match.parties.all()
        if request.user.is_member_of(p.organization_id)
    ]
    if len(mine) == 1:
        return mine[0]
    raise exceptions.ValidationError(
        {"organization": [_("どの団体として操作するか指定してください。")]}
    )


class MatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Matches: coordinators see all; members of a party see their matches; others none.

    Contact details of the other parties appear from ``introduced`` on.
    """

    permission_classes = [permissions.IsAuthenticated]
    filterset_class = MatchFilter

    def get_queryset(self) -> QuerySet[Match]:
        qs = Match.objects.select_related("coordinator", "form").prefetch_related(
            "parties__organization"
        )
        user = self.request.user
        if is_coordinator(user):
            return qs
        if not user.is_authenticated:
            return qs.none()
        return qs.filter(parties__organization__in=user.organization_ids()).distinct()

    def get_serializer_class(self):
        if self.action == "list":
            return MatchSerializer
        return MatchDetailSerializer

    def _detail(self, pk) -> Response:
        match = self.get_queryset().get(pk=pk)
        return Response(MatchDetailSerializer(match, context={"request": self.request}).data)

    @extend_schema(request=MatchCreateSerializer, responses={201: MatchDetailSerializer})
    def create(self, request: Request) -> Response:
        """Coordinators: put a match together directly (two or more organizations)."""
        if not is_coordinator(request.user):
            raise exceptions.PermissionDenied(_("マッチを作成できるのはコーディネーターだけです。"))
        body = MatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        need, offer = data.get("need"), data.get("offer")
        parties = []
        for row in data["parties"]:
            org = row["organization"]
            role = row.get("role") or (
                workflow.Role.NEED_POSTER
                if need and need.organization_id == org.pk
                else workflow.Role.OFFER_POSTER
                if offer and offer.organization_id == org.pk
                else workflow.Role.PARTNER
            )
            parties.append(workflow.PartySpec(org, role, row["responsibilities"]))
        match = workflow.create_match(
            request.user,
            parties=parties,
            title=data["title"],
            need=need,
            offer=offer,
            origin=Match.Origin.COORDINATOR,
            comment=data["comment"],
        )
        response = self._detail(match.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request=TransitionRequestSerializer,
        responses={200: MatchDetailSerializer},
        examples=[
            OpenApiExample("introduce", value={"action": "introduce"}, request_only=True),
            OpenApiExample(
                "agree",
                value={
                    "action": "agree",
                    "form": "cooperation",
                    "starts_on": "2026-05-01",
                    "ends_on": "2027-03-31",
                    "budget_note": "会場費は市が負担",
                    "responsibilities": [
                        {"organization": 3, "responsibilities": "会場の確保と広報"},
                        {"organization": 1, "responsibilities": "見守り訪問の実施"},
                    ],
                },
                request_only=True,
            ),
            OpenApiExample(
                "activate before the start date (coordinators)",
                value={"action": "activate", "override_reason": "準備が早く整ったため"},
                request_only=True,
            ),
            OpenApiExample(
                "decline",
                value={"action": "decline", "organization": 1, "reason": "体制が整わないため"},
                request_only=True,
            ),
            OpenApiExample(
                "cancel", value={"action": "cancel", "reason": "事業の中止"}, request_only=True
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk=None) -> Response:
        """Move the match: introduce, start_consulting, agree, activate, complete,
        mark_evaluated, decline, cancel. 409 when the state does not allow it."""
        match = self.get_object()
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        name, user, comment = data["action"], request.user, data["comment"]
        if name == "agree":
            workflow.agree(
                match,
                user,
                form=data.get("form"),
                responsibilities={
                    r["organization"]: r["responsibilities"]
                    for r in data.get("responsibilities", [])
                },
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                budget_note=data["budget_note"],
                comment=comment,
            )
        elif name == "decline":
            org = _party_org(request, match, data.get("organization"))
            workflow.decline(match, user, org, data["reason"] or comment)
        elif name == "cancel":
            workflow.cancel(match, user, data["reason"] or comment)
        elif name in ("activate", "complete"):
            getattr(workflow, name)(
                match, user, comment=comment, override_reason=data["override_reason"]
            )
        else:
            getattr(workflow, name)(match, user, comment=comment)
        return self._detail(match.pk)

    @extend_schema(request=ConfirmTermsSerializer, responses={200: MatchDetailSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        """A party confirms the recorded terms (its own members only). The last party to
        confirm makes the match ``agreed``."""
        match = self.get_object()
        body = ConfirmTermsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _party_org(request, match, data.get("organization"))
        workflow.confirm_terms(
            match, request.user, org, revision=data.get("revision"), comment=data["comment"]
        )
        return self._detail(match.pk)

    @extend_schema(request=RespondSerializer, responses={200: MatchDetailSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk=None) -> Response:
        """A party answers the introduction: accepted true/false (false needs a comment,
        the reason). Coordinators answer for a party given as ``organization``."""
        match = self.get_object()
        body = RespondSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _party_org(request, match, data.get("organization"))
        workflow.respond(match, request.user, org, data["accepted"], data["comment"])
        return self._detail(match.pk)

    @extend_schema(request=AddPartySerializer, responses={201: PartySerializer})
    @action(detail=True, methods=["post"])
    def parties(self, request: Request, pk=None) -> Response:
        """Coordinators: add an organization (before the terms are agreed)."""
        match = self.get_object()
        body = AddPartySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        party = workflow.add_party(
            match,
            request.user,
            data["organization"],
            data.get("role") or workflow.Role.PARTNER,
            data["responsibilities"],
            data["comment"],
        )
        party.match = Match.objects.get(pk=match.pk)
        return Response(
            PartySerializer(party, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
