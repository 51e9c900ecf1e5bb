"""Date arithmetic of a Japanese city office, in plain functions.

Business days (weekends, public holidays from jpholiday and the New Year break that city
offices close for, 12/29–1/3), calendar months, fiscal years (年度, April to March), and the
clock of the date-driven services (``clock``: the date they take as ``today``, and the
moment they record), and dates as a person reads them in a message (``day_text``,
``day_time_text``: the site's formats, which carry the weekday), and the one reader of
the dates people send in query parameters (``parse_day``, ``parse_moment``,
``day_param``, ``moment_param``): a date at the calendar's edge is a 400 naming the
parameter, never an ``OverflowError``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

import jpholiday
from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateparse, formats, timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lib.errors import Invalid


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


# --- Dates a person sends: query parameters and form fields ---------------------------
# Python's calendar ends at 0001-01-01 and 9999-12-31: a date at its edge overflows when
# a day, a week or a fiscal year is added, or when local midnight is turned into UTC
# (OverflowError: a 500). A year of room at each end keeps every such step inside it.
EARLIEST_DAY = dt.date(2, 1, 1)
LATEST_DAY = dt.date(9998, 12, 31)

_FORMAT_MESSAGE = _("日付の形式が正しくありません（YYYY-MM-DD）。")
_DATETIME_FORMAT_MESSAGE = _("日付の形式が正しくありません（YYYY-MM-DD か YYYY-MM-DDTHH:MM）。")
_RANGE_MESSAGE = _("%(earliest)s から %(latest)s までの日付を指定してください。")


def _out_of_range(field: str | None = None) -> Invalid:
    return Invalid(
        _RANGE_MESSAGE % {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        field=field,
        code="date_out_of_range",
    )


def parse_day(value: str, field: str) -> dt.date:
    """``YYYY-MM-DD`` as sent in a query parameter or a form, within
    [``EARLIEST_DAY``, ``LATEST_DAY``]. Raises ``lib.errors.Invalid`` naming ``field``
    (the API answers 400 ``{field: [message]}``; a page shows the message)."""
    try:
        day = dateparse.parse_date(value.strip())
    except ValueError:  # the right shape but no such day (2026-02-30)
        day = None
    if day is None:
        raise Invalid(_FORMAT_MESSAGE, field=field, code="date_format")
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise _out_of_range(field)
    return day


def parse_moment(value: str, field: str, *, end: bool = False) -> dt.datetime:
    """A date (``YYYY-MM-DD``: local midnight; with ``end``, the next midnight, so the
    day is included) or an ISO 8601 datetime (without an offset: local time), as an
    aware datetime within the usable range. Raises ``Invalid`` naming ``field``."""
    text = value.strip()
    if dateparse.date_re.match(text):
        day = parse_day(text, field)
        moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time())
        return timezone.make_aware(moment)
    try:
        moment = dateparse.parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise Invalid(_DATETIME_FORMAT_MESSAGE, field=field, code="date_format")
    if not EARLIEST_DAY <= moment.date() <= LATEST_DAY:
        raise _out_of_range(field)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def usable(value: dt.date) -> dt.date:
    """``value`` (a date or datetime a form or serializer read) if it lies within
    [``EARLIEST_DAY``, ``LATEST_DAY``]; otherwise ``Invalid`` without a field, so that the
    form or serializer puts the message under its own field."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise _out_of_range()
    return value


def day_param(
    params: Mapping[str, Any], field: str, default: dt.date | None = None
) -> dt.date | None:
    """The date in ``params[field]`` (blank or absent: ``default``); see ``parse_day``."""
    value = params.get(field)
    return parse_day(value, field) if value and value.strip() else default


def moment_param(
    params: Mapping[str, Any], field: str, *, end: bool = False, default: dt.datetime | None = None
) -> dt.datetime | None:
    """The date or datetime in ``params[field]`` (blank or absent: ``default``); see
    ``parse_moment``."""
    value = params.get(field)
    return parse_moment(value, field, end=end) if value and value.strip() else default


class DayField(forms.DateField):
    """A form's (or a django-filter's) date read by ``parse_day``: ``YYYY-MM-DD`` within
    the usable range, the same rule as the API's date parameters."""

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        try:
            return parse_day(text, "")
        except Invalid as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class MomentField(serializers.DateTimeField):
    """An API datetime within the usable range. REST framework's own field raises
    ``OverflowError`` (a 500) for a moment at the calendar's edge while it checks the
    time zone; this one answers 400 under the field, like ``parse_moment``."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            moment = None
        try:
            if moment is None:
                raise _out_of_range()
            return usable(moment)
        except Invalid as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from exc
