from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.scoring import evaluation
from matching.scoring.dataset_schema import DatasetError, read_dataset, validate_dataset


class Command(BaseCommand):
    help = (
        "ラベル付きデータセットでマッチングを評価します（利用者のデータには触れません）。"
        " (Evaluate the engine on a labelled dataset, in an isolated database.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", type=Path)
        parser.add_argument("--rankings-out", type=Path, required=True)
        parser.add_argument("--seeds", type=int, default=20, help="random baseline seeds")
        parser.add_argument(
            "--cross-validate",
            action="store_true",
            help="also the learned and hand-set weights, leave one need out",
        )
        parser.add_argument("--isolated", action="store_true", help=Command.isolated_help)

    isolated_help = "internal: already running in the throwaway database"

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["dataset"].resolve()
        out: Path = options["rankings_out"].resolve()
        # The file is read here (a missing or unparsable file stops at once); it is checked
        # against the field and form codes in the throwaway database, never in the user's,
        # which may not even be migrated yet (a fresh clone).
        data = self.read(path)
        if not options["isolated"]:
            code = evaluation.evaluate_in_isolation(
                path, out, seeds=options["seeds"], cross_validate=options["cross_validate"]
            )
            if code:
                raise CommandError(f"評価に失敗しました (evaluation failed, exit {code})")
            return
        call_command("migrate", interactive=False, verbosity=0)
        self.read(path, validate=True)  # before anything is loaded or written
        with open(os.devnull, "w") as quiet:
            call_command("load_dataset", str(path), verbosity=0, stdout=quiet)
        rankings = evaluation.rank_loaded_dataset(data)
        reverse = evaluation.rank_loaded_dataset_reverse(data)
        evaluation.write_rankings(out, rankings)
        self.stdout.write(
            evaluation.report(
                data,
                rankings,
                options["seeds"],
                reverse=reverse,
                cross_validate=options["cross_validate"],
            )
        )
        self.stdout.write(f"rankings: {out}")

    @staticmethod
    def read(path: Path, *, validate: bool = False) -> dict[str, Any]:
        try:
            data = read_dataset(path)
            if validate:
                validate_dataset(data)
        except DatasetError as exc:
            raise CommandError(
                f"データセットが不正です。何も読み込んでいません (invalid dataset): {exc}"
            ) from exc
        return data
