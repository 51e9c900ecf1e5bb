"""Plain functions that change needs and offers; views, admin and commands call these.

The rules of a post live here, once: the API serializers, the member's web form, the admin
and the importers (dataset and demo loaders) all go through :func:`check_post` /
:func:`save_post`, and a refusal is one of ``lib.errors`` (``Invalid``, ``Forbidden``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import receiver
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lib import links
from lib.errors import Forbidden, Invalid
from notifications.services import notify
from organizations.models import Organization
from organizations.permissions import can_post_for
from organizations.services import members_of, organization_kind_changed
from proposals.models import Need, Offer, Status

if TYPE_CHECKING:
    from organizations.models import User

M2M_FIELDS = ("fields", "areas", "forms", "resources", "poster_supports")


def check_post(
    post: Need | Offer,
    data: Mapping[str, Any],
    *,
    actor: User | None = None,
    lock: bool = False,
) -> dict[str, Any]:
    """Check ``data`` as a change to ``post`` (new when unsaved); return it cleaned.

    Values missing from ``data`` are the post's own (a partial update). Cleaned means:
    title and description stripped, a need's empty kind set to its organization's default.
    Raises ``Invalid`` (field by field) or, when ``actor`` may not post for the
    organization, ``Forbidden`` with ``field="organization"``. Writes nothing; ``lock``
    (inside a transaction only) holds the post's row until the transaction ends, so that
    the stored status cannot change between the check and the write.
    """
    cleaned = dict(data)
    stored = _stored(post, lock=lock)
    organization = data.get("organization", _organization_of(post))

    # Field by field first (as a form or serializer would), then the rules that combine
    # fields, which need the single fields to be right.
    errors: dict[str, list[Any]] = {}
    if (
        stored is not None
        and organization is not None
        and organization.pk != stored["organization_id"]
    ):
        errors["organization"] = [_("投稿団体は変更できません。")]
    elif actor is not None and organization is not None and not can_post_for(actor, organization):
        # Before the rest is looked at: who may not post learns nothing about their input.
        raise Forbidden(_("この団体の名前で投稿する権限がありません。"), field="organization")

    for name, message in (
        ("title", _("タイトルを入力してください。")),
        ("description", _("内容を入力してください。")),
    ):
        value = data.get(name, getattr(post, name))
        if isinstance(value, str):
            value = value.strip()
            if name in data:
                cleaned[name] = value
        if not value:
            errors[name] = [message]

    status = data.get("status")
    if stored is not None and status is not None and status in Status.values:
        # The stored status, not the in-memory one: a form may already have assigned the
        # new value to the instance.
        old = type(post)(status=stored["status"])
        if not old.can_change_status_to(status):
            errors["status"] = [
                _formatted(
                    _("「%(old)s」から「%(new)s」には変更できません。"),
                    old=Status(old.status).label,
                    new=Status(status).label,
                )
            ]

    if errors:
        raise _invalid(errors)

    starts_on = data.get("starts_on", post.starts_on)
    ends_on = data.get("ends_on", post.ends_on)
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid(_("終了日は開始日以降の日付にしてください。"), field="ends_on")

    if isinstance(post, Need) and organization is not None:
        kind = data["kind"] if "kind" in data else post.kind
        if not kind:
            cleaned["kind"] = kind = Need.default_kind_for(organization)
        if (
            kind == Need.Kind.ADMINISTRATIVE
            and organization.kind != Organization.Kind.CITY_DEPARTMENT
        ):
            raise Invalid(_("行政提案は市の部署だけが投稿できます。"), field="kind")
    return cleaned


@transaction.atomic
def save_post(
    post: Need | Offer, data: dict[str, Any], *, actor: User | None = None
) -> Need | Offer:
    """Create or update a need or offer with its many-to-many fields, atomically.

    Every rule of :func:`check_post` is checked first, with the row locked; a refusal
    (``Invalid`` / ``Forbidden``) leaves the database and ``post`` untouched. Without
    ``actor`` (importers, the admin) no permission is asked.

    ``transaction.on_commit`` hooks registered by the matching app re-score the post once
    the change is committed.
    """
    cleaned = check_post(post, data, actor=actor, lock=True)
    relations = {name: cleaned.pop(name) for name in M2M_FIELDS if name in cleaned}
    for name, value in cleaned.items():
        setattr(post, name, value)
    post.full_clean(exclude=[*relations, "author"], validate_unique=False)
    post.save()
    for name, value in relations.items():
        getattr(post, name).set(value)
    return post


# --- A change of an organization's kind --------------------------------------------------
# Posts that are live (published, or paused and able to reopen) are re-checked; drafts,
# closed and archived posts are not public, and check_post refuses to reopen them anyway.
LIVE_STATUSES = (Status.OPEN, Status.PAUSED)


def recheck_posts_of(organization: Organization) -> list[Need | Offer]:
    """Close the organization's live posts that its current kind no longer allows (a
    行政提案 of an organization that is no longer a city department), by the rules of
    :func:`check_post`. Returns the closed posts. Writes inside the caller's transaction."""
    closed: list[Need | Offer] = []
    with transaction.atomic():
        for model in (Need, Offer):
            rows = model.objects.select_for_update().filter(
                organization=organization, status__in=LIVE_STATUSES
            )
            for post in rows:
                post.organization = organization  # the kind as just saved
                try:
                    check_post(post, {})
                except Invalid as exc:
                    if exc.field != "kind":
                        continue  # an older flaw of the post, not its organization's kind
                    post.status = Status.CLOSED
                    # save(): the post_save receivers take the closed post out of matching.
                    post.save(update_fields=["status", "updated_at"])
                    closed.append(post)
    return closed


@receiver(organization_kind_changed, dispatch_uid="proposals.recheck_after_kind_change")
def _on_kind_changed(
    sender, organization: Organization, old_kind: str, new_kind: str, **kwargs: Any
) -> None:
    closed = recheck_posts_of(organization)
    labels = dict(Organization.Kind.choices)
    title = gettext("団体の種別が「%(old)s」から「%(new)s」に変わりました") % {
        "old": labels.get(old_kind, old_kind),
        "new": labels.get(new_kind, new_kind),
    }
    body = gettext("コーディネーターが「%(org)s」の種別を変更しました。") % {
        "org": organization.name
    }
    if closed:
        body += "\n" + gettext("新しい種別では掲載できない次の投稿を終了（非公開）にしました:")
        body += "".join(f"\n・{post.title}" for post in closed)
    notify(
        members_of([organization.pk]),
        "organization.kind_changed",
        title,
        body,
        url=links.member_home(),
        payload={
            "organization": organization.pk,
            "old_kind": old_kind,
            "new_kind": new_kind,
            "closed": [{"type": type(p).__name__.lower(), "id": p.pk} for p in closed],
        },
    )


def _stored(post: Need | Offer, *, lock: bool) -> dict[str, Any] | None:
    """The post's status and organization as stored, or None for a new post."""
    if post.pk is None:
        return None
    rows = type(post).objects.filter(pk=post.pk)
    if lock:
        rows = rows.select_for_update()
    return rows.values("status", "organization_id").first()


def _organization_of(post: Need | Offer) -> Organization | None:
    return post.organization if post.organization_id is not None else None


def _format(message: Any, **params: Any) -> str:
    return str(message) % {name: str(value) for name, value in params.items()}


# Still lazy: rendered in the language of whoever reads it (the request's, or English too
# in the loaders' reports), not the one active when the refusal was raised.
_formatted = lazy(_format, str)


def _invalid(errors: dict[str, list[Any]]) -> Invalid:
    # A message too, for callers that show one line (the loaders' error reports).
    message = " ".join(str(m) for messages in errors.values() for m in messages)
    return Invalid(message, errors=errors)
