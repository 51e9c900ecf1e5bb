"""The match state machine as plain service functions: who may fire what, and what each
step records and tells whom.

proposed → introduced → consulting → agreed → active → completed → evaluated,
plus declined (a party says no, before the work starts) and cancelled (a coordinator ends
it). The graph lives on ``Match`` (django-fsm-2 ``@transition`` methods); this module adds
the rest. Every function here

- locks the match (``select_for_update``) inside one transaction, so two people pressing
  buttons at once cannot both move it;
- checks permission first (``PermissionDenied``), then the state (``InvalidTransition``,
  HTTP 409), then the data (``ValidationError``, HTTP 400) — nothing is saved on failure;
- records a ``MatchTransition`` (who, when, from, to, comment), the state's timestamp,
  in-app notifications, and sends ``match_transitioned`` (``matching.matches.signals``)
  for the other features (re-scoring, follow-ups, consultation bookings) to react to.

``actor=None`` means the system (a scheduled task): it is never reachable from the API,
which always passes the authenticated user. ``docs/workflow.md`` has the table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed, can_proceed

from lib import links
from lib.dates import (
    add_business_days,
    day_text,
)
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches.audit import audit_actor
from matching.matches.signals import match_transitioned
from matching.models import Match, MatchParty, MatchTransition
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import is_coordinator
from organizations.services import coordinators, members_of
from proposals.models import CollaborationForm, Need, Offer

State = Match.State
Role = MatchParty.Role
Response = MatchParty.Response

# What each action is called in messages and in the history.
ACTION_LABELS: dict[str, str] = {
    "create": _("マッチを作成"),
    "introduce": _("紹介する"),
    "respond": _("紹介に回答する"),
    "start_consulting": _("相談を始める"),
    "agree": _("合意する"),
    "activate": _("実施を始める"),
    "complete": _("完了にする"),
    "mark_evaluated": _("評価済みにする"),
    "decline": _("辞退する"),
    "party_declined": _("参加団体が辞退"),
    "cancel": _("中止する"),
    "add_party": _("参加団体を追加する"),
    "record_terms": _("合意内容を記録する"),
    "change_terms": _("合意内容を変更する"),
    "confirm": _("合意内容を確認する"),
    "evaluate": _("評価を記入する"),
    "consent": _("事例集への掲載に同意する"),
    "revoke_consent": _("事例集への掲載の同意を取り消す"),
    "approve_publication": _("事例集の公開文を承認する"),
    "withdraw_publication": _("事例集の公開を取り下げる"),
}

# The transitions that change the state, in the order of a full lifecycle.
TRANSITIONS = (
    "introduce",
    "start_consulting",
    "agree",
    "activate",
    "complete",
    "mark_evaluated",
    "decline",
    "cancel",
)

# Who may fire each action besides coordinators (who may fire all of them):
# "party" = a member of one of the match's organizations that has not declined;
# "own_party" = a member of the organization the action is about (respond, decline).
PARTY_ACTIONS = {"start_consulting", "agree", "activate", "complete"}
OWN_PARTY_ACTIONS = {"respond", "decline", "confirm"}
# A party's own word on the agreement: only its members give it. A coordinator may
# record the terms, and confirm for a party only when it has no member account to do so
# (an organization from the registry import, say); the history names the coordinator.
PARTY_ONLY_ACTIONS = {"confirm"}
COORDINATOR_ACTIONS = {"create", "introduce", "mark_evaluated", "cancel", "add_party"}

# Parties may join until the terms are agreed.
ADD_PARTY_STATES = (State.PROPOSED, State.INTRODUCED, State.CONSULTING)
# A party answers an introduction while the match is being talked over.
RESPOND_STATES = (State.INTRODUCED, State.CONSULTING)


class WorkflowConflict(Conflict):
    """The request is valid but the current state does not allow it (HTTP 409)."""


class InvalidTransition(WorkflowConflict, TransitionNotAllowed):
    """An action that the match's current state does not allow."""

    default_code = "invalid_transition"

    def __init__(self, match: Match, action: str, detail: str = "") -> None:
        self.state = match.state
        self.action = action
        message = gettext("「%(state)s」の状態のマッチでは「%(action)s」はできません。") % {
            "state": match.get_state_display(),
            "action": ACTION_LABELS.get(action, action),
        }
        if detail:
            message = f"{message}{detail}"
        WorkflowConflict.__init__(self, message, state=match.state, action=action)


# --------------------------------------------------------------------------- who may


def active_parties(match: Match) -> list[MatchParty]:
    """The parties still in the match (a partner that declined has left it)."""
    return [p for p in match.parties.all() if p.response != Response.DECLINED]


def _member_of_active_party(user, match: Match) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    org_ids = {p.organization_id for p in active_parties(match)}
    return bool(user.organization_ids() & org_ids)


def may(user, action: str, match: Match, organization: Organization | None = None) -> bool:
    """May ``user`` fire ``action`` on ``match`` (regardless of its state)?"""
    if user is None:
        return True  # the system (tasks); the API always passes a user
    if action in PARTY_ONLY_ACTIONS:
        if organization is None or not (user.is_authenticated and user.is_active):
            return False
        if user.is_member_of(organization.pk):
            return True
        return is_coordinator(user) and not members_of([organization.pk]).exists()
    if is_coordinator(user):
        return True
    if action in PARTY_ACTIONS:
        return _member_of_active_party(user, match)
    if action in OWN_PARTY_ACTIONS:
        return organization is not None and user.is_member_of(organization.pk)
    return False


def _check_permission(user, action: str, match: Match, organization=None) -> None:
    if not may(user, action, match, organization):
        raise Forbidden(
            gettext("この操作（%(action)s）を行う権限がありません。")
            % {"action": ACTION_LABELS.get(action, action)}
        )


def available_actions(user, match: Match) -> list[str]:
    """The actions ``user`` may fire now (for buttons; the functions check again)."""
    out = []
    own = [p for p in active_parties(match) if user.is_member_of(p.organization_id)]
    for name in TRANSITIONS:
        if name == "decline":
            allowed = can_proceed(match.decline) and (is_coordinator(user) or bool(own))
        elif name == "start_consulting":
            # Consulting starts once every party still in has said yes.
            allowed = (
                can_proceed(match.start_consulting)
                and may(user, name, match)
                and not waiting_for_answers(match)
            )
        else:
            allowed = can_proceed(getattr(match, name)) and may(user, name, match)
        if allowed:
            out.append(name)
    if match.state == State.CONSULTING and match.terms_revision and unconfirmed(match, own):
        out.append("confirm")
    if match.state in RESPOND_STATES and (
        is_coordinator(user) or any(p.response == Response.PENDING for p in own)
    ):
        out.append("respond")
    if match.state in ADD_PARTY_STATES and is_coordinator(user):
        out.append("add_party")
    return out


def waiting_for_answers(match: Match) -> list[MatchParty]:
    """The parties still in the match that have not accepted the introduction."""
    return [p for p in active_parties(match) if p.response != Response.ACCEPTED]


def ready_to_consult() -> QuerySet[Match]:
    """Introduced matches whose parties still in have all said yes: 相談を始める is next."""
    return Match.objects.filter(state=State.INTRODUCED).exclude(parties__response=Response.PENDING)


def unconfirmed(match: Match, parties: Iterable[MatchParty] | None = None) -> list[MatchParty]:
    """Of ``parties`` (default: every party still in), those that have not confirmed the
    recorded terms."""
    chosen = active_parties(match) if parties is None else list(parties)
    return [p for p in chosen if p.confirmed_at is None]


# --------------------------------------------------------------------------- helpers


def _lock(match: Match | int) -> Match:
    pk = match.pk if isinstance(match, Match) else match
    return Match.objects.select_for_update().get(pk=pk)


def _record(
    match: Match,
    name: str,
    source: str,
    actor,
    comment: str,
    *,
    organization: Organization | None = None,
    override_reason: str = "",
) -> MatchTransition:
    return MatchTransition.objects.create(
        match=match,
        name=name,
        source=source,
        target=match.state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        comment=comment or "",
        organization=organization,
        override_reason=override_reason or "",
    )


def record_event(
    match: Match, name: str, actor, *, organization: Organization | None = None, comment=""
) -> MatchTransition:
    """An event in the match's history that does not change its state (an evaluation, a
    publication decision): for the features above this one, inside their transaction."""
    return _record(match, name, match.state, actor, comment, organization=organization)


def party_members(match: Match, organization_ids: Iterable[int] | None = None):
    if organization_ids is None:
        organization_ids = match.parties.values_list("organization_id", flat=True)
    return members_of(organization_ids)


def _notify_match(match: Match, kind: str, title: str, body: str, actor, extra=()) -> None:
    """Tell the parties and the coordinator (not the one who did it). Titles and bodies
    name organizations and the match only: contact details are shown in the match itself,
    to those allowed to see them."""
    recipients = [u for u in party_members(match) if actor is None or u.pk != actor.pk]
    if match.coordinator_id and (actor is None or match.coordinator_id != actor.pk):
        recipients.append(match.coordinator)
    recipients.extend(extra)
    notify(
        recipients,
        kind,
        title,
        body,
        url=links.match_page(match.pk),
        payload={"match": match.pk, "state": match.state},
    )


_TRANSITION_TITLES = {
    "introduce": _("「%(title)s」: 協働の相手をご紹介します"),
    "start_consulting": _("「%(title)s」: 相談が始まりました"),
    "agree": _("「%(title)s」: 協働の内容が合意されました"),
    "activate": _("「%(title)s」: 協働が始まりました"),
    "complete": _("「%(title)s」: 協働が完了しました"),
    "mark_evaluated": _("「%(title)s」: 評価がそろいました"),
    "decline": _("「%(title)s」: 辞退により終了しました"),
    "cancel": _("「%(title)s」: 中止になりました"),
}


def _fire(
    match: Match,
    name: str,
    actor,
    comment: str,
    body: str = "",
    *,
    organization: Organization | None = None,
    override_reason: str = "",
) -> Match:
    """Run the FSM transition ``name`` on a locked match and record everything."""
    source = match.state
    method = getattr(match, name)
    if not can_proceed(method):
        raise InvalidTransition(match, name)
    method()
    match.save()
    _record(
        match,
        name,
        source,
        actor,
        comment,
        organization=organization,
        override_reason=override_reason,
    )
    _notify_match(
        match,
        f"match.{name}",
        str(_TRANSITION_TITLES[name]) % {"title": match.title},
        body or comment or "",
        actor,
    )
    match_transitioned.send(
        sender=Match,
        match=match,
        name=name,
        source=source,
        target=match.state,
        actor=actor,
        comment=comment or "",
    )
    return match


def _party(match: Match, organization: Organization | int) -> MatchParty:
    org_id = organization.pk if isinstance(organization, Organization) else organization
    party = match.parties.select_related("organization").filter(organization_id=org_id).first()
    if party is None:
        raise Invalid(
            errors={"organization": gettext("この団体はマッチの参加団体ではありません。")}
        )
    return party


# --------------------------------------------------------------------------- creation


@dataclass
class PartySpec:
    organization: Organization
    role: str = Role.PARTNER
    responsibilities: str = ""


def create_match(
    actor,
    *,
    parties: list[PartySpec],
    title: str = "",
    need: Need | None = None,
    offer: Offer | None = None,
    origin: str = Match.Origin.COORDINATOR,
    score: float | None = None,
    comment: str = "",
) -> Match:
    """A new match in ``proposed``, with two or more organizations (coordinators only)."""
    if actor is not None and not is_coordinator(actor):
        raise Forbidden(gettext("マッチを作成できるのはコーディネーターだけです。"))
    org_ids = [p.organization.pk for p in parties]
    errors: dict[str, list[str]] = {}
    if len(set(org_ids)) < 2:
        errors.setdefault("parties", []).append(
            gettext("マッチには2つ以上の異なる団体が必要です。")
        )
    if len(set(org_ids)) != len(org_ids):
        errors.setdefault("parties", []).append(gettext("同じ団体が重複しています。"))
    if need is not None and need.organization_id not in org_ids:
        errors["need"] = [gettext("ニーズを投稿した団体を参加団体に含めてください。")]
    if offer is not None and offer.organization_id not in org_ids:
        errors["offer"] = [gettext("シーズを投稿した団体を参加団体に含めてください。")]
    title = (title or "").strip() or (need.title if need else offer.title if offer else "")
    if not title:
        errors["title"] = [gettext("名称を入力してください。")]
    if errors:
        raise Invalid(errors=errors)
    with transaction.atomic(), audit_actor(actor):
        match = Match.objects.create(
            title=title[:200],
            need=need,
            offer=offer,
            origin=origin,
            score=score,
            coordinator=actor if actor is not None and is_coordinator(actor) else None,
            created_by=actor,
        )
        for spec in parties:
            MatchParty.objects.create(
                match=match,
                organization=spec.organization,
                role=spec.role,
                responsibilities=spec.responsibilities,
            )
        _record(match, "create", match.state, actor, comment)
        # Parties learn that a coordinator is preparing an introduction; who the other
        # parties are (and how to reach them) waits for ``introduce``.
        notify(
            [u for u in party_members(match, org_ids) if actor is None or u.pk != actor.pk],
            "match.created",
            gettext("「%(title)s」: 協働の候補としてコーディネーターが検討を始めました")
            % {"title": match.title},
            gettext("紹介の準備ができしだい、改めてお知らせします。"),
            url=links.match_page(match.pk),
            payload={"match": match.pk},
        )
    return match


def add_party(
    match: Match,
    actor,
    organization: Organization,
    role: str = Role.PARTNER,
    responsibilities: str = "",
    comment: str = "",
) -> MatchParty:
    """Bring another organization in (a 町内会, a school…) until the terms are agreed."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, "add_party", match)
        if match.state not in ADD_PARTY_STATES:
            raise InvalidTransition(match, "add_party")
        if match.parties.filter(organization=organization).exists():
            raise Invalid(errors={"organization": gettext("この団体はすでに参加団体です。")})
        party = MatchParty.objects.create(
            match=match, organization=organization, role=role, responsibilities=responsibilities
        )
        # Recorded terms gave the newcomer no role: everyone confirms again once they do.
        match.parties.update(confirmed_at=None, confirmed_by=None)
        _record(match, "add_party", match.state, actor, comment, organization=organization)
        if match.state != State.PROPOSED:
            notify(
                party_members(match, [organization.pk]),
                "match.introduce",
                str(_TRANSITION_TITLES["introduce"]) % {"title": match.title},
                gettext("回答期限: %(due)s") % {"due": match.response_due_on or "-"},
                url=links.match_page(match.pk),
                payload={"match": match.pk},
            )
    return party


# --------------------------------------------------------------------------- transitions


def introduce(match: Match | int, actor, comment: str = "") -> Match:
    """proposed → introduced: the parties see each other (and each other's contact
    details) and are asked to answer within N business days."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, "introduce", match)
        if not can_proceed(match.introduce):
            raise InvalidTransition(match, "introduce")
        if len(active_parties(match)) < 2:
            raise InvalidTransition(match, "introduce", gettext("参加団体が2つ以上必要です。"))
        match.response_due_on = add_business_days(
            timezone.localdate(), settings.TSUNAGU_RESPONSE_BUSINESS_DAYS
        )
        names = "、".join(p.organization.name for p in match.parties.select_related("organization"))
        body = gettext(
            "参加団体: %(names)s。連絡先はマッチの画面で確認できます。"
            "%(due)s までにご回答ください。"
        ) % {"names": names, "due": day_text(match.response_due_on)}
        return _fire(match, "introduce", actor, comment, body)


def respond(
    match: Match | int,
    actor,
    organization: Organization | int,
    accepted: bool,
    comment: str = "",
) -> MatchParty:
    """A party's answer to an introduction. Declining is ``decline`` (with a reason)."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        party = _party(match, organization)
        _check_permission(actor, "respond", match, party.organization)
        if match.state not in RESPOND_STATES:
            raise InvalidTransition(match, "respond")
        if party.response != Response.PENDING:
            raise InvalidTransition(match, "respond", gettext("この団体はすでに回答しています。"))
        if not accepted:
            if not (comment or "").strip():
                raise Invalid(errors={"comment": gettext("辞退の理由を入力してください。")})
            _decline_party(match, party, actor, comment)
            return party
        party.response = Response.ACCEPTED
        party.responded_at = timezone.now()
        party.save(update_fields=["response", "responded_at"])
        _record(match, "respond", match.state, actor, comment, organization=party.organization)
        _notify_match(
            match,
            "match.respond",
            gettext("「%(title)s」: %(org)sが紹介に前向きに回答しました")
            % {"title": match.title, "org": party.organization.name},
            comment,
            actor,
        )
        return party


def start_consulting(match: Match | int, actor, comment: str = "") -> Match:
    """introduced → consulting, once every party still in the match has accepted."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, "start_consulting", match)
        if not can_proceed(match.start_consulting):
            raise InvalidTransition(match, "start_consulting")
        waiting = [p.organization.name for p in waiting_for_answers(match)]
        if waiting:
            raise InvalidTransition(
                match,
                "start_consulting",
                gettext(
                    "すべての団体が前向きに回答してから相談を始められます。"
                    "まだ回答していない団体: %(names)s"
                )
                % {"names": "、".join(waiting)},
            )
        return _fire(match, "start_consulting", actor, comment)


def agree(
    match: Match | int,
    actor,
    *,
    form: CollaborationForm | None,
    responsibilities: Mapping[int, str],
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    budget_note: str = "",
    comment: str = "",
) -> Match:
    """Record (or change) the terms while consulting: the form chosen, each party's role
    (役割分担), the period and a note on the budget. Every party still in needs a role.

    The match is ``agreed`` only once every party still in has confirmed these terms
    (``confirm_terms``). Recording them counts as the confirmation of the recorder's own
    parties; a change re-opens the confirmation of every other party. Recording the same
    terms again only confirms them.
    """
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, "agree", match)
        if not can_proceed(match.agree):
            raise InvalidTransition(match, "agree")
        parties = active_parties(match)
        errors: dict[str, list[str]] = {}
        if form is None:
            errors["form"] = [gettext("協働の形態を選んでください。")]
        if starts_on is None:
            errors["starts_on"] = [gettext("開始日を入力してください。")]
        if ends_on is None:
            errors["ends_on"] = [gettext("終了日を入力してください。")]
        elif starts_on is not None and ends_on < starts_on:
            errors["ends_on"] = [gettext("終了日は開始日以降の日付にしてください。")]
        by_org = {int(k): (v or "").strip() for k, v in responsibilities.items()}
        party_ids = {p.organization_id for p in parties}
        unknown = set(by_org) - party_ids
        missing = [p.organization.name for p in parties if not by_org.get(p.organization_id)]
        if unknown:
            errors.setdefault("responsibilities", []).append(
                gettext("参加団体でない団体が含まれています: %(ids)s")
                % {"ids": ", ".join(str(i) for i in sorted(unknown))}
            )
        if missing:
            errors.setdefault("responsibilities", []).append(
                gettext("役割分担が入力されていない団体があります: %(names)s")
                % {"names": "、".join(missing)}
            )
        if errors:
            raise Invalid(errors=errors)
        terms = (form.pk, starts_on, ends_on, (budget_note or "").strip())
        roles = {p.organization_id: by_org[p.organization_id] for p in parties}
        changed = match.terms_revision == 0 or terms != (
            match.form_id,
            match.starts_on,
            match.ends_on,
            match.budget_note,
        )
        changed = changed or any(p.responsibilities != roles[p.organization_id] for p in parties)
        own = [p for p in parties if actor is not None and actor.is_member_of(p.organization_id)]
        if changed:
            event = "change_terms" if match.terms_revision else "record_terms"
            match.form = form
            match.starts_on, match.ends_on = starts_on, ends_on
            match.budget_note = terms[3]
            match.terms_revision += 1
            match.save()
            for party in parties:
                party.responsibilities = roles[party.organization_id]
                party.confirmed_at, party.confirmed_by = None, None
                party.save(update_fields=["responsibilities", "confirmed_at", "confirmed_by"])
            _record(
                match,
                event,
                match.state,
                actor,
                comment,
                organization=own[0].organization if own else None,
            )
        for party in unconfirmed(match, own):
            _confirm(match, party, actor, comment="")
        if not unconfirmed(match):
            return _fire(match, "agree", actor, comment)
        if changed:
            _notify_match(
                match,
                "match.terms",
                gettext("「%(title)s」: 合意内容の確認をお願いします") % {"title": match.title},
                gettext(
                    "合意内容（協働の形態・役割分担・期間・費用）が記録されました。"
                    "マッチの画面で内容を確認してください。"
                ),
                actor,
            )
        return match


def _confirm(match: Match, party: MatchParty, actor, comment: str) -> None:
    party.confirmed_at = timezone.now()
    party.confirmed_by = actor if getattr(actor, "is_authenticated", False) else None
    party.save(update_fields=["confirmed_at", "confirmed_by"])
    _record(match, "confirm", match.state, actor, comment, organization=party.organization)


def confirm_terms(
    match: Match | int,
    actor,
    organization: Organization | int,
    *,
    revision: int | None = None,
    comment: str = "",
) -> Match:
    """A party confirms the recorded terms (only its own members may). When the last
    party still in confirms, the match is ``agreed``. ``revision`` (the version the
    person saw) refuses a confirmation of terms that changed in the meantime (409)."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        party = _party(match, organization)
        _check_permission(actor, "confirm", match, party.organization)
        if match.state != State.CONSULTING or not match.terms_revision:
            raise InvalidTransition(
                match, "confirm", gettext("確認できる合意内容がまだ記録されていません。")
            )
        if party.response == Response.DECLINED:
            raise InvalidTransition(match, "confirm", gettext("この団体は辞退しています。"))
        if revision is not None and revision != match.terms_revision:
            raise WorkflowConflict(
                gettext("合意内容が変更されました。最新の内容を確認してから確認してください。"),
                code="terms_changed",
                state=match.state,
                action="confirm",
            )
        if party.confirmed_at is not None:
            raise InvalidTransition(
                match, "confirm", gettext("この団体はすでに合意内容を確認しています。")
            )
        roleless = [p.organization.name for p in active_parties(match) if not p.responsibilities]
        if roleless:
            raise InvalidTransition(
                match,
                "confirm",
                gettext("役割分担が入力されていない団体があります: %(names)s")
                % {"names": "、".join(roleless)},
            )
        _confirm(match, party, actor, comment)
        if not unconfirmed(match):
            return _fire(match, "agree", actor, comment)
        _notify_match(
            match,
            "match.confirm",
            gettext("「%(title)s」: %(org)sが合意内容を確認しました")
            % {"title": match.title, "org": party.organization.name},
            gettext("まだ確認していない団体: %(names)s")
            % {"names": "、".join(p.organization.name for p in unconfirmed(match))},
            actor,
        )
        return match


def _dated(match: Match | int, name: str, actor, comment: str, override_reason: str) -> Match:
    """activate / complete: not before the agreed start date (complete: nor before the
    day the work started). A coordinator may let it go with a reason, kept in the
    history and marked on the progress sheet."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, name, match)
        if not can_proceed(getattr(match, name)):
            raise InvalidTransition(match, name)
        today = timezone.localdate()
        earliest = match.starts_on
        if name == "complete" and match.started_at is not None:
            started = timezone.localdate(match.started_at)
            earliest = max(earliest, started) if earliest else started
        reason = (override_reason or "").strip()
        if earliest is None or today >= earliest:
            reason = ""  # nothing to let go
        elif not reason:
            message = {
                "activate": gettext("合意した開始日（%(day)s）より前には協働を開始できません。"),
                "complete": gettext("開始日（%(day)s）より前には完了にできません。"),
            }[name] % {"day": day_text(earliest)}
            raise WorkflowConflict(
                message + gettext("コーディネーターは理由を記録して例外として進められます。"),
                code="before_start_date",
                state=match.state,
                action=name,
                earliest=earliest.isoformat(),
            )
        elif actor is not None and not is_coordinator(actor):
            raise Forbidden(
                gettext(
                    "期日より前に進める例外は、コーディネーターだけが理由を記録して認められます。"
                )
            )
        return _fire(match, name, actor, comment, override_reason=reason)


def activate(match: Match | int, actor, comment: str = "", override_reason: str = "") -> Match:
    """agreed → active: the collaboration has started (not before the agreed start date,
    unless a coordinator records why)."""
    return _dated(match, "activate", actor, comment, override_reason)


def complete(match: Match | int, actor, comment: str = "", override_reason: str = "") -> Match:
    """active → completed: the work is done; evaluations and follow-ups come next. Not
    before the start date nor the day the work started, unless a coordinator records why."""
    return _dated(match, "complete", actor, comment, override_reason)


def mark_evaluated(match: Match | int, actor=None, comment: str = "") -> Match:
    """completed → evaluated: called when every evaluation is in (by the evaluations
    service, ``actor=None``) or by a coordinator."""
    return _simple(match, "mark_evaluated", actor, comment)


def cancel(match: Match | int, actor, reason: str) -> Match:
    """Any open state → cancelled (coordinators): the collaboration will not go on."""
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, "cancel", match)
        if not can_proceed(match.cancel):
            raise InvalidTransition(match, "cancel")
        if not (reason or "").strip():
            raise Invalid(errors={"reason": gettext("中止の理由を入力してください。")})
        match.decline_reason = reason.strip()
        return _fire(match, "cancel", actor, reason.strip())


def decline(match: Match | int, actor, organization: Organization | int, reason: str) -> Match:
    """A party says no (introduced, consulting or agreed), with a reason.

    The match ends (→ declined) when the poster of the need or of the offer declines, or
    when fewer than two organizations would remain; a partner in a larger match (a school
    in NPO + 町内会 + school) just leaves it.
    """
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        party = _party(match, organization)
        _check_permission(actor, "decline", match, party.organization)
        if not can_proceed(match.decline):
            raise InvalidTransition(match, "decline")
        if party.response == Response.DECLINED:
            raise InvalidTransition(match, "decline", gettext("この団体はすでに辞退しています。"))
        if not (reason or "").strip():
            raise Invalid(errors={"reason": gettext("辞退の理由を入力してください。")})
        _decline_party(match, party, actor, reason.strip())
        return match


def _decline_party(match: Match, party: MatchParty, actor, reason: str) -> None:
    party.response = Response.DECLINED
    party.responded_at = timezone.now()
    party.save(update_fields=["response", "responded_at"])
    remaining = active_parties(match)
    core = party.role in (Role.NEED_POSTER, Role.OFFER_POSTER)
    if core or len(remaining) < 2:
        if not can_proceed(match.decline):
            raise InvalidTransition(match, "decline")
        match.decline_reason = f"{party.organization.name}: {reason}"
        _fire(match, "decline", actor, reason, organization=party.organization)
        return
    _record(match, "party_declined", match.state, actor, reason, organization=party.organization)
    _notify_match(
        match,
        "match.party_declined",
        gettext("「%(title)s」: %(org)sが辞退しました")
        % {"title": match.title, "org": party.organization.name},
        reason,
        actor,
    )
    # The party that left may have been the only one still to confirm the terms: those
    # who stay have all confirmed them, so the agreement stands.
    if (
        match.state == State.CONSULTING
        and match.terms_revision
        and not unconfirmed(match, remaining)
    ):
        _fire(match, "agree", actor, "")


def _simple(match: Match | int, name: str, actor, comment: str) -> Match:
    with transaction.atomic(), audit_actor(actor):
        match = _lock(match)
        _check_permission(actor, name, match)
        return _fire(match, name, actor, comment)


def history(match: Match):
    return match.transitions.select_related("actor", "organization").order_by("at", "pk")


logger = logging.getLogger(__name__)


def match_coordinators(match: Match) -> list:
    """The match's coordinator, or every active coordinator when none is assigned."""
    if match.coordinator_id and match.coordinator.is_active:
        return [match.coordinator]
    return list(coordinators())
