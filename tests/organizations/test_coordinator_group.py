"""The 「コーディネーター」 group follows User.is_coordinator (tsunagu/roles.py): granting
lets a person into the admin with the coordinators' permissions, revoking takes both away,
however the flag is set (code, the admin's user form, the command)."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.core.management import call_command

from tsunagu.roles import COORDINATOR_GROUP, grant_coordinator


def _in_group(user) -> bool:
    return user.groups.filter(name=COORDINATOR_GROUP).exists()


@pytest.mark.django_db
def test_the_migration_made_the_group_with_the_admin_permissions():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=COORDINATOR_GROUP)
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert {"organizations.change_organization", "proposals.add_need",
            "matching.view_match", "matching.change_synonymgroup"} <= codes  # fmt: skip
    # Never: deleting domain data, changing users (self-promotion), the scoring weights,
    # the audit log.
    assert not {"proposals.delete_need", "organizations.delete_organization",
                "organizations.change_user", "organizations.add_user",
                "matching.change_matchingprofile", "auditlog.view_logentry"} & codes  # fmt: skip


@pytest.mark.django_db
def test_granting_and_revoking_in_code():
    user = make_user("someone")
    assert not user.is_staff and not _in_group(user)
    assert not user.has_perm("organizations.change_organization")

    grant_coordinator(user)
    user = type(user).objects.get(pk=user.pk)  # fresh: permissions are cached per object
    assert user.is_staff and _in_group(user)
    assert user.has_perm("organizations.change_organization")
    assert not user.has_perm("organizations.change_user")

    grant_coordinator(user, False)
    user = type(user).objects.get(pk=user.pk)
    assert not user.is_staff and not _in_group(user)
    assert not user.has_perm("organizations.change_organization")


@pytest.mark.django_db
def test_a_superuser_keeps_the_admin_when_no_longer_coordinator():
    from organizations.models import User

    admin = User.objects.create_superuser("root2", "root2@example.jp", None)
    grant_coordinator(admin)
    grant_coordinator(admin, False)
    admin.refresh_from_db()
    assert admin.is_staff and not _in_group(admin)


@pytest.mark.django_db
def test_the_group_cannot_be_edited_apart_from_the_flag():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=COORDINATOR_GROUP)
    plain = make_user("plain")
    plain.groups.add(group)  # by hand, without the flag: undone
    assert not _in_group(plain)
    coordinator = make_user("coord", is_coordinator=True)
    coordinator.groups.clear()  # as the admin's form does before setting the ticked groups
    assert _in_group(coordinator)
    group.user_set.remove(coordinator)  # from the group's side
    assert _in_group(coordinator)


@pytest.mark.django_db
def test_the_admin_user_form_grants_and_revokes(client):
    from organizations.models import User

    admin = User.objects.create_superuser("root", "root@example.jp", None)
    target = make_user("staffer")
    client.force_login(admin)
    url = f"/admin/organizations/user/{target.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        username="staffer",
        is_coordinator="on",
        language="ja",
        date_joined_0=target.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=target.date_joined.strftime("%H:%M:%S"),
        groups=[],
        user_permissions=[],
        **{"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data = {k: v for k, v in data.items() if v not in (False,)}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    target = User.objects.get(pk=target.pk)
    assert target.is_coordinator and target.is_staff and _in_group(target)

    data.pop("is_coordinator")
    data["is_staff"] = "on"  # left ticked: still taken away with the role
    assert client.post(url, data).status_code == 302
    target = User.objects.get(pk=target.pk)
    assert not target.is_coordinator and not target.is_staff and not _in_group(target)


@pytest.mark.django_db
def test_grant_coordinator_command(capsys):
    user = make_user("newcoord")
    call_command("grant_coordinator", "newcoord")
    user.refresh_from_db()
    assert user.is_coordinator and user.is_staff and _in_group(user)
    call_command("grant_coordinator", "newcoord", "--revoke")
    user.refresh_from_db()
    assert not user.is_coordinator and not user.is_staff and not _in_group(user)
    assert "newcoord" in capsys.readouterr().out


@pytest.mark.django_db
def test_migrate_keeps_the_group_permissions_current():
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name=COORDINATOR_GROUP)
    group.permissions.remove(Permission.objects.get(codename="view_match"))
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still runs
    assert group.permissions.filter(codename="view_match").exists()
