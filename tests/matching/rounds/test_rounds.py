"""A match round on the database: every open need at once, capacity kept, pairs proposed
into the review queue marked with the round, each pair and each unserved need explained;
the task end to end, the 募集数 of a need, and what a decision on a round's pair records."""

from __future__ import annotations

import pytest
from conftest import make_offer
from django.db import transaction
from rounds_support import build_round_city

from matching.models import MatchRound, ReviewDecision, RoundNeed, RoundPair, Suggestion
from matching.review import services as review
from matching.rounds import results, services
from matching.rounds.tasks import run_match_round
from matching.scoring import adapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_city(people):
    return build_round_city(people)


def start(people) -> MatchRound:
    with transaction.atomic():
        return services.start_round(people["coordinator"])


def test_a_round_gives_the_popular_group_to_one_theme_only(people, round_city):
    c = round_city
    round_ = start(people)
    assert run_match_round.apply(args=[round_.pk]).get() >= 2
    round_.refresh_from_db()
    assert round_.status == MatchRound.Status.DONE
    assert round_.percent_done == 100
    pairs = list(RoundPair.objects.filter(round=round_))
    # capacity 1 each: the two themes share the two groups, one each
    assert sorted((p.need_id, p.offer_id) for p in pairs if p.need_id != c["lonely"].pk) in (
        sorted([(c["need_a"].pk, c["popular"].pk), (c["need_b"].pk, c["second"].pk)]),
        sorted([(c["need_a"].pk, c["second"].pk), (c["need_b"].pk, c["popular"].pk)]),
    )
    assert round_.summary["round"]["capacity_violations"] == 0
    # per-need greedy gives the popular group to both themes
    assert round_.summary["greedy_top1"]["capacity_violations"] >= 1
    assert round_.needs_served == 2 and round_.needs_unserved == 1


def test_unserved_and_displaced_needs_are_explained(people, round_city):
    c = round_city
    round_ = start(people)
    services.run_round(round_.pk)
    lonely = RoundNeed.objects.get(round=round_, need=c["lonely"])
    assert lonely.outcome == "unserved" and lonely.reason == "no_candidate"
    rows = {r.outcome.need_id: r for r in results.need_rows(round_)}
    assert "基準点" in rows[c["lonely"].pk].explanation
    # the theme that did not get its own first choice is told who took it
    displaced = [p for r in rows.values() for p in r.pairs if p.pair.reason != "first_choice"]
    assert displaced, "one theme's first choice went to the other"
    sentence = displaced[0].explanation
    other = c["need_a"] if displaced[0].pair.need_id == c["need_b"].pk else c["need_b"]
    assert "受け入れ枠" in sentence and other.title in sentence
    assert all("第1候補です" in p.explanation for r in rows.values() for p in r.pairs
               if p.pair.reason == "first_choice")  # fmt: skip


def test_a_need_seeking_two_partners_gets_both_groups(people, round_city):
    c = round_city
    c["need_a"].partners_wanted = 2
    c["need_a"].save()
    c["need_b"].status = "closed"
    c["need_b"].save()
    round_ = start(people)
    services.run_round(round_.pk)
    got = set(
        RoundPair.objects.filter(round=round_, need=c["need_a"]).values_list("offer_id", flat=True)
    )
    assert got == {c["popular"].pk, c["second"].pk}
    assert RoundNeed.objects.get(round=round_, need=c["need_a"]).outcome == "served"


def test_an_offer_already_in_a_match_has_no_place_left(people, round_city):
    from workflow_support import two_party_match

    c = round_city
    match = two_party_match(people)  # the npo's own offer … make it the popular one
    match.offer = c["popular"]
    match.save(update_fields=["offer"])
    round_ = start(people)
    services.run_round(round_.pk)
    assert not RoundPair.objects.filter(round=round_, offer=c["popular"]).exists()


def test_the_pairs_wait_in_the_review_queue_marked_with_the_round(people, round_city):
    round_ = start(people)
    services.run_round(round_.pk)
    queued = review.review_queue(round_id=round_.pk)
    proposed = set(RoundPair.objects.filter(round=round_).values_list("need_id", "offer_id"))
    assert set(queued.values_list("need_id", "offer_id")) == proposed
    # a re-score of the need keeps the round's pair even when its own list changes
    pair = RoundPair.objects.filter(round=round_).first()
    adapter.store_for_need(pair.need_id, [], adapter.active_profile())
    assert Suggestion.objects.filter(
        need_id=pair.need_id, offer_id=pair.offer_id, round=round_
    ).exists()
    # the decision records the round
    review.decide(
        people["coordinator"],
        [review.DecisionItem(need=pair.need, offer=pair.offer, decision="approved")],
    )
    assert ReviewDecision.objects.get(need=pair.need, offer=pair.offer).round == round_
    # the next round lifts the earlier marks of undecided pairs
    later = start(people)
    services.run_round(later.pk)
    assert (
        not Suggestion.objects.filter(round=round_)
        .exclude(need=pair.need, offer=pair.offer)
        .exists()
    )


def test_a_second_round_cannot_start_while_one_runs(people, round_city):
    from lib.errors import Conflict, Forbidden

    start(people)
    with pytest.raises(Conflict):
        start(people)
    with pytest.raises(Forbidden):
        services.start_round(people["member"])


def test_a_failed_round_says_so(people, round_city, monkeypatch):
    round_ = start(people)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.assignment, "solve", broken)
    with pytest.raises(RuntimeError):
        run_match_round.apply(args=[round_.pk], throw=True).get()
    round_.refresh_from_db()
    assert round_.status == MatchRound.Status.FAILED and "boom" in round_.error


def test_fairness_changes_who_is_served_when_scores_are_close(people, round_city):
    """A group with room for five, slightly better placed than its twin from another
    group: without fairness it takes both themes; with fairness the second theme goes to
    the twin (a near-equal pair of an organization with no pair yet)."""
    c = round_city
    for offer in (c["popular"], c["second"]):
        offer.status = "closed"
        offer.save()
    text = {
        "title": "ひとり暮らしの高齢者の見守り訪問と安否確認",
        "description": "民生委員と連携し、ひとり暮らしの高齢者を定期的に訪問して見守ります。",
        "fields": ["welfare"], "forms": ["cooperation"], "capacity": 5,
    }  # fmt: skip
    busy = make_offer(people["npo"], areas=["t-kita"], **text)
    twin = make_offer(people["group"], areas=["t-kita-1"], **text)

    def run(fairness: float) -> set[int]:
        profile = adapter.active_profile()
        profile.fairness = fairness
        profile.save()
        round_ = start(people)
        services.run_round(round_.pk)
        return set(RoundPair.objects.filter(round=round_).values_list("offer_id", flat=True))

    assert run(0.0) == {busy.pk}
    assert run(0.5) == {busy.pk, twin.pk}


def test_a_round_with_nothing_to_assign_finishes_empty(people):
    round_ = start(people)
    assert services.run_round(round_.pk) == 0
    round_.refresh_from_db()
    assert round_.status == MatchRound.Status.DONE
    assert round_.pairs_proposed == 0 and round_.needs_total == 0
    assert services.run_round(round_.pk) == 0  # a duplicated message changes nothing
