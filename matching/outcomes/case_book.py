"""The case book (事例集): publication is a decision.

A completed (or evaluated) match is public on the cases page (``web.public.cases``) only
when

- every party still in the match has consented (``set_consent``; each party for itself,
  revocable at any time: the case leaves the book at once), and
- a coordinator has approved the public text (``approve_text``; ``withdraw_approval``
  takes it back).

Each decision is kept in the match's history. Rules: ``docs/workflow.md`` (事例集).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.errors import Conflict, Forbidden, Invalid
from matching.matches.workflow import active_parties, match_coordinators, record_event
from matching.models import CasePublication, Match, MatchParty, PublicationConsent
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import is_coordinator
from organizations.services import members_of

logger = logging.getLogger(__name__)

# Only a finished collaboration can become a case.
PUBLISHABLE_STATES = (Match.State.COMPLETED, Match.State.EVALUATED)


def _consented_by_all() -> QuerySet[Match]:
    """Completed (or evaluated) matches that every party still in agreed to publish."""
    consenting = PublicationConsent.objects.filter(
        match=OuterRef("match"), organization=OuterRef("organization"), consented=True
    )
    parties = MatchParty.objects.filter(match=OuterRef("pk")).exclude(
        response=MatchParty.Response.DECLINED
    )
    return (
        Match.objects.filter(state__in=PUBLISHABLE_STATES)
        .filter(Exists(parties))
        .exclude(Exists(parties.exclude(Exists(consenting))))
    )


def case_book() -> QuerySet[Match]:
    """Completed matches whose public text a coordinator approved and that every party
    still in the match agreed to publish, newest first."""
    return (
        _consented_by_all()
        .filter(publication__approved_at__isnull=False)
        .select_related("form", "need", "offer", "publication")
        .order_by("-completed_at", "-pk")
    )


def awaiting_approval() -> QuerySet[Match]:
    """Cases every party agreed to publish whose public text no coordinator has approved
    yet: the coordinator's approval is what keeps them out of the case book."""
    return _consented_by_all().exclude(publication__approved_at__isnull=False)


def is_public(match: Match) -> bool:
    return case_book().filter(pk=match.pk).exists()


def publication_status(match: Match) -> dict[str, Any]:
    """For the match pages: each party's decision, the text and its approval."""
    consents = {c.organization_id: c for c in match.publication_consents.all()}
    parties = [
        {"party": p, "consent": consents.get(p.organization_id)} for p in active_parties(match)
    ]
    publication = CasePublication.objects.filter(match=match).first()
    return {
        "parties": parties,
        "all_consented": bool(parties)
        and all(row["consent"] and row["consent"].consented for row in parties),
        "publication": publication,
        "approved": bool(publication and publication.is_approved),
        "public": is_public(match),
        "open": match.state in PUBLISHABLE_STATES,
    }


def _lock_publishable(match: Match) -> Match:
    match = (
        Match.objects.select_for_update(of=("self",)).select_related("coordinator").get(pk=match.pk)
    )
    if match.state not in PUBLISHABLE_STATES:
        raise Conflict(
            _("事例集への掲載を決められるのは完了したマッチだけです（現在の状態: %(state)s）。")
            % {"state": match.get_state_display()},
            code="not_completed",
        )
    return match


def record_consent(match: Match, user, organization: Organization, consented: bool) -> bool:
    """Inside a transaction holding the match: store the party's decision. True when it
    changed (and was written to the history)."""
    row, _created = PublicationConsent.objects.get_or_create(match=match, organization=organization)
    if row.consented == consented and row.decided_at is not None:
        return False
    row.consented = consented
    row.decided_by = user if getattr(user, "is_authenticated", False) else None
    row.decided_at = timezone.now()
    row.save()
    record_event(
        match, "consent" if consented else "revoke_consent", user, organization=organization
    )
    return True


def set_consent(
    match: Match, user, organization: Organization, consented: bool
) -> PublicationConsent:
    """A party's members give (or take back) its consent to publish the case. A
    coordinator cannot decide for a party. Deciding the same again changes nothing."""
    with transaction.atomic():
        if not (user and user.is_authenticated and user.is_member_of(organization.pk)):
            raise Forbidden(_("掲載への同意は、その団体のメンバーだけが決められます。"))
        match = _lock_publishable(match)
        if all(p.organization_id != organization.pk for p in active_parties(match)):
            raise Forbidden(_("この団体はこのマッチの参加団体ではありません。"))
        if record_consent(match, user, organization, consented):
            title = (
                _("「%(title)s」: %(org)sが事例集への掲載に同意しました")
                if consented
                else _("「%(title)s」: %(org)sが事例集への掲載の同意を取り消しました")
            )
            notify(
                match_coordinators(match),
                "match.publication",
                str(title) % {"title": match.title, "org": organization.name},
                "",
                url=links.match_page(match.pk),
                payload={"match": match.pk},
            )
        return PublicationConsent.objects.get(match=match, organization=organization)


def approve_text(match: Match, user, text: str) -> CasePublication:
    """A coordinator approves the text the case book shows (writing it, or changing it,
    is approving it). The case is public once every party has consented too."""
    with transaction.atomic():
        if not is_coordinator(user):
            raise Forbidden(_("公開文を承認できるのはコーディネーターだけです。"))
        match = _lock_publishable(match)
        text = (text or "").strip()
        if not text:
            raise Invalid(_("事例集に載せる文章を入力してください。"), field="text")
        publication, _created = CasePublication.objects.get_or_create(match=match)
        publication.text = text[:5000]
        publication.approved_by = user
        publication.approved_at = timezone.now()
        publication.save()
        record_event(match, "approve_publication", user)
        org_ids = [p.organization_id for p in active_parties(match)]
        notify(
            [u for u in members_of(org_ids) if u.pk != user.pk],
            "match.publication",
            str(_("「%(title)s」: 事例集の公開文が承認されました")) % {"title": match.title},
            str(_("すべての団体が掲載に同意すると、事例集に公開されます。")),
            url=links.match_page(match.pk, "publication"),
            payload={"match": match.pk},
        )
        return publication


def withdraw_approval(match: Match, user) -> CasePublication:
    """A coordinator takes the case out of the book (the text is kept as a draft)."""
    with transaction.atomic():
        if not is_coordinator(user):
            raise Forbidden(_("公開を取り下げられるのはコーディネーターだけです。"))
        match = Match.objects.select_for_update().get(pk=match.pk)
        publication = CasePublication.objects.filter(match=match).first()
        if publication is None or not publication.is_approved:
            raise Conflict(_("承認された公開文はありません。"), code="not_approved")
        publication.approved_at = None
        publication.approved_by = None
        publication.save()
        record_event(match, "withdraw_publication", user)
        return publication


def carry_over(match: Match) -> None:
    """A match written as history (the demo loader; the same rules as migration 0011 for
    existing data): terms agreed before the confirmation rule count as confirmed by every
    party still in; a consent given with an evaluation is the party's consent; a case that
    the coordinator evaluated and every party consented to is approved, with the
    coordinator's effects as its text."""
    parties = MatchParty.objects.filter(match=match).exclude(response=MatchParty.Response.DECLINED)
    if match.agreed_at is not None:
        parties.filter(confirmed_at__isnull=True).update(confirmed_at=match.agreed_at)
        Match.objects.filter(pk=match.pk, terms_revision=0).update(terms_revision=1)
    evaluations = match.evaluations.all()
    for ev in evaluations.filter(evaluator="party", publish_consent=True):
        PublicationConsent.objects.get_or_create(
            match=match,
            organization_id=ev.organization_id,
            defaults={
                "consented": True,
                "decided_by": ev.submitted_by,
                "decided_at": ev.submitted_at,
            },
        )
    review = evaluations.filter(evaluator="coordinator").first()
    consented = set(
        PublicationConsent.objects.filter(match=match, consented=True).values_list(
            "organization_id", flat=True
        )
    )
    orgs = set(parties.values_list("organization_id", flat=True))
    if match.state == Match.State.EVALUATED and review and orgs and orgs <= consented:
        CasePublication.objects.get_or_create(
            match=match,
            defaults={
                "text": review.effects,
                "approved_by": review.submitted_by,
                "approved_at": review.submitted_at,
            },
        )
