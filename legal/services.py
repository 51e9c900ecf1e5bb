"""The rules of the legal documents, for the pages, the API, the admin and the middleware.

- **Versions.** Each kind (利用規約, プライバシーポリシー, 問い合わせ先) has numbered
  versions; the current one is the highest. Publishing never changes an old version: an
  edit is a new version, so a consent always points to the text that was agreed to.
- **Who edits.** Coordinators and platform admins (``User.can_coordinate``).
- **Sign-up** requires consent to the current terms and privacy policy; the version and the
  time are recorded (``Consent``).
- **Consent again.** A version published with ``requires_consent`` (an edit not marked
  minor) asks every signed-in person to agree again, if their account existed when it was
  published or they had agreed to an earlier version. An account created later was either
  created by sign-up (and agreed there) or by the city's staff (admin, registry import,
  demo): it is asked at the next version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from legal.models import CONSENT_KINDS, Consent, Document, Kind
from lib.errors import Conflict, Forbidden, Invalid, NotFound

TITLE_MAX = 200
BODY_MAX = 50_000
SUMMARY_MAX = 500

STALE = _(
    "利用規約またはプライバシーポリシーが更新されました。新しい内容をご確認のうえ、もう一度同意してください。"
)


# --------------------------------------------------------------------------- reading
def current(kind: str) -> Document | None:
    """The current version of ``kind`` (None before anything was published)."""
    return Document.objects.filter(kind=kind).order_by("-version").first()


def current_documents() -> dict[str, Document]:
    """The current version of every kind that has one, in the order of ``Kind``."""
    latest: dict[str, Document] = {}
    for doc in Document.objects.order_by("kind", "-version"):
        latest.setdefault(doc.kind, doc)
    return {kind: latest[kind] for kind in Kind.values if kind in latest}


def version_of(kind: str, version: int) -> Document:
    try:
        return Document.objects.get(kind=kind, version=version)
    except Document.DoesNotExist:
        raise NotFound(_("その版はありません。"), field="version") from None


def history(kind: str) -> list[Document]:
    return list(Document.objects.filter(kind=kind).order_by("-version"))


def required_versions() -> dict[str, tuple[int, int, Any]]:
    """For each kind a person agrees to: (id, version, published_at) of the newest version
    that asks for consent. One small query: the consent middleware asks it per page."""
    found: dict[str, tuple[int, int, Any]] = {}
    rows = (
        Document.objects.filter(kind__in=CONSENT_KINDS, requires_consent=True)
        .order_by("kind", "-version")
        .values_list("kind", "id", "version", "published_at")
    )
    for kind, pk, version, published_at in rows:
        found.setdefault(kind, (pk, version, published_at))
    return found


def pending(user: Any, required: dict[str, tuple[int, int, Any]] | None = None) -> list[Document]:
    """The current documents ``user`` must (again) agree to; empty when nothing is asked."""
    if not getattr(user, "is_authenticated", False):
        return []
    required = required_versions() if required is None else required
    if not required:
        return []
    agreed = dict(
        Consent.objects.filter(user=user, kind__in=required)
        .values("kind")
        .annotate(newest=Max("version"))
        .values_list("kind", "newest")
    )
    kinds = []
    for kind, (_pk, version, published_at) in required.items():
        newest = agreed.get(kind)
        if newest is not None and newest >= version:
            continue
        if newest is None and user.date_joined >= published_at:
            continue  # the account is newer than the version (see the module's docstring)
        kinds.append(kind)
    if not kinds:
        return []
    docs = current_documents()
    return [docs[kind] for kind in kinds if kind in docs]


def consent_required(user: Any) -> bool:
    return bool(pending(user))


# --------------------------------------------------------------------------- agreeing
def agree(user: Any, documents: Iterable[Document], *, via: str = Consent.Via.WEB) -> list[Consent]:
    """Record that ``user`` agrees to ``documents``, each the current version of a kind one
    agrees to; agreeing twice to the same version changes nothing."""
    documents = list(documents)
    if not documents:
        raise Invalid(_("同意する文書を選んでください。"), field="kind")
    with transaction.atomic():
        latest = current_documents()
        consents = []
        for doc in documents:
            if doc.kind not in CONSENT_KINDS:
                raise Invalid(_("問い合わせ先は同意の対象ではありません。"), field="kind")
            now = latest.get(doc.kind)
            if now is None or now.pk != doc.pk:
                raise Invalid(STALE, field="version")
            consent, _created = Consent.objects.get_or_create(
                user=user,
                document=doc,
                defaults={"kind": doc.kind, "version": doc.version, "via": via},
            )
            consents.append(consent)
    return consents


def agree_to(user: Any, kind: str, version: int, *, via: str = Consent.Via.API) -> Consent:
    """The API's form of ``agree``: one kind and the version number the client showed."""
    if kind not in CONSENT_KINDS:
        raise Invalid(
            _("利用規約（terms）かプライバシーポリシー（privacy）を指定してください。"),
            field="kind",
        )
    now = current(kind)
    if now is None or now.version != version:
        raise Invalid(STALE, field="version")
    return agree(user, [now], via=via)[0]


def signup_documents() -> list[Document]:
    """What a person agrees to when signing up: the current terms and privacy policy."""
    docs = current_documents()
    return [docs[kind] for kind in CONSENT_KINDS if kind in docs]


def check_signup_consent(agreed: bool, shown: dict[str, int | None]) -> list[Document]:
    """Sign-up requires consent to the versions current now; ``shown`` maps a kind to the
    version number the form showed (None: not told, the current one is meant)."""
    if not agreed:
        raise Invalid(
            _("利用規約とプライバシーポリシーに同意いただく必要があります。"), field="agree"
        )
    docs = signup_documents()
    for doc in docs:
        seen = shown.get(doc.kind)
        if seen is not None and seen != doc.version:
            raise Invalid(STALE, field="agree")
    return docs


def record_signup_consent(user: Any, agreed: bool, shown: dict[str, int | None]) -> list[Consent]:
    """Inside the sign-up's transaction: check again and record the consent."""
    docs = check_signup_consent(agreed, shown)
    return agree(user, docs, via=Consent.Via.SIGNUP) if docs else []


# --------------------------------------------------------------------------- editing
def may_edit(user: Any) -> bool:
    return bool(getattr(user, "can_coordinate", False))


def check_new_version(
    actor: Any, kind: str, *, title: str, body: str, title_en: str = "", body_en: str = ""
) -> None:
    """Refuse what ``publish`` would refuse, before anything is saved (forms ask first)."""
    if not may_edit(actor):
        raise Forbidden(_("規約・ポリシーを編集できるのはコーディネーターと管理者だけです。"))
    if kind not in Kind.values:
        raise Invalid(_("文書の種類が正しくありません。"), field="kind")
    errors: dict[str, Any] = {}
    if not title.strip():
        errors["title"] = _("題名を入力してください。")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("題名は200文字以内で入力してください。")
    if not body.strip():
        errors["body"] = _("本文を入力してください。")
    for name, value in (("body", body), ("body_en", body_en)):
        if len(value) > BODY_MAX:
            errors[name] = _("本文は50,000文字以内で入力してください。")
    if len(title_en) > TITLE_MAX:
        errors["title_en"] = _("題名は200文字以内で入力してください。")
    if errors:
        raise Invalid(errors=errors)
    now = current(kind)
    if now is not None and (now.title, now.body, now.title_en, now.body_en) == (
        title.strip(),
        _normal(body),
        title_en.strip(),
        _normal(body_en),
    ):
        raise Invalid(_("現在の版と同じ内容です。変更してから公開してください。"), field="body")


def publish(
    actor: Any,
    kind: str,
    *,
    title: str,
    body: str,
    title_en: str = "",
    body_en: str = "",
    summary: str = "",
    minor: bool = False,
) -> Document:
    """Publish the next version of ``kind``. A minor edit (a typo) and the contact page ask
    nobody to consent again; any other new terms or privacy policy does."""
    check_new_version(actor, kind, title=title, body=body, title_en=title_en, body_en=body_en)
    if len(summary) > SUMMARY_MAX:
        raise Invalid(_("変更の概要は500文字以内で入力してください。"), field="summary")
    try:
        with transaction.atomic():
            # Lock the current version so that two editors get two numbers, not one.
            newest = (
                Document.objects.select_for_update().filter(kind=kind).order_by("-version").first()
            )
            return Document.objects.create(
                kind=kind,
                version=(newest.version + 1) if newest else 1,
                title=title.strip(),
                body=_normal(body),
                title_en=title_en.strip(),
                body_en=_normal(body_en),
                summary=summary.strip(),
                requires_consent=kind in CONSENT_KINDS and not (minor and newest is not None),
                published_at=timezone.now(),
                published_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            _("同時に別の版が公開されました。内容を確認して、もう一度公開してください。")
        ) from None


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
