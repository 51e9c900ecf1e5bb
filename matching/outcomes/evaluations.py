"""Evaluations (評価, A–D) of a completed match, by each active party and by the
coordinator; when all are in, the match moves to ``evaluated``.

Also the ``match_transitioned`` receiver for a match that completes: it schedules the
continuation follow-ups (``matching.outcomes.follow_ups``) and asks for the evaluations.
Plain service functions, called by the API (``matching.outcomes.api``) and the web pages.
Rules and definitions: ``docs/evaluation.md``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches.signals import match_transitioned
from matching.matches.workflow import active_parties, match_coordinators, record_event
from matching.models import Evaluation, Match
from matching.outcomes.case_book import record_consent
from matching.outcomes.follow_ups import schedule_follow_ups
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import is_coordinator
from organizations.services import members_of

logger = logging.getLogger(__name__)


def request_evaluations(match: Match) -> None:
    """Ask every active party and the coordinator to evaluate the completed match."""
    title = str(_("【評価のお願い】「%(title)s」が完了しました")) % {"title": match.title}
    body = str(
        _(
            "協働の成果をA〜Dで評価し、効果・問題点・今後の方向性を記入してください。"
            "事例集への掲載に同意いただけるかもお尋ねします。"
        )
    )
    url = links.match_page(match.pk, "evaluation")
    org_ids = [p.organization_id for p in active_parties(match)]
    notify(
        members_of(org_ids),
        "match.evaluation_request",
        title,
        body,
        url=url,
        payload={"match": match.pk},
        dedupe_key=f"match:{match.pk}:evaluation-request",
    )
    notify(
        match_coordinators(match),
        "match.evaluation_request",
        title,
        body,
        url=url,
        payload={"match": match.pk, "coordinator": True},
        dedupe_key=f"match:{match.pk}:evaluation-request",
    )


@receiver(match_transitioned, dispatch_uid="matching.outcomes.on_match_transitioned")
def on_match_transitioned(sender, match: Match, target: str, **kwargs: Any) -> None:
    """Sent by the workflow inside its transaction: a failure here rolls the transition
    back, so a completed match always has its follow-ups."""
    if target == Match.State.COMPLETED:
        schedule_follow_ups(match)
        request_evaluations(match)


# --- Evaluations ----------------------------------------------------------------------
GRADES = tuple(Evaluation.Grade.values)


def evaluation_status(match: Match) -> dict[str, Any]:
    """Who has evaluated and who is still awaited."""
    parties = list(active_parties(match))
    done = set(
        match.evaluations.filter(evaluator=Evaluation.Evaluator.PARTY).values_list(
            "organization_id", flat=True
        )
    )
    return {
        "awaiting": [p.organization for p in parties if p.organization_id not in done],
        "awaiting_coordinator": not match.evaluations.filter(
            evaluator=Evaluation.Evaluator.COORDINATOR
        ).exists(),
    }


def awaiting_coordinator_evaluation() -> QuerySet[Match]:
    """Completed matches without the coordinator's evaluation (the step cannot close)."""
    return Match.objects.filter(state=Match.State.COMPLETED).exclude(
        evaluations__evaluator=Evaluation.Evaluator.COORDINATOR
    )


def next_evaluation_step(match: Match) -> str:
    """What the evaluation step waits for, in words (empty when nothing)."""
    if match.state != Match.State.COMPLETED:
        return ""
    status = evaluation_status(match)
    if status["awaiting"]:
        return str(_("参加団体の評価を待つ（未記入: %(names)s）")) % {
            "names": "、".join(o.name for o in status["awaiting"])
        }
    if status["awaiting_coordinator"]:
        return str(_("コーディネーターの評価を記入する"))
    return ""


def record_evaluation(
    match: Match,
    user,
    organization: Organization | None,
    grade: str,
    effects: str = "",
    problems: str = "",
    next_steps: str = "",
    publish_consent: bool = False,
) -> Evaluation:
    """Record one evaluation: by a member of a party organization (``organization``), or
    by a coordinator (``organization=None``). When every active party and the
    coordinator have evaluated, the match moves to ``evaluated``.

    Raises ``Forbidden`` (403), ``Invalid`` (400) or ``Conflict``
    (409); nothing is changed then.
    """
    with transaction.atomic():
        # One evaluation at a time per match: the last one sees the complete set.
        match = (
            Match.objects.select_for_update(of=("self",))
            .select_related("coordinator")
            .get(pk=match.pk)
        )
        if organization is None:
            if not is_coordinator(user):
                raise Forbidden(_("コーディネーターの評価はコーディネーターだけが記入できます。"))
            evaluator = Evaluation.Evaluator.COORDINATOR
        else:
            if all(p.organization_id != organization.pk for p in active_parties(match)):
                raise Forbidden(_("この団体はこのマッチの参加団体ではありません。"))
            if not (user and user.is_authenticated and user.is_member_of(organization.pk)):
                raise Forbidden(_("参加団体の評価は、その団体のメンバーだけが記入できます。"))
            evaluator = Evaluation.Evaluator.PARTY
        if grade not in GRADES:
            raise Invalid(_("評価はA・B・C・Dのいずれかで選んでください。"), field="grade")
        if match.state != Match.State.COMPLETED:
            raise Conflict(
                _("評価できるのは完了したマッチだけです（現在の状態: %(state)s）。")
                % {"state": match.get_state_display()}
            )
        duplicate = match.evaluations.filter(evaluator=evaluator)
        if organization is not None:
            duplicate = duplicate.filter(organization=organization)
        if duplicate.exists():
            raise Conflict(_("この評価はすでに記入されています。評価は一度だけです。"))
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    match=match,
                    evaluator=evaluator,
                    organization=organization,
                    grade=grade,
                    effects=effects or "",
                    problems=problems or "",
                    next_steps=next_steps or "",
                    publish_consent=bool(publish_consent),
                    submitted_by=user,
                )
        except IntegrityError as exc:  # a concurrent duplicate (the lock makes this rare)
            raise Conflict(_("この評価はすでに記入されています。評価は一度だけです。")) from exc
        record_event(match, "evaluate", user, organization=organization)
        if organization is not None and publish_consent:
            # The evaluation form also asks the party to consent to publication; the
            # decision stays revocable (matching.outcomes.case_book).
            record_consent(match, user, organization, True)
        status = evaluation_status(match)
        if not status["awaiting"] and not status["awaiting_coordinator"]:
            _mark_evaluated(match)
    return evaluation


def _mark_evaluated(match: Match) -> None:
    from matching.matches import workflow

    # actor None: the system, not the evaluator whose submission completed the set.
    workflow.mark_evaluated(
        match, None, str(_("全ての参加団体とコーディネーターの評価がそろいました。"))
    )
