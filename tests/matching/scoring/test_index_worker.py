"""The shared index across processes: an offer saved in this process is ranked by a real
worker process that already serves the host's main segment — from its delta, without a
rebuild — and a full re-score opens the saved main segment instead of building one."""

from __future__ import annotations

import time

import pytest
from conftest import make_need, make_offer
from worker import wait_for

from matching.models import Suggestion
from matching.scoring import segments, tasks

pytestmark = pytest.mark.worker


def _bases() -> list[str]:
    root = segments.root("offer")
    return sorted(d.name for d in root.iterdir() if d.is_dir()) if root.is_dir() else []


def test_an_offer_saved_here_is_ranked_by_the_worker_without_a_rebuild(people, celery_worker):
    need = make_need(
        people["department"],
        title="一人暮らし高齢者の見守り活動",
        description="団地の一人暮らし高齢者を訪問し、孤立を防ぐ見守りの担い手を探しています。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    first = make_offer(
        people["npo"],
        title="シニアの見守り訪問",
        description="お年寄りのお宅を訪問し安否を確認します。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    assert wait_for(lambda: Suggestion.objects.filter(need=need, offer=first).exists()), (
        celery_worker.read_log()
    )
    bases = _bases()
    assert len(bases) == 1, "the worker built the host's main segment once"

    saved_at = time.monotonic()
    newcomer = make_offer(
        people["group"],
        title="高齢者の話し相手と見守り",
        description="一人暮らしの高齢者を訪問して話し相手になり、見守ります。",
        forms=["cooperation"],
        areas=["t-kita"],
    )
    # The offer's own scoring (over the needs) stores the pair too: wait for it, remove the
    # pair, then ask for the need's ranking over the offers — only the delta can give it.
    assert wait_for(lambda: Suggestion.objects.filter(need=need, offer=newcomer).exists())
    Suggestion.objects.filter(need=need, offer=newcomer).delete()
    tasks.rescore_need.delay(need.pk)
    assert wait_for(lambda: Suggestion.objects.filter(need=need, offer=newcomer).exists()), (
        celery_worker.read_log()
    )
    print(f"saved offer ranked by the worker after {time.monotonic() - saved_at:.2f} s")
    assert _bases() == bases, "no main segment was built for a saved offer"
