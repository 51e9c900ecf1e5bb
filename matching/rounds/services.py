"""Match rounds (マッチングラウンド): a coordinator starts one; a worker ranks every open
need's best candidates, solves one global assignment under the needs' 募集数 and the offers'
places left (``matching.engine.assignment``), and proposes the pairs into the review queue
marked with the round, each pair and each unserved need explained (``explain``).

Plain functions: the API, the page and the task call these.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from lib.errors import Conflict, Forbidden
from lib.tasks import task
from matching import engine
from matching.engine import assignment
from matching.models import (
    Match,
    MatchingProfile,
    MatchRound,
    ReviewDecision,
    RoundNeed,
    RoundPair,
    Suggestion,
)
from matching.review.services import fingerprint
from matching.rounds import explain
from matching.scoring import adapter
from matching.scoring.services import send_task
from organizations.permissions import is_coordinator
from proposals.models import Need, Offer, Status

log = logging.getLogger(__name__)

# Candidates per need the solver chooses from (the engine's best, above the score floor).
CANDIDATES_PER_NEED = 50
# Needs ranked per step; the round's progress moves after each.
RANK_CHUNK = 50
# An organization's further pairs cost more up to this many pairs (open matches included):
# see ``assignment.RoundFairness`` and docs/matching.md, "Match rounds".
ROUND_FAIRNESS_SATURATION = 10
# A round still "running" after this long is taken for dead (its worker was lost): another
# may start.
STALE_AFTER = dt.timedelta(hours=1)


def start_round(user) -> MatchRound:
    """Create a round and send it to a worker once the request's transaction commits."""
    if not is_coordinator(user):
        raise Forbidden(gettext("マッチングラウンドを始められるのはコーディネーターだけです。"))
    profile = adapter.active_profile()
    with transaction.atomic():
        # The profile row is the lock: two coordinators starting at once are serialised,
        # and the second sees the first's round.
        MatchingProfile.objects.select_for_update().filter(pk=profile.pk).first()
        busy = MatchRound.objects.filter(
            status__in=(MatchRound.Status.PENDING, MatchRound.Status.RUNNING),
            created_at__gt=timezone.now() - STALE_AFTER,
        )
        if busy.exists():
            raise Conflict(
                gettext("別のマッチングラウンドを実行中です。終わってから始めてください。")
            )
        round_ = MatchRound.objects.create(
            requested_by=user,
            candidates_per_need=CANDIDATES_PER_NEED,
            min_score=profile.min_score,
            fairness=profile.fairness,
        )
        transaction.on_commit(lambda: send_task(task("matching.run_match_round"), round_.pk))
    return round_


# --------------------------------------------------------------------------- the run


def _open_needs() -> list[Need]:
    today = adapter.today()
    return list(
        adapter._with_codes(
            Need.objects.filter(
                status=Status.OPEN,
                organization__is_active=True,
                organization__is_verified=True,
            ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        ).order_by("pk")
    )


def _open_match_counts(field: str, ids: Sequence[int]) -> dict[int, int]:
    rows = (
        Match.objects.filter(**{f"{field}__in": list(ids)}, state__in=Match.OPEN_STATES)
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    return dict(rows)


def _decided_pairs(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Pairs a round must not propose again: an open match, an approval, a deferral not yet
    due, or a rejection (or undated deferral) of posts that read as they did then."""
    if not pairs:
        return set()
    need_ids = {n for n, _ in pairs}
    out = {
        (n, o)
        for n, o in Match.objects.filter(
            need_id__in=need_ids, state__in=Match.OPEN_STATES
        ).values_list("need_id", "offer_id")
    }
    today = timezone.localdate()
    rows = ReviewDecision.objects.filter(need_id__in=need_ids).values_list(
        "need_id", "offer_id", "decision", "deferred_until", "need_fingerprint", "offer_fingerprint"
    )
    recheck: list[tuple[int, int, str, str]] = []
    for need_id, offer_id, decision, until, nf, of in rows:
        if (need_id, offer_id) not in pairs:
            continue
        if decision == ReviewDecision.Decision.APPROVED or (until and until > today):
            out.add((need_id, offer_id))
        elif decision == ReviewDecision.Decision.REJECTED or until is None:
            recheck.append((need_id, offer_id, nf, of))
    if recheck:
        needs = _fingerprints(Need, {r[0] for r in recheck})
        offers = _fingerprints(Offer, {r[1] for r in recheck})
        out |= {(n, o) for n, o, nf, of in recheck if needs.get(n) == nf and offers.get(o) == of}
    return out


def _fingerprints(model, ids: set[int]) -> dict[int, str]:
    posts = model.objects.filter(pk__in=ids).prefetch_related("fields", "areas", "forms")
    return {post.pk: fingerprint(post) for post in posts}


def _claim(round_id: int) -> MatchRound | None:
    """Take the round for this worker (a redelivered message restarts a round whose worker
    was lost: the results are written at the end, in one transaction)."""
    updated = (
        MatchRound.objects.filter(pk=round_id)
        .exclude(status__in=(MatchRound.Status.DONE, MatchRound.Status.FAILED))
        .update(
            status=MatchRound.Status.RUNNING,
            phase=MatchRound.Phase.RANKING,
            started_at=timezone.now(),
            needs_ranked=0,
        )
    )
    return MatchRound.objects.get(pk=round_id) if updated else None


def run_round(round_id: int) -> int:
    """The worker's part: rank, solve, propose. Returns the number of pairs proposed."""
    round_ = _claim(round_id)
    if round_ is None:
        return 0  # already finished: a duplicated message
    started = time.perf_counter()
    needs = _open_needs()
    wanted_left = _open_match_counts("need_id", [n.pk for n in needs])
    wanted = {n.pk: n.partners_wanted - wanted_left.get(n.pk, 0) for n in needs}
    needs = [n for n in needs if wanted[n.pk] > 0]
    MatchRound.objects.filter(pk=round_id).update(needs_total=len(needs))

    def ranked(done: int) -> None:
        MatchRound.objects.filter(pk=round_id).update(needs_ranked=done)

    found = rank_candidates(needs, round_, progress=ranked)
    ranking_seconds = time.perf_counter() - started
    MatchRound.objects.filter(pk=round_id).update(phase=MatchRound.Phase.SOLVING)
    problem = build_problem(found, {str(k): v for k, v in wanted.items()}, round_)
    solution = assignment.solve(problem)
    summary = summarize(problem, solution)
    summary["ranking_seconds"] = round(ranking_seconds, 3)
    MatchRound.objects.filter(pk=round_id).update(phase=MatchRound.Phase.PROPOSING)
    written = propose(round_, problem, solution, found, summary, started)
    return written


def rank_candidates(
    needs: Sequence[Need],
    round_: MatchRound,
    progress: Callable[[int], None] | None = None,
) -> dict[int, list[engine.Suggestion]]:
    """Each need's best ``candidates_per_need`` offers above the floor, scored without the
    fairness adjustment (the round applies its own, to the whole assignment)."""
    ranking = adapter.engine_profile(adapter.active_profile(), min_score=round_.min_score)
    ranking = replace(ranking, weights=replace(ranking.weights, fairness=0.0))
    lexicon = adapter.current_lexicon()
    as_of = adapter.today()
    out: dict[int, list[engine.Suggestion]] = {}
    for start in range(0, len(needs), RANK_CHUNK):
        chunk = needs[start : start + RANK_CHUNK]
        out.update(
            adapter._rank_needs(
                chunk,
                top_k=round_.candidates_per_need,
                profile=ranking,
                as_of=as_of,
                lexicon=lexicon,
            )
        )
        if progress is not None:
            progress(min(start + RANK_CHUNK, len(needs)))
    return out


def build_problem(
    found: dict[int, list[engine.Suggestion]], wanted: dict[str, int], round_: MatchRound
) -> assignment.Problem:
    pairs = {(int(s.need_id), int(s.offer_id)) for lst in found.values() for s in lst}
    excluded = _decided_pairs(pairs)
    candidates = [
        assignment.Pair(s.need_id, s.offer_id, float(s.score), rank)
        for lst in found.values()
        for rank, s in enumerate(lst, start=1)
        if (int(s.need_id), int(s.offer_id)) not in excluded
    ]
    offer_ids = sorted({int(p.offer_id) for p in candidates})
    offers = Offer.objects.filter(pk__in=offer_ids).values_list("pk", "capacity", "organization_id")
    used = _open_match_counts("offer_id", offer_ids)
    capacity = {str(pk): cap - used.get(pk, 0) for pk, cap, _org in offers}
    organization = {str(pk): str(org) for pk, _cap, org in offers}
    scores = [p.score for p in candidates]
    strength = round_.fairness * statistics.median(scores) if scores else 0.0
    return assignment.Problem(
        pairs=tuple(candidates),
        wanted=wanted,
        capacity=capacity,
        organization=organization,
        exposure=adapter.organization_exposure(),
        fairness=assignment.RoundFairness(strength, ROUND_FAIRNESS_SATURATION),
    )


def _figures(problem: assignment.Problem, pairs: Sequence[assignment.Pair]) -> dict:
    per_org = Counter(problem.organization[p.offer_id] for p in pairs)
    return {
        "pairs": len(pairs),
        "total_score": round(sum(p.score for p in pairs), 6),
        "needs_served": len({p.need_id for p in pairs}),
        "capacity_violations": assignment.capacity_violations(problem, pairs),
        "exposure": assignment.exposure_summary(per_org, set(problem.organization.values())),
    }


def summarize(problem: assignment.Problem, solution: assignment.Solution) -> dict:
    """The round's figures beside the same round without fairness (the most total score)
    and what per-need greedy choices would have given."""
    plain = replace(problem, fairness=assignment.RoundFairness(0.0))
    return {
        "solver": solution.solver,
        "solver_seconds": round(solution.seconds, 4),
        "candidates": len(problem.pairs),
        "needs": sum(1 for w in problem.wanted.values() if w > 0),
        "fairness_strength": round(problem.fairness.strength, 6),
        "round": _figures(problem, solution.pairs),
        "round_without_fairness": _figures(plain, assignment.solve(plain).pairs),
        "greedy_top1": _figures(problem, assignment.greedy_top1(problem)),
        "greedy_in_turn": _figures(problem, assignment.greedy_in_turn(problem)),
    }


@transaction.atomic
def propose(
    round_: MatchRound,
    problem: assignment.Problem,
    solution: assignment.Solution,
    found: dict[int, list[engine.Suggestion]],
    summary: dict,
    started: float,
) -> int:
    """Store the round's outcome and put its pairs in the review queue, in one transaction."""
    round_ = MatchRound.objects.select_for_update().get(pk=round_.pk)
    RoundPair.objects.filter(round=round_).delete()  # a restarted round writes afresh
    RoundNeed.objects.filter(round=round_).delete()
    facts = explain.facts(problem, solution)
    RoundNeed.objects.bulk_create(
        [
            RoundNeed(
                round=round_,
                need_id=int(f.need_id),
                wanted=f.wanted,
                assigned=len(f.assigned),
                candidates=f.candidates,
                outcome=f.outcome,
                reason=f.reason,
                detail=explain.need_detail(f),
            )
            for f in facts.values()
        ],
        batch_size=500,
    )
    engine_pairs = {(s.need_id, s.offer_id): s for lst in found.values() for s in lst}
    RoundPair.objects.bulk_create(
        [
            RoundPair(
                round=round_,
                need_id=int(pf.pair.need_id),
                offer_id=int(pf.pair.offer_id),
                score=round(pf.pair.score, 6),
                rank=pf.pair.rank,
                reason=pf.reason,
                first_choice_id=int(pf.first_choice.offer_id) if pf.first_choice else None,
                first_choice_score=round(pf.first_choice.score, 6) if pf.first_choice else None,
                detail=explain.pair_detail(pf),
                reasons=list(engine_pairs[(pf.pair.need_id, pf.pair.offer_id)].reasons),
                components=[
                    c.__dict__ for c in engine_pairs[(pf.pair.need_id, pf.pair.offer_id)].components
                ],
            )
            for f in facts.values()
            for pf in f.assigned
        ],
        batch_size=500,
    )
    _mark_suggestions(round_, solution, engine_pairs)
    served = sum(1 for f in facts.values() if f.outcome != "unserved")
    summary["total_seconds"] = round(time.perf_counter() - started, 3)
    MatchRound.objects.filter(pk=round_.pk).update(
        status=MatchRound.Status.DONE,
        phase=MatchRound.Phase.FINISHED,
        needs_ranked=len(found),
        needs_served=served,
        needs_unserved=len(facts) - served,
        pairs_proposed=len(solution.pairs),
        total_score=round(solution.total_score, 6),
        summary=summary,
        finished_at=timezone.now(),
    )
    return len(solution.pairs)


def _mark_suggestions(
    round_: MatchRound,
    solution: assignment.Solution,
    engine_pairs: dict[tuple[str, str], engine.Suggestion],
) -> None:
    """The round's pairs become suggestions marked with it (created when the need's own
    list did not hold them); earlier rounds' undecided marks are lifted."""
    Suggestion.objects.filter(round__isnull=False).exclude(round=round_).update(round=None)
    profile = adapter.active_profile()
    now = timezone.now()
    rows = []
    for p in solution.pairs:
        s = engine_pairs[(p.need_id, p.offer_id)]
        rows.append(
            Suggestion(
                need_id=int(p.need_id),
                offer_id=int(p.offer_id),
                score=round(float(s.score), 6),
                components=[c.__dict__ for c in s.components],
                reasons=list(s.reasons),
                weaknesses=list(s.weaknesses),
                engine_version=s.engine_version,
                profile_name=profile.name,
                weights=profile.weights(),
                computed_at=now,
                round=round_,
            )
        )
    rows.sort(key=lambda r: (r.need_id, r.offer_id))  # the scoring writers' lock order
    Suggestion.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["need", "offer"],
        update_fields=["round"],
    )


def fail_round(round_id: int, exc: BaseException) -> None:
    MatchRound.objects.filter(pk=round_id).exclude(status=MatchRound.Status.DONE).update(
        status=MatchRound.Status.FAILED,
        phase=MatchRound.Phase.FINISHED,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        finished_at=timezone.now(),
    )
