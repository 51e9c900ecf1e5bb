"""Login, logout, password reset and login rate limiting (django-axes) on the web pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail

PASSWORD = "pass-Tsunagu-2026"


@pytest.fixture(autouse=True)
def _fresh_lockouts(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def login(client, username, password, url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password, **extra})


def test_login_page_is_japanese_with_labels(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "ログイン" in html and "パスワードを忘れた方" in html
    for name in ("username", "password"):
        field_id = re.search(rf'name="{name}" id="([^"]+)"', html).group(1)
        assert f'<label for="{field_id}">' in html


def test_login_and_logout(client, people):
    response = login(client, "member", PASSWORD, next="/menu/")
    assert response.status_code == 302 and response["Location"] == "/menu/"
    html = client.get("/").content.decode()
    assert "member さん" in html and "ログアウト" in html
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert "ログアウト" not in client.get("/").content.decode()


def test_login_shows_display_name(client, people):
    people["member"].display_name = "佐藤 みどり"
    people["member"].save()
    login(client, "member", PASSWORD)
    assert "佐藤 みどり さん" in client.get("/").content.decode()


def test_wrong_password_is_refused_kindly(client, people):
    response = login(client, "member", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'role="alert"' in response.content.decode()


def test_login_is_rate_limited_by_username_and_ip(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "member", "wrong")
    response = login(client, "member", PASSWORD)
    assert response.status_code == 429
    assert "ログインを一時的に停止しています" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out.
    assert login(client, "other", PASSWORD).status_code == 302


def test_admin_login_is_rate_limited_too(client, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "admin", "wrong", url="/admin/login/")
    response = login(client, "admin", PASSWORD, url="/admin/login/")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_url_is_the_web_login(client, db):
    from django.conf import settings
    from django.shortcuts import resolve_url

    assert resolve_url(settings.LOGIN_URL) == "/accounts/login/"


def test_password_reset_sends_a_japanese_email(client, people):
    people["member"].email = "member@example.jp"
    people["member"].save()
    assert "パスワードの再設定" in client.get("/accounts/password_reset/").content.decode()
    response = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert response.status_code == 302
    assert "メールを送信しました" in client.get(response["Location"]).content.decode()
    # Queued in the outbox, sent by a worker (here: the delivery the worker would run).
    assert mail.outbox == []
    _deliver_queued()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.jp"]
    assert "パスワード再設定" in message.subject
    assert "新しいパスワードを設定してください" in message.body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    assert "新しいパスワードの設定" in response.content.decode()


def test_password_reset_for_unknown_address_sends_nothing(client, db):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.jp"})
    assert response.status_code == 302
    _deliver_queued()
    assert mail.outbox == []


def _deliver_queued() -> None:
    from notifications import services
    from notifications.models import Delivery

    for pk in Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True):
        services.deliver(pk)
