"""The coordinators' pages, mounted at ``/coord/`` (namespace ``coord``)."""

from django.urls import path

from web.coordinator import (
    home,
    imports,
    kpi,
    matches,
    organizations,
    rescore,
    review,
    rounds,
    slots,
)

app_name = "coord"

urlpatterns = [
    path("", home.home, name="home"),
    path("review/", review.review_queue, name="review"),
    path("review/decide/", review.review_decide, name="review-decide"),
    path("interest/", review.interest_list, name="interest"),
    path(
        "interest/<int:pk>/accept/",
        review.interest_handle,
        {"action": "accept"},
        name="interest-accept",
    ),
    path(
        "interest/<int:pk>/decline/",
        review.interest_handle,
        {"action": "decline"},
        name="interest-decline",
    ),
    path("matches/", matches.match_board, name="matches"),
    path("matches/<int:pk>/", matches.match_detail, name="match-detail"),
    path("matches/<int:pk>/action/", matches.match_action, name="match-action"),
    path("slots/", slots.slots, name="slots"),
    path("slots/<int:pk>/cancel/", slots.slot_cancel, name="slot-cancel"),
    path("organizations/unverified/", organizations.unverified_organizations, name="unverified"),
    path("organizations/<int:pk>/verify/", organizations.verify_organization, name="verify"),
    path("rescore/", rescore.rescore, name="rescore"),
    path("rounds/", rounds.rounds, name="rounds"),
    path("rounds/start/", rounds.round_start, name="round-start"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round-detail"),
    path("import/", imports.import_upload, name="import"),
    path("import/confirm/", imports.import_confirm, name="import-confirm"),
    path("import/cancel/", imports.import_cancel, name="import-cancel"),
    path("import/<str:token>/", imports.import_page, name="import-page"),
    path("import/<str:token>/status/", imports.import_status, name="import-status"),
    # KPI dashboard and the yearly progress sheet (進行管理シート)
    path("kpi/", kpi.dashboard, name="kpi-dashboard"),
    path("kpi/progress-sheet.csv", kpi.progress_sheet_csv, name="kpi-progress-sheet-csv"),
    path("kpi/progress-sheet.xlsx", kpi.progress_sheet_xlsx, name="kpi-progress-sheet-xlsx"),
]
