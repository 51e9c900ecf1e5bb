"""「この会に来てほしい団体」: the engine's ranked list of organizations to invite
(meetings.invitations) and invitations of several organizations at once
(meetings.invitations.invite_many), through the services and the API.

What an organizer notices: the organizations whose posts fit the meeting come first, with
the reason in words; an organization invited everywhere lately moves down and the row
says why; newcomers are marked 「初参加」; the organizer itself and organizations already
invited or registered are not offered; invited organizations are told, with a link that
opens the registration form."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_need, make_offer, make_org, make_user
from django.utils import timezone
from meeting_support import make_meeting

from lib.errors import Conflict, Forbidden, Invalid
from meetings import invitations, services
from meetings.models import Invitation, Meeting, Registration
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/meetings/"

CHILDCARE = "乳幼児と保護者が気軽に集まれる子育てひろばを運営しています。子育ての相談にも応じます。"


@pytest.fixture
def scene(people):
    """A 子育て meeting of a department, and organizations whose posts fit it or not."""
    dept = make_org("テスト市 子育て支援課", "city_department")
    staff = make_user("kosodate", dept)
    orgs = {}

    def org(key, name, kind, member):
        orgs[key] = make_org(name, kind)
        orgs[f"{key}_user"] = make_user(member, orgs[key])
        return orgs[key]

    hiroba = org("hiroba", "NPO法人 子育てひろばの会", "npo_corporation", "hiroba")
    make_offer(
        hiroba, "乳幼児と保護者の子育てひろば", description=CHILDCARE,
        fields=["children"], areas=["t-kita"], forms=["cooperation"],
    )  # fmt: skip
    ehon = org("ehon", "絵本の読み聞かせの会", "citizen_group", "ehon")
    make_offer(
        ehon, "子どもへの絵本の読み聞かせ",
        description="図書館や保育園で子どもたちに絵本の読み聞かせをしています。",
        fields=["children"], areas=["t-kita"],
    )  # fmt: skip
    shop = org("shop", "まちの電気店", "business", "denki")
    make_offer(
        shop, "家電の修理と販売", description="冷蔵庫やエアコンの修理を承ります。",
        fields=["economy"], areas=["t-kita"],
    )  # fmt: skip
    jichikai = org("jichikai", "北一丁目自治会", "neighborhood_association", "jichikai")
    make_need(
        jichikai, "子育て世帯の見守りと居場所づくり",
        description="子育て中の保護者が孤立しないよう、地域で見守り、集まれる居場所を作りたい。",
        fields=["children"], areas=["t-kita"],
    )  # fmt: skip
    # The organizer's own offer fits its meeting best of all: it is not offered.
    make_offer(dept, "子育てひろばの運営支援", description=CHILDCARE, fields=["children"])
    meeting = make_meeting(
        dept, staff, capacity=30, title="子育て支援の交流会",
        description="乳幼児と保護者の子育てを地域で支える団体と市の担当課の交流会です。"
        "子育てひろば、居場所づくり、見守り。",
    )  # fmt: skip
    return {**people, **orgs, "dept": dept, "organizer": staff, "meeting": meeting}


def _names(rows) -> list[str]:
    return [row.organization.name for row in rows]


def _past_meeting(organizer, days_ago: int = 30) -> Meeting:
    start = timezone.now() - dt.timedelta(days=days_ago)
    return Meeting.objects.create(
        kind=Meeting.Kind.EXCHANGE,
        organizer=organizer,
        title="去年の交流会",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=20,
        status=Meeting.Status.HELD,
    )


# --- the ranked list -----------------------------------------------------------------------
def test_the_organizations_whose_posts_fit_come_first_with_reasons(scene):
    rows = invitations.suggest_invitations(scene["meeting"], scene["organizer"])
    names = _names(rows)
    # The two that share the meeting's words first, the one sharing only its topic next.
    assert set(names[:2]) == {"NPO法人 子育てひろばの会", "北一丁目自治会"}
    assert names[2:] == ["絵本の読み聞かせの会"]
    assert "まちの電気店" not in names  # a shop in the same ward shares only the place
    assert "テスト市 子育て支援課" not in names  # the organizer
    hiroba = next(r for r in rows if r.organization == scene["hiroba"])
    assert hiroba.reasons[0].startswith(
        "できること『乳幼児と保護者の子育てひろば』が会合の内容に合う（共通するキーワード: "
    )
    assert "保護者" in hiroba.reasons[0]
    assert hiroba.posts[0].kind == "offer"
    assert hiroba.posts[0].title == "乳幼児と保護者の子育てひろば"
    assert "関連する話題: 子育て" in rows[2].reasons[0]
    # A need fits the meeting from the other side (the meeting as what it offers).
    jichikai = next(r for r in rows if r.organization == scene["jichikai"])
    assert jichikai.posts[0].kind == "need"
    assert jichikai.reasons[0].startswith("テーマ『子育て世帯の見守りと居場所づくり』")
    scores = [r.score for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_the_list_is_deterministic_and_the_limit_cuts_it(scene):
    first = invitations.suggest_invitations(scene["meeting"], scene["organizer"])
    again = invitations.suggest_invitations(scene["meeting"], scene["organizer"])
    assert [(r.organization.pk, r.score) for r in first] == [
        (r.organization.pk, r.score) for r in again
    ]
    top = invitations.suggest_invitations(scene["meeting"], scene["organizer"], limit=1)
    assert _names(top) == _names(first)[:1]


def test_linked_themes_bring_the_offers_that_fit_them(scene):
    meeting = scene["meeting"]
    cashless = make_org("商店街キャッシュレス推進会", "business")
    make_offer(
        cashless, "商店街へのキャッシュレス決済の導入相談",
        description="商店街の個店にキャッシュレス決済の導入を助言しています。",
        fields=["economy"], areas=["t-kita"],
    )  # fmt: skip
    theme = make_need(
        scene["dept"], "商店街のキャッシュレス化",
        description="商店街の個店でキャッシュレス決済が使えるよう支援してくれる団体を探しています。",
        fields=["economy"],
    )  # fmt: skip
    # Nothing in common with the meeting's own text …
    assert "商店街キャッシュレス推進会" not in _names(invitations.rank_invitations(meeting))
    # … but the meeting presents the theme its offer answers.
    meeting.needs.set([theme])
    rows = invitations.rank_invitations(meeting)
    row = next(r for r in rows if r.organization == cashless)
    assert row.reasons[0].startswith(
        "できること『商店街へのキャッシュレス決済の導入相談』が"
        "会合で扱うテーマ『商店街のキャッシュレス化』に合う（"
    )


def test_organizations_already_invited_or_registered_are_not_offered(scene):
    meeting = scene["meeting"]
    services.register(meeting, scene["hiroba"], scene["hiroba_user"], 2)
    invitations.invite(meeting, scene["organizer"], scene["ehon"])
    names = _names(invitations.rank_invitations(meeting))
    assert names == ["北一丁目自治会"]


def test_newcomers_are_marked_first_time(scene):
    past = _past_meeting(scene["dept"])
    Registration.objects.create(
        meeting=past, organization=scene["hiroba"], attendees=1, status="registered"
    )
    # Registered for a meeting that was cancelled, or only waiting: still a newcomer.
    cancelled = _past_meeting(scene["dept"], days_ago=60)
    cancelled.status = Meeting.Status.CANCELLED
    cancelled.save()
    Registration.objects.create(
        meeting=cancelled, organization=scene["ehon"], attendees=1, status="registered"
    )
    rows = {r.organization.name: r for r in invitations.rank_invitations(scene["meeting"])}
    hiroba, ehon = rows["NPO法人 子育てひろばの会"], rows["絵本の読み聞かせの会"]
    assert hiroba.first_time is False and hiroba.marks == []
    assert ehon.first_time is True and ehon.marks == ["初参加"]
    assert "初参加" in ehon.reasons[-1]
    assert not any("初参加" in r for r in hiroba.reasons)


def test_an_organization_invited_often_lately_moves_down_and_is_told_why(scene):
    # Two groups with the same offer: equal scores, ordered by id.
    twins = []
    for name in ("子育てサークルあおば", "子育てサークルみどり"):
        twin = make_org(name, "citizen_group")
        make_offer(
            twin, "親子で遊べる子育てサークル",
            description="乳幼児と保護者が集まって遊ぶ子育てサークルです。",
            fields=["children"], areas=["t-kita"],
        )  # fmt: skip
        twins.append(twin)
    aoba, _midori = twins
    rows = invitations.rank_invitations(scene["meeting"], limit=None)
    before = _names(rows)
    assert before.index("子育てサークルあおば") < before.index("子育てサークルみどり")
    row = next(r for r in rows if r.organization == aoba)
    assert row.fairness_discount == 0 and row.score == row.score_before_fairness
    # あおば was invited to four recent meetings, and registered for a fifth.
    for days in (10, 40, 90, 200, 300):
        other = _past_meeting(scene["dept"], days_ago=days)
        if days == 300:
            Registration.objects.create(
                meeting=other, organization=aoba, attendees=1, status="registered"
            )
        else:
            Invitation.objects.create(meeting=other, organization=aoba)
    # A meeting from long ago does not count.
    Invitation.objects.create(meeting=_past_meeting(scene["dept"], days_ago=800), organization=aoba)
    rows = invitations.rank_invitations(scene["meeting"], limit=None)
    after = _names(rows)
    assert after.index("子育てサークルみどり") < after.index("子育てサークルあおば")
    row = next(r for r in rows if r.organization == aoba)
    assert row.recent_meetings == 5
    assert row.fairness_discount == pytest.approx(invitations.FAIRNESS_STRENGTH)
    assert row.score == pytest.approx(row.score_before_fairness * 0.6, abs=1e-3)
    assert any("5回招待・参加" in r and "順位を下げています" in r for r in row.reasons)
    assert row.first_time is False  # registered at a meeting that took place


def test_only_the_organizer_and_coordinators_get_the_list(scene):
    meeting = scene["meeting"]
    with pytest.raises(Forbidden):
        invitations.suggest_invitations(meeting, scene["hiroba_user"])
    assert invitations.suggest_invitations(meeting, scene["coordinator"])
    meeting = services.cancel_meeting(meeting, scene["organizer"])
    assert invitations.suggest_invitations(meeting, scene["organizer"]) == []


# --- inviting --------------------------------------------------------------------------------
def test_invite_several_from_the_list_with_a_notification_and_link(scene):
    meeting = scene["meeting"]
    listed = {r.organization.pk: r.score for r in invitations.rank_invitations(meeting, limit=None)}
    made = invitations.invite_suggested(
        meeting, scene["organizer"], [scene["hiroba"], scene["jichikai"], scene["shop"]]
    )
    assert [i.organization for i in made] == [scene["hiroba"], scene["jichikai"], scene["shop"]]
    hiroba, jichikai, shop = made
    assert hiroba.suggested and hiroba.score == pytest.approx(listed[scene["hiroba"].pk])
    assert jichikai.suggested
    # Not in the engine's list: a personal invitation, without a score.
    assert not shop.suggested and shop.score is None
    told = Notification.objects.filter(kind="meeting.invited").order_by("recipient__username")
    assert [n.recipient.username for n in told] == ["denki", "hiroba", "jichikai"]
    note = told.get(recipient__username="hiroba")
    assert note.url == f"/meetings/{meeting.pk}/?register=1"
    assert "子育て支援の交流会" in note.title
    assert "テスト市 子育て支援課から" in note.body


def test_no_double_invitation_and_all_or_none(scene):
    meeting, organizer = scene["meeting"], scene["organizer"]
    invitations.invite_many(meeting, organizer, [scene["hiroba"]])
    with pytest.raises(Conflict) as exc:
        invitations.invite_many(meeting, organizer, [scene["ehon"], scene["hiroba"]])
    assert exc.value.status == 409
    assert "NPO法人 子育てひろばの会" in str(exc.value.field_errors()["organizations"][0])
    assert not Invitation.objects.filter(meeting=meeting, organization=scene["ehon"]).exists()
    with pytest.raises(Invalid) as exc:
        invitations.invite(meeting, organizer, scene["dept"])
    assert "organizations" in exc.value.field_errors()
    with pytest.raises(Invalid):
        invitations.invite_many(meeting, organizer, [])
    with pytest.raises(Forbidden):
        invitations.invite(meeting, scene["hiroba_user"], scene["ehon"])
    assert Notification.objects.filter(kind="meeting.invited").count() == 1


def test_only_published_meetings_before_the_deadline_take_invitations(scene):
    draft = make_meeting(scene["dept"], scene["organizer"], publish=False)
    with pytest.raises(Conflict) as exc:
        invitations.invite(draft, scene["organizer"], scene["hiroba"])
    assert exc.value.code == "meeting_state"
    meeting = scene["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(
        registration_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(Conflict) as exc:
        invitations.invite(meeting, scene["organizer"], scene["hiroba"])
    assert exc.value.code == "deadline"


def test_an_invitation_opens_an_invitation_only_meeting(scene):
    meeting = make_meeting(
        scene["dept"], scene["organizer"], registration_mode="invitation", title="招待制の会"
    )
    invitations.invite_many(meeting, scene["organizer"], [scene["hiroba"], scene["ehon"]])
    for key in ("hiroba", "ehon"):
        made = services.register(meeting, scene[key], scene[f"{key}_user"], 1)
        assert made.status == "registered"
    with pytest.raises(Forbidden):
        services.register(meeting, scene["shop"], scene["shop_user"], 1)


# --- the API ---------------------------------------------------------------------------------
def test_the_list_through_the_api(api, scene):
    url = f"{URL}{scene['meeting'].pk}/invitation-suggestions/"
    assert api.get(url).status_code == 401
    api.force_authenticate(scene["hiroba_user"])
    assert api.get(url).status_code == 403
    api.force_authenticate(scene["coordinator"])
    assert api.get(url).status_code == 200
    api.force_authenticate(scene["organizer"])
    answer = api.get(url)
    assert answer.status_code == 200
    rows = {row["organization_name"]: row for row in answer.json()}
    assert set(rows) == {"NPO法人 子育てひろばの会", "北一丁目自治会", "絵本の読み聞かせの会"}
    hiroba = rows["NPO法人 子育てひろばの会"]
    assert hiroba["marks"] == ["初参加"] and hiroba["first_time"] is True
    assert hiroba["reasons"][0].startswith("できること『乳幼児と保護者の子育てひろば』")
    assert hiroba["posts"][0]["kind"] == "offer"
    assert hiroba["organization_kind_label"] == "NPO法人"
    assert len(api.get(url, {"limit": 1}).json()) == 1
    bad = api.get(url, {"limit": "0"})
    assert bad.status_code == 400 and "limit" in bad.json()


def test_invite_several_through_the_api(api, scene):
    meeting = scene["meeting"]
    url = f"{URL}{meeting.pk}/invitations/"
    body = {"organizations": [scene["hiroba"].pk, scene["jichikai"].pk], "suggested": True}
    api.force_authenticate(scene["hiroba_user"])
    assert api.post(url, body, format="json").status_code == 403
    api.force_authenticate(scene["organizer"])
    answer = api.post(url, body, format="json")
    assert answer.status_code == 201, answer.json()
    made = answer.json()["invitations"]
    assert [i["organization_name"] for i in made] == ["NPO法人 子育てひろばの会", "北一丁目自治会"]
    assert all(i["suggested"] and i["score"] > 0 for i in made)
    # One organization (the original form) still works; twice is a 409 on the field.
    answer = api.post(url, {"organization": scene["ehon"].pk}, format="json")
    assert answer.status_code == 201
    assert answer.json()["invitations"][0]["suggested"] is False
    answer = api.post(url, {"organizations": [scene["hiroba"].pk]}, format="json")
    assert answer.status_code == 409
    assert "NPO法人 子育てひろばの会" in answer.json()["organizations"][0]
    body = {"organizations": [scene["hiroba"].pk]}
    english = api.post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["organizations"][0].startswith("Already invited: ")
    # Bad input: field-level 400s.
    assert "organizations" in api.post(url, {}, format="json").json()
    answer = api.post(url, {"organizations": [999999]}, format="json")
    assert answer.status_code == 400 and "999999" in answer.json()["organizations"][0]
    answer = api.post(url, {"organizations": [10**30]}, format="json")  # no overflow
    assert answer.status_code == 400 and "organizations" in answer.json()
    answer = api.post(url, {"organizations": [scene["dept"].pk]}, format="json")
    assert answer.status_code == 400 and "organizations" in answer.json()
    assert Invitation.objects.filter(meeting=meeting).count() == 3
