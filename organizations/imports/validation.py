"""Checking one row's cells: each turned into a model value or an m2m set (kinds, NPO
status, fields and areas resolved against the vocabulary and the database, URLs, e-mail
addresses and dates checked), every problem recorded with its line and column."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.imports.dates import parse_date
from organizations.imports.report import ImportReport, RowError
from organizations.imports.vocabulary import (
    _CITYWIDE,
    _FIELD_PHRASES,
    _FIELD_WORDS,
    _KINDS,
    _NPO_STATUSES,
    _SEPARATORS,
    _STATUS_FROM_KIND,
    COLUMNS,
    TEXT_COLUMNS,
    _norm,
)
from organizations.models import Area, Field, Organization


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


class _RowChecker:
    def __init__(self, report: ImportReport, lookups: _Lookups, default_kind: str) -> None:
        self.report = report
        self.lookups = lookups
        self.default_kind = default_kind
        # The model's own fields check URLs and addresses (format and length), so that
        # the model check after this (planning) need not run them again.
        self.url = Organization._meta.get_field("website")
        self.email = Organization._meta.get_field("contact_email")
        self.today = timezone.localdate()  # once per file, not per row

    def error(self, line: int, key: str, message: str) -> None:
        column = self.report.columns.get(key, COLUMNS[key][0] if key in COLUMNS else "")
        self.report.errors.append(RowError(line, column, message, key))

    def _too_long(self, key: str, exc: ValidationError) -> str:
        """The model's own message when the value is too long (not malformed)."""
        if any(error.code == "max_length" for error in exc.error_list):
            return f"{self.label(key)}: {exc.messages[-1]}"
        return ""

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
                    self.url.clean(website, None)
                except ValidationError as exc:
                    self.error(
                        line,
                        "website",
                        self._too_long("website", exc)
                        or _("%(column)s「%(value)s」はURLとして正しくありません")
                        % {"column": self.label("website"), "value": cells["website"]},
                    )
            values["website"] = website

        if "contact_email" in present:
            email = cells.get("contact_email", "")
            if email:
                try:
                    self.email.clean(email, None)
                except ValidationError as exc:
                    self.error(
                        line,
                        "contact_email",
                        self._too_long("contact_email", exc)
                        or _("%(column)s「%(value)s」の形式が正しくありません")
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
                    if checked_on > self.today:
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
