"""The coordinators' review queue: threshold and order, filters, approve / reject / defer,
bulk decisions (all or nothing), rejected pairs coming back only after a material change."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from conftest import make_need, make_offer, make_org
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from workflow_support import pair, suggest

from matching.matches import workflow
from matching.models import Match, MatchParty, RejectionReason, ReviewDecision
from matching.scoring import adapter

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/review-queue/"
DECIDE = "/api/v1/review-queue/decide/"


@pytest.fixture
def coordinator_api(api, people):
    api.force_authenticate(people["coordinator"])
    api.default_format = "json"
    return api


@pytest.fixture
def queue(people):
    """Three suggestions for a department's need, one below the threshold, and one for a
    group's need in 南区."""
    need, good = pair(people)
    other_offer = make_offer(
        people["group"], title="子育て世代の見守り", fields=["children"], areas=["t-minami"],
        forms=["commission"],
    )  # fmt: skip
    weak = make_offer(make_org("事業者A", "business"), title="弁当の配達", forms=["cooperation"])
    group_need = make_need(
        people["group"], title="子育てサロンの講師", fields=["children"], areas=["t-minami-1"],
        forms=["co_host"],
    )  # fmt: skip
    return {
        "need": need,
        "good": good,
        "other_offer": other_offer,
        "weak": weak,
        "group_need": group_need,
        "s_good": suggest(need, good, 0.9),
        "s_other": suggest(need, other_offer, 0.6),
        "s_weak": suggest(need, weak, 0.1),
        "s_group": suggest(group_need, good, 0.7),
    }


def pairs(response) -> list[tuple[int, int]]:
    assert response.status_code == 200, response.data
    return [(row["need"], row["offer"]) for row in response.data["results"]]


def test_queue_is_coordinators_only(api, people, queue):
    for who in ("member", "staff", "other"):
        api.force_authenticate(people[who])
        assert api.get(QUEUE).status_code == 403
        assert api.post(DECIDE, {}, format="json").status_code == 403
    api.force_authenticate(None)
    assert api.get(QUEUE).status_code in (401, 403)


def test_queue_above_threshold_best_first(coordinator_api, queue):
    q = queue
    assert adapter.active_profile().min_score == pytest.approx(0.25)
    assert pairs(coordinator_api.get(QUEUE)) == [
        (q["need"].pk, q["good"].pk),
        (q["group_need"].pk, q["good"].pk),
        (q["need"].pk, q["other_offer"].pk),
    ]
    assert len(pairs(coordinator_api.get(QUEUE, {"min_score": 0.65}))) == 2
    assert len(pairs(coordinator_api.get(QUEUE, {"min_score": 0}))) == 4
    row = coordinator_api.get(QUEUE).data["results"][0]
    assert row["need_title"] == q["need"].title and row["reasons"] == ["分野が同じ"]
    assert coordinator_api.get(QUEUE, {"min_score": "abc"}).status_code == 400
    assert coordinator_api.get(QUEUE, {"min_score": 2}).status_code == 400


def test_queue_filters(coordinator_api, people, queue):
    q = queue
    get = coordinator_api.get
    # field: either post
    assert set(pairs(get(QUEUE, {"field": "children"}))) == {
        (q["need"].pk, q["other_offer"].pk),
        (q["group_need"].pk, q["good"].pk),
    }
    # area: 北一地区 is inside 北区 (the department's need and the NPO's offer)
    assert (q["group_need"].pk, q["good"].pk) in pairs(get(QUEUE, {"area": "t-kita-1"}))
    assert pairs(get(QUEUE, {"area": "t-minami-1"})) == [
        (q["group_need"].pk, q["good"].pk),
        (q["need"].pk, q["other_offer"].pk),
    ]
    assert get(QUEUE, {"area": "nowhere"}).status_code == 400
    # department: the need's organization
    assert {n for n, _ in pairs(get(QUEUE, {"department": people["department"].pk}))} == {
        q["need"].pk
    }
    # form: both posts accept it
    assert pairs(get(QUEUE, {"form": "commission"})) == [(q["need"].pk, q["other_offer"].pk)]
    assert pairs(get(QUEUE, {"form": "co_host"})) == []
    # combined, and several values at once
    assert pairs(get(QUEUE, {"field": "welfare,children", "form": "cooperation"})) == [
        (q["need"].pk, q["good"].pk)
    ]


def test_approve_creates_a_match_and_leaves_the_queue(coordinator_api, people, queue):
    q = queue
    r = coordinator_api.post(
        DECIDE,
        {"need": q["need"].pk, "offer": q["good"].pk, "decision": "approved", "comment": "良い"},
    )
    assert r.status_code == 200, r.data
    match = Match.objects.get(pk=r.data["results"][0]["match"])
    assert match.title == q["need"].title and match.coordinator == people["coordinator"]
    assert set(match.parties.values_list("role", flat=True)) == {"need_poster", "offer_poster"}
    decision = ReviewDecision.objects.get(need=q["need"], offer=q["good"])
    assert decision.decision == "approved" and decision.match == match
    assert decision.decided_by == people["coordinator"] and decision.score == pytest.approx(0.9)
    assert (q["need"].pk, q["good"].pk) not in pairs(coordinator_api.get(QUEUE))
    # approving again is refused
    r = coordinator_api.post(
        DECIDE, {"need": q["need"].pk, "offer": q["good"].pk, "decision": "approved"}
    )
    assert r.status_code == 400 and r.data["items"][0]["non_field_errors"]
    # the decision is audited with its actor
    ct = ContentType.objects.get_for_model(ReviewDecision)
    assert LogEntry.objects.filter(content_type=ct, actor=people["coordinator"]).exists()


def test_a_pair_with_an_open_match_is_not_in_the_queue(coordinator_api, people, queue):
    q = queue
    workflow.create_match(
        people["coordinator"],
        parties=[
            workflow.PartySpec(people["department"], MatchParty.Role.NEED_POSTER),
            workflow.PartySpec(people["group"], MatchParty.Role.OFFER_POSTER),
        ],
        need=q["need"],
        offer=q["other_offer"],
    )
    assert (q["need"].pk, q["other_offer"].pk) not in pairs(coordinator_api.get(QUEUE))


def test_rejection_needs_a_reason_from_the_list(coordinator_api, queue):
    q = queue
    base = {"need": q["need"].pk, "offer": q["other_offer"].pk, "decision": "rejected"}
    r = coordinator_api.post(DECIDE, base)
    assert r.status_code == 400 and "reason" in r.data["items"][0]
    r = coordinator_api.post(DECIDE, {**base, "reason": "no-such-reason"})
    assert r.status_code == 400 and "reason" in r.data["items"][0]
    r = coordinator_api.post(DECIDE, {**base, "reason": "other"})
    assert r.status_code == 400 and "comment" in r.data["items"][0]
    assert not ReviewDecision.objects.exists()
    r = coordinator_api.get("/api/v1/rejection-reasons/")
    assert r.status_code == 200 and "area" in [row["code"] for row in r.data]
    RejectionReason.objects.filter(code="area").update(is_active=False)
    r = coordinator_api.post(DECIDE, {**base, "reason": "area"})
    assert r.status_code == 400 and "reason" in r.data["items"][0]


def test_rejected_pair_returns_only_after_a_material_change(coordinator_api, queue):
    q = queue
    key = (q["need"].pk, q["other_offer"].pk)
    r = coordinator_api.post(
        DECIDE,
        {**dict(zip(("need", "offer"), key, strict=True)), "decision": "rejected",
         "reason": "area", "comment": "南区の団体なので"},
    )  # fmt: skip
    assert r.status_code == 200, r.data
    decision = ReviewDecision.objects.get(need_id=key[0], offer_id=key[1])
    assert decision.reason.code == "area" and decision.comment == "南区の団体なので"
    assert key not in pairs(coordinator_api.get(QUEUE))
    # not material: status round trip, capacity, a save without change
    offer = q["other_offer"]
    offer.capacity = 5
    offer.save()
    assert key not in pairs(coordinator_api.get(QUEUE))
    # material: the offer now covers 北区 too
    offer.areas.add(*offer.areas.model.objects.filter(code="t-kita"))
    assert key in pairs(coordinator_api.get(QUEUE))
    # rejected again, then the need's description changes
    coordinator_api.post(
        DECIDE, {"need": key[0], "offer": key[1], "decision": "rejected", "reason": "area"}
    )
    assert key not in pairs(coordinator_api.get(QUEUE))
    need = q["need"]
    need.description += " 子育て世代との交流も歓迎します。"
    need.save()
    assert key in pairs(coordinator_api.get(QUEUE))


def test_defer_until_a_date(coordinator_api, queue):
    q = queue
    key = (q["need"].pk, q["other_offer"].pk)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    r = coordinator_api.post(
        DECIDE,
        {"need": key[0], "offer": key[1], "decision": "deferred",
         "deferred_until": tomorrow.isoformat()},
    )  # fmt: skip
    assert r.status_code == 200, r.data
    assert key not in pairs(coordinator_api.get(QUEUE))
    ReviewDecision.objects.filter(need_id=key[0]).update(deferred_until=timezone.localdate())
    assert key in pairs(coordinator_api.get(QUEUE))
    r = coordinator_api.post(
        DECIDE,
        {"need": key[0], "offer": key[1], "decision": "deferred",
         "deferred_until": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert r.status_code == 400 and "deferred_until" in r.data["items"][0]
    # deferred without a date: back when a post changes
    r = coordinator_api.post(DECIDE, {"need": key[0], "offer": key[1], "decision": "deferred"})
    assert r.status_code == 200
    assert key not in pairs(coordinator_api.get(QUEUE))
    q["need"].title = "高齢者と子育て世代の見守り"
    q["need"].save()
    assert key in pairs(coordinator_api.get(QUEUE))
    # and a deferred pair can still be approved
    r = coordinator_api.post(DECIDE, {"need": key[0], "offer": key[1], "decision": "approved"})
    assert r.status_code == 200 and r.data["results"][0]["match"]


def test_bulk_is_all_or_nothing_and_reports_each_item(coordinator_api, queue):
    q = queue
    items = [
        {"need": q["need"].pk, "offer": q["good"].pk, "decision": "approved"},
        {"need": q["need"].pk, "offer": q["other_offer"].pk, "decision": "rejected"},  # no reason
        {"need": q["group_need"].pk, "offer": q["good"].pk, "decision": "deferred"},
    ]
    r = coordinator_api.post(DECIDE, {"items": items})
    assert r.status_code == 400
    errors = r.data["items"]
    assert errors[0] == {} and "reason" in errors[1] and errors[2] == {}
    assert not ReviewDecision.objects.exists() and not Match.objects.exists()
    # a pair with no suggestion, and the same pair twice
    r = coordinator_api.post(
        DECIDE,
        {"items": [items[0], items[0], {"need": q["group_need"].pk, "offer": q["weak"].pk,
                                        "decision": "deferred"}]},
    )  # fmt: skip
    assert r.status_code == 400
    assert r.data["items"][0] == {} and r.data["items"][1] and r.data["items"][2]
    assert not Match.objects.exists()
    # shape errors are per item too
    r = coordinator_api.post(DECIDE, {"items": [items[0], {"need": "x"}]})
    assert r.status_code == 400 and "need" in r.data["items"][1]
    assert coordinator_api.post(DECIDE, {"items": []}).status_code == 400
    # all valid: all applied
    items[1]["reason"] = "substance"
    r = coordinator_api.post(DECIDE, {"items": items})
    assert r.status_code == 200, r.data
    assert [row["decision"] for row in r.data["results"]] == ["approved", "rejected", "deferred"]
    assert r.data["results"][0]["match"] and r.data["results"][1]["match"] is None
    assert ReviewDecision.objects.count() == 3 and Match.objects.count() == 1
    assert pairs(coordinator_api.get(QUEUE)) == []


def test_closed_posts_leave_the_queue(coordinator_api, queue):
    q = queue
    q["other_offer"].status = "closed"
    q["other_offer"].save()
    assert (q["need"].pk, q["other_offer"].pk) not in pairs(coordinator_api.get(QUEUE))


def test_engine_suggestions_reach_the_queue(coordinator_api, people):
    """End to end with the real engine: a scored pair is reviewable."""
    need, offer = pair(people)
    adapter.rescore_need(need.pk)
    assert (need.pk, offer.pk) in pairs(coordinator_api.get(QUEUE, {"min_score": 0}))
