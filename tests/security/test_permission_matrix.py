"""The permission matrix (tsunagu/permission_matrix.py), cell by cell, through the real API
and web pages.

One test per cell: ``<role>-<action>-<channel>``, e.g. ``coordinator-approve_suggestion-api``.
Each sends the row's request as the role and checks the expected answer AND its effect:
allowed → the state really changed (or the data is in the answer); refused → the expected
status, nothing saved or changed, and no private contact detail in the answer.

Speed: the world (organizations, people, posts, a match in every state, slots, bookings,
notifications) is built once for the module inside a transaction that is rolled back at the
end; each test runs in a savepoint of it (pytest-django's ``db``), so every cell starts from
the same state. Run: ``pytest tests/test_permission_matrix.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import make_need, make_offer, make_org, make_user
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from permission_matrix import ROWS, Row, cells, render_markdown
from rest_framework.test import APIClient

# Private contact details that must never appear in a refused or filtered answer.
OWNER_CONTACTS = {
    "contact_name": "権限 太郎",
    "contact_email": "owner-contact@example.jp",
    "contact_phone": "045-111-2222",
    "address": "テスト市北区権限町1-1",
}
PARTNER_CONTACTS = {
    "contact_name": "協働 花子",
    "contact_email": "partner-contact@example.jp",
    "contact_phone": "045-333-4444",
    "address": "テスト市役所3階",
}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --------------------------------------------------------------------------- the world
def _build() -> dict[str, Any]:
    from rest_framework.authtoken.models import Token
    from workflow_support import agree_terms, drive, suggest

    from matching.consultations import services as consultations
    from matching.consultations import slots as consultation_slots
    from matching.matches import workflow
    from matching.models import ContinuationFollowUp, InterestRequest, Match, MatchParty
    from matching.outcomes import evaluations as evaluations_mod
    from notifications.models import Notification
    from organizations.models import DeletionRequest, Membership, User
    from organizations.privacy import log_personal_data_access

    w: dict[str, Any] = {}
    owner_org = make_org("NPO法人 権限テストの会", "npo_corporation", **OWNER_CONTACTS)
    partner_org = make_org("テスト市 協働推進課", "city_department", **PARTNER_CONTACTS)
    other_org = make_org("ほかの市民活動団体", "citizen_group")
    staff_org = make_org("テスト市 別の課", "city_department")
    pending_org = make_org("確認待ちの会", "citizen_group", is_verified=False)
    users = {
        "owner": make_user("p-owner", owner_org, role="admin"),
        "other": make_user("p-other", other_org),
        "staff": make_user("p-staff", staff_org),
        "coordinator": make_user("p-coordinator", is_coordinator=True),
        "admin": User.objects.create_superuser("p-admin", "p-admin@example.jp", None),
        "partner": make_user("p-partner", partner_org),
    }
    Membership.objects.create(user=users["owner"], organization=pending_org, role="admin")
    coordinator = users["coordinator"]
    for name, org in [("owner_org", owner_org), ("partner_org", partner_org),
                      ("pending_org", pending_org)]:  # fmt: skip
        w[name] = org.pk
    w["users"] = {role: user.pk for role, user in users.items()}
    w["tokens"] = {role: Token.objects.create(user=u).key for role, u in users.items()}
    # One signed-in session per role, made once (force_login per test is the slow part).
    w["sessions"] = {}
    for role, user in users.items():
        browser = Client()
        browser.force_login(user)
        w["sessions"][role] = browser.cookies[settings.SESSION_COOKIE_NAME].value

    open_offer = make_offer(owner_org, "権限テストの公開シーズ")
    w["open"] = open_offer.pk
    w["open_title"] = open_offer.title
    w["draft"] = make_offer(owner_org, "権限テストの下書きシーズ", status="draft").pk
    w["closed"] = make_need(owner_org, "権限テストの終了ニーズ", status="closed").pk
    partner_need = make_need(partner_org, "協働推進課の公開ニーズ")
    w["partner_need"] = partner_need.pk
    w["partner_need_title"] = partner_need.title
    suggest(partner_need, open_offer, score=0.95)

    asked = make_need(partner_org, "紹介依頼先のニーズ")
    w["interest"] = InterestRequest.objects.create(
        organization=owner_org, need=asked, requested_by=users["owner"], message="話したい"
    ).pk

    for state in ("proposed", "introduced", "accepted", "consulting", "agreed", "active",
                  "completed", "evaluated"):  # fmt: skip
        need = make_need(partner_org, f"{state}のニーズ")
        offer = make_offer(owner_org, f"{state}のシーズ")
        match = workflow.create_match(
            coordinator,
            parties=[
                workflow.PartySpec(partner_org, MatchParty.Role.NEED_POSTER),
                workflow.PartySpec(owner_org, MatchParty.Role.OFFER_POSTER),
            ],
            need=need,
            offer=offer,
            title=f"権限テストのマッチ（{state}）",
            origin=Match.Origin.SUGGESTION,
        )
        if state == "accepted":
            drive(match, "introduced", coordinator)
            for party in match.parties.all():
                workflow.respond(match, coordinator, party.organization, True)
        elif state == "evaluated":
            match = drive(match, "completed", coordinator)
            for user, org in ((users["partner"], partner_org), (users["owner"], owner_org)):
                evaluations_mod.record_evaluation(match, user, org, "A", publish_consent=True)
            evaluations_mod.record_evaluation(match, coordinator, None, "A")
            assert Match.objects.get(pk=match.pk).state == "evaluated"
            # Issue 13: public once a coordinator approved the text, too.
            from matching.outcomes import case_book

            case_book.approve_text(match, coordinator, "権限テストの事例の公開文")
        else:
            drive(match, state, coordinator)
        w[state] = match.pk
        w[f"{state}_title"] = match.title
    # Terms recorded by the partner: the owner's confirmation is what is awaited.
    recorded = drive(
        workflow.create_match(
            coordinator,
            parties=[
                workflow.PartySpec(partner_org, MatchParty.Role.NEED_POSTER),
                workflow.PartySpec(owner_org, MatchParty.Role.OFFER_POSTER),
            ],
            need=make_need(partner_org, "合意内容の確認待ちのニーズ"),
            offer=make_offer(owner_org, "合意内容の確認待ちのシーズ"),
            title="権限テストのマッチ（合意内容の確認待ち）",
            origin=Match.Origin.SUGGESTION,
        ),
        "consulting",
        coordinator,
    )
    workflow.agree(recorded, users["partner"], **agree_terms(recorded))
    w["terms_recorded"] = recorded.pk
    completed = Match.objects.get(pk=w["completed"])
    evaluations_mod.record_evaluation(
        completed, users["partner"], partner_org, "B", effects="協働推進課からの評価コメント"
    )
    follow_up = ContinuationFollowUp.objects.filter(match=completed, organization=owner_org)
    follow_up.update(due_on=timezone.localdate() - dt.timedelta(days=1))
    w["follow_up"] = follow_up.order_by("months").first().pk

    def publish(days: int, place: str):
        start = timezone.now() + dt.timedelta(days=days)
        end = start + dt.timedelta(hours=1)
        return consultation_slots.publish_slot(
            coordinator, starts_at=start, ends_at=end, place=place, capacity=3
        )

    w["free_slot"] = publish(7, "Room-1F").pk
    booked_slot = publish(8, "Room-7F")
    consulting = Match.objects.get(pk=w["consulting"])
    w["booking"] = consultations.book(booked_slot, consulting, users["owner"]).pk

    # Meetings (交流の場): organized by the owner's organization or by the partner's.
    from meetings import services as meetings

    def meeting(organizer, user, title: str, publish: bool = True, **extra):
        start = timezone.now() + dt.timedelta(days=12)
        made = meetings.create_meeting(
            user, organizer, kind="exchange", title=title, starts_at=start,
            ends_at=start + dt.timedelta(hours=2), capacity=10, **extra,
        )  # fmt: skip
        return meetings.publish(made, user) if publish else made

    owned = meeting(owner_org, users["owner"], "権限テストの交流会")
    w["meeting"] = owned.pk
    meetings.register(owned, partner_org, users["partner"], 2, ["権限 参加者名", "権限 次郎"])
    w["draft_meeting"] = meeting(owner_org, users["owner"], "権限テストの下書き会合", False).pk
    w["open_meeting"] = meeting(partner_org, users["partner"], "協働推進課の交流会").pk
    partner_meeting = meeting(partner_org, users["partner"], "協働推進課の意見交換会")
    w["partner_meeting"] = partner_meeting.pk
    w["own_registration"] = meetings.register(partner_meeting, owner_org, users["owner"], 1).pk
    approval = meeting(
        owner_org, users["owner"], "権限テストの承認制の会", registration_mode="approval"
    )
    w["approval_meeting"] = approval.pk
    w["pending_registration"] = meetings.register(approval, partner_org, users["partner"], 1).pk
    # The day and after: the owner's meeting under way (the partner registered), and a
    # partner's meeting that ended, where the owner's organization took part.
    from meetings.day import reports as meeting_reports
    from meetings.models import Meeting

    under_way = meeting(owner_org, users["owner"], "権限テストの当日の会")
    checkin = meetings.register(under_way, partner_org, users["partner"], 2, ["権限 受付者"])
    w["started_meeting"], w["checkin_registration"] = under_way.pk, checkin.pk
    w["checkin_token"] = checkin.checkin_token
    past = meeting(partner_org, users["partner"], "権限テストの開催済みの会")
    meetings.register(past, owner_org, users["owner"], 1)
    now = timezone.now()
    for made, start in ((under_way, now - dt.timedelta(minutes=30)),
                        (past, now - dt.timedelta(hours=3))):  # fmt: skip
        Meeting.objects.filter(pk=made.pk).update(
            starts_at=start, ends_at=start + dt.timedelta(hours=2), registration_deadline=None
        )
        made.refresh_from_db()
    meeting_reports.save_minutes(past, users["partner"], "権限テストの議事録")
    meeting_reports.save_report(past, users["partner"], "権限テストの開催報告", True)
    w["ended_meeting"] = past.pk

    w["notifications"] = {
        role: Notification.objects.create(
            recipient=user, kind="test", title=f"権限テストの通知（{role}）"
        ).pk
        for role, user in users.items()
    }
    w["victim_title"] = "権限テストの通知（partner）"

    # A request already handled (so a new one may still be made), and one access-log entry.
    w["deletion_request"] = DeletionRequest.objects.create(
        organization=owner_org, requested_by=users["owner"], reason="権限テストの過去の削除請求",
        status=DeletionRequest.Status.REJECTED, due_on=timezone.localdate(),
    ).pk  # fmt: skip
    log_personal_data_access(
        coordinator, [owner_org], via="web:test", record="権限テストの閲覧記録"
    )
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, rolled back at the end of the module; tests run in savepoints of it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # conftest's fast hasher is per test; the world's users are made before it.
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                built = _build()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --------------------------------------------------------------------------- one cell
@dataclass
class Cell:
    role: str
    row: Row
    expected: str
    w: dict[str, Any]

    def __post_init__(self) -> None:
        from organizations.models import User

        self.user = None
        self.api = APIClient()
        self.web = Client()
        if self.role != "anonymous":
            self.user = User.objects.get(pk=self.w["users"][self.role])
            self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.w['tokens'][self.role]}")
            self.web.cookies[settings.SESSION_COOKIE_NAME] = self.w["sessions"][self.role]

    @property
    def ok(self) -> bool:
        return self.expected == "ok"

    def __getitem__(self, name: str) -> Any:
        return self.w[name]

    def check(self, response, *, shown: bool | None = None, changed: bool | None = None) -> None:
        """The answer matches the cell, and so does its effect (``shown``: the data is in
        the answer; ``changed``: the state changed)."""
        status, exp, api = response.status_code, self.expected, self.row.channel == "api"
        where = response.get("Location", "")
        info = (
            f"{self.role} {self.row.key}-{self.row.channel}: expected {exp}, got {status} {where}"
        )
        if exp in ("ok", "no-op"):
            assert 200 <= status < 400, info
            assert "login" not in where, info
        elif exp == "login":
            if api:
                assert status == 401, info
            else:
                assert status == 302 and "/login/" in where, info
        elif exp == "hidden":
            assert status == 200, info
        elif exp == "invalid":
            assert status == (400 if api else 200), info
        else:
            assert status == int(exp), info
        if shown is not None:
            assert shown == self.ok, f"{info}; data shown: {shown}"
        if changed is not None:
            assert changed == self.ok, f"{info}; state changed: {changed}"
        if not self.ok:
            body = _body(response)
            leaked = [v for v in PARTNER_CONTACTS.values() if v in body]
            if self.role != "owner":
                leaked += [v for v in OWNER_CONTACTS.values() if v in body]
            assert not leaked, f"{info}; contact details in the answer: {leaked}"


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _has(response, *markers: str) -> bool:
    body = _body(response)
    return all(m in body for m in markers)


SCENARIOS: dict[tuple[str, str], Callable[[Cell], None]] = {}


def scenario(key: str, channel: str):
    def register(func: Callable[[Cell], None]) -> Callable[[Cell], None]:
        SCENARIOS[(key, channel)] = func
        return func

    return register


def _match_state(pk: int) -> str:
    from matching.models import Match

    return Match.objects.get(pk=pk).state


# --------------------------------------------------------------------------- posts
@scenario("post_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/offers/?page_size=100")
    c.check(r, shown=_has(r, c["open_title"]))


@scenario("post_list", "web")
def _(c: Cell) -> None:
    r = c.web.get("/menu/?type=offers")
    c.check(r, shown=_has(r, c["open_title"]))


@scenario("post_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/offers/{c['open']}/")
    c.check(r, shown=_has(r, c["open_title"]))


@scenario("post_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/offers/{c['open']}/")
    c.check(r, shown=_has(r, c["open_title"]))


@scenario("draft_in_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/offers/?status=draft")
    c.check(r, shown=_has(r, "権限テストの下書きシーズ"))


@scenario("draft_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/offers/{c['draft']}/")
    c.check(r, shown=_has(r, "権限テストの下書きシーズ"))


@scenario("draft_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/offers/{c['draft']}/")
    c.check(r, shown=_has(r, "権限テストの下書きシーズ"))


@scenario("draft_edit_form", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/offers/{c['draft']}/edit/")
    c.check(r, shown=_has(r, "権限テストの下書きシーズ"))


@scenario("closed_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/needs/{c['closed']}/")
    c.check(r, shown=_has(r, "権限テストの終了ニーズ"))


@scenario("closed_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/needs/{c['closed']}/")
    c.check(r, shown=_has(r, "権限テストの終了ニーズ"))


def _offer_titled(title: str) -> bool:
    from proposals.models import Offer

    return Offer.objects.filter(title=title).exists()


@scenario("post_create", "api")
def _(c: Cell) -> None:
    body = {"organization": c["owner_org"], "title": "新しいシーズ（API）",
            "description": "説明", "status": "open", "capacity": 1}  # fmt: skip
    r = c.api.post("/api/v1/offers/", body, format="json")
    c.check(r, changed=_offer_titled("新しいシーズ（API）"))


@scenario("post_create", "web")
def _(c: Cell) -> None:
    body = {"organization": c["owner_org"], "title": "新しいシーズ（画面）",
            "description": "説明", "status": "open", "capacity": 1}  # fmt: skip
    r = c.web.post("/my/offers/new/", body)
    c.check(r, changed=_offer_titled("新しいシーズ（画面）"))


@scenario("post_edit", "api")
def _(c: Cell) -> None:
    r = c.api.patch(f"/api/v1/offers/{c['open']}/", {"title": "改題（API）"}, format="json")
    c.check(r, changed=_offer_titled("改題（API）"))


@scenario("post_edit", "web")
def _(c: Cell) -> None:
    body = {"title": "改題（画面）", "description": "説明", "status": "open", "capacity": 2}
    r = c.web.post(f"/my/offers/{c['open']}/edit/", body)
    c.check(r, changed=_offer_titled("改題（画面）"))


@scenario("post_delete", "api")
def _(c: Cell) -> None:
    r = c.api.delete(f"/api/v1/offers/{c['open']}/")
    c.check(r, changed=not _offer_titled(c["open_title"]))


@scenario("suggestions", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/offers/{c['open']}/suggestions/")
    c.check(r, shown=_has(r, c["partner_need_title"]))


@scenario("suggestions", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/offers/{c['open']}/suggestions/")
    c.check(r, shown=_has(r, c["partner_need_title"]))


# --------------------------------------------------------------------------- organizations
def _org(pk: int):
    from organizations.models import Organization

    return Organization.objects.get(pk=pk)


@scenario("org_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/organizations/?page_size=100")
    c.check(r, shown=_has(r, "NPO法人 権限テストの会"))


@scenario("org_list", "web")
def _(c: Cell) -> None:
    r = c.web.get("/organizations/?q=権限テスト")
    c.check(r, shown=_has(r, "NPO法人 権限テストの会"))


@scenario("org_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/organizations/{c['owner_org']}/")
    c.check(r, shown=_has(r, "NPO法人 権限テストの会"))


@scenario("org_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/organizations/{c['owner_org']}/")
    c.check(r, shown=_has(r, "NPO法人 権限テストの会"))


@scenario("org_contacts", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/organizations/{c['owner_org']}/")
    c.check(r, shown=_has(r, *OWNER_CONTACTS.values()))
    if not c.ok:  # not even one of them
        assert not any(_has(r, v) for v in OWNER_CONTACTS.values())


@scenario("org_contacts_in_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/organizations/?page_size=100")
    c.check(r, shown=_has(r, *OWNER_CONTACTS.values()))
    if not c.ok:
        assert not any(_has(r, v) for v in OWNER_CONTACTS.values())


@scenario("org_contacts", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/organizations/{c['owner_org']}/")
    c.check(r, shown=any(_has(r, v) for v in OWNER_CONTACTS.values()))


@scenario("org_edit", "api")
def _(c: Cell) -> None:
    body = {"description": "新しい団体紹介"}
    r = c.api.patch(f"/api/v1/organizations/{c['owner_org']}/", body, format="json")
    c.check(r, changed=_org(c["owner_org"]).description == "新しい団体紹介")


@scenario("pending_org_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/organizations/{c['pending_org']}/")
    c.check(r, shown=_has(r, "確認待ちの会"))


@scenario("pending_org_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/organizations/{c['pending_org']}/")
    c.check(r, shown=_has(r, "確認待ちの会"))


@scenario("org_self_verify", "api")
def _(c: Cell) -> None:
    body = {"is_verified": True}
    r = c.api.patch(f"/api/v1/organizations/{c['pending_org']}/", body, format="json")
    c.check(r, changed=_org(c["pending_org"]).is_verified)


@scenario("org_kind_change", "api")
def _(c: Cell) -> None:
    body = {"kind": "city_department"}
    r = c.api.patch(f"/api/v1/organizations/{c['owner_org']}/", body, format="json")
    c.check(r, changed=_org(c["owner_org"]).kind == "city_department")


def _department_registered(name: str) -> bool:
    from organizations.models import Organization

    return Organization.objects.filter(name=name, kind="city_department").exists()


@scenario("org_register_department", "api")
def _(c: Cell) -> None:
    body = {"name": "権限テスト市 なりすまし課（API）", "kind": "city_department"}
    r = c.api.post("/api/v1/organizations/", body, format="json")
    c.check(r, changed=_department_registered(body["name"]))


@scenario("org_register_department", "web")
def _(c: Cell) -> None:
    body = {"username": f"signup-{c.role}", "display_name": "登録 太郎",
            "email": "signup@example.jp", "password1": "Kind-rule-2026-xyz",
            "password2": "Kind-rule-2026-xyz", "org_name": "権限テスト市 なりすまし課（画面）",
            "kind": "city_department", "contact_name": "登録 太郎",
            "contact_email": "signup@example.jp"}  # fmt: skip
    r = c.web.post("/accounts/signup/", body)
    c.check(r, changed=_department_registered(body["org_name"]))


@scenario("unverified_list", "web")
def _(c: Cell) -> None:
    r = c.web.get("/coord/organizations/unverified/")
    c.check(r, shown=_has(r, "確認待ちの会"))


@scenario("org_verify", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/coord/organizations/{c['pending_org']}/verify/")
    c.check(r, changed=_org(c["pending_org"]).is_verified)


@scenario("org_import", "web")
def _(c: Cell) -> None:
    from organizations.models import Organization

    csv = "団体名,種別,メールアドレス\n取込テストの会,citizen_group,import@example.jp\n"
    upload = SimpleUploadedFile("orgs.csv", csv.encode(), content_type="text/csv")
    r = c.web.post("/coord/import/", {"file": upload})
    if c.ok:
        assert r.status_code == 200, r.status_code
        token = c.web.session["coord_import"]["token"]
        r = c.web.post("/coord/import/confirm/", {"token": token})
    c.check(r, changed=Organization.objects.filter(name="取込テストの会").exists())


# --------------------------------------------------------------------------- review
def _pair(c: Cell) -> tuple[int, int]:
    return c["partner_need"], c["open"]


@scenario("review_queue", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/review-queue/")
    c.check(r, shown=_has(r, c["partner_need_title"], c["open_title"]))


@scenario("review_queue", "web")
def _(c: Cell) -> None:
    r = c.web.get("/coord/review/")
    c.check(r, shown=_has(r, c["partner_need_title"], c["open_title"]))


def _approved(c: Cell) -> bool:
    from matching.models import Match

    need, offer = _pair(c)
    return Match.objects.filter(need_id=need, offer_id=offer).exists()


def _rejected(c: Cell) -> bool:
    from matching.models import ReviewDecision

    need, offer = _pair(c)
    return ReviewDecision.objects.filter(need_id=need, offer_id=offer, decision="rejected").exists()


@scenario("approve_suggestion", "api")
def _(c: Cell) -> None:
    need, offer = _pair(c)
    body = {"need": need, "offer": offer, "decision": "approved"}
    r = c.api.post("/api/v1/review-queue/decide/", body, format="json")
    c.check(r, changed=_approved(c))


@scenario("approve_suggestion", "web")
def _(c: Cell) -> None:
    need, offer = _pair(c)
    r = c.web.post("/coord/review/decide/", {"pair": f"{need}:{offer}", "decision": "approved"})
    c.check(r, changed=_approved(c))


@scenario("reject_suggestion", "api")
def _(c: Cell) -> None:
    need, offer = _pair(c)
    body = {"need": need, "offer": offer, "decision": "rejected", "reason": "area"}
    r = c.api.post("/api/v1/review-queue/decide/", body, format="json")
    c.check(r, changed=_rejected(c))


@scenario("reject_suggestion", "web")
def _(c: Cell) -> None:
    need, offer = _pair(c)
    body = {"pair": f"{need}:{offer}", "decision": "rejected", "reason": "area"}
    r = c.web.post("/coord/review/decide/", body)
    c.check(r, changed=_rejected(c))


def _interest_made(c: Cell) -> bool:
    from matching.models import InterestRequest

    return InterestRequest.objects.filter(
        organization_id=c["owner_org"], need_id=c["partner_need"]
    ).exists()


@scenario("interest_request", "api")
def _(c: Cell) -> None:
    body = {"organization": c["owner_org"], "need": c["partner_need"], "message": "話したい"}
    r = c.api.post("/api/v1/interest-requests/", body, format="json")
    c.check(r, changed=_interest_made(c))


@scenario("interest_request", "web")
def _(c: Cell) -> None:
    body = {"organization": c["owner_org"], "message": "話したい"}
    r = c.web.post(f"/my/needs/{c['partner_need']}/interest/", body)
    c.check(r, changed=_interest_made(c))


@scenario("interest_view", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/interest-requests/{c['interest']}/")
    c.check(r, shown=_has(r, "紹介依頼先のニーズ"))


def _interest_accepted(c: Cell) -> bool:
    from matching.models import InterestRequest

    return InterestRequest.objects.get(pk=c["interest"]).status == "accepted"


@scenario("interest_accept", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/interest-requests/{c['interest']}/accept/", {}, format="json")
    c.check(r, changed=_interest_accepted(c))


@scenario("interest_accept", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/coord/interest/{c['interest']}/accept/", {"comment": ""})
    c.check(r, changed=_interest_accepted(c))


# --------------------------------------------------------------------------- matches
@scenario("match_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/matches/?page_size=100")
    c.check(r, shown=_has(r, c["introduced_title"]))


@scenario("match_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/matches/{c['introduced']}/")
    c.check(r, shown=_has(r, c["introduced_title"]))


@scenario("match_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/matches/{c['introduced']}/")
    c.check(r, shown=_has(r, c["introduced_title"]))


@scenario("coord_match_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/coord/matches/{c['introduced']}/")
    c.check(r, shown=_has(r, c["introduced_title"]))


PARTNER_SHOWN = (PARTNER_CONTACTS["contact_email"], PARTNER_CONTACTS["contact_phone"])


@scenario("contacts_before_intro", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/matches/{c['proposed']}/")
    c.check(r, shown=_has(r, *PARTNER_SHOWN))


@scenario("contacts_before_intro", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/matches/{c['proposed']}/")
    c.check(r, shown=_has(r, *PARTNER_SHOWN))


@scenario("contacts_after_intro", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/matches/{c['introduced']}/")
    c.check(r, shown=_has(r, *PARTNER_SHOWN))


@scenario("contacts_after_intro", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/matches/{c['introduced']}/")
    c.check(r, shown=_has(r, *PARTNER_SHOWN))


def _transition(c: Cell, match: str, body: dict, target: str) -> None:
    r = c.api.post(f"/api/v1/matches/{c[match]}/transition/", body, format="json")
    c.check(r, changed=_match_state(c[match]) == target)


def _coord_action(c: Cell, match: str, body: dict, target: str) -> None:
    r = c.web.post(f"/coord/matches/{c[match]}/action/", body)
    c.check(r, changed=_match_state(c[match]) == target)


@scenario("introduce", "api")
def _(c: Cell) -> None:
    _transition(c, "proposed", {"action": "introduce"}, "introduced")


@scenario("introduce", "web")
def _(c: Cell) -> None:
    _coord_action(c, "proposed", {"action": "introduce", "comment": ""}, "introduced")


def _owner_answered(c: Cell) -> bool:
    from matching.models import MatchParty

    party = MatchParty.objects.get(match_id=c["introduced"], organization_id=c["owner_org"])
    return party.response != "pending"


@scenario("respond", "api")
def _(c: Cell) -> None:
    body = {"accepted": True, "organization": c["owner_org"]}
    r = c.api.post(f"/api/v1/matches/{c['introduced']}/respond/", body, format="json")
    c.check(r, changed=_owner_answered(c))


@scenario("respond", "web")
def _(c: Cell) -> None:
    body = {"answer": "accept", "organization": c["owner_org"]}
    r = c.web.post(f"/my/matches/{c['introduced']}/respond/", body)
    c.check(r, changed=_owner_answered(c))


@scenario("decline", "api")
def _(c: Cell) -> None:
    body = {"action": "decline", "organization": c["owner_org"], "reason": "体制が整わない"}
    _transition(c, "introduced", body, "declined")


@scenario("decline", "web")
def _(c: Cell) -> None:
    body = {"answer": "decline", "organization": c["owner_org"], "reason": "体制が整わない"}
    r = c.web.post(f"/my/matches/{c['introduced']}/respond/", body)
    c.check(r, changed=_match_state(c["introduced"]) == "declined")


@scenario("start_consulting", "api")
def _(c: Cell) -> None:
    _transition(c, "accepted", {"action": "start_consulting"}, "consulting")


def _party_step(c: Cell, match: str, action: str, target: str) -> None:
    r = c.web.post(f"/my/matches/{c[match]}/transition/", {"action": action, "comment": ""})
    c.check(r, changed=_match_state(c[match]) == target)


@scenario("start_consulting", "web")
def _(c: Cell) -> None:
    _party_step(c, "accepted", "start_consulting", "consulting")


@scenario("coord_start_consulting", "web")
def _(c: Cell) -> None:
    _coord_action(c, "accepted", {"action": "start_consulting", "comment": ""}, "consulting")


@scenario("agree", "api")
def _(c: Cell) -> None:
    body = {
        "action": "agree",
        "form": "cooperation",
        "starts_on": "2026-05-01",
        "ends_on": "2027-03-31",
        "responsibilities": [
            {"organization": c["owner_org"], "responsibilities": "訪問の実施"},
            {"organization": c["partner_org"], "responsibilities": "広報"},
        ],
    }
    r = c.api.post(f"/api/v1/matches/{c['consulting']}/transition/", body, format="json")
    c.check(r, changed=_terms_recorded(c))  # issue 13: recorded, then every party confirms


def _owner_confirmed(c: Cell) -> bool:
    from matching.models import MatchParty

    party = MatchParty.objects.get(match_id=c["terms_recorded"], organization_id=c["owner_org"])
    return party.confirmed_at is not None


@scenario("confirm_terms", "api")
def _(c: Cell) -> None:
    body = {"organization": c["owner_org"]}
    r = c.api.post(f"/api/v1/matches/{c['terms_recorded']}/confirm/", body, format="json")
    c.check(r, changed=_owner_confirmed(c))
    assert (_match_state(c["terms_recorded"]) == "agreed") == c.ok


@scenario("confirm_terms", "web")
def _(c: Cell) -> None:
    body = {"action": "confirm", "organization": c["owner_org"]}
    r = c.web.post(f"/my/matches/{c['terms_recorded']}/transition/", body)
    c.check(r, changed=_owner_confirmed(c))
    assert (_match_state(c["terms_recorded"]) == "agreed") == c.ok


def _terms_recorded(c: Cell) -> bool:
    from matching.models import Match

    return Match.objects.get(pk=c["consulting"]).terms_revision > 0


@scenario("activate", "api")
def _(c: Cell) -> None:
    _transition(c, "agreed", {"action": "activate"}, "active")


@scenario("agree", "web")
def _(c: Cell) -> None:
    from proposals.models import CollaborationForm

    body = {
        "form": CollaborationForm.objects.get(code="cooperation").pk,
        "starts_on": "2026-05-01",
        "ends_on": "2027-03-31",
        f"role_{c['owner_org']}": "訪問の実施",
        f"role_{c['partner_org']}": "広報",
    }
    r = c.web.post(f"/my/matches/{c['consulting']}/agree/", body)
    c.check(r, changed=_terms_recorded(c))


@scenario("activate", "web")
def _(c: Cell) -> None:
    _party_step(c, "agreed", "activate", "active")


@scenario("coord_activate", "web")
def _(c: Cell) -> None:
    _coord_action(c, "agreed", {"action": "activate", "comment": ""}, "active")


@scenario("complete", "api")
def _(c: Cell) -> None:
    _transition(c, "active", {"action": "complete"}, "completed")


@scenario("complete", "web")
def _(c: Cell) -> None:
    _party_step(c, "active", "complete", "completed")


@scenario("coord_complete", "web")
def _(c: Cell) -> None:
    _coord_action(c, "active", {"action": "complete", "comment": ""}, "completed")


@scenario("cancel", "api")
def _(c: Cell) -> None:
    _transition(c, "introduced", {"action": "cancel", "reason": "事業の中止"}, "cancelled")


@scenario("cancel", "web")
def _(c: Cell) -> None:
    _coord_action(c, "introduced", {"action": "cancel", "reason": "事業の中止"}, "cancelled")


# --------------------------------------------------------------------------- consultations
def _slot(pk: int):
    from matching.models import ConsultationSlot

    return ConsultationSlot.objects.get(pk=pk)


def _slot_placed(place: str) -> bool:
    from matching.models import ConsultationSlot

    return ConsultationSlot.objects.filter(place=place).exists()


@scenario("slot_create", "api")
def _(c: Cell) -> None:
    start = timezone.now() + dt.timedelta(days=10)
    body = {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            "place": "Room-NEW", "capacity": 2}  # fmt: skip
    r = c.api.post("/api/v1/consultation-slots/", body, format="json")
    c.check(r, changed=_slot_placed("Room-NEW"))


@scenario("slot_create", "web")
def _(c: Cell) -> None:
    day = timezone.localdate() + dt.timedelta(days=10)
    body = {"date": day.isoformat(), "start_time": "10:00", "end_time": "11:00",
            "place": "Room-NEW", "capacity": 2}  # fmt: skip
    r = c.web.post("/coord/slots/", body)
    c.check(r, changed=_slot_placed("Room-NEW"))


@scenario("slot_edit", "api")
def _(c: Cell) -> None:
    body = {"place": "Room-MOVED"}
    r = c.api.patch(f"/api/v1/consultation-slots/{c['free_slot']}/", body, format="json")
    c.check(r, changed=_slot(c["free_slot"]).place == "Room-MOVED")


@scenario("slot_cancel", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/consultation-slots/{c['free_slot']}/cancel/"
    r = c.api.post(url, {"reason": "会場の都合"}, format="json")
    c.check(r, changed=_slot(c["free_slot"]).is_cancelled)


@scenario("slot_cancel", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/coord/slots/{c['free_slot']}/cancel/", {"reason": "会場の都合"})
    c.check(r, changed=_slot(c["free_slot"]).is_cancelled)


def _booked(c: Cell) -> bool:
    from matching.models import ConsultationBooking

    return ConsultationBooking.objects.filter(
        slot_id=c["free_slot"], match_id=c["consulting"], status="booked"
    ).exists()


@scenario("book", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/consultation-slots/{c['free_slot']}/book/"
    r = c.api.post(url, {"match": c["consulting"]}, format="json")
    c.check(r, changed=_booked(c))


@scenario("book", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/my/matches/{c['consulting']}/book/", {"slot": c["free_slot"]})
    c.check(r, changed=_booked(c))


def _booking_cancelled(c: Cell) -> bool:
    from matching.models import ConsultationBooking

    return ConsultationBooking.objects.get(pk=c["booking"]).status == "cancelled"


@scenario("booking_cancel", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/consultations/{c['booking']}/cancel/", {}, format="json")
    c.check(r, changed=_booking_cancelled(c))


@scenario("booking_cancel", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/my/consultations/{c['booking']}/cancel/")
    c.check(r, changed=_booking_cancelled(c))


@scenario("booking_ics", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/consultations/{c['booking']}/ics/")
    c.check(r, shown=_has(r, "BEGIN:VCALENDAR", "Room-7F"))


@scenario("booking_ics", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/consultations/{c['booking']}.ics")
    c.check(r, shown=_has(r, "BEGIN:VCALENDAR", "Room-7F"))


# --------------------------------------------------------------------------- meetings
def _meeting(pk: int):
    from meetings.models import Meeting

    return Meeting.objects.get(pk=pk)


def _registration_status(pk: int) -> str:
    from meetings.models import Registration

    return Registration.objects.get(pk=pk).status


@scenario("meeting_list", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/meetings/")
    c.check(r, shown=_has(r, "権限テストの交流会"))


@scenario("meeting_detail", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['meeting']}/")
    c.check(r, shown=_has(r, "権限テストの交流会", '"seats_left":8'))


@scenario("meeting_names", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['meeting']}/")
    c.check(r, shown=_has(r, "権限 参加者名"))


@scenario("meeting_draft", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['draft_meeting']}/")
    c.check(r, shown=_has(r, "権限テストの下書き会合"))


@scenario("meeting_create", "api")
def _(c: Cell) -> None:
    from meetings.models import Meeting

    start = timezone.now() + dt.timedelta(days=20)
    body = {"kind": "training", "organizer": c["owner_org"], "title": "権限テストの新しい研修",
            "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            "capacity": 20}  # fmt: skip
    r = c.api.post("/api/v1/meetings/", body, format="json")
    c.check(r, changed=Meeting.objects.filter(title="権限テストの新しい研修").exists())


@scenario("meeting_edit", "api")
def _(c: Cell) -> None:
    r = c.api.patch(f"/api/v1/meetings/{c['meeting']}/", {"venue_name": "Hall-9"}, format="json")
    c.check(r, changed=_meeting(c["meeting"]).venue_name == "Hall-9")


@scenario("meeting_publish", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/meetings/{c['draft_meeting']}/publish/")
    c.check(r, changed=_meeting(c["draft_meeting"]).status == "published")


@scenario("meeting_cancel", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/meetings/{c['meeting']}/cancel/"
    r = c.api.post(url, {"reason": "会場の都合"}, format="json")
    c.check(r, changed=_meeting(c["meeting"]).status == "cancelled")


@scenario("meeting_invite", "api")
def _(c: Cell) -> None:
    from meetings.models import Invitation

    url = f"/api/v1/meetings/{c['meeting']}/invitations/"
    r = c.api.post(url, {"organization": c["partner_org"]}, format="json")
    c.check(r, changed=Invitation.objects.filter(meeting_id=c["meeting"]).exists())


@scenario("meeting_invite_several", "api")
def _(c: Cell) -> None:
    from meetings.models import Invitation

    guests = [make_org(f"権限テストの招待先{i}", "citizen_group") for i in range(2)]
    url = f"/api/v1/meetings/{c['meeting']}/invitations/"
    r = c.api.post(url, {"organizations": [g.pk for g in guests], "suggested": True}, format="json")
    invited = Invitation.objects.filter(meeting_id=c["meeting"], organization__in=guests)
    c.check(r, changed=invited.count() == 2)


@scenario("meeting_invitation_suggestions", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['meeting']}/invitation-suggestions/")
    c.check(r, shown=r.status_code == 200 and isinstance(r.json(), list))


@scenario("meeting_tables", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['meeting']}/table-groups/")
    c.check(r, shown=_has(r, '"proposed":true', "テスト市 協働推進課"))


@scenario("meeting_tables_propose", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/meetings/{c['meeting']}/table-groups/propose/")
    c.check(r, shown=_has(r, '"proposed":true', "テスト市 協働推進課"))


@scenario("meeting_tables_save", "api")
def _(c: Cell) -> None:
    from meetings.models import Registration, TableGroup

    rid = Registration.objects.get(meeting_id=c["meeting"], organization_id=c["partner_org"]).pk
    body = {"tables": [{"name": "権限テストの卓", "registrations": [rid]}]}
    r = c.api.put(f"/api/v1/meetings/{c['meeting']}/table-groups/", body, format="json")
    c.check(r, changed=TableGroup.objects.filter(meeting_id=c["meeting"]).exists())


@scenario("meeting_register", "api")
def _(c: Cell) -> None:
    from meetings.models import Registration

    url = f"/api/v1/meetings/{c['open_meeting']}/registrations/"
    r = c.api.post(url, {"organization": c["owner_org"], "attendees": 2}, format="json")
    made = Registration.objects.filter(meeting_id=c["open_meeting"], organization_id=c["owner_org"])
    c.check(r, changed=made.exists())


@scenario("registration_cancel", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/meetings/{c['partner_meeting']}/registrations/{c['own_registration']}/cancel/"
    r = c.api.post(url)
    c.check(r, changed=_registration_status(c["own_registration"]) == "cancelled")


@scenario("registration_ics", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/meetings/{c['partner_meeting']}/registrations/{c['own_registration']}/ics/"
    uid = f"UID:meeting-registration-{c['own_registration']}@"
    r = c.api.get(url)
    c.check(r, shown=_has(r, "BEGIN:VCALENDAR", uid))


@scenario("registration_approve", "api")
def _(c: Cell) -> None:
    rid = c["pending_registration"]
    r = c.api.post(f"/api/v1/meetings/{c['approval_meeting']}/registrations/{rid}/approve/")
    c.check(r, changed=_registration_status(rid) == "registered")


@scenario("registration_decline", "api")
def _(c: Cell) -> None:
    rid = c["pending_registration"]
    r = c.api.post(f"/api/v1/meetings/{c['approval_meeting']}/registrations/{rid}/decline/")
    c.check(r, changed=_registration_status(rid) == "declined")


# The meeting pages (web/public/meetings.py, web/member/meetings.py).
@scenario("meeting_list", "web")
def _(c: Cell) -> None:
    r = c.web.get("/meetings/")
    c.check(r, shown=_has(r, "権限テストの交流会", "残り8席"))


@scenario("my_meetings", "web")
def _(c: Cell) -> None:
    c.check(c.web.get("/my/meetings/"))


@scenario("meeting_detail", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['meeting']}/")
    c.check(r, shown=_has(r, "権限テストの交流会", "残り8席"))


@scenario("meeting_names", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['meeting']}/")
    c.check(r, shown=_has(r, "権限 参加者名"))


@scenario("meeting_manage", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['meeting']}/")
    c.check(r, shown=_has(r, "権限 参加者名"))


@scenario("meeting_draft", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['draft_meeting']}/")
    c.check(r, shown=_has(r, "権限テストの下書き会合"))


def _meeting_form(start: dt.datetime, **extra: Any) -> dict[str, Any]:
    start = timezone.localtime(start)
    body = {"kind": "training", "title": "権限テストの画面の研修", "capacity": "10",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "registration_mode": "open",
            "ends_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    return body | extra


@scenario("meeting_create", "web")
def _(c: Cell) -> None:
    from meetings.models import Meeting

    body = _meeting_form(timezone.now() + dt.timedelta(days=20), organizer=c["owner_org"])
    r = c.web.post("/my/meetings/new/", body)
    c.check(r, changed=Meeting.objects.filter(title="権限テストの画面の研修").exists())


@scenario("meeting_edit", "web")
def _(c: Cell) -> None:
    meeting = _meeting(c["meeting"])
    body = _meeting_form(meeting.starts_at, title=meeting.title, venue_name="Hall-W")
    r = c.web.post(f"/my/meetings/{c['meeting']}/edit/", body)
    c.check(r, changed=_meeting(c["meeting"]).venue_name == "Hall-W")


@scenario("meeting_capacity", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/my/meetings/{c['meeting']}/capacity/", {"capacity": "25"})
    c.check(r, changed=_meeting(c["meeting"]).capacity == 25)


@scenario("meeting_publish", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/my/meetings/{c['draft_meeting']}/publish/")
    c.check(r, changed=_meeting(c["draft_meeting"]).status == "published")


@scenario("meeting_cancel", "web")
def _(c: Cell) -> None:
    body = {"reason": "会場の都合", "confirmed": "1"}
    r = c.web.post(f"/my/meetings/{c['meeting']}/cancel/", body)
    c.check(r, changed=_meeting(c["meeting"]).status == "cancelled")


@scenario("meeting_invite", "web")
def _(c: Cell) -> None:
    from meetings.models import Invitation

    r = c.web.post(f"/my/meetings/{c['meeting']}/invite/", {"organization": c["pending_org"]})
    invited = Invitation.objects.filter(meeting_id=c["meeting"], organization_id=c["pending_org"])
    c.check(r, changed=invited.exists())


@scenario("meeting_register", "web")
def _(c: Cell) -> None:
    from meetings.models import Registration

    body = {"organization": c["owner_org"], "attendees": "2", "attendee_names": ""}
    r = c.web.post(f"/meetings/{c['open_meeting']}/register/", body)
    made = Registration.objects.filter(meeting_id=c["open_meeting"], organization_id=c["owner_org"])
    c.check(r, changed=made.exists())


@scenario("registration_cancel", "web")
def _(c: Cell) -> None:
    url = f"/my/meetings/registrations/{c['own_registration']}/cancel/"
    r = c.web.post(url, {"confirmed": "1"})
    c.check(r, changed=_registration_status(c["own_registration"]) == "cancelled")


@scenario("registration_approve", "web")
def _(c: Cell) -> None:
    rid = c["pending_registration"]
    r = c.web.post(f"/my/meetings/{c['approval_meeting']}/registrations/{rid}/approve/")
    c.check(r, changed=_registration_status(rid) == "registered")


@scenario("registration_decline", "web")
def _(c: Cell) -> None:
    rid = c["pending_registration"]
    r = c.web.post(f"/my/meetings/{c['approval_meeting']}/registrations/{rid}/decline/")
    c.check(r, changed=_registration_status(rid) == "declined")


# --------------------------------------------------------------------------- the day and after
def _checked_in(pk: int) -> bool:
    from meetings.models import Registration

    return Registration.objects.get(pk=pk).checked_in_at is not None


@scenario("meeting_attendance", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['started_meeting']}/attendance/")
    c.check(r, shown=_has(r, "権限 受付者"))


@scenario("meeting_check_in", "api")
def _(c: Cell) -> None:
    rid = c["checkin_registration"]
    r = c.api.post(f"/api/v1/meetings/{c['started_meeting']}/registrations/{rid}/check-in/")
    c.check(r, changed=_checked_in(rid))


@scenario("meeting_check_in_qr", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/meetings/checkin/{c['checkin_token']}/")
    c.check(r, changed=_checked_in(c["checkin_registration"]))
    if not c.ok:  # the code names nothing to whoever scans it
        assert not _has(r, "テスト市 協働推進課") and not _has(r, "権限テストの当日の会")


@scenario("meeting_qr_code", "api")
def _(c: Cell) -> None:
    rid = c["own_registration"]
    r = c.api.get(f"/api/v1/meetings/{c['partner_meeting']}/registrations/{rid}/qr.svg/")
    c.check(r, shown=r.status_code == 200 and _has(r, "<svg"))


@scenario("meeting_held", "api")
def _(c: Cell) -> None:
    r = c.api.post(f"/api/v1/meetings/{c['started_meeting']}/held/")
    c.check(r, changed=_meeting(c["started_meeting"]).status == "held")


@scenario("meeting_minutes_read", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['ended_meeting']}/minutes/")
    c.check(r, shown=_has(r, "権限テストの議事録"))


@scenario("meeting_minutes_write", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/meetings/{c['started_meeting']}/minutes/"
    r = c.api.put(url, {"minutes": "権限テストの新しい議事録"}, format="json")
    c.check(r, changed=_meeting(c["started_meeting"]).minutes == "権限テストの新しい議事録")


@scenario("meeting_report_publish", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/meetings/{c['started_meeting']}/report/"
    r = c.api.put(url, {"report": "権限テストの報告", "publish": True}, format="json")
    c.check(r, changed=_meeting(c["started_meeting"]).report_published_at is not None)


@scenario("meeting_report_read", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['ended_meeting']}/report/")
    c.check(r, shown=_has(r, "権限テストの開催報告"))


@scenario("meeting_photo_add", "api")
def _(c: Cell) -> None:
    import io
    import tempfile

    from PIL import Image

    from meetings.models import MeetingPhoto

    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, format="JPEG")
    image = SimpleUploadedFile("p.jpg", picture.getvalue(), content_type="image/jpeg")
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        r = c.api.post(
            f"/api/v1/meetings/{c['started_meeting']}/photos/", {"image": image}, format="multipart"
        )
    c.check(r, changed=MeetingPhoto.objects.filter(meeting_id=c["started_meeting"]).exists())


@scenario("meeting_wishes_submit", "api")
def _(c: Cell) -> None:
    from meetings.models import Wish

    body = {"organization": c["owner_org"], "targets": [c["partner_org"]], "message": "また"}
    r = c.api.post(f"/api/v1/meetings/{c['ended_meeting']}/wishes/", body, format="json")
    c.check(r, changed=Wish.objects.filter(meeting_id=c["ended_meeting"]).exists())


@scenario("meeting_wishes_read", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/meetings/{c['ended_meeting']}/wishes/")
    c.check(r, shown=r.status_code == 200 and _has(r, '"participants"'))


# The pages of the day and after (web/member/meeting_day.py, meeting_guests.py,
# web/public/meeting_day.py).
@scenario("meeting_invitation_suggestions", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['meeting']}/suggestions/")
    c.check(r, shown=_has(r, "<h1>招待する団体の提案</h1>"))


@scenario("meeting_invite_several", "web")
def _(c: Cell) -> None:
    from meetings.models import Invitation

    guests = [make_org(f"権限テストの招待先{i}", "citizen_group") for i in range(2)]
    body = {"organizations": [g.pk for g in guests]}
    r = c.web.post(f"/my/meetings/{c['meeting']}/suggestions/", body)
    invited = Invitation.objects.filter(meeting_id=c["meeting"], organization__in=guests)
    c.check(r, changed=invited.count() == 2)


@scenario("meeting_tables", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['meeting']}/tables/")
    c.check(r, shown=_has(r, "エンジンの提案です", "テスト市 協働推進課"))


@scenario("meeting_tables_save", "web")
def _(c: Cell) -> None:
    from meetings.models import Registration, TableGroup

    rid = Registration.objects.get(meeting_id=c["meeting"], organization_id=c["partner_org"]).pk
    body = {f"seat-{rid}": "1", "name-1": "権限テストの卓"}
    r = c.web.post(f"/my/meetings/{c['meeting']}/tables/", body)
    c.check(r, changed=TableGroup.objects.filter(meeting_id=c["meeting"]).exists())


@scenario("meeting_seating_list", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['meeting']}/tables/print/")
    c.check(r, shown=_has(r, "座席表", "権限 参加者名"))


@scenario("meeting_attendance", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['started_meeting']}/checkin/")
    c.check(r, shown=_has(r, "権限 受付者"))


@scenario("meeting_check_in", "web")
def _(c: Cell) -> None:
    rid = c["checkin_registration"]
    r = c.web.post(f"/my/meetings/{c['started_meeting']}/checkin/{rid}/", {f"r{rid}-people": ""})
    c.check(r, changed=_checked_in(rid))


@scenario("meeting_qr_sheet", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['started_meeting']}/checkin/qr/")
    c.check(r, shown=_has(r, "data:image/svg+xml;base64,", "テスト市 協働推進課"))


@scenario("meeting_check_in_qr", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/checkin/{c['checkin_token']}/")
    c.check(r, shown=_has(r, "テスト市 協働推進課", "受付する"))
    assert not _checked_in(c["checkin_registration"])  # opening the page does nothing
    if not c.ok:  # the code names nothing to whoever scans it
        assert not _has(r, "テスト市 協働推進課") and not _has(r, "権限テストの当日の会")


@scenario("meeting_check_in_qr_post", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/meetings/checkin/{c['checkin_token']}/", {"people": "2"})
    c.check(r, changed=_checked_in(c["checkin_registration"]))
    if not c.ok:
        assert not _has(r, "テスト市 協働推進課") and not _has(r, "権限テストの当日の会")


@scenario("meeting_qr_code", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/registrations/{c['own_registration']}/qr/")
    c.check(r, shown=_has(r, "data:image/svg+xml;base64,"))


@scenario("registration_ics", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/registrations/{c['own_registration']}.ics")
    uid = f"UID:meeting-registration-{c['own_registration']}@"
    c.check(r, shown=r.status_code == 200 and _has(r, uid))


@scenario("meeting_held", "web")
def _(c: Cell) -> None:
    r = c.web.post(f"/my/meetings/{c['started_meeting']}/held/")
    c.check(r, changed=_meeting(c["started_meeting"]).status == "held")


@scenario("meeting_minutes_read", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['ended_meeting']}/minutes/")
    c.check(r, shown=_has(r, "権限テストの議事録"))


@scenario("meeting_minutes_write", "web")
def _(c: Cell) -> None:
    url = f"/my/meetings/{c['started_meeting']}/minutes/"
    r = c.web.post(url, {"minutes": "権限テストの新しい議事録"})
    c.check(r, changed=_meeting(c["started_meeting"]).minutes == "権限テストの新しい議事録")


@scenario("meeting_report_publish", "web")
def _(c: Cell) -> None:
    url = f"/my/meetings/{c['started_meeting']}/report/"
    r = c.web.post(url, {"report": "権限テストの報告", "publish": "on"})
    c.check(r, changed=_meeting(c["started_meeting"]).report_published_at is not None)


@scenario("meeting_report_read", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['ended_meeting']}/")
    c.check(r, shown=_has(r, "権限テストの開催報告"))


def _jpeg_upload() -> SimpleUploadedFile:
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, format="JPEG")
    return SimpleUploadedFile("p.jpg", picture.getvalue(), content_type="image/jpeg")


@scenario("meeting_photo_add", "web")
def _(c: Cell) -> None:
    import tempfile

    from meetings.models import MeetingPhoto

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        r = c.web.post(f"/my/meetings/{c['started_meeting']}/photos/", {"image": _jpeg_upload()})
    c.check(r, changed=MeetingPhoto.objects.filter(meeting_id=c["started_meeting"]).exists())


@scenario("meeting_photo_unpublished", "web")
def _(c: Cell) -> None:
    import tempfile

    from meetings.day import reports as meeting_reports

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        owner = _user(c["users"]["owner"])
        meeting = _meeting(c["started_meeting"])
        photo = meeting_reports.add_photo(meeting, owner, _jpeg_upload(), "権限テストの写真")
        r = c.web.get(f"/meetings/{meeting.pk}/photos/{photo.pk}/")
    c.check(r, shown=r.status_code == 200 and r["Content-Type"] == "image/jpeg")


@scenario("meeting_wishes_submit", "web")
def _(c: Cell) -> None:
    from meetings.models import Wish

    body = {"organization": c["owner_org"], "targets": [c["partner_org"]], "message": "また"}
    r = c.web.post(f"/meetings/{c['ended_meeting']}/wishes/", body)
    c.check(r, changed=Wish.objects.filter(meeting_id=c["ended_meeting"]).exists())


@scenario("meeting_wishes_read", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/meetings/{c['ended_meeting']}/wishes/")
    c.check(r, shown=_has(r, "参加後アンケート: もっと話したい団体"))


@scenario("meeting_wishes_all", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/my/meetings/{c['started_meeting']}/wishes/")
    c.check(r, shown=_has(r, "参加後の希望（もっと話したい団体）"))


# --------------------------------------------------------------------------- outcomes
def _evaluated_by(c: Cell) -> bool:
    from matching.models import Evaluation

    return (
        c.user is not None
        and Evaluation.objects.filter(match_id=c["completed"], submitted_by=c.user).exists()
    )


@scenario("evaluation_submit", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/matches/{c['completed']}/evaluations/"
    r = c.api.post(url, {"grade": "B", "effects": "よかった"}, format="json")
    c.check(r, changed=_evaluated_by(c))


@scenario("evaluation_submit", "web")
def _(c: Cell) -> None:
    # The page has one form per organization of the user, hence the prefix.
    body = {f"ev{c['owner_org']}-grade": "B", "organization": c["owner_org"]}
    r = c.web.post(f"/my/matches/{c['completed']}/evaluate/", body)
    c.check(r, changed=_evaluated_by(c))


@scenario("evaluation_view", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/matches/{c['completed']}/evaluations/")
    c.check(r, shown=_has(r, "協働推進課からの評価コメント"))


@scenario("follow_up_answer", "api")
def _(c: Cell) -> None:
    from matching.models import ContinuationFollowUp

    url = f"/api/v1/follow-ups/{c['follow_up']}/answer/"
    r = c.api.post(url, {"answer": "continued"}, format="json")
    c.check(r, changed=ContinuationFollowUp.objects.get(pk=c["follow_up"]).answer != "")


@scenario("follow_up_answer", "web")
def _(c: Cell) -> None:
    from matching.models import ContinuationFollowUp

    pk = c["follow_up"]
    r = c.web.post(f"/my/follow-ups/{pk}/", {f"fu{pk}-answer": "continued", f"fu{pk}-reason": ""})
    c.check(r, changed=ContinuationFollowUp.objects.get(pk=pk).answer != "")


@scenario("case_book", "web")
def _(c: Cell) -> None:
    r = c.web.get("/cases/")
    c.check(r, shown=_has(r, c["evaluated_title"]))


def _consented(c: Cell, match: str) -> bool:
    from matching.models import PublicationConsent

    return PublicationConsent.objects.filter(
        match_id=c[match], organization_id=c["owner_org"], consented=True
    ).exists()


@scenario("case_consent", "api")
def _(c: Cell) -> None:
    body = {"action": "consent", "organization": c["owner_org"]}
    r = c.api.post(f"/api/v1/matches/{c['completed']}/publication/", body, format="json")
    c.check(r, changed=_consented(c, "completed"))


@scenario("case_consent", "web")
def _(c: Cell) -> None:
    body = {"action": "consent", "organization": c["owner_org"]}
    r = c.web.post(f"/my/matches/{c['completed']}/transition/", body)
    c.check(r, changed=_consented(c, "completed"))


@scenario("case_revoke", "api")
def _(c: Cell) -> None:
    body = {"action": "revoke", "organization": c["owner_org"]}
    r = c.api.post(f"/api/v1/matches/{c['evaluated']}/publication/", body, format="json")
    c.check(r, changed=not _consented(c, "evaluated"))


@scenario("case_revoke", "web")
def _(c: Cell) -> None:
    body = {"action": "revoke_consent", "organization": c["owner_org"]}
    r = c.web.post(f"/my/matches/{c['evaluated']}/transition/", body)
    c.check(r, changed=not _consented(c, "evaluated"))


def _text_approved(c: Cell) -> bool:
    from matching.models import CasePublication

    return CasePublication.objects.filter(
        match_id=c["completed"], approved_at__isnull=False
    ).exists()


@scenario("case_approve_text", "api")
def _(c: Cell) -> None:
    body = {"action": "approve", "text": "権限テストの公開文"}
    r = c.api.post(f"/api/v1/matches/{c['completed']}/publication/", body, format="json")
    c.check(r, changed=_text_approved(c))


@scenario("case_approve_text", "web")
def _(c: Cell) -> None:
    body = {"action": "approve_publication", "text": "権限テストの公開文"}
    r = c.web.post(f"/coord/matches/{c['completed']}/action/", body)
    c.check(r, changed=_text_approved(c))


# --------------------------------------------------------------------------- notifications
def _own_notification(c: Cell) -> int | None:
    return c["notifications"].get(c.role)


def _read(pk: int | None) -> bool:
    from notifications.models import Notification

    return pk is not None and Notification.objects.get(pk=pk).read_at is not None


@scenario("inbox", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/notifications/?page_size=100")
    c.check(r, shown=_has(r, f"権限テストの通知（{c.role}）"))
    assert not _has(r, c["victim_title"])


@scenario("inbox", "web")
def _(c: Cell) -> None:
    r = c.web.get("/my/notifications/")
    c.check(r, shown=_has(r, f"権限テストの通知（{c.role}）"))
    assert not _has(r, c["victim_title"])


@scenario("notification_of_other", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/notifications/{c['notifications']['partner']}/")
    c.check(r, shown=_has(r, c["victim_title"]))


@scenario("mark_read_own", "api")
def _(c: Cell) -> None:
    pk = _own_notification(c) or c["notifications"]["partner"]
    r = c.api.post(f"/api/v1/notifications/{pk}/read/")
    c.check(r, changed=_read(pk))


@scenario("mark_read_own", "web")
def _(c: Cell) -> None:
    pk = _own_notification(c) or c["notifications"]["partner"]
    r = c.web.post("/my/notifications/", {"ids": [pk]})
    c.check(r, changed=_read(pk))


@scenario("mark_read_other", "api")
def _(c: Cell) -> None:
    pk = c["notifications"]["partner"]
    r = c.api.post(f"/api/v1/notifications/{pk}/read/")
    c.check(r, changed=_read(pk))


@scenario("mark_read_other", "web")
def _(c: Cell) -> None:
    pk = c["notifications"]["partner"]
    r = c.web.post("/my/notifications/", {"ids": [pk]})
    c.check(r, changed=_read(pk))


@scenario("open_notification_own", "web")
def _(c: Cell) -> None:
    pk = _own_notification(c) or c["notifications"]["partner"]
    r = c.web.get(f"/my/notifications/{pk}/open/")
    c.check(r, changed=_read(pk))


@scenario("open_notification_other", "web")
def _(c: Cell) -> None:
    pk = c["notifications"]["partner"]
    r = c.web.get(f"/my/notifications/{pk}/open/")
    c.check(r, changed=_read(pk))


def _prefers_email(c: Cell) -> bool:
    from notifications.models import Preference

    return Preference.objects.filter(kind="*", channel="email").exists()


@scenario("preferences", "api")
def _(c: Cell) -> None:
    body = {"preferences": [{"kind": "*", "channel": "email"}]}
    r = c.api.put("/api/v1/notification-preferences/", body, format="json")
    c.check(r, changed=_prefers_email(c))
    if c.ok:  # and only the user's own
        from notifications.models import Preference

        assert set(Preference.objects.values_list("user_id", flat=True)) == {c.user.pk}


@scenario("preferences", "web")
def _(c: Cell) -> None:
    r = c.web.post("/my/notifications/settings/", {"kind__*": "email"})
    c.check(r, changed=_prefers_email(c))


# --------------------------------------------------------------------------- KPI, operations
@scenario("kpi_dashboard", "web")
def _(c: Cell) -> None:
    r = c.web.get("/coord/kpi/")
    c.check(r, shown=r.status_code == 200 and _has(r, "<canvas"))


@scenario("progress_sheet", "web")
def _(c: Cell) -> None:
    r = c.web.get("/coord/kpi/progress-sheet.csv")
    c.check(r, shown=_has(r, c["completed_title"]))


@scenario("consultation_kpi", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/consultations/kpi/")
    c.check(r, shown=r.status_code == 200 and "offered" in r.json())


@scenario("continuation_rate", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/reports/continuation-rate/")
    c.check(r, shown=r.status_code == 200 and "rows" in r.json())


def _rescored(c: Cell) -> bool:
    from matching.models import RescoreRun

    return RescoreRun.objects.exists()


@scenario("rescore", "api")
def _(c: Cell) -> None:
    c.check(c.api.post("/api/v1/matching/rescores/"), changed=_rescored(c))


@scenario("rescore", "web")
def _(c: Cell) -> None:
    c.check(c.web.post("/coord/rescore/"), changed=_rescored(c))


def _round_started() -> bool:
    from matching.models import MatchRound

    return MatchRound.objects.exists()


@scenario("match_round", "api")
def _(c: Cell) -> None:
    c.check(c.api.post("/api/v1/match-rounds/"), changed=_round_started())


@scenario("match_round", "web")
def _(c: Cell) -> None:
    c.check(c.web.post("/coord/rounds/start/"), changed=_round_started())


def _finished_round() -> int:
    from matching.models import MatchRound

    return MatchRound.objects.create(status="done", phase="finished", summary={}).pk


@scenario("match_round_view", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/match-rounds/{_finished_round()}/")
    c.check(r, shown=r.status_code == 200 and "needs" in r.json())


@scenario("match_round_view", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/coord/rounds/{_finished_round()}/")
    c.check(r, shown=_has(r, "マッチングラウンド #"))


# --------------------------------------------------------------------------- personal data
@scenario("privacy_page", "web")
def _(c: Cell) -> None:
    r = c.web.get("/my/privacy/")
    c.check(r, shown=_has(r, f"/my/privacy/{c['owner_org']}/export.json"))


def _export_checks(c: Cell, r) -> None:
    c.check(r, shown=_has(r, '"deletion_requests"', *OWNER_CONTACTS.values()))
    if c.ok and c.role != "owner":  # a coordinator's export is written to the access log
        from organizations.models import PersonalDataAccess

        log = PersonalDataAccess.objects.filter(actor=c.user, object_pk=str(c["owner_org"]))
        assert any((e.additional_data or {}).get("via") == "export" for e in log)


@scenario("org_export", "api")
def _(c: Cell) -> None:
    _export_checks(c, c.api.get(f"/api/v1/organizations/{c['owner_org']}/export/"))


@scenario("org_export", "web")
def _(c: Cell) -> None:
    _export_checks(c, c.web.get(f"/my/privacy/{c['owner_org']}/export.json"))


@scenario("deletion_request_list", "api")
def _(c: Cell) -> None:
    r = c.api.get(f"/api/v1/organizations/{c['owner_org']}/deletion-requests/")
    c.check(r, shown=_has(r, "権限テストの過去の削除請求"))


def _deletion_requested(reason: str) -> bool:
    from organizations.models import DeletionRequest

    return DeletionRequest.objects.filter(reason=reason, status="pending").exists()


@scenario("deletion_request", "api")
def _(c: Cell) -> None:
    url = f"/api/v1/organizations/{c['owner_org']}/deletion-requests/"
    r = c.api.post(url, {"reason": "退会（API）", "confirm": True}, format="json")
    c.check(r, changed=_deletion_requested("退会（API）"))


@scenario("deletion_request", "web")
def _(c: Cell) -> None:
    body = {"reason": "退会（画面）", "confirm": "on"}
    r = c.web.post(f"/my/privacy/{c['owner_org']}/delete/", body)
    c.check(r, changed=_deletion_requested("退会（画面）"))


# --------------------------------------------------------------------------- admin
@scenario("admin_index", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/")
    c.check(r, shown=r.status_code == 200 and _has(r, "/admin/organizations/organization/"))


@scenario("admin_changelist", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/organizations/organization/")
    c.check(r, shown=_has(r, "NPO法人 権限テストの会"))


@scenario("admin_org_contacts", "web")
def _(c: Cell) -> None:
    r = c.web.get(f"/admin/organizations/organization/{c['owner_org']}/change/")
    c.check(r, shown=_has(r, OWNER_CONTACTS["contact_email"]))


@scenario("admin_add_user", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/organizations/user/add/")
    c.check(r, shown=r.status_code == 200 and _has(r, 'name="username"'))


@scenario("admin_audit_log", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/auditlog/logentry/")
    c.check(r, shown=r.status_code == 200)


@scenario("admin_deletion_requests", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/organizations/deletionrequest/")
    pk = c["deletion_request"]
    c.check(r, shown=_has(r, f"/admin/organizations/deletionrequest/{pk}/change/"))


@scenario("admin_deletion_request_note", "web")
def _(c: Cell) -> None:
    from organizations.models import DeletionRequest

    pk = c["deletion_request"]
    body = {"handling_note": "権限テストの対応記録", "_save": "保存"}
    r = c.web.post(f"/admin/organizations/deletionrequest/{pk}/change/", body)
    note = DeletionRequest.objects.get(pk=pk).handling_note
    c.check(r, changed=note == "権限テストの対応記録")


@scenario("admin_access_log", "web")
def _(c: Cell) -> None:
    r = c.web.get("/admin/organizations/personaldataaccess/")
    c.check(r, shown=_has(r, "権限テストの閲覧記録"))


# --------------------------------------------------------------------------- legal documents
def _new_privacy_version(c: Cell):
    from legal import services

    now = services.current("privacy")
    coordinator = _user(c["users"]["coordinator"])
    return services.publish(
        coordinator, "privacy", title=now.title, body=now.body + "\n\n# 追記\n権限テスト。"
    )


def _user(pk: int):
    from organizations.models import User

    return User.objects.get(pk=pk)


def _agreed(c: Cell, version: int) -> bool:
    from legal.models import Consent

    return (
        c.user is not None
        and Consent.objects.filter(user=c.user, kind="privacy", version=version).exists()
    )


@scenario("legal_pages", "web")
def _(c: Cell) -> None:
    pages = [c.web.get(url) for url in ("/terms/", "/privacy/", "/contact/")]
    for r in pages:
        c.check(r)
    c.check(pages[1], shown=_has(pages[1], "利用目的"))


@scenario("legal_documents", "api")
def _(c: Cell) -> None:
    r = c.api.get("/api/v1/legal/documents/")
    c.check(r, shown=_has(r, '"kind":"privacy"'))


@scenario("legal_consent", "api")
def _(c: Cell) -> None:
    doc = _new_privacy_version(c)
    body = {"kind": "privacy", "version": doc.version}
    r = c.api.post("/api/v1/legal/consents/", body, format="json")
    c.check(r, changed=_agreed(c, doc.version))


@scenario("legal_consent", "web")
def _(c: Cell) -> None:
    doc = _new_privacy_version(c)
    r = c.web.post("/consent/", {"document": doc.pk, "agree": "on", "next": "/my/"})
    c.check(r, changed=_agreed(c, doc.version))


@scenario("legal_versions", "web")
def _(c: Cell) -> None:
    r = c.web.get("/coord/legal/")
    c.check(r, shown=_has(r, "/coord/legal/privacy/edit/"))


def _privacy_versions() -> int:
    from legal.models import Document

    return Document.objects.filter(kind="privacy").count()


@scenario("legal_publish", "web")
def _(c: Cell) -> None:
    before = _privacy_versions()
    body = {"title": "プライバシーポリシー", "body": "# 権限テスト\n新しい版。"}
    r = c.web.post("/coord/legal/privacy/edit/", body)
    c.check(r, changed=_privacy_versions() == before + 1)


@scenario("admin_legal_publish", "web")
def _(c: Cell) -> None:
    before = _privacy_versions()
    body = {"kind": "privacy", "title": "プライバシーポリシー", "body": "# 管理画面\n新しい版。"}
    r = c.web.post("/admin/legal/document/add/", body)
    c.check(r, changed=_privacy_versions() == before + 1)


@scenario("admin_consents", "web")
def _(c: Cell) -> None:
    from legal import services

    owner = _user(c["users"]["owner"])
    services.agree(owner, [services.current("terms")], via="web")
    r = c.web.get("/admin/legal/consent/")
    c.check(r, shown=r.status_code == 200 and _has(r, "p-owner", "利用規約"))


# --------------------------------------------------------------------------- the tests
CELLS = cells()


@pytest.mark.parametrize(
    ("role", "row", "expected"),
    CELLS,
    ids=[f"{role}-{row.key}-{row.channel}" for role, row, _e in CELLS],
)
def test_cell(role: str, row: Row, expected: str, world, db) -> None:
    SCENARIOS[(row.key, row.channel)](Cell(role, row, expected, world))


def test_every_row_has_a_scenario_and_every_scenario_a_row() -> None:
    rows = {(row.key, row.channel) for row in ROWS}
    assert rows == set(SCENARIOS), rows ^ set(SCENARIOS)


def test_docs_show_the_table_as_it_is() -> None:
    """docs/security.md carries the rendered table, unchanged (regenerate it with
    ``python -m tsunagu.permission_matrix``)."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    assert render_markdown() in doc
