"""The demo city (みなと台市): ``load_demo`` and ``manage.py load_demo``."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from conftest import make_need, make_org
from django.core.management import CommandError, call_command

from tsunagu.demo import DEMO_PASSWORD, DEMO_SOURCE, DemoError, load_demo, remove_demo

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
PHONE = re.compile(r"^0\d{1,3}-\d{2,4}-\d{4}$")
LOGIN_ROW = re.compile(r"^\s+(demo-[\w-]+)\s+\|\s+(\S+)\s+\|")


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The demo users' password is hashed once per load; MD5 keeps check_password cheap here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return load_demo(allow_insecure_passwords=True)


def _counts() -> dict[str, int]:
    from organizations.models import Area, Membership, Organization, User
    from proposals.models import Need, Offer

    counts = {
        model.__name__: model.objects.count()
        for model in (Area, Organization, Membership, User, Need, Offer)
    }
    for model in (Organization, Need, Offer):
        for name in ("fields", "areas", "resources"):
            through = getattr(model, name).through
            counts[f"{model.__name__}.{name}"] = through.objects.count()
    counts["Need.poster_supports"] = Need.poster_supports.through.objects.count()
    counts["User.user_permissions"] = User.user_permissions.through.objects.count()
    return counts


@pytest.mark.django_db
def test_organizations_cover_every_kind(demo):
    from organizations.models import Organization

    orgs = Organization.objects.filter(source=DEMO_SOURCE)
    assert orgs.count() >= 80
    assert demo.organizations == orgs.count()
    assert set(orgs.values_list("kind", flat=True)) == set(Organization.Kind.values)
    npo_statuses = set(orgs.filter(kind="npo_corporation").values_list("npo_status", flat=True))
    assert {"certified", "accredited", "designated"} <= npo_statuses
    assert not orgs.exclude(kind="npo_corporation").exclude(npo_status="").exists()
    assert orgs.filter(is_active=False).count() >= 2
    assert orgs.filter(is_verified=False).exists()
    assert all(org.search_text for org in orgs)  # Organization.save ran
    coordinating = orgs.get(name__contains="市民自治推進課")
    assert coordinating.kind == Organization.Kind.CITY_DEPARTMENT


@pytest.mark.django_db
def test_needs_and_offers(demo):
    from proposals.models import Need, Offer

    needs = Need.objects.filter(source=DEMO_SOURCE)
    administrative = needs.filter(kind=Need.Kind.ADMINISTRATIVE)
    assert administrative.count() == 25
    assert set(administrative.values_list("organization__kind", flat=True)) == {"city_department"}
    assert needs.filter(kind=Need.Kind.CITIZEN).count() >= 4
    assert needs.filter(kind=Need.Kind.COMMUNITY).count() >= 4
    assert not needs.exclude(kind=Need.Kind.ADMINISTRATIVE).filter(
        organization__kind="city_department"
    )
    statuses = set(needs.values_list("status", flat=True))
    assert {"open", "draft", "paused", "closed"} <= statuses
    assert needs.filter(status="open").count() > needs.count() * 0.8

    offers = Offer.objects.filter(source=DEMO_SOURCE)
    assert 55 <= offers.count() <= 80
    assert offers.filter(organization__kind="city_department").exists()
    assert set(offers.values_list("capacity", flat=True)) <= {1, 2, 3}
    for post in [*needs, *offers]:
        assert post.fields.exists() and post.areas.exists() and post.forms.exists(), post
        assert post.author is None or post.author.is_member_of(post.organization_id)
    for need in administrative:
        assert need.budget_note and need.beneficiaries and need.poster_supports.exists(), need


@pytest.mark.django_db
def test_every_field_code_is_used(demo):
    from organizations.models import Field
    from proposals.models import Need, Offer

    used: set[str] = set()
    for model in (Need, Offer):
        used |= set(model.objects.filter(source=DEMO_SOURCE).values_list("fields__code", flat=True))
    assert set(Field.objects.values_list("code", flat=True)) <= used
    assert Field.objects.count() == 20
    need_fields = set(Need.objects.values_list("fields__code", flat=True))
    assert set(Field.objects.values_list("code", flat=True)) <= need_fields


@pytest.mark.django_db
def test_area_hierarchy(demo):
    from organizations.models import Area

    root = Area.objects.get(code="demo-city")
    assert root.level == Area.Level.CITY and root.parent is None
    assert "市" in root.name
    wards = list(root.children.all())
    assert 4 <= len(wards) <= 5
    for ward in wards:
        assert ward.level == Area.Level.WARD and ward.name.endswith("区")
        districts = ward.children.filter(level=Area.Level.DISTRICT)
        assert 2 <= districts.count() <= 4, ward
    for area in Area.objects.filter(code__startswith="demo-"):
        area.full_clean()
        if area.level == Area.Level.NEIGHBORHOOD:
            assert area.parent.level == Area.Level.DISTRICT
    assert Area.descendant_ids([root.pk]) == set(
        Area.objects.filter(code__startswith="demo-").values_list("pk", flat=True)
    )


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
def test_loading_twice_is_idempotent(demo):
    from organizations.models import Organization
    from proposals.models import Need, Offer

    before = _counts()
    again = load_demo(allow_insecure_passwords=True)
    assert _counts() == before
    assert (again.organizations, again.needs, again.offers) == (
        demo.organizations,
        demo.needs,
        demo.offers,
    )
    for model in (Organization, Need, Offer):
        ids = list(model.objects.filter(source=DEMO_SOURCE).values_list("external_id", flat=True))
        assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_reset_removes_only_demo_rows(demo):
    from organizations.models import Area, Organization, User
    from proposals.models import Need, Offer

    kita = Area.objects.get(code="demo-kita")
    own = make_org("NPO法人あとから登録した会", "npo_corporation")
    own.areas.add(kita)
    own_need = make_need(own, "利用者が登録したニーズ")
    own_need.areas.add(kita)
    real_user = User.objects.create_user("real-person", password="x-Tsunagu-2026")
    before = _counts()

    summary = load_demo(reset=True, allow_insecure_passwords=True)
    assert summary.removed["organizations"] == demo.organizations
    assert _counts() == before
    assert Organization.objects.filter(pk=own.pk).exists()
    assert Need.objects.filter(pk=own_need.pk, source="").exists()
    assert User.objects.filter(pk=real_user.pk).exists()

    out = StringIO()
    call_command("load_demo", "--remove", stdout=out)
    assert "削除" in out.getvalue()
    assert not Organization.objects.filter(source=DEMO_SOURCE).exists()
    assert not Need.objects.filter(source=DEMO_SOURCE).exists()
    assert not Offer.objects.filter(source=DEMO_SOURCE).exists()
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert Organization.objects.get(pk=own.pk).areas.get() == kita  # still used: kept
    assert Area.objects.filter(code="demo-city").exists()  # kita's parent
    assert not Area.objects.filter(code="demo-minami").exists()
    assert User.objects.filter(pk=real_user.pk).exists()
    assert Need.objects.filter(pk=own_need.pk).exists()

    remove_demo()  # nothing left to remove: no error
    load_demo(allow_insecure_passwords=True)
    assert Organization.objects.filter(source=DEMO_SOURCE).count() == demo.organizations


@pytest.mark.django_db
def test_posts_validate_and_periods_are_ordered(demo):
    from proposals.models import Need, Offer

    for model in (Need, Offer):
        for post in model.objects.filter(source=DEMO_SOURCE):
            post.full_clean()
            assert post.starts_on and post.ends_on, post
            assert post.starts_on <= post.ends_on, post
            assert post.search_text, post
            assert 2 <= post.description.count("。") <= 6, post


@pytest.mark.django_db
def test_japanese_text(demo):
    from organizations.models import Organization
    from proposals.models import Need, Offer

    for org in Organization.objects.filter(source=DEMO_SOURCE):
        assert JAPANESE.search(org.name) and JAPANESE.search(org.description), org
        assert JAPANESE.search(org.name_kana), org
        assert " " not in org.description.replace("　", ""), org  # lines joined without spaces
    for model in (Need, Offer):
        for post in model.objects.filter(source=DEMO_SOURCE):
            assert JAPANESE.search(post.title) and JAPANESE.search(post.description), post
    names = Organization.objects.filter(source=DEMO_SOURCE).values_list("name", flat=True)
    assert any("ＮＰＯ" in name for name in names) and any("NPO" in name for name in names)


@pytest.mark.django_db
def test_contact_details_are_filled(demo):
    from organizations.models import Organization

    for org in Organization.objects.filter(source=DEMO_SOURCE):
        assert org.contact_name and org.address and org.activity_checked_on, org
        assert org.contact_email.endswith("example.jp"), org
        assert PHONE.match(org.contact_phone), org
        assert not org.website or ".example.jp" in org.website, org
        org.full_clean()


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


@pytest.mark.django_db
def test_good_partners_exist_for_department_needs(demo):
    """Every open department theme has at least one open offer sharing a field and a form."""
    from proposals.models import Need, Offer

    offers = list(
        Offer.objects.filter(source=DEMO_SOURCE, status="open").prefetch_related("fields", "forms")
    )
    for need in Need.objects.filter(source=DEMO_SOURCE, kind="administrative", status="open"):
        fields = set(need.fields.values_list("pk", flat=True))
        forms = set(need.forms.values_list("pk", flat=True))
        assert any(
            fields & {f.pk for f in offer.fields.all()}
            and forms & {f.pk for f in offer.forms.all()}
            and offer.organization_id != need.organization_id
            for offer in offers
        ), need
