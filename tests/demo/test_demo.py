"""The demo city (みなと台市): ``load_demo`` and ``manage.py load_demo``."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from conftest import make_need, make_org
from django.core.management import call_command
from django.utils import timezone

from demo.loader import DEMO_SOURCE, load_demo, remove_demo
from lib import dates

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
PHONE = re.compile(r"^0\d{1,3}-\d{2,4}-\d{4}$")
LOGIN_ROW = re.compile(r"^\s+(demo-[\w-]+)\s+\|\s+(\S+)\s+\|")


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The demo users' password is hashed once per load; MD5 keeps check_password cheap here.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def _demo_loaded_once(django_db_setup, django_db_blocker):
    """Load the city once for the module, inside a transaction rolled back at the end;
    each test runs in its own savepoint within it (pytest-django's ``db``), so a test that
    changes or removes demo rows leaves the next one the same city. Loading it per test
    cost ~9 s each."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            yield load_demo(allow_insecure_passwords=True)
            transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_loaded_once, db):
    return _demo_loaded_once


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
    counts.update(_match_counts())
    return counts


def _match_counts() -> dict[str, int]:
    from matching.models import (
        ConsultationBooking,
        ConsultationSlot,
        ContinuationFollowUp,
        Evaluation,
        Match,
        MatchParty,
        MatchTransition,
    )

    return {
        model.__name__: model.objects.count()
        for model in (
            Match,
            MatchParty,
            MatchTransition,
            Evaluation,
            ContinuationFollowUp,
            ConsultationSlot,
            ConsultationBooking,
        )
    }


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


# --------------------------------------------------------------------------- matches


@pytest.mark.django_db
def test_matches_cover_every_state(demo):
    from django.utils import timezone

    from matching.models import Match

    matches = Match.objects.filter(need__source=DEMO_SOURCE, offer__source=DEMO_SOURCE)
    # The demo meetings add one match from an interest request (one post only).
    from_meetings = Match.objects.filter(origin=Match.Origin.MEETING).count()
    assert demo.matches == matches.count() + from_meetings and matches.count() >= 14
    states = list(matches.values_list("state", flat=True))
    for state in Match.State.values:
        assert states.count(state) >= 1, state
    for state in ("proposed", "introduced", "consulting", "agreed", "active"):
        assert states.count(state) == 2, state
    assert states.count("completed") == states.count("evaluated") == 2
    assert any(m.parties.count() >= 4 for m in matches)

    today = timezone.localdate()
    overdue = matches.filter(
        state="introduced", response_due_on__lt=today, parties__response="pending"
    )
    assert overdue.exists()
    for match in matches:
        history = list(match.transitions.all())
        assert history and history[0].name == "create"
        assert history[-1].target == match.state, match
        assert [t.at for t in history] == sorted(t.at for t in history)
        assert history[0].at == match.created_at
        assert match.parties.count() >= 2
        assert all(t.actor is None or t.actor.username.startswith("demo-") for t in history)
    for match in matches.filter(state__in=["agreed", "active", "completed", "evaluated"]):
        assert match.form and match.starts_on and match.ends_on and match.agreed_at, match
        assert all(p.responsibilities for p in match.parties.all()), match
    for match in matches.filter(state__in=["declined", "cancelled"]):
        assert match.decline_reason and match.closed_at, match
    for match in matches.filter(state__in=["completed", "evaluated"]):
        assert match.completed_at and match.follow_ups.exists(), match
    # created_at spread over the last ~18 months
    months = {(m.created_at.year, m.created_at.month) for m in matches}
    assert len(months) >= 10
    oldest = min(m.created_at for m in matches)
    assert timezone.now() - oldest > timezone.timedelta(days=365)


@pytest.mark.django_db
def test_evaluations_and_case_book(demo):
    from matching.models import ContinuationFollowUp, Evaluation, Match
    from matching.outcomes.case_book import case_book

    evaluated = Match.objects.filter(state="evaluated", need__source=DEMO_SOURCE)
    for match in evaluated:
        evaluations = match.evaluations.all()
        assert evaluations.filter(evaluator="coordinator").count() == 1
        assert evaluations.filter(evaluator="party").count() == match.parties.count()
        for evaluation in evaluations:
            assert evaluation.grade in "ABCD" and evaluation.effects and evaluation.next_steps
            assert JAPANESE.search(evaluation.effects)
    book = list(case_book())
    assert book and set(book) <= set(evaluated)
    assert Evaluation.objects.filter(grade="A").exists()

    answers = set(ContinuationFollowUp.objects.exclude(answer="").values_list("answer", flat=True))
    assert answers == {"continued", "continued_other_form", "ended"}
    assert ContinuationFollowUp.objects.filter(months=12, answer="").exists()
    for row in ContinuationFollowUp.objects.exclude(answer=""):
        assert row.reason and row.answered_at and row.sent_at <= row.answered_at


@pytest.mark.django_db
def test_kpi_has_data_this_and_last_fiscal_year(demo):
    from matching.reports import kpi

    fy = dates.current_fiscal_year()
    # The demo's history is dated back from the load day, so which fiscal year holds which
    # event depends on the date (early April puts most of it in last year). Over this year
    # and last year together every indicator has data, whatever the date.
    ranges = [dates.fiscal_year_range(year) for year in (fy, fy - 1)]

    def in_either(measure) -> bool:
        return any(measure(start, end) for start, end in ranges)

    assert in_either(lambda s, e: sum(r["count"] for r in kpi.matches_per_month(s, e)))
    assert in_either(kpi.matches_by_field)
    assert in_either(kpi.matches_by_form)
    assert in_either(lambda s, e: (kpi.median_days_to_match(s, e)["median_days"] or 0) > 0)
    assert in_either(lambda s, e: sum(r["count"] for r in kpi.grade_distribution(s, e)))
    assert in_either(lambda s, e: kpi.average_grade(s, e) is not None)
    assert any(kpi.completed_projects(year) for year in (fy, fy - 1))
    # Matches proposed "today" always fall in the current year.
    start, end = ranges[0]
    assert sum(r["count"] for r in kpi.matches_per_month(start, end)) > 0
    assert kpi.dashboard(fy) and kpi.progress_indicators(fy)
    usage = kpi.consultations(ranges[1][0], end)  # the slots span two months back
    assert 0 < usage["booked"] < usage["offered"]
    assert usage["held"] and usage["no_show"]
    assert kpi.continuation_by_year(6)


@pytest.mark.django_db
def test_slots_and_bookings(demo):
    from django.utils import timezone

    from matching.models import ConsultationBooking, ConsultationSlot

    slots = ConsultationSlot.objects.filter(coordinator__username__startswith="demo-")
    assert demo.slots == slots.count() >= 15
    now = timezone.now()
    assert slots.filter(starts_at__lt=now).exists() and slots.filter(starts_at__gt=now).exists()
    assert all(s.starts_at > now - timezone.timedelta(days=62) for s in slots)
    assert all(s.starts_at < now + timezone.timedelta(days=22) for s in slots)
    for slot in slots:
        assert slot.place or "example.jp" in slot.online_url
        live = slot.bookings.exclude(status="cancelled").count()
        assert slot.booked_count == live <= slot.capacity
    statuses = set(ConsultationBooking.objects.values_list("status", flat=True))
    assert {"booked", "held", "no_show"} <= statuses
    for booking in ConsultationBooking.objects.filter(status="booked"):
        assert booking.slot.starts_at > now
    for booking in ConsultationBooking.objects.filter(status="held"):
        assert booking.slot.starts_at < now and booking.minutes


@pytest.mark.django_db
def test_match_rows_validate(demo):
    from matching.models import (
        ConsultationBooking,
        ConsultationSlot,
        ContinuationFollowUp,
        Evaluation,
        Match,
        MatchParty,
        MatchTransition,
    )

    for match in Match.objects.all():
        match.full_clean(exclude=["state"])
    for model in (MatchParty, MatchTransition, ContinuationFollowUp, ConsultationSlot):
        for obj in model.objects.all():
            obj.full_clean()
    for model, nullable in ((Evaluation, "submitted_by"), (ConsultationBooking, "booked_by")):
        for obj in model.objects.all():
            obj.full_clean(exclude=[nullable])


@pytest.mark.django_db
def test_reset_and_remove_handle_matches(demo):
    from matching.models import ConsultationSlot, Match
    from organizations.models import User

    own = make_org("NPO法人あとから登録した会", "npo_corporation")
    own_need = make_need(own, "利用者が登録したニーズ")
    real_user = User.objects.create_user("real-person", password="x-Tsunagu-2026")
    before = _match_counts()

    load_demo(allow_insecure_passwords=True)
    assert _match_counts() == before

    summary = load_demo(reset=True, allow_insecure_passwords=True)
    assert summary.removed["matches"] == demo.matches
    assert summary.removed["slots"] == demo.slots
    assert _match_counts() == before
    assert User.objects.filter(pk=real_user.pk).exists()
    assert own_need.__class__.objects.filter(pk=own_need.pk).exists()

    remove_demo()
    assert not Match.objects.exists()
    assert not ConsultationSlot.objects.exists()
    assert User.objects.filter(pk=real_user.pk).exists()
    assert own_need.__class__.objects.filter(pk=own_need.pk).exists()


def test_meetings_past_full_and_approval(demo):
    """The demo city's places to meet: two past meetings with attendance, minutes, a public
    report and wishes that became interest requests (one a match that keeps its origin), an
    upcoming meeting that is full with a waitlist in order, and one in approval mode."""
    from matching.models import InterestRequest, Match
    from meetings.models import Meeting, Registration, Wish
    from meetings.services import seats_left, waitlist_position

    assert demo.meetings == 4
    past = Meeting.objects.filter(status=Meeting.Status.HELD)
    assert past.count() == 2
    for meeting in past:
        assert meeting.minutes and meeting.report and meeting.report_published_at
        assert meeting.registrations.filter(checked_in_at__isnull=False).exists()
    requests = InterestRequest.objects.filter(meeting_wishes__isnull=False).distinct()
    assert requests.count() == Wish.objects.count() == 4
    assert all("交流の場「" in r.origin_note for r in requests)
    match = Match.objects.get(origin=Match.Origin.MEETING)
    assert "子育て×防災 つながるカフェ" in match.origin_note and "双方が希望" in match.origin_note

    full = Meeting.objects.get(title="多文化共生 まちの交流会")
    assert full.status == Meeting.Status.PUBLISHED and full.starts_at > timezone.now()
    waiting = full.registrations.filter(status=Registration.Status.WAITLISTED).order_by(
        "created_at", "pk"
    )
    assert [waitlist_position(r) for r in waiting] == [1, 2]
    assert seats_left(full) == 1  # 7 of 8: the first waiting group of 2 does not fit

    approval = Meeting.objects.get(registration_mode=Meeting.RegistrationMode.APPROVAL)
    statuses = set(approval.registrations.values_list("status", flat=True))
    assert statuses == {Registration.Status.REGISTERED, Registration.Status.PENDING_APPROVAL}
