"""The match rounds API and the coordinators' page: who may start a round, its progress
while it runs, and its results (pairs, unserved needs, explanations) once done."""

from __future__ import annotations

import pytest
from django.db import transaction
from rounds_support import build_round_city

from matching.models import MatchRound
from matching.rounds import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_city(people):
    return build_round_city(people)


ROUNDS = "/api/v1/match-rounds/"


def test_only_coordinators_start_and_read_rounds(api, people, django_capture_on_commit_callbacks):
    for who in ("member", "other", "staff"):
        api.force_authenticate(people[who])
        assert api.post(ROUNDS).status_code == 403
        assert api.get(ROUNDS).status_code == 403
    api.force_authenticate(None)
    assert api.post(ROUNDS).status_code == 401
    assert not MatchRound.objects.exists()
    api.force_authenticate(people["coordinator"])
    with django_capture_on_commit_callbacks() as sent:
        r = api.post(ROUNDS)
    assert r.status_code == 202, r.data
    assert r.data["status"] == "pending" and r.data["percent_done"] == 0
    assert len(sent) == 1  # the task, once the request's transaction committed
    # a second one while the first has not finished
    again = api.post(ROUNDS)
    assert again.status_code == 409
    assert "実行中" in str(again.data)


def test_progress_then_results(api, people, round_city):
    with transaction.atomic():
        round_ = services.start_round(people["coordinator"])
    api.force_authenticate(people["coordinator"])
    running = api.get(f"{ROUNDS}{round_.pk}/")
    assert running.status_code == 200
    assert running.data["phase"] == "waiting" and running.data["needs"] == []
    services.run_round(round_.pk)
    done = api.get(f"{ROUNDS}{round_.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert done.data["status"] == "done" and done.data["percent_done"] == 100
    needs = {n["need"]: n for n in done.data["needs"]}
    lonely = needs[round_city["lonely"].pk]
    assert lonely["outcome"] == "unserved" and lonely["reason"] == "no_candidate"
    assert "基準点" in lonely["explanation"]
    served = [n for n in needs.values() if n["outcome"] == "served"]
    assert served and all(len(n["pairs"]) == 1 for n in served)
    pair = served[0]["pairs"][0]
    assert pair["explanation"] and pair["score"] > 0 and pair["reasons"]
    summary = done.data["summary"]
    assert summary["round"]["capacity_violations"] == 0
    assert set(summary) >= {"greedy_top1", "greedy_in_turn", "solver_seconds", "total_seconds"}
    english = api.get(f"{ROUNDS}{round_.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    lonely_en = {n["need"]: n for n in english.data["needs"]}[round_city["lonely"].pk]
    assert "score floor" in lonely_en["explanation"]


def test_the_schema_documents_the_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/v1/match-rounds/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/match-rounds/"]
    assert "/api/v1/match-rounds/{id}/" in schema["paths"]


def test_the_page_starts_a_round_and_shows_its_results(client, people, round_city):
    client.force_login(people["member"])
    assert client.get("/coord/rounds/").status_code == 403
    client.force_login(people["coordinator"])
    page = client.get("/coord/rounds/")
    assert page.status_code == 200
    assert "マッチングラウンドを始める" in page.content.decode()
    started = client.post("/coord/rounds/start/")
    round_ = MatchRound.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/coord/rounds/{round_.pk}/"
    running = client.get(f"/coord/rounds/{round_.pk}/").content.decode()
    assert "round-progress" in running and f"/api/v1/match-rounds/{round_.pk}/" in running
    services.run_round(round_.pk)
    done = client.get(f"/coord/rounds/{round_.pk}/").content.decode()
    assert round_city["lonely"].title in done and "基準点" in done
    assert f"/coord/review/?round={round_.pk}" in done
    assert "受け入れ枠の超過" in done
    # only the unserved ones
    unserved = client.get(f"/coord/rounds/{round_.pk}/?outcome=unserved").content.decode()
    assert round_city["lonely"].title in unserved
    assert round_city["need_a"].title not in unserved
    # the review queue, filtered to the round, marks its pairs
    review = client.get(f"/coord/review/?round={round_.pk}").content.decode()
    assert f"ラウンド #{round_.pk}" in review
    # a second start while nothing runs is fine; while one runs it is refused with a message
    MatchRound.objects.filter(pk=round_.pk).update(status="running")
    refused = client.post("/coord/rounds/start/", follow=True).content.decode()
    assert "実行中" in refused


def test_need_form_and_api_take_the_number_of_partners(api, people, city):
    api.force_authenticate(people["staff"])
    data = {
        "organization": people["department"].pk,
        "title": "防災訓練の企画",
        "description": "地域の防災訓練を一緒に企画してくれる団体を募集します。",
        "status": "open",
        "partners_wanted": 3,
    }
    r = api.post("/api/v1/needs/", data, format="json")
    assert r.status_code == 201, r.data
    assert r.data["partners_wanted"] == 3
    bad = api.post("/api/v1/needs/", {**data, "partners_wanted": 0}, format="json")
    assert bad.status_code == 400 and "partners_wanted" in bad.data
    omitted = {k: v for k, v in data.items() if k != "partners_wanted"}
    default = api.post("/api/v1/needs/", {**omitted, "title": "別のテーマ"}, format="json")
    assert default.status_code == 201 and default.data["partners_wanted"] == 1


def test_the_need_form_asks_how_many_partners(client, people):
    client.force_login(people["staff"])
    page = client.get("/my/needs/new/").content.decode()
    assert "募集数" in page and 'name="partners_wanted"' in page
