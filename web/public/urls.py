"""Pages anyone may open: the start page, 協働メニュー and posts, 団体一覧, 事例集, sign-up,
login and password reset, and the unsubscribe link of notification e-mails."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from web.public import (
    accounts,
    cases,
    meeting_day,
    meetings,
    organizations,
    posts,
    signup,
    unsubscribe,
    views,
)

# Django's own login, logout and password pages, listed one by one so that the
# rate-limited password reset (accounts.PasswordResetView) replaces Django's in place.
account_patterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("signup/", signup.signup, name="signup"),
]

unsubscribe_patterns = (
    [path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe")],
    "notifications",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("menu/", posts.menu, name="menu"),
    path("needs/<int:pk>/", posts.need_detail, name="need-page"),
    path("offers/<int:pk>/", posts.offer_detail, name="offer-page"),
    path("organizations/", organizations.organization_list, name="organization-list-page"),
    path("organizations/<int:pk>/", organizations.organization_detail, name="organization-page"),
    path("cases/", cases.case_book_page, name="case-book"),
    # 交流の場 (meetings): upcoming, past with reports, one meeting and its registration.
    path("meetings/", meetings.meeting_list, name="meeting-list-page"),
    path("meetings/past/", meetings.past_meetings, name="meeting-past-page"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting-page"),
    path("meetings/<int:pk>/register/", meetings.meeting_register, name="meeting-register-page"),
    # The day and after (meeting_day): the QR code's check-in page, the post-meeting form,
    # the minutes for those allowed, the report's photos.
    path("meetings/checkin/<str:token>/", meeting_day.check_in_page, name="meeting-checkin-page"),
    path("meetings/<int:pk>/wishes/", meeting_day.wishes_page, name="meeting-wishes-page"),
    path("meetings/<int:pk>/minutes/", meeting_day.minutes_page, name="meeting-minutes-page"),
    path("meetings/<int:pk>/photos/<int:pid>/", meeting_day.photo, name="meeting-photo-page"),
    path("accounts/", include(account_patterns)),
    path("notifications/", include(unsubscribe_patterns)),
]
