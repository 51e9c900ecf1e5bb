"""The password-reset e-mail goes through the outbox: with the mail server down the person
sees the usual page, the mail waits as a ``Delivery`` and is sent once the server is back
(a real SMTP server on a local port: ``tests/smtp_sink.py``), exactly once, with a link
that still sets the password."""

from __future__ import annotations

import re

import pytest
from smtp_sink import SMTPSink

from notifications import services
from notifications.models import Delivery

NEW_PASSWORD = "atarashii-Pass-2027"


@pytest.fixture
def smtp(settings):
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        # A failed send is due again at once (the backoff is the outbox's, tested elsewhere).
        settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
        yield sink


@pytest.fixture
def member(people):
    user = people["member"]
    user.email = "member@example.jp"
    user.save()
    return user


def _reset_deliveries():
    return Delivery.objects.filter(notification__kind="account.password_reset")


def test_smtp_down_the_page_is_the_usual_one_and_the_mail_follows_once(client, member, smtp):
    smtp.refusing = True
    response = client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert response.status_code == 302
    assert "メールを送信しました" in client.get(response["Location"]).content.decode()
    # Asked again while the first mail waits: still one mail.
    client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    delivery = _reset_deliveries().get()
    assert delivery.status == Delivery.Status.PENDING

    assert services.deliver(delivery.pk).status == "failed"  # the worker's first try
    assert smtp.refused >= 1 and smtp.total() == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
    assert "421" in delivery.last_error

    smtp.refusing = False  # the mail server is back: the retry sends it
    assert services.deliver(delivery.pk).status == "sent"
    assert services.deliver(delivery.pk).status == "done"  # a duplicated task sends nothing
    assert smtp.total() == 1 and not smtp.duplicates()
    # Hidden from the inbox: it is a mail, not news.
    assert services.unread_count(member) == 0 and not services.inbox(member).exists()


def test_the_link_of_a_mail_sent_later_sets_the_password(client, member, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert mailoutbox == []  # not sent inside the request
    assert services.deliver(_reset_deliveries().get().pk).status == "sent"
    (message,) = mailoutbox
    assert message.to == ["member@example.jp"]
    assert "パスワード再設定" in message.subject
    assert "List-Unsubscribe" not in message.extra_headers  # not a notification
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "新しいパスワードの設定" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # A new request after the first mail went out queues a new mail.
    client.post("/accounts/password_reset/", {"email": "member@example.jp"})
    assert _reset_deliveries().count() == 2


def test_no_mail_is_queued_for_an_unknown_or_inactive_address(client, member, smtp):
    member.is_active = False
    member.save()
    for email in ("member@example.jp", "nobody@example.jp"):
        response = client.post("/accounts/password_reset/", {"email": email})
        assert response.status_code == 302
    assert not _reset_deliveries().exists()
