"""Rate limits with the shared cache (Redis) down: sign-up, password reset and
「この団体と話したい」 (web and API) answer as usual, never 500; the limits still hold, counted
in the process (lib/ratelimit.py), with a warning in the log; once Redis is back the counts
go to it again.

The test runs its own redis-server as the cache (the shared one is never stopped) and
stops it mid-test. ``RATELIMIT_FALLBACK_SECONDS = 0`` makes every request try Redis first,
so that the return of Redis is seen without waiting.
"""

from __future__ import annotations

import logging
import re

import pytest
import redis
from conftest import make_need
from servers import RedisServer

from lib import ratelimit
from matching.models import InterestRequest
from organizations.models import Organization

pytestmark = [pytest.mark.redis]

PASSWORD = "pass-Tsunagu-2026"


@pytest.fixture
def redis_cache(tmp_path, settings):
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url(1),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.RATELIMIT_FALLBACK_SECONDS = 0
    ratelimit.reset_fallback()
    try:
        yield server
    finally:
        server.stop()
        ratelimit.reset_fallback()


def _keys_in_redis(server: RedisServer) -> list[str]:
    client = redis.Redis.from_url(server.url(1), socket_connect_timeout=1)
    return [key.decode() for key in client.keys("*ratelimit*")]


def _signup_data(client, n: int) -> dict:
    data = {
        "username": f"hidamari{n}",
        "display_name": "佐藤 みどり",
        "email": f"midori{n}@example.jp",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "org_name": f"南区こども食堂ひまわり{n}",
        "kind": "citizen_group",
        "fields": ["welfare"],
        "areas": ["t-minami"],
        "description": "毎週土曜日にこども食堂を開いています。",
        "contact_name": "佐藤 みどり",
        "contact_email": "info@himawari.example.jp",
        "contact_phone": "045-111-2222",
    }
    # Whatever the form asks to tick (consent to the terms…), ticked.
    page = client.get("/accounts/signup/").content.decode()
    for tag in re.findall(r"<input[^>]*type=\"checkbox\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and "required" in tag:
            data[name.group(1)] = value.group(1) if value else "on"
    return data


def test_with_redis_down_limited_actions_answer_and_still_limit(
    client, api, people, redis_cache, caplog
):
    member = people["member"]
    member.email = "member@example.jp"
    member.save()
    needs = [make_need(people["department"], title=f"テーマ{i}") for i in range(3)]

    # Redis up: the counts are shared (in Redis).
    first = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert first.status_code == 302
    assert any("password-reset" in key for key in _keys_in_redis(redis_cache))

    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="lib.ratelimit"):
        reset = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
        assert reset.status_code == 302

        signup = client.post("/accounts/signup/", _signup_data(client, 1))
        assert signup.status_code == 302, signup.content.decode()[:2000]
        assert Organization.objects.filter(name="南区こども食堂ひまわり1").exists()
        client.logout()

        client.force_login(member)
        web_ask = client.post(
            f"/my/needs/{needs[0].pk}/interest/",
            {"organization": people["npo"].pk, "message": "話したい"},
        )
        assert web_ask.status_code == 302
        api.force_authenticate(member)
        api_ask = api.post(
            "/api/v1/interest-requests/",
            {"organization": people["npo"].pk, "need": needs[1].pk, "message": "API"},
            format="json",
        )
        assert api_ask.status_code == 201, api_ask.content
        assert InterestRequest.objects.count() == 2
        client.logout()

        # Still limited, in this process: the allowance of password resets runs out.
        statuses = [
            client.post(
                "/accounts/password_reset/", {"email": "other@example.jp"}, REMOTE_ADDR="10.1.1.1"
            ).status_code
            for _ in range(ratelimit.PASSWORD_RESET.limit + 1)
        ]
        assert statuses == [302] * ratelimit.PASSWORD_RESET.limit + [429]
    warnings = [r for r in caplog.records if "shared cache is unreachable" in r.getMessage()]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)

    # Redis back: the next count goes to it again.
    redis_cache.start()
    caplog.clear()
    response = client.post(
        "/accounts/password_reset/", {"email": "back@example.jp"}, REMOTE_ADDR="10.2.2.2"
    )
    assert response.status_code == 302
    assert any("10.2.2.2" in key for key in _keys_in_redis(redis_cache))
    assert not ratelimit.degraded()


def test_an_unreachable_cache_is_not_tried_again_within_the_fallback_window(
    people, redis_cache, settings
):
    settings.RATELIMIT_FALLBACK_SECONDS = 3600
    redis_cache.stop()
    limit = ratelimit.SIGNUP
    for _ in range(limit.limit):
        assert not limit.is_over("10.3.3.3")
        limit.hit("10.3.3.3")
    assert limit.is_over("10.3.3.3") and ratelimit.degraded()
    redis_cache.start()
    # Within the window the counts stay local (Redis is not asked on every request).
    limit.hit("10.4.4.4")
    assert _keys_in_redis(redis_cache) == []
