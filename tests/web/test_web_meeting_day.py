"""The pages of a meeting's day and after (web/member/meeting_day.py, meeting_guests.py,
web/public/meeting_day.py): the engine's invitation list and inviting several at once, the
table groups with their print, the check-in list and its QR codes, the QR code's check-in
page, 開催済み, the minutes, the report with its photos, the post-meeting form and its
answers, a registration's .ics — each for the organizer only where it should be, refused
(403/404, login) to others, with the services' refusals shown on the field concerned.
The notices' links are checked in the e-mail each role receives. Rendered with Django's
test client; the rules behind them are tested in tests/meetings/."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from conftest import make_need, make_offer, make_org, make_user
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from matching.models import InterestRequest
from meetings import invitations, services, tables
from meetings.day import reports
from meetings.models import Invitation, Meeting, MeetingPhoto, Registration, TableGroup, Wish
from notifications import emails
from notifications.models import Delivery, Notification
from proposals.models import Offer

pytestmark = pytest.mark.django_db

Status = Registration.Status


# --- The scene --------------------------------------------------------------------------------
def _meeting(people, **extra: Any) -> Meeting:
    start = (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    data: dict[str, Any] = {
        "kind": Meeting.Kind.EXCHANGE,
        "title": "子育て支援の交流会",
        "description": "乳幼児と保護者の子育てを地域で支える団体と市の担当課の交流会です。",
        "venue_name": "市民活動サポートセンター",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "capacity": 50,
    }
    data.update(extra)
    meeting = services.create_meeting(people["staff"], people["department"], **data)
    return services.publish(meeting, people["staff"])


def _move(meeting: Meeting, starts_at: dt.datetime) -> Meeting:
    """The clock moving on (the services refuse to create a meeting in the past)."""
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2), registration_deadline=None
    )
    meeting.refresh_from_db()
    return meeting


def _started(meeting: Meeting) -> Meeting:
    return _move(meeting, timezone.now() - dt.timedelta(minutes=30))


def _ended(meeting: Meeting) -> Meeting:
    return _move(meeting, timezone.now() - dt.timedelta(hours=3))


@pytest.fixture
def day(people):
    """The department's 交流会 with three organizations registered (2 people each, with
    names), each with an open offer; the department (organizer) has an open need."""
    meeting = _meeting(people)
    reg = []
    for i, name in enumerate(["こども食堂ひまわり", "北区まちづくり協議会", "株式会社みなと印刷"]):
        org = make_org(name, "citizen_group")
        user = make_user(f"part{i}", org)
        make_offer(org, f"{name}のできること")
        registration = services.register(meeting, org, user, 2, [f"参加 太郎{i}", f"参加 花子{i}"])
        reg.append({"org": org, "user": user, "registration": registration})
    make_need(people["department"], "子育て支援課の協働テーマ")
    return {"meeting": meeting, "reg": reg, **people}


def _html(response) -> str:
    return response.content.decode()


def _text(response) -> str:
    """The page's text without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _html(response)))


def _as(client, user):
    client.force_login(user)
    return client


# --- Who may open the organizer's pages -------------------------------------------------------
ORGANIZER_PAGES = [
    "suggestions",
    "tables",
    "tables/print",
    "checkin",
    "checkin/qr",
    "report",
    "wishes",
]


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_organizer_pages_are_the_organizers_and_coordinators_only(client, day, path):
    url = f"/my/meetings/{day['meeting'].pk}/{path}/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (day["staff"], day["coordinator"]):
        assert _as(client, user).get(url).status_code == 200, user
    # A participant and an outsider: refused with the service's message, no names shown.
    for user in (day["reg"][0]["user"], day["other"]):
        response = _as(client, user).get(url)
        assert response.status_code == 403
        assert "参加 太郎1" not in _html(response)
        assert "主催団体のメンバーかコーディネーターだけ" in _text(response)


def test_someone_elses_draft_is_not_found(client, people):
    draft = services.create_meeting(
        people["member"], people["npo"], kind="exchange", title="下書きの会",
        starts_at=timezone.now() + dt.timedelta(days=5),
        ends_at=timezone.now() + dt.timedelta(days=5, hours=1), capacity=5,
    )  # fmt: skip
    for path in ORGANIZER_PAGES:
        assert (
            _as(client, people["other"]).get(f"/my/meetings/{draft.pk}/{path}/").status_code == 404
        )


def test_the_organizer_page_links_each_later_step(client, day):
    meeting = day["meeting"]
    html = _html(_as(client, day["staff"]).get(f"/my/meetings/{meeting.pk}/"))
    for path, label in [
        ("suggestions", "招待する団体の提案"),
        ("tables", "グループ分け"),
        ("checkin", "受付（当日）"),
        ("report", "議事録・開催報告"),
        ("wishes", "参加後の希望"),
    ]:
        assert f'href="/my/meetings/{meeting.pk}/{path}/"' in html, path
        assert label in html
    assert "受付済み 0 / 参加確定 3 団体" in html


# --- 招待する団体の提案 -----------------------------------------------------------------------
@pytest.fixture
def guests(people):
    """A 子育て meeting; organizations whose posts fit it (one already invited) or not."""
    hiroba = make_org("NPO法人 子育てひろばの会", "npo_corporation")
    make_offer(
        hiroba, "乳幼児と保護者の子育てひろば", fields=["children"],
        description="乳幼児と保護者が気軽に集まれる子育てひろばを運営しています。",
    )  # fmt: skip
    ehon = make_org("絵本の読み聞かせの会", "citizen_group")
    make_offer(
        ehon, "子どもへの絵本の読み聞かせ", fields=["children"],
        description="保育園で子どもたちと保護者に絵本の読み聞かせをしています。子育て。",
    )  # fmt: skip
    denki = make_org("まちの電気店", "business")
    make_offer(denki, "家電の修理", description="冷蔵庫の修理を承ります。", fields=["economy"])
    meeting = _meeting(
        people, fields=[], title="子育てひろばの交流会",
        description="乳幼児と保護者の子育てひろば、絵本の読み聞かせ、居場所づくり。",
    )  # fmt: skip
    return {"meeting": meeting, "hiroba": hiroba, "ehon": ehon, "denki": denki, **people}


def test_the_list_shows_reasons_first_timers_and_invites_several_at_once(client, guests):
    meeting = guests["meeting"]
    url = f"/my/meetings/{meeting.pk}/suggestions/"
    page = _text(_as(client, guests["staff"]).get(url))
    assert "NPO法人 子育てひろばの会" in page and "絵本の読み聞かせの会" in page
    assert "まちの電気店" not in page  # nothing in common with the meeting
    assert "乳幼児と保護者の子育てひろば" in page and "が会合の内容に合う" in page
    assert "初参加" in page
    body = {"organizations": [guests["hiroba"].pk, guests["ehon"].pk]}
    response = client.post(url, body, follow=True)
    assert "2団体を招待しました" in _text(response)
    invited = Invitation.objects.filter(meeting=meeting)
    assert {i.organization for i in invited} == {guests["hiroba"], guests["ehon"]}
    assert all(i.suggested and i.score for i in invited)
    # Invited organizations leave the list and are listed as invited.
    html = _html(client.get(url))
    assert f'value="{guests["hiroba"].pk}"' not in html
    assert "招待済みの団体" in html and "提案から" in html


def test_inviting_again_shows_the_services_refusal_on_the_list(client, guests):
    meeting = guests["meeting"]
    invitations.invite(meeting, guests["staff"], guests["hiroba"])
    url = f"/my/meetings/{meeting.pk}/suggestions/"
    response = _as(client, guests["staff"]).post(
        url, {"organizations": [guests["hiroba"].pk, guests["ehon"].pk]}
    )
    assert response.status_code == 200
    assert "すでに招待している団体です: NPO法人 子育てひろばの会" in _text(response)
    assert not Invitation.objects.filter(organization=guests["ehon"]).exists()  # none of them
    response = client.post(url, {})
    assert "招待する団体を選んでください。" in _text(response)


def test_a_draft_shows_the_list_but_invites_once_published(client, people, guests):
    draft = services.create_meeting(
        people["staff"], people["department"], kind="exchange", title="子育てひろばの下書き",
        description="乳幼児と保護者の子育てひろば。", capacity=10,
        starts_at=timezone.now() + dt.timedelta(days=9),
        ends_at=timezone.now() + dt.timedelta(days=9, hours=2),
    )  # fmt: skip
    page = _text(_as(client, people["staff"]).get(f"/my/meetings/{draft.pk}/suggestions/"))
    assert "招待は公開してからできます" in page
    response = client.post(
        f"/my/meetings/{draft.pk}/suggestions/", {"organizations": [guests["hiroba"].pk]}
    )
    assert "下書きの会合には招待できません" in _text(response)


# --- グループ分け -----------------------------------------------------------------------------
@pytest.fixture
def exchange(people):
    """A 交流会 with five organizations registered: two pairs whose need and offer fit."""
    meeting = _meeting(people)
    orgs = {}
    for key, name, kind in [
        ("dept", "テスト市 防災課", "city_department"),
        ("bousai", "NPO法人 防災ネット", "npo_corporation"),
        ("kosodate", "子育てサークル", "citizen_group"),
        ("jichikai", "北一丁目自治会", "neighborhood_association"),
        ("shop", "みなと商店会", "business"),
    ]:
        orgs[key] = make_org(name, kind)
        services.register(meeting, orgs[key], make_user(f"t-{key}", orgs[key]), 1, [f"{name}の人"])
    make_need(orgs["dept"], "避難所の運営訓練", description="避難所の運営訓練を地域と行いたい。")
    make_offer(
        orgs["bousai"], "避難所の運営訓練の指導", description="避難所の運営訓練を指導します。"
    )
    make_need(orgs["jichikai"], "子育て世帯の見守り", description="子育て世帯の見守りをしたい。")
    make_offer(orgs["kosodate"], "子育て世帯の見守り", description="子育て世帯を見守ります。")
    return {"meeting": meeting, **orgs, **people}


def _seat(meeting, org) -> str:
    return f"seat-{Registration.objects.get(meeting=meeting, organization=org).pk}"


def test_the_proposal_is_shown_explained_moved_and_saved(client, exchange):
    meeting = exchange["meeting"]
    url = f"/my/meetings/{meeting.pk}/tables/"
    response = _as(client, exchange["staff"]).get(url)
    page = _text(response)
    assert "エンジンの提案です（まだ保存していません）" in page
    assert "テーブル1" in page and "避難所の運営訓練" in page
    assert "団体の種類:" in page
    assert not TableGroup.objects.exists()
    # Everyone at table 1 (the proposal: one table of five), then the shop moves to a new one.
    body = {_seat(meeting, exchange[k]): "1" for k in ("dept", "bousai", "kosodate", "jichikai")}
    body[_seat(meeting, exchange["shop"])] = "2"
    body["name-1"] = "防災と子育てのテーブル"
    response = client.post(url, body, follow=True)
    assert "グループ分けを保存しました（2テーブル）" in _text(response)
    saved = tables.saved_tables(meeting)
    assert [len(t.seats) for t in saved.tables] == [4, 1]
    assert saved.tables[0].name == "防災と子育てのテーブル"
    assert "保存したグループ分けです" in _text(client.get(url))
    assert "エンジンの提案です" in _text(client.get(f"{url}?proposal=1"))


def test_saving_without_a_seat_for_everyone_shows_the_services_refusal(client, exchange):
    meeting = exchange["meeting"]
    url = f"/my/meetings/{meeting.pk}/tables/"
    body = {_seat(meeting, exchange[k]): "1" for k in ("dept", "bousai", "kosodate")}
    body["name-1"] = "まだ途中のテーブル"
    response = _as(client, exchange["staff"]).post(url, body)
    assert response.status_code == 200
    page = _text(response)
    assert "席のない参加確定の団体があります" in page and "みなと商店会" in page
    assert 'value="まだ途中のテーブル"' in _html(response)  # what was typed stays
    assert not TableGroup.objects.exists()


def test_the_seating_list_prints_each_table_with_its_people(client, exchange):
    meeting = exchange["meeting"]
    response = _as(client, exchange["staff"]).get(f"/my/meetings/{meeting.pk}/tables/print/")
    html = _html(response)
    assert "座席表: 子育て支援の交流会" in _text(response)
    assert html.count('class="print-block"') == 1  # five organizations: one table
    assert "NPO法人 防災ネットの人" in html  # the people registered
    assert 'class="no-print"' in html  # the buttons and links stay on screen only


# --- 受付（当日） -----------------------------------------------------------------------------
def test_the_list_checks_in_corrects_and_undoes_with_totals(client, day):
    meeting = _started(day["meeting"])
    url = f"/my/meetings/{meeting.pk}/checkin/"
    page = _text(_as(client, day["staff"]).get(url))
    assert "こども食堂ひまわり" in page and "参加 太郎0、参加 花子0" in page
    assert "0 / 3 受付済みの団体" in page
    rid = day["reg"][0]["registration"].pk
    response = client.post(f"{url}{rid}/", {f"r{rid}-people": ""}, follow=True)
    assert "こども食堂ひまわりを受付しました（2人）" in _text(response)
    assert "1 / 3 受付済みの団体" in _text(response)
    response = client.post(f"{url}{rid}/", {f"r{rid}-people": "3"}, follow=True)
    assert Registration.objects.get(pk=rid).attended_people == 3
    # More than the margin allows: the service's message, on that row's field.
    response = client.post(f"{url}{rid}/", {f"r{rid}-people": "40"})
    assert response.status_code == 200
    assert "出席人数は申込の人数より5人多いところまでです（7人まで）" in _text(response)
    assert f'id="id_r{rid}-people_error"' in _html(response)
    response = client.post(f"{url}{rid}/undo/", follow=True)
    assert "こども食堂ひまわりの受付を取り消しました" in _text(response)
    assert Registration.objects.get(pk=rid).checked_in_at is None


def test_check_in_before_the_day_says_when(client, day):
    meeting = day["meeting"]
    url = f"/my/meetings/{meeting.pk}/checkin/"
    assert "受付は会合の当日" in _text(_as(client, day["staff"]).get(url))
    rid = day["reg"][0]["registration"].pk
    response = client.post(f"{url}{rid}/", {}, follow=True)
    assert "受付は会合の当日から行えます。" in _text(response)
    assert Registration.objects.get(pk=rid).checked_in_at is None


def test_the_qr_codes_print_one_per_registration(client, day):
    meeting = day["meeting"]
    response = _as(client, day["staff"]).get(f"/my/meetings/{meeting.pk}/checkin/qr/")
    html = _html(response)
    assert html.count('src="data:image/svg+xml;base64,') == 3
    for r in day["reg"]:
        assert f'alt="{r["org"].name}の受付用QRコード"' in html


def test_mark_held_after_the_start(client, day):
    meeting = day["meeting"]
    url = f"/my/meetings/{meeting.pk}/held/"
    response = _as(client, day["staff"]).post(url, follow=True)
    assert "開始日時の前に開催済みにはできません。" in _text(response)
    _started(meeting)
    response = client.post(url, follow=True)
    assert "開催済みにしました。" in _text(response)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.HELD


# --- The QR code's page -----------------------------------------------------------------------
def test_the_qr_page_checks_in_for_the_organizer_and_names_nothing_to_others(client, day):
    meeting = _started(day["meeting"])
    registration = day["reg"][1]["registration"]
    url = f"/meetings/checkin/{registration.checkin_token}/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "checkin" in response["Location"]
    for user in (day["reg"][1]["user"], day["other"]):  # the participant itself, an outsider
        response = _as(client, user).get(url)
        assert response.status_code == 403
        assert "受付で係の人に見せてください" in _text(response)
        assert "北区まちづくり協議会" not in _html(response)
        assert meeting.title not in _html(response)
        assert _as(client, user).post(url, {"people": ""}).status_code == 403
    assert Registration.objects.get(pk=registration.pk).checked_in_at is None
    # The organizer: the organization and a button; nothing done before it is pressed.
    page = _text(_as(client, day["staff"]).get(url))
    assert "北区まちづくり協議会" in page and "まだ受付していません" in page
    assert Registration.objects.get(pk=registration.pk).checked_in_at is None
    response = client.post(url, {"people": "2"}, follow=True)
    assert "北区まちづくり協議会を受付しました（2人）" in _text(response)
    assert "受付済み（" in _text(response)
    assert _as(client, day["staff"]).get("/meetings/checkin/no-such-code/").status_code == 404


# --- 議事録・開催報告 -------------------------------------------------------------------------
def _jpeg(size=(12, 8)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_minutes_and_report_are_written_published_and_read(client, day, media):
    meeting = _ended(day["meeting"])
    base = f"/my/meetings/{meeting.pk}"
    organizer = _as(client, day["staff"])
    response = organizer.post(f"{base}/minutes/", {"minutes": "x" * 20001})
    assert response.status_code == 200
    assert "20000文字以内にしてください。" in _text(response)
    assert 'id="id_minutes_error"' in _html(response)
    organizer.post(f"{base}/minutes/", {"minutes": "防災と子育ての二つのテーマで話し合った。"})
    response = organizer.post(f"{base}/report/", {"report": "", "publish": "on"})
    assert "公開する開催報告の本文を入力してください。" in _text(response)
    body = {"report": "3団体が参加し、協働の相談が2件生まれました。", "publish": "on"}
    response = organizer.post(f"{base}/report/", body, follow=True)
    assert "開催報告を公開しました" in _text(response)
    # The photo: help text with the limits, then one added.
    assert "1つの会合に10枚まで" in _text(organizer.get(f"{base}/report/"))
    response = organizer.post(f"{base}/photos/", {"image": _jpeg(), "caption": "会場の様子"})
    photo = MeetingPhoto.objects.get(meeting=meeting)
    assert "IMG_0001" not in photo.image.name
    # Public: the report and its photo on the meeting's page and in /meetings/past/.
    client.logout()
    page = _html(client.get(f"/meetings/{meeting.pk}/"))
    assert "3団体が参加し、協働の相談が2件生まれました。" in page
    assert f'src="/meetings/{meeting.pk}/photos/{photo.pk}/"' in page and 'alt="会場の様子"' in page
    assert f'src="/meetings/{meeting.pk}/photos/{photo.pk}/"' in _html(
        client.get("/meetings/past/")
    )
    assert client.get(f"/meetings/{meeting.pk}/photos/{photo.pk}/")["Content-Type"] == "image/jpeg"
    # The minutes: a participant reads them; an outsider does not; a visitor signs in first.
    assert client.get(f"/meetings/{meeting.pk}/minutes/").status_code == 302
    participant = _as(client, day["reg"][0]["user"])
    assert "防災と子育ての二つのテーマ" in _text(
        participant.get(f"/meetings/{meeting.pk}/minutes/")
    )
    assert "議事録を読む" in _text(participant.get(f"/meetings/{meeting.pk}/"))
    response = _as(client, day["other"]).get(f"/meetings/{meeting.pk}/minutes/")
    assert response.status_code == 403 and "防災と子育て" not in _html(response)


def test_a_photo_follows_the_reports_visibility(client, day, media):
    meeting = _started(day["meeting"])
    photo = reports.add_photo(meeting, day["staff"], _jpeg(), "準備中")
    url = f"/meetings/{meeting.pk}/photos/{photo.pk}/"
    assert client.get(url).status_code == 404  # not published: not even its existence
    assert _as(client, day["other"]).get(url).status_code == 404
    response = _as(client, day["staff"]).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    reports.save_report(meeting, day["staff"], "報告です。", True)
    client.logout()
    assert client.get(url).status_code == 200
    # The organizer removes it.
    response = _as(client, day["staff"]).post(
        f"/my/meetings/{meeting.pk}/photos/{photo.pk}/remove/", follow=True
    )
    assert "写真を削除しました。" in _text(response)
    assert client.get(url).status_code == 404


def test_a_file_that_is_no_image_is_refused_on_the_field(client, day, media):
    meeting = _started(day["meeting"])
    fake = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    response = _as(client, day["staff"]).post(f"/my/meetings/{meeting.pk}/photos/", {"image": fake})
    assert response.status_code == 200
    assert "JPEG・PNG・WebP の画像を選んでください。" in _text(response)
    assert 'id="id_image_error"' in _html(response)
    assert not MeetingPhoto.objects.exists()


# --- 参加後アンケート -------------------------------------------------------------------------
def test_the_wishes_form_flow_and_the_organizers_answers(client, day):
    meeting = day["meeting"]
    a, b, c = day["reg"]
    url = f"/meetings/{meeting.pk}/wishes/"
    assert "アンケートは会合の終了後に回答できます" in _text(_as(client, a["user"]).get(url))
    _ended(meeting)
    assert client.get(url).status_code == 200
    assert "もっと話したい団体を選ぶ" in _text(client.get(f"/meetings/{meeting.pk}/"))
    html = _html(client.get(url))
    # Checkboxes of the other participants (the organizer too), not of itself.
    offered = set(re.findall(r'name="targets" value="(\d+)"', html))
    assert offered == {str(b["org"].pk), str(c["org"].pk), str(day["department"].pk)}
    response = client.post(
        url,
        {"organization": a["org"].pk, "targets": [b["org"].pk], "message": "また話したい"},
        follow=True,
    )
    assert "北区まちづくり協議会: 紹介の依頼としてコーディネーターに届けました。" in _text(response)
    request = InterestRequest.objects.get(organization=a["org"])
    assert request.origin_note.startswith("交流の場「子育て支援の交流会」")
    # The other way round: mutual, said to the second organization.
    response = _as(client, b["user"]).post(
        url, {"organization": b["org"].pk, "targets": [a["org"].pk]}, follow=True
    )
    page = _text(response)
    assert (
        "こども食堂ひまわり: 紹介の依頼としてコーディネーターに届けました（双方が希望）。" in page
    )
    assert "双方が希望" in page and "受付中" in page
    # An organization without an open post: kept, the coordinator will follow up.
    Offer.objects.filter(organization=c["org"]).update(status="closed")
    response = _as(client, a["user"]).post(
        url, {"organization": a["org"].pk, "targets": [c["org"].pk]}, follow=True
    )
    assert "株式会社みなと印刷: 募集中の投稿がないため紹介の依頼にはなりませんでした" in _text(
        response
    )
    # The organizer sees who wished whom, mutual marked, and what became of each.
    page = _text(_as(client, day["staff"]).get(f"/my/meetings/{meeting.pk}/wishes/"))
    assert "こども食堂ひまわり → 北区まちづくり協議会 双方が希望" in page
    assert "こども食堂ひまわり → 株式会社みなと印刷 依頼なし" in page
    assert "1 双方が希望した組" in page


def test_wishes_refusals_on_the_field_and_for_outsiders(client, day):
    meeting = _ended(day["meeting"])
    a = day["reg"][0]
    url = f"/meetings/{meeting.pk}/wishes/"
    response = _as(client, a["user"]).post(
        url, {"organization": a["org"].pk, "targets": [], "message": "あ" * 2001}
    )
    assert response.status_code == 200
    assert "2000文字以内にしてください。" in _text(response)
    assert 'id="id_message_error"' in _html(response)
    assert not Wish.objects.exists()
    response = _as(client, day["other"]).get(url)
    assert response.status_code == 403 and "参加した団体と主催者" in _text(response)
    client.logout()
    assert client.get(url)["Location"].startswith("/accounts/login/?next=")


# --- A registration's .ics and QR code; マイページ --------------------------------------------
def test_a_registration_has_its_calendar_file_and_qr_code(client, day):
    meeting = day["meeting"]
    a = day["reg"][0]
    rid = a["registration"].pk
    participant = _as(client, a["user"])
    for page in (f"/meetings/{meeting.pk}/", "/my/meetings/"):
        html = _html(participant.get(page))
        assert f'href="/my/meetings/registrations/{rid}.ics"' in html
        assert "カレンダーに追加（.ics）" in html
        assert f'href="/my/meetings/registrations/{rid}/qr/"' in html
    response = participant.get(f"/my/meetings/registrations/{rid}.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:" in response.content and meeting.title.encode() in response.content
    assert 'src="data:image/svg+xml;base64,' in _html(
        participant.get(f"/my/meetings/registrations/{rid}/qr/")
    )
    for path in (f"{rid}.ics", f"{rid}/qr/"):
        assert (
            _as(client, day["other"]).get(f"/my/meetings/registrations/{path}").status_code == 404
        )


def test_the_member_home_links_to_the_meetings(client, people):
    html = _html(_as(client, people["member"]).get("/my/"))
    assert 'href="/my/meetings/"' in html


# --- Notices open the right page, in the e-mail of each role ----------------------------------
def _mail_text(user, kind: str) -> str:
    """The text of the e-mail that delivers the user's latest notice of ``kind`` (the one
    written by its preference, or one made for the test when the kind waits for a digest)."""
    notification = Notification.objects.filter(recipient=user, kind=kind).latest("pk")
    delivery = Delivery.objects.filter(notification=notification).first()
    if delivery is None:
        delivery = Delivery.objects.create(
            recipient=user, notification=notification, next_attempt_at=timezone.now()
        )
    return emails.render_email(delivery)[1]


@override_settings(TSUNAGU_BASE_URL="https://tsunagu.example.jp")
def test_each_roles_email_links_to_its_page(day):
    meeting = day["meeting"]
    approval = _meeting(day, title="承認制の説明会", registration_mode="approval")
    newcomer = make_org("新しい団体", "citizen_group")
    newcomer_user = make_user("newcomer", newcomer)
    services.register(approval, newcomer, newcomer_user, 1)
    site = "https://tsunagu.example.jp"
    # The registrant: the meeting's page; the organizer: its own page.
    assert f"{site}/meetings/{approval.pk}/" in _mail_text(newcomer_user, "meeting.pending")
    assert f"{site}/my/meetings/{approval.pk}/#registrations" in _mail_text(
        day["staff"], "meeting.approval_requested"
    )
    a = day["reg"][0]
    assert f"{site}/meetings/{meeting.pk}/" in _mail_text(a["user"], "meeting.registered")
    # A coordinator, for a wish that could not become a request: the meeting's answers.
    _ended(meeting)
    Offer.objects.filter(organization=day["reg"][1]["org"]).update(status="closed")
    from meetings.day import wishes

    wishes.submit_wishes(meeting, a["user"], a["org"], [day["reg"][1]["org"].pk])
    assert f"{site}/my/meetings/{meeting.pk}/wishes/" in _mail_text(
        day["coordinator"], "meeting.wish_without_post"
    )
    assert mail.outbox == []  # rendered only, nothing sent
