"""Property tests (hypothesis): invariants that must hold for any posts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from engine_helpers import AS_OF, CITY, WARDS, need, offer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import EVALUATION_PROFILE, FIELD_LABELS, FORM_LABELS, rank_offers

FIELDS = sorted(FIELD_LABELS)
FORMS = sorted(FORM_LABELS)
AREAS = sorted(WARDS)
WORDS = [
    "高齢者",
    "見守り",
    "子育て",
    "防災",
    "避難所",
    "シニア",
    "ごみ拾い",
    "日本語教室",
    "商店街",
    "😀",
    "ＮＰＯ",
    "abc",
    "、",
    "。",
    "講座",
    "ボランティア",
    "竹林",
    "",
]

texts = st.lists(st.sampled_from(WORDS), max_size=12).map("".join)
codes = lambda pool: st.frozensets(st.sampled_from(pool), max_size=4)  # noqa: E731
days = st.integers(min_value=-200, max_value=800).map(lambda d: AS_OF + timedelta(days=d))

posts = st.fixed_dictionaries(
    {
        "title": texts,
        "description": texts,
        "fields": codes(FIELDS),
        "areas": codes(AREAS),
        "forms": codes(FORMS),
    }
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one(n, o, profile=EVALUATION_PROFILE):
    res = rank_offers(n, [o], CITY, as_of=AS_OF, profile=profile)
    return res[0] if res else None


@SETTINGS
@given(posts, posts, days, st.integers(0, 400))
def test_score_is_in_unit_interval_and_breakdown_adds_up(n_kw, o_kw, start, length):
    n = need(**n_kw, starts_on=start, ends_on=start + timedelta(days=length))
    o = offer(**o_kw, available_from=AS_OF, available_until=date(2027, 1, 1))
    s = one(n, o)
    if s is None:  # the need's period is over as of AS_OF
        assert n.ends_on < AS_OF
        return
    assert 0.0 <= s.score <= 1.0
    assert sum(s.breakdown().values()) == pytest.approx(s.score, abs=1e-9)
    assert all(0.0 <= c.value <= 1.0 for c in s.components)


@SETTINGS
@given(posts, posts, st.sampled_from(FIELDS))
def test_adding_a_shared_field_never_lowers_the_score(n_kw, o_kw, field):
    n, o = need(**n_kw), offer(**o_kw)
    before = one(n, o)
    n2 = need(**{**n_kw, "fields": n_kw["fields"] | {field}})
    o2 = offer(**{**o_kw, "fields": o_kw["fields"] | {field}})
    after = one(n2, o2)
    assert after.score >= before.score - 1e-12


@SETTINGS
@given(posts, posts)
def test_same_organization_is_always_excluded(n_kw, o_kw):
    n = need(**n_kw, organization_id="org-x")
    o = offer(**o_kw, organization_id="org-x")
    assert rank_offers(n, [o], CITY, as_of=AS_OF, profile=EVALUATION_PROFILE) == []


@SETTINGS
@given(posts, posts)
def test_same_input_same_output(n_kw, o_kw):
    a = one(need(**n_kw), offer(**o_kw))
    b = one(need(**n_kw), offer(**o_kw))
    assert (a.score, a.reasons, a.weaknesses) == (b.score, b.reasons, b.weaknesses)


@SETTINGS
@given(posts, posts, st.sampled_from(FORMS))
def test_form_filter_never_lets_a_form_mismatch_through(n_kw, o_kw, form):
    n = need(**{**n_kw, "forms": {form}})
    o = offer(**{**o_kw, "forms": set(FORMS) - {form}})
    assert rank_offers(n, [o], CITY, as_of=AS_OF) == []
