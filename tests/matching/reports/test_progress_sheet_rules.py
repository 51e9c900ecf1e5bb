"""Issue 13: the progress sheet (進行管理シート) marks what a coordinator overrode (a start
or completion before the agreed start date, with the reason) and whether the case is in
the 事例集; parties that left are not listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from workflow_support import agree_terms, confirm_all, drive, two_party_match

from lib.dates import current_fiscal_year
from matching.matches import workflow
from matching.outcomes import case_book
from matching.reports import kpi, progress_sheet

pytestmark = pytest.mark.django_db


def _completed_early(people):
    coordinator = people["coordinator"]
    match = drive(two_party_match(people), "consulting", coordinator)
    workflow.agree(
        match, coordinator, **agree_terms(match, timezone.localdate() + dt.timedelta(days=60))
    )
    confirm_all(match)
    workflow.activate(match, coordinator, override_reason="事業の前倒し")
    workflow.complete(match, coordinator, override_reason="成果が早く出た")
    return match


def test_overrides_are_marked_on_the_progress_sheet(people):
    early = _completed_early(people)
    on_time = drive(two_party_match(people), "completed", people["coordinator"])
    rows = {row["id"]: row for row in kpi.completed_projects(current_fiscal_year())}
    assert "開始日前の開始" in rows[early.pk]["overrides"]
    assert "事業の前倒し" in rows[early.pk]["overrides"]
    assert "成果が早く出た" in rows[early.pk]["overrides"]
    assert rows[on_time.pk]["overrides"] == ""
    assert rows[early.pk]["published"] == "未掲載"
    tables = progress_sheet.sheet_tables(current_fiscal_year())
    header = tables["projects"][0]
    row = next(r for r in tables["projects"][1:] if r[0] == early.pk)
    assert "事業の前倒し" in row[header.index("コーディネーターの例外")]


def test_the_sheet_says_which_cases_are_published(people):
    match = drive(two_party_match(people), "completed", people["coordinator"])
    case_book.set_consent(match, people["member"], people["npo"], True)
    case_book.set_consent(match, people["staff"], people["department"], True)
    case_book.approve_text(match, people["coordinator"], "見守りの輪が広がった")
    rows = {row["id"]: row for row in kpi.completed_projects(current_fiscal_year())}
    assert rows[match.pk]["published"] == "掲載"
