"""Why a round gave each need what it gave: the facts (from the solver's problem and
solution) and the sentences a coordinator reads.

A pair is explained against the need's own *first choice* — the partner its list shows
first, what a per-need greedy assignment would have given it:

* ``first_choice``: it is the need's own best (or one of its best ``wanted``);
* ``capacity``: the first choice's places went to other needs, whose pairs with it add up
  to more (they are named, with their scores);
* ``fairness``: the first choice has a place, but its organization already has pairs in
  this round (or open matches), and another organization's near-equal pair was preferred;
* ``full``: the first choice had no place left before the round (its matches use them).

A need left (partly) unserved gets one of ``no_candidate`` (no partner above the score
floor), ``full``, ``taken`` (its candidates' places went to better pairs: named) or
``fairness``, from its best candidate it did not get.

The facts are plain data (stored as JSON with the round); the sentences are made when shown,
in the reader's language.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext

from matching.engine.assignment import Pair, Problem, Solution

# How many of an unserved need's best candidates are named, with who took them.
BLOCKERS_SHOWN = 3


@dataclass(frozen=True)
class PairFacts:
    pair: Pair
    reason: str  # first_choice | capacity | fairness | full
    first_choice: Pair | None = None  # the need's own best it did not get
    taken_by: tuple[Pair, ...] = ()  # the round's pairs using the first choice's places
    organization_pairs: int = 0  # the first choice's organization: its pairs in the round


@dataclass(frozen=True)
class Blocker:
    pair: Pair  # a candidate the need did not get
    reason: str  # full | taken | fairness
    taken_by: tuple[Pair, ...] = ()
    organization_pairs: int = 0


@dataclass(frozen=True)
class NeedFacts:
    need_id: str
    wanted: int
    candidates: int
    assigned: tuple[PairFacts, ...] = ()
    outcome: str = "unserved"  # served | partial | unserved
    reason: str = ""  # no_candidate | full | taken | fairness (when not served)
    blockers: tuple[Blocker, ...] = field(default_factory=tuple)


def _ordered(pairs: list[Pair]) -> list[Pair]:
    return sorted(pairs, key=lambda p: (-p.score, p.rank, p.offer_id))


def facts(problem: Problem, solution: Solution) -> dict[str, NeedFacts]:
    """One ``NeedFacts`` per need the round sought partners for."""
    candidates: dict[str, list[Pair]] = defaultdict(list)
    for p in problem.pairs:
        candidates[p.need_id].append(p)
    mine: dict[str, list[Pair]] = defaultdict(list)
    on_offer: dict[str, list[Pair]] = defaultdict(list)
    per_org: Counter[str] = Counter()
    for p in solution.pairs:
        mine[p.need_id].append(p)
        on_offer[p.offer_id].append(p)
        per_org[problem.organization.get(p.offer_id, "")] += 1

    def why_not(p: Pair) -> tuple[str, tuple[Pair, ...], int]:
        """Why the need did not get candidate ``p``."""
        if problem.capacity.get(p.offer_id, 0) <= 0:
            return "full", (), 0
        users = tuple(_ordered([q for q in on_offer[p.offer_id] if q.need_id != p.need_id]))
        if len(on_offer[p.offer_id]) >= problem.capacity[p.offer_id]:
            return "capacity", users, 0
        return "fairness", (), per_org[problem.organization.get(p.offer_id, "")]

    out: dict[str, NeedFacts] = {}
    for need, wanted in sorted(problem.wanted.items()):
        if wanted <= 0:
            continue
        own = _ordered(candidates.get(need, []))
        firsts = own[:wanted]
        given = {p.offer_id for p in mine[need]}
        missed = [p for p in firsts if p.offer_id not in given]
        assigned = []
        for p in _ordered(mine[need]):
            if any(f.offer_id == p.offer_id for f in firsts) or not missed:
                assigned.append(PairFacts(p, "first_choice"))
                continue
            first = missed[0]
            reason, users, org_pairs = why_not(first)
            assigned.append(PairFacts(p, reason, first, users, org_pairs))
        got = len(mine[need])
        outcome = "served" if got >= wanted else "partial" if got else "unserved"
        reason = ""
        blockers: list[Blocker] = []
        if outcome != "served":
            if not own:
                reason = "no_candidate"
            else:
                for p in [q for q in own if q.offer_id not in given][:BLOCKERS_SHOWN]:
                    code, users, org_pairs = why_not(p)
                    blockers.append(
                        Blocker(p, "taken" if code == "capacity" else code, users, org_pairs)
                    )
                reason = blockers[0].reason if blockers else "taken"
        out[need] = NeedFacts(
            need, wanted, len(own), tuple(assigned), outcome, reason, tuple(blockers)
        )
    return out


# --------------------------------------------------------------------------- stored JSON


def _pair_json(p: Pair) -> dict:
    return {"need": int(p.need_id), "offer": int(p.offer_id), "score": round(p.score, 6)}


def pair_detail(f: PairFacts) -> dict:
    return {
        "taken_by": [_pair_json(p) for p in f.taken_by],
        "organization_pairs": f.organization_pairs,
    }


def need_detail(f: NeedFacts) -> dict:
    return {
        "blockers": [
            {
                **_pair_json(b.pair),
                "reason": b.reason,
                "taken_by": [_pair_json(p) for p in b.taken_by],
                "organization_pairs": b.organization_pairs,
            }
            for b in f.blockers
        ]
    }


# --------------------------------------------------------------------------- sentences


def _taken_text(taken_by: list[dict], titles: dict[int, str]) -> str:
    return "、".join(
        gettext("「%(need)s」（%(score).2f）")
        % {"need": titles.get(p["need"], f"#{p['need']}"), "score": p["score"]}
        for p in taken_by
    )


def pair_sentence(
    reason: str,
    *,
    score: float,
    first_title: str = "",
    first_score: float | None = None,
    detail: dict | None = None,
    need_titles: dict[int, str] | None = None,
) -> str:
    """Why this pair (and not the need's first choice), for a coordinator."""
    detail = detail or {}
    titles = need_titles or {}
    if reason == "first_choice":
        return gettext("このテーマの第1候補です（%(score).2f）。") % {"score": score}
    first = {"offer": first_title, "first": first_score or 0.0, "score": score}
    if reason == "capacity":
        return gettext(
            "第1候補「%(offer)s」（%(first).2f）の受け入れ枠は %(others)s に使いました。"
            "こちら（%(score).2f）を組み合わせるほうが、ラウンド全体の合計点が高くなります。"
        ) % {**first, "others": _taken_text(detail.get("taken_by", []), titles)}
    if reason == "fairness":
        return ngettext(
            "第1候補「%(offer)s」（%(first).2f）の団体は、このラウンドですでに%(count)d件の"
            "組合せがあるため、偏りの調整で近い点数の別の団体（%(score).2f）を選びました。",
            "第1候補「%(offer)s」（%(first).2f）の団体は、このラウンドですでに%(count)d件の"
            "組合せがあるため、偏りの調整で近い点数の別の団体（%(score).2f）を選びました。",
            detail.get("organization_pairs", 0),
        ) % {**first, "count": detail.get("organization_pairs", 0)}
    if reason == "full":
        return (
            gettext(
                "第1候補「%(offer)s」（%(first).2f）は進行中のマッチで受け入れ枠が埋まっています。"
            )
            % first
        )
    return ""


def need_sentence(
    reason: str,
    *,
    wanted: int,
    assigned: int,
    detail: dict | None = None,
    offer_titles: dict[int, str] | None = None,
    need_titles: dict[int, str] | None = None,
    min_score: float = 0.0,
) -> str:
    """Why a need got fewer partners than it seeks (empty for a served need)."""
    if assigned >= wanted:
        return ""
    offers = offer_titles or {}
    head = (
        gettext("募集%(wanted)d件のうち%(assigned)d件を割り当てました。")
        % {"wanted": wanted, "assigned": assigned}
        if assigned
        else ""
    )
    if reason == "no_candidate":
        return head + gettext("基準点（%(floor).2f）以上の候補がありません。") % {
            "floor": min_score
        }
    parts = []
    for b in (detail or {}).get("blockers", []):
        offer = offers.get(b["offer"], f"#{b['offer']}")
        if b["reason"] == "full":
            parts.append(
                gettext("「%(offer)s」（%(score).2f）は進行中のマッチで枠が埋まっています")
                % {"offer": offer, "score": b["score"]}
            )
        elif b["reason"] == "fairness":
            parts.append(
                gettext("「%(offer)s」（%(score).2f）は偏りの調整で見送りました")
                % {"offer": offer, "score": b["score"]}
            )
        else:
            parts.append(
                gettext("「%(offer)s」（%(score).2f）の枠は %(others)s に使いました")
                % {
                    "offer": offer,
                    "score": b["score"],
                    "others": _taken_text(b.get("taken_by", []), need_titles or {}),
                }
            )
    if not parts:
        return head
    return head + gettext("候補の状況: ") + "。".join(parts) + "。"
