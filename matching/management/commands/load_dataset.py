"""``manage.py load_dataset PATH``: load a matching dataset (see matching.scoring.datasets)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from matching.scoring.dataset_schema import DatasetError
from matching.scoring.datasets import load_dataset


class Command(BaseCommand):
    help = (
        "協働マッチングのデータセット（JSON）を検証して読み込みます。"
        "同じファイルを再度読み込んでも変わりません。"
        " (Validate and load a matching dataset; idempotent.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="データセットのJSONファイル (dataset JSON file)")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            report = load_dataset(path)
        except DatasetError as exc:
            raise CommandError(
                _("データセットを読み込めません。何も保存していません")
                + f" (invalid dataset, nothing loaded): {exc}"
            ) from exc
        for line in report.summary_lines():
            self.stdout.write(line)
