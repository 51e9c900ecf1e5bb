"""The posts API (needs, offers, their reference lists), mounted at ``/api/v1/``."""

from rest_framework import routers

from proposals.api import CollaborationFormViewSet, NeedViewSet, OfferViewSet, SupportViewSet

router = routers.SimpleRouter()
router.register("needs", NeedViewSet, basename="need")
router.register("offers", OfferViewSet, basename="offer")
router.register("forms", CollaborationFormViewSet, basename="form")
router.register("supports", SupportViewSet, basename="support")

urlpatterns = router.urls
