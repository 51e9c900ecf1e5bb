"""Issue 13 end to end in the browser, each role in its own browser context: a suggested
pair → the coordinator approves it and introduces the match → 相談を始める is disabled
while the NPO has not answered → both parties accept → consulting → the NPO records the
terms, the department sees 未確認 and confirms → agreed → the work starts and completes →
both parties evaluate and consent to publication → the coordinator evaluates beside the
parties' grades (「次にすること」 follows) and approves the public text → the case is in
the public 事例集.

Screenshots go to ``docs/screenshots/`` with ``TSUNAGU_DOC_SCREENSHOTS=1`` (as
``docs/screenshots/make.py``'s: the viewport, JPEG when a PNG is too large), else to the
test screenshots folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import make_need, make_offer
from playwright.sync_api import expect
from workflow_support import suggest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser]

NEED_TITLE = "子ども食堂の運営ボランティア募集"
OFFER_TITLE = "子ども食堂の調理と見守りを担います"
PUBLIC_TEXT = "地域の子ども食堂を市と団体が共に運営し、毎月100食を届けるようになりました。"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 300_000


def doc_shot(page, name: str, at=None) -> None:
    """A screenshot for docs/ (when asked for; the viewport from ``at``, a locator),
    else the test folder's full page."""
    if not os.environ.get("TSUNAGU_DOC_SCREENSHOTS"):
        shot(page, name)
        return
    if at is not None:
        at.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 16)")
    page.wait_for_timeout(300)
    png = DOCS / f"{name}.png"
    page.screenshot(path=str(png))
    if png.stat().st_size > MAX_BYTES:
        png.unlink()
        page.screenshot(path=str(DOCS / f"{name}.jpg"), type="jpeg", quality=80)


def step(page, match_pk: int, button: str, done: str) -> None:
    page.goto(f"/my/matches/{match_pk}/")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(done)


def coord_action(page, match_pk: int, button: str, label: str) -> None:
    page.goto(f"/coord/matches/{match_pk}/")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"「{label}」を実行しました")


def test_suggestion_to_case_book(new_page, people):
    from django.utils import timezone

    from matching.models import Match

    department, npo = people["department"], people["npo"]
    need = make_need(department, title=NEED_TITLE, fields=["children"], forms=["cooperation"])
    offer = make_offer(npo, title=OFFER_TITLE, fields=["children"], forms=["cooperation"])
    suggest(need, offer, 0.86)
    staff = new_page(people["staff"])
    member = new_page(people["member"])
    coord = new_page(people["coordinator"])

    # 1. The coordinator approves the suggested pair and introduces the match.
    coord.goto("/coord/review/")
    pair = coord.locator("li.coord-pair").filter(has_text=NEED_TITLE).filter(has_text=OFFER_TITLE)
    pair.get_by_role("button", name="承認する").click()
    expect(coord.get_by_role("status").first).to_contain_text("を作成しました")
    match = Match.objects.get(need=need)
    coord_action(coord, match.pk, "紹介する", "紹介する")

    # 2. The department says yes; consulting waits for the NPO (button disabled).
    step(
        staff, match.pk, f"{department.name}として前向きに回答する", "紹介に前向きに回答しました。"
    )
    coord.goto(f"/coord/matches/{match.pk}/")
    waiting = coord.get_by_role("button", name="相談を始める")
    expect(waiting).to_be_disabled()
    expect(coord.get_by_text(f"未回答: {npo.name}")).to_be_visible()
    expect(coord.get_by_text(f"{department.name}が前向きと回答")).to_be_visible()
    doc_shot(coord, "lifecycle-consulting-waits", coord.get_by_role("heading", name="参加団体"))
    step(member, match.pk, f"{npo.name}として前向きに回答する", "紹介に前向きに回答しました。")
    coord_action(coord, match.pk, "相談を始める", "相談を始める")
    expect(coord.get_by_text("回答期限")).to_have_count(0)

    # 3. The NPO records the terms; the department confirms them.
    today = timezone.localdate()
    member.goto(f"/my/matches/{match.pk}/")
    form = member.get_by_role("region", name="合意内容の記録")
    form.get_by_label("協働の形態").select_option(label="事業協力")
    form.get_by_label("開始日").fill(today.isoformat())
    form.get_by_label("終了日").fill(today.replace(year=today.year + 1).isoformat())
    form.get_by_label("予算・費用負担").fill("食材費は市が負担")
    form.get_by_label(f"{department.name}の役割").fill("会場の確保と広報")
    form.get_by_label(f"{npo.name}の役割").fill("調理と見守り")
    form.get_by_role("button", name="合意を記録する").click()
    expect(member.get_by_role("status")).to_contain_text("ほかの団体が確認すると合意が成立します")
    staff.goto(f"/my/matches/{match.pk}/")
    terms = staff.get_by_role("region", name="合意内容", exact=True)
    expect(terms).to_contain_text(f"{department.name}: 未確認")
    expect(terms).to_contain_text(f"{npo.name}: 確認済み")
    doc_shot(staff, "lifecycle-confirm-terms", terms)
    terms.get_by_role("button", name=f"{department.name}としてこの内容を確認する").click()
    expect(staff.get_by_role("status")).to_contain_text("合意内容を確認しました。")
    assert Match.objects.get(pk=match.pk).state == "agreed"

    # 4. The work starts and completes (the period starts today).
    step(staff, match.pk, "協働を開始する", "協働を開始しました。")
    step(member, match.pk, "完了を報告する", "完了を報告しました。")

    # 5. Both parties evaluate and consent to publication.
    for page, own, grade in ((staff, department, "A"), (member, npo, "B")):
        page.goto(f"/my/matches/{match.pk}/")
        form = page.get_by_role("region", name=f"評価の記入（{own.name}）")
        form.get_by_role("radio", name=re.compile(f"^{grade}: ")).check()
        form.get_by_label("効果").fill("毎月100食を届けられるようになった。")
        form.get_by_label("事例集への掲載に同意する").check()
        form.get_by_role("button", name="評価を送る").click()
        expect(page.get_by_role("status")).to_contain_text("評価を記録しました。")

    # 6. The coordinator sees the parties' grades, evaluates, approves the public text.
    coord.goto(f"/coord/matches/{match.pk}/")
    expect(coord.get_by_text("コーディネーターの評価を記入する").first).to_be_visible()
    expect(coord.get_by_text("評価の回答を待つ")).to_have_count(0)
    grades = coord.get_by_role("table", name="各団体とコーディネーターの評価")
    expect(grades).to_contain_text("A: 目標を上回った")
    expect(grades).to_contain_text("B: 目標を達成した")
    evaluation = coord.get_by_role("form", name="コーディネーターの評価")
    evaluation.get_by_role("radio", name=re.compile("^A: ")).check()
    evaluation.get_by_label("効果").fill("地域の担い手が増えた。")
    evaluation.get_by_label("問題点").fill("食材の調達に波がある。")
    doc_shot(coord, "lifecycle-coordinator-evaluation", coord.locator("#evaluations"))
    evaluation.get_by_role("button", name="評価を記録する").click()
    expect(coord.get_by_role("status")).to_contain_text("「評価を記入する」を実行しました")
    assert Match.objects.get(pk=match.pk).state == "evaluated"
    publication = coord.get_by_role("region", name="事例集への掲載")
    publication.get_by_label("事例集に載せる文章").fill(PUBLIC_TEXT)
    publication.get_by_role("button", name="この文章で承認する").click()
    expect(coord.get_by_role("status")).to_contain_text(
        "「事例集の公開文を承認する」を実行しました"
    )
    expect(coord.get_by_role("region", name="事例集への掲載")).to_contain_text(
        "事例集に公開中です。"
    )
    expect(coord.get_by_text("コーディネーターが事例集の公開文を承認")).to_be_visible()
    doc_shot(coord, "lifecycle-coordinator-match", coord.locator("#evaluations"))

    # 7. The case is in the public 事例集.
    visitor = new_page()
    visitor.goto("/cases/")
    case = visitor.get_by_role("listitem").filter(
        has=visitor.get_by_role("heading", name=match.title)
    )
    expect(case).to_contain_text(PUBLIC_TEXT)
    expect(case).to_contain_text(department.name)
    doc_shot(visitor, "lifecycle-case-book")
