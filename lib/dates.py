"""Date arithmetic of a Japanese city office, in plain functions.

Business days (weekends, public holidays from jpholiday and the New Year break that city
offices close for, 12/29–1/3), calendar months, fiscal years (年度, April to March), and the
clock of the date-driven services (``clock``: the date they take as ``today``, and the
moment they record), and dates as a person reads them in a message (``day_text``,
``day_time_text``: the site's formats, which carry the weekday).
"""

from __future__ import annotations

import calendar
import datetime as dt

import jpholiday
from django.utils import formats, timezone


def is_business_day(day: dt.date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    # 年末年始: city offices are closed from 29 December to 3 January.
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The day ``days`` business days after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must be ≥ 0")
    day = start
    while days:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            days -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later; a day the target month does not
    have becomes its last day (31 August + 6 months → 28/29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fiscal_year(day: dt.date) -> int:
    """Japanese fiscal year (年度, April to March): 2027-03-31 is in FY2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_range(fy: int) -> tuple[dt.date, dt.date]:
    """[1 April fy, 1 April fy+1): fiscal year 2026 is 2026-04-01 to 2027-03-31."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1)


def fiscal_year_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The fiscal year containing ``day`` as aware datetimes [start, end) in local time."""
    start, end = fiscal_year_range(fiscal_year(day))
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time(0, 0))),
        timezone.make_aware(dt.datetime.combine(end, dt.time(0, 0))),
    )


def current_fiscal_year(today: dt.date | None = None) -> int:
    return fiscal_year(today or timezone.localdate())


# --- The clock of date-driven services ---------------------------------------------
def clock(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
    """(today, the timestamp to record). A ``today`` other than the real one is a
    controlled clock: stamps are then that day at 9:00 local time, when the daily tasks
    run."""
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return timezone.localdate(now), now
    return today, timezone.make_aware(dt.datetime.combine(today, dt.time(9, 0)))


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def day_text(day: dt.date) -> str:
    """A date in a message or notification, with its weekday: 2027年1月5日(火) (the active
    language's ``DATE_FORMAT``, tsunagu/formats/); a datetime gives its local date."""
    if isinstance(day, dt.datetime):
        day = local_date(day)
    return formats.date_format(day, "DATE_FORMAT")


def day_time_text(moment: dt.datetime) -> str:
    """A moment in a message, local time, with its weekday: 2027年1月5日(火) 10:00."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")
