"""The rules of a post live once in proposals.services (check_post / save_post), and every
path goes through them: the service itself, the API, the admin and the importers."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from conftest import dev_dataset, make_need, make_offer, make_org

from lib.errors import Forbidden, Invalid
from organizations.models import Field
from proposals.models import Need, Offer
from proposals.services import save_post

pytestmark = pytest.mark.django_db

ADMINISTRATIVE_ONLY = "行政提案は市の部署だけが投稿できます。"
BAD_PERIOD = "終了日は開始日以降の日付にしてください。"
ORGANIZATION_FIXED = "投稿団体は変更できません。"
NOT_YOUR_ORGANIZATION = "この団体の名前で投稿する権限がありません。"
ARCHIVED_TO_OPEN = "「保管」から「募集中」には変更できません。"


def new_need(organization, **extra) -> dict:
    return {
        "organization": organization,
        "title": "防災訓練の企画パートナー募集",
        "description": "避難所運営訓練を一緒に企画してくれる団体を探しています。",
        "starts_on": dt.date(2026, 6, 1),
        "ends_on": dt.date(2027, 2, 28),
        "status": "open",
        **extra,
    }


def texts(exc: Invalid | Forbidden) -> dict[str, list[str]]:
    return {name: [str(m) for m in ms] for name, ms in exc.field_errors().items()}


def snapshot(post) -> tuple:
    row = type(post).objects.get(pk=post.pk)
    fields = sorted(row.fields.values_list("code", flat=True))
    return row.organization_id, row.title, row.description, row.status, row.ends_on, fields


# --- the service ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["title", "description"])
def test_blank_text_is_refused_and_text_is_stripped(people, name):
    with pytest.raises(Invalid) as refused:
        save_post(Need(), new_need(people["npo"], **{name: " \u3000\n"}))
    message = "タイトルを入力してください。" if name == "title" else "内容を入力してください。"
    assert texts(refused.value) == {name: [message]}
    assert not Need.objects.exists()

    need = save_post(Need(), new_need(people["npo"], **{name: "  花壇づくり  "}))
    assert getattr(Need.objects.get(pk=need.pk), name) == "花壇づくり"


def test_period_must_not_end_before_it_starts(people):
    need = make_need(people["npo"], fields=["welfare"])
    before = snapshot(need)
    with pytest.raises(Invalid) as refused:
        save_post(need, {"title": "変わってはいけない", "ends_on": dt.date(2026, 3, 31)})
    assert texts(refused.value) == {"ends_on": [BAD_PERIOD]}
    assert snapshot(need) == before

    save_post(need, {"ends_on": dt.date(2026, 4, 1)})  # one day is a period
    assert Need.objects.get(pk=need.pk).ends_on == dt.date(2026, 4, 1)


def test_status_transition_is_checked_against_the_stored_status(people):
    need = make_need(people["npo"], status="open")
    save_post(need, {"status": "paused"})
    assert Need.objects.get(pk=need.pk).status == "paused"

    # Archived meanwhile (another request): the instance in memory still says "paused".
    Need.objects.filter(pk=need.pk).update(status="archived")
    with pytest.raises(Invalid) as refused:
        save_post(need, {"status": "open", "title": "変わってはいけない"})
    assert texts(refused.value) == {"status": [ARCHIVED_TO_OPEN]}
    # Nor by assigning the new status to the instance first, as a form does.
    need.status = "open"
    with pytest.raises(Invalid):
        save_post(need, {"status": "open"})
    row = Need.objects.get(pk=need.pk)
    assert (row.status, row.title) == ("archived", "高齢者の見守り活動の担い手募集")


def test_organization_of_a_post_cannot_change(people):
    offer = make_offer(people["npo"])
    before = snapshot(offer)
    with pytest.raises(Invalid) as refused:
        save_post(offer, {"organization": people["group"], "title": "乗っ取り"})
    assert texts(refused.value) == {"organization": [ORGANIZATION_FIXED]}
    assert snapshot(offer) == before

    save_post(offer, {"organization": people["npo"], "title": "新しいタイトル"})
    assert Offer.objects.get(pk=offer.pk).title == "新しいタイトル"


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("city_department", "administrative"),
        ("npo_corporation", "citizen"),
        ("neighborhood_association", "community"),
    ],
)
def test_need_kind_defaults_to_the_organizations(db, kind, expected):
    need = save_post(Need(), new_need(make_org("団体", kind)))
    assert Need.objects.get(pk=need.pk).kind == expected


def test_only_a_city_department_posts_an_administrative_need(people):
    with pytest.raises(Invalid) as refused:
        save_post(Need(), new_need(people["npo"], kind="administrative"))
    assert texts(refused.value) == {"kind": [ADMINISTRATIVE_ONLY]}
    assert not Need.objects.exists()
    # Nor by changing an existing need's kind.
    need = make_need(people["group"])
    with pytest.raises(Invalid):
        save_post(need, {"kind": "administrative"})
    assert Need.objects.get(pk=need.pk).kind == "citizen"

    need = save_post(Need(), new_need(people["department"], kind="administrative"))
    assert need.kind == "administrative"


def test_actor_must_be_allowed_to_post_for_the_organization(people):
    with pytest.raises(Forbidden) as refused:
        save_post(Need(), new_need(people["npo"]), actor=people["other"])
    assert texts(refused.value) == {"organization": [NOT_YOUR_ORGANIZATION]}
    assert not Need.objects.exists()

    save_post(Need(), new_need(people["npo"]), actor=people["member"])
    save_post(Need(), new_need(people["npo"]), actor=people["coordinator"])
    save_post(Need(), new_need(people["npo"]))  # importers: no actor, no permission asked
    assert Need.objects.count() == 3


def test_a_refused_save_writes_nothing_not_even_relations(people):
    need = make_need(people["npo"], fields=["welfare"])
    before = snapshot(need)
    environment = Field.objects.get(code="environment")
    with pytest.raises(Invalid):
        save_post(need, {"fields": [environment], "status": "draft"})  # open → draft: no
    assert snapshot(need) == before


# --- the API --------------------------------------------------------------------------------


def test_api_answers_each_refusal_as_a_field_level_400(api, people):
    need = make_need(people["npo"], status="archived")
    api.force_authenticate(people["coordinator"])
    cases = [
        ({"status": "open"}, {"status": [ARCHIVED_TO_OPEN]}),
        ({"organization": people["group"].pk}, {"organization": [ORGANIZATION_FIXED]}),
        ({"kind": "administrative"}, {"kind": [ADMINISTRATIVE_ONLY]}),
        ({"starts_on": "2026-06-01", "ends_on": "2026-05-01"}, {"ends_on": [BAD_PERIOD]}),
    ]
    for body, answer in cases:
        response = api.patch(f"/api/v1/needs/{need.pk}/", body, format="json")
        assert (response.status_code, response.json()) == (400, answer)
    assert Need.objects.get(pk=need.pk).status == "archived"

    api.force_authenticate(people["other"])
    body = {"organization": people["npo"].pk, "title": "他団体の名前で", "description": "本文"}
    response = api.post("/api/v1/needs/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"organization": [NOT_YOUR_ORGANIZATION]},
    )
    assert Need.objects.count() == 1


# --- the admin ------------------------------------------------------------------------------


def admin_data(organization, **extra) -> dict:
    return {
        "organization": organization.pk,
        "kind": "",
        "title": "防災訓練の企画パートナー募集",
        "description": "避難所運営訓練を一緒に企画してくれる団体を探しています。",
        "status": "open",
        "starts_on": "2026-06-01",
        "ends_on": "2027-02-28",
        "_save": "保存",
        **extra,
    }


def test_admin_refuses_an_administrative_need_for_an_npo(client, people):
    client.force_login(people["admin"])
    response = client.post(
        "/admin/proposals/need/add/", admin_data(people["npo"], kind="administrative")
    )
    assert response.status_code == 200
    assert ADMINISTRATIVE_ONLY in response.content.decode()
    assert not Need.objects.exists()

    # Left empty, the kind is the organization's.
    response = client.post("/admin/proposals/need/add/", admin_data(people["npo"]))
    assert response.status_code == 302
    assert Need.objects.get().kind == "citizen"


def test_admin_cannot_reopen_an_archived_post_or_move_it(client, people):
    need = make_need(people["npo"], status="archived")
    client.force_login(people["admin"])
    url = f"/admin/proposals/need/{need.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, admin_data(people["npo"], kind="citizen", title="再開"))
    assert response.status_code == 200
    assert ARCHIVED_TO_OPEN in response.content.decode()
    response = client.post(
        url, admin_data(people["group"], kind="citizen", status="archived", title="移動")
    )
    assert ORGANIZATION_FIXED in response.content.decode()
    row = Need.objects.get(pk=need.pk)
    assert (row.status, row.organization, row.title) == (
        "archived",
        people["npo"],
        "高齢者の見守り活動の担い手募集",
    )

    response = client.post(url, admin_data(people["npo"], kind="citizen", status="archived"))
    assert response.status_code == 302  # an allowed change still saves


def test_admin_offer_checks_the_period(client, people):
    client.force_login(people["admin"])
    data = admin_data(people["npo"], capacity="2", ends_on="2026-05-01")
    del data["kind"]
    response = client.post("/admin/proposals/offer/add/", data)
    assert response.status_code == 200
    assert BAD_PERIOD in response.content.decode()
    assert not Offer.objects.exists()


# --- the importers --------------------------------------------------------------------------


def test_dataset_loader_reports_a_refused_row_and_keeps_nothing(db):
    from matching.scoring.datasets import DatasetError, dataset_source, load_dataset

    data = json.loads(dev_dataset().read_text(encoding="utf-8"))
    load_dataset(data)
    source = dataset_source(data["city"])
    archived_id = data["needs"][-1]["id"]
    Need.objects.filter(source=source, external_id=archived_id).update(status="archived")

    again = copy.deepcopy(data)
    again["needs"][0]["title"] = "変わってはいけない"  # a row before the refused one
    with pytest.raises(DatasetError) as refused:
        load_dataset(again)
    assert archived_id in refused.value.path
    assert refused.value.message_ja == ARCHIVED_TO_OPEN
    assert refused.value.message_en == 'The status cannot change from "Archived" to "Open".'
    first = Need.objects.get(source=source, external_id=data["needs"][0]["id"])
    assert first.title == data["needs"][0]["title"]


def test_demo_loader_refuses_an_administrative_need_of_a_group(db, settings, monkeypatch):
    from demo import loader
    from organizations.models import Organization

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    data = loader.read_data()
    kinds = {row["id"]: row["kind"] for row in data["organizations"]}
    row = next(n for n in data["needs"] if kinds[n["org"]] != "city_department")
    row["kind"] = "administrative"
    monkeypatch.setattr(loader, "read_data", lambda: data)

    with pytest.raises(loader.DemoError) as refused:
        loader.load_demo(allow_insecure_passwords=True)
    assert row["id"] in str(refused.value) and ADMINISTRATIVE_ONLY in str(refused.value)
    assert not Organization.objects.filter(source=loader.DEMO_SOURCE).exists()
    assert not Need.objects.exists()


def test_demo_loads_again_after_a_visitor_archived_a_demo_post(db, settings):
    from demo.loader import DEMO_SOURCE, load_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo(allow_insecure_passwords=True)
    need = Need.objects.filter(source=DEMO_SOURCE, status="open").first()
    paused = Need.objects.filter(source=DEMO_SOURCE, status="open").exclude(pk=need.pk).first()
    Need.objects.filter(pk=need.pk).update(status="archived")  # archived is final
    Need.objects.filter(pk=paused.pk).update(status="paused")  # paused may reopen

    load_demo(allow_insecure_passwords=True)  # as manage.py up does at every start
    assert Need.objects.get(pk=need.pk).status == "archived"
    assert Need.objects.get(pk=paused.pk).status == "open"
