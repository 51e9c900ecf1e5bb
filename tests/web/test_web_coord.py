"""The coordinators' web pages (``/coord/``): permissions, review queue, match board,
slots, full re-score, registry import, and that the pages run no inline script."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import make_offer, make_org
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from workflow_support import pair, suggest, two_party_match

from matching.models import ConsultationSlot, Match, RescoreRun, ReviewDecision
from matching.scoring import adapter

pytestmark = pytest.mark.django_db

PAGES = [
    "/coord/review/",
    "/coord/interest/",
    "/coord/matches/",
    "/coord/slots/",
    "/coord/organizations/unverified/",
    "/coord/rescore/",
    "/coord/import/",
]
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates" / "coordinator"


@pytest.fixture
def coord(client, people):
    client.force_login(people["coordinator"])
    return client


@pytest.fixture
def queue(people):
    need, good = pair(people)
    other = make_offer(
        people["group"], title="子育て世代の見守り", fields=["children"], areas=["t-minami"],
        forms=["commission"],
    )  # fmt: skip
    s_good = suggest(need, good, 0.9)
    s_good.components = [
        {"name": "field", "label": "分野", "value": 1.0, "weight": 0.3, "contribution": 0.3},
        {"name": "fairness", "label": "提案の偏りの調整", "value": 0.1, "weight": 0.1,
         "contribution": -0.01},
    ]  # fmt: skip
    s_good.weaknesses = ["期間が一部だけ重なる"]
    s_good.save()
    return {"need": need, "good": good, "other": other, "s_good": s_good,
            "s_other": suggest(need, other, 0.6)}  # fmt: skip


def key(need, offer) -> str:
    return f"{need.pk}:{offer.pk}"


def test_pages_are_for_coordinators_only(client, people):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for who in ("member", "staff"):
        client.force_login(people[who])
        for page in PAGES:
            assert client.get(page).status_code == 403, page
        assert client.post("/coord/rescore/").status_code == 403
    assert not RescoreRun.objects.exists()


def test_pages_render_for_a_coordinator_and_menu_link(coord, client, people):
    for page in PAGES:
        response = coord.get(page)
        assert response.status_code == 200, page
        assert 'href="/coord/review/"' in response.content.decode()
    client.force_login(people["member"])
    assert 'href="/coord/review/"' not in client.get("/").content.decode()


def test_queue_shows_both_sides_reasons_and_breakdown(coord, queue):
    html = coord.get("/coord/review/").content.decode()
    assert queue["need"].title in html and queue["good"].title in html
    assert "NPO法人みどりの手" in html and "テスト市 高齢福祉課" in html
    assert "＋ 分野が同じ" in html and "− 期間が一部だけ重なる" in html
    assert "提案の偏りの調整" in html and "-0.010" in html and "0.90" in html
    assert html.index(queue["good"].title) < html.index(queue["other"].title)


def test_queue_filters_keep_their_values(coord, queue):
    html = coord.get("/coord/review/", {"form": "commission", "min_score": "0.5"}).content
    html = html.decode()
    assert queue["other"].title in html and queue["good"].title not in html
    assert re.search(r'<option value="commission" selected>', html)
    assert 'value="0.5"' in html
    html = coord.get("/coord/review/", {"min_score": "0.7"}).content.decode()
    assert queue["good"].title in html and queue["other"].title not in html
    response = coord.get("/coord/review/", {"min_score": "abc"})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


def test_approve_creates_a_match(coord, people, queue):
    response = coord.post(
        "/coord/review/decide/",
        {"pair": key(queue["need"], queue["good"]), "decision": "approved",
         "next": "/coord/review/?min_score=0.3"},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain[-1][0] == "/coord/review/?min_score=0.3"
    match = Match.objects.get()
    assert match.need == queue["need"] and match.coordinator == people["coordinator"]
    html = response.content.decode()
    assert "マッチ「" in html and "を作成しました" in html
    assert f'value="{key(queue["need"], queue["good"])}"' not in html
    assert f'value="{key(queue["need"], queue["other"])}"' in html


def test_reject_needs_a_reason_then_leaves_the_queue(coord, queue):
    data = {"pair": key(queue["need"], queue["other"]), "decision": "rejected"}
    html = coord.post("/coord/review/decide/", data, follow=True).content.decode()
    assert "見送りの理由を選んでください。" in html and "どの組合せも処理していません" in html
    assert not ReviewDecision.objects.exists()
    html = coord.post(
        "/coord/review/decide/", {**data, "reason": "area", "comment": "南区の団体"}, follow=True
    ).content.decode()
    decision = ReviewDecision.objects.get()
    assert decision.reason.code == "area" and decision.comment == "南区の団体"
    assert queue["other"].title not in coord.get("/coord/review/").content.decode()


def test_bulk_is_all_or_nothing_and_reports_each_item(coord, people, queue):
    weak = make_offer(make_org("事業者A", "business"), title="弁当の配達")
    selected = [key(queue["need"], queue["good"]), key(queue["need"], weak)]  # no suggestion
    response = coord.post(
        "/coord/review/decide/", {"selected": selected, "decision": "approved"}, follow=True
    )
    html = response.content.decode()
    assert "この組合せは現在の提案にありません。" in html and "弁当の配達" in html
    assert not Match.objects.exists() and not ReviewDecision.objects.exists()
    selected = [key(queue["need"], queue["good"]), key(queue["need"], queue["other"])]
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = coord.post(
        "/coord/review/decide/",
        {"selected": selected, "decision": "deferred", "deferred_until": tomorrow},
        follow=True,
    )
    assert "2件の組合せを「保留」にしました。" in response.content.decode()
    assert ReviewDecision.objects.filter(decision="deferred").count() == 2
    html = coord.get("/coord/review/").content.decode()
    assert "審査を待っている組合せはありません。" in html
    # nothing selected
    html = coord.post("/coord/review/decide/", {"bulk": "1", "decision": "approved"}, follow=True)
    assert "組合せを1つ以上選んでください。" in html.content.decode()


def test_match_board_and_introduce_from_the_detail_page(coord, people):
    match = two_party_match(people)
    html = coord.get("/coord/matches/").content.decode()
    assert "提案段階" in html and "評価済み" in html and match.title in html
    assert "双方の団体に紹介する" in html and f"/coord/matches/{match.pk}/" in html
    html = coord.get(f"/coord/matches/{match.pk}/").content.decode()
    assert "紹介する" in html and "このマッチを中止する" in html
    response = coord.post(
        f"/coord/matches/{match.pk}/action/", {"action": "introduce", "comment": "よろしく"},
        follow=True,
    )  # fmt: skip
    match.refresh_from_db()
    assert match.state == "introduced"
    html = response.content.decode()
    assert "「紹介する」を実行しました。" in html and "よろしく" in html
    # a transition the state does not allow: a Japanese message, no change
    html = coord.post(
        f"/coord/matches/{match.pk}/action/", {"action": "introduce"}, follow=True
    ).content.decode()
    assert "はできません" in html
    # cancel needs a reason
    coord.post(f"/coord/matches/{match.pk}/action/", {"action": "cancel", "reason": ""})
    match.refresh_from_db()
    assert match.state == "introduced"
    coord.post(f"/coord/matches/{match.pk}/action/", {"action": "cancel", "reason": "事業の中止"})
    match.refresh_from_db()
    assert match.state == "cancelled" and match.decline_reason == "事業の中止"


def test_slot_publish_validates_and_cancel(coord):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    base = {"date": tomorrow.isoformat(), "start_time": "10:00", "end_time": "11:00",
            "place": "市民活動サポートセンター 相談室", "capacity": "2"}  # fmt: skip
    html = coord.post("/coord/slots/", {**base, "end_time": "09:00"}).content.decode()
    assert "終了時刻は開始時刻より後にしてください。" in html
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    html = coord.post("/coord/slots/", {**base, "date": yesterday}).content.decode()
    assert "過去の日時にはコマを作れません。" in html
    html = coord.post("/coord/slots/", {**base, "place": ""}).content.decode()
    assert "場所かオンライン会議のURLのどちらかを入力してください。" in html
    assert not ConsultationSlot.objects.exists()
    response = coord.post("/coord/slots/", base, follow=True)
    html = response.content.decode()
    slot = ConsultationSlot.objects.get()
    assert slot.capacity == 2 and "コマを公開しました" in html and "予約 0 / 2" in html
    assert "0 / 2" in html  # usage this fiscal year: booked / offered
    html = coord.post(f"/coord/slots/{slot.pk}/cancel/", {"reason": ""}, follow=True)
    slot.refresh_from_db()
    assert slot.is_cancelled and "コマを取り消しました" in html.content.decode()


def test_rescore_start_and_progress_page(coord, people):
    response = coord.post("/coord/rescore/", follow=True)
    run = RescoreRun.objects.get()
    assert run.requested_by == people["coordinator"]
    html = response.content.decode()
    assert "<progress" in html and f'data-url="/api/v1/matching/rescores/{run.pk}/"' in html
    assert "0%" in html
    RescoreRun.objects.filter(pk=run.pk).update(status="running", total_chunks=4, done_chunks=1)
    html = coord.get(f"/coord/rescore/?run={run.pk}").content.decode()
    assert 'value="25"' in html and "25</span>%" in html
    api = coord.get(f"/api/v1/matching/rescores/{run.pk}/")
    assert api.status_code == 200 and api.json()["percent_done"] == 25


HEADER = "登録番号,団体名,ふりがな,種別,活動分野,活動地域,メールアドレス"
GOOD = (
    f"{HEADER}\n"
    "A-001,ＮＰＯ法人みどりのまち,みどりのまち,NPO法人,環境,北区,info@midori.example.jp\n"
)
BAD = f"{GOOD}A-002,,,,,北区,not-an-email\n"


def test_import_preview_then_confirm(coord, city, settings, tmp_path):
    from organizations.models import Organization

    settings.VAR_DIR = tmp_path
    before = Organization.objects.count()
    upload = SimpleUploadedFile("meibo.csv", BAD.encode())
    html = coord.post("/coord/import/", {"file": upload}).content.decode()
    assert "エラーがあるため取り込めません" in html
    assert re.search(r'<td class="num">3</td>', html)
    assert "この内容で取り込む" not in html
    assert Organization.objects.count() == before
    upload = SimpleUploadedFile("meibo.csv", GOOD.encode())
    html = coord.post("/coord/import/", {"file": upload}).content.decode()
    assert "新規 1 件" in html and "この内容で取り込む" in html
    assert Organization.objects.count() == before
    token = coord.session["coord_import"]["token"]
    # The preview is kept on the server (organizations/imports/uploads.py), not the file.
    from organizations.imports.models import RegistryImport

    stored = RegistryImport.objects.get(token=token)
    assert stored.status == RegistryImport.Status.READY and stored.report and not stored.raw
    assert coord.post("/coord/import/confirm/", {"token": "wrong"}).status_code == 302
    assert Organization.objects.count() == before
    html = coord.post("/coord/import/confirm/", {"token": token}, follow=True).content.decode()
    assert "取り込みました: 作成 1" in html
    org = Organization.objects.get(external_id="A-001")
    assert org.source == "csv:meibo" and org.is_verified
    stored.refresh_from_db()
    assert stored.status == RegistryImport.Status.IMPORTED and stored.report is None
    assert "coord_import" not in coord.session


def test_unverified_organizations_and_verify(coord, people):
    org = make_org("<b>新しい会</b>", "citizen_group", contact_email="kai@example.jp")
    org.is_verified = False
    org.save()
    html = coord.get("/coord/organizations/unverified/").content.decode()
    assert "&lt;b&gt;新しい会&lt;/b&gt;" in html and "<b>新しい会" not in html
    assert "kai@example.jp" in html
    coord.post(f"/coord/organizations/{org.pk}/verify/")
    org.refresh_from_db()
    assert org.is_verified


def test_interest_requests_accept_and_decline(coord, people):
    from matching.matches import interest as interest_mod

    need, _offer = pair(people)
    other_need, _ = pair(people)
    first = interest_mod.create_interest_request(people["other"], people["group"], need=need)
    second = interest_mod.create_interest_request(people["other"], people["group"], need=other_need)
    html = coord.get("/coord/interest/").content.decode()
    assert "北区子育てサークルひだまり" in html
    coord.post(f"/coord/interest/{first.pk}/accept/", {"comment": ""})
    first.refresh_from_db()
    assert first.status == "accepted" and first.match is not None
    coord.post(f"/coord/interest/{second.pk}/decline/", {"comment": ""})
    second.refresh_from_db()
    assert second.status == "pending"
    coord.post(f"/coord/interest/{second.pk}/decline/", {"comment": "時期が合わない"})
    second.refresh_from_db()
    assert second.status == "declined"


def test_user_text_is_escaped(coord, people):
    need, offer = pair(people)
    need.title = "<script>alert(1)</script>見守り"
    need.save()
    suggest(need, offer, 0.9)
    html = coord.get("/coord/review/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;見守り" in html
    assert "<script>alert(1)" not in html


def test_engine_suggestion_in_the_page(coord, people):
    need, offer = pair(people)
    adapter.rescore_need(need.pk)
    html = coord.get("/coord/review/", {"min_score": "0"}).content.decode()
    assert offer.title in html


def test_script_is_served_and_no_inline_script(coord):
    from django.contrib.staticfiles import finders

    assert finders.find("web/rescore.js")
    html = coord.get("/coord/rescore/").content.decode()
    assert '<script src="/static/web/rescore.js" defer></script>' in html
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+=", text), path
