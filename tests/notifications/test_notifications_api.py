"""The inbox API and the preferences API: each user sees and changes only their own."""

from __future__ import annotations

import pytest
from conftest import make_user

from notifications.models import Channel, Delivery, Preference
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    from notifications import services

    monkeypatch.setattr(services, "enqueue", lambda ids, countdown=None: len(ids))


def test_inbox_lists_only_my_notifications_newest_first(api, people):
    notify([people["member"]], "match.introduce", "一件目")
    notify([people["member"], people["other"]], "match.respond", "二件目", "本文")
    api.force_authenticate(people["member"])
    data = api.get("/api/v1/notifications/").json()
    assert [row["title"] for row in data["results"]] == ["二件目", "一件目"]
    assert data["results"][0]["kind_label"] == "紹介への回答"
    assert data["results"][0]["is_read"] is False
    api.force_authenticate(people["other"])
    assert api.get("/api/v1/notifications/").json()["count"] == 1


def test_inbox_needs_a_login(api):
    assert api.get("/api/v1/notifications/").status_code in (401, 403)
    assert api.get("/api/v1/notifications/unread_count/").status_code in (401, 403)
    assert api.get("/api/v1/notification-preferences/").status_code in (401, 403)


def test_unread_count_mark_read_and_mark_all_read(api, people):
    made = [notify([people["member"]], "match.introduce", f"通知{i}")[0] for i in range(4)]
    [theirs] = notify([people["other"]], "match.introduce", "他人の通知")
    api.force_authenticate(people["member"])
    assert api.get("/api/v1/notifications/unread_count/").json() == {"count": 4}

    row = api.post(f"/api/v1/notifications/{made[0].pk}/read/").json()
    assert row["is_read"] is True and row["read_at"]
    assert api.get("/api/v1/notifications/unread_count/").json() == {"count": 3}
    assert api.get("/api/v1/notifications/?unread=true").json()["count"] == 3

    # Somebody else's notification is not found, and cannot be marked through ids.
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    got = api.post(
        "/api/v1/notifications/read_all/", {"ids": [made[1].pk, theirs.pk]}, format="json"
    )
    assert got.json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None

    assert api.post("/api/v1/notifications/read_all/").json() == {"marked": 2}
    assert api.get("/api/v1/notifications/unread_count/").json() == {"count": 0}


def test_preferences_get_and_put(api, people):
    user = people["member"]
    api.force_authenticate(user)
    rows = {
        r["kind"]: r for r in api.get("/api/v1/notification-preferences/").json()["preferences"]
    }
    assert rows["*"]["channel"] == "email"
    assert rows["match.introduce"]["channel"] == "email"
    assert rows["digest.new_posts"]["channel"] == "digest_weekly"
    assert rows["consultation.reminder_day"]["label"] == "相談の前日のお知らせ"

    got = api.put(
        "/api/v1/notification-preferences/",
        {
            "preferences": [
                {"kind": "match.introduce", "channel": "in_app"},
                {"kind": "digest.new_posts", "channel": "digest_daily"},
                {"kind": "*", "channel": "off"},
            ]
        },
        format="json",
    )
    assert got.status_code == 200, got.content
    rows = {r["kind"]: r["channel"] for r in got.json()["preferences"]}
    assert rows["match.introduce"] == "in_app"
    assert rows["digest.new_posts"] == "digest_daily"
    assert rows["match.respond"] == "off"  # follows "*"
    assert Preference.objects.filter(user=user).count() == 3

    bad = api.put(
        "/api/v1/notification-preferences/",
        {"preferences": [{"kind": "match.introduce", "channel": "pigeon"}]},
        format="json",
    )
    assert bad.status_code == 400
    bad = api.put(
        "/api/v1/notification-preferences/",
        {"preferences": [{"kind": "<script>", "channel": "email"}]},
        format="json",
    )
    assert bad.status_code == 400


def test_preferences_decide_the_channel_of_each_notification(people):
    user = make_user("pref", email="pref@example.jp")
    Preference.objects.create(user=user, kind="match.introduce", channel=Channel.IN_APP)
    Preference.objects.create(user=user, kind="match.respond", channel=Channel.DIGEST_DAILY)
    Preference.objects.create(user=user, kind="*", channel=Channel.OFF)
    expected = {
        "match.introduce": Channel.IN_APP,
        "match.respond": Channel.DIGEST_DAILY,
        "match.agree": Channel.OFF,
        "digest.new_posts": Channel.DIGEST_WEEKLY,  # its own default beats "*"
    }
    for kind, channel in expected.items():
        [n] = notify([user], kind, kind)
        assert n.channel == channel, kind
    assert not Delivery.objects.exists()
    Preference.objects.filter(user=user, kind="*").update(channel=Channel.EMAIL)
    [n] = notify([user], "match.agree", "合意")
    assert n.channel == Channel.EMAIL and Delivery.objects.filter(notification=n).exists()
