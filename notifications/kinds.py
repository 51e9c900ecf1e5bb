"""The kinds of notification in use, with their labels and default channels.

The producers live in other apps (matching); this registry only names them for the
preferences screen. An unknown kind is still accepted everywhere (default: email)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications.models import Channel

KINDS: dict[str, object] = {
    "match.created": _("協働の候補の検討開始"),
    "match.introduce": _("協働の相手のご紹介"),
    "match.start_consulting": _("相談の開始"),
    "match.agree": _("協働内容の合意"),
    "match.activate": _("協働の開始"),
    "match.complete": _("協働の完了"),
    "match.mark_evaluated": _("評価の完了"),
    "match.decline": _("辞退による終了"),
    "match.cancel": _("協働の中止"),
    "match.respond": _("紹介への回答"),
    "match.party_declined": _("参加団体の辞退"),
    "match.terms": _("合意内容の確認のお願い"),
    "match.confirm": _("合意内容の確認"),
    "match.publication": _("事例集への掲載"),
    "match.response_reminder": _("回答期限のお知らせ"),
    "match.response_overdue": _("回答期限切れ（コーディネーター向け）"),
    "match.evaluation_request": _("評価のお願い"),
    "match.follow_up_request": _("継続状況のおたずね"),
    "match.follow_up_reminder": _("継続状況のおたずね（再送）"),
    "interest.received": _("紹介の依頼の受付"),
    "interest.accepted": _("紹介の依頼の承認"),
    "interest.declined": _("紹介の依頼の見送り"),
    "consultation.booked": _("相談の予約"),
    "consultation.changed": _("相談の変更"),
    "consultation.rescheduled": _("相談の日時変更"),
    "consultation.cancelled": _("相談の取消"),
    "consultation.minutes": _("相談の記録"),
    "consultation.reminder_day": _("相談の前日のお知らせ"),
    "consultation.reminder_hour": _("相談の1時間前のお知らせ"),
    "suggestions.new": _("新しいマッチング候補"),
    "post.expiring": _("掲載期限が近い投稿"),
    "digest.new_posts": _("あなたの分野の新しい協働テーマ"),
    "organization.registered": _("新しい団体の登録"),
    "organization.kind_changed": _("団体の種別の変更"),
    "deadline.overdue": _("期限切れの対応（コーディネーター向け）"),
    "privacy.deletion_requested": _("団体のデータ削除の請求（コーディネーター向け）"),
    "meeting.registered": _("交流の場への参加確定"),
    "meeting.waitlisted": _("交流の場のキャンセル待ち"),
    "meeting.promoted": _("交流の場のキャンセル待ちからの参加確定"),
    "meeting.pending": _("交流の場への申込の受付（承認待ち）"),
    "meeting.approval_requested": _("交流の場への申込の承認のお願い（主催者向け）"),
    "meeting.declined": _("交流の場への申込のお断り"),
    "meeting.cancelled": _("交流の場の中止"),
    "meeting.invited": _("交流の場へのご招待"),
    "meeting.reminder_3d": _("交流の場の3日前のお知らせ"),
    "meeting.reminder_1d": _("交流の場の前日のお知らせ"),
    "meeting.changed": _("交流の場の日時・会場などの変更"),
    "meeting.wishes_requested": _("交流の場の参加後アンケート（もっと話したい団体）"),
    "meeting.new": _("あなたの分野・地域の新しい交流の場"),
    "meeting.wish_without_post": _("交流の場からの希望（投稿のない団体・コーディネーター向け）"),
}

# Without a preference, everything is emailed except the 情報発信 digest content.
DEFAULT_CHANNELS: dict[str, str] = {
    "digest.new_posts": Channel.DIGEST_WEEKLY,
    "meeting.new": Channel.DIGEST_WEEKLY,
}
DEFAULT_CHANNEL: str = Channel.EMAIL
# "*" in a preference: the user's default for every kind without its own row.
ANY_KIND = "*"


def label(kind: str) -> str:
    if kind == ANY_KIND:
        return str(_("その他すべての種類（既定）"))
    return str(KINDS.get(kind, kind))
