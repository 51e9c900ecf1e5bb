"""The demo city (みなと台市): areas, organizations, users, needs and offers from YAML.

``load_demo()`` is idempotent: every row it owns is found again by a stable key and
updated in place, so loading twice leaves the same counts.

What the loader owns, and how it finds it again:

* areas: ``Area.code`` starting with ``demo-`` (the YAML codes, prefixed);
* organizations, needs, offers: ``source="demo"`` and ``external_id`` (``demo-org-001`` …);
* users: the usernames listed in ``users.yaml`` (all start with ``demo-``).

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
from typing import TYPE_CHECKING, Any, TextIO

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

if TYPE_CHECKING:  # importing models needs the app registry; the loader imports lazily
    from django.contrib.auth.models import Permission

DATA_DIR = Path(__file__).resolve().parent
DEMO_SOURCE = "demo"
AREA_PREFIX = "demo-"
USER_PREFIX = "demo-"
DEMO_PASSWORD = "tsunagu-demo-2026"  # デモ専用。本番環境では使わないこと (demo only).
DEFAULT_URL = "http://127.0.0.1:8000/"

# What coordinators may do in the Django admin: (app_label, model, actions).
COORDINATOR_PERMISSIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("organizations", "organization", ("add", "change", "view")),
    ("organizations", "membership", ("add", "change", "view", "delete")),
    ("organizations", "area", ("add", "change", "view")),
    ("organizations", "user", ("view",)),
    ("organizations", "field", ("view",)),
    ("organizations", "resourcekind", ("view",)),
    ("proposals", "need", ("add", "change", "view")),
    ("proposals", "offer", ("add", "change", "view")),
    ("proposals", "collaborationform", ("view",)),
    ("proposals", "support", ("view",)),
    # The civic synonym dictionary is the coordinators' to keep (docs/matching.md).
    ("matching", "synonymgroup", ("add", "change", "view", "delete")),
]
# Apps whose every model coordinators may view (suggestions, scoring settings…), whatever
# models they define when the demo is loaded. Changing the weights stays with admins.
COORDINATOR_VIEW_APPS = ("matching",)


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
    removed: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_data(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """The demo YAML files merged into one dict (city, areas, organizations, users…)."""
    data: dict[str, Any] = {}
    for name in ("city", "organizations", "users", "needs", "offers"):
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
    for label, model in (("needs", Need), ("offers", Offer)):
        # Demo posts, and posts that were added later to a demo organization (they cannot
        # outlive it: Post.organization is PROTECT).
        posts = model.objects.filter(Q(source=DEMO_SOURCE) | Q(organization__in=demo_orgs))
        removed[label] = posts.delete()[1].get(model._meta.label, 0)
    removed["users"] = (
        User.objects.filter(username__in=_demo_usernames(data)).delete()[1].get(User._meta.label, 0)
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
    Organization.objects.filter(source=DEMO_SOURCE).exclude(external_id__in=orgs).delete()
    return orgs


def _coordinator_permissions() -> list[Permission]:
    from django.contrib.auth.models import Permission

    wanted = Q(pk__in=[])
    for app_label, model, actions in COORDINATOR_PERMISSIONS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    for app_label in COORDINATOR_VIEW_APPS:
        wanted |= Q(content_type__app_label=app_label, codename__startswith="view_")
    return list(Permission.objects.filter(wanted))


def _load_users(
    data: dict[str, Any], orgs: dict[str, Any], password: str
) -> tuple[dict[str, Any], list[Login]]:
    from organizations.models import Membership, User

    _demo_usernames(data)
    password_hash = make_password(password)  # hashed once: PBKDF2 is deliberately slow
    coordinator_perms = _coordinator_permissions()
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
        user.user_permissions.set(coordinator_perms if coordinator else [])

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
        values: dict[str, Any] = {
            "organization": org,
            "title": row["title"],
            "description": _text(row["description"]),
            "status": row.get("status", Status.OPEN),
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
        except ValidationError as exc:
            raise DemoError(f"{key}: {exc.message_dict}") from exc
        keys.append(key)
    model.objects.filter(source=DEMO_SOURCE).exclude(external_id__in=keys).delete()
    return len(keys)


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
        f"利用者 (users): {summary.users}",
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
