"""Erasing an organization's personal data on request (個人情報保護法: 消去の請求): its
admins request it, a coordinator carries it out (or declines, with a reason), and the
organization's history is kept anonymised.

Lives in ``matching`` because it spans organizations, proposals, matching and
notifications (imports point ``organizations ← proposals ← matching``). The choices (what
is erased, what is kept anonymised, why a coordinator carries the erasure out) are in
docs/security.md, 「個人情報 / Personal data」.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from rest_framework.authtoken.models import Token

from lib.dates import day_text
from lib.errors import Forbidden, Invalid
from matching.matches import workflow
from matching.matches.audit import audit_actor
from matching.models import (
    CalendarFeed,
    ContinuationFollowUp,
    InterestRequest,
    Match,
)
from matching.privacy.export import is_organization_admin
from matching.scoring import generation
from notifications.models import Delivery, Notification, Preference
from notifications.services import notify
from organizations.models import DeletionRequest, Membership, Organization, User
from organizations.privacy import CONTACT_FIELDS, ERASED
from proposals.models import Need, Offer, Status

# 個人情報保護法 asks for erasure 「遅滞なく」 (without delay); the coordinators' queue
# shows this deadline and the admin list marks requests past it.
DELETION_DUE_DAYS = 14

# Shorter strings are not searched for across the database: "山田" or "abc" would also
# erase other people's words. Emails and phone numbers are always longer.
MIN_SCRUB_LENGTH = 4

# Framework tables that hold code names, never people's words.
SCRUB_SKIP_APPS = {"contenttypes", "auth", "sessions", "django_celery_beat"}

# Organization fields erased besides the contacts; kind, fields, areas and resources stay
# (the KPIs count by them and they describe no person).
ORGANIZATION_ERASED_FIELDS = (
    "name",
    "name_kana",
    "description",
    "website",
    "external_id",
    *CONTACT_FIELDS,
)

ANONYMOUS_ORGANIZATION = gettext_lazy("削除された団体 #%(id)s")

ANONYMOUS_USER = gettext_lazy("削除された利用者")

CANCEL_REASON = gettext_lazy("参加団体の退会（データの削除）により中止しました。")


# --------------------------------------------------------------------------- request
@transaction.atomic
def request_deletion(organization: Organization, user, reason: str) -> DeletionRequest:
    """Record the organization admin's request and tell the coordinators."""
    if not is_organization_admin(user, organization):
        raise Forbidden(gettext("削除を請求できるのは団体管理者だけです。"))
    if organization.deleted_at is not None:
        raise Invalid(
            errors={"organization": gettext("この団体のデータはすでに削除されています。")}
        )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": gettext("削除を希望する理由を入力してください。")})
    Organization.objects.select_for_update().get(pk=organization.pk)
    if DeletionRequest.objects.filter(
        organization=organization, status=DeletionRequest.Status.PENDING
    ).exists():
        raise Invalid(
            errors={"organization": gettext("この団体の削除の請求はすでに受け付けています。")}
        )
    req = DeletionRequest.objects.create(
        organization=organization,
        requested_by=user,
        reason=reason,
        due_on=timezone.localdate() + dt.timedelta(days=DELETION_DUE_DAYS),
    )
    notify(
        User.objects.filter(is_coordinator=True, is_active=True),
        "privacy.deletion_requested",
        gettext("「%(name)s」からデータ削除の請求がありました") % {"name": organization.name},
        gettext("対応期限: %(due)s。管理画面の「削除の請求」から対応してください。")
        % {"due": day_text(req.due_on)},
        url=f"/admin/organizations/deletionrequest/{req.pk}/change/",
        dedupe_key=f"privacy.deletion_requested:{req.pk}",
    )
    return req


@transaction.atomic
def reject_deletion(req: DeletionRequest, actor, note: str) -> DeletionRequest:
    if not (actor and actor.can_coordinate):
        raise PermissionDenied
    if not (note or "").strip():
        raise Invalid(errors={"handling_note": gettext("対応しない理由を入力してください。")})
    req = DeletionRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != DeletionRequest.Status.PENDING:
        raise Invalid(errors={"status": gettext("この請求はすでに対応済みです。")})
    req.status = DeletionRequest.Status.REJECTED
    req.handled_by, req.handled_at, req.handling_note = actor, timezone.now(), note.strip()
    req.save()
    return req


# --------------------------------------------------------------------------- erasure
@dataclass
class ErasureReport:
    organization_id: int
    users_anonymised: list[int] = field(default_factory=list)
    memberships_removed: int = 0
    matches_cancelled: list[int] = field(default_factory=list)
    posts_archived: int = 0
    notifications_dropped: int = 0
    deliveries_dropped: int = 0
    rows_scrubbed: int = 0


def _variants(value: str) -> set[str]:
    """The spellings of one erased value to look for: as stored, without spaces, phone
    numbers without hyphens, and as JSON escapes it (SQLite keeps JSON ASCII-escaped)."""
    value = (value or "").strip()
    out = {value, re.sub(r"[\s\u3000]+", "", value)}
    if re.fullmatch(r"[\d\-\s()+]+", value):
        out.add(re.sub(r"\D", "", value))
    out |= {json.dumps(v)[1:-1] for v in list(out)}
    return {v for v in out if len(v) >= MIN_SCRUB_LENGTH}


def _text_fields(model) -> list[tuple[models.Field, bool]]:
    found = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.choices or f.name == "search_text":
            continue
        if isinstance(f, models.JSONField):
            found.append((f, True))
        elif isinstance(f, (models.CharField, models.TextField)):
            found.append((f, False))
    return found


def _replace_json(value: Any, pattern: re.Pattern) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_replace_json(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _replace_json(v, pattern) for k, v in value.items()}
    return value


def scrub_strings(values: Iterable[str]) -> int:
    """Replace every occurrence of ``values`` in every text and JSON column of every table
    with 「（削除済み）」. Returns the number of rows changed. Queryset updates: no signal,
    so the audit trail does not record the erased values once more."""
    variants = set().union(*(_variants(v) for v in values if v)) if values else set()
    if not variants:
        return 0
    pattern = re.compile(
        "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)), re.IGNORECASE
    )
    changed = 0
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in SCRUB_SKIP_APPS:
            continue
        resave = any(f.name == "search_text" for f in meta.concrete_fields)
        for f, is_json in _text_fields(model):
            qs = model._base_manager.all()
            column = f.name
            if is_json:
                qs = qs.annotate(_as_text=Cast(f.name, models.TextField()))
                column = "_as_text"
            query = Q()
            for v in variants:
                query |= Q(**{f"{column}__icontains": v})
            for pk, value in qs.filter(query).values_list("pk", f.attname):
                new = _replace_json(value, pattern) if is_json else pattern.sub(ERASED, value)
                if new == value:
                    continue
                if resave:
                    # Keeps the derived search text in step (it is rebuilt on save).
                    obj = model._base_manager.get(pk=pk)
                    setattr(obj, f.attname, new)
                    with disable_auditlog():  # or the trail would keep the old value
                        obj.save(update_fields=[f.attname])
                else:
                    model._base_manager.filter(pk=pk).update(**{f.attname: new})
                changed += 1
    return changed


def _erased_values(org: Organization, users: list[User]) -> set[str]:
    values = {getattr(org, n) for n in CONTACT_FIELDS}
    # Usernames are not searched for everywhere (``_scrub_usernames``): "member" or "tanaka"
    # are also parts of other words and of table names.
    for u in users:
        values |= {u.email, u.first_name, u.last_name, u.display_name}
        values |= {f"{u.last_name} {u.first_name}", f"{u.first_name} {u.last_name}"}
    values = {v.strip() for v in values if v and v.strip()}
    # A value that another live organization or person also holds is not this one's alone
    # (two groups sharing a 代表 name): erase it here, not across the database.
    shared = set()
    others = Organization.objects.exclude(pk=org.pk).filter(deleted_at__isnull=True)
    other_users = User.objects.exclude(pk__in=[u.pk for u in users])
    for v in values:
        in_org = Q(contact_name=v) | Q(contact_email__iexact=v) | Q(contact_phone=v)
        in_user = Q(email__iexact=v) | Q(display_name=v)
        if others.filter(in_org).exists() or other_users.filter(in_user).exists():
            shared.add(v)
    return values - shared


def _anonymise_user(user: User) -> None:
    user.username = f"deleted-{user.pk}"
    user.email = ""
    user.first_name = user.last_name = ""
    user.display_name = str(ANONYMOUS_USER)
    user.is_active = False
    user.set_unusable_password()
    user.save()
    Token.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
    Preference.objects.filter(user=user).delete()


def _scrub_organization_log(org: Organization) -> None:
    """The organization's own audit entries: its new name, no old values of erased fields."""
    ct = ContentType.objects.get_for_model(Organization)
    for entry in LogEntry.objects.filter(content_type=ct, object_id=org.pk):
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for name in ORGANIZATION_ERASED_FIELDS:
            if name in changes:
                changes[name] = [ERASED, ERASED]
        LogEntry.objects.filter(pk=entry.pk).update(
            object_repr=org.name,
            changes=changes or entry.changes,
            changes_text="",
            serialized_data=None,
        )
    AdminLogEntry.objects.filter(content_type=ct, object_id=str(org.pk)).update(
        object_repr=org.name
    )


def _scrub_usernames(usernames: dict[int, str]) -> None:
    """Old usernames: in the admin's history of the user rows, and in django-axes' login
    records (failed logins of a person who no longer has an account: deleted)."""
    ct = ContentType.objects.get_for_model(User)
    for pk in usernames:
        AdminLogEntry.objects.filter(content_type=ct, object_id=str(pk)).update(
            object_repr=f"deleted-{pk}"
        )
    if apps.is_installed("axes"):
        for model in apps.get_app_config("axes").get_models():
            if any(f.name == "username" for f in model._meta.concrete_fields):
                model._base_manager.filter(username__in=list(usernames.values())).delete()


def carry_out_deletion(req: DeletionRequest, actor) -> ErasureReport:
    """Erase the organization's personal data, keep its history anonymised. All or nothing.

    Order matters: the organization is retired first, so the cancellations below notify
    the partners and the coordinator but not its own (soon erased) members.
    """
    if not (actor and actor.is_active and actor.can_coordinate):
        raise PermissionDenied
    with transaction.atomic():
        req = DeletionRequest.objects.select_for_update().get(pk=req.pk)
        if req.status != DeletionRequest.Status.PENDING:
            raise Invalid(errors={"status": gettext("この請求はすでに対応済みです。")})
        org = Organization.objects.select_for_update().get(pk=req.organization_id)
        report = ErasureReport(org.pk)
        memberships = list(Membership.objects.filter(organization=org).select_related("user"))
        to_anonymise = [
            m.user
            for m in memberships
            if not m.user.can_coordinate
            and not m.user.is_superuser
            and not Membership.objects.filter(user=m.user).exclude(organization=org).exists()
        ]
        erased = _erased_values(org, to_anonymise)
        old_usernames = {u.pk: u.username for u in to_anonymise}

        Organization.objects.filter(pk=org.pk).update(is_active=False)
        org.is_active = False
        generation.bump()  # its posts left the indexes (update() sends no signal)
        for match in Match.objects.filter(
            parties__organization=org, state__in=Match.OPEN_STATES
        ).distinct():
            workflow.cancel(match, actor, str(CANCEL_REASON))
            report.matches_cancelled.append(match.pk)

        # Requests still waiting: the organization's own are withdrawn (its message is
        # erased), those about its posts are declined.
        InterestRequest.objects.filter(organization=org).update(message="")
        InterestRequest.objects.filter(
            organization=org, status=InterestRequest.Status.PENDING
        ).update(status=InterestRequest.Status.WITHDRAWN, handled_at=timezone.now())
        InterestRequest.objects.filter(
            Q(need__organization=org) | Q(offer__organization=org),
            status=InterestRequest.Status.PENDING,
        ).update(
            status=InterestRequest.Status.DECLINED,
            handled_at=timezone.now(),
            handling_comment=str(CANCEL_REASON),
        )
        for model in (Need, Offer):
            report.posts_archived += (
                model.objects.filter(organization=org)
                .exclude(status=Status.ARCHIVED)
                .update(status=Status.ARCHIVED)
            )
        ContinuationFollowUp.objects.filter(organization=org).update(reason="")

        user_ids = [u.pk for u in to_anonymise]
        report.deliveries_dropped = (
            Delivery.objects.filter(recipient_id__in=user_ids)
            .delete()[1]
            .get(Delivery._meta.label, 0)
        )
        report.notifications_dropped = (
            Notification.objects.filter(recipient_id__in=user_ids)
            .delete()[1]
            .get(Notification._meta.label, 0)
        )
        for user in to_anonymise:
            _anonymise_user(user)
        report.users_anonymised = user_ids
        report.memberships_removed = Membership.objects.filter(organization=org).delete()[0]

        with disable_auditlog():
            for name in ORGANIZATION_ERASED_FIELDS:
                setattr(org, name, "")
            org.name = str(ANONYMOUS_ORGANIZATION) % {"id": org.pk}
            org.deleted_at = timezone.now()
            org.save()
        with audit_actor(actor):
            LogEntry.objects.log_create(
                org,
                force_log=True,
                action=LogEntry.Action.UPDATE,
                actor=actor,
                changes={"deleted_at": ["None", org.deleted_at.isoformat()]},
                additional_data={"deletion_request": req.pk},
            )
        _scrub_organization_log(org)
        _scrub_usernames(old_usernames)
        report.rows_scrubbed = scrub_strings(erased)

        req.status = DeletionRequest.Status.DONE
        req.handled_by, req.handled_at = actor, timezone.now()
        req.handling_note = gettext(
            "削除しました: 利用者 %(users)d 人を匿名化、マッチ %(matches)d 件を中止、"
            "投稿 %(posts)d 件を保管、%(rows)d 行から削除した値を消去。"
        ) % {
            "users": len(report.users_anonymised),
            "matches": len(report.matches_cancelled),
            "posts": report.posts_archived,
            "rows": report.rows_scrubbed,
        }
        req.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
    return report
