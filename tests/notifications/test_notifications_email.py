"""Emails in Japanese and English (text and HTML, escaped), the unsubscribe link and
List-Unsubscribe header, signed unsubscribe tokens (tampered ones rejected), and that no
notification carries an organization's private contact details."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.core import mail, signing

from notifications import emails, services
from notifications.models import Channel, Delivery, Notification, Preference
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda ids, countdown=None: len(ids))


def _send(notification: Notification):
    assert services.deliver(notification.delivery.pk).status == "sent"
    return mail.outbox[-1]


def test_japanese_email_with_text_html_and_unsubscribe(settings):
    settings.TSUNAGU_BASE_URL = "https://tsunagu.example.lg.jp"
    user = make_user("hanako", email="hanako@example.jp", display_name="山田 花子")
    [n] = notify(
        [user],
        "consultation.booked",
        "相談の予約が入りました",
        "11月25日 10:00〜11:00\n市民活動サポートセンター",
        url="/api/v1/consultations/3/",
    )
    message = _send(n)
    assert message.subject == "【つなぐ】相談の予約が入りました"
    assert message.to == ["hanako@example.jp"]
    assert "山田 花子 様" in message.body
    assert "【相談の予約】" in message.body
    assert "https://tsunagu.example.lg.jp/api/v1/consultations/3/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and '<html lang="ja">' in html
    assert "11月25日 10:00〜11:00<br>市民活動サポートセンター" in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://tsunagu.example.lg.jp/notifications/unsubscribe/")
    url = unsubscribe[1:-1]
    assert url in message.body and url in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = message.message()
    assert raw["Message-ID"] == Delivery.objects.get(notification=n).message_id
    assert raw["Message-ID"].startswith(f"<tsunagu.delivery.{n.delivery.pk}.")


def test_english_fallback_by_user_language():
    user = make_user("john", email="john@example.com", language="en", display_name="John")
    [n] = notify(
        [user], "match.introduce", "「見守り」: 協働の相手をご紹介します", "回答期限: 12/1"
    )
    message = _send(n)
    assert message.subject.startswith("[Tsunagu] ")
    assert message.body.startswith("Dear John,")
    assert "Stop these emails:" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="en">' in html and "Stop these emails" in html


def test_user_text_is_escaped_in_html_and_left_alone_in_text():
    user = make_user("x", email="x@example.jp")
    evil = '<script>alert("x")</script> & <b>太字</b>'
    [n] = notify([user], "match.respond", f"件名 {evil}", evil)
    message = _send(n)
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>太字</b>" not in html
    assert evil in message.body  # plain text is not HTML: no entities
    assert "&amp;" not in message.body


def test_digest_email_lists_items_and_has_an_unsubscribe_link():
    user = make_user("d", email="d@example.jp")
    for i in range(2):
        notify([user], "digest.new_posts", f"環境保全課: テーマ{i}", url=f"/api/v1/needs/{i}/")
    [pk] = services.gather_digests(Channel.DIGEST_WEEKLY)
    services.deliver(pk)
    message = mail.outbox[-1]
    assert message.subject == "【つなぐ】今週のお知らせ（2件）"
    assert "環境保全課: テーマ0" in message.body and "環境保全課: テーマ1" in message.body
    token = message.extra_headers["List-Unsubscribe"].rsplit("/", 2)[-2]
    assert emails.read_unsubscribe_token(token)[1] == ["digest.new_posts"]


# --- Unsubscribe ------------------------------------------------------------------------
def test_token_round_trip_and_tampering_rejected():
    user = make_user("t", email="t@example.jp")
    token = emails.make_unsubscribe_token(user, ["match.introduce"])
    assert emails.read_unsubscribe_token(token) == (user, ["match.introduce"])
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.replace(token.split(":")[0], token.split(":")[0] + "x"),
        signing.dumps({"u": user.pk, "k": ["match.introduce"]}, salt="another-salt"),
        signing.dumps(
            {"u": user.pk, "k": ["*"]}, key="not-the-secret-key", salt=emails.UNSUBSCRIBE_SALT
        ),
        signing.dumps({"u": 999999, "k": ["*"]}, salt=emails.UNSUBSCRIBE_SALT),
        "garbage",
    ):
        with pytest.raises(signing.BadSignature):
            emails.read_unsubscribe_token(bad)


def test_unsubscribe_page_confirms_then_applies_without_login(client):
    user = make_user("u", email="u@example.jp", display_name="鈴木")
    token = emails.make_unsubscribe_token(user, ["match.introduce"])
    url = f"/notifications/unsubscribe/{token}/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "メール配信を停止しますか" in text and "協働の相手のご紹介" in text
    assert not Preference.objects.exists()  # GET changes nothing (link scanners)

    done = client.post(url)
    assert done.status_code == 200 and "停止しました" in done.content.decode()
    assert Preference.objects.get(user=user, kind="match.introduce").channel == Channel.IN_APP
    [n] = notify([user], "match.introduce", "紹介します")
    assert n.channel == Channel.IN_APP and not Delivery.objects.exists()
    assert n in services.inbox(user)  # still in the inbox


def test_one_click_unsubscribe_post_and_english_page(client):
    user = make_user("e", email="e@example.com", language="en")
    token = emails.make_unsubscribe_token(user, ["digest.new_posts"])
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert "stop emailing these notifications?" in page.content.decode()
    csrf_client = client.__class__(enforce_csrf_checks=True)
    got = csrf_client.post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert got.status_code == 200
    assert Preference.objects.get(user=user, kind="digest.new_posts").channel == Channel.IN_APP


def test_tampered_token_gets_a_400_page_and_changes_nothing(client):
    user = make_user("v", email="v@example.jp")
    token = emails.make_unsubscribe_token(user, ["*"])
    forged = signing.dumps({"u": user.pk, "k": ["*"]}, key="guess", salt=emails.UNSUBSCRIBE_SALT)
    for bad in (token[:-2] + "zz", forged, "nonsense"):
        got = client.post(f"/notifications/unsubscribe/{bad}/")
        assert got.status_code == 400
        assert "このリンクは無効です" in got.content.decode()
        assert client.get(f"/notifications/unsubscribe/{bad}/").status_code == 400
    assert not Preference.objects.exists()


# --- No leaks of private contact details ------------------------------------------------
def _private_details(organizations) -> set[str]:
    values: set[str] = set()
    for org in organizations:
        for value in (org.contact_email, org.contact_phone, org.address):
            if value:
                values.add(value)
    return values


def test_matching_notifications_never_carry_organizations_contact_details(people, settings):
    """Drive matches through every notifying transition (and an interest request) and
    check every notification and every email rendered from it."""
    from workflow_support import drive, two_party_match

    from matching.matches import interest as interest_mod
    from organizations.models import Organization

    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    for user in ("member", "other", "staff", "coordinator"):
        people[user].email = f"{user}@example.jp"
        people[user].save()
    drive(two_party_match(people), "evaluated", people["coordinator"])
    drive(two_party_match(people), "declined", people["coordinator"])
    drive(two_party_match(people), "cancelled", people["coordinator"])
    from conftest import make_need

    need = make_need(people["department"], title="公園の清掃ボランティア募集")
    request = interest_mod.create_interest_request(
        people["other"], people["group"], need=need, message="ぜひ協力したいです"
    )
    interest_mod.decline_interest_request(people["coordinator"], request, "今回は見送ります")

    private = _private_details(Organization.objects.all())
    assert private and Notification.objects.count() > 10
    kinds = set()
    for n in Notification.objects.all():
        kinds.add(n.kind)
        blob = f"{n.title}\n{n.body}\n{n.url}\n{n.payload}"
        for value in private:
            assert value not in blob, (n.kind, value)
    for delivery in Delivery.objects.all():
        services.deliver(delivery.pk)
    assert mail.outbox
    for message in mail.outbox:
        blob = message.body + message.alternatives[0][0]
        for value in private:
            assert value not in blob
    assert {
        "match.created",
        "match.introduce",
        "match.respond",
        "match.complete",
        "match.evaluation_request",
        "match.decline",
        "match.cancel",
        "interest.received",
        "interest.declined",
    } <= kinds
