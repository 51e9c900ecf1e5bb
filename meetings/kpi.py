"""KPIs of the places to meet (交流の場) for a fiscal year: on the coordinators' dashboard
and in the 進行管理シート, beside matching's (``matching.reports.kpi``; the web layer
puts the two together, since matching does not know meetings).

Definitions (docs/meetings.md, 「実績（KPI）」):

- **held**: a meeting that was published (not a draft, not cancelled) and has ended,
  counted in the fiscal year of its start;
- **participants / organizations**: where the organizer recorded attendance (at least one
  registration checked in), the people and organizations checked in; otherwise the
  registered ones (「申込ベース」, marked per meeting);
- **first-time organizations**: organizations taking part in a held meeting of the year
  that had never taken part in an earlier held meeting;
- **interest requests from meetings**: requests made from the post-meeting form (a wish),
  counted in the year they were made; **matches from meetings**: matches whose origin is a
  meeting, counted in the year they were created;
- **continuation**: of the matches from meetings completed in the year whose parties
  answered the 12-month follow-up, the share that continues (as matching's rate).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from lib.dates import fiscal_year_range, local_date
from matching.models import Match
from matching.outcomes.continuation import match_continuation
from matching.reports import kpi as matching_kpi
from meetings.models import Meeting, Registration, Wish

# Yearly targets, overridable with settings.TSUNAGU_KPI_TARGETS like matching's. Chigasaki
# held 10 to 18 exchange meetings a year; one a month is the default.
DEFAULT_TARGETS: dict[str, float] = {
    "meetings_held": 12,
    "meeting_participants": 200,
    "meeting_first_time_organizations": 10,
    "meeting_interest_requests": 10,
    "meeting_matches": 5,
    "meeting_continuation_rate_12m": 0.5,
}

INDICATORS = (
    ("meetings_held", N_("交流の場の開催数"), N_("回")),
    ("meeting_participants", N_("交流の場の参加者数（延べ）"), N_("人")),
    ("meeting_first_time_organizations", N_("交流の場に初めて参加した団体"), N_("団体")),
    ("meeting_interest_requests", N_("交流の場から生まれた紹介の依頼"), N_("件")),
    ("meeting_matches", N_("交流の場から生まれたマッチ"), N_("件")),
    (
        "meeting_continuation_rate_12m",
        N_("交流の場から生まれたマッチの継続率（完了12か月後）"),
        "%",
    ),
)
PERCENT_KEYS = frozenset({"meeting_continuation_rate_12m"})

HIDDEN_STATUSES = (Meeting.Status.DRAFT, Meeting.Status.CANCELLED)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _held(now: dt.datetime | None = None):
    return (
        Meeting.objects.exclude(status__in=HIDDEN_STATUSES)
        .filter(ends_at__lte=now or timezone.now())
        .select_related("organizer")
        .order_by("starts_at", "pk")
    )


def held_meetings(start: dt.date, end: dt.date, *, now: dt.datetime | None = None):
    """Meetings held in ``[start, end)`` (local dates of their start), oldest first."""
    return _held(now).filter(starts_at__gte=_aware(start), starts_at__lt=_aware(end))


def _participation(meeting_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per meeting: {people, organizations (ids), recorded (attendance was taken)}."""
    rows = Registration.objects.filter(
        meeting_id__in=meeting_ids, status=Registration.Status.REGISTERED
    ).values_list("meeting_id", "organization_id", "attendees", "checked_in_at", "attended_people")
    by_meeting: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_meeting[row[0]].append(row)
    result = {}
    for meeting_id in meeting_ids:
        registrations = by_meeting.get(meeting_id, [])
        checked = [r for r in registrations if r[3] is not None]
        if checked:
            people = sum(r[4] if r[4] is not None else r[2] for r in checked)
            organizations = {r[1] for r in checked}
        else:
            people = sum(r[2] for r in registrations)
            organizations = {r[1] for r in registrations}
        result[meeting_id] = {
            "people": people,
            "organizations": organizations,
            "recorded": bool(checked),
        }
    return result


def _first_meeting_of_each_organization(now: dt.datetime) -> dict[int, int]:
    """organization id → the id of the first held meeting it took part in (ever)."""
    meetings = list(_held(now).select_related(None).only("pk", "starts_at"))
    taking_part = _participation([m.pk for m in meetings])
    first: dict[int, int] = {}
    for meeting in meetings:  # oldest first
        for organization_id in taking_part[meeting.pk]["organizations"]:
            first.setdefault(organization_id, meeting.pk)
    return first


def meeting_rows(fy: int, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One row per meeting held in fiscal year ``fy``: who came, how many came for the first
    time, the wishes, the interest requests and the matches that came out of it."""
    now = now or timezone.now()
    start, end = fiscal_year_range(fy)
    meetings = list(held_meetings(start, end, now=now))
    ids = [m.pk for m in meetings]
    taking_part = _participation(ids)
    first = _first_meeting_of_each_organization(now)
    wishes: dict[int, int] = defaultdict(int)
    requests: dict[int, set[int]] = defaultdict(set)
    matches: dict[int, set[int]] = defaultdict(set)
    for meeting_id, request_id, match_id in Wish.objects.filter(meeting_id__in=ids).values_list(
        "meeting_id", "interest_request_id", "interest_request__match_id"
    ):
        wishes[meeting_id] += 1
        if request_id:
            requests[meeting_id].add(request_id)
        if match_id:
            matches[meeting_id].add(match_id)
    rows = []
    for meeting in meetings:
        part = taking_part[meeting.pk]
        rows.append(
            {
                "id": meeting.pk,
                "title": meeting.title,
                "kind": meeting.get_kind_display(),
                "starts_at": meeting.starts_at,
                "day": local_date(meeting.starts_at).isoformat(),
                "organizer": meeting.organizer.name if meeting.organizer else _("コーディネーター"),
                "people": part["people"],
                "organizations": len(part["organizations"]),
                "first_time": sum(
                    1 for org in part["organizations"] if first.get(org) == meeting.pk
                ),
                "recorded": part["recorded"],
                "basis": _("受付の記録") if part["recorded"] else _("申込ベース"),
                "wishes": wishes[meeting.pk],
                "interest_requests": len(requests[meeting.pk]),
                "matches": len(matches[meeting.pk]),
            }
        )
    return rows


def _continuation(fy: int) -> dict[str, Any]:
    start, end = fiscal_year_range(fy)
    verdict = match_continuation(12)
    completed = Match.objects.filter(
        origin=Match.Origin.MEETING,
        completed_at__gte=_aware(start),
        completed_at__lt=_aware(end),
        pk__in=list(verdict),
    ).values_list("pk", flat=True)
    answers = [verdict[pk] for pk in completed]
    continued = sum(answers)
    rate = round(continued / len(answers), 3) if answers else None
    return {"answered": len(answers), "continued": continued, "rate": rate}


def indicator_values(fy: int, *, now: dt.datetime | None = None) -> dict[str, float | None]:
    start, end = fiscal_year_range(fy)
    rows = meeting_rows(fy, now=now)
    return {
        "meetings_held": len(rows),
        "meeting_participants": sum(row["people"] for row in rows),
        "meeting_first_time_organizations": sum(row["first_time"] for row in rows),
        "meeting_interest_requests": Wish.objects.filter(
            interest_request__created_at__gte=_aware(start),
            interest_request__created_at__lt=_aware(end),
        )
        .values("interest_request")
        .distinct()
        .count(),
        "meeting_matches": Match.objects.filter(
            origin=Match.Origin.MEETING,
            created_at__gte=_aware(start),
            created_at__lt=_aware(end),
        ).count(),
        "meeting_continuation_rate_12m": _continuation(fy)["rate"],
    }


def targets() -> dict[str, float]:
    configured = matching_kpi.kpi_targets()
    return {key: configured.get(key, value) for key, value in DEFAULT_TARGETS.items()}


def _comment(key: str, actual, baseline) -> str:
    if actual is None:
        return _("実績データがありません。")
    if baseline is None:
        return ""
    if key in PERCENT_KEYS:
        return _("前年度比 %(diff)+.1fポイント。") % {"diff": (actual - baseline) * 100}
    return _("前年度比 %(diff)+d。") % {"diff": actual - baseline}


def progress_indicators(fy: int, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Rows shaped like ``matching.reports.kpi.progress_indicators`` (rates as fractions),
    appended to the 進行管理シート's indicators."""
    actual = indicator_values(fy, now=now)
    baseline = indicator_values(fy - 1, now=now)
    goal = targets()
    return [
        {
            "key": key,
            "indicator": _(label),
            "unit": _(unit),
            "baseline": baseline[key],
            "target": goal.get(key),
            "actual": actual[key],
            "grade": matching_kpi.indicator_grade(actual[key], goal.get(key)),
            "comment": _comment(key, actual[key], baseline[key]),
            "percent": key in PERCENT_KEYS,
        }
        for key, label, unit in INDICATORS
    ]


def sheet_table(fy: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The 交流の場 table of the progress sheet: a header and one row per meeting held."""
    header = [
        _("ID"),
        _("開催日"),
        _("名称"),
        _("種類"),
        _("主催"),
        _("参加者（人）"),
        _("参加団体"),
        _("初参加の団体"),
        _("集計の元"),
        _("もっと話したい（回答）"),
        _("紹介の依頼"),
        _("マッチ"),
    ]
    rows = [header]
    for row in meeting_rows(fy, now=now):
        rows.append(
            [
                row["id"],
                row["day"],
                row["title"],
                row["kind"],
                row["organizer"],
                row["people"],
                row["organizations"],
                row["first_time"],
                row["basis"],
                row["wishes"],
                row["interest_requests"],
                row["matches"],
            ]
        )
    return {
        "key": "meetings",
        "title": _("%(fy)s年度 交流の場（会合別）") % {"fy": fy},
        "sheet": _("交流の場"),
        "rows": rows,
        "widths": (6, 12, 36, 18, 24, 10, 10, 12, 12, 14, 10, 8),
    }


def dashboard(fy: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the dashboard's 交流の場 section shows, with ``charts`` for kpi.js."""
    rows = meeting_rows(fy, now=now)
    values = indicator_values(fy, now=now)
    start, end = fiscal_year_range(fy)
    per_month = []
    for year, month in matching_kpi.months_between(start, end):
        held = [r for r in rows if _year_month(r) == (year, month)]
        per_month.append(
            {
                "label": _("%(year)d年%(month)d月") % {"year": year, "month": month},
                "meetings": len(held),
                "people": sum(r["people"] for r in held),
            }
        )
    continuation = _continuation(fy)
    return {
        "rows": rows,
        "values": values,
        "continuation": continuation,
        "continuation_percent": (
            None if continuation["rate"] is None else round(continuation["rate"] * 100, 1)
        ),
        "per_month": per_month,
        "charts": {
            "meetings-per-month": matching_kpi.chart(per_month, "label", "meetings", _("開催数")),
            "meeting-people-per-month": matching_kpi.chart(
                per_month, "label", "people", _("参加者（人）")
            ),
        },
    }


def _year_month(row: dict[str, Any]) -> tuple[int, int]:
    local = timezone.localtime(row["starts_at"])
    return local.year, local.month
