"""Small builders shared by the engine tests (plain Python, no Django)."""

from __future__ import annotations

from datetime import date

from matching.engine import AreaHierarchy, Need, Offer

AS_OF = date(2025, 4, 1)
WARDS = {"kita": "北区", "minami": "南区", "higashi": "東区", "nishi": "西区"}
CITY = AreaHierarchy.flat(WARDS)


def need(**kw) -> Need:
    base = dict(
        id="need-1",
        organization_id="org-city",
        organization_kind="city_department",
        title="高齢者の見守り活動",
        description="一人暮らしの高齢者を定期的に訪問し、安否を確認する団体を募集します。",
        fields=["welfare"],
        areas=["kita"],
        forms=["commission", "cooperation"],
        starts_on=date(2025, 6, 1),
        ends_on=date(2026, 3, 31),
    )
    base.update(kw)
    return Need(**base)


def offer(**kw) -> Offer:
    base = dict(
        id="offer-1",
        organization_id="org-npo",
        organization_kind="npo_corporation",
        title="シニアへの定期訪問",
        description="独居のお年寄りを週に一度訪ね、体調の変化に気づいたら家族に連絡します。",
        fields=["welfare"],
        areas=["kita"],
        forms=["cooperation"],
        available_from=date(2025, 4, 1),
        available_until=date(2027, 3, 31),
        capacity=2,
    )
    base.update(kw)
    return Offer(**base)
