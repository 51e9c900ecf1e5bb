"""The pages of 交流の場 (meetings): the public list with its filters and seats left, a
meeting's page and registration (確定, キャンセル待ち, 承認待ち), cancellation with a
confirmation, the members' 「自分の団体の交流の場」, and the organizer's pages (create,
edit, publish, cancel, approve / decline, invite, capacity). Rendered with Django's test
client; the rules behind them are tested in tests/meetings/."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from conftest import make_need, make_org, make_user
from django.utils import timezone

from meetings import services
from meetings.models import Invitation, Meeting, Registration
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Registration.Status


def _day(days: int, hour: int = 14) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_meeting(organizer, user, *, publish: bool = True, days: int = 10, **extra: Any):
    start = _day(days)
    data: dict[str, Any] = {
        "kind": Meeting.Kind.EXCHANGE,
        "title": "子育て支援の交流会",
        "description": "子育て支援に取り組む団体と市の担当課の交流会です。",
        "venue_name": "市民活動サポートセンター",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "capacity": 5,
    }
    data.update(extra)
    meeting = services.create_meeting(user, organizer, **data)
    return services.publish(meeting, user) if publish else meeting


def _ended(meeting: Meeting, days_ago: int = 3) -> Meeting:
    """Move a meeting into the past (the services refuse to create one there)."""
    start = _day(-days_ago)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def registrants(people):
    """Three more organizations with a member each."""
    out = []
    for i, name in enumerate(["こども食堂ひまわり", "南区まちづくり協議会", "株式会社みなと印刷"]):
        org = make_org(name, "citizen_group")
        out.append((org, make_user(f"reg{i}", org)))
    return out


def _html(response) -> str:
    return response.content.decode()


def _text(html: str) -> str:
    """The page's text without tags (a sentence split by an element still reads whole)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _register(client, meeting, org, attendees: int = 1, names: str = ""):
    body = {"organization": org.pk, "attendees": attendees, "attendee_names": names}
    return client.post(f"/meetings/{meeting.pk}/register/", body, follow=True)


# --- Public list ----------------------------------------------------------------------------
def test_nav_links_to_meetings_and_the_list_shows_seats_left(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=5)
    services.register(meeting, registrants[0][0], registrants[0][1], 2)
    full = make_meeting(people["npo"], people["member"], title="満席の相談会", capacity=2, days=12)
    services.register(full, registrants[1][0], registrants[1][1], 2)
    html = _html(client.get("/"))
    assert 'href="/meetings/"' in html and "交流の場" in html
    html = _html(client.get("/meetings/"))
    text = _text(html)
    assert "子育て支援の交流会" in text and "残り3席" in text
    assert "満席の相談会" in text and "満席・キャンセル待ち受付中" in text
    # the date with its weekday, the organizer and the venue
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\([月火水木金土日]\) 14:00", text)
    assert people["department"].name in text and "市民活動サポートセンター" in text


def test_list_filters_by_kind_field_area_and_dates(client, people):
    dept, staff = people["department"], people["staff"]
    make_meeting(dept, staff, title="北区の子育て交流会", fields=_fields("children"),
                 areas=_areas("t-kita"), days=5)  # fmt: skip
    make_meeting(dept, staff, title="南区の福祉研修", kind="training", fields=_fields("welfare"),
                 areas=_areas("t-minami"), days=20)  # fmt: skip
    make_meeting(dept, staff, title="下書きの会合", publish=False)
    started = make_meeting(dept, staff, title="終わった会合")
    _ended(started)

    def titles(query: str) -> set[str]:
        text = _text(_html(client.get(f"/meetings/{query}")))
        names = ("北区の子育て交流会", "南区の福祉研修", "下書きの会合", "終わった会合")
        return {name for name in names if name in text}

    assert titles("") == {"北区の子育て交流会", "南区の福祉研修"}
    assert titles("?kind=training") == {"南区の福祉研修"}
    assert titles("?field=children") == {"北区の子育て交流会"}
    # an area includes the districts inside it: 北一地区 is in 北区
    assert titles("?area=t-kita-1") == {"北区の子育て交流会"}
    later = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    assert titles(f"?from={later}") == {"南区の福祉研修"}
    assert titles(f"?to={later}") == {"北区の子育て交流会"}


def test_unknown_codes_in_a_shared_link_are_dropped_with_a_notice(client, people):
    make_meeting(people["department"], people["staff"], title="北区の子育て交流会")
    html = _html(client.get("/meetings/?kind=party&field=nosuchfield&from=2026-13-45"))
    text = _text(html)
    assert "北区の子育て交流会" in text  # searched without the unknown conditions
    assert "「種類」の「party」は見つからないため" in text
    assert "「分野」の「nosuchfield」は見つからないため" in text
    assert "「2026-13-45」は日付として読めないため" in text


def test_home_shows_the_next_three_meetings(client, people):
    for days, title in [(3, "一番目の会"), (4, "二番目の会"), (5, "三番目の会"), (6, "四番目の会")]:
        make_meeting(people["department"], people["staff"], title=title, days=days)
    make_meeting(people["department"], people["staff"], title="下書きの会", publish=False, days=2)
    text = _text(_html(client.get("/")))
    assert "近日の交流の場" in text
    assert "一番目の会" in text and "三番目の会" in text
    assert "四番目の会" not in text and "下書きの会" not in text


def test_past_meetings_newest_first_with_the_published_report(client, people):
    older = _ended(make_meeting(people["department"], people["staff"], title="春の交流会"), 30)
    newer = _ended(make_meeting(people["department"], people["staff"], title="秋の交流会"), 3)
    Meeting.objects.filter(pk=newer.pk).update(
        status=Meeting.Status.HELD,
        report="12団体が参加し、3件の協働の相談が生まれました。",
        report_published_at=timezone.now(),
    )
    Meeting.objects.filter(pk=older.pk).update(report="まだ公開していない報告")
    html = _html(client.get("/meetings/past/"))
    assert html.index("秋の交流会") < html.index("春の交流会")
    assert "12団体が参加し" in html and f'href="/meetings/{newer.pk}/#report"' in html
    assert "まだ公開していない報告" not in html
    assert "子育て支援" not in _text(_html(client.get("/meetings/")))  # not upcoming
    detail = _html(client.get(f"/meetings/{newer.pk}/"))
    assert 'id="report"' in detail and "3件の協働の相談が生まれました" in detail


# --- A meeting's page -----------------------------------------------------------------------
def test_a_draft_is_404_for_outsiders_and_shown_to_its_organizer(client, people):
    draft = make_meeting(people["department"], people["staff"], publish=False, title="準備中の会")
    assert client.get(f"/meetings/{draft.pk}/").status_code == 404
    client.force_login(people["other"])
    assert client.get(f"/meetings/{draft.pk}/").status_code == 404
    client.force_login(people["staff"])
    html = _html(client.get(f"/meetings/{draft.pk}/"))
    assert "準備中の会" in html and "この会合は下書きです" in html


def test_detail_shows_what_a_visitor_needs(client, people):
    need = make_need(people["department"], title="子育て世帯の見守りの担い手")
    hidden = make_need(people["department"], title="下書きのテーマ", status="draft")
    meeting = make_meeting(
        people["department"],
        people["staff"],
        registration_mode="approval",
        barrier_free=True,
        childcare=True,
        online_url="https://meet.example.jp/abc",
        needs=[need, hidden],
        registration_deadline=_day(8),
    )
    html = _html(client.get(f"/meetings/{meeting.pk}/"))
    text = _text(html)
    assert "主催者の承認制" in text and "バリアフリー" in text and "託児" in text
    assert "手話通訳" not in text
    assert f'href="/needs/{need.pk}/"' in html and "下書きのテーマ" not in text
    assert f'href="/organizations/{people["department"].pk}/"' in html
    assert "残り5席" in text and "申込締切" in text
    # the online link is for those who come; an anonymous visitor gets a login link back
    assert "meet.example.jp" not in html
    login = f"/accounts/login/?next=%2Fmeetings%2F{meeting.pk}%2F%3Fregister%3D1"
    assert login in html


def test_register_link_focuses_the_form(client, people):
    meeting = make_meeting(people["department"], people["staff"])
    client.force_login(people["member"])
    html = _html(client.get(f"/meetings/{meeting.pk}/?register=1"))
    form = html[html.index('id="register"') :]
    assert f'action="/meetings/{meeting.pk}/register/"' in form
    assert re.search(r'<input[^>]*name="attendees"[^>]*autofocus', form)
    assert "autofocus" not in _html(client.get(f"/meetings/{meeting.pk}/"))


def test_anonymous_post_goes_to_login_and_back_to_the_form(client, people):
    meeting = make_meeting(people["department"], people["staff"])
    response = client.post(f"/meetings/{meeting.pk}/register/", {"attendees": 1})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert f"/meetings/{meeting.pk}/%3Fregister%3D1" in response["Location"]
    assert not Registration.objects.exists()


def test_registration_through_the_page_confirms_then_waitlists(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=3)
    (first, first_user), (second, second_user) = registrants[:2]
    client.force_login(first_user)
    html = _html(_register(client, meeting, first, 2, "山田 太郎\n佐藤 花子"))
    assert "参加が確定しました（2人）" in html
    assert "参加確定" in _text(html[html.index('id="register"') :])
    client.force_login(second_user)
    html = _html(_register(client, meeting, second, 2))
    assert "キャンセル待ち（1番目）で受け付けました" in html
    section = _text(html[html.index('id="register"') :])
    assert "キャンセル待ち" in section and "1番目" in section
    statuses = dict(Registration.objects.values_list("organization__name", "status"))
    assert statuses == {first.name: Status.REGISTERED, second.name: Status.WAITLISTED}


def test_refusals_show_on_the_form_fields(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=3)
    org, user = registrants[0]
    client.force_login(user)
    response = _register(client, meeting, org, 4)
    html = _html(response)
    assert response.status_code == 200
    assert "参加人数が定員（3人）を超えています。" in html
    assert 'id="id_attendees_error"' in html
    response = _register(client, meeting, org, 1, "一\n二")
    assert "氏名の数が参加人数を超えています。" in _html(response)
    assert not Registration.objects.exists()
    # another organization than one's own is not a choice
    response = _register(client, meeting, people["npo"], 1)
    assert response.status_code == 200 and not Registration.objects.exists()


def test_cancelling_asks_first_then_promotes_the_waitlist(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=2)
    (first, first_user), (second, second_user) = registrants[:2]
    mine = services.register(meeting, first, first_user, 2)
    waiting = services.register(meeting, second, second_user, 2)
    client.force_login(first_user)
    html = _html(client.get(f"/meetings/{meeting.pk}/"))
    link = f"/my/meetings/registrations/{mine.pk}/cancel/?next=/meetings/{meeting.pk}/"
    assert link in html
    page = _html(client.get(link))
    assert "この申込を取り消しますか？" in page and 'name="confirmed" value="1"' in page
    # a post without the confirmation shows the question again and cancels nothing
    response = client.post(f"/my/meetings/registrations/{mine.pk}/cancel/", {})
    assert response.status_code == 200 and "この申込を取り消しますか？" in _html(response)
    mine.refresh_from_db()
    assert mine.status == Status.REGISTERED
    response = client.post(
        f"/my/meetings/registrations/{mine.pk}/cancel/",
        {"confirmed": "1", "next": f"/meetings/{meeting.pk}/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/meetings/{meeting.pk}/"
    assert "申込を取り消しました" in _html(response)
    client.force_login(second_user)
    section = _text(_html(client.get(f"/meetings/{meeting.pk}/")).split('id="register"')[1])
    assert "参加確定" in section and "キャンセル待ち" not in section
    waiting.refresh_from_db()
    assert waiting.status == Status.REGISTERED
    # the promoted organization was told
    assert Notification.objects.filter(recipient=second_user, kind="meeting.promoted").exists()


def test_someone_else_cannot_open_a_registration(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"])
    registration = services.register(meeting, registrants[0][0], registrants[0][1], 1)
    client.force_login(people["other"])
    url = f"/my/meetings/registrations/{registration.pk}/cancel/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    registration.refresh_from_db()
    assert registration.status == Status.REGISTERED


def test_attendee_names_never_on_public_pages(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"])
    org, user = registrants[0]
    services.register(meeting, org, user, 2, ["氏名 公開しない", "氏名 二人目"])
    for who in (None, user, people["other"]):
        if who is None:
            client.logout()
        else:
            client.force_login(who)
        for url in ("/", "/meetings/", f"/meetings/{meeting.pk}/", "/my/meetings/"):
            if who is None and url.startswith("/my/"):
                continue
            assert "氏名 公開しない" not in _html(client.get(url)), (who, url)
    client.force_login(people["staff"])  # the organizer sees them on its own page
    html = _html(client.get(f"/my/meetings/{meeting.pk}/"))
    assert "氏名 公開しない" in html and "氏名 二人目" in html


def test_online_url_only_for_confirmed_registrants_and_the_organizer(client, people, registrants):
    meeting = make_meeting(
        people["department"], people["staff"], online_url="https://meet.example.jp/xyz"
    )
    org, user = registrants[0]
    client.force_login(user)
    assert "meet.example.jp/xyz" not in _html(client.get(f"/meetings/{meeting.pk}/"))
    services.register(meeting, org, user, 1)
    assert "meet.example.jp/xyz" in _html(client.get(f"/meetings/{meeting.pk}/"))


# --- マイページ: 自分の団体の交流の場 ----------------------------------------------------------
def test_my_meetings_lists_registrations_with_waitlist_and_organized(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=1, title="満席の会")
    services.register(meeting, registrants[0][0], registrants[0][1], 1)
    services.register(meeting, people["npo"], people["member"], 1)
    own = make_meeting(people["npo"], people["member"], title="NPOが主催する研修", days=15)
    client.force_login(people["member"])
    text = _text(_html(client.get("/my/meetings/")))
    assert "満席の会" in text and "キャンセル待ち" in text and "1番目" in text
    assert "NPOが主催する研修" in text and "残り5席（定員5人）" in text
    assert f'href="/my/meetings/{own.pk}/"' in _html(client.get("/my/meetings/"))
    assert client.get("/my/meetings/").status_code == 200
    client.logout()
    response = client.get("/my/meetings/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_cancel_link_once_the_meeting_started(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], title="開催中の会")
    org, user = registrants[0]
    registration = services.register(meeting, org, user, 1)
    cancel = f"/my/meetings/registrations/{registration.pk}/cancel/"
    client.force_login(user)
    assert cancel in _html(client.get("/my/meetings/"))
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    assert cancel not in _html(client.get("/my/meetings/"))
    assert cancel not in _html(client.get(f"/meetings/{meeting.pk}/"))
    assert "開催中の会" in _html(client.get("/my/meetings/"))


# --- The organizer's pages ------------------------------------------------------------------
def _meeting_form(**extra: Any) -> dict[str, Any]:
    start = _day(14)
    body = {
        "kind": "dialogue",
        "title": "環境保全の意見交換会",
        "description": "公園の清掃活動について話し合います。",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "registration_deadline": "",
        "capacity": "30",
        "registration_mode": "open",
        "venue_name": "北区民センター",
        "is_public_facility": "on",
        "sign_language": "on",
        "fields": ["environment"],
        "areas": ["t-kita"],
    }
    body.update(extra)
    return body


def test_an_organizer_creates_publishes_and_edits_a_meeting(client, people):
    client.force_login(people["staff"])
    assert client.get("/my/meetings/new/").status_code == 200
    response = client.post(
        "/my/meetings/new/", _meeting_form(organizer=people["department"].pk), follow=True
    )
    meeting = Meeting.objects.get(title="環境保全の意見交換会")
    assert meeting.status == Meeting.Status.DRAFT and meeting.organizer == people["department"]
    assert meeting.sign_language and meeting.is_public_facility
    assert list(meeting.fields.values_list("code", flat=True)) == ["environment"]
    assert response.redirect_chain[-1][0] == f"/my/meetings/{meeting.pk}/"
    assert "下書きとして保存しました" in _html(response)
    assert client.get("/meetings/").content.decode().count("環境保全の意見交換会") == 0
    response = client.post(f"/my/meetings/{meeting.pk}/publish/", follow=True)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED and "公開しました" in _html(response)
    assert "環境保全の意見交換会" in _html(client.get("/meetings/"))
    response = client.post(
        f"/my/meetings/{meeting.pk}/edit/", _meeting_form(venue_name="南区民ホール"), follow=True
    )
    meeting.refresh_from_db()
    assert meeting.venue_name == "南区民ホール" and "会合を更新しました" in _html(response)


def test_the_meeting_form_shows_the_services_refusals_per_field(client, people):
    client.force_login(people["staff"])
    start = _day(14)
    body = _meeting_form(
        organizer=people["department"].pk,
        ends_at=(start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        capacity="0",
    )
    response = client.post("/my/meetings/new/", body)
    html = _html(response)
    assert response.status_code == 200
    assert "終了日時は開始日時より後にしてください。" in html and 'id="id_ends_at_error"' in html
    assert "定員は1人以上にしてください。" in html and 'id="id_capacity_error"' in html
    assert not Meeting.objects.exists()
    # an organization of someone else's is not a choice
    response = client.post("/my/meetings/new/", _meeting_form(organizer=people["npo"].pk))
    assert response.status_code == 200 and not Meeting.objects.exists()


def test_organizer_pages_are_refused_to_others(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], registration_mode="approval")
    pending = services.register(meeting, registrants[0][0], registrants[0][1], 1)
    draft = make_meeting(people["department"], people["staff"], publish=False, title="下書き")
    base = f"/my/meetings/{meeting.pk}"
    for url in (f"{base}/", f"{base}/edit/", f"{base}/cancel/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["other"])
    for url in (f"{base}/", f"{base}/edit/", f"{base}/cancel/"):
        assert client.get(url).status_code == 403, url
    for url, body in [
        (f"{base}/cancel/", {"confirmed": "1"}),
        (f"{base}/capacity/", {"capacity": "50"}),
        (f"{base}/invite/", {"organization": people["group"].pk}),
        (f"{base}/registrations/{pending.pk}/approve/", {}),
        (f"{base}/registrations/{pending.pk}/decline/", {}),
        (f"{base}/edit/", _meeting_form()),
    ]:
        assert client.post(url, body).status_code == 403, url
    assert client.get(f"/my/meetings/{draft.pk}/").status_code == 404
    assert client.post(f"/my/meetings/{draft.pk}/publish/").status_code == 404
    meeting.refresh_from_db()
    pending.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED and meeting.capacity == 5
    assert pending.status == Status.PENDING_APPROVAL and not Invitation.objects.exists()
    # a coordinator organizes every meeting
    client.force_login(people["coordinator"])
    assert client.get(f"{base}/").status_code == 200


def test_approval_flow_through_the_pages(client, people, registrants):
    meeting = make_meeting(
        people["department"], people["staff"], registration_mode="approval", capacity=4
    )
    (first, first_user), (second, second_user) = registrants[:2]
    client.force_login(first_user)
    html = _html(_register(client, meeting, first, 2, "承認 太郎"))
    assert "主催者の承認をお待ちください" in html
    assert "承認待ち" in _text(html.split('id="register"')[1])
    client.force_login(second_user)
    _register(client, meeting, second, 1)
    first_reg = Registration.objects.get(organization=first)
    second_reg = Registration.objects.get(organization=second)

    client.force_login(people["staff"])
    html = _html(client.get(f"/my/meetings/{meeting.pk}/"))
    assert "承認 太郎" in html
    approve = f"/my/meetings/{meeting.pk}/registrations/{first_reg.pk}/approve/"
    assert f'action="{approve}"' in html
    response = client.post(approve, follow=True)
    assert f"{first.name}の申込を承認しました（参加確定）" in _html(response)
    decline = f"/my/meetings/{meeting.pk}/registrations/{second_reg.pk}/decline/"
    before = html[: html.index(f'action="{decline}"')]
    assert before.rindex("<details") > before.rfind("</details>")  # asks first
    response = client.post(decline, follow=True)
    assert f"{second.name}の申込をお断りしました" in _html(response)
    first_reg.refresh_from_db()
    second_reg.refresh_from_db()
    assert (first_reg.status, second_reg.status) == (Status.REGISTERED, Status.DECLINED)
    client.force_login(second_user)
    assert "お断り" in _text(
        _html(client.get(f"/meetings/{meeting.pk}/")).split('id="register"')[1]
    )


def test_cancelling_a_meeting_asks_first_and_tells_the_registrants(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"])
    org, user = registrants[0]
    services.register(meeting, org, user, 1)
    client.force_login(people["staff"])
    html = _html(client.get(f"/my/meetings/{meeting.pk}/cancel/"))
    assert "この会合を中止しますか？" in html and "1 団体が申し込んでいます" in html
    response = client.post(f"/my/meetings/{meeting.pk}/cancel/", {"reason": "台風の接近"})
    assert response.status_code == 200 and 'value="1"' in _html(response)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED
    response = client.post(
        f"/my/meetings/{meeting.pk}/cancel/", {"reason": "台風の接近", "confirmed": "1"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.cancel_reason == "台風の接近"
    notice = Notification.objects.get(recipient=user, kind="meeting.cancelled")
    assert "台風の接近" in notice.body
    client.logout()
    text = _text(_html(client.get(f"/meetings/{meeting.pk}/")))
    assert "この会合は中止になりました。" in text and "台風の接近" in text


def test_invite_an_organization_by_name_for_an_invitation_only_meeting(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], registration_mode="invitation")
    org, user = registrants[0]
    client.force_login(user)
    html = _html(client.get(f"/meetings/{meeting.pk}/"))
    assert "この会合は招待制です" in html and 'name="attendees"' not in html
    client.force_login(people["staff"])
    html = _html(client.get(f"/my/meetings/{meeting.pk}/?org=ひまわり"))
    assert org.name in html and registrants[1][0].name not in html
    response = client.post(
        f"/my/meetings/{meeting.pk}/invite/", {"organization": org.pk}, follow=True
    )
    assert f"{org.name}を招待しました" in _html(response)
    assert Invitation.objects.filter(meeting=meeting, organization=org).exists()
    client.force_login(user)
    html = _html(client.get(f"/meetings/{meeting.pk}/?register=1"))
    assert 'name="attendees"' in html
    assert "参加が確定しました" in _html(_register(client, meeting, org, 1))


def test_a_larger_capacity_moves_the_waitlist_up(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=1)
    services.register(meeting, registrants[0][0], registrants[0][1], 1)
    waiting = services.register(meeting, registrants[1][0], registrants[1][1], 1)
    client.force_login(people["staff"])
    response = client.post(f"/my/meetings/{meeting.pk}/capacity/", {"capacity": "0"}, follow=True)
    assert "定員は1人以上にしてください。" in _html(response)
    response = client.post(f"/my/meetings/{meeting.pk}/capacity/", {"capacity": "2"}, follow=True)
    assert "定員を2人にしました" in _html(response)
    waiting.refresh_from_db()
    assert waiting.status == Status.REGISTERED


def test_the_coordinator_home_links_to_meetings(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], registration_mode="approval")
    services.register(meeting, registrants[0][0], registrants[0][1], 1)
    client.force_login(people["coordinator"])
    text = _text(_html(client.get("/coord/")))
    assert re.search(r"交流の場: 承認待ちの参加申込 ?: 1", text)
    assert "これからの会合 1件" in text
    html = _html(client.get("/my/meetings/"))
    assert f'href="/my/meetings/{meeting.pk}/"' in html and "承認待ち 1件" in html


# --- English ---------------------------------------------------------------------------------
def test_the_language_switch_shows_the_meeting_pages_in_english(client, people, registrants):
    meeting = make_meeting(people["department"], people["staff"], capacity=3)
    services.register(meeting, registrants[0][0], registrants[0][1], 1)
    client.post("/i18n/setlang/", {"language": "en", "next": "/meetings/"})
    html = _html(client.get("/meetings/"))
    assert '<html lang="en">' in html
    assert "Meetings" in html and "Networking meeting" in html and "2 seats left" in html
    assert "残り" not in html
    html = _html(client.get(f"/meetings/{meeting.pk}/"))
    assert "Registration" in html and "Sign in to register" in html
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})


# --- helpers ---------------------------------------------------------------------------------
def _fields(*codes: str) -> list:
    from organizations.models import Field

    return list(Field.objects.filter(code__in=codes))


def _areas(*codes: str) -> list:
    from organizations.models import Area

    return list(Area.objects.filter(code__in=codes))


def test_the_lists_count_seats_in_one_query_whatever_the_number_of_meetings(
    client, api, people, registrants
):
    """The public list and the API list show each meeting's seats left from the list's own
    query (a subquery), not one query per meeting; the numbers are the services' own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url: str, fetch) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert fetch(url).status_code == 200
        return len(captured)

    first = make_meeting(people["department"], people["staff"], capacity=7)
    org, user = registrants[0]
    services.register(first, org, user, 3)
    few = (queries("/meetings/", client.get), queries("/api/v1/meetings/", api.get))
    for days in range(11, 16):
        make_meeting(people["department"], people["staff"], days=days)
    many = (queries("/meetings/", client.get), queries("/api/v1/meetings/", api.get))
    assert many == few
    listed = {
        row["id"]: row["seats_left"] for row in api.get("/api/v1/meetings/").json()["results"]
    }
    assert listed[first.pk] == 4 == services.seats_left(Meeting.objects.get(pk=first.pk))
    assert "残り4席" in _text(_html(client.get("/meetings/")))
