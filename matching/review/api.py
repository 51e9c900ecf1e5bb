"""Thin DRF views over ``matching.review.services``: the review queue, decisions on
suggested pairs (approving one creates a match through ``matching.matches.workflow``) and
the rejection reasons.

Errors are the services' (``lib.errors``), answered by ``lib.api.exception_handler``: bad
data 400, field by field or item by item; not allowed 403; a conflicting state 409.
Nothing is saved when a request fails.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.models import RejectionReason, Suggestion
from matching.review import services as review
from matching.review.serializers import (
    DecideSerializer,
    DecisionResultSerializer,
    RejectionReasonSerializer,
    ReviewQueueItemSerializer,
    ReviewQueueQuerySerializer,
)
from organizations.models import Area
from organizations.permissions import IsCoordinator


def _list_param(request: Request, name: str) -> list[str]:
    """``?field=a,b`` and ``?field=a&field=b`` both work."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


QUEUE_PARAMETERS = [
    OpenApiParameter("min_score", OpenApiTypes.FLOAT, description="最低点（省略時は設定値）"),
    OpenApiParameter("field", OpenApiTypes.STR, description="分野コード（どちらかの投稿）"),
    OpenApiParameter("area", OpenApiTypes.STR, description="地域コード（下位・上位を含む）"),
    OpenApiParameter("department", OpenApiTypes.INT, description="ニーズを投稿した団体のID"),
    OpenApiParameter("form", OpenApiTypes.STR, description="協働の形態コード（双方が受け入れる）"),
]


@extend_schema(parameters=QUEUE_PARAMETERS)
class ReviewQueueView(generics.ListAPIView):
    """Suggested pairs waiting for a coordinator's decision, best first."""

    serializer_class = ReviewQueueItemSerializer
    permission_classes = [IsCoordinator]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        params = {
            name: _list_param(self.request, name)
            for name in ("field", "area", "department", "form")
        }
        params = {k: v for k, v in params.items() if v}
        if "min_score" in self.request.query_params:
            params["min_score"] = self.request.query_params["min_score"]
        query = ReviewQueueQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        areas = None
        if data.get("area"):
            areas = list(Area.objects.filter(code__in=data["area"]))
            if len(areas) != len(set(data["area"])):
                raise exceptions.ValidationError({"area": [_("登録されていない地域コードです。")]})
        return review.review_queue(
            min_score=data.get("min_score"),
            fields=data.get("field"),
            areas=areas,
            departments=data.get("department"),
            forms=data.get("form"),
        )


class ReviewDecideView(APIView):
    """Approve (creates a match), reject (with a reason) or defer suggested pairs."""

    permission_classes = [IsCoordinator]

    @extend_schema(
        request=DecideSerializer,
        responses={200: DecisionResultSerializer(many=True)},
        examples=[
            OpenApiExample(
                "bulk",
                value={
                    "items": [
                        {"need": 1, "offer": 2, "decision": "approved"},
                        {"need": 1, "offer": 3, "decision": "rejected", "reason": "area"},
                        {"need": 4, "offer": 2, "decision": "deferred",
                         "deferred_until": "2026-06-01"},
                    ]
                },
                request_only=True,
            )
        ],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        # A body that is not an object (``null``, a list, a number) is a 400 from the
        # serializer, never a TypeError here.
        body = request.data
        data = body if isinstance(body, dict) and "items" in body else {"items": [body]}
        serializer = DecideSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        items = [review.DecisionItem(**item) for item in serializer.validated_data["items"]]
        results = review.decide(request.user, items)
        return Response({"results": DecisionResultSerializer(results, many=True).data})


class RejectionReasonViewSet(viewsets.ReadOnlyModelViewSet):
    """The reasons a coordinator picks from when rejecting a pair (kept as data)."""

    queryset = RejectionReason.objects.filter(is_active=True)
    serializer_class = RejectionReasonSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    lookup_field = "code"
