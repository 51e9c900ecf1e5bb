"""Template filters of the pages: dates with their weekday, and form fields that say they
are required.

- ``{{ value|day }}``: a date, or a datetime's local date, in ``DATE_FORMAT`` (with the
  weekday: 2027年1月5日(火)); ``{{ value|day_time }}`` the same with the time. Use them
  (or plain ``|date``) rather than a hand-written format, so every date shows its weekday.
- ``{{ field|required_widget }}``: the widget of a bound field, with
  ``aria-required="true"`` when the field is required (the visible 必須 mark is in
  ``includes/_field.html``).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.forms import BoundField
from django.utils import formats, timezone
from django.utils.safestring import SafeString

register = template.Library()


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def day(value) -> str:
    """2027年1月5日(火); empty for no date."""
    if not isinstance(value, dt.date):
        return ""
    value = _local(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return formats.date_format(value, "DATE_FORMAT")


@register.filter
def day_time(value) -> str:
    """2027年1月5日(火) 10:00; a plain date shows without a time."""
    if not isinstance(value, dt.datetime):
        return day(value)
    return formats.date_format(_local(value), "DATETIME_FORMAT")


@register.filter
def required_widget(field: BoundField) -> SafeString:
    """The field's widget, with ``aria-required`` for a required field."""
    if field.field.required:
        return field.as_widget(attrs={"aria-required": "true"})
    return field.as_widget()
