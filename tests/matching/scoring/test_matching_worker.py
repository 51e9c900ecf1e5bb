"""The matching tasks end to end: real broker (Redis in CI), real worker processes."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer, plain_profile
from worker import WorkerProcess, wait_for

from matching.models import RescoreRun, Suggestion
from matching.scoring import services

pytestmark = pytest.mark.worker

NEED = {
    "title": "防災訓練の企画・運営パートナー募集",
    "description": (
        "避難所運営訓練を住民と一緒に企画し、当日の運営を担ってくれる団体を探しています。"
    ),
    "fields": ["disaster"],
    "areas": ["t-kita"],
    "forms": ["co_host", "cooperation"],
    "status": "open",
}


def test_posting_a_need_scores_it_in_the_background(people, api, celery_worker):
    offer = make_offer(
        people["npo"],
        title="避難所運営ゲーム（HUG）と防災訓練の企画",
        description="防災士が避難所運営ゲームを使った訓練を企画し、当日の運営を手伝います。",
        fields=["disaster"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    api.force_authenticate(people["staff"])
    response = api.post(
        "/api/v1/needs/", {**NEED, "organization": people["department"].pk}, format="json"
    )
    assert response.status_code == 201
    need_id = response.json()["id"]
    assert wait_for(lambda: Suggestion.objects.filter(need_id=need_id, offer=offer).exists()), (
        celery_worker.read_log()
    )
    rows = api.get(f"/api/v1/needs/{need_id}/suggestions/").json()["results"]
    assert rows[0]["offer"] == offer.pk and rows[0]["reasons"]

    # an offer posted later is scored against the open needs too
    late = make_offer(
        people["group"],
        title="防災訓練での炊き出しと避難所の運営協力",
        description="地域の防災訓練で避難所運営の手伝いと炊き出しをします。",
        fields=["disaster"], areas=["t-kita"], forms=["co_host"],
    )  # fmt: skip
    assert wait_for(lambda: Suggestion.objects.filter(need_id=need_id, offer=late).exists()), (
        celery_worker.read_log()
    )


def test_two_full_rescores_at_once_leave_one_suggestion_per_pair(
    people, celery_worker, celery_test_queue, tmp_path
):
    # Fairness off: every offer fits every need here (no cap of 3 per organization).
    plain_profile()
    for i in range(12):
        make_need(people["department"], title=f"高齢者の見守り活動 その{i}",
                  forms=["cooperation"], areas=["t-kita"])  # fmt: skip
        make_offer(people["npo"] if i % 2 else people["group"], title=f"シニアの訪問活動 {i}",
                   forms=["cooperation"], areas=["t-city"])  # fmt: skip
    # a second worker process, so the chunks of both runs really run in parallel
    second = WorkerProcess(
        celery_test_queue["queue"], celery_test_queue["folder"], log_dir=tmp_path
    ).start()
    try:
        runs = [services.start_full_rescore(chunk_size=3) for _ in range(2)]
        # start_full_rescore sends on commit; this test runs outside a transaction
        assert wait_for(
            lambda: all(
                RescoreRun.objects.get(pk=r.pk).status == RescoreRun.Status.DONE for r in runs
            ),
            timeout=120,
        ), celery_worker.read_log() + second.read_log()
    finally:
        second.stop()
    for run in RescoreRun.objects.filter(pk__in=[r.pk for r in runs]):
        assert run.total_chunks == 4 and run.needs_total == 12 and run.percent_done == 100
    pairs = list(Suggestion.objects.values_list("need_id", "offer_id"))
    assert len(pairs) == len(set(pairs))
    assert len(pairs) == 12 * 12  # every need × every offer fits here (top 20 ≥ 12)
