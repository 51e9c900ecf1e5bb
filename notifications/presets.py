"""Notification settings in a few words: presets (すべて／重要なものだけ／まとめて受け取る)
that set every kind at once, and which kinds only coordinators receive (a member's settings
page does not list them).

A preset is applied through :func:`apply_preset`, the one place that writes it (the web
settings page calls it; the per-kind table still goes through
``services.set_preferences``). A preset is not stored as such: :func:`current_preset`
recognises it from the user's rows, so a change to one kind afterwards reads as
「個別に設定」. See docs/notifications.md (Presets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications import kinds as kind_registry
from notifications.models import Channel, Preference

# Sent to coordinators only (the review of requests, overdue answers and deadlines,
# new registrations, deletion requests): a member never receives them, so their settings
# page does not offer them.
COORDINATOR_KINDS: frozenset[str] = frozenset(
    {
        "interest.received",
        "match.response_overdue",
        "deadline.overdue",
        "organization.registered",
        "privacy.deletion_requested",
    }
)

# What asks the reader to act or changes a date they hold: emailed under 重要なものだけ.
IMPORTANT_KINDS: frozenset[str] = frozenset(
    {
        "match.introduce",
        "match.terms",
        "match.cancel",
        "match.decline",
        "match.party_declined",
        "match.response_reminder",
        "match.evaluation_request",
        "match.follow_up_request",
        "match.follow_up_reminder",
        "match.publication",
        "interest.accepted",
        "interest.declined",
        "consultation.booked",
        "consultation.rescheduled",
        "consultation.cancelled",
        "consultation.reminder_day",
        "post.expiring",
        "organization.kind_changed",
        "meeting.promoted",
        "meeting.declined",
        "meeting.cancelled",
        "meeting.approval_requested",
        "meeting.invited",
        "meeting.changed",
        "meeting.reminder_1d",
        "meeting.wishes_requested",
    }
    | COORDINATOR_KINDS
)

# Worthless a day late: still emailed one by one under まとめて受け取る.
TIME_CRITICAL_KINDS: frozenset[str] = frozenset(
    {
        "consultation.rescheduled",
        "consultation.cancelled",
        "consultation.reminder_day",
        "consultation.reminder_hour",
        "meeting.changed",
        "meeting.reminder_1d",
    }
)


@dataclass(frozen=True)
class Preset:
    code: str
    label: Any  # lazy Japanese
    help: Any
    default: str  # the channel for every other kind ("*")
    kinds: dict[str, str] = field(default_factory=dict)  # kind → channel


PRESETS: dict[str, Preset] = {
    preset.code: preset
    for preset in (
        Preset(
            "all",
            _("すべて"),
            _("お知らせが届くたびにメールで受け取ります（おすすめ）。"),
            Channel.EMAIL,
        ),
        Preset(
            "important",
            _("重要なものだけ"),
            _(
                "回答や予約など、対応が必要なお知らせだけメールで受け取ります。"
                "ほかはマイページのお知らせで確認できます。"
            ),
            Channel.IN_APP,
            {kind: Channel.EMAIL for kind in IMPORTANT_KINDS},
        ),
        Preset(
            "digest",
            _("まとめて受け取る"),
            _(
                "1日分をまとめて毎朝1通のメールで受け取ります。"
                "相談・交流の場の日時の変更・取消と前日のお知らせは、すぐにメールで届きます。"
            ),
            Channel.DIGEST_DAILY,
            {kind: Channel.EMAIL for kind in TIME_CRITICAL_KINDS},
        ),
    )
}
CUSTOM = "custom"


def visible_kinds(*, coordinator: bool) -> list[str]:
    """The kinds a person's settings page lists: all of them for a coordinator, those a
    member can receive otherwise."""
    return [k for k in kind_registry.KINDS if coordinator or k not in COORDINATOR_KINDS]


@transaction.atomic
def apply_preset(user: Any, code: str) -> Preset:
    """Set every kind of notification for ``user`` as the preset says (replacing the
    per-kind choices). ``KeyError`` for an unknown preset: callers offer only PRESETS."""
    preset = PRESETS[code]
    Preference.objects.filter(user=user).delete()
    rows = [Preference(user=user, kind=kind_registry.ANY_KIND, channel=preset.default)]
    rows += [
        Preference(user=user, kind=kind, channel=channel)
        for kind, channel in sorted(preset.kinds.items())
    ]
    Preference.objects.bulk_create(rows)
    return preset


def current_preset(user: Any) -> str:
    """The preset the user's rows amount to, ``"all"`` with no rows (the defaults), or
    ``CUSTOM``."""
    rows = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    if not rows:
        return "all"
    for preset in PRESETS.values():
        expected = {kind_registry.ANY_KIND: preset.default, **preset.kinds}
        if rows == expected:
            return preset.code
    return CUSTOM
