"""The legal documents and consent through the API (``/api/v1/legal/…``).

API clients are never blocked for a missing consent (the pages are): a client reads
``consent_required`` from ``/api/v1/me/`` or ``GET /api/v1/legal/consents/``, shows the
``pending`` documents to its user and records the answer with ``POST /api/v1/legal/consents/``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from legal import services
from legal.models import Consent, Document, Kind
from legal.serializers import (
    AgreeSerializer,
    ConsentSerializer,
    ConsentStatusSerializer,
    DocumentSerializer,
)


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The current version of 利用規約 (``terms``), プライバシーポリシー (``privacy``) and
    問い合わせ先 (``contact``); anyone may read them."""

    serializer_class = DocumentSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "kind"
    lookup_value_regex = "|".join(Kind.values)
    pagination_class = None
    queryset = Document.objects.none()  # for the schema; the documents come from services

    def list(self, request: Request, *args, **kwargs) -> Response:
        docs = services.current_documents().values()
        return Response(self.get_serializer(list(docs), many=True).data)

    def get_object(self) -> Document:
        doc = services.current(self.kwargs["kind"])
        if doc is None:
            raise Http404
        return doc


class ConsentView(APIView):
    """Your consent: what you must agree to now (``pending``) and what you agreed to."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=ConsentStatusSerializer)
    def get(self, request: Request) -> Response:
        waiting = services.pending(request.user)
        consents = Consent.objects.filter(user=request.user).order_by("-agreed_at")
        return Response(
            {
                "consent_required": bool(waiting),
                "pending": DocumentSerializer(waiting, many=True).data,
                "consents": ConsentSerializer(consents, many=True).data,
            }
        )

    @extend_schema(request=AgreeSerializer, responses={201: ConsentSerializer})
    def post(self, request: Request) -> Response:
        """Agree to the current version of ``kind``; ``version`` must be the one shown
        (400 when a newer version was published meanwhile). Agreeing again changes nothing."""
        data = AgreeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.agree_to(
            request.user,
            data.validated_data["kind"],
            data.validated_data["version"],
            via=Consent.Via.API,
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
