"""マイページ: the notification inbox, the delivery settings per kind, and the private
calendar feed's URL (shown and renewed there).

Thin views over ``notifications.services`` and ``matching.consultations.ical``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pages import paginate
from matching.consultations import ical
from notifications import kinds as kind_registry
from notifications import presets
from notifications import services as notices
from organizations.permissions import is_coordinator
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
    page = paginate(request, rows)
    for notification in page:
        # The page of what it is about, through open_notification (which marks it read).
        notification.link = notices.link_for(notification, request.user)
    context = {
        "page": page,
        "unread": notices.unread_count(request.user),
        "only_unread": only_unread,
    }
    return render(request, "member/inbox.html", context)


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification's link: marks it read and goes to the page it is about (the inbox
    when it is about nothing with a page)."""
    link = notices.open_notification(request.user, pk)
    if link is None:
        raise Http404
    return redirect(link or "member-inbox")


class PresetForm(forms.Form):
    """受け取り方: one of the presets (すべて／重要なものだけ／まとめて受け取る)."""

    preset = forms.ChoiceField(
        label=_("受け取り方"),
        choices=[(p.code, p.label) for p in presets.PRESETS.values()],
        widget=forms.RadioSelect,
    )


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """A preset at the top; the table per kind folded under it. A member's table leaves
    out the kinds only coordinators receive."""
    shown = set(presets.visible_kinds(coordinator=is_coordinator(request.user)))
    rows = [
        row
        for row in notices.preferences(request.user)
        if row["kind"] == kind_registry.ANY_KIND or row["kind"] in shown
    ]
    form_class = preference_form_class(rows)
    current = presets.current_preset(request.user)
    preset_form = PresetForm(initial={"preset": current} if current in presets.PRESETS else {})
    form = form_class()
    if request.method == "POST" and request.POST.get("action") == "preset":
        preset_form = PresetForm(request.POST)
        if preset_form.is_valid():
            chosen = presets.apply_preset(request.user, preset_form.cleaned_data["preset"])
            messages.success(
                request, _("受け取り方を「%(preset)s」にしました。") % {"preset": chosen.label}
            )
            return redirect("member-notification-settings")
        messages.error(request, _("受け取り方を選んでください。"))
    elif request.method == "POST":
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
    feed = ical.feed_for(request.user)
    context = {
        "form": form,
        "preset_form": preset_form,
        "presets": list(presets.PRESETS.values()),
        "custom": current == presets.CUSTOM,
        # the table opens by itself when it holds the user's own choices or an error
        "open_table": current == presets.CUSTOM or form.is_bound,
        "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[feed.token])),
    }
    return render(request, "member/notification_settings.html", context)


@login_required
@require_POST
def rotate_feed(request: HttpRequest) -> HttpResponse:
    ical.rotate_feed(request.user)
    messages.success(request, _("カレンダーのURLを新しくしました。以前のURLは使えなくなりました。"))
    return redirect("member-notification-settings")
