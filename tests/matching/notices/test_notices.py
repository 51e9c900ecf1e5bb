"""Notifications matching sends on its own: new suggestions in batches, posts about to end,
digests of new posts by field and area (``matching.notices``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import make_need, make_offer, make_org, make_user
from django.utils import timezone

from matching.models import Suggestion, SuggestionNotice
from matching.notices import services as notices
from matching.scoring import adapter
from notifications.models import Notification
from organizations.models import Area, Field, Organization
from proposals.models import Need, Offer

pytestmark = pytest.mark.django_db

ELDERLY = "一人暮らし高齢者の見守り活動"
ELDERLY_TEXT = "団地で暮らす一人暮らしの高齢者を訪問し、孤立を防ぐ見守りの担い手を探しています。"


def _partner(i: int) -> Offer:
    org = make_org(f"見守りボランティア{i}の会", "citizen_group")
    make_user(f"partner{i}", org)
    return make_offer(
        org,
        title=f"シニアの孤立を防ぐ訪問と声かけ その{i}",
        description="ボランティアがお年寄りのお宅を定期的に訪問し、安否確認と話し相手をします。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip


@pytest.fixture
def theme(people):
    need = make_need(
        people["department"], title=ELDERLY, description=ELDERLY_TEXT,
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    colleague = make_user("colleague", people["department"])
    return {"need": need, "colleague": colleague, **people}


def _of_kind(kind: str, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def _private_details() -> list[str]:
    out = []
    for org in Organization.objects.all():
        out += [org.contact_email, org.contact_phone, org.address, org.contact_name]
    return [v for v in out if v]


def _assert_no_private_details() -> None:
    private = _private_details()
    assert private
    for n in Notification.objects.all():
        text = n.title + n.body + n.url + json.dumps(n.payload, ensure_ascii=False)
        leaked = [v for v in private if v in text]
        assert not leaked, (n.kind, leaked)


def _assert_only_own_members(kind: str) -> None:
    """Every notice about a post goes to members of the post's organization only."""
    for n in _of_kind(kind):
        post = n.payload["post"]
        model = Need if post["type"] == "need" else Offer
        org_id = model.objects.get(pk=post["id"]).organization_id
        assert n.recipient.is_member_of(org_id), (n.recipient, post)


# --- new suggestions ------------------------------------------------------------------
def test_ten_new_suggestions_make_one_message_per_post_and_member(theme):
    offers = [_partner(i) for i in range(10)]
    adapter.rescore_need(theme["need"].pk)
    assert Suggestion.objects.filter(need=theme["need"]).count() == 10

    run = notices.notify_new_suggestions()
    assert run.announced == 11  # the need, and each offer (the need is new for it)
    for person in (theme["staff"], theme["colleague"]):
        [msg] = _of_kind("suggestions.new", recipient=person)
        assert msg.payload["count"] == 10 and msg.payload["post"]["id"] == theme["need"].pk
        assert "10件" in msg.title and ELDERLY in msg.title
        top = msg.payload["top"]
        assert len(top) == 3 and [t["score"] for t in top] == sorted(
            (t["score"] for t in top), reverse=True
        )
        assert {"title", "organization", "score", "id", "type"} == set(top[0])
        for t in top:
            assert t["title"] in msg.body and t["organization"] in msg.body
        assert "ほか7件" in msg.body
        assert msg.url == f"/my/needs/{theme['need'].pk}/suggestions/"
    for i, offer in enumerate(offers):
        [msg] = _of_kind("suggestions.new", recipient__username=f"partner{i}")
        assert msg.payload["post"] == {"type": "offer", "id": offer.pk}
        assert msg.payload["top"][0]["title"] == ELDERLY
    assert _of_kind("suggestions.new").count() == 2 + 10
    assert not _of_kind("suggestions.new", recipient=theme["member"]).exists()
    assert not _of_kind("suggestions.new", recipient=theme["other"]).exists()
    _assert_only_own_members("suggestions.new")
    _assert_no_private_details()

    # Re-running, and re-scoring (which refreshes every pair), announce nothing new.
    assert notices.notify_new_suggestions().announced == 0
    adapter.rescore_need(theme["need"].pk)
    adapter.rescore_offer(offers[0].pk)
    assert notices.notify_new_suggestions().announced == 0
    assert _of_kind("suggestions.new").count() == 12

    # A later partner: one more message for the need (and one for the new offer).
    late = _partner(10)
    adapter.rescore_need(theme["need"].pk)
    run = notices.notify_new_suggestions()
    assert run.announced == 2 and run.partners == 2
    msgs = _of_kind("suggestions.new", recipient=theme["staff"]).order_by("pk")
    assert msgs.count() == 2
    assert msgs.last().payload["count"] == 1
    assert msgs.last().payload["top"][0]["id"] == late.pk
    assert _of_kind("suggestions.new", recipient__username="partner10").count() == 1
    notice = SuggestionNotice.objects.get(kind="need", post_id=theme["need"].pk)
    assert notice.rounds == 2 and len(notice.announced_ids) == 11


def test_a_pair_removed_and_suggested_again_is_not_announced_twice(theme):
    offer = _partner(0)
    adapter.rescore_need(theme["need"].pk)
    notices.notify_new_suggestions()
    Suggestion.objects.filter(need=theme["need"]).delete()
    assert notices.notify_new_suggestions().announced == 0
    adapter.rescore_need(theme["need"].pk)
    assert Suggestion.objects.filter(need=theme["need"], offer=offer).exists()
    assert notices.notify_new_suggestions().announced == 0
    assert _of_kind("suggestions.new", recipient=theme["staff"]).count() == 1


def test_closed_posts_and_inactive_organizations_are_not_announced(theme):
    offer = _partner(0)
    adapter.rescore_need(theme["need"].pk)
    Need.objects.filter(pk=theme["need"].pk).update(status="closed")
    Organization.objects.filter(pk=offer.organization_id).update(is_active=False)
    run = notices.notify_new_suggestions()
    assert run.announced == 0 and not Notification.objects.exists()


def test_an_organization_without_members_does_not_receive_a_backlog_later(theme):
    lonely = make_org("会員のいない団体", "citizen_group")
    offer = make_offer(
        lonely, title="高齢者のお宅への訪問ボランティア",
        description="お年寄りのお宅を訪問して見守りをします。",
        fields=["welfare"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    adapter.rescore_need(theme["need"].pk)
    notices.notify_new_suggestions()
    newcomer = make_user("newcomer", lonely)
    adapter.rescore_need(theme["need"].pk)
    notices.notify_new_suggestions()
    assert SuggestionNotice.objects.get(kind="offer", post_id=offer.pk).rounds == 1
    assert not Notification.objects.filter(recipient=newcomer).exists()


# --- posts about to end ---------------------------------------------------------------
def test_posts_ending_within_seven_days_are_announced_once(people):
    today = dt.date(2026, 9, 1)
    dept, npo = people["department"], people["npo"]
    soon = make_need(dept, title="夏休み子ども教室の講師", ends_on=today + dt.timedelta(days=3))
    edge = make_offer(npo, title="公園清掃の人手", ends_on=today + dt.timedelta(days=7))
    make_need(dept, title="まだ先の募集", ends_on=today + dt.timedelta(days=8))
    make_need(dept, title="終了済みの募集", ends_on=today + dt.timedelta(days=2), status="closed")
    make_need(dept, title="期限の過ぎた募集", ends_on=today - dt.timedelta(days=1))
    make_need(dept, title="期限なし", ends_on=None)

    run = notices.notify_expiring_posts(today=today)
    assert run.posts == 2
    [msg] = _of_kind("post.expiring", recipient=people["staff"])
    assert "夏休み子ども教室の講師" in msg.title and "あと3日" in msg.title
    assert msg.url == f"/my/needs/{soon.pk}/edit/"
    assert msg.payload["ends_on"] == "2026-09-04" and msg.payload["days_left"] == 3
    assert msg.payload["actions"]["close"]["data"] == {"status": "closed"}
    [msg] = _of_kind("post.expiring", recipient=people["member"])
    assert msg.payload["post"] == {"type": "offer", "id": edge.pk}
    assert not _of_kind("post.expiring", recipient=people["other"]).exists()
    _assert_only_own_members("post.expiring")
    _assert_no_private_details()

    # The next days: each post once (「まだ先の募集」 enters the window on the first day).
    for days in range(1, 4):
        notices.notify_expiring_posts(today=today + dt.timedelta(days=days))
    titles = list(_of_kind("post.expiring").values_list("title", flat=True))
    assert len(titles) == len(set(titles)) == 3
    # Extended, then nearing its new end date: announced again.
    Need.objects.filter(pk=soon.pk).update(ends_on=today + dt.timedelta(days=10))
    assert notices.notify_expiring_posts(today=today + dt.timedelta(days=4)).notified == 1
    assert _of_kind("post.expiring", recipient=people["staff"]).count() == 3


# --- digests --------------------------------------------------------------------------
TODAY = dt.date(2026, 10, 8)  # a Thursday; the daily window is 10/7, the weekly 10/1–10/7


def _created(post, day: dt.date, hour: int = 10):
    when = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    type(post).objects.filter(pk=post.pk).update(created_at=when)
    return post


def _set(org, fields: list[str], areas: list[str]):
    org.fields.set(Field.objects.filter(code__in=fields))
    org.areas.set(Area.objects.filter(code__in=areas))


@pytest.fixture
def digest_scene(people):
    """The NPO works on welfare in 北区; the citizen group on welfare citywide."""
    npo, group, dept = people["npo"], people["group"], people["department"]
    _set(npo, ["welfare"], ["t-kita"])
    _set(group, ["welfare"], ["t-city"])
    yesterday = TODAY - dt.timedelta(days=1)
    posts = {
        "kita": make_need(dept, title="北区の見守り", fields=["welfare"], areas=["t-kita"]),
        "district": make_offer(
            dept, title="北一地区の集会所を貸します", fields=["welfare"], areas=["t-kita-1"]
        ),
        "citywide": make_need(dept, title="市全体の福祉講座", fields=["welfare"], areas=["t-city"]),
        "minami": make_need(dept, title="南区の見守り", fields=["welfare"], areas=["t-minami"]),
        "children": make_need(dept, title="北区の子育て", fields=["children"], areas=["t-kita"]),
        "own": make_need(npo, title="みどりの手の募集", fields=["welfare"], areas=["t-kita"]),
        "closed": make_need(
            dept, title="締切済み", fields=["welfare"], areas=["t-kita"], status="closed"
        ),
        "draft": make_need(
            dept, title="下書き", fields=["welfare"], areas=["t-kita"], status="draft"
        ),
        "last_week": make_need(dept, title="先週の募集", fields=["welfare"], areas=["t-kita"]),
        "old": make_need(dept, title="古い募集", fields=["welfare"], areas=["t-kita"]),
        "today": make_need(dept, title="今日の募集", fields=["welfare"], areas=["t-kita"]),
    }
    for post in posts.values():
        _created(post, yesterday)
    _created(posts["last_week"], TODAY - dt.timedelta(days=5))
    _created(posts["old"], TODAY - dt.timedelta(days=8))
    _created(posts["today"], TODAY, hour=1)
    return {**people, **posts}


def _titles(msg) -> set[str]:
    return {item["title"] for item in msg.payload["items"]}


def _wants_daily(*users) -> None:
    from notifications.services import set_preferences

    for user in users:
        set_preferences(user, {"digest.new_posts": "digest_daily"})


def test_daily_digest_selects_by_field_and_area(digest_scene):
    s = digest_scene
    _wants_daily(s["member"], s["other"], s["staff"])
    run = notices.build_digests("daily", today=TODAY)
    assert run.recipients == 2
    [msg] = _of_kind("digest.new_posts", recipient=s["member"])
    assert msg.title == "あなたの分野の新しい協働テーマ"
    assert _titles(msg) == {"北区の見守り", "北一地区の集会所を貸します", "市全体の福祉講座"}
    item = next(i for i in msg.payload["items"] if i["title"] == "北区の見守り")
    assert item == {
        "type": "need",
        "id": s["kita"].pk,
        "title": "北区の見守り",
        "organization": "テスト市 高齢福祉課",
        "fields": [str(Field.objects.get(code="welfare"))],
        "areas": ["北区"],
        "url": f"/needs/{s['kita'].pk}/",
    }
    assert item["fields"] and all(f in msg.body for f in item["fields"])
    assert "北区の見守り" in msg.body and "テスト市 高齢福祉課" in msg.body
    # The citywide group sees every ward's posts, and the NPO's own post (not its own).
    [msg] = _of_kind("digest.new_posts", recipient=s["other"])
    assert _titles(msg) == {
        "北区の見守り",
        "北一地区の集会所を貸します",
        "市全体の福祉講座",
        "南区の見守り",
        "みどりの手の募集",
    }
    # The department has no fields or areas: no digest.
    assert not _of_kind("digest.new_posts", recipient=s["staff"]).exists()
    _assert_no_private_details()

    # A re-run the same day notifies nobody again.
    assert notices.build_digests("daily", today=TODAY).notified == 0
    assert _of_kind("digest.new_posts").count() == 2


def test_weekly_digest_covers_the_seven_days_before(digest_scene):
    s = digest_scene
    notices.build_digests("weekly", today=TODAY)
    [msg] = _of_kind("digest.new_posts", recipient=s["member"])
    assert _titles(msg) == {
        "北区の見守り",
        "北一地区の集会所を貸します",
        "市全体の福祉講座",
        "先週の募集",
    }
    assert msg.payload["period"] == "weekly"
    # A weekly reader (the default) gets nothing from the daily run: no post twice.
    notices.build_digests("daily", today=TODAY)
    assert _of_kind("digest.new_posts", recipient=s["member"]).count() == 1
    # A daily reader gets the daily digests and not the weekly one.
    _wants_daily(s["member"])
    notices.build_digests("weekly", today=TODAY + dt.timedelta(days=7))
    assert _of_kind("digest.new_posts", recipient=s["member"]).count() == 1
    # The next day's daily digest has today's post only.
    notices.build_digests("daily", today=TODAY + dt.timedelta(days=1))
    latest = _of_kind("digest.new_posts", recipient=s["member"]).order_by("pk").last()
    assert _titles(latest) == {"今日の募集"}


def test_a_digest_lists_at_most_ten_posts(people):
    _set(people["npo"], ["welfare"], ["t-kita"])
    for i in range(12):
        _created(
            make_need(
                people["department"], title=f"募集{i:02d}", fields=["welfare"], areas=["t-kita"]
            ),
            TODAY - dt.timedelta(days=1),
            hour=i,
        )
    _wants_daily(people["member"])
    notices.build_digests("daily", today=TODAY)
    [msg] = _of_kind("digest.new_posts", recipient=people["member"])
    assert msg.payload["count"] == 12 and len(msg.payload["items"]) == 10
    assert msg.payload["items"][0]["title"] == "募集11"  # newest first
    assert "ほか2件" in msg.body


def test_a_person_in_two_organizations_gets_one_digest(digest_scene):
    s = digest_scene
    both = make_user("both", s["npo"])
    from organizations.models import Membership

    Membership.objects.create(user=both, organization=s["group"])
    _wants_daily(both)
    notices.build_digests("daily", today=TODAY)
    [msg] = _of_kind("digest.new_posts", recipient=both)
    # Relevant to either organization, but not a post of either.
    assert _titles(msg) == {
        "北区の見守り",
        "北一地区の集会所を貸します",
        "市全体の福祉講座",
        "南区の見守り",
    }


def test_unknown_digest_period_is_refused():
    with pytest.raises(ValueError):
        notices.build_digests("monthly", today=TODAY)


def test_tasks_are_registered_and_scheduled(settings):
    from tsunagu.celery import app

    for name in (
        "matching.notify_new_suggestions",
        "matching.notify_expiring_posts",
        "matching.build_digests",
    ):
        assert name in app.tasks
    scheduled = {
        (e["task"], tuple(e.get("args", ()))) for e in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert ("matching.notify_new_suggestions", ()) in scheduled
    assert ("matching.notify_expiring_posts", ()) in scheduled
    assert ("matching.build_digests", ("daily",)) in scheduled
    assert ("matching.build_digests", ("weekly",)) in scheduled
