"""KPIs for coordinators: the dashboard (``/coord/kpi/``) and the yearly progress sheet
(進行管理シート, ``/coord/kpi/progress-sheet.csv|.xlsx``).

Plain query functions over a date range ``[start, end)`` of local (Asia/Tokyo) dates;
``fiscal_year_range(fy)`` gives the range of a fiscal year (年度, April to March). Every
function returns plain data (dicts and lists of dicts) so that it can be tested without
templates. Definitions, targets and the A–D rule: ``docs/evaluation.md``, section
"KPI dashboard and progress sheet".
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from lib.dates import fiscal_year_range
from matching.consultations.calendar import slot_usage
from matching.models import Evaluation, Match, MatchParty, MatchTransition, Suggestion
from matching.outcomes.case_book import case_book
from matching.outcomes.continuation import continuation_rate
from organizations.models import Field
from proposals.models import CollaborationForm, Need, Offer
from proposals.models import Status as PostStatus

GRADES = ("A", "B", "C", "D")
# Average evaluation grade: A=4, B=3, C=2, D=1.
GRADE_POINTS = {"A": 4, "B": 3, "C": 2, "D": 1}
DONE_STATES = (Match.State.COMPLETED, Match.State.EVALUATED)
POSTS_LIST_LIMIT = 20

# Yearly targets of the progress sheet; override any of them in settings with
# ``TSUNAGU_KPI_TARGETS = {"matches": 30, ...}`` (keys below).
DEFAULT_KPI_TARGETS: dict[str, float] = {
    "matches": 24,  # matches created in the year
    "consultations_held": 36,  # consultations held in the year
    "slot_usage_rate": 0.5,  # booked seats / offered seats
    "continuation_rate_12m": 0.5,  # the 29% that ended Chigasaki's programme, beaten
    "average_grade": 3.0,  # B on average
    "posts_without_suggestion": 5,  # lower is better
}
# Indicators where a lower actual is better (achievement = target / actual).
LOWER_IS_BETTER = frozenset({"posts_without_suggestion"})


# --- Periods -------------------------------------------------------------------------
def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _matches_created(start: dt.date, end: dt.date):
    return Match.objects.filter(created_at__gte=_aware(start), created_at__lt=_aware(end))


def months_between(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    months, (year, month) = [], (start.year, start.month)
    while dt.date(year, month, 1) < end:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- Matches -------------------------------------------------------------------------
def matches_per_month(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Matches created in each month of the range (every state counted), months with none
    included: ``[{month: "2026-04", label: "2026年4月", count}]``."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for created_at in _matches_created(start, end).values_list("created_at", flat=True):
        local = _local(created_at)
        counts[(local.year, local.month)] += 1
    return [
        {
            "month": f"{year:04d}-{month:02d}",
            "label": _("%(year)s年%(month)s月") % {"year": year, "month": month},
            "count": counts.get((year, month), 0),
        }
        for year, month in months_between(start, end)
    ]


def matches_by_field(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Matches created in the range per field of their need: a match counts once in each
    of its need's fields; a match with no need or a need with no field is under key ""
    (未設定). Rows ``{key, label, count}`` in the fields' order, 未設定 last."""
    matches = _matches_created(start, end)
    fields_of: dict[int, set[int]] = defaultdict(set)
    for pk, field_id in matches.values_list("pk", "need__fields"):
        if field_id:
            fields_of[pk].add(field_id)
    counts: dict[int, int] = defaultdict(int)
    unset = 0
    for pk in matches.values_list("pk", flat=True):
        if not fields_of.get(pk):
            unset += 1
        for field_id in fields_of.get(pk, ()):
            counts[field_id] += 1
    rows = [
        {"key": field.code, "label": field.short_name or field.name, "count": counts[field.pk]}
        for field in Field.objects.filter(pk__in=list(counts)).order_by("order", "code")
    ]
    if unset:
        rows.append({"key": "", "label": _("未設定"), "count": unset})
    return rows


def matches_by_form(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Matches created in the range per agreed form (``Match.form``); none → "" (未設定)."""
    counts: dict[int | None, int] = defaultdict(int)
    for form_id in _matches_created(start, end).values_list("form_id", flat=True):
        counts[form_id] += 1
    rows = [
        {"key": form.code, "label": form.name, "count": counts[form.pk]}
        for form in CollaborationForm.objects.filter(pk__in=[k for k in counts if k]).order_by(
            "order", "code"
        )
    ]
    if counts.get(None):
        rows.append({"key": "", "label": _("未設定"), "count": counts[None]})
    return rows


def median_days_to_match(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Median days from a need's posting to a match on it: over matches created in the
    range that have a need, ``match.created_at − need.created_at`` in days (1 decimal).
    ``{count, median_days}``; ``median_days`` is None without such a match."""
    days = [
        (match_at - need_at).total_seconds() / 86400
        for match_at, need_at in _matches_created(start, end)
        .filter(need__isnull=False)
        .values_list("created_at", "need__created_at")
    ]
    return {
        "count": len(days),
        "median_days": round(statistics.median(days), 1) if days else None,
    }


# --- Consultations -------------------------------------------------------------------
def consultations(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Consultation seats offered vs booked for slots starting in the range (reuses
    ``matching.consultations.calendar.slot_usage``): ``{slots, offered, booked, held, no_show,
    cancelled_slots, usage_rate}``; usage_rate = booked / offered seats."""
    usage = slot_usage(_aware(start), _aware(end))
    return {
        "slots": usage.slots,
        "offered": usage.offered,
        "booked": usage.booked,
        "held": usage.held,
        "no_show": usage.no_show,
        "cancelled_slots": usage.cancelled_slots,
        "usage_rate": usage.usage_rate,
    }


# --- Evaluations and continuation ----------------------------------------------------
def _evaluations(start: dt.date, end: dt.date):
    return Evaluation.objects.filter(submitted_at__gte=_aware(start), submitted_at__lt=_aware(end))


def grade_distribution(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Evaluations (parties' and coordinators') submitted in the range, per grade:
    ``[{grade, label, count}]`` for A, B, C and D (zeros included)."""
    counts: dict[str, int] = defaultdict(int)
    for grade in _evaluations(start, end).values_list("grade", flat=True):
        counts[grade] += 1
    labels = dict(Evaluation.Grade.choices)
    return [{"grade": g, "label": str(labels[g]), "count": counts.get(g, 0)} for g in GRADES]


def average_grade(start: dt.date, end: dt.date) -> float | None:
    """Mean grade of the evaluations submitted in the range, A=4 B=3 C=2 D=1 (2 decimals)."""
    points = [GRADE_POINTS[g] for g in _evaluations(start, end).values_list("grade", flat=True)]
    return round(sum(points) / len(points), 2) if points else None


def continuation_by_year(months: int = 12) -> list[dict[str, Any]]:
    """``continuation.continuation_rate(by="year")``: per fiscal year of completion."""
    return continuation_rate(by="year", months=months)


def continuation_by_field(months: int = 12) -> list[dict[str, Any]]:
    """``continuation.continuation_rate(by="field")``: per field (need's and offer's)."""
    return continuation_rate(by="field", months=months)


def continuation_for_year(fy: int, months: int = 12) -> dict[str, Any]:
    """The ``by="year"`` row of fiscal year ``fy`` (matches completed in it)."""
    for row in continuation_by_year(months):
        if row["key"] == str(fy):
            return row
    return {"key": str(fy), "label": "", "answered": 0, "continued": 0, "rate": None}


# --- Posts with no suggestion --------------------------------------------------------
def posts_without_suggestion(
    start: dt.date | None = None, end: dt.date | None = None, limit: int = POSTS_LIST_LIMIT
) -> dict[str, Any]:
    """Open needs and offers (status 募集中) with no Suggestion row at all — the posts the
    engine found nothing for. With a range, only posts created in it.
    ``{count, needs, offers, items: [{kind, kind_label, id, title, organization,
    created_at}]}``; items are the oldest first, at most ``limit``."""
    items: list[dict[str, Any]] = []
    totals = {}
    for kind, model, label in (
        ("need", Need, _("ニーズ")),
        ("offer", Offer, _("シーズ")),
    ):
        posts = model.objects.filter(status=PostStatus.OPEN).exclude(
            Exists(Suggestion.objects.filter(**{kind: OuterRef("pk")}))
        )
        if start is not None:
            posts = posts.filter(created_at__gte=_aware(start))
        if end is not None:
            posts = posts.filter(created_at__lt=_aware(end))
        totals[kind] = posts.count()
        for pk, title, org, created_at in posts.order_by("created_at", "pk").values_list(
            "pk", "title", "organization__name", "created_at"
        )[:limit]:
            items.append(
                {
                    "kind": kind,
                    "kind_label": str(label),
                    "id": pk,
                    "title": title,
                    "organization": org,
                    "created_at": _local(created_at),
                }
            )
    items.sort(key=lambda item: (item["created_at"], item["kind"], item["id"]))
    return {
        "count": totals["need"] + totals["offer"],
        "needs": totals["need"],
        "offers": totals["offer"],
        "items": items[:limit],
    }


# --- The dashboard, all at once ------------------------------------------------------
def chart(rows, label_key, value_key, series, *, percent=False, horizontal=False):
    return {
        "labels": [str(row[label_key]) for row in rows],
        "values": [
            (round(row[value_key] * 100, 1) if row[value_key] is not None else None)
            if percent
            else row[value_key]
            for row in rows
        ],
        "series": str(series),
        "percent": percent,
        "horizontal": horizontal,
    }


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def dashboard(fy: int) -> dict[str, Any]:
    """Everything the dashboard shows for fiscal year ``fy``, plus ``charts``: the data
    the page hands to ``kpi.js`` (via ``json_script``)."""
    start, end = fiscal_year_range(fy)
    data = {
        "fy": fy,
        "start": start,
        "end": end - dt.timedelta(days=1),
        "per_month": matches_per_month(start, end),
        "by_field": matches_by_field(start, end),
        "by_form": matches_by_form(start, end),
        "median": median_days_to_match(start, end),
        "consultations": consultations(start, end),
        "grades": grade_distribution(start, end),
        "continuation_year": continuation_by_year(),
        "continuation_field": continuation_by_field(),
        "no_suggestion": posts_without_suggestion(),
    }
    data["total_matches"] = sum(row["count"] for row in data["per_month"])
    for row in (*data["continuation_year"], *data["continuation_field"]):
        row["percent"] = _percent(row["rate"])
    data["consultations"]["usage_percent"] = _percent(data["consultations"]["usage_rate"])
    slots = data["consultations"]
    data["charts"] = {
        "per-month": chart(data["per_month"], "label", "count", _("マッチ数")),
        "by-field": chart(data["by_field"], "label", "count", _("マッチ数"), horizontal=True),
        "by-form": chart(data["by_form"], "label", "count", _("マッチ数")),
        "grades": chart(data["grades"], "grade", "count", _("評価の件数")),
        "slots": chart(
            [
                {"label": _("提供した枠"), "value": slots["offered"]},
                {"label": _("予約された枠"), "value": slots["booked"]},
                {"label": _("実施した相談"), "value": slots["held"]},
            ],
            "label",
            "value",
            _("件数"),
        ),
        "continuation-year": chart(
            data["continuation_year"], "label", "rate", _("継続率（%）"), percent=True
        ),
        "continuation-field": chart(
            data["continuation_field"],
            "label",
            "rate",
            _("継続率（%）"),
            percent=True,
            horizontal=True,
        ),
    }
    return data


# --- The yearly progress sheet (進行管理シート) --------------------------------------
def kpi_targets() -> dict[str, float]:
    return {**DEFAULT_KPI_TARGETS, **getattr(settings, "TSUNAGU_KPI_TARGETS", {})}


def indicator_grade(actual: float | None, target: float | None, *, lower_is_better=False):
    """A–D for an indicator: achievement = actual / target (target / actual when lower is
    better); A ≥ 110 %, B ≥ 100 %, C ≥ 70 %, D below. No actual (no data) → ""."""
    if actual is None or target is None:
        return ""
    if lower_is_better:
        if actual <= 0:
            return "A"
        achievement = target / actual
    else:
        if target <= 0:
            return "A"
        achievement = actual / target
    if achievement >= 1.10:
        return "A"
    if achievement >= 1.00:
        return "B"
    if achievement >= 0.70:
        return "C"
    return "D"


def indicator_values(fy: int) -> dict[str, float | None]:
    """The actual of each progress-sheet indicator in fiscal year ``fy``."""
    start, end = fiscal_year_range(fy)
    slots = consultations(start, end)
    return {
        "matches": _matches_created(start, end).count(),
        "consultations_held": slots["held"],
        "slot_usage_rate": slots["usage_rate"],
        "continuation_rate_12m": continuation_for_year(fy)["rate"],
        "average_grade": average_grade(start, end),
        "posts_without_suggestion": posts_without_suggestion(start, end, limit=0)["count"],
    }


INDICATORS = (
    ("matches", N_("マッチ成立数"), N_("件")),
    ("consultations_held", N_("相談の実施件数"), N_("件")),
    ("slot_usage_rate", N_("相談枠の利用率"), "%"),
    ("continuation_rate_12m", N_("継続率（完了12か月後）"), "%"),
    ("average_grade", N_("評価の平均（A=4〜D=1）"), N_("点")),
    ("posts_without_suggestion", N_("提案のない投稿"), N_("件")),
)


def _comment(key: str, actual, baseline) -> str:
    if actual is None:
        return _("実績データがありません。")
    notes = []
    if baseline is not None:
        diff = actual - baseline
        if key in ("slot_usage_rate", "continuation_rate_12m"):
            notes.append(_("前年度比 %(diff)+.1fポイント") % {"diff": diff * 100})
        elif key == "average_grade":
            notes.append(_("前年度比 %(diff)+.2f") % {"diff": diff})
        else:
            notes.append(_("前年度比 %(diff)+d件") % {"diff": diff})
    if key == "continuation_rate_12m":
        notes.append(_("完了12か月後の回答が集まるまでは暫定値です。"))
    return "。".join(n.rstrip("。") for n in notes) + "。" if notes else ""


def progress_indicators(fy: int) -> list[dict[str, Any]]:
    """One row per indicator: baseline (the previous fiscal year's actual), target
    (``kpi_targets()``), actual, grade (``indicator_grade``) and a comment. Rates are
    fractions (0.5 = 50 %)."""
    actual, baseline, targets = indicator_values(fy), indicator_values(fy - 1), kpi_targets()
    rows = []
    for key, label, unit in INDICATORS:
        rows.append(
            {
                "key": key,
                "indicator": _(label),
                "unit": _(unit),
                "baseline": baseline[key],
                "target": targets.get(key),
                "actual": actual[key],
                "grade": indicator_grade(
                    actual[key], targets.get(key), lower_is_better=key in LOWER_IS_BETTER
                ),
                "comment": _comment(key, actual[key], baseline[key]),
            }
        )
    return rows


def completed_projects(fy: int) -> list[dict[str, Any]]:
    """Matches completed (completed or evaluated) in fiscal year ``fy``, each with its
    parties, form, period, the grades given and the effects written."""
    start, end = fiscal_year_range(fy)
    matches = (
        Match.objects.filter(
            state__in=DONE_STATES,
            completed_at__gte=_aware(start),
            completed_at__lt=_aware(end),
        )
        .select_related("form")
        .prefetch_related(
            "parties__organization",
            "evaluations__organization",
            Prefetch(
                "transitions",
                queryset=MatchTransition.objects.exclude(override_reason="").order_by("at", "pk"),
                to_attr="overrides",
            ),
        )
        .order_by("completed_at", "pk")
    )
    coordinator = _("コーディネーター")
    published = set(case_book().values_list("pk", flat=True))
    rows = []
    for match in matches:
        overrides = [
            _("%(step)s（%(day)s、理由: %(reason)s）")
            % {
                "step": _(OVERRIDDEN_STEPS.get(t.name, t.name)),
                "day": _local(t.at).date().isoformat(),
                "reason": t.override_reason,
            }
            for t in match.overrides
        ]
        evaluations = sorted(match.evaluations.all(), key=lambda e: (e.evaluator, e.pk))
        who = [e.organization.name if e.organization else coordinator for e in evaluations]
        begin = match.starts_on.isoformat() if match.starts_on else ""
        finish = match.ends_on.isoformat() if match.ends_on else ""
        rows.append(
            {
                "id": match.pk,
                "title": match.title,
                "parties": "、".join(
                    p.organization.name
                    for p in match.parties.all()
                    if p.response != MatchParty.Response.DECLINED
                ),
                "form": match.form.name if match.form else "",
                "period": f"{begin}〜{finish}" if begin or finish else "",
                "completed_on": _local(match.completed_at).date().isoformat(),
                "grades": " / ".join(
                    f"{name}: {e.grade}" for name, e in zip(who, evaluations, strict=True)
                ),
                "effects": "\n".join(
                    f"{name}: {e.effects}"
                    for name, e in zip(who, evaluations, strict=True)
                    if e.effects
                ),
                # What a coordinator let go against the dated rules, marked on the sheet.
                "overrides": "\n".join(overrides),
                "published": _("掲載") if match.pk in published else _("未掲載"),
            }
        )
    return rows


OVERRIDDEN_STEPS = {"activate": N_("開始日前の開始"), "complete": N_("開始日前の完了")}
