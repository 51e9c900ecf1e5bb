"""The indexes' generation (matching.scoring.generation): every change to what the engine
indexes is recorded in the same transaction, naming the posts it changed; a process
refreshes its view only when changes moved, and a changed post reaches rankings through
the delta, without a rebuild."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer
from django.db import transaction

from matching.models import IndexChange, Match, MatchingProfile
from matching.scoring import adapter, generation, indexes
from organizations.models import Area

pytestmark = pytest.mark.django_db


def _gens() -> tuple[int, int]:
    return generation.counter("need"), generation.counter("offer")


def test_saving_a_post_bumps_its_side_only(people):
    need0, offer0 = _gens()
    need = make_need(people["department"], forms=["cooperation"])
    need1, offer1 = _gens()
    assert need1 > need0 and offer1 == offer0
    make_offer(people["npo"], forms=["cooperation"])
    need2, offer2 = _gens()
    assert need2 == need1 and offer2 > offer1
    # Its areas (a many-to-many table, saved after the post) count too.
    need.areas.clear()
    assert _gens()[0] > need2


def _changed(side: str, after: int) -> tuple[set[int], bool]:
    rows = IndexChange.objects.filter(side=side, id__gt=after).values_list("post_id", flat=True)
    return {r for r in rows if r is not None}, None in set(rows)


def _last_change() -> int:
    return IndexChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_each_change_names_the_posts_it_changed(people):
    need = make_need(people["npo"], forms=["cooperation"])
    offer = make_offer(people["npo"], forms=["cooperation"])
    mark = _last_change()
    people["npo"].is_verified = False  # its posts leave the rankings: both named
    people["npo"].save()
    assert _changed("need", mark) == ({need.pk}, False)
    assert _changed("offer", mark) == ({offer.pk}, False)

    mark = _last_change()
    Match.objects.create(title="見守りの協働", coordinator=None, need=need, offer=offer)
    assert _changed("offer", mark) == ({offer.pk}, False)  # its free capacity
    assert _changed("need", mark) == (set(), False)

    mark = _last_change()
    Area.objects.create(code="t-new", name="新しい地区", level=Area.Level.DISTRICT)
    assert _changed("need", mark)[1] and _changed("offer", mark)[1]  # the whole of both


def test_a_rolled_back_change_leaves_the_generation(people):
    before = _gens()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_need(people["department"], forms=["cooperation"])
        assert _gens()[0] > before[0]  # visible inside the transaction
        raise RuntimeError("rolled back")
    assert _gens() == before


def test_a_generation_is_never_named_twice(people):
    """A bump rolled back and another committed reach the same counter, never the same
    stamp: an index cached for the first is not taken for the second."""
    with pytest.raises(RuntimeError), transaction.atomic():
        make_need(people["department"], forms=["cooperation"])
        rolled_back = generation.current("need")
        raise RuntimeError("rolled back")
    make_need(people["department"], forms=["cooperation"])
    assert generation.current("need") != rolled_back


def test_a_new_offer_is_ranked_without_a_rebuild(people, monkeypatch):
    need = make_need(people["department"], forms=["cooperation"], areas=["t-kita"])
    make_offer(people["npo"], forms=["cooperation"], areas=["t-kita"])
    adapter.clear_caches()
    builds: list[str] = []
    real = indexes.build_indexes

    def counting(model, lexicon):
        builds.append(model.__name__)
        return real(model, lexicon)

    monkeypatch.setattr(indexes, "build_indexes", counting)
    first = adapter.rank_for_need(need)
    adapter.rank_for_need(need)
    assert builds == ["Offer"], "a second ranking with nothing changed must not rebuild"
    # Changes elsewhere (the need side, a profile) leave the offer index as it is.
    make_need(people["group"], forms=["cooperation"])
    MatchingProfile.objects.update(min_score=0.0)
    adapter.rank_for_need(need)
    assert builds == ["Offer"]
    # A new offer is a new generation: the next ranking sees it, from the delta.
    newcomer = make_offer(
        people["group"],
        title="高齢者の見守り訪問",
        description="一人暮らしの高齢者を訪問して見守ります。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    found = adapter.rank_for_need(need)
    assert builds == ["Offer"], "a saved offer reaches rankings through the delta"
    assert str(newcomer.pk) in {s.offer_id for s in found}
    assert {s.offer_id for s in first} <= {s.offer_id for s in found}


def test_old_changes_are_pruned_but_each_side_keeps_its_latest(people):
    import datetime as dt

    from django.utils import timezone

    from matching.models import IndexChange

    make_need(people["department"], forms=["cooperation"])
    make_offer(people["npo"], forms=["cooperation"])
    latest = generation.current("need"), generation.current("offer")
    assert IndexChange.objects.count() > 2
    removed = generation.prune(timezone.now() + generation.KEEP + dt.timedelta(seconds=1))
    assert removed > 0
    assert IndexChange.objects.count() == 2  # one per side: the generation did not move
    assert (generation.current("need"), generation.current("offer")) == latest
