"""``manage.py load_demo`` from the command line, on an empty database: the printed logins
work, and known passwords are refused outside DEBUG. (tests/test_demo.py shares one loaded
city between its tests; these need the database without it.)"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from demo.loader import DEMO_PASSWORD, DEMO_SOURCE, DemoError, load_demo

LOGIN_ROW = re.compile(r"^\s+(demo-[\w-]+)\s+\|\s+(\S+)\s+\|")


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_printed_logins_work():
    from organizations.models import User

    out = StringIO()
    call_command("load_demo", "--allow-insecure-passwords", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    logins = dict(
        LOGIN_ROW.match(line).groups() for line in text.splitlines() if LOGIN_ROW.match(line)
    )
    assert len(logins) >= 10
    users = {name: User.objects.get(username=name) for name in logins}
    for name, password in logins.items():
        assert password == DEMO_PASSWORD
        assert users[name].check_password(password), name
        assert users[name].display_name and users[name].email.endswith("example.jp")

    roles = list(users.values())
    assert any(u.is_superuser and u.is_staff for u in roles)
    coordinators = [u for u in roles if u.is_coordinator]
    assert len(coordinators) >= 2
    for user in coordinators:
        assert user.is_staff and not user.is_superuser
        assert user.has_perm("organizations.change_organization")
        assert user.has_perm("proposals.add_need") and user.has_perm("proposals.view_offer")
        assert not user.has_perm("proposals.delete_need")
        assert not user.is_department_staff
        kinds = set(user.memberships.values_list("organization__kind", flat=True))
        assert kinds <= {"intermediary"}
    assert any(u.language == "en" for u in coordinators)
    assert sum(u.is_department_staff for u in roles) >= 3
    member_kinds = {
        kind for u in roles for kind in u.memberships.values_list("organization__kind", flat=True)
    }
    assert {
        "npo_corporation",
        "citizen_group",
        "neighborhood_association",
        "school",
        "business",
        "city_department",
    } <= member_kinds
    assert any(
        u.memberships.filter(role="admin", organization__kind="npo_corporation").exists()
        for u in roles
    )
    for user in roles:
        if not (user.is_coordinator or user.is_superuser):
            assert not user.is_staff and not user.user_permissions.exists()


@pytest.mark.django_db
def test_refuses_known_passwords_without_debug(settings):
    from organizations.models import Organization, User

    settings.DEBUG = False
    with pytest.raises(DemoError):
        load_demo()
    with pytest.raises(CommandError, match="allow-insecure-passwords"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert not Organization.objects.filter(source=DEMO_SOURCE).exists()

    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", "--quiet", stdout=out)
    assert out.getvalue() == ""
    assert User.objects.filter(username="demo-admin", is_superuser=True).exists()
