"""Import a city's group registry (団体一覧) from a CSV file exported from a spreadsheet.

A plain service, used by ``manage.py import_organizations`` and reusable by a web page:
:func:`import_organizations` parses, validates every row and (unless ``dry_run``) imports,
and returns an :class:`ImportReport` (rows that are fine, rows with errors: line, column,
message). It never prints. The format is described in ``docs/import-format.md``.

- Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, Shift_JIS/cp932 — detected.
- Line numbers are those a spreadsheet user sees: the header is line 1.
- All or nothing by default: one bad row and nothing is imported. ``skip_invalid`` imports
  the good rows and reports the bad ones.
- Idempotent: with an ID column (登録番号 / ID), rows are matched on (source, external_id);
  without one, on the exact (団体名, 種別) of an existing organization.
- Columns absent from the file are left untouched on update; a blank cell in a present
  column clears the value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.japanese import fold
from organizations.models import Area, Field, Organization
from organizations.reference import FIELDS

# --- Columns ----------------------------------------------------------------------------

# key → (label shown in messages, accepted header names: Japanese first, then English)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("団体名", ("団体名", "団体の名称", "名称", "name")),
    "name_kana": (
        "ふりがな",
        (
            "ふりがな",
            "フリガナ",
            "団体名ふりがな",
            "団体名(ふりがな)",
            "よみがな",
            "name_kana",
            "kana",
        ),
    ),
    "kind": ("種別", ("種別", "団体種別", "団体の種別", "kind", "type")),
    "npo_status": (
        "NPO法人区分",
        ("NPO法人区分", "NPO区分", "法人区分", "認証・認定", "npo_status"),
    ),
    "fields": ("活動分野", ("活動分野", "分野", "fields")),
    "areas": ("活動地域", ("活動地域", "地域", "活動区域", "areas")),
    "description": (
        "団体紹介",
        ("団体紹介", "団体の紹介", "紹介", "活動内容", "description"),
    ),
    "website": ("ウェブサイト", ("ウェブサイト", "ホームページ", "URL", "website", "web")),
    "contact_name": (
        "連絡担当者",
        ("連絡担当者", "担当者", "担当者名", "連絡先担当者", "contact_name", "contact"),
    ),
    "contact_email": (
        "メールアドレス",
        ("メールアドレス", "メール", "電子メール", "email", "e-mail", "mail", "contact_email"),
    ),
    "contact_phone": (
        "電話番号",
        ("電話番号", "電話", "TEL", "連絡先電話番号", "phone", "contact_phone"),
    ),
    "address": ("所在地", ("所在地", "住所", "address")),
    "activity_checked_on": (
        "活動状況確認日",
        ("活動状況確認日", "活動状況の確認日", "確認日", "activity_checked_on", "checked_on"),
    ),
    "external_id": (
        "登録番号",
        ("登録番号", "ID", "団体ID", "団体番号", "external_id"),
    ),
}

# Plain text columns copied to the model field of the same name.
TEXT_COLUMNS = ("name", "name_kana", "description", "contact_name", "address", "contact_phone")


def _norm(text: str) -> str:
    """Key for comparing labels: NFKC, lower case, hiragana, no spaces/brackets/dots."""
    return re.sub(r"[\s()\[\]【】「」・/\-_.*＊※]|必須", "", fold(text))


_HEADER_KEYS: dict[str, str] = {
    _norm(alias): key for key, (_label, aliases) in COLUMNS.items() for alias in aliases
}

# --- Kinds and NPO status ---------------------------------------------------------------

_KIND_ALIASES: dict[str, tuple[str, ...]] = {
    Organization.Kind.NPO_CORPORATION: (
        "NPO法人",
        "特定非営利活動法人",
        "認証NPO法人",
        "認定NPO法人",
        "特例認定NPO法人",
        "指定NPO法人",
        "認定特定非営利活動法人",
    ),
    Organization.Kind.CITIZEN_GROUP: (
        "市民活動団体",
        "任意団体",
        "市民団体",
        "ボランティア団体",
        "ボランティアグループ",
        "サークル",
    ),
    Organization.Kind.NEIGHBORHOOD_ASSOCIATION: (
        "自治会・町内会",
        "自治会",
        "町内会",
        "町会",
        "区会",
    ),
    Organization.Kind.COMMUNITY_COUNCIL: (
        "地区協議会・まちづくり協議会",
        "地区協議会",
        "まちづくり協議会",
        "地域協議会",
        "地域コミュニティ",
        "連合自治会",
        "自治会連合会",
    ),
    Organization.Kind.BUSINESS: (
        "事業者",
        "企業",
        "会社",
        "株式会社",
        "有限会社",
        "合同会社",
        "民間企業",
        "商店",
        "商店会",
        "商店街",
    ),
    Organization.Kind.UNIVERSITY: ("大学", "短期大学", "短大", "大学等"),
    Organization.Kind.SCHOOL: ("学校", "小学校", "中学校", "高等学校", "高校", "専門学校"),
    Organization.Kind.CITY_DEPARTMENT: ("市の部署", "市の部署・施設", "担当課", "行政"),
    Organization.Kind.INTERMEDIARY: (
        "中間支援組織",
        "中間支援",
        "社会福祉協議会",
        "社協",
        "国際交流協会",
        "商工会議所",
        "市民活動サポートセンター",
    ),
}

_KINDS: dict[str, str] = {}
for _kind, _aliases in _KIND_ALIASES.items():
    for _alias in (*_aliases, _kind, Organization.Kind(_kind).label):
        _KINDS[_norm(str(_alias))] = str(_kind)

# A kind label that also says the NPO status (used when NPO法人区分 is blank).
_STATUS_FROM_KIND: dict[str, str] = {
    _norm("認定NPO法人"): Organization.NpoStatus.ACCREDITED,
    _norm("認定特定非営利活動法人"): Organization.NpoStatus.ACCREDITED,
    _norm("特例認定NPO法人"): Organization.NpoStatus.ACCREDITED,
    _norm("指定NPO法人"): Organization.NpoStatus.DESIGNATED,
    _norm("認証NPO法人"): Organization.NpoStatus.CERTIFIED,
}

_NPO_STATUSES: dict[str, str] = {}
for _status, _words in (
    (Organization.NpoStatus.NONE, ("なし", "該当なし", "無", "-", "ー", "none")),
    (Organization.NpoStatus.CERTIFIED, ("認証", "認証NPO法人", "certified")),
    (
        Organization.NpoStatus.ACCREDITED,
        ("認定", "特例認定", "仮認定", "認定NPO法人", "accredited"),
    ),
    (Organization.NpoStatus.DESIGNATED, ("指定", "条例指定", "指定NPO法人", "designated")),
):
    for _word in _words:
        _NPO_STATUSES[_norm(_word)] = str(_status)

# --- Fields -----------------------------------------------------------------------------

# Common short words in registries, on top of codes, short names and official names.
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "welfare": ("福祉", "保健", "医療", "保健福祉", "医療福祉", "高齢者福祉", "障がい者福祉"),
    "social_education": ("社会教育", "生涯学習", "教育"),
    "community": ("まちづくり", "街づくり", "地域づくり"),
    "tourism": ("観光",),
    "rural": ("農山漁村", "中山間地域", "農業", "農村"),
    "culture_arts_sports": ("学術", "文化", "芸術", "スポーツ", "文化芸術", "文化・芸術"),
    "environment": ("環境", "環境保全"),
    "disaster": ("災害救援", "災害", "防災"),
    "community_safety": ("地域安全", "防犯", "交通安全"),
    "human_rights_peace": ("人権", "平和", "人権・平和"),
    "international": ("国際協力", "国際交流", "国際", "多文化共生"),
    "gender_equality": ("男女共同参画",),
    "children": ("子どもの健全育成", "子ども", "子供", "こども", "子育て", "青少年"),
    "information_society": ("情報化社会", "情報化", "IT", "デジタル"),
    "science_technology": ("科学技術", "科学"),
    "economy": ("経済活動", "経済", "産業振興"),
    "vocational": ("職業能力", "雇用", "就労", "職業能力・雇用", "就労支援"),
    "consumer": ("消費者保護", "消費者"),
    "npo_support": ("団体の運営・活動支援", "中間支援", "団体支援", "NPO支援"),
    "municipal_ordinance": ("条例で定める活動",),
}

_FIELD_WORDS: dict[str, str] = {}
for _code, _official, _short in FIELDS:
    for _word in (_code, _official, _short, *_FIELD_ALIASES.get(_code, ())):
        _FIELD_WORDS[_norm(_word)] = _code

# Names containing a separator character (、・) are replaced before splitting a cell.
_FIELD_PHRASES: list[tuple[str, str]] = sorted(
    (
        (unicodedata.normalize("NFKC", word), code)
        for code, official, short in FIELDS
        for word in (official, short, *_FIELD_ALIASES.get(code, ()))
        if re.search(r"[、・]", word)
    ),
    key=lambda pair: -len(pair[0]),
)

_SEPARATORS = re.compile(r"[、,，;；/／・\n\r\t|｜]+")
_CITYWIDE = {_norm(w) for w in ("市全域", "全域", "全市", "市内全域", "市内全般", "市全体")}

# --- Dates ------------------------------------------------------------------------------

# era → (first day, year 1 in the Gregorian calendar − 1)
_ERAS: dict[str, tuple[dt.date, int]] = {
    "令和": (dt.date(2019, 5, 1), 2018),
    "平成": (dt.date(1989, 1, 8), 1988),
    "昭和": (dt.date(1926, 12, 25), 1925),
}
_ERA_LETTERS = {"r": "令和", "h": "平成", "s": "昭和"}
_ISO_LIKE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_ERA_DATE = re.compile(
    r"^(令和|平成|昭和|[rhs])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$"
)


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY年M月D日``, ``令和N年M月D日`` (元年), ``R7.4.1``.

    Raises ``ValueError`` if the text is not one of these or not a real date.
    """
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if match := _ISO_LIKE.match(value):
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    if match := _ERA_DATE.match(value):
        era, year_text, month, day = match.groups()
        era = _ERA_LETTERS.get(era, era)
        start, offset = _ERAS[era]
        year = 1 if year_text == "元" else int(year_text)
        date = dt.date(offset + year, int(month), int(day))
        next_starts = [s for s, _o in _ERAS.values() if s > start]
        if year < 1 or date < start or (next_starts and date >= min(next_starts)):
            raise ValueError(f"{text} is outside the {era} era")
        return date
    raise ValueError(f"not a date: {text}")


# --- Report -----------------------------------------------------------------------------


@dataclass
class RowError:
    line: int  # as a spreadsheet shows it: the header is line 1
    column: str  # the column's header as written in the file ("" for the whole row/file)
    message: str  # Japanese
    key: str = ""  # canonical column key (name, kind, …) for a UI to highlight

    def __str__(self) -> str:
        return _("%(line)d行目: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class RowResult:
    line: int
    name: str
    action: str  # "create" / "update" / "unchanged"
    matched_by: str  # "id" / "name_kind" / "" (new)
    organization_id: int | None = None  # set for update/unchanged, and after import
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    relations: dict[str, set[int]] = field(default_factory=dict, repr=False)
    external_id: str = ""


@dataclass
class ImportReport:
    source: str
    encoding: str = ""
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # key → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)  # rows without errors
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_ids(self) -> bool:
        return "external_id" in self.columns

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def file_errors(self) -> list[RowError]:
        """Errors that concern the whole file (encoding, header): nothing can be imported."""
        return [e for e in self.errors if e.line <= 1]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


# --- Reading ----------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """Decode a CSV file's bytes: UTF-8 (BOM or not), UTF-16 (BOM), else cp932.

    Returns ``(text, encoding)``; raises ``UnicodeDecodeError`` if none fits.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp932"), "cp932"


def default_source(filename: str | Path) -> str:
    """``csv:<file name without extension>``."""
    return f"csv:{Path(filename).stem}"


class _Lookups:
    """Reference data for resolving cells, read once per import."""

    def __init__(self, city: Area | None) -> None:
        self.field_pk = dict(Field.objects.values_list("code", "pk"))
        areas = list(Area.objects.values("pk", "code", "name", "level", "parent_id"))
        if city is None:
            roots = [a for a in areas if a["parent_id"] is None and a["level"] == Area.Level.CITY]
            city_pk = roots[0]["pk"] if len(roots) == 1 else None
        else:
            city_pk = city.pk
        self.city_pk = city_pk
        if city_pk is not None:
            scope = Area.descendant_ids([city_pk])
            areas = [a for a in areas if a["pk"] in scope]
        self.area_by_code = {a["code"]: a["pk"] for a in areas}
        self.areas_by_name: dict[str, list[int]] = {}
        for a in areas:
            self.areas_by_name.setdefault(_norm(a["name"]), []).append(a["pk"])


# --- Row validation ---------------------------------------------------------------------


class _RowChecker:
    def __init__(self, report: ImportReport, lookups: _Lookups, default_kind: str) -> None:
        self.report = report
        self.lookups = lookups
        self.default_kind = default_kind
        self.url = URLValidator()
        self.email = EmailValidator()

    def error(self, line: int, key: str, message: str) -> None:
        column = self.report.columns.get(key, COLUMNS[key][0] if key in COLUMNS else "")
        self.report.errors.append(RowError(line, column, message, key))

    def label(self, key: str) -> str:
        return self.report.columns.get(key) or COLUMNS[key][0]

    def row(self, line: int, cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validated model values and m2m code lists of one row (errors are recorded)."""
        values: dict[str, Any] = {}
        relations: dict[str, Any] = {}
        present = self.report.columns

        for key in TEXT_COLUMNS:
            if key in present:
                values[key] = cells.get(key, "")
        if not values.get("name"):
            self.error(line, "name", _("団体名が空です"))

        kind_text = cells.get("kind", "")
        kind = ""
        if kind_text:
            kind = _KINDS.get(_norm(kind_text), "")
            if not kind:
                choices = ", ".join(str(label) for label in Organization.Kind.labels)
                self.error(
                    line,
                    "kind",
                    _("%(column)s「%(value)s」が分かりません（%(choices)s のいずれか）")
                    % {"column": self.label("kind"), "value": kind_text, "choices": choices},
                )
        elif self.default_kind:
            kind = self.default_kind
        else:
            self.error(line, "kind", _("%(column)sが空です") % {"column": self.label("kind")})
        values["kind"] = kind

        status_text = cells.get("npo_status", "")
        # "認定NPO法人" as a kind also says the status when NPO法人区分 is blank.
        status = _STATUS_FROM_KIND.get(_norm(kind_text), "") if kind_text else ""
        if status_text:
            status = _NPO_STATUSES.get(_norm(status_text), "")
            if _norm(status_text) not in _NPO_STATUSES:
                self.error(
                    line,
                    "npo_status",
                    _("%(column)s「%(value)s」が分かりません（認証, 認定, 指定 または空欄）")
                    % {"column": self.label("npo_status"), "value": status_text},
                )
        if kind and kind != Organization.Kind.NPO_CORPORATION:
            if status:
                self.error(
                    line,
                    "npo_status",
                    _(
                        "%(column)s「%(value)s」はNPO法人にのみ設定できます"
                        "（%(kind_column)s: %(kind)s）"
                    )
                    % {
                        "column": self.label("npo_status"),
                        "value": status_text,
                        "kind_column": self.label("kind"),
                        "kind": kind_text or Organization.Kind(kind).label,
                    },
                )
            values["npo_status"] = Organization.NpoStatus.NONE
        elif "npo_status" in present or status:
            values["npo_status"] = status

        if "fields" in present:
            relations["fields"] = self.fields(line, cells.get("fields", ""))
        if "areas" in present:
            relations["areas"] = self.areas(line, cells.get("areas", ""))

        if "website" in present:
            website = cells.get("website", "")
            if website and "://" not in website:
                website = "https://" + website
            if website:
                try:
                    self.url(website)
                except ValidationError:
                    self.error(
                        line,
                        "website",
                        _("%(column)s「%(value)s」はURLとして正しくありません")
                        % {"column": self.label("website"), "value": cells["website"]},
                    )
            values["website"] = website

        if "contact_email" in present:
            email = cells.get("contact_email", "")
            if email:
                try:
                    self.email(email)
                except ValidationError:
                    self.error(
                        line,
                        "contact_email",
                        _("%(column)s「%(value)s」の形式が正しくありません")
                        % {"column": self.label("contact_email"), "value": email},
                    )
            values["contact_email"] = email

        if "activity_checked_on" in present:
            text = cells.get("activity_checked_on", "")
            checked_on = None
            if text:
                try:
                    checked_on = parse_date(text)
                except ValueError:
                    self.error(
                        line,
                        "activity_checked_on",
                        _(
                            "%(column)s「%(value)s」は日付として読めません"
                            "（例: 2025-04-01, 2025/4/1, 令和7年4月1日）"
                        )
                        % {"column": self.label("activity_checked_on"), "value": text},
                    )
                else:
                    if checked_on > timezone.localdate():
                        self.error(
                            line,
                            "activity_checked_on",
                            _("%(column)s「%(value)s」は未来の日付です")
                            % {"column": self.label("activity_checked_on"), "value": text},
                        )
            values["activity_checked_on"] = checked_on
        return values, relations

    def fields(self, line: int, text: str) -> set[int]:
        text = unicodedata.normalize("NFKC", text)
        for phrase, code in _FIELD_PHRASES:
            text = text.replace(phrase, f"、{code}、")
        pks: set[int] = set()
        for word in _split(text):
            code = _FIELD_WORDS.get(_norm(word))
            if code is None or code not in self.lookups.field_pk:
                self.error(
                    line,
                    "fields",
                    _(
                        "%(column)s「%(value)s」が分かりません"
                        "（例: 保健・医療・福祉, まちづくり, 環境, 子どもの健全育成）"
                    )
                    % {"column": self.label("fields"), "value": word},
                )
                continue
            pks.add(self.lookups.field_pk[code])
        return pks

    def areas(self, line: int, text: str) -> set[int]:
        pks: set[int] = set()
        for word in _split(text):
            key = _norm(word)
            if key in _CITYWIDE:
                if self.lookups.city_pk is None:
                    self.error(
                        line,
                        "areas",
                        _(
                            "%(column)s「%(value)s」: 市が複数登録されているため、"
                            "どの市か決められません（--city で指定してください）"
                        )
                        % {"column": self.label("areas"), "value": word},
                    )
                else:
                    pks.add(self.lookups.city_pk)
                continue
            if word in self.lookups.area_by_code:
                pks.add(self.lookups.area_by_code[word])
                continue
            found = self.lookups.areas_by_name.get(key, [])
            if len(found) == 1:
                pks.add(found[0])
            elif found:
                self.error(
                    line,
                    "areas",
                    _(
                        "%(column)s「%(value)s」に当たる地域が複数あります"
                        "（地域コードで指定してください）"
                    )
                    % {"column": self.label("areas"), "value": word},
                )
            else:
                self.error(
                    line,
                    "areas",
                    _(
                        "%(column)s「%(value)s」が分かりません"
                        "（登録されている地域名・地域コード、または「市全域」）"
                    )
                    % {"column": self.label("areas"), "value": word},
                )
        return pks


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


# --- Parsing the file -------------------------------------------------------------------


def _read_rows(text: str, report: ImportReport) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    if "\t" in first_line and "," not in first_line:
        report.delimiter = "\t"
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter))


def _header(row: list[str], report: ImportReport) -> dict[int, str]:
    """Column index → key. Records header errors (line 1)."""
    positions: dict[int, str] = {}
    for index, cell in enumerate(row):
        label = cell.strip()
        if not label:
            continue
        key = _HEADER_KEYS.get(_norm(label))
        if key is None:
            report.ignored_columns.append(label)
            continue
        if key in report.columns:
            report.errors.append(
                RowError(
                    1,
                    label,
                    _("列「%(label)s」は列「%(other)s」と同じ項目です。どちらか一方にしてください")
                    % {"label": label, "other": report.columns[key]},
                    key,
                )
            )
            continue
        report.columns[key] = label
        positions[index] = key
    if "name" not in report.columns:
        report.errors.append(
            RowError(
                1,
                "",
                _("1行目（見出し）に「団体名」の列がありません。見出し: %(found)s")
                % {"found": "、".join(c.strip() for c in row if c.strip()) or _("なし")},
                "name",
            )
        )
    return positions


def parse_organizations(
    raw: bytes | str,
    *,
    source: str,
    city: Area | None = None,
    default_kind: str = "",
) -> ImportReport:
    """Parse and validate a registry CSV against the database; write nothing.

    The report's ``rows`` say what each good row would do (create/update/unchanged) and its
    ``errors`` list every problem with its line and column.
    """
    report = ImportReport(source=source)
    if isinstance(raw, bytes):
        try:
            text, report.encoding = decode(raw)
        except UnicodeDecodeError:
            report.errors.append(
                RowError(
                    1,
                    "",
                    _("文字コードが分かりません。UTF-8 または Shift_JIS で保存してください"),
                )
            )
            return report
    else:
        text, report.encoding = raw.removeprefix("\ufeff"), "text"

    rows = _read_rows(text, report)
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.errors.append(RowError(1, "", _("1行目に見出しがありません（空のファイルです）")))
        return report
    positions = _header(rows[0], report)
    if report.file_errors:
        return report

    lookups = _Lookups(city)
    checker = _RowChecker(report, lookups, default_kind)
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    width = len(rows[0])

    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank rows at the end of a sheet
        errors_before = len(report.errors)
        extra = [cell for cell in row[width:] if cell.strip()]
        if extra:
            report.errors.append(
                RowError(
                    line,
                    "",
                    _("見出しより列が多くなっています（%(extra)s）") % {"extra": "、".join(extra)},
                )
            )
        cells = {
            key: unicodedata.normalize("NFC", row[index]).strip()
            for index, key in positions.items()
            if index < len(row)
        }
        values, relations = checker.row(line, cells)

        external_id = cells.get("external_id", "")
        if external_id:
            if external_id in seen_ids:
                checker.error(
                    line,
                    "external_id",
                    _("%(column)s「%(value)s」が%(first)d行目と重複しています")
                    % {
                        "column": checker.label("external_id"),
                        "value": external_id,
                        "first": seen_ids[external_id],
                    },
                )
            else:
                seen_ids[external_id] = line
        elif values.get("name") and values.get("kind"):
            name_key = (values["name"], values["kind"])
            if name_key in seen_names:
                checker.error(
                    line,
                    "name",
                    _("団体名・種別が%(first)d行目と同じです（同じ団体が二度書かれていませんか）")
                    % {"first": seen_names[name_key]},
                )
            else:
                seen_names[name_key] = line

        flagged = {e.key for e in report.errors[errors_before:]}
        result = _plan(line, values, relations, external_id, report, flagged)
        if result is not None and len(report.errors) == errors_before:
            report.rows.append(result)
    return report


def _plan(
    line: int,
    values: dict[str, Any],
    relations: dict[str, set[int]],
    external_id: str,
    report: ImportReport,
    flagged: set[str],
) -> RowResult | None:
    """Find the existing organization (if any), check the model, decide the action.

    Model validation errors are recorded for the columns not already ``flagged``.
    """
    existing: Organization | None = None
    matched_by = "id"
    if external_id:
        existing = Organization.objects.filter(
            source=report.source, external_id=external_id
        ).first()
    elif values.get("name") and values.get("kind") and not flagged & {"name", "kind"}:
        matched_by = "name_kind"
        candidates = list(Organization.objects.filter(name=values["name"], kind=values["kind"])[:2])
        if len(candidates) > 1:
            report.errors.append(
                RowError(
                    line,
                    report.columns["name"],
                    _(
                        "団体名・種別が同じ団体がすでに複数登録されているため、"
                        "どれを更新するか決められません（登録番号の列を使ってください）"
                    ),
                    "name",
                )
            )
            return None
        existing = candidates[0] if candidates else None

    # A registry the city keeps is its own record of the groups: they count as verified.
    org = existing or Organization(source=report.source, external_id=external_id, is_verified=True)
    before = {name: getattr(org, name) for name in values} if existing else {}
    for name, value in values.items():
        setattr(org, name, value)
    try:
        org.full_clean(exclude=["fields", "areas", "resources"], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            key = name if name in COLUMNS else ""
            if key in flagged:
                continue
            column = report.columns.get(key, COLUMNS[key][0] if key else "")
            for message in messages:
                prefix = f"{column}: " if column else ""
                report.errors.append(RowError(line, column, f"{prefix}{message}", key))
        return None
    finally:
        for name, value in before.items():  # leave the instance as it was
            setattr(org, name, value)

    if existing is None:
        action, matched_by = "create", ""
    else:
        same = all(before[name] == value for name, value in values.items()) and all(
            set(getattr(existing, name).values_list("pk", flat=True)) == pks
            for name, pks in relations.items()
        )
        action = "unchanged" if same else "update"
    return RowResult(
        line=line,
        name=values["name"],
        action=action,
        matched_by=matched_by,
        organization_id=existing.pk if existing else None,
        values=values,
        relations=relations,
        external_id=external_id,
    )


# --- Importing --------------------------------------------------------------------------


def import_organizations(
    raw: bytes | str,
    *,
    source: str,
    dry_run: bool = False,
    skip_invalid: bool = False,
    city: Area | None = None,
    default_kind: str = "",
) -> ImportReport:
    """Validate every row, then import in one transaction (unless ``dry_run``).

    Nothing is written if any row has an error, unless ``skip_invalid`` (then the good rows
    are imported and the bad ones reported). Errors in the header or the encoding always
    stop the import.
    """
    report = parse_organizations(raw, source=source, city=city, default_kind=default_kind)
    report.dry_run, report.skip_invalid = dry_run, skip_invalid
    if dry_run or report.file_errors or (report.errors and not skip_invalid):
        return report
    with transaction.atomic():
        _apply(report.rows, report.source)
    report.imported = True
    return report


def _apply(rows: Iterable[RowResult], source: str) -> None:
    for row in rows:
        if row.action == "unchanged":
            continue
        if row.organization_id is None:
            org = Organization(
                source=source, external_id=row.external_id, is_verified=True, **row.values
            )
        else:
            org = Organization.objects.get(pk=row.organization_id)
            for name, value in row.values.items():
                setattr(org, name, value)
        org.full_clean(exclude=["fields", "areas", "resources"])
        org.save()
        for name, pks in row.relations.items():
            getattr(org, name).set(pks)
        row.organization_id = org.pk
