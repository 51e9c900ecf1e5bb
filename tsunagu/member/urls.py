"""URLs of the logged-in pages, under /my/ (see tsunagu/urls.py)."""

from django.urls import path

from . import privacy, views

urlpatterns = [
    path("", views.home, name="member-home"),
    path("<str:post_type>/new/", views.post_edit, name="member-post-new"),
    path("<str:post_type>/<int:pk>/edit/", views.post_edit, name="member-post-edit"),
    path("<str:post_type>/<int:pk>/suggestions/", views.suggestions, name="member-suggestions"),
    path("<str:post_type>/<int:pk>/interest/", views.interest, name="member-interest"),
    path("matches/<int:pk>/", views.match_detail, name="member-match"),
    path("matches/<int:pk>/respond/", views.match_respond, name="member-match-respond"),
    path("matches/<int:pk>/transition/", views.match_step, name="member-match-step"),
    path("matches/<int:pk>/agree/", views.match_agree, name="member-match-agree"),
    path("matches/<int:pk>/book/", views.match_book, name="member-match-book"),
    path("matches/<int:pk>/evaluate/", views.match_evaluate, name="member-match-evaluate"),
    path("consultations/<int:pk>/cancel/", views.booking_cancel, name="member-booking-cancel"),
    path(
        "consultations/<int:pk>/reschedule/",
        views.booking_reschedule,
        name="member-booking-reschedule",
    ),
    path("follow-ups/<int:pk>/", views.follow_up_answer, name="member-follow-up"),
    path("consultations/<int:pk>.ics", views.booking_ics, name="member-booking-ics"),
    path("notifications/", views.inbox, name="member-inbox"),
    path(
        "notifications/settings/",
        views.notification_settings,
        name="member-notification-settings",
    ),
    path("calendar/rotate/", views.rotate_feed, name="member-rotate-feed"),
    path("privacy/", privacy.privacy_home, name="member-privacy"),
    path("privacy/<int:pk>/export.json", privacy.privacy_export, name="member-privacy-export"),
    path("privacy/<int:pk>/delete/", privacy.privacy_delete, name="member-privacy-delete"),
]
