"""The file format of matching datasets (``tests/data/dev.json``; schema in
``docs/dataset-format.md``): reading a file and validating all of it, before anything
is loaded. The first problem raises :class:`DatasetError` naming the place in the file
(``offers[3].available_from``). Loading is ``matching.scoring.datasets``."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from organizations.models import Area, Field, Organization
from proposals.models import CollaborationForm, Need

SCHEMA_VERSION = 1

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

AREA_CODE_MAX = 60  # Area.code max_length

# Lengths of the database columns the file's strings go into.
_MAX_NAME = Organization._meta.get_field("name").max_length

_MAX_TITLE = Need._meta.get_field("title").max_length

_MAX_TEXT = Need._meta.get_field("description").max_length

_MAX_AREA_NAME = Area._meta.get_field("name").max_length

_MAX_CAPACITY = 20  # Offer.capacity's MaxValueValidator

_MAX_ID = Organization._meta.get_field("external_id").max_length


class DatasetError(Exception):
    """The file does not follow the dataset schema. ``path`` names the place in the file."""

    def __init__(self, path: str, message_ja: str, message_en: str) -> None:
        self.path = path
        self.message_ja = message_ja
        self.message_en = message_en
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message_ja} ({self.message_en})"


def shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


class _Checker:
    """Validates the parsed JSON against the schema; raises on the first problem."""

    def __init__(self, known_fields: set[str], known_forms: set[str]) -> None:
        self.known_fields = known_fields
        self.known_forms = known_forms

    # Primitive checks -----------------------------------------------------------------

    @staticmethod
    def obj(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise DatasetError(
                path,
                _("オブジェクトではありません（%(value)s）") % {"value": shown(value)},
                f"is not an object: {shown(value)}",
            )
        return value

    @staticmethod
    def array(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise DatasetError(
                path,
                _("配列ではありません（%(value)s）") % {"value": shown(value)},
                f"is not an array: {shown(value)}",
            )
        return value

    @staticmethod
    def key(data: dict[str, Any], name: str, path: str) -> Any:
        if name not in data:
            where = f"{path}.{name}" if path else name
            raise DatasetError(
                where, _("必須の項目がありません"), f"required key {name!r} is missing"
            )
        return data[name]

    @staticmethod
    def string(value: Any, path: str, max_length: int | None = None) -> str:
        if not isinstance(value, str):
            raise DatasetError(
                path,
                _("%(value)s は文字列ではありません") % {"value": shown(value)},
                f"{shown(value)} is not a string",
            )
        if not value.strip():
            raise DatasetError(path, _("空です"), "is empty")
        if max_length is not None and len(value) > max_length:
            raise DatasetError(
                path,
                _("%(max)d文字を超えています（%(length)d文字）")
                % {"max": max_length, "length": len(value)},
                f"is longer than {max_length} characters ({len(value)})",
            )
        return value

    @staticmethod
    def integer(value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DatasetError(
                path,
                _("%(value)s は整数ではありません") % {"value": shown(value)},
                f"{shown(value)} is not an integer",
            )
        if not low <= value <= high:
            raise DatasetError(
                path,
                _("%(value)d は %(low)d〜%(high)d の範囲外です")
                % {"value": value, "low": low, "high": high},
                f"{value} is not between {low} and {high}",
            )
        return value

    @staticmethod
    def date(value: Any, path: str) -> dt.date:
        if isinstance(value, str) and _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise DatasetError(
            path,
            _("%(value)s は日付（YYYY-MM-DD）ではありません") % {"value": shown(value)},
            f"{shown(value)} is not a date (YYYY-MM-DD)",
        )

    def codes(self, value: Any, path: str, allowed: set[str], what: str) -> list[str]:
        items = self.array(value, path)
        seen: set[str] = set()
        for i, code in enumerate(items):
            self.string(code, f"{path}[{i}]")
            if code not in allowed:
                raise DatasetError(
                    f"{path}[{i}]",
                    _("%(what)s %(code)s は定義されていません")
                    % {"what": what, "code": shown(code)},
                    f"unknown {what} code {shown(code)}",
                )
            if code in seen:
                raise DatasetError(
                    f"{path}[{i}]",
                    _("%(code)s が重複しています") % {"code": shown(code)},
                    f"duplicate code {shown(code)}",
                )
            seen.add(code)
        return items

    def unique_id(self, item: dict[str, Any], path: str, seen: dict[str, int]) -> str:
        ident = self.string(self.key(item, "id", path), f"{path}.id", _MAX_ID)
        if ident in seen:
            raise DatasetError(
                f"{path}.id",
                _("id %(id)s が重複しています") % {"id": shown(ident)},
                f"duplicate id {shown(ident)}",
            )
        seen[ident] = len(seen)
        return ident

    def period(self, item: dict[str, Any], path: str, start: str, end: str) -> None:
        starts = self.date(self.key(item, start, path), f"{path}.{start}")
        ends = self.date(self.key(item, end, path), f"{path}.{end}")
        if ends < starts:
            raise DatasetError(
                f"{path}.{end}",
                _("%(end)s が %(start)s より前です") % {"end": ends, "start": starts},
                f"{ends} is before {start} {starts}",
            )

    # The file ----------------------------------------------------------------------

    def check(self, data: Any) -> None:
        top = self.obj(data, "(top level)")
        version = self.key(top, "version", "")
        if isinstance(version, bool) or version != SCHEMA_VERSION:
            raise DatasetError(
                "version",
                _("対応していないバージョンです: %(value)s（対応: %(supported)d）")
                % {"value": shown(version), "supported": SCHEMA_VERSION},
                f"unsupported version {shown(version)} (supported: {SCHEMA_VERSION})",
            )
        self.string(self.key(top, "city", ""), "city", _MAX_AREA_NAME)
        self.date(self.key(top, "as_of", ""), "as_of")

        area_codes = self._definitions(top, "areas", None, _MAX_AREA_NAME)
        field_codes = self._definitions(top, "fields", self.known_fields, None)
        form_codes = self._definitions(top, "forms", self.known_forms, None)

        orgs: dict[str, int] = {}
        for i, item in enumerate(self.array(self.key(top, "organizations", ""), "organizations")):
            path = f"organizations[{i}]"
            org = self.obj(item, path)
            self.unique_id(org, path, orgs)
            self.string(self.key(org, "name", path), f"{path}.name", _MAX_NAME)
            kind = self.key(org, "kind", path)
            if kind not in Organization.Kind.values:
                raise DatasetError(
                    f"{path}.kind",
                    _("種別 %(value)s は定義されていません") % {"value": shown(kind)},
                    f"unknown organization kind {shown(kind)} "
                    f"(one of {', '.join(Organization.Kind.values)})",
                )
            self.codes(self.key(org, "areas", path), f"{path}.areas", area_codes, "area")
            self.codes(self.key(org, "fields", path), f"{path}.fields", field_codes, "field")
            self._text(org, "description", path, _MAX_TEXT)

        needs: dict[str, int] = {}
        for i, item in enumerate(self.array(self.key(top, "needs", ""), "needs")):
            path = f"needs[{i}]"
            need = self.obj(item, path)
            self.unique_id(need, path, needs)
            self._post(need, path, orgs, area_codes, field_codes, form_codes)
            self.period(need, path, "starts_on", "ends_on")

        offers: dict[str, int] = {}
        for i, item in enumerate(self.array(self.key(top, "offers", ""), "offers")):
            path = f"offers[{i}]"
            offer = self.obj(item, path)
            self.unique_id(offer, path, offers)
            self._post(offer, path, orgs, area_codes, field_codes, form_codes)
            self.period(offer, path, "available_from", "available_until")
            self.integer(self.key(offer, "capacity", path), f"{path}.capacity", 1, _MAX_CAPACITY)

        judgments = self.obj(self.key(top, "judgments", ""), "judgments")
        for need_id, grades in judgments.items():
            path = f"judgments[{shown(need_id)}]"
            if need_id not in needs:
                raise DatasetError(
                    path,
                    _("ニーズ %(id)s がありません") % {"id": shown(need_id)},
                    f"no need with id {shown(need_id)}",
                )
            for offer_id, grade in self.obj(grades, path).items():
                gpath = f"{path}[{shown(offer_id)}]"
                if offer_id not in offers:
                    raise DatasetError(
                        gpath,
                        _("シーズ %(id)s がありません") % {"id": shown(offer_id)},
                        f"no offer with id {shown(offer_id)}",
                    )
                self.integer(grade, gpath, 1, 3)

    def _definitions(
        self, top: dict[str, Any], key: str, known: set[str] | None, name_max: int | None
    ) -> set[str]:
        """``areas`` / ``fields`` / ``forms``: lists of {code, name}."""
        codes: set[str] = set()
        for i, item in enumerate(self.array(self.key(top, key, ""), key)):
            path = f"{key}[{i}]"
            entry = self.obj(item, path)
            code = self.string(self.key(entry, "code", path), f"{path}.code")
            self.string(self.key(entry, "name", path), f"{path}.name", name_max)
            if known is not None and code not in known:
                raise DatasetError(
                    f"{path}.code",
                    _("%(code)s は登録済みのコードではありません（%(known)s）")
                    % {"code": shown(code), "known": ", ".join(sorted(known))},
                    f"unknown code {shown(code)}",
                )
            if code in codes:
                raise DatasetError(
                    f"{path}.code",
                    _("%(code)s が重複しています") % {"code": shown(code)},
                    f"duplicate code {shown(code)}",
                )
            codes.add(code)
        return codes

    def _text(self, item: dict[str, Any], key: str, path: str, max_length: int) -> None:
        self.string(self.key(item, key, path), f"{path}.{key}", max_length)

    def _post(
        self,
        post: dict[str, Any],
        path: str,
        orgs: dict[str, int],
        area_codes: set[str],
        field_codes: set[str],
        form_codes: set[str],
    ) -> None:
        org = self.string(self.key(post, "organization", path), f"{path}.organization")
        if org not in orgs:
            raise DatasetError(
                f"{path}.organization",
                _("団体 %(id)s がありません") % {"id": shown(org)},
                f"no organization with id {shown(org)}",
            )
        self._text(post, "title", path, _MAX_TITLE)
        self._text(post, "description", path, _MAX_TEXT)
        self.codes(self.key(post, "fields", path), f"{path}.fields", field_codes, "field")
        self.codes(self.key(post, "areas", path), f"{path}.areas", area_codes, "area")
        self.codes(self.key(post, "forms", path), f"{path}.forms", form_codes, "form")


def read_dataset(path: str | Path) -> dict[str, Any]:
    """Read a dataset file (UTF-8 JSON). Raises :class:`DatasetError` if it can't be read."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise DatasetError(str(path), _("ファイルが見つかりません"), "file not found") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(
            str(path), _("UTF-8 のテキストではありません"), f"not UTF-8 text: {exc}"
        ) from exc
    except OSError as exc:
        raise DatasetError(str(path), _("ファイルを読めません"), f"cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}:{exc.lineno}:{exc.colno}",
            _("JSON として読めません"),
            f"invalid JSON: {exc.msg}",
        ) from exc


def validate_dataset(data: Any) -> None:
    """Check the whole dataset against the schema; raise :class:`DatasetError` on a problem.

    Field and form codes must be among the codes seeded in the database.
    """
    checker = _Checker(
        known_fields=set(Field.objects.values_list("code", flat=True)),
        known_forms=set(CollaborationForm.objects.values_list("code", flat=True)),
    )
    checker.check(data)
