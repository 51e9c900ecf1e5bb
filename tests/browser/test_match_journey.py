"""Issue 6 "Done when", end to end in the browser, each role in its own browser context:

a city department posts a theme on /my/ → a real Celery worker computes suggestions and
the department sees them with reasons → the coordinator approves the pair in the review
queue and introduces the match → both parties see each other's contact details and accept
→ the coordinator publishes a consultation slot, a party books it and downloads the .ics
→ consulting, agreed, active, completed → both parties evaluate (A–D) → the coordinator's
KPI dashboard counts the match and the grades.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import make_offer
from django.utils import timezone
from playwright.sync_api import expect
from worker import wait_for

from tests.browser.conftest import number_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.worker]

NEED_TITLE = "防災訓練の企画・運営パートナー募集"
OFFER_TITLE = "避難所運営ゲーム（HUG）と防災訓練の企画"


def kpi_numbers(page) -> dict[str, int]:
    page.goto("/coord/kpi/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("KPIダッシュボード")
    total = page.locator("p.stat", has_text="マッチ数（年度内に作成）").locator("strong")
    grades = page.get_by_role("table", name="評価の分布（年度内に記入された評価）")
    numbers = {"matches": number_in(total.inner_text())}
    for grade in "ABCD":
        row = grades.get_by_role("row", name=re.compile(f"^{grade}: "))
        numbers[grade] = number_in(row.get_by_role("cell").inner_text())
    return numbers


def open_match_from_home(page, title: str) -> None:
    page.goto("/my/")
    section = page.get_by_role("region", name="協働の状況")
    section.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def party_step(page, match_pk: int, button: str, done: str) -> None:
    """A party moves the match on with its button on /my/matches/<pk>/."""
    page.goto(f"/my/matches/{match_pk}/")
    page.get_by_role("region", name="次の段階へ").get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(done)


def test_department_to_kpi_end_to_end(new_page, people, celery_worker):
    from matching.models import ConsultationBooking, Match, Suggestion

    make_offer(
        people["npo"],
        title=OFFER_TITLE,
        description="防災士が避難所運営ゲームを使った訓練を企画し、当日の運営を手伝います。",
        fields=["disaster"],
        areas=["t-kita"],
        forms=["cooperation"],
    )
    department, npo = people["department"], people["npo"]
    staff = new_page(people["staff"], login=True)  # the real login form, once
    member = new_page(people["member"])
    coord = new_page(people["coordinator"])
    before = kpi_numbers(coord)

    # 1. The department posts a theme on マイページ.
    staff.goto("/my/")
    expect(staff.get_by_role("heading", name="マイページ", level=1)).to_be_visible()
    staff.get_by_role("link", name="協働テーマを投稿する").click()
    staff.get_by_label("タイトル").fill(NEED_TITLE)
    staff.get_by_label("内容").fill(
        "避難所運営訓練を住民と一緒に企画し、当日の運営を担ってくれる団体を探しています。"
    )
    staff.get_by_label("災害救援").check()
    staff.get_by_label("地域", exact=True).select_option("t-kita")
    staff.get_by_label("事業協力").check()
    staff.get_by_label("共催").check()
    staff.get_by_label("開始日").fill("2026-04-01")
    staff.get_by_label("終了日").fill("2027-03-31")
    staff.get_by_role("button", name="保存する").click()
    expect(staff.get_by_role("status")).to_contain_text(f"「{NEED_TITLE}」を保存しました。")
    shot(staff, "member-home")

    # 2. The worker scores it; the department sees the partner with reasons.
    assert wait_for(lambda: Suggestion.objects.filter(need__title=NEED_TITLE).exists(), 60), (
        celery_worker.read_log()
    )
    staff.reload()
    posts = staff.get_by_role("region", name="団体の投稿")
    row = posts.get_by_role("row").filter(has_text=NEED_TITLE)
    row.get_by_role("link", name=re.compile(r"^\d+ 件$")).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("のマッチング候補")
    first = staff.get_by_role("listitem").filter(has=staff.get_by_role("link", name=OFFER_TITLE))
    expect(first.get_by_role("heading", name="合っている点")).to_be_visible()
    expect(first.locator("ul.pros li").first).not_to_be_empty()
    first.get_by_text("点数の内訳").click()
    expect(first.get_by_role("table")).to_be_visible()
    shot(staff, "suggestions")

    # 3. The coordinator approves the pair in the review queue, then introduces the match.
    coord.goto("/coord/review/")
    expect(coord.get_by_role("heading", name="提案の審査", level=1)).to_be_visible()
    pair = coord.locator("li.coord-pair").filter(has_text=NEED_TITLE).filter(has_text=OFFER_TITLE)
    expect(pair.get_by_role("heading", name="良い点")).to_be_visible()
    shot(coord, "coord-review")
    pair.get_by_role("button", name="承認する").click()
    expect(coord.get_by_role("status").first).to_contain_text("を作成しました")
    match = Match.objects.get(need__title=NEED_TITLE)
    coord.get_by_role("navigation", name="コーディネーターのメニュー").get_by_role(
        "link", name="マッチ一覧"
    ).click()
    coord.get_by_role("link", name=match.title).first.click()
    expect(coord.get_by_role("heading", name=match.title, level=1)).to_be_visible()
    coord.get_by_role("button", name="紹介する", exact=True).click()
    expect(coord.get_by_role("status")).to_contain_text("「紹介する」を実行しました")

    # The coordinator publishes a consultation slot (tomorrow, 10:00–11:00).
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    coord.goto("/coord/slots/")
    coord.get_by_label("日付").fill(tomorrow.isoformat())
    coord.get_by_label("開始時刻").fill("10:00")
    coord.get_by_label("終了時刻").fill("11:00")
    coord.get_by_label("場所").fill("市役所 本庁舎 3階 市民協働相談室")
    coord.get_by_role("button", name="公開する").click()
    expect(coord.get_by_role("status")).to_contain_text("のコマを公開しました")
    # and a second one at 14:00, for the party to move the consultation to.
    coord.get_by_label("日付").fill(tomorrow.isoformat())
    coord.get_by_label("開始時刻").fill("14:00")
    coord.get_by_label("終了時刻").fill("15:00")
    coord.get_by_label("場所").fill("市役所 本庁舎 3階 市民協働相談室")
    coord.get_by_role("button", name="公開する").click()
    expect(coord.get_by_role("status")).to_contain_text("14:00 のコマを公開しました")
    shot(coord, "coord-slots")

    # 4. Both parties see each other's contact details and accept.
    for page, own, other in ((staff, department, npo), (member, npo, department)):
        open_match_from_home(page, match.title)
        partner = (
            page.get_by_role("region", name="参加団体")
            .get_by_role("listitem")
            .filter(has=page.get_by_role("heading", name=other.name))
        )
        expect(partner.get_by_role("link", name=other.contact_email)).to_be_visible()
        expect(partner.get_by_text(other.contact_phone)).to_be_visible()
        expect(partner.get_by_text(other.contact_name)).to_be_visible()
        page.get_by_role("button", name=f"{own.name}として前向きに回答する").click()
        expect(page.get_by_role("status")).to_contain_text("紹介に前向きに回答しました。")
    shot(member, "match-page")

    # 5. A party books the slot and downloads the .ics.
    member.goto(f"/my/matches/{match.pk}/")
    consult = member.get_by_role("region", name="事前相談")
    consult.get_by_role("radio", name=re.compile("10:00〜11:00")).check()
    consult.get_by_role("button", name="この枠で予約する").click()
    expect(member.get_by_role("status")).to_contain_text("事前相談を予約しました。")
    # The other party cannot come at 10:00: the consultation moves to 14:00.
    move = consult.get_by_label("日時の変更")
    move.select_option(move.locator("option", has_text="14:00〜15:00").get_attribute("value"))
    consult.get_by_role("button", name="この枠に変更する").click()
    expect(member.get_by_role("status")).to_contain_text("事前相談の日時を変更しました。")
    with member.expect_download() as download:
        member.get_by_role("region", name="事前相談").get_by_role(
            "link", name="カレンダーに追加（.ics）"
        ).click()
    ics = open(download.value.path(), encoding="utf-8").read()
    assert download.value.suggested_filename.endswith(".ics")
    assert "BEGIN:VCALENDAR" in ics and "BEGIN:VEVENT" in ics
    assert f"DTSTART;TZID=Asia/Tokyo:{tomorrow:%Y%m%d}T140000" in ics or (
        f"DTSTART:{tomorrow:%Y%m%d}T050000Z" in ics
    ), ics
    assert ConsultationBooking.objects.filter(match=match, status="booked").count() == 1

    # 6. consulting → agreed → active → completed.
    party_step(member, match.pk, "事前相談を始める", "事前相談を始めました。")
    agree(member, match, department, npo)
    # Issue 13: the department confirms the terms the NPO recorded.
    staff.goto(f"/my/matches/{match.pk}/")
    staff.get_by_role("button", name=f"{department.name}としてこの内容を確認する").click()
    expect(staff.get_by_role("status")).to_contain_text("合意内容を確認しました。")
    match.refresh_from_db()
    assert match.state == "agreed", match.state
    party_step(staff, match.pk, "協働を開始する", "協働を開始しました。")
    party_step(staff, match.pk, "完了を報告する", "完了を報告しました。")
    match.refresh_from_db()
    assert match.state == "completed", match.state

    # 7. Both parties evaluate.
    for page, own, grade in ((staff, department, "A"), (member, npo, "B")):
        open_match_from_home(page, match.title)
        form = page.get_by_role("region", name=f"評価の記入（{own.name}）")
        form.get_by_role("radio", name=re.compile(f"^{grade}: ")).check()
        form.get_by_label("効果").fill("住民の参加が前年の2倍になった。")
        form.get_by_role("button", name="評価を送る").click()
        expect(page.get_by_role("status")).to_contain_text("評価を記録しました。")
        expect(page.get_by_role("region", name=f"評価の記入（{own.name}）")).to_have_count(0)

    # 8. The KPI dashboard counts them.
    after = kpi_numbers(coord)
    shot(coord, "coord-kpi")
    assert after["matches"] == before["matches"] + 1
    assert after["A"] == before["A"] + 1 and after["B"] == before["B"] + 1
    assert after["C"] == before["C"] and after["D"] == before["D"]


def agree(page, match, department, npo) -> None:
    """A party records what was agreed in consultation (「合意内容の記録」)."""
    page.goto(f"/my/matches/{match.pk}/")
    form = page.get_by_role("region", name="合意内容の記録")
    form.get_by_label("協働の形態").select_option(label="事業協力")
    form.get_by_label("開始日").fill("2026-05-01")
    form.get_by_label("終了日").fill("2027-03-31")
    form.get_by_label("予算・費用負担").fill("会場費は市が負担、教材費は団体が負担")
    form.get_by_label(f"{department.name}の役割").fill("会場の確保と住民への広報")
    form.get_by_label(f"{npo.name}の役割").fill("訓練の企画と当日の運営")
    shot(page, "match-agree")
    form.get_by_role("button", name="合意を記録する").click()
    expect(page.get_by_role("status")).to_contain_text("合意内容を記録しました。")
    terms = page.get_by_role("region", name="合意内容", exact=True)
    expect(terms).to_contain_text("事業協力")
    expect(terms).to_contain_text("会場費は市が負担")
    match.refresh_from_db()
    assert match.state == "consulting", match.state  # until the other party confirms
