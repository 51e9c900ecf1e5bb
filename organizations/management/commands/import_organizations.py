"""``manage.py import_organizations FILE.csv``: import a group registry (organizations.imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from organizations.imports.report import ImportReport
from organizations.imports.services import default_source, import_organizations
from organizations.models import Area, Organization


class Command(BaseCommand):
    help = (
        "団体一覧のCSV（UTF-8 または Shift_JIS）を検証して取り込みます。"
        "書式は docs/import-format.md を参照。"
        " (Validate and import an organization registry CSV; see docs/import-format.md.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSVファイル (CSV file)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="検証と結果の確認のみ行い、保存しない (validate and report, save nothing)",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="エラーのある行を飛ばして残りを取り込む (import good rows, report bad ones)",
        )
        parser.add_argument(
            "--source",
            help="取込元の名前。既定は csv:<ファイル名> (source name; default csv:<file stem>)",
        )
        parser.add_argument(
            "--city",
            help="市の地域コードまたは名前（市が複数登録されている場合）"
            " (city area code or name, when several cities exist)",
        )
        parser.add_argument(
            "--default-kind",
            default="",
            choices=["", *Organization.Kind.values],
            help="種別が空欄の行の種別 (kind for rows whose 種別 is blank)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("ファイルを読めません") + f" (cannot read file): {path}: {exc}"
            ) from exc
        city = self._city(options["city"]) if options["city"] else None
        report = import_organizations(
            raw,
            source=options["source"] or default_source(path),
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
            city=city,
            default_kind=options["default_kind"],
        )
        self._write_summary(path, report, verbose=options["verbosity"] >= 2)
        if report.errors:
            listing = "\n".join(f"  {error}" for error in report.errors)
            bad = len(report.bad_lines)
            if report.file_errors or not report.skip_invalid:
                raise CommandError(
                    _("%(bad)d行にエラーがあります。何も取り込んでいません") % {"bad": bad}
                    + f" ({bad} line(s) with errors; nothing was imported):\n{listing}"
                )
            self.stderr.write(
                _("%(bad)d行にエラーがあるため飛ばしました") % {"bad": bad}
                + f" ({bad} line(s) with errors were skipped):\n{listing}"
            )

    def _city(self, value: str) -> Area:
        area = Area.objects.filter(Q(code=value) | Q(name=value), parent=None).first()
        if area is None:
            raise CommandError(
                _("市「%(value)s」が見つかりません") % {"value": value}
                + f" (no top-level area {value!r})"
            )
        return area

    def _write_summary(self, path: Path, report: ImportReport, *, verbose: bool) -> None:
        out = self.stdout.write
        out(
            _("団体一覧の取り込み: %(file)s") % {"file": path.name}
            + f" (import organizations: {path.name})"
        )
        out(
            f"  {_('文字コード')} (encoding): {report.encoding or '-'} / "
            f"{_('取込元')} (source): {report.source}"
        )
        if report.file_errors:
            return
        if report.has_ids:
            out(
                "  "
                + _("照合: 「%(column)s」列の値で既存の団体と照合します")
                % {"column": report.columns["external_id"]}
                + " (matched on the ID column)"
            )
        else:
            out(
                "  "
                + _("照合: ID列がないため、団体名と種別が完全に一致する既存の団体を更新します")
                + " (no ID column: matched on exact name and kind)"
            )
        if report.ignored_columns:
            out(
                "  "
                + _("使わなかった列: %(columns)s") % {"columns": "、".join(report.ignored_columns)}
                + " (ignored columns)"
            )
        if verbose:
            labels = {"create": _("作成"), "update": _("更新"), "unchanged": _("変更なし")}
            for row in report.rows:
                out(f"    {row.line}行目: {labels[row.action]} {row.name}")
        counts = _("作成 %(created)d・更新 %(updated)d・変更なし %(unchanged)d") % {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }
        english = (
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
        )
        if report.dry_run:
            out(
                _("確認のみ（保存していません）: %(counts)s") % {"counts": counts}
                + f" (dry run, nothing saved: would be {english})"
            )
        elif report.imported:
            out(_("取り込みました: %(counts)s") % {"counts": counts} + f" (imported: {english})")
