"""The demo city (みなと台市): areas, organizations, users, needs and offers from YAML.

``load_demo()`` is idempotent: every row it owns is found again by a stable key and
updated in place, so loading twice leaves the same counts.

What the loader owns, and how it finds it again:

* areas: ``Area.code`` starting with ``demo-`` (the YAML codes, prefixed);
* organizations, needs, offers: ``source="demo"`` and ``external_id`` (``demo-org-001`` …);
* users: the usernames listed in ``users.yaml`` (all start with ``demo-``);
* matches (``matches.yaml``): the match of a demo need with a demo offer, found by that
  pair; their parties, history, evaluations, follow-ups and bookings hang off them;
* consultation slots: the slots of the demo coordinators (created only when they have none).

``remove_demo()`` (and ``load_demo(reset=True)``) deletes only those rows, plus the posts
and memberships that hang off demo organizations. Rows created by real users
(``source=""``) survive. Demo areas still referenced by non-demo data are kept.

The demo users share one documented password (``DEMO_PASSWORD``). When ``DEBUG`` is off
the loader refuses to create them unless ``allow_insecure_passwords=True``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from demo.meetings import load_meetings, remove_meetings
from lib.errors import Invalid
from matching.outcomes import case_book
from matching.scoring import generation

DATA_DIR = Path(__file__).resolve().parent
DEMO_SOURCE = "demo"
AREA_PREFIX = "demo-"
USER_PREFIX = "demo-"
DEMO_PASSWORD = "tsunagu-demo-2026"  # デモ専用。本番環境では使わないこと (demo only).
DEFAULT_URL = "http://127.0.0.1:8000/"
# Rows added by ``load_demo --scale N`` (demo/scale.py): kept by a plain reload,
# deleted with the demo.
COPY_ID_REGEX = r"-x[0-9]{2,}$"
SCALE_USER_PREFIX = f"{USER_PREFIX}scale-"

# What coordinators may do in the Django admin: the 「コーディネーター」 group, which follows
# User.is_coordinator (tsunagu/roles.py) — the same mechanism as in a real deployment.


class DemoError(Exception):
    """The demo data could not be loaded (bad YAML reference, unsafe settings…)."""


@dataclass
class Login:
    role_ja: str
    role_en: str
    username: str
    password: str
    organization: str


@dataclass
class DemoSummary:
    city: str
    url: str
    areas: int = 0
    organizations: int = 0
    organizations_by_kind: dict[str, int] = field(default_factory=dict)
    needs: int = 0
    needs_by_kind: dict[str, int] = field(default_factory=dict)
    offers: int = 0
    users: int = 0
    matches: int = 0
    slots: int = 0
    meetings: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_data(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """The demo YAML files merged into one dict (city, areas, organizations, users…)."""
    data: dict[str, Any] = {}
    for name in ("city", "organizations", "users", "needs", "offers", "matches", "meetings"):
        with open(data_dir / f"{name}.yaml", encoding="utf-8") as handle:
            data.update(yaml.safe_load(handle) or {})
    return data


def _text(value: str | None) -> str:
    """Join a YAML block written one sentence per line (Japanese needs no spaces)."""
    if not value:
        return ""
    return "".join(line.strip() for line in str(value).splitlines())


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def area_code(code: str) -> str:
    return f"{AREA_PREFIX}{code}"


def _say(stdout: TextIO | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


class _Lookup:
    """Codes from the YAML → model instances, with a clear error for typos."""

    def __init__(self, what: str, items: dict[str, Any]) -> None:
        self.what = what
        self.items = items

    @classmethod
    def of(cls, model: Any, what: str) -> _Lookup:
        return cls(what, {obj.code: obj for obj in model.objects.all()})

    def __getitem__(self, code: str) -> Any:
        try:
            return self.items[code]
        except KeyError:
            raise DemoError(f"unknown {self.what} code in demo data: {code!r}") from None

    def many(self, codes: list[str] | None, where: str) -> list[Any]:
        try:
            return [self[code] for code in codes or []]
        except DemoError as exc:
            raise DemoError(f"{where}: {exc}") from None


def _validate(obj: Any, where: str, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise DemoError(f"{where}: {exc.message_dict}") from exc


# --------------------------------------------------------------------------- removing


def _demo_usernames(data: dict[str, Any]) -> list[str]:
    names = [row["username"] for row in data.get("users", [])]
    bad = [name for name in names if not name.startswith(USER_PREFIX)]
    if bad:
        raise DemoError(f"demo usernames must start with {USER_PREFIX!r}: {bad}")
    return names


def _remove(data: dict[str, Any]) -> dict[str, int]:
    from organizations.models import Area, Organization, User
    from proposals.models import Need, Offer

    removed: dict[str, int] = {}
    demo_orgs = Organization.objects.filter(source=DEMO_SOURCE)
    # Matches and slots first: their foreign keys to posts, organizations and slots PROTECT.
    removed.update(_remove_matches(data, demo_orgs))
    # Meetings before the organizations (an organizer is protected) and the users (a
    # coordinator's meeting is found by its creator).
    removed["meetings"] = remove_meetings(demo_orgs, _demo_usernames(data))
    for label, model in (("needs", Need), ("offers", Offer)):
        # Demo posts, and posts that were added later to a demo organization (they cannot
        # outlive it: Post.organization is PROTECT).
        posts = model.objects.filter(Q(source=DEMO_SOURCE) | Q(organization__in=demo_orgs))
        removed[label] = posts.delete()[1].get(model._meta.label, 0)
    removed["users"] = (
        User.objects.filter(
            Q(username__in=_demo_usernames(data)) | Q(username__startswith=SCALE_USER_PREFIX)
        )
        .delete()[1]
        .get(User._meta.label, 0)
    )
    removed["organizations"] = demo_orgs.delete()[1].get(Organization._meta.label, 0)

    # Areas: leaves first; keep those that non-demo data still uses.
    removed["areas"] = 0
    while True:
        deletable = (
            Area.objects.filter(code__startswith=AREA_PREFIX, children__isnull=True)
            .filter(organization__isnull=True, need__isnull=True, offer__isnull=True)
            .values_list("pk", flat=True)
        )
        pks = list(deletable)
        if not pks:
            break
        removed["areas"] += Area.objects.filter(pk__in=pks).delete()[0]
    return removed


def _remove_matches(data: dict[str, Any], demo_orgs: Any) -> dict[str, int]:
    """Delete the matches that involve demo posts or organizations (their parties, history,
    evaluations, follow-ups and bookings cascade), then the demo coordinators' slots."""
    from matching.models import ConsultationBooking, ConsultationSlot, Match

    matches = Match.objects.filter(
        Q(need__source=DEMO_SOURCE)
        | Q(offer__source=DEMO_SOURCE)
        | Q(need__organization__in=demo_orgs)
        | Q(offer__organization__in=demo_orgs)
        | Q(parties__organization__in=demo_orgs)
        | Q(evaluations__organization__in=demo_orgs)
        | Q(follow_ups__organization__in=demo_orgs)
    )
    pks = set(matches.values_list("pk", flat=True))
    removed = {"matches": Match.objects.filter(pk__in=pks).delete()[1].get(Match._meta.label, 0)}
    slots = ConsultationSlot.objects.filter(coordinator__username__in=_demo_usernames(data))
    ConsultationBooking.objects.filter(slot__in=slots).delete()  # other matches' bookings
    removed["slots"] = slots.delete()[1].get(ConsultationSlot._meta.label, 0)
    return removed


@transaction.atomic
def remove_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Delete everything the demo loader created; user-created rows are left alone."""
    removed = _remove(read_data())
    _say(stdout, "デモデータを削除しました (removed demo data): " + _counts(removed))
    return removed


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


# --------------------------------------------------------------------------- loading


def _load_areas(data: dict[str, Any]) -> dict[str, Any]:
    from organizations.models import Area

    by_code: dict[str, Area] = {}
    for order, row in enumerate(data["areas"], start=1):
        parent = None
        if row.get("parent"):
            try:
                parent = by_code[row["parent"]]
            except KeyError:
                raise DemoError(
                    f"area {row['code']}: parent {row['parent']!r} must be listed before it"
                ) from None
        area, _ = Area.objects.update_or_create(
            code=area_code(row["code"]),
            defaults={
                "name": row["name"],
                "level": row["level"],
                "parent": parent,
                "order": order,
            },
        )
        _validate(area, f"area {row['code']}")
        by_code[row["code"]] = area
    return by_code


def _load_organizations(data: dict[str, Any], areas: dict[str, Any]) -> dict[str, Any]:
    from organizations.models import Field, Organization, ResourceKind

    fields = _Lookup.of(Field, "field")
    resources = _Lookup.of(ResourceKind, "resource kind")
    area_lookup = _Lookup("area", areas)

    orgs: dict[str, Organization] = {}
    for row in data["organizations"]:
        key = row["id"]
        org = Organization.objects.filter(source=DEMO_SOURCE, external_id=key).first()
        if org is None:
            org = Organization(source=DEMO_SOURCE, external_id=key)
        contact = row.get("contact") or {}
        org.name = row["name"]
        org.name_kana = row.get("kana", "")
        org.kind = row["kind"]
        org.npo_status = row.get("npo_status", "")
        org.description = _text(row.get("description"))
        org.website = row.get("website") or ""
        org.contact_name = contact.get("name", "")
        org.contact_email = contact.get("email", "")
        org.contact_phone = str(contact.get("phone", ""))
        org.address = contact.get("address", "")
        org.activity_checked_on = _date(row.get("checked"))
        org.is_active = row.get("active", True)
        org.is_verified = row.get("verified", True)
        _validate(org, key)
        org.save()
        org.fields.set(fields.many(row.get("fields"), key))
        org.areas.set(area_lookup.many(row.get("areas"), key))
        org.resources.set(resources.many(row.get("resources"), key))
        orgs[key] = org
    Organization.objects.filter(source=DEMO_SOURCE).exclude(external_id__in=orgs).exclude(
        external_id__regex=COPY_ID_REGEX
    ).delete()
    return orgs


def _load_users(
    data: dict[str, Any], orgs: dict[str, Any], password: str
) -> tuple[dict[str, Any], list[Login]]:
    from organizations.models import Membership, User

    _demo_usernames(data)
    password_hash = make_password(password)  # hashed once: PBKDF2 is deliberately slow
    authors: dict[str, Any] = {}
    logins: list[Login] = []
    for row in data.get("users", []):
        username = row["username"]
        superuser = bool(row.get("superuser"))
        coordinator = bool(row.get("coordinator"))
        user = User.objects.filter(username=username).first() or User(username=username)
        user.display_name = row.get("display_name", "")
        user.first_name = row.get("first_name", "")
        user.last_name = row.get("last_name", "")
        user.email = row.get("email", "")
        user.language = row.get("language", "ja")
        user.is_superuser = superuser
        user.is_staff = superuser or coordinator
        user.is_coordinator = coordinator
        user.is_active = True
        user.password = password_hash
        _validate(user, username, exclude=["password"])
        user.save()
        # Admin rights come from the coordinator group, synced by the save above.
        user.user_permissions.clear()

        wanted: dict[int, str] = {}
        org_names: list[str] = []
        for org_key, role in row.get("memberships") or []:
            if org_key not in orgs:
                raise DemoError(f"user {username}: unknown organization {org_key!r}")
            org = orgs[org_key]
            wanted[org.pk] = role
            org_names.append(org.name)
            authors.setdefault(org_key, user)
        # Memberships in demo organizations follow the YAML; others are left alone.
        Membership.objects.filter(user=user, organization__source=DEMO_SOURCE).exclude(
            organization_id__in=wanted
        ).delete()
        for org_id, role in wanted.items():
            membership, _ = Membership.objects.update_or_create(
                user=user, organization_id=org_id, defaults={"role": role}
            )
            _validate(membership, f"user {username}", exclude=["user", "organization"])
        logins.append(
            Login(
                role_ja=row.get("role_ja", ""),
                role_en=row.get("role_en", ""),
                username=username,
                password=password,
                organization=" / ".join(org_names) or row.get("affiliation", ""),
            )
        )
    return authors, logins


def _load_posts(
    model: Any,
    rows: list[dict[str, Any]],
    orgs: dict[str, Any],
    authors: dict[str, Any],
    areas: dict[str, Any],
) -> int:
    from organizations.models import Field, ResourceKind
    from proposals.models import CollaborationForm, Need, Status, Support
    from proposals.services import save_post

    lookups = {
        "fields": _Lookup.of(Field, "field"),
        "forms": _Lookup.of(CollaborationForm, "form"),
        "resources": _Lookup.of(ResourceKind, "resource kind"),
        "poster_supports": _Lookup.of(Support, "support"),
    }
    area_lookup = _Lookup("area", areas)
    is_need = model is Need

    keys: list[str] = []
    for row in rows:
        key = row["id"]
        if row["org"] not in orgs:
            raise DemoError(f"{key}: unknown organization {row['org']!r}")
        org = orgs[row["org"]]
        starts_on, ends_on = (_date(value) for value in row["period"])
        post = model.objects.filter(source=DEMO_SOURCE, external_id=key).first()
        if post is None:
            post = model(source=DEMO_SOURCE, external_id=key)
        status = row.get("status", Status.OPEN)
        if post.pk is not None and not post.can_change_status_to(status):
            # Moved by a visitor where the demo's status cannot follow (archived is final):
            # keep theirs, so that loading again (manage.py up) still works; --reset restores.
            status = post.status
        values: dict[str, Any] = {
            "organization": org,
            "title": row["title"],
            "description": _text(row["description"]),
            "status": status,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "author": authors.get(row["org"]),
            "fields": lookups["fields"].many(row.get("fields"), key),
            "areas": area_lookup.many(row.get("areas"), key),
            "forms": lookups["forms"].many(row.get("forms"), key),
            "resources": lookups["resources"].many(row.get("resources"), key),
        }
        if is_need:
            values.update(
                kind=row.get("kind") or Need.default_kind_for(org),
                poster_supports=lookups["poster_supports"].many(row.get("supports"), key),
                poster_support_note=_text(row.get("support_note")),
                beneficiaries=row.get("beneficiaries", ""),
                budget_note=row.get("budget", ""),
            )
        else:
            values["capacity"] = row.get("capacity", 1)
        try:
            save_post(post, values)
        except Invalid as exc:  # refused by the post rules (proposals.services)
            errors = {name: [str(m) for m in ms] for name, ms in exc.field_errors().items()}
            raise DemoError(f"{key}: {errors}") from exc
        except ValidationError as exc:
            raise DemoError(f"{key}: {exc.message_dict}") from exc
        keys.append(key)
    model.objects.filter(source=DEMO_SOURCE).exclude(external_id__in=keys).exclude(
        external_id__regex=COPY_ID_REGEX
    ).delete()
    return len(keys)


# --------------------------------------------------------------------------- matches

# The state each history step leads to (steps not listed keep the state).
_TARGETS = {
    "introduce": "introduced",
    "start_consulting": "consulting",
    "agree": "agreed",
    "activate": "active",
    "complete": "completed",
    "mark_evaluated": "evaluated",
    "decline": "declined",
    "cancel": "cancelled",
}
# The match timestamp each step sets.
_STAMPS = {
    "introduce": "introduced_at",
    "agree": "agreed_at",
    "activate": "started_at",
    "complete": "completed_at",
    "mark_evaluated": "closed_at",
    "decline": "closed_at",
    "cancel": "closed_at",
}


class _Clock:
    """``matches.yaml`` counts days back from today; this turns them into moments."""

    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def at(self, days_ago: int, step: int = 0) -> dt.datetime:
        """A working-hours moment ``days_ago`` days back (``step`` spreads a day's rows);
        never later than now."""
        hour, minute = 9 + (step % 8), (step * 17) % 60
        moment = dt.datetime.combine(self.day(days_ago), dt.time(hour, minute), self.tz)
        return min(moment, self.now - dt.timedelta(minutes=5 * (10 - min(step, 9))))

    def slot(self, days_ago: int, start: str) -> dt.datetime:
        return dt.datetime.combine(self.day(days_ago), dt.time.fromisoformat(start), self.tz)


def _load_slots(data: dict[str, Any], users: _Lookup, clock: _Clock) -> dict[str, Any]:
    """The demo coordinators' slots by YAML id: created when they have none yet,
    otherwise found again by coordinator and start (a slot not found is left out)."""
    from matching.models import ConsultationSlot

    places = data.get("places", {})
    coordinators = {row[1] for row in data.get("slots", [])}
    existing = ConsultationSlot.objects.filter(coordinator__username__in=coordinators)
    create = not existing.exists()
    slots: dict[str, Any] = {}
    for key, username, days_ago, start, minutes, capacity, place in data.get("slots", []):
        coordinator = users[username]
        starts_at = clock.slot(days_ago, start)
        if not create:
            found = existing.filter(coordinator=coordinator, starts_at=starts_at).first()
            if found is not None:
                slots[key] = found
            continue
        online = place == "online"
        slot = ConsultationSlot(
            coordinator=coordinator,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=minutes),
            place="" if online else places[place],
            online_url=places[place] if online else "",
            capacity=capacity,
            note="オンライン（前日までにURLをお送りします）" if online else "",
        )
        _validate(slot, f"slot {key}")
        slot.save()
        ConsultationSlot.objects.filter(pk=slot.pk).update(
            created_at=starts_at - dt.timedelta(days=14)
        )
        slots[key] = slot
    return slots


def _load_matches(data: dict[str, Any], orgs: dict[str, Any]) -> tuple[int, int]:
    """Create the coordination history of ``matches.yaml``; a (need, offer) pair that
    already has a match is skipped, so loading twice adds nothing. Returns the numbers
    of demo matches and demo slots."""
    from django.utils import timezone

    from lib.dates import add_business_days, add_months
    from matching.models import (
        ConsultationBooking,
        ConsultationSlot,
        ContinuationFollowUp,
        Evaluation,
        Match,
        MatchParty,
        MatchTransition,
    )
    from organizations.models import User
    from proposals.models import CollaborationForm, Need, Offer

    clock = _Clock()
    users = _Lookup(
        "user", {u.username: u for u in User.objects.filter(username__startswith=USER_PREFIX)}
    )

    def user(name: str | None) -> Any:
        return users[name] if name else None

    org_lookup = _Lookup("organization", orgs)
    needs = _Lookup("need", {n.external_id: n for n in Need.objects.filter(source=DEMO_SOURCE)})
    offers = _Lookup("offer", {o.external_id: o for o in Offer.objects.filter(source=DEMO_SOURCE)})
    forms = _Lookup.of(CollaborationForm, "form")
    slots = _load_slots(data, users, clock)

    count = 0
    first_match: dict[Any, dt.datetime] = {}
    for row in data.get("matches", []):
        need, offer = needs[row["need"]], offers[row["offer"]]
        where = f"match {row['need']} × {row['offer']}"
        count += 1
        if Match.objects.filter(need=need, offer=offer).exists():
            continue
        coordinator = user(row.get("coordinator"))
        starts_on, ends_on = (_date(v) for v in row.get("period") or (None, None))
        match = Match(
            title=row["title"],
            need=need,
            offer=offer,
            origin=row.get("origin", Match.Origin.SUGGESTION),
            score=row.get("score"),
            coordinator=coordinator,
            form=forms[row["form"]] if row.get("form") else None,
            starts_on=starts_on,
            ends_on=ends_on,
            budget_note=row.get("budget", ""),
            decline_reason=_text(row.get("decline_reason")),
            created_by=coordinator,
        )
        _validate(match, where, exclude=["state"])
        match.save()

        for party_row in row["parties"]:
            responded = party_row.get("responded")
            party = MatchParty(
                match=match,
                organization=org_lookup[party_row["org"]],
                role=party_row["role"],
                responsibilities=_text(party_row.get("duties")),
                response=party_row.get("response", MatchParty.Response.PENDING),
                responded_at=clock.at(responded, 3) if responded is not None else None,
            )
            _validate(party, where)
            party.save()

        # The history: each step from the state before it to the state after it.
        state = Match.State.PROPOSED
        stamps: dict[str, dt.datetime] = {}
        moments: list[dt.datetime] = []
        for step, (name, days_ago, actor, comment) in enumerate(row["history"]):
            target = _TARGETS.get(name, state)
            at = clock.at(days_ago, step)
            if moments and at <= moments[-1]:
                at = moments[-1] + dt.timedelta(minutes=30)
            transition = MatchTransition(
                match=match,
                name=name,
                source=state,
                target=target,
                actor=user(actor),
                comment=_text(comment),
            )
            _validate(transition, where)
            transition.save()
            MatchTransition.objects.filter(pk=transition.pk).update(at=at)
            if name in _STAMPS:
                stamps[_STAMPS[name]] = at
            moments.append(at)
            state = target
        if state != row["state"]:
            raise DemoError(f"{where}: the history ends in {state!r}, not {row['state']!r}")

        due = None
        if row.get("response_due") and "introduced_at" in stamps:
            introduced_on = timezone.localtime(stamps["introduced_at"]).date()
            due = add_business_days(introduced_on, settings.TSUNAGU_RESPONSE_BUSINESS_DAYS)
            if row["response_due"] == "past" and due >= clock.today:
                raise DemoError(f"{where}: the response due date is not in the past")
        generation.bump("offer")  # update() sends no signal; the state may use capacity
        Match.objects.filter(pk=match.pk).update(
            state=state,
            created_at=moments[0],
            updated_at=moments[-1],
            response_due_on=due,
            **stamps,
        )
        match.refresh_from_db()
        for post in (need, offer):
            first_match[post] = min(first_match.get(post, moments[0]), moments[0])

        for eval_row in row.get("evaluations", []):
            is_party = not eval_row.get("coordinator")
            evaluation = Evaluation(
                match=match,
                evaluator=Evaluation.Evaluator.PARTY if is_party else "coordinator",
                organization=org_lookup[eval_row["org"]] if is_party else None,
                grade=eval_row["grade"],
                effects=_text(eval_row.get("effects")),
                problems=_text(eval_row.get("problems")),
                next_steps=_text(eval_row.get("next")),
                publish_consent=bool(eval_row.get("publish")),
                submitted_by=user(eval_row.get("by")),
            )
            # submitted_by may be null (the party's member has no demo login).
            _validate(evaluation, where, exclude=["submitted_by"])
            evaluation.save()
            Evaluation.objects.filter(pk=evaluation.pk).update(
                submitted_at=clock.at(eval_row["at"], 2)
            )

        # Issue 13: agreed terms confirmed by every party, case-book consents and approval.
        case_book.carry_over(match)
        completed_on = timezone.localtime(match.completed_at).date() if match.completed_at else None
        for follow_row in row.get("follow_ups", []):
            if completed_on is None:
                raise DemoError(f"{where}: follow-ups need a completed match")
            due_on = add_months(completed_on, follow_row["months"])
            answered = follow_row.get("answer", "")
            sent_at = dt.datetime.combine(due_on, dt.time(9, 0), clock.tz)
            follow_up = ContinuationFollowUp(
                match=match,
                organization=org_lookup[follow_row["org"]],
                months=follow_row["months"],
                due_on=due_on,
                sent_at=sent_at if answered else None,
                answer=answered,
                reason=_text(follow_row.get("reason")),
                answered_by=user(follow_row.get("by")),
                answered_at=clock.at(follow_row["at"], 4) if answered else None,
            )
            if answered and not (due_on <= clock.day(follow_row["at"]) <= clock.today):
                raise DemoError(f"{where}: a follow-up is answered before it is due")
            _validate(follow_up, where)
            follow_up.save()

        for booking_row in row.get("consultations", []):
            slot = slots.get(booking_row["slot"])
            if slot is None:  # the slots were published on another day: leave it out
                continue
            status = booking_row["status"]
            held = status == ConsultationBooking.Status.HELD
            booking = ConsultationBooking(
                slot=slot,
                match=match,
                status=status,
                booked_by=user(booking_row.get("by")),
                minutes=_text(booking_row.get("minutes")),
                minutes_recorded_by=coordinator if held else None,
                cancelled_at=(
                    slot.starts_at - dt.timedelta(days=2)
                    if status == ConsultationBooking.Status.CANCELLED
                    else None
                ),
            )
            _validate(booking, where)
            booking.save()
            ConsultationBooking.objects.filter(pk=booking.pk).update(
                created_at=min(slot.starts_at - dt.timedelta(days=6), clock.now)
            )

    live_statuses = [
        ConsultationBooking.Status.BOOKED,
        ConsultationBooking.Status.HELD,
        ConsultationBooking.Status.NO_SHOW,
    ]
    # booked_count follows the live bookings (the CHECK constraint keeps it ≤ capacity).
    for slot in slots.values():
        live = slot.bookings.filter(status__in=live_statuses).count()
        ConsultationSlot.objects.filter(pk=slot.pk).update(booked_count=live)

    # A post is matched after it was posted: backdate the demo posts the history uses.
    for post, first in first_match.items():
        posted = first - dt.timedelta(days=21)
        type(post).objects.filter(pk=post.pk, created_at__gt=posted).update(created_at=posted)
    return count, len(slots)


def load_demo(
    reset: bool = False,
    stdout: TextIO | None = None,
    *,
    allow_insecure_passwords: bool = False,
) -> DemoSummary:
    """Load (or refresh) the demo city in one transaction and return what it holds.

    ``reset`` first deletes the previously loaded demo data (see ``remove_demo``).
    ``stdout`` receives progress lines; ``None`` keeps the loader silent.
    """
    if not settings.DEBUG and not allow_insecure_passwords:
        raise DemoError(
            "DEBUG が無効な環境では、既知のパスワードを持つデモ利用者を作成しません。"
            "デモ環境であることを確認したうえで --allow-insecure-passwords を指定してください。"
            " (Refusing to create demo users with a published password while DEBUG is off;"
            " pass --allow-insecure-passwords if this really is a demo site.)"
        )
    from organizations.models import Organization
    from proposals.models import Need, Offer

    data = read_data()
    city = data["city"]
    summary = DemoSummary(city=city["name"], url=city.get("url", DEFAULT_URL))
    with transaction.atomic():
        if reset:
            summary.removed = _remove(data)
            _say(stdout, "既存のデモデータを削除しました (removed): " + _counts(summary.removed))
        areas = _load_areas(data)
        _say(stdout, f"地域 (areas): {len(areas)}")
        orgs = _load_organizations(data, areas)
        _say(stdout, f"団体 (organizations): {len(orgs)}")
        authors, summary.logins = _load_users(data, orgs, DEMO_PASSWORD)
        _say(stdout, f"利用者 (users): {len(summary.logins)}")
        summary.needs = _load_posts(Need, data["needs"], orgs, authors, areas)
        _say(stdout, f"ニーズ (needs): {summary.needs}")
        summary.offers = _load_posts(Offer, data["offers"], orgs, authors, areas)
        _say(stdout, f"シーズ (offers): {summary.offers}")
        summary.matches, summary.slots = _load_matches(data, orgs)
        _say(stdout, f"マッチ (matches): {summary.matches}  相談のコマ (slots): {summary.slots}")
        summary.meetings, from_meetings = load_meetings(data, orgs)
        summary.matches += from_meetings
        _say(stdout, f"交流の場 (meetings): {summary.meetings}")

    summary.areas = len(areas)
    summary.organizations = len(orgs)
    summary.users = len(summary.logins)
    labels = dict(Organization.Kind.choices)
    for org in orgs.values():
        label = str(labels[org.kind])
        summary.organizations_by_kind[label] = summary.organizations_by_kind.get(label, 0) + 1
    need_labels = dict(Need.Kind.choices)
    for kind in Need.objects.filter(source=DEMO_SOURCE).values_list("kind", flat=True):
        label = str(need_labels[kind])
        summary.needs_by_kind[label] = summary.needs_by_kind.get(label, 0) + 1
    return summary


# --------------------------------------------------------------------------- printing


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_summary(summary: DemoSummary) -> str:
    """The closing report: counts and the table of demo logins (Japanese + English)."""
    lines = [
        "",
        f"デモ用の架空の市「{summary.city}」を読み込みました (demo city loaded).",
        f"  地域 (areas): {summary.areas}  団体 (organizations): {summary.organizations}  "
        f"ニーズ (needs): {summary.needs}  シーズ (offers): {summary.offers}  "
        f"利用者 (users): {summary.users}  交流の場 (meetings): {summary.meetings}",
        "  団体の種別 (by kind): "
        + "、".join(f"{kind} {count}" for kind, count in summary.organizations_by_kind.items()),
        "  ニーズの種類 (needs by kind): "
        + "、".join(f"{kind} {count}" for kind, count in summary.needs_by_kind.items()),
        "",
        "ログイン情報（デモ専用のパスワードです） (demo logins; the password is for demos only)",
    ]
    header = ("ユーザー名 (username)", "パスワード (password)", "役割 (role)")
    rows = [
        (login.username, login.password, f"{login.role_ja} ({login.role_en})", login.organization)
        for login in summary.logins
    ]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(2)]
    lines.append(
        "  " + " | ".join(_pad(header[i], widths[i]) for i in range(2)) + " | " + header[2]
    )
    lines.append("  " + "-+-".join("-" * w for w in widths) + "-+-" + "-" * 40)
    for username, password, role, organization in rows:
        where = f" — {organization}" if organization else ""
        lines.append(f"  {_pad(username, widths[0])} | {_pad(password, widths[1])} | {role}{where}")
    lines += [
        "",
        f"ブラウザで開いてください (open in a browser): {summary.url}",
        f"管理画面 (Django admin): {summary.url.rstrip('/')}/admin/",
    ]
    return "\n".join(lines) + "\n"
