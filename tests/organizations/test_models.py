"""Model-level validation and the invariants the database itself enforces."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_need, make_offer, make_org
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organizations.models import Area, Field, Organization
from proposals.models import CollaborationForm, Need, Offer, Support

pytestmark = pytest.mark.django_db


def test_reference_data_is_seeded_by_migrations():
    assert Field.objects.count() == 20
    assert CollaborationForm.objects.count() == 8
    assert set(CollaborationForm.objects.values_list("name", flat=True)) >= {
        "委託", "共催", "事業協力", "実行委員会", "指定管理", "補助", "後援",
    }  # fmt: skip
    assert Support.objects.filter(code="venue").exists()


def test_area_hierarchy_descendants_and_ancestors(city):
    kita = Area.objects.get(code="t-kita")
    district = Area.objects.get(code="t-kita-1")
    below = Area.descendant_ids([city.pk])
    assert below == set(Area.objects.values_list("pk", flat=True))
    assert Area.descendant_ids([kita.pk]) == {kita.pk, district.pk}
    assert Area.ancestor_ids([district.pk]) == {kita.pk, city.pk}
    assert [a.code for a in district.ancestors()] == ["t-kita", "t-city"]


def test_area_cycle_is_rejected(city):
    kita = Area.objects.get(code="t-kita")
    city.parent = kita
    with pytest.raises(ValidationError) as err:
        city.full_clean()
    assert "parent" in err.value.message_dict


def test_npo_status_only_for_npo_corporations(db):
    org = Organization(name="商店会", kind="business", npo_status="accredited")
    with pytest.raises(ValidationError) as err:
        org.full_clean()
    assert "npo_status" in err.value.message_dict
    Organization(name="NPO", kind="npo_corporation", npo_status="accredited").full_clean()


def test_search_text_is_kept_up_to_date(people):
    offer = make_offer(people["npo"], title="子ども食堂", description="毎週開催")
    assert "子供食堂" in offer.search_text  # normalized form stored
    offer.title = "学習支援"
    offer.save(update_fields=["title"])
    offer.refresh_from_db()
    assert "学習支援" in offer.search_text and "食堂" not in offer.search_text


def test_period_must_be_ordered_in_clean_and_in_the_database(people):
    need = Need(
        organization=people["department"],
        title="x",
        description="y",
        kind="administrative",
        starts_on=dt.date(2026, 5, 1),
        ends_on=dt.date(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as err:
        need.full_clean()
    assert "ends_on" in err.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        need.save()


def test_offer_capacity_positive_in_the_database(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(organization=people["npo"], title="x", description="y", capacity=0)


def test_status_transitions(people):
    need = make_need(people["npo"], status="draft")
    assert need.can_change_status_to("open")
    assert not need.can_change_status_to("paused")
    need.status = "archived"
    assert not need.can_change_status_to("open")


def test_external_ids_are_unique_per_source(db):
    make_org("A", source="csv:registry", external_id="001")
    make_org("B", source="csv:other", external_id="001")  # another source: fine
    make_org("C")  # no external id: any number of these
    make_org("D")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_org("E", source="csv:registry", external_id="001")


def test_need_kind_defaults_from_the_poster(db):
    assert Need.default_kind_for(make_org("課", "city_department")) == "administrative"
    assert Need.default_kind_for(make_org("町内会", "neighborhood_association")) == "community"
    assert Need.default_kind_for(make_org("協議会", "community_council")) == "community"
    assert Need.default_kind_for(make_org("学校", "school")) == "citizen"


def test_roles(people):
    assert people["staff"].is_department_staff
    assert not people["member"].is_department_staff
    assert people["coordinator"].can_coordinate and people["admin"].can_coordinate
    assert not people["member"].can_coordinate
    people["coordinator"].is_active = False
    assert not people["coordinator"].can_coordinate
