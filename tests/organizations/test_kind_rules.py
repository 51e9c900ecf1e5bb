"""An organization's kind (種別) is set and changed by coordinators only, on every path,
and a change of kind re-checks what the organization has published."""

from __future__ import annotations

import pytest
from conftest import make_need, make_offer

from notifications.models import Notification
from organizations.models import Organization
from proposals.models import Need, Status

pytestmark = pytest.mark.django_db


def _patch_kind(api, user, org, kind: str, **headers):
    api.force_authenticate(user)
    return api.patch(f"/api/v1/organizations/{org.pk}/", {"kind": kind}, format="json", **headers)


def test_an_organization_admin_cannot_make_their_organization_a_city_department(api, people):
    response = _patch_kind(api, people["member"], people["group"], "city_department")
    assert response.status_code == 403  # not the group's admin at all

    npo = people["npo"]
    npo.npo_status = ""
    npo.save()
    response = _patch_kind(api, people["member"], npo, "city_department")
    assert response.status_code == 400
    assert response.json()["kind"] == ["団体の種別を変更できるのはコーディネーターだけです。"]
    npo.refresh_from_db()
    assert npo.kind == "npo_corporation"
    # Nor to any other kind: the kind is a coordinator's record.
    response = _patch_kind(api, people["member"], npo, "citizen_group")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_an_organization_admin_may_still_edit_the_rest_and_resend_the_same_kind(api, people):
    api.force_authenticate(people["member"])
    body = {"description": "新しい紹介", "kind": "npo_corporation"}
    response = api.patch(f"/api/v1/organizations/{people['npo'].pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert Organization.objects.get(pk=people["npo"].pk).description == "新しい紹介"


def test_anyone_registering_a_city_department_is_refused_and_gets_no_staff_role(api, people):
    api.force_authenticate(people["other"])
    body = {"name": "なりすまし市 企画課", "kind": "city_department"}
    response = api.post("/api/v1/organizations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["kind"] == [
        "「市の部署」の団体を登録できるのはコーディネーターだけです。"
    ]
    assert not Organization.objects.filter(name="なりすまし市 企画課").exists()
    assert not people["other"].is_department_staff


def test_a_coordinator_registers_a_city_department(api, people):
    api.force_authenticate(people["coordinator"])
    body = {"name": "テスト市 企画課", "kind": "city_department"}
    response = api.post("/api/v1/organizations/", body, format="json")
    assert response.status_code == 201, response.json()


def test_sign_up_does_not_offer_city_department(client, city):
    response = client.get("/accounts/signup/")
    assert b'value="city_department"' not in response.content
    assert b'value="citizen_group"' in response.content


def test_a_kind_change_by_a_coordinator_closes_what_the_new_kind_may_not_publish(api, people):
    department = people["department"]
    administrative = make_need(department, "行政提案: 見守りの担い手")
    assert administrative.kind == Need.Kind.ADMINISTRATIVE
    citizen = make_need(department, "市民提案として出したテーマ", kind=Need.Kind.CITIZEN)
    offer = make_offer(department, "出前講座")
    draft = make_need(department, "下書きの行政提案", status=Status.DRAFT)

    response = _patch_kind(api, people["coordinator"], department, "citizen_group")
    assert response.status_code == 200, response.json()

    administrative.refresh_from_db()
    assert administrative.status == Status.CLOSED  # no longer in the city's name
    for post in (citizen, offer, draft):
        before = post.status
        post.refresh_from_db()
        assert post.status == before
    public = api.get(f"/api/v1/needs/{administrative.pk}/")
    api.force_authenticate(None)
    assert api.get(f"/api/v1/needs/{administrative.pk}/").status_code == 404, public
    # The organization is told what happened, with a link.
    note = Notification.objects.get(recipient=people["staff"], kind="organization.kind_changed")
    assert "市の部署" in note.title and "市民活動団体" in note.title
    assert "行政提案: 見守りの担い手" in note.body
    assert note.url == "/my/"
    # Switching back does not republish on its own, and reopening is still checked.
    _patch_kind(api, people["coordinator"], department, "city_department")
    administrative.refresh_from_db()
    assert administrative.status == Status.CLOSED


def test_a_kind_change_in_the_admin_rechecks_too(people):
    department = people["department"]
    need = make_need(department, "行政提案: 公園の清掃")
    department.kind = Organization.Kind.SCHOOL
    department.save()  # the admin, importers and loaders save the model the same way
    need.refresh_from_db()
    assert need.status == Status.CLOSED


def test_the_admin_form_refuses_a_kind_change_by_a_non_coordinator(people, rf):
    from django.contrib.auth.models import Permission

    from organizations.admin import OrganizationAdmin
    from organizations.models import User

    # A staff user allowed to edit organizations in the admin, but not a coordinator.
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__endswith="_organization"))
    clerk = User.objects.get(pk=clerk.pk)
    admin = OrganizationAdmin(Organization, None)
    request = rf.get("/")
    request.user = clerk
    form_class = admin.get_form(request, people["group"], change=True, fields=["name", "kind"])
    form = form_class({"name": people["group"].name, "kind": "city_department"},
                      instance=people["group"])  # fmt: skip
    assert not form.is_valid()
    assert form.errors["kind"] == ["団体の種別を変更できるのはコーディネーターだけです。"]
    request.user = people["coordinator"]
    form_class = admin.get_form(request, people["group"], change=True, fields=["name", "kind"])
    form = form_class({"name": people["group"].name, "kind": "city_department"},
                      instance=people["group"])  # fmt: skip
    assert form.is_valid(), form.errors
