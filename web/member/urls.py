"""The signed-in pages of an organization's members, mounted at ``/my/``."""

from django.urls import path

from web.member import matches, notifications, posts, privacy, requests

urlpatterns = [
    path("", posts.home, name="member-home"),
    path("<str:post_type>/new/", posts.post_edit, name="member-post-new"),
    path("<str:post_type>/<int:pk>/edit/", posts.post_edit, name="member-post-edit"),
    path("<str:post_type>/<int:pk>/suggestions/", posts.suggestions, name="member-suggestions"),
    path("<str:post_type>/<int:pk>/interest/", posts.interest, name="member-interest"),
    path("matches/<int:pk>/", matches.match_detail, name="member-match"),
    path("matches/<int:pk>/respond/", matches.match_respond, name="member-match-respond"),
    path("matches/<int:pk>/transition/", matches.match_step, name="member-match-step"),
    path("matches/<int:pk>/agree/", matches.match_agree, name="member-match-agree"),
    path("matches/<int:pk>/book/", matches.match_book, name="member-match-book"),
    path("matches/<int:pk>/evaluate/", matches.match_evaluate, name="member-match-evaluate"),
    path("consultations/<int:pk>/cancel/", matches.booking_cancel, name="member-booking-cancel"),
    path(
        "consultations/<int:pk>/reschedule/",
        matches.booking_reschedule,
        name="member-booking-reschedule",
    ),
    path("follow-ups/<int:pk>/", matches.follow_up_answer, name="member-follow-up"),
    path("consultations/<int:pk>.ics", matches.booking_ics, name="member-booking-ics"),
    path("notifications/", notifications.inbox, name="member-inbox"),
    path(
        "notifications/<int:pk>/open/",
        notifications.open_notification,
        name="member-notification-open",
    ),
    path("requests/", requests.sent_requests, name="member-sent-requests"),
    path("requests/<int:pk>/withdraw/", requests.withdraw_request, name="member-withdraw-request"),
    path("start/", requests.after_login, name="after-login"),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="member-notification-settings",
    ),
    path("calendar/rotate/", notifications.rotate_feed, name="member-rotate-feed"),
    path("privacy/", privacy.privacy_home, name="member-privacy"),
    path("privacy/<int:pk>/export.json", privacy.privacy_export, name="member-privacy-export"),
    path("privacy/<int:pk>/delete/", privacy.privacy_delete, name="member-privacy-delete"),
]
