"""マイページ: the notification inbox, the delivery settings per kind, and the private
calendar feed's URL (shown and renewed there).

Thin views over ``notifications.services`` and ``matching.consultations.ical``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.consultations import ical
from notifications import services as notices
from web.member.forms import (
    preference_form_class,
)


# --------------------------------------------------------------------------- notifications
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("all"):
            count = notices.mark_read(request.user)
        else:
            ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
            count = notices.mark_read(request.user, ids)
        messages.success(request, _("%(count)d件を既読にしました。") % {"count": count})
        return redirect("member-inbox")
    only_unread = request.GET.get("unread") == "1"
    rows = notices.inbox(request.user).order_by("-created_at", "-pk")
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    context = {
        "page": paginate(request, rows),
        "unread": notices.unread_count(request.user),
        "only_unread": only_unread,
    }
    return render(request, "member/inbox.html", context)


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    rows = notices.preferences(request.user)
    form_class = preference_form_class(rows)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            notices.set_preferences(
                request.user,
                {
                    name.removeprefix("kind__"): value
                    for name, value in form.cleaned_data.items()
                    if value
                },
            )
            messages.success(request, _("通知の設定を保存しました。"))
            return redirect("member-notification-settings")
        messages.error(request, _("入力内容を確認してください。"))
    else:
        form = form_class()
    feed = ical.feed_for(request.user)
    context = {
        "form": form,
        "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])),
    }
    return render(request, "member/notification_settings.html", context)


@login_required
@require_POST
def rotate_feed(request: HttpRequest) -> HttpResponse:
    ical.rotate_feed(request.user)
    messages.success(request, _("カレンダーのURLを新しくしました。以前のURLは使えなくなりました。"))
    return redirect("member-notification-settings")
