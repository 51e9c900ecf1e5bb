"""マイページ: the match page of an organization's members and department staff, and what
a party does there: answer an introduction (or decline it), move the match on (start
consulting, agree on the terms, start the work, report completion), book, cancel and move
consultations (and download them as .ics), evaluate the match and answer the continuation
follow-ups.

Thin views: the rules live in the services (``matching.matches.workflow``,
``matching.consultations.services``, ``matching.outcomes.evaluations`` and ``.follow_ups``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from matching.consultations import ical
from matching.consultations.api import ics_response
from matching.consultations.services import (
    BOOKABLE_MATCH_STATES,
    book,
    cancel_booking,
    reschedule,
    visible_bookings,
)
from matching.matches import deadlines, history, workflow
from matching.matches.permissions import can_see_party_contacts, can_view_match
from matching.models import ConsultationSlot, Match
from matching.models.matches import MatchParty
from matching.outcomes import case_book
from matching.outcomes.evaluations import evaluation_status, record_evaluation
from matching.outcomes.follow_ups import answer_follow_up, follow_ups_for
from organizations.privacy import log_personal_data_access
from web.errors import REFUSALS, field_errors, report
from web.member.forms import (
    AgreeForm,
    EvaluationForm,
    FollowUpForm,
    ReasonForm,
    agree_initial,
)
from web.member.posts import next_step


# --------------------------------------------------------------------------- matches
def _match(request: HttpRequest, pk: int) -> Match:
    match = get_object_or_404(Match.objects.select_related("need", "offer", "coordinator"), pk=pk)
    if not can_view_match(request.user, match):
        raise Http404
    return match


def _own_party(user, match: Match, organization_id: str | None) -> MatchParty:
    parties = [p for p in workflow.active_parties(match) if user.is_member_of(p.organization_id)]
    for party in parties:
        if str(party.organization_id) == str(organization_id or party.organization_id):
            return party
    raise PermissionDenied


# The party's own steps on the match page, as buttons (agree has a form of its own).
PARTY_STEPS = {
    "start_consulting": (workflow.start_consulting, gettext_lazy("事前相談を始めました。")),
    "activate": (workflow.activate, gettext_lazy("協働を開始しました。")),
    "complete": (workflow.complete, gettext_lazy("完了を報告しました。評価の記入をお願いします。")),
}

PARTY_STEP_LABELS = {
    "start_consulting": gettext_lazy("事前相談を始める"),
    "activate": gettext_lazy("協働を開始する"),
    "complete": gettext_lazy("完了を報告する"),
}


def _open_follow_ups(user, match: Match) -> list:
    """The continuation follow-ups this user's organizations are asked to answer now."""
    return list(
        follow_ups_for(user)
        .filter(
            match=match,
            answer="",
            due_on__lte=timezone.localdate(),
            organization_id__in=user.organization_ids(),
        )
        .order_by("due_on", "pk")
    )


def _contacts_shown(request: HttpRequest, match: Match, parties) -> bool:
    """May the user see the parties' contacts here? A coordinator's view is logged."""
    shown = can_see_party_contacts(request.user, match)
    if shown:
        log_personal_data_access(
            request.user,
            [p.organization for p in parties],
            via="web:member-match",
            request=request,
            record=f"match:{match.pk}",
        )
    return shown


def _match_page(request: HttpRequest, match: Match, *, status: int = 200, **forms) -> HttpResponse:
    """The match page; ``forms`` are bound forms to show again with their errors."""
    user = request.user
    parties = list(match.parties.select_related("organization"))
    own = [p for p in parties if user.is_member_of(p.organization_id)]
    actions = workflow.available_actions(user, match)
    now = timezone.now()
    bookings = list(visible_bookings(user).filter(match=match).order_by("slot__starts_at"))
    slots = []
    if match.state in BOOKABLE_MATCH_STATES:
        booked = {b.slot_id for b in bookings if b.status == "booked"}
        slots = [
            s
            for s in ConsultationSlot.objects.filter(starts_at__gt=now, is_cancelled=False)
            .exclude(pk__in=booked)
            .order_by("starts_at")[:20]
            if s.seats_left > 0
        ]
    awaiting = []
    if match.state == Match.State.COMPLETED:
        waiting_ids = {o.pk for o in evaluation_status(match)["awaiting"]}
        awaiting = [p for p in own if p.organization_id in waiting_ids]
    active = workflow.active_parties(match)
    publication = case_book.publication_status(match)
    consents = {
        row["party"].organization_id: bool(row["consent"] and row["consent"].consented)
        for row in publication["parties"]
    }
    evaluation_org = forms.get("evaluation_org")
    follow_ups = _open_follow_ups(user, match)
    follow_up_form = forms.get("follow_up_form")
    for row in follow_ups:
        bound = follow_up_form is not None and forms.get("follow_up_pk") == row.pk
        row.form = follow_up_form if bound else FollowUpForm(prefix=f"fu{row.pk}")
    context = {
        "match": match,
        "parties": parties,
        "own": own,
        "pending_own": [p for p in own if p.response == MatchParty.Response.PENDING],
        "show_contacts": _contacts_shown(request, match, parties),
        "history": history.entries(match),
        "show_due": match.state == Match.State.INTRODUCED and match.response_due_on,
        # The party's own answer that is overdue, flagged as on the coordinator's pages.
        "own_overdue": _own_overdue_answer(match, own),
        "terms_recorded": bool(match.terms_revision),
        "to_confirm": workflow.unconfirmed(match, [p for p in own if p in active])
        if "confirm" in actions
        else [],
        "publication": publication,
        "own_consents": [
            {"party": p, "consented": consents.get(p.organization_id, False)}
            for p in own
            if p in active
        ]
        if publication["open"]
        else [],
        "can_respond": "respond" in actions,
        "can_decline": "decline" in actions and bool(own),
        "steps": [
            {"action": name, "label": PARTY_STEP_LABELS[name]}
            for name in PARTY_STEPS
            if name in actions
        ],
        "agree_form": forms.get("agree_form")
        or (
            AgreeForm(initial=agree_initial(match), parties=active) if "agree" in actions else None
        ),
        "bookings": bookings,
        "slots": slots,
        "now": now,
        "evaluate_for": [
            {
                "party": p,
                "form": forms["evaluation_form"]
                if evaluation_org == p.organization_id
                else EvaluationForm(prefix=f"ev{p.organization_id}"),
            }
            for p in awaiting
        ],
        "follow_ups": follow_ups,
        "next_step": next_step(user, match),
        "reason_form": forms.get("reason_form") or ReasonForm(),
    }
    return render(request, "member/match_detail.html", context, status=status)


def _own_overdue_answer(match: Match, own: list[MatchParty]) -> deadlines.Overdue | None:
    if match.state != Match.State.INTRODUCED or not match.response_due_on:
        return None
    keys = {f"answer:party:{p.pk}" for p in own}
    items = deadlines.overdue_answers(timezone.localdate(), [match.pk])
    return next((item for item in items if item.key in keys), None)


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _match_page(request, _match(request, pk))


def _back(pk: int, anchor: str = ""):
    return redirect(reverse("member-match", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _invalid(request: HttpRequest) -> None:
    messages.error(request, _("入力内容を確認してください。"))


@login_required
@require_POST
def match_respond(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    party = _own_party(request.user, match, request.POST.get("organization"))
    accepted = request.POST.get("answer") == "accept"
    try:
        if accepted:
            workflow.respond(match, request.user, party.organization, True)
            messages.success(request, _("紹介に前向きに回答しました。"))
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                _invalid(request)
                return _match_page(request, match, status=400, reason_form=form)
            workflow.decline(match, request.user, party.organization, form.cleaned_data["reason"])
            messages.success(request, _("辞退を伝えました。"))
    except REFUSALS as exc:
        report(request, exc)
    return _back(pk)


@login_required
@require_POST
def match_step(request: HttpRequest, pk: int) -> HttpResponse:
    """A party moves its match on: start consulting, start the work, report completion."""
    match = _match(request, pk)
    action = request.POST.get("action", "")
    if action in PARTY_DECISIONS:
        return _party_decision(request, match, action)
    if action not in PARTY_STEPS:
        messages.error(request, _("この操作はここではできません。"))
        return _back(pk)
    function, done = PARTY_STEPS[action]
    try:
        function(match, request.user, comment=request.POST.get("comment", "")[:2000])
        messages.success(request, done)
    except REFUSALS as exc:
        report(request, exc)
    return _back(pk)


# What a party decides for itself on the match page (its organization is named).
PARTY_DECISIONS = {
    "confirm": gettext_lazy("合意内容を確認しました。"),
    "consent": gettext_lazy("事例集への掲載に同意しました。"),
    "revoke_consent": gettext_lazy("事例集への掲載の同意を取り消しました。"),
}


def _party_decision(request: HttpRequest, match: Match, action: str) -> HttpResponse:
    party = _own_party(request.user, match, request.POST.get("organization"))
    try:
        if action == "confirm":
            revision = request.POST.get("revision", "")
            workflow.confirm_terms(
                match,
                request.user,
                party.organization,
                revision=int(revision) if revision.isdigit() else None,
            )
        else:
            case_book.set_consent(match, request.user, party.organization, action == "consent")
        messages.success(request, PARTY_DECISIONS[action])
    except REFUSALS as exc:
        report(request, exc)
    return _back(match.pk, "publication" if action != "confirm" else "terms")


@login_required
@require_POST
def match_agree(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what the parties agreed (consulting → agreed)."""
    match = _match(request, pk)
    form = AgreeForm(request.POST, parties=workflow.active_parties(match))
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.agree(
                match,
                request.user,
                form=data["form"],
                responsibilities=form.responsibilities(),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                budget_note=data["budget_note"],
            )
        except ValidationError as exc:
            for name, errors in field_errors(exc).items():
                for error in errors:
                    if name == "responsibilities":
                        _role_errors(form, error)
                    else:
                        form.add_error(name if name in form.fields else None, error)
        except REFUSALS as exc:
            report(request, exc)
            return _back(pk)
        else:
            match.refresh_from_db()
            if match.state == Match.State.AGREED:
                messages.success(request, _("合意内容を記録しました。"))
            else:
                messages.success(
                    request,
                    _("合意内容を記録しました。ほかの団体が確認すると合意が成立します。"),
                )
            return _back(pk)
    _invalid(request)
    return _match_page(request, match, status=400, agree_form=form)


def _role_errors(form: AgreeForm, error: str) -> None:
    """Put "a role is missing" next to each empty role field; anything else on top."""
    empty = [name for name in form.role_fields if not form.cleaned_data.get(name, "").strip()]
    if not empty:
        form.add_error(None, error)
    for name in empty:
        form.add_error(name, _("この団体の役割を入力してください。"))


@login_required
@require_POST
def match_book(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    slot = get_object_or_404(ConsultationSlot, pk=request.POST.get("slot") or 0)
    try:
        book(slot, match, request.user)
        messages.success(request, _("事前相談を予約しました。"))
    except REFUSALS as exc:
        report(request, exc)
    return _back(pk, "consultations")


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    try:
        cancel_booking(booking, request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("予約を取り消しました。"))
    except REFUSALS as exc:
        report(request, exc)
    return _back(booking.match_id, "consultations")


@login_required
@require_POST
def booking_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    slot_id = request.POST.get("slot", "")
    slot = ConsultationSlot.objects.filter(pk=int(slot_id)).first() if slot_id.isdigit() else None
    if slot is None:
        messages.error(request, _("変更先の枠を選んでください。"))
        return _back(booking.match_id, "consultations")
    try:
        reschedule(booking, slot, request.user)
        messages.success(request, _("事前相談の日時を変更しました。"))
    except REFUSALS as exc:
        report(request, exc)
    return _back(booking.match_id, "consultations")


@login_required
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(visible_bookings(request.user), pk=pk)
    return ics_response(ical.booking_ics(booking), f"consultation-{booking.pk}.ics")


@login_required
@require_POST
def match_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    party = _own_party(request.user, match, request.POST.get("organization"))
    form = EvaluationForm(request.POST, prefix=f"ev{party.organization_id}")
    if form.is_valid():
        try:
            record_evaluation(match, request.user, party.organization, **form.cleaned_data)
        except REFUSALS as exc:
            if not report(request, exc, form):
                return _back(pk)
        else:
            messages.success(request, _("評価を記録しました。ご協力ありがとうございました。"))
            return _back(pk)
    _invalid(request)
    return _match_page(
        request,
        match,
        status=400,
        evaluation_form=form,
        evaluation_org=party.organization_id,
    )


@login_required
@require_POST
def follow_up_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a continuation follow-up (6 or 12 months after completion)."""
    row = get_object_or_404(follow_ups_for(request.user), pk=pk)
    match = _match(request, row.match_id)
    form = FollowUpForm(request.POST, prefix=f"fu{row.pk}")
    if form.is_valid():
        try:
            answer_follow_up(
                row, request.user, form.cleaned_data["answer"], form.cleaned_data["reason"]
            )
        except REFUSALS as exc:
            if not report(request, exc, form):
                return _back(match.pk)
        else:
            messages.success(request, _("継続状況をお知らせいただき、ありがとうございました。"))
            return _back(match.pk)
    _invalid(request)
    return _match_page(request, match, status=400, follow_up_form=form, follow_up_pk=row.pk)
