"""The organizer's pages about who comes and where they sit, next to the organizer's page
(``/my/meetings/<id>/``): 招待する団体の提案 (the engine's ranked list with its reasons,
「初参加」 and the fairness note; several invited at once) and グループ分け (the proposed or
saved tables, moved with a select per organization, saved; a printable seating list).

Thin views over ``meetings.invitations`` and ``meetings.tables``; who may is
``meeting_day.organized`` (the organizer and coordinators). Everything works without
JavaScript: a table is chosen with a <select>, the list is checked with checkboxes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lib.errors import Conflict
from meetings import invitations, tables
from meetings.models import Meeting, Registration
from web.errors import REFUSALS, field_errors, report
from web.member.meeting_day import organized, page
from web.member.meeting_day_forms import InviteSuggestedForm

# How many organizations the list shows (the service's default; at most its maximum).
SHOWN = invitations.DEFAULT_LIMIT


# --- 招待する団体の提案 ------------------------------------------------------------------
def _render_suggestions(
    request: HttpRequest, meeting: Meeting, form: InviteSuggestedForm | None = None
) -> HttpResponse:
    rows: list[invitations.InvitationSuggestion] = []
    refusal = ""
    try:
        rows = invitations.suggest_invitations(meeting, request.user, SHOWN)
    except Conflict as exc:  # cancelled or held: nobody to invite any more
        refusal = str(exc)
    chosen = set()
    if form is not None and form.is_bound:
        chosen = {str(v) for v in form.data.getlist("organizations")}
    context = {
        "meeting": meeting,
        "rows": rows,
        "refusal": refusal,
        "form": form or InviteSuggestedForm(),
        "chosen": chosen,
        "invited": meeting.invitations.select_related("organization").order_by(
            "organization__name"
        ),
        "can_invite": meeting.status == Meeting.Status.PUBLISHED,
        "strength": round(invitations.FAIRNESS_STRENGTH * 100),
        "saturation": invitations.FAIRNESS_SATURATION,
    }
    return render(request, "member/meetings/suggestions.html", context)


@login_required
def suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the list. POST: invite the organizations checked, at once (all or none)."""
    meeting = organized(request, pk)
    if request.method != "POST":
        return _render_suggestions(request, meeting)
    form = InviteSuggestedForm(request.POST)
    if not form.is_valid():
        return _render_suggestions(request, meeting, form)
    chosen = list(form.cleaned_data["organizations"].order_by("name", "pk"))
    try:
        made = invitations.invite_suggested(meeting, request.user, chosen)
    except REFUSALS as exc:
        report(request, exc, form)
        return _render_suggestions(request, meeting, form)
    names = "、".join(inv.organization.name for inv in made)
    messages.success(
        request,
        _("%(n)d団体を招待しました: %(names)s") % {"n": len(made), "names": names},
    )
    return redirect(page("member-meeting-suggestions", meeting))


# --- グループ分け --------------------------------------------------------------------------
def _seat_field(registration_id: int) -> str:
    return f"seat-{registration_id}"


def _name_field(number: int) -> str:
    return f"name-{number}"


def _choices(split: tables.Split) -> list[tuple[int, str]]:
    """Every table of the split, and one more (「新しいテーブル」) to open one."""
    out = [(t.number, _("テーブル%(n)d") % {"n": t.number}) for t in split.tables]
    following = max((t.number for t in split.tables), default=0) + 1
    out.append((following, _("新しいテーブル（%(n)d）") % {"n": following}))
    return out


def _posted_tables(request: HttpRequest, people: list[tables.Participant]) -> list[dict[str, Any]]:
    """The tables as the form sent them, in table order: each organization at the table
    its select names (a table nobody is left at disappears). An organization without a
    choice is left out, so that the service names it (「席のない参加確定の団体」)."""
    seated: dict[int, list[int]] = defaultdict(list)
    for person in people:
        raw = request.POST.get(_seat_field(person.registration_id), "").strip()
        if raw.isdigit():
            seated[int(raw)].append(person.registration_id)
    return [
        {
            "name": request.POST.get(_name_field(number), "").strip(),
            "registrations": seated[number],
        }
        for number in sorted(seated)
    ]


def _render_tables(
    request: HttpRequest,
    meeting: Meeting,
    split: tables.Split | None,
    errors: list[str] | None = None,
) -> HttpResponse:
    """The tables with a select per organization; after a refused save, as they were sent
    (the choices and names the person made, not the split again)."""
    posted = request.POST if request.method == "POST" else {}

    def seat(person: tables.Participant, number: int | None) -> dict[str, Any]:
        field = _seat_field(person.registration_id)
        chosen = posted.get(field, "" if number is None else str(number))
        return {"person": person, "field": field, "selected": chosen}

    context: dict[str, Any] = {"meeting": meeting, "split": split, "errors": errors or []}
    if split is not None:
        context["choices"] = [(str(n), label) for n, label in _choices(split)]
        context["tables"] = [
            {
                "table": table,
                "name_field": _name_field(table.number),
                "name": posted.get(_name_field(table.number), table.name),
                "seats": [seat(person, table.number) for person in table.seats],
            }
            for table in split.tables
        ]
        context["unseated"] = [seat(person, None) for person in split.unseated]
        context["registered"] = sum(len(t.seats) for t in split.tables) + len(split.unseated)
    return render(request, "member/meetings/tables.html", context)


@login_required
def table_groups(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the saved split, or the engine's proposal when none is saved (``?proposal=1``:
    a new proposal even when one is saved). POST: save the tables as chosen."""
    meeting = organized(request, pk)
    if request.method == "POST":
        chosen = _posted_tables(request, tables.participants(meeting))
        try:
            saved = tables.save_tables(meeting, request.user, chosen)
        except REFUSALS as exc:
            try:
                split = _current(meeting, request)
            except REFUSALS:  # a cancelled meeting: only the refusal to show
                split = None
            return _render_tables(request, meeting, split, _texts(exc))
        messages.success(
            request,
            _("グループ分けを保存しました（%(n)dテーブル）。") % {"n": len(saved.tables)},
        )
        return redirect(page("member-meeting-tables", meeting))
    try:
        split = _current(meeting, request, fresh=request.GET.get("proposal") == "1")
    except REFUSALS as exc:  # a cancelled meeting has no tables
        return _render_tables(request, meeting, None, _texts(exc))
    return _render_tables(request, meeting, split)


def _current(meeting: Meeting, request: HttpRequest, fresh: bool = False) -> tables.Split:
    if fresh:
        return tables.propose_tables(meeting, request.user)
    return tables.current_tables(meeting, request.user)


def _texts(exc: BaseException) -> list[str]:
    return [text for texts in field_errors(exc).values() for text in texts]


@login_required
def tables_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable seating list: one block per table, with its organizations and their
    people (names as registered: the organizer's page only)."""
    meeting = organized(request, pk)
    try:
        split = tables.current_tables(meeting, request.user)
    except REFUSALS as exc:
        return _render_tables(request, meeting, None, _texts(exc))
    ids = [p.registration_id for t in split.tables for p in t.seats]
    registrations = Registration.objects.in_bulk(ids)
    blocks = [
        {
            "table": table,
            "seats": [
                {"person": person, "registration": registrations.get(person.registration_id)}
                for person in table.seats
            ],
        }
        for table in split.tables
    ]
    context = {"meeting": meeting, "split": split, "blocks": blocks}
    return render(request, "member/meetings/tables_print.html", context)
