"""Personal data (個人情報保護法): who sees contact details, the export, the erasure on
request, and the log of coordinators' access. Written to be read by an auditor."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from conftest import make_org, make_user
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from workflow_support import drive, two_party_match

from lib import dates
from matching.consultations.services import book
from matching.matches import workflow
from matching.models import (
    ConsultationSlot,
    ContinuationFollowUp,
    Evaluation,
    InterestRequest,
    Match,
    MatchTransition,
)
from matching.privacy import erasure as privacy
from matching.reports import kpi
from notifications.models import Delivery, Notification
from notifications.services import notify
from organizations.models import DeletionRequest, Organization, PersonalDataAccess, User

# The NPO's contact details (conftest: people["npo"]) are made unique per test below.
SECRET = {
    "contact_name": "鈴木 みどり",
    "contact_email": "midori.suzuki@npo-example.org",
    "contact_phone": "090-1234-5678",
    "address": "テスト市南区みなと町3-4-5",
}
MEMBER = {
    "email": "midori.personal@mail-example.net",
    "first_name": "みどり",
    "last_name": "鈴木",
    "display_name": "鈴木みどり（代表）",
}


@pytest.fixture
def npo(people):
    Organization.objects.filter(pk=people["npo"].pk).update(**SECRET)
    User.objects.filter(pk=people["member"].pk).update(**MEMBER)
    people["npo"].refresh_from_db()
    people["member"].refresh_from_db()
    return people["npo"]


def access_entries(org=None):
    qs = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    return qs.filter(object_id=org.pk) if org is not None else qs


def shows_contact(response) -> bool:
    return SECRET["contact_email"] in response.content.decode()


# --------------------------------------------------------------------------- visibility
def test_api_organization_contacts_only_for_members_and_coordinators(api, people, npo):
    url = f"/api/v1/organizations/{npo.pk}/"
    assert "contact_email" not in api.get(url).json()
    api.force_authenticate(people["other"])
    assert "contact_email" not in api.get(url).json()
    listing = json.dumps(api.get("/api/v1/organizations/").json(), ensure_ascii=False)
    assert SECRET["contact_email"] not in listing and SECRET["contact_name"] not in listing
    api.force_authenticate(people["member"])
    assert api.get(url).json()["contact_email"] == SECRET["contact_email"]
    api.force_authenticate(people["coordinator"])
    assert api.get(url).json()["contact_phone"] == SECRET["contact_phone"]


def test_public_pages_never_show_contacts(client, people, npo):
    match = two_party_match(people)
    drive(match, "introduced", people["coordinator"])
    for user in (None, people["other"], people["coordinator"]):
        if user:
            client.force_login(user)
        for url in (
            f"/organizations/{npo.pk}/",
            "/organizations/",
            f"/offers/{match.offer_id}/",
            "/menu/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert not shows_contact(response), url
            assert SECRET["contact_phone"] not in response.content.decode()


def test_match_contacts_appear_from_introduced_on(api, client, people, npo):
    match = two_party_match(people)
    staff = people["staff"]  # the department, the other party
    api.force_authenticate(staff)
    client.force_login(staff)
    api_contacts = {
        p["organization"]: p["contact"]
        for p in api.get(f"/api/v1/matches/{match.pk}/").json()["parties"]
    }
    assert api_contacts[npo.pk] is None
    assert not shows_contact(client.get(f"/my/matches/{match.pk}/"))

    drive(match, "introduced", people["coordinator"])
    body = api.get(f"/api/v1/matches/{match.pk}/").json()
    npo_party = next(p for p in body["parties"] if p["organization"] == npo.pk)
    assert npo_party["contact"]["contact_email"] == SECRET["contact_email"]
    assert shows_contact(client.get(f"/my/matches/{match.pk}/"))

    # Someone outside the match sees neither the match nor the contacts.
    api.force_authenticate(people["other"])
    assert api.get(f"/api/v1/matches/{match.pk}/").status_code == 404
    client.force_login(people["other"])
    assert client.get(f"/my/matches/{match.pk}/").status_code == 404


def test_notifications_exports_and_calendar_carry_no_contacts(client, people, npo):
    match = two_party_match(people)
    drive(match, "consulting", people["coordinator"])
    now = timezone.now()
    slot = ConsultationSlot.objects.create(
        coordinator=people["coordinator"],
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=1),
        place="市民活動サポートセンター",
    )
    booking = book(slot, match, people["staff"])
    secrets = [SECRET["contact_email"], SECRET["contact_phone"], SECRET["contact_name"]]
    texts = [f"{n.title} {n.body} {json.dumps(n.payload)}" for n in Notification.objects.all()]
    assert texts and not any(s in t for s in secrets for t in texts)

    client.force_login(people["staff"])
    ics = client.get(f"/my/consultations/{booking.pk}.ics")
    assert ics.status_code == 200
    assert not any(s in ics.content.decode() for s in secrets)

    client.force_login(people["coordinator"])
    fy = dates.current_fiscal_year()
    csv = client.get(f"/coord/kpi/progress-sheet.csv?fy={fy}")
    xlsx = client.get(f"/coord/kpi/progress-sheet.xlsx?fy={fy}")
    assert csv.status_code == xlsx.status_code == 200
    csv_text = b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode(
        "utf-8-sig"
    )
    assert not any(s in csv_text for s in secrets)
    assert SECRET["contact_email"].encode() not in xlsx.content


# --------------------------------------------------------------------------- access log
def test_coordinator_access_is_logged_members_are_not(api, client, people, npo):
    api.force_authenticate(people["member"])
    api.get(f"/api/v1/organizations/{npo.pk}/")
    assert not access_entries().exists()

    api.force_authenticate(people["coordinator"])
    api.get(f"/api/v1/organizations/{npo.pk}/", REMOTE_ADDR="203.0.113.7")
    entry = access_entries(npo).get()
    assert entry.actor == people["coordinator"]
    assert entry.remote_addr == "203.0.113.7"
    assert entry.additional_data["via"] == "api:organization-retrieve"
    assert entry.additional_data["path"] == f"/api/v1/organizations/{npo.pk}/"
    assert entry.timestamp is not None

    match = two_party_match(people)
    client.force_login(people["coordinator"])
    assert shows_contact(client.get(f"/coord/matches/{match.pk}/"))
    web = access_entries(npo).filter(additional_data__via="web:coord-match").get()
    assert web.additional_data["record"] == f"match:{match.pk}"
    assert access_entries(people["department"]).filter(additional_data__via="web:coord-match")

    client.force_login(people["admin"])
    assert client.get(f"/admin/organizations/organization/{npo.pk}/change/").status_code == 200
    assert access_entries(npo).filter(
        actor=people["admin"], additional_data__via="admin:organization"
    )


def test_platform_admins_review_the_access_log_read_only(client, people, npo):
    client.force_login(people["coordinator"])
    client.get(f"/api/v1/organizations/{npo.pk}/")
    assert PersonalDataAccess.objects.filter(action=LogEntry.Action.ACCESS).count() == 1
    # The coordinator whose reading is logged cannot open (or tidy up) the log.
    User.objects.filter(pk=people["coordinator"].pk).update(is_staff=True)
    assert client.get("/admin/organizations/personaldataaccess/").status_code == 403
    client.force_login(people["admin"])
    page = client.get("/admin/organizations/personaldataaccess/")
    assert page.status_code == 200
    assert "api:organization-retrieve" in page.content.decode()
    assert client.get("/admin/organizations/personaldataaccess/add/").status_code == 403
    entry = PersonalDataAccess.objects.get(action=LogEntry.Action.ACCESS)
    delete = client.post(
        f"/admin/organizations/personaldataaccess/{entry.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert PersonalDataAccess.objects.filter(pk=entry.pk).exists()


def test_audit_trail_masks_contact_values(people, npo):
    npo.contact_email = "new.contact@npo-example.org"
    npo.save()
    entry = LogEntry.objects.get_for_object(npo).filter(action=LogEntry.Action.UPDATE).first()
    assert "contact_email" in entry.changes
    assert "new.contact@npo-example.org" not in json.dumps(entry.changes)


# --------------------------------------------------------------------------- export
def test_organization_admin_downloads_everything_as_json(client, people, npo):
    match = two_party_match(people)
    drive(match, "introduced", people["coordinator"])
    client.force_login(people["member"])
    assert client.get("/my/").content.decode().count(reverse("member-privacy")) == 1
    response = client.get(f"/my/privacy/{npo.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["organization"]["contact_email"] == SECRET["contact_email"]
    member = data["members"][0]
    assert member["email"] == MEMBER["email"] and member["role"] == "admin"
    assert "password" not in member
    assert "pbkdf2" not in response.content.decode() and "md5$" not in response.content.decode()
    assert [o["id"] for o in data["offers"]] == [match.offer_id]
    [m] = data["matches"]
    assert [t["target"] for t in m["transitions"]] == ["proposed", "introduced"]
    # The partner's contacts are in the export because the match is introduced.
    dept = next(p for p in m["parties"] if p["organization_id"] == people["department"].pk)
    assert dept["contact"]["contact_email"] == people["department"].contact_email
    assert any(n["recipient"] == "member" for n in data["notifications"])


def test_export_refused_to_others(client, api, people, npo):
    plain = make_user("plain-member", npo, role="member")
    for user in (plain, people["other"]):
        client.force_login(user)
        assert client.get(f"/my/privacy/{npo.pk}/export.json").status_code == 404
        api.force_authenticate(user)
        assert api.get(f"/api/v1/organizations/{npo.pk}/export/").status_code == 403
    api.force_authenticate(people["coordinator"])
    assert api.get(f"/api/v1/organizations/{npo.pk}/export/").status_code == 200
    assert access_entries(npo).filter(additional_data__via="export").exists()


def test_privacy_api_does_not_reveal_unverified_organizations(api, people):
    waiting = make_org("審査待ちの会", "citizen_group", is_verified=False)
    api.force_authenticate(people["other"])
    for url in (
        f"/api/v1/organizations/{waiting.pk}/export/",
        f"/api/v1/organizations/{waiting.pk}/deletion-requests/",
    ):
        # The same answer as for an id that does not exist, and as the directory API gives.
        assert api.get(url).status_code == 404
    assert api.get(f"/api/v1/organizations/{waiting.pk}/").status_code == 404
    assert (
        api.post(
            f"/api/v1/organizations/{waiting.pk}/deletion-requests/",
            {"reason": "x", "confirm": True},
            format="json",
        ).status_code
        == 404
    )
    assert not DeletionRequest.objects.exists()


# --------------------------------------------------------------------------- deletion
def _request_deletion(client, people, npo) -> DeletionRequest:
    client.force_login(people["member"])
    url = f"/my/privacy/{npo.pk}/delete/"
    refused = client.post(url, {"reason": "解散したため"})  # no confirmation
    assert refused.status_code == 400
    assert not DeletionRequest.objects.exists()
    assert client.post(url, {"reason": "", "confirm": "on"}).status_code == 400
    assert client.post(url, {"reason": "団体を解散したため", "confirm": "on"}).status_code == 302
    return DeletionRequest.objects.get(organization=npo)


def test_deletion_request_waits_for_a_coordinator(client, api, people, npo):
    req = _request_deletion(client, people, npo)
    assert req.status == "pending" and req.due_on == timezone.localdate() + dt.timedelta(days=14)
    assert Notification.objects.filter(
        recipient=people["coordinator"], kind="privacy.deletion_requested"
    ).exists()
    npo.refresh_from_db()
    assert npo.contact_email == SECRET["contact_email"]  # nothing erased yet
    # A second request while one waits: 400 with a field message, not a second row.
    api.force_authenticate(people["member"])
    again = api.post(
        f"/api/v1/organizations/{npo.pk}/deletion-requests/",
        {"reason": "再度", "confirm": True},
        format="json",
    )
    assert again.status_code == 400 and "organization" in again.json()
    api.force_authenticate(people["other"])
    denied = api.post(
        f"/api/v1/organizations/{npo.pk}/deletion-requests/",
        {"reason": "x", "confirm": True},
        format="json",
    )
    assert denied.status_code == 403
    assert DeletionRequest.objects.count() == 1


def _every_text_in_database() -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty textual value in every table."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cols = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT {', '.join(qn(c) for c in cols)} FROM {qn(table)}")
            for row in cursor.fetchall():
                for col, value in zip(cols, row, strict=True):
                    if value is None or isinstance(value, (int, float, bool, dt.date)):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if text[:1] in '[{"':
                        try:  # JSON stored with \\u escapes: read it as the characters
                            text += json.dumps(json.loads(text), ensure_ascii=False)
                        except ValueError:
                            pass
                    out.append((table, col, text))
    return out


def _spread_personal_data(people, npo):
    """Put the NPO's personal data where real use puts it: free text, notifications,
    the audit trail, login records."""
    member = people["member"]
    who = f"{SECRET['contact_name']}（{SECRET['contact_phone']}）"
    history = two_party_match(people)
    history.offer.description += f" 担当: {who}"
    history.offer.save()
    history = drive(history, "completed", people["coordinator"])
    Evaluation.objects.create(
        match=history,
        evaluator="party",
        organization=npo,
        grade="B",
        effects=f"{MEMBER['display_name']}さんの進行で参加者が増えた",
        publish_consent=True,
        submitted_by=member,
    )
    Evaluation.objects.create(
        match=history, evaluator="party", organization=people["department"], grade="A",
        effects=f"{SECRET['contact_email']} との連絡が円滑だった", submitted_by=people["staff"],
    )  # fmt: skip
    ContinuationFollowUp.objects.update_or_create(
        match=history, organization=npo, months=6,
        defaults={"due_on": timezone.localdate(), "answer": "continued",
                  "reason": f"{who}が継続", "answered_by": member},
    )  # fmt: skip
    open_match = two_party_match(people)
    drive(open_match, "introduced", people["coordinator"])
    workflow.respond(open_match, member, npo, True)
    InterestRequest.objects.create(
        organization=npo, need=open_match.need, message=f"連絡は {MEMBER['email']} へ",
        requested_by=member,
    )  # fmt: skip
    notify([people["staff"]], "test.personal", f"{SECRET['contact_name']}さんから", who)
    notify([member], "test.personal", "ご案内", "本文")
    # A failed login (django-axes records the username and the address).
    from django.test import Client

    Client().post("/accounts/login/", {"username": "member", "password": "wrong"})
    return history, open_match


def test_deletion_erases_every_personal_value_and_keeps_history(client, people, npo):
    history, open_match = _spread_personal_data(people, npo)
    fy = dates.current_fiscal_year()
    start, end = dates.fiscal_year_range(fy)
    kpi_before = (
        kpi.matches_per_month(start, end),
        kpi.grade_distribution(start, end),
        kpi.matches_by_field(start, end),
    )
    history_before = list(
        MatchTransition.objects.filter(match=history).values_list("source", "target", "at")
    )
    token = client.post(
        "/api/v1/auth/token/", {"username": "member", "password": "pass-Tsunagu-2026"}
    ).json()["token"]
    values = [*SECRET.values(), MEMBER["email"], MEMBER["display_name"], token]
    assert all(any(v in t for *_, t in _every_text_in_database()) for v in values[:6])

    req = _request_deletion(client, people, npo)
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(people["member"])
    assert signed_in.get("/my/").status_code == 200
    coordinator = people["coordinator"]
    User.objects.filter(pk=coordinator.pk).update(is_staff=True)
    client.force_login(coordinator)
    done = client.post(
        "/admin/organizations/deletionrequest/",
        {"action": "carry_out", "_selected_action": [req.pk]},
    )
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == "done" and req.handled_by == coordinator

    # 1. No erased value anywhere: every text column of every table.
    leftovers = [
        (table, col, v)
        for table, col, text in _every_text_in_database()
        for v in values
        if v.lower() in text.lower()
    ]
    assert leftovers == []
    assert not any("member" == t for table, col, t in _every_text_in_database() if "axes" in table)

    # 2. The organization stays, anonymised; its kind and fields stay for the KPIs.
    npo.refresh_from_db()
    assert npo.name == f"削除された団体 #{npo.pk}" and npo.deleted_at and not npo.is_active
    assert npo.kind == "npo_corporation"
    assert not LogEntry.objects.get_for_object(npo).filter(object_repr="NPO法人みどりの手")

    # 3. The partner's history and the city's KPIs are unchanged.
    assert (
        list(MatchTransition.objects.filter(match=history).values_list("source", "target", "at"))
        == history_before
    )
    assert Evaluation.objects.filter(match=history).count() == 2
    assert (
        kpi.matches_per_month(start, end),
        kpi.grade_distribution(start, end),
        kpi.matches_by_field(start, end),
    ) == kpi_before
    client.force_login(people["staff"])
    page = client.get(f"/my/matches/{history.pk}/").content.decode()
    assert f"削除された団体 #{npo.pk}" in page

    # 4. The open match is cancelled and the partner told; the erased member is not.
    open_match.refresh_from_db()
    assert open_match.state == Match.State.CANCELLED
    assert Notification.objects.filter(recipient=people["staff"], kind="match.cancel").exists()
    member = User.objects.get(pk=people["member"].pk)
    assert not Notification.objects.filter(recipient=member).exists()
    assert not Delivery.objects.filter(recipient=member).exists()
    assert not open_match.offer.__class__.objects.filter(organization=npo, status="open")

    # 5. Nobody can sign in as the erased member, by password, session or token.
    assert not member.is_active and not member.has_usable_password()
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "member", "password": "pass-Tsunagu-2026"})
    assert "_auth_user_id" not in fresh.session
    assert fresh.get("/my/").status_code == 302  # sent to the login page
    again = client.post(
        "/api/v1/auth/token/", {"username": "member", "password": "pass-Tsunagu-2026"}
    )
    assert again.status_code == 400
    assert signed_in.get("/my/").status_code == 302  # the open session ends too
    api_response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api_response.status_code == 401


def test_deletion_is_all_or_nothing(client, people, npo, monkeypatch):
    _spread_personal_data(people, npo)
    req = _request_deletion(client, people, npo)

    def boom(values):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy, "scrub_strings", boom)
    with pytest.raises(RuntimeError):
        privacy.carry_out_deletion(req, people["coordinator"])
    npo.refresh_from_db()
    req.refresh_from_db()
    assert npo.contact_email == SECRET["contact_email"] and npo.deleted_at is None
    assert req.status == "pending"
    assert User.objects.get(pk=people["member"].pk).is_active
    assert not Match.objects.filter(state="cancelled").exists()


def test_only_coordinators_carry_out_a_deletion(client, people, npo):
    req = _request_deletion(client, people, npo)
    with pytest.raises(Exception) as exc:
        privacy.carry_out_deletion(req, people["member"])
    assert exc.type.__name__ == "PermissionDenied"
    other_org = make_org("別の団体", contact_name=SECRET["contact_name"])
    privacy.carry_out_deletion(req, people["coordinator"])
    # A contact name another live organization shares is erased here, not there.
    other_org.refresh_from_db()
    assert other_org.contact_name == SECRET["contact_name"]
