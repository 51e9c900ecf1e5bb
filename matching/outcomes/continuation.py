"""The continuation rate (継続率): of the matches whose parties answered the 6- or
12-month follow-up, the share that continues, per field, form or fiscal year.

Read by the API (``matching.outcomes.api``) and the KPI (``matching.reports.kpi``).
Definitions: ``docs/evaluation.md``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext_lazy as _

from lib.dates import fiscal_year, local_date
from lib.errors import Invalid
from matching.models import ContinuationFollowUp, Match
from matching.outcomes.follow_ups import FOLLOW_UP_MONTHS
from organizations.models import Field

logger = logging.getLogger(__name__)

CONTINUED_ANSWERS = (
    ContinuationFollowUp.Answer.CONTINUED,
    ContinuationFollowUp.Answer.CONTINUED_OTHER_FORM,
)

# --- The continuation rate ------------------------------------------------------------
BREAKDOWNS = ("field", "form", "year", "all")


def match_continuation(months: int = 12) -> dict[int, bool]:
    """Per match with at least one answer at this checkpoint: does it continue?

    A match continues when at least one of its parties answered ``continued`` or
    ``continued_other_form`` (docs/evaluation.md, "The continuation rate")."""
    verdict: dict[int, bool] = {}
    answered = ContinuationFollowUp.objects.filter(months=months).exclude(answer="")
    for match_id, answer in answered.values_list("match_id", "answer"):
        verdict[match_id] = verdict.get(match_id, False) or answer in CONTINUED_ANSWERS
    return verdict


def continuation_rate(by: str = "field", months: int = 12) -> list[dict[str, Any]]:
    """The continuation rate per field, form or fiscal year (or ``all``): rows of
    ``{key, label, answered, continued, rate}`` counted in matches, not answers.

    - ``answered``: matches with at least one party's answer at the ``months`` checkpoint;
    - ``continued``: those of them that continue (see ``match_continuation``);
    - ``rate``: continued / answered, rounded to 3 decimals.
    A match in several fields counts once in each of them; a match without a field or
    form is counted under key ``""`` (「未設定」).
    """
    if by not in BREAKDOWNS:
        raise Invalid(_("集計の単位は field・form・year・all のいずれかです。"), field="by")
    if months not in FOLLOW_UP_MONTHS:
        raise Invalid(_("確認の時期は6か月後か12か月後です。"), field="months")
    verdict = match_continuation(months)
    groups: dict[str, list[bool]] = defaultdict(list)
    labels: dict[str, str] = {}
    order: dict[str, Any] = {}
    unset = str(_("未設定"))
    matches = Match.objects.filter(pk__in=list(verdict))

    if by == "all":
        groups["all"] = list(verdict.values())
        labels["all"] = str(_("全体"))
        order["all"] = 0
    elif by == "form":
        for pk, code, name, form_order in matches.values_list(
            "pk", "form__code", "form__name", "form__order"
        ):
            key = code or ""
            groups[key].append(verdict[pk])
            labels[key] = name or unset
            order[key] = (0, form_order, key) if code else (1, 0, "")
    elif by == "year":
        for pk, completed_at in matches.values_list("pk", "completed_at"):
            key = str(fiscal_year(local_date(completed_at))) if completed_at else ""
            groups[key].append(verdict[pk])
            labels[key] = str(_("%(year)s年度")) % {"year": key} if key else unset
            order[key] = (0, key) if key else (1, "")
    else:  # field: the need's and the offer's fields, each match once per field
        fields_of: dict[int, set[int]] = defaultdict(set)
        for pk, field_id in matches.values_list("pk", "need__fields"):
            if field_id:
                fields_of[pk].add(field_id)
        for pk, field_id in matches.values_list("pk", "offer__fields"):
            if field_id:
                fields_of[pk].add(field_id)
        field_rows = {
            f.pk: f for f in Field.objects.filter(pk__in={i for s in fields_of.values() for i in s})
        }
        for pk, ok in verdict.items():
            codes = [field_rows[i] for i in fields_of.get(pk, ())]
            if not codes:
                groups[""].append(ok)
                labels[""] = unset
                order[""] = (1, 0, "")
            for field in codes:
                groups[field.code].append(ok)
                labels[field.code] = field.name
                order[field.code] = (0, field.order, field.code)

    rows = []
    for key in sorted(groups, key=lambda k: order[k]):
        answered = len(groups[key])
        continued = sum(groups[key])
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "answered": answered,
                "continued": continued,
                "rate": round(continued / answered, 3) if answered else None,
            }
        )
    return rows
