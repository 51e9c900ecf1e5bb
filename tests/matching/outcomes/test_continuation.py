"""Continuation follow-ups at 6 and 12 months, and the continuation rate (継続率)
computed from the recorded answers (expected values computed by hand below)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_user
from django.utils import timezone
from outcomes_support import at, make_match

from lib import errors
from lib.dates import add_months
from matching.matches.signals import match_transitioned
from matching.models import ContinuationFollowUp, Match, MatchParty
from matching.outcomes import continuation as continuation_mod
from matching.outcomes import follow_ups
from notifications.models import Notification

D = dt.date


def complete(match, actor=None) -> None:
    """What the workflow does after ``complete``: send the signal."""
    match_transitioned.send(
        sender=Match, match=match, name="complete", source="active", target="completed",
        actor=actor, comment="",
    )  # fmt: skip


def due_dates(match) -> dict[tuple[int, int], dt.date]:
    return {
        (row.organization_id, row.months): row.due_on
        for row in ContinuationFollowUp.objects.filter(match=match)
    }


# --- Scheduling at completion ---------------------------------------------------------
def test_follow_ups_created_at_completion(people):
    match = make_match(people, completed_on=D(2026, 3, 31))
    complete(match)
    npo, dept = people["npo"].pk, people["department"].pk
    assert due_dates(match) == {
        (dept, 6): D(2026, 9, 30),  # 3/31 + 6 months: September has 30 days
        (dept, 12): D(2027, 3, 31),
        (npo, 6): D(2026, 9, 30),
        (npo, 12): D(2027, 3, 31),
    }
    complete(match)  # a duplicated signal changes nothing
    assert ContinuationFollowUp.objects.count() == 4


@pytest.mark.parametrize(
    ("completed_at", "six", "twelve"),
    [
        (at(D(2026, 8, 31)), D(2027, 2, 28), D(2027, 8, 31)),
        (at(D(2027, 8, 31)), D(2028, 2, 29), D(2028, 8, 31)),  # leap year
        (at(D(2026, 7, 15)), D(2027, 1, 15), D(2027, 7, 15)),
        # 00:30 on 1 September in Tokyo is still 31 August in UTC: Tokyo's date counts.
        (at(D(2026, 9, 1), hour=0) + dt.timedelta(minutes=30), D(2027, 3, 1), D(2027, 9, 1)),
    ],
)
def test_due_dates_at_month_end(people, completed_at, six, twelve):
    match = make_match(people, parties=("npo",))
    Match.objects.filter(pk=match.pk).update(completed_at=completed_at)
    follow_ups.schedule_follow_ups(Match.objects.get(pk=match.pk))
    assert due_dates(match) == {(people["npo"].pk, 6): six, (people["npo"].pk, 12): twelve}


def test_declined_party_gets_no_follow_up(people):
    match = make_match(people, parties=("department", "npo", "group"))
    MatchParty.objects.filter(match=match, organization=people["group"]).update(response="declined")
    complete(match)
    assert {org for org, _m in due_dates(match)} == {people["npo"].pk, people["department"].pk}


def test_other_transitions_schedule_nothing(people):
    match = make_match(people, state="introduced", completed_on=None)
    match_transitioned.send(
        sender=Match, match=match, name="introduce", source="proposed", target="introduced",
        actor=None, comment="",
    )  # fmt: skip
    assert not ContinuationFollowUp.objects.exists()


def test_with_the_real_workflow(people):
    """With the real workflow, completing a match schedules its follow-ups."""
    from matching.matches import workflow

    match = make_match(people, state="active", completed_on=None)
    workflow.complete(match, people["coordinator"])
    match = Match.objects.get(pk=match.pk)
    assert match.state == "completed"
    completed_on = timezone.localdate(match.completed_at)
    assert ContinuationFollowUp.objects.filter(match=match).count() == 4
    assert set(due_dates(match).values()) == {
        add_months(completed_on, 6),
        add_months(completed_on, 12),
    }


# --- Sending, once, and one reminder --------------------------------------------------
def _kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind__startswith="match.follow_up")
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_sent_when_due_never_twice_then_one_reminder(people):
    match = make_match(people, completed_on=D(2026, 3, 31))
    complete(match)
    colleague = make_user("colleague", people["npo"])

    assert follow_ups.send_due_follow_ups(D(2026, 9, 29)).sent == 0
    assert _kinds(people["member"]) == []

    run = follow_ups.send_due_follow_ups(D(2026, 9, 30))
    assert (run.sent, run.reminded) == (2, 0)  # the 6-month checkpoint of both parties
    assert _kinds(people["member"]) == ["match.follow_up_request"]
    assert _kinds(colleague) == ["match.follow_up_request"]
    assert _kinds(people["staff"]) == ["match.follow_up_request"]
    assert _kinds(people["other"]) == []
    row = ContinuationFollowUp.objects.get(match=match, organization=people["npo"], months=6)
    assert timezone.localdate(row.sent_at) == D(2026, 9, 30)

    for day in (D(2026, 9, 30), D(2026, 10, 1), D(2026, 10, 13)):
        assert follow_ups.send_due_follow_ups(day).sent == 0
        assert follow_ups.send_due_follow_ups(day).reminded == 0

    # The department answers; the NPO does not and is reminded 14 days after the request.
    follow_ups.answer_follow_up(
        ContinuationFollowUp.objects.get(match=match, organization=people["department"], months=6),
        people["staff"], "continued", "来年度も共催します", today=D(2026, 10, 2),
    )  # fmt: skip
    run = follow_ups.send_due_follow_ups(D(2026, 10, 14))
    assert (run.sent, run.reminded) == (0, 1)
    assert _kinds(people["member"]) == ["match.follow_up_request", "match.follow_up_reminder"]
    assert _kinds(people["staff"]) == ["match.follow_up_request"]
    for day in (D(2026, 10, 15), D(2026, 12, 1)):
        assert follow_ups.send_due_follow_ups(day).reminded == 0
    assert len(_kinds(people["member"])) == 2

    # A year after completion: the 12-month checkpoint.
    assert follow_ups.send_due_follow_ups(D(2027, 3, 31)).sent == 2


def test_a_late_run_catches_up_once(people):
    """If the task did not run on the due day (server down), the next run sends it."""
    match = make_match(people, completed_on=D(2026, 3, 31), parties=("npo",))
    complete(match)
    assert follow_ups.send_due_follow_ups(D(2027, 4, 10)).sent == 2  # 6 and 12 months
    assert follow_ups.send_due_follow_ups(D(2027, 4, 10)).sent == 0


def test_cancelled_or_unfinished_matches_are_not_asked(people):
    match = make_match(people, completed_on=D(2026, 3, 31))
    complete(match)
    Match.objects.filter(pk=match.pk).update(state="cancelled")
    assert follow_ups.send_due_follow_ups(D(2027, 6, 1)).sent == 0


def test_follow_up_task_runs_the_service(people):
    from matching.outcomes.tasks import send_due_follow_ups

    match = make_match(people, completed_on=timezone.localdate() - dt.timedelta(days=200))
    complete(match)
    assert send_due_follow_ups.apply().get() == {"sent": 2, "reminded": 0}
    assert send_due_follow_ups.apply().get() == {"sent": 0, "reminded": 0}


# --- Answers ----------------------------------------------------------------------------
@pytest.fixture
def follow_up(people):
    match = make_match(people, completed_on=D(2026, 3, 31))
    complete(match)
    return ContinuationFollowUp.objects.get(match=match, organization=people["npo"], months=6)


def test_answer_by_a_party_member(people, follow_up):
    row = follow_ups.answer_follow_up(
        follow_up, people["member"], "continued_other_form", "自主事業として継続",
        today=D(2026, 10, 5),
    )  # fmt: skip
    assert (row.answer, row.reason, row.answered_by) == (
        "continued_other_form",
        "自主事業として継続",
        people["member"],
    )
    assert timezone.localdate(row.answered_at) == D(2026, 10, 5)


@pytest.mark.parametrize("who", ["other", "staff", "coordinator", "admin"])
def test_answer_by_a_non_party_is_refused(people, follow_up, who):
    """Only the asked organization answers: not an outsider, not the other party, not a
    coordinator on its behalf."""
    with pytest.raises(errors.Forbidden) as err:
        follow_ups.answer_follow_up(follow_up, people[who], "ended", "理由", today=D(2026, 10, 5))
    assert err.value.status == 403
    follow_up.refresh_from_db()
    assert follow_up.answer == "" and follow_up.answered_by is None


@pytest.mark.parametrize(
    ("answer", "reason", "error", "status"),
    [
        ("maybe", "", errors.Invalid, 400),
        ("", "", errors.Invalid, 400),
        ("ended", "  ", errors.Invalid, 400),  # ended needs a reason
    ],
)
def test_bad_answers(people, follow_up, answer, reason, error, status):
    with pytest.raises(error) as err:
        follow_ups.answer_follow_up(
            follow_up, people["member"], answer, reason, today=D(2026, 10, 5)
        )
    assert err.value.status == status
    follow_up.refresh_from_db()
    assert follow_up.answer == ""


def test_answer_twice_or_too_early(people, follow_up):
    with pytest.raises(errors.Conflict) as err:
        follow_ups.answer_follow_up(follow_up, people["member"], "continued", today=D(2026, 9, 29))
    assert "2026年9月30日(水)" in str(err.value.message)  # with its weekday
    follow_ups.answer_follow_up(follow_up, people["member"], "continued", today=D(2026, 9, 30))
    with pytest.raises(errors.Conflict):
        follow_ups.answer_follow_up(
            follow_up, people["member"], "ended", "やめた", today=D(2026, 10, 1)
        )
    follow_up.refresh_from_db()
    assert follow_up.answer == "continued"


# --- The continuation rate ----------------------------------------------------------------
def answer(people, match, party: str, months: int, value: str) -> None:
    row = ContinuationFollowUp.objects.get(match=match, organization=people[party], months=months)
    user = {"npo": people["member"], "department": people["staff"]}[party]
    follow_ups.answer_follow_up(row, user, value, "理由", today=row.due_on + dt.timedelta(days=3))


@pytest.fixture
def recorded(people):
    """Six completed matches and their recorded answers.

    | match | completed (FY) | form | fields (need ∪ offer)      | 12-month answers   | continues |
    |-------|----------------|------|----------------------------|--------------------|-----------|
    | M1    | 2025-06-30 (25)| 共催 | welfare, children          | dept ✓, npo ended  | yes (any) |
    | M2    | 2025-09-15 (25)| 委託 | welfare                    | both ended         | no        |
    | M3    | 2026-02-10 (25)| 共催 | environment                | npo other form     | yes       |
    | M4    | 2026-05-20 (26)| 共催 | environment                | dept ended         | no        |
    | M5    | 2026-04-01 (26)| 委託 | —                          | none (6 m: ✓)      | not at 12 |
    | M6    | 2025-03-31 (24)| —    | children                   | both ✓             | yes       |
    At 6 months only M2 (npo ✓) and M5 (dept ✓) have answers: both continue.
    """
    m1 = make_match(people, title="M1", completed_on=D(2025, 6, 30), form="co_host",
                    need_fields=["welfare"], offer_fields=["welfare", "children"])  # fmt: skip
    m2 = make_match(people, title="M2", completed_on=D(2025, 9, 15), form="commission",
                    need_fields=["welfare"])  # fmt: skip
    m3 = make_match(people, title="M3", completed_on=D(2026, 2, 10), form="co_host",
                    need_fields=["environment"])  # fmt: skip
    m4 = make_match(people, title="M4", completed_on=D(2026, 5, 20), form="co_host",
                    offer_fields=["environment"])  # fmt: skip
    m5 = make_match(people, title="M5", completed_on=D(2026, 4, 1), form="commission")
    m6 = make_match(people, title="M6", completed_on=D(2025, 3, 31), need_fields=["children"])
    for m in (m1, m2, m3, m4, m5, m6):
        complete(m)
    answer(people, m1, "department", 12, "continued")
    answer(people, m1, "npo", 12, "ended")
    answer(people, m2, "department", 12, "ended")
    answer(people, m2, "npo", 12, "ended")
    answer(people, m2, "npo", 6, "continued")
    answer(people, m3, "npo", 12, "continued_other_form")
    answer(people, m4, "department", 12, "ended")
    answer(people, m5, "department", 6, "continued")
    answer(people, m6, "department", 12, "continued")
    answer(people, m6, "npo", 12, "continued")
    return [m1, m2, m3, m4, m5, m6]


def rows(by: str, months: int = 12) -> list[tuple]:
    return [
        (r["key"], r["label"], r["answered"], r["continued"], r["rate"])
        for r in continuation_mod.continuation_rate(by=by, months=months)
    ]


def test_continuation_rate_overall(recorded):
    # 12 months: M1 ✓, M2 ✗, M3 ✓, M4 ✗, M6 ✓ → 3 / 5. (Per answer it would be 4 / 8.)
    assert rows("all") == [("all", "全体", 5, 3, 0.6)]
    assert rows("all", months=6) == [("all", "全体", 2, 2, 1.0)]


def test_continuation_rate_by_field(recorded):
    # welfare: M1 ✓, M2 ✗; environment: M3 ✓, M4 ✗; children: M1 ✓, M6 ✓ (NPO Act order).
    assert rows("field") == [
        ("welfare", "保健、医療又は福祉の増進を図る活動", 2, 1, 0.5),
        ("environment", "環境の保全を図る活動", 2, 1, 0.5),
        ("children", "子どもの健全育成を図る活動", 2, 2, 1.0),
    ]
    # 6 months: M2 (welfare) ✓ and M5 (no field) ✓.
    assert rows("field", months=6) == [
        ("welfare", "保健、医療又は福祉の増進を図る活動", 1, 1, 1.0),
        ("", "未設定", 1, 1, 1.0),
    ]


def test_continuation_rate_by_form(recorded):
    # 委託: M2 ✗; 共催: M1 ✓, M3 ✓, M4 ✗; no form: M6 ✓.
    assert rows("form") == [
        ("commission", "委託", 1, 0, 0.0),
        ("co_host", "共催", 3, 2, 0.667),
        ("", "未設定", 1, 1, 1.0),
    ]


def test_continuation_rate_by_fiscal_year(recorded):
    # FY2024: M6 ✓; FY2025: M1 ✓, M2 ✗, M3 ✓; FY2026: M4 ✗.
    assert rows("year") == [
        ("2024", "2024年度", 1, 1, 1.0),
        ("2025", "2025年度", 3, 2, 0.667),
        ("2026", "2026年度", 1, 0, 0.0),
    ]


def test_continuation_rate_bad_parameters(db):
    with pytest.raises(errors.Invalid):
        continuation_mod.continuation_rate(by="ward")
    with pytest.raises(errors.Invalid):
        continuation_mod.continuation_rate(by="field", months=3)
    assert continuation_mod.continuation_rate(by="field") == []


# --- API ----------------------------------------------------------------------------------
def test_api_follow_ups_and_answer(api, people, follow_up):
    other_match = make_match(
        people, title="別の協働", completed_on=D(2026, 3, 31), parties=("group",)
    )
    complete(other_match)
    today = timezone.localdate()
    ContinuationFollowUp.objects.filter(pk=follow_up.pk).update(due_on=today)

    api.force_authenticate(people["member"])
    listed = api.get("/api/v1/follow-ups/").data["results"]
    # Only the NPO's due, unanswered follow-up (the 12-month one is not due yet).
    assert [r["id"] for r in listed] == [follow_up.pk]

    api.force_authenticate(people["other"])
    forbidden = api.post(
        f"/api/v1/follow-ups/{follow_up.pk}/answer/", {"answer": "ended", "reason": "x"},
        format="json",
    )  # fmt: skip
    assert forbidden.status_code == 403 and "メンバーだけ" in str(forbidden.data["detail"])

    api.force_authenticate(people["member"])
    bad = api.post(f"/api/v1/follow-ups/{follow_up.pk}/answer/", {"answer": "?"}, format="json")
    assert bad.status_code == 400 and "継続している" in str(bad.data["answer"])
    no_reason = api.post(
        f"/api/v1/follow-ups/{follow_up.pk}/answer/", {"answer": "ended"}, format="json"
    )
    assert no_reason.status_code == 400 and "理由" in str(no_reason.data["reason"])
    done = api.post(
        f"/api/v1/follow-ups/{follow_up.pk}/answer/",
        {"answer": "continued", "reason": "毎年共催"},
        format="json",
    )
    assert done.status_code == 200 and done.data["answer_label"] == "継続している"
    again = api.post(
        f"/api/v1/follow-ups/{follow_up.pk}/answer/", {"answer": "continued"}, format="json"
    )
    assert again.status_code == 409
    assert api.get("/api/v1/follow-ups/").data["results"] == []
    assert [r["id"] for r in api.get("/api/v1/follow-ups/?answered=true").data["results"]] == [
        follow_up.pk
    ]

    api.force_authenticate(people["coordinator"])
    everything = api.get("/api/v1/follow-ups/").data
    assert everything["count"] == 6  # 2 parties × 2 + 1 party × 2
    pending = api.get(f"/api/v1/follow-ups/?match={other_match.pk}&answered=false").data
    assert pending["count"] == 2


def test_api_continuation_rate(api, people, recorded):
    url = "/api/v1/reports/continuation-rate/"
    api.force_authenticate(people["member"])
    assert api.get(url).status_code == 403
    api.force_authenticate(people["coordinator"])
    body = api.get(url, {"by": "form", "months": 12}).data
    assert [(r["key"], r["answered"], r["continued"]) for r in body["rows"]] == [
        ("commission", 1, 0),
        ("co_host", 3, 2),
        ("", 1, 1),
    ]
    assert body["total"]["rate"] == 0.6
    assert api.get(url, {"by": "ward"}).status_code == 400
    assert api.get(url, {"months": "7"}).status_code == 400
    assert api.get(url, {"months": "x"}).status_code == 400
