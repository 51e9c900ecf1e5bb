"""A match's history told in words: each ``MatchTransition`` as the event it is
(「子育て支援課が前向きと回答」「○○が合意内容を確認」), never 「紹介済み → 紹介済み」.

Used by both match pages and the API (``description`` of each history entry).
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from matching.models import Match, MatchTransition

# Events about one organization: %(org)s is its name.
ABOUT_AN_ORGANIZATION = {
    "add_party": _("%(org)sが参加団体に加わりました"),
    "respond": _("%(org)sが前向きと回答"),
    "party_declined": _("%(org)sが辞退（マッチはほかの団体で継続）"),
    "decline": _("%(org)sが辞退し、マッチは終了"),
    "record_terms": _("%(org)sが合意内容を記録"),
    "change_terms": _("%(org)sが合意内容を変更（ほかの団体はもう一度確認）"),
    "confirm": _("%(org)sが合意内容を確認"),
    "evaluate": _("%(org)sが評価を記入"),
    "consent": _("%(org)sが事例集への掲載に同意"),
    "revoke_consent": _("%(org)sが事例集への掲載の同意を取り消し"),
}

# The same events when no organization is named (a coordinator did it, or an old entry).
WITHOUT_AN_ORGANIZATION = {
    "add_party": _("参加団体が加わりました"),
    "respond": _("参加団体が前向きと回答"),
    "party_declined": _("参加団体が辞退（マッチはほかの団体で継続）"),
    "decline": _("辞退によりマッチは終了"),
    "record_terms": _("コーディネーターが合意内容を記録"),
    "change_terms": _("コーディネーターが合意内容を変更（各団体はもう一度確認）"),
    "confirm": _("参加団体が合意内容を確認"),
    "evaluate": _("コーディネーターが評価を記入"),
}

EVENTS = {
    "create": _("マッチを作成"),
    "introduce": _("コーディネーターが各団体に紹介"),
    "start_consulting": _("事前相談を開始"),
    "agree": _("すべての団体が合意内容を確認し、合意が成立"),
    "activate": _("協働を開始"),
    "complete": _("協働が完了"),
    "mark_evaluated": _("評価がそろい、評価済みに"),
    "cancel": _("コーディネーターが中止"),
    "approve_publication": _("コーディネーターが事例集の公開文を承認"),
    "withdraw_publication": _("コーディネーターが事例集への公開を取り下げ"),
}

OVERRIDES = {
    "activate": _("開始日より前の開始をコーディネーターが例外として認めました"),
    "complete": _("開始日より前の完了をコーディネーターが例外として認めました"),
}


def describe(entry: MatchTransition) -> str:
    """One history entry as a sentence."""
    org = entry.organization.name if entry.organization_id else ""
    if org and entry.name in ABOUT_AN_ORGANIZATION:
        return str(ABOUT_AN_ORGANIZATION[entry.name]) % {"org": org}
    if entry.name in WITHOUT_AN_ORGANIZATION:
        return str(WITHOUT_AN_ORGANIZATION[entry.name])
    if entry.name in EVENTS:
        return str(EVENTS[entry.name])
    if entry.source != entry.target:  # an event this module does not know yet
        return gettext("%(source)s から %(target)s へ") % {
            "source": entry.get_source_display(),
            "target": entry.get_target_display(),
        }
    return entry.name


def override_note(entry: MatchTransition) -> str:
    """What a coordinator let go, with the reason ('' when nothing was)."""
    if not entry.override_reason:
        return ""
    what = OVERRIDES.get(entry.name, _("コーディネーターが例外として認めました"))
    return gettext("%(what)s（理由: %(reason)s）") % {
        "what": what,
        "reason": entry.override_reason,
    }


def comment_shown(entry: MatchTransition) -> str:
    """The comment, unless it only repeats the organization's name (older entries kept
    the name there)."""
    comment = entry.comment or ""
    if entry.organization_id and comment == entry.organization.name:
        return ""
    return comment


def entries(match: Match) -> list[MatchTransition]:
    """The history, oldest first, each entry with ``description``, ``override_note`` and
    ``comment_shown`` set for the pages."""
    rows = list(match.transitions.select_related("actor", "organization").order_by("at", "pk"))
    for row in rows:
        row.description = describe(row)
        row.override_note = override_note(row)
        row.comment_shown = comment_shown(row)
    return rows
