"""The match rounds API (coordinators): start a round, follow its progress, read what it
proposed. A thin view over ``matching.rounds.services``; refusals are the services'
(``lib.errors``): 403 for a non-coordinator, 409 while another round runs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from matching.models import MatchRound
from matching.rounds import services
from matching.rounds.serializers import MatchRoundDetailSerializer, MatchRoundSerializer
from organizations.permissions import IsCoordinator


class MatchRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Match rounds (マッチングラウンド): one global assignment of the open needs to offers
    with places left, proposed into the review queue. ``GET …/{id}/`` has the progress and,
    once done, every need with its pairs and the explanations."""

    queryset = MatchRound.objects.select_related("requested_by")
    permission_classes = [IsCoordinator]

    def get_serializer_class(self):
        return MatchRoundDetailSerializer if self.action == "retrieve" else MatchRoundSerializer

    @extend_schema(request=None, responses={202: MatchRoundSerializer})
    def create(self, request: Request) -> Response:
        round_ = services.start_round(request.user)
        return Response(MatchRoundSerializer(round_).data, status=status.HTTP_202_ACCEPTED)
