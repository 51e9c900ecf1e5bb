"""Thin API views for evaluations, continuation follow-ups and the continuation rate.

Each view validates the request, calls the ``matching.outcomes`` services
(``evaluations``, ``follow_ups``, ``continuation``) and maps their refusals to
400/403/409 with the service's Japanese message.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.matches.permissions import can_view_match
from matching.models import ContinuationFollowUp, Evaluation, Match
from matching.outcomes import case_book, follow_ups
from matching.outcomes import continuation as continuation_mod
from matching.outcomes import evaluations as evaluations_mod
from matching.outcomes.serializers import (
    ContinuationRateSerializer,
    ContinuationRowSerializer,
    EvaluationInputSerializer,
    EvaluationSerializer,
    FollowUpAnswerSerializer,
    FollowUpSerializer,
    MatchEvaluationsSerializer,
    PublicationActionSerializer,
    PublicationSerializer,
)
from organizations.permissions import IsCoordinator, is_coordinator


def _truthy(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.lower() in ("1", "true", "yes", "on")


class MatchEvaluationsView(APIView):
    """GET: a match's evaluations and who is still awaited (parties and coordinators;
    until the match is ``evaluated``, a party sees only its own evaluations so as not to
    be anchored by the others'). POST: record one evaluation."""

    permission_classes = [permissions.IsAuthenticated]

    def get_match(self) -> Match:
        match = get_object_or_404(Match.objects.select_related("coordinator"), pk=self.kwargs["pk"])
        if not can_view_match(self.request.user, match):
            raise exceptions.PermissionDenied(
                _("このマッチの参加団体またはコーディネーターだけが見られます。")
            )
        return match

    def _payload(self, match: Match) -> dict:
        user = self.request.user
        rows = match.evaluations.select_related("organization")
        if not is_coordinator(user) and match.state != Match.State.EVALUATED:
            rows = rows.filter(
                evaluator=Evaluation.Evaluator.PARTY, organization_id__in=user.organization_ids()
            )
        status_ = evaluations_mod.evaluation_status(match)
        return {
            "match": match.pk,
            "state": match.state,
            "evaluations": EvaluationSerializer(rows, many=True).data,
            "awaiting": [{"id": o.pk, "name": o.name} for o in status_["awaiting"]],
            "awaiting_coordinator": status_["awaiting_coordinator"],
        }

    @extend_schema(responses={200: MatchEvaluationsSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._payload(self.get_match()))

    @extend_schema(request=EvaluationInputSerializer, responses={201: EvaluationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        match = self.get_match()
        data = EvaluationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "organization" in values:
            organization = values["organization"]
        else:
            organization = self._default_organization(match)
        evaluation = evaluations_mod.record_evaluation(
            match,
            request.user,
            organization,
            values["grade"],
            effects=values.get("effects", ""),
            problems=values.get("problems", ""),
            next_steps=values.get("next_steps", ""),
            publish_consent=values.get("publish_consent", False),
        )
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)

    def _default_organization(self, match: Match):
        user = self.request.user
        mine = [
            p.organization
            for p in follow_ups.active_parties(match)
            if p.organization_id in user.organization_ids()
        ]
        if len(mine) == 1:
            return mine[0]
        if not mine and is_coordinator(user):
            return None
        raise exceptions.ValidationError(
            {"organization": [_("どの団体として評価するかを指定してください。")]}
        )


class FollowUpListView(generics.ListAPIView):
    """Continuation follow-ups. Members: their organizations' due follow-ups, unanswered
    ones by default (``?answered=true`` for the answered). Coordinators: all of them,
    filtered by ``?match=``, ``?answered=``, ``?months=``."""

    serializer_class = FollowUpSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = ContinuationFollowUp.objects.none()  # for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("match", int),
            OpenApiParameter("answered", bool),
            OpenApiParameter("months", int),
        ]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ContinuationFollowUp]:
        if getattr(self, "swagger_fake_view", False):
            return ContinuationFollowUp.objects.none()
        params = self.request.query_params
        rows = follow_ups.follow_ups_for(self.request.user)
        answered = _truthy(params.get("answered"))
        if answered is None and not is_coordinator(self.request.user):
            answered = False
        if answered is not None:
            rows = rows.exclude(answer="") if answered else rows.filter(answer="")
        for name in ("match", "months"):
            value = params.get(name)
            if value:
                if not value.isdigit():
                    raise exceptions.ValidationError({name: [_("数値で指定してください。")]})
                rows = rows.filter(**{name: int(value)})
        return rows.order_by("due_on", "pk")


class FollowUpAnswerView(APIView):
    """POST ``{answer, reason}``: a member of the asked organization answers."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=FollowUpAnswerSerializer, responses={200: FollowUpSerializer})
    def post(self, request: Request, pk: int) -> Response:
        follow_up = get_object_or_404(ContinuationFollowUp, pk=pk)
        data = FollowUpAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = follow_ups.answer_follow_up(
            follow_up,
            request.user,
            data.validated_data["answer"],
            data.validated_data.get("reason", ""),
        )
        return Response(FollowUpSerializer(row).data)


class ContinuationRateView(APIView):
    """The continuation rate (継続率) by field, form or fiscal year, at 6 or 12 months:
    counted in matches (docs/evaluation.md). Coordinators only."""

    permission_classes = [IsCoordinator]

    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, enum=["field", "form", "year", "all"]),
            OpenApiParameter("months", int, enum=[6, 12]),
        ],
        responses={200: ContinuationRateSerializer},
    )
    def get(self, request: Request) -> Response:
        by = request.query_params.get("by", "field")
        months_text = request.query_params.get("months", "12")
        if not months_text.isdigit():
            raise exceptions.ValidationError({"months": [_("確認の時期は6か月後か12か月後です。")]})
        rows = continuation_mod.continuation_rate(by=by, months=int(months_text))
        total = continuation_mod.continuation_rate(by="all", months=int(months_text))
        return Response(
            {
                "by": by,
                "months": int(months_text),
                "rows": ContinuationRowSerializer(rows, many=True).data,
                "total": ContinuationRowSerializer(total[0]).data if total else None,
            }
        )


class MatchPublicationView(APIView):
    """GET: the case-book decision of a match (parties and coordinators). POST: a party
    consents or revokes its consent; a coordinator approves the public text or withdraws
    the approval (``docs/workflow.md``, 事例集)."""

    permission_classes = [permissions.IsAuthenticated]

    def get_match(self) -> Match:
        match = get_object_or_404(Match, pk=self.kwargs["pk"])
        if not can_view_match(self.request.user, match):
            raise exceptions.NotFound()
        return match

    def _payload(self, match: Match) -> dict:
        status_ = case_book.publication_status(match)
        publication = status_["publication"]
        return {
            "match": match.pk,
            "parties": [
                {
                    "organization": row["party"].organization_id,
                    "organization_name": row["party"].organization.name,
                    "consented": bool(row["consent"] and row["consent"].consented),
                    "decided_at": row["consent"].decided_at if row["consent"] else None,
                }
                for row in status_["parties"]
            ],
            "text": publication.text if publication else "",
            "approved": status_["approved"],
            "approved_at": publication.approved_at if publication else None,
            "public": status_["public"],
        }

    @extend_schema(responses={200: PublicationSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._payload(self.get_match()))

    @extend_schema(request=PublicationActionSerializer, responses={200: PublicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        match = self.get_match()
        body = PublicationActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        action = data["action"]
        if action in ("consent", "revoke"):
            organization = data.get("organization") or self._own_organization(match)
            case_book.set_consent(match, request.user, organization, action == "consent")
        elif action == "approve":
            case_book.approve_text(match, request.user, data["text"])
        else:
            case_book.withdraw_approval(match, request.user)
        return Response(self._payload(match))

    def _own_organization(self, match: Match):
        ids = self.request.user.organization_ids()
        mine = [
            p.organization for p in follow_ups.active_parties(match) if p.organization_id in ids
        ]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise exceptions.PermissionDenied(
                _("掲載への同意は、その団体のメンバーだけが決められます。")
            )
        raise exceptions.ValidationError(
            {"organization": [_("どの団体として決めるかを指定してください。")]}
        )
