"""The coordinators' pages, mounted at ``/coord/`` (namespace ``coord``)."""

from django.urls import path

from . import views_coord as v

app_name = "coord"

urlpatterns = [
    path("review/", v.review_queue, name="review"),
    path("review/decide/", v.review_decide, name="review-decide"),
    path("interest/", v.interest_list, name="interest"),
    path(
        "interest/<int:pk>/accept/", v.interest_handle, {"action": "accept"}, name="interest-accept"
    ),
    path(
        "interest/<int:pk>/decline/",
        v.interest_handle,
        {"action": "decline"},
        name="interest-decline",
    ),
    path("matches/", v.match_board, name="matches"),
    path("matches/<int:pk>/", v.match_detail, name="match-detail"),
    path("matches/<int:pk>/action/", v.match_action, name="match-action"),
    path("slots/", v.slots, name="slots"),
    path("slots/<int:pk>/cancel/", v.slot_cancel, name="slot-cancel"),
    path("organizations/unverified/", v.unverified_organizations, name="unverified"),
    path("organizations/<int:pk>/verify/", v.verify_organization, name="verify"),
    path("rescore/", v.rescore, name="rescore"),
    path("import/", v.import_upload, name="import"),
    path("import/confirm/", v.import_confirm, name="import-confirm"),
    path("import/cancel/", v.import_cancel, name="import-cancel"),
]
