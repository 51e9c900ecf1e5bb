"""The two misses of issue 15, on the demo city (みなと台市) as ``manage.py load_demo`` loads
it, ranked through the adapter with the deployment's profile, as the browser shows them.

Fixed by general mechanisms (formats weighed apart from subjects, the semantic component),
not by dictionary entries for these words: ``test_engine_formats.py`` and
``test_engine_semantic.py`` show the same mechanisms on other words."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_need, make_offer

from demo.loader import DEMO_SOURCE, load_demo
from matching.scoring import adapter
from organizations.models import Organization
from proposals.models import Need, Offer

AS_OF = dt.date(2026, 6, 1)  # inside the demo posts' periods, whatever the clock says
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def _demo_loaded_once(django_db_setup, django_db_blocker):
    """The city once for the module, rolled back at the end (as tests/demo does)."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            yield load_demo(allow_insecure_passwords=True)
            transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_loaded_once, db):
    return _demo_loaded_once


def _org(key: str) -> Organization:
    return Organization.objects.get(source=DEMO_SOURCE, external_id=key)


def _title(model, pk: str) -> str:
    return model.objects.get(pk=int(pk)).title


def test_a_disaster_workshop_for_toddlers_and_parents_gets_the_parents_disaster_course(demo):
    """「乳幼児親子の防災ワークショップ」: the partner that teaches disaster preparedness to
    families with babies comes first, not the parenting space that only shares 親子 and a
    format (講座 ≈ ワークショップ)."""
    need = make_need(
        _org("demo-org-005"),  # 危機管理課
        title="乳幼児親子の防災ワークショップ",
        description=(
            "子育て中の家庭が、災害への備えを親子で楽しく学べるワークショップを"
            "企画・運営していただける団体を募集します。市は会場と広報を担当します。"
        ),
        fields=["children"],
        areas=["demo-city"],
        forms=["cooperation"],
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2027, 3, 31),
    )
    found = adapter.rank_for_need(need, as_of=AS_OF, top_k=5)
    titles = [_title(Offer, s.offer_id) for s in found]
    assert titles[0] == "子育て家庭の目線で伝える防災講座と防災ピクニック", titles
    first = found[0]
    assert any(r.startswith("共通するキーワード: ") and "防災" in r for r in first.reasons)
    assert any(r.startswith("形式も共通") for r in first.reasons)  # 講座 ≈ ワークショップ, apart


def test_a_childrens_programming_outreach_class_is_not_matched_on_the_format_alone(demo):
    """A children's programming 出前講座 shares only the format 出前講座 with the theme
    about elderly consumers: that theme is not among its first suggestions, and where it
    is listed the reasons say the shared word is a format."""
    offer = make_offer(
        _org("demo-org-097"),
        title="子ども向けプログラミングの出前講座",
        description=(
            "小学校や児童館に出向き、タブレットを使ったプログラミング体験の出前講座を行います。"
        ),
        fields=["children", "information_society"],
        areas=["demo-city"],
        forms=["cooperation"],
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2027, 3, 31),
        capacity=2,
    )
    consumer = Need.objects.get(source=DEMO_SOURCE, external_id="demo-need-12")
    assert "出前講座" in consumer.title
    found = adapter.rank_for_offer(offer, as_of=AS_OF, top_k=30)
    ids = [int(s.need_id) for s in found]
    assert consumer.pk not in ids[:3], [_title(Need, s.need_id) for s in found[:3]]
    pair = next((s for s in found if int(s.need_id) == consumer.pk), None)
    if pair is not None:
        said = " ".join(pair.reasons + pair.weaknesses)
        assert "形式" in said and "出前講座" in said
        assert not any(r.startswith("共通するキーワード: 出前講座") for r in pair.reasons)
