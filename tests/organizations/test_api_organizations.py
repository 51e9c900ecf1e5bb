"""Organizations through the API: public fields for everyone, contact details for few."""

from __future__ import annotations

import pytest

from organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db

PRIVATE = {"contact_name", "contact_email", "contact_phone", "address"}


def test_anonymous_sees_public_fields_only(api, people):
    response = api.get("/api/v1/organizations/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["name"] for r in rows} >= {"NPO法人みどりの手", "北区子育てサークルひだまり"}
    for row in rows:
        assert not PRIVATE & row.keys(), row
    detail = api.get(f"/api/v1/organizations/{people['npo'].pk}/").json()
    assert not PRIVATE & detail.keys()


@pytest.mark.parametrize(
    "who, sees",
    [("member", True), ("other", False), ("staff", False), ("coordinator", True), ("admin", True)],
)
def test_contact_details_by_role(api, people, who, sees):
    api.force_authenticate(people[who])
    detail = api.get(f"/api/v1/organizations/{people['npo'].pk}/").json()
    assert (detail.get("contact_email") == people["npo"].contact_email) is sees
    listed = api.get("/api/v1/organizations/", {"kind": "npo_corporation"}).json()["results"]
    assert ("contact_email" in listed[0]) is sees


def test_registering_an_organization_makes_the_user_its_admin(api, people):
    api.force_authenticate(people["other"])
    response = api.post(
        "/api/v1/organizations/",
        {
            "name": "南区まちの縁側ネット",
            "kind": "citizen_group",
            "fields": ["welfare", "community"],
            "areas": ["t-minami"],
            "contact_email": "engawa@example.jp",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    org = Organization.objects.get(pk=response.json()["id"])
    assert org.is_verified is False  # waits for a coordinator
    assert Membership.objects.get(organization=org).role == "admin"
    assert response.json()["contact_email"] == "engawa@example.jp"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "", "kind": "citizen_group"}, "name"),
        ({"name": "団体", "kind": "secret_society"}, "kind"),
        ({"name": "団体", "kind": "citizen_group", "npo_status": "accredited"}, "npo_status"),
        (
            {"name": "団体", "kind": "citizen_group", "contact_email": "not-an-email"},
            "contact_email",
        ),
        ({"name": "団体", "kind": "citizen_group", "website": "javascript:alert(1)"}, "website"),
        ({"name": "団体", "kind": "citizen_group", "fields": ["nope"]}, "fields"),
        ({"name": "名" * 201, "kind": "citizen_group"}, "name"),
    ],
)
def test_bad_organization_input(api, people, data, field):
    api.force_authenticate(people["other"])
    before = Organization.objects.count()
    response = api.post("/api/v1/organizations/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Organization.objects.count() == before


def test_only_org_admins_and_coordinators_edit_an_organization(api, people):
    url = f"/api/v1/organizations/{people['npo'].pk}/"
    assert api.patch(url, {"description": "x"}, format="json").status_code == 401
    api.force_authenticate(people["other"])
    assert api.patch(url, {"description": "x"}, format="json").status_code == 403
    # "other" is a plain member (not admin) of the group: may post, may not edit the group
    assert Membership.objects.get(user=people["other"], organization=people["group"]).role == (
        "member"
    )
    group_url = f"/api/v1/organizations/{people['group'].pk}/"
    assert api.patch(group_url, {"description": "x"}, format="json").status_code == 403
    api.force_authenticate(people["member"])
    assert api.patch(url, {"description": "森を守る会です"}, format="json").status_code == 200
    api.force_authenticate(people["coordinator"])
    assert api.patch(url, {"activity_checked_on": "2026-10-01"}, format="json").status_code == 200
    people["npo"].refresh_from_db()
    assert people["npo"].description == "森を守る会です"
    assert str(people["npo"].activity_checked_on) == "2026-10-01"


def test_users_cannot_verify_their_own_organization(api, people):
    api.force_authenticate(people["member"])
    people["npo"].is_verified = False
    people["npo"].save()
    api.patch(f"/api/v1/organizations/{people['npo'].pk}/", {"is_verified": True}, format="json")
    people["npo"].refresh_from_db()
    assert people["npo"].is_verified is False


def test_retired_organizations_are_hidden_except_from_coordinators(api, people):
    people["group"].is_active = False
    people["group"].save()
    url = f"/api/v1/organizations/{people['group'].pk}/"
    assert api.get(url).status_code == 404
    api.force_authenticate(people["coordinator"])
    assert api.get(url).status_code == 200


def test_me_lists_roles(api, people):
    assert api.get("/api/v1/me/").status_code == 401
    api.force_authenticate(people["staff"])
    me = api.get("/api/v1/me/").json()
    assert set(me["roles"]) == {"organization_member", "department_staff"}
    assert me["memberships"][0]["organization_name"] == "テスト市 高齢福祉課"
    api.force_authenticate(people["coordinator"])
    assert api.get("/api/v1/me/").json()["roles"] == ["coordinator"]


def test_token_auth(api, people):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "member", "password": "pass-Tsunagu-2026"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == "member"
    bad = api.post("/api/v1/auth/token/", {"username": "member", "password": "x"}, format="json")
    assert bad.status_code == 400


def test_reference_lists(api, db):
    fields = api.get("/api/v1/fields/").json()
    assert len(fields) == 20
    assert fields[0] == {
        "code": "welfare",
        "name": "保健、医療又は福祉の増進を図る活動",
        "short_name": "保健・医療・福祉",
    }
    forms = {f["code"]: f["name"] for f in api.get("/api/v1/forms/").json()}
    assert forms["commission"] == "委託" and len(forms) == 8
    assert len(api.get("/api/v1/resource-kinds/").json()) == 5


def test_area_hierarchy_listing(api, city):
    areas = {a["code"]: a for a in api.get("/api/v1/areas/").json()}
    assert areas["t-kita-1"]["parent"] == "t-kita"
    assert areas["t-kita"]["parent"] == "t-city"


def test_openapi_schema_and_docs(api, db):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/needs/" in text and "/api/v1/offers/" in text
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    # LGWAN: the docs page loads its assets from this server, never from a CDN
    assert "cdn" not in docs.content.decode().lower()


def test_unverified_organizations_are_public_only_once_verified(api, client, people):
    from conftest import make_org, make_user

    waiting = make_org("登録したばかりの会", "citizen_group", is_verified=False)
    founder = make_user("founder", waiting, role="admin")
    url = f"/api/v1/organizations/{waiting.pk}/"
    assert api.get(url).status_code == 404
    assert "登録したばかりの会" not in client.get("/organizations/").content.decode()
    api.force_authenticate(people["other"])
    assert api.get(url).status_code == 404
    for who in (founder, people["coordinator"]):
        api.force_authenticate(who)
        assert api.get(url).status_code == 200
    waiting.is_verified = True
    waiting.save()
    api.force_authenticate(None)
    assert api.get(url).status_code == 200
    assert "登録したばかりの会" in client.get("/organizations/").content.decode()
