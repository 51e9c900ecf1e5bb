"""The registry file a coordinator starts from: every column the import reads, in the
order of the format (docs/import-format.md), with one example row. Built from
``vocabulary.COLUMNS`` so a new column appears here by itself."""

from __future__ import annotations

import csv
import io

from lib.spreadsheets import safe_cell
from organizations.imports.vocabulary import COLUMNS

# The order a spreadsheet user reads best: the ID first, then who, what, where, contacts.
ORDER = (
    "external_id", "name", "name_kana", "kind", "npo_status", "fields", "areas",
    "description", "website", "contact_name", "contact_email", "contact_phone", "address",
    "activity_checked_on",
)  # fmt: skip
# Columns a row cannot do without (種別 may come from the command's --default-kind).
REQUIRED = ("name", "kind")

EXAMPLE = {
    "external_id": "0001",
    "name": "NPO法人みどりの手",
    "name_kana": "えぬぴーおーほうじんみどりのて",
    "kind": "NPO法人",
    "npo_status": "認証",
    "fields": "環境・まちづくり",
    "areas": "市全域",
    "description": "市内の公園や緑地で植樹と清掃の活動をしています。",
    "website": "https://midori.example.jp",
    "contact_name": "山田 花子",
    "contact_email": "info@midori.example.jp",
    "contact_phone": "042-000-0001",
    "address": "北区1-2-3",
    "activity_checked_on": "令和7年4月1日",
}


def columns() -> list[dict]:
    """Each column: its header, the other headers accepted, whether a row needs it."""
    keys = [k for k in ORDER if k in COLUMNS] + [k for k in COLUMNS if k not in ORDER]
    return [
        {
            "key": key,
            "label": COLUMNS[key][0],
            "aliases": [a for a in COLUMNS[key][1] if a != COLUMNS[key][0]],
            "required": key in REQUIRED,
        }
        for key in keys
    ]


def template_csv() -> bytes:
    """The header and one example row, UTF-8 with a BOM (Excel opens it as Japanese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    cols = columns()
    writer.writerow([safe_cell(c["label"]) for c in cols])
    writer.writerow([safe_cell(EXAMPLE.get(c["key"], "")) for c in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
