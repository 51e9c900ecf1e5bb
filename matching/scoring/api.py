"""The scoring API: a post's ranked suggestions (for its organization's members and
coordinators) and full re-scores (coordinators)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from matching.models import RescoreRun, Suggestion
from matching.scoring import adapter, services
from matching.scoring.serializers import RescoreRunSerializer, SuggestionSerializer
from organizations.permissions import IsCoordinator, can_post_for
from proposals.api import visible_posts
from proposals.models import Need, Offer


class PostSuggestionsView(generics.ListAPIView):
    """Ranked suggestions for one post, best first, with breakdown and reasons.

    Visible to the members of the post's organization and to coordinators.
    """

    serializer_class = SuggestionSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Suggestion.objects.none()  # for the schema; the real list is per post
    model: type[Need] | type[Offer]
    side: str

    def get_post(self):
        queryset = visible_posts(
            self.model.objects.select_related("organization"), self.request.user
        )
        post = get_object_or_404(queryset, pk=self.kwargs["pk"])
        if not can_post_for(self.request.user, post.organization):
            raise PermissionDenied(_("この投稿の提案を見る権限がありません。"))
        return post

    def get_queryset(self) -> QuerySet[Suggestion]:
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        post = self.get_post()
        limit = adapter.active_profile().top_k
        rows = list(
            Suggestion.objects.filter(**{self.side: post})
            .select_related("need__organization", "offer__organization")
            .order_by("-score", "pk")[:limit]
        )
        for rank, row in enumerate(rows, start=1):
            row.rank = rank
        return rows


class NeedSuggestionsView(PostSuggestionsView):
    model = Need
    side = "need"


class OfferSuggestionsView(PostSuggestionsView):
    model = Offer
    side = "offer"


class RescoreRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Full re-scores: start one (coordinators) and follow its progress."""

    queryset = RescoreRun.objects.select_related("requested_by")
    serializer_class = RescoreRunSerializer
    permission_classes = [IsCoordinator]

    @extend_schema(request=None, responses={202: RescoreRunSerializer})
    def create(self, request: Request) -> Response:
        run = services.start_full_rescore(user=request.user)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)
