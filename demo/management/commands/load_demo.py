"""``manage.py load_demo``: load the demo city (みなと台市) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.loader import DemoError, format_summary, load_demo, remove_demo
from demo.scale import scale_demo


class Command(BaseCommand):
    help = (
        "デモ用の架空の市「みなと台市」の地域・団体・利用者・ニーズ・シーズを読み込みます。"
        "何度実行しても重複しません。 (Load the demo city; safe to run repeatedly.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                '以前に読み込んだデモデータ（source="demo"）を削除してから読み込み直します。'
                "利用者が作成したデータは削除しません。 (Delete previously loaded demo data"
                " first; never user data.)"
            ),
        )
        parser.add_argument(
            "--remove",
            action="store_true",
            help="デモデータを削除するだけで、読み込みません。 (Only delete the demo data.)",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            metavar="N",
            help=(
                "デモの市をN倍の規模にします（団体・ニーズ・シーズ・マッチ・通知をデモから派生"
                "させて追加し、提案はエンジンで計算）。同じNでの再実行は何もしません。"
                " (Grow the demo city to N times its size for benchmarks and load tests;"
                " a second run with the same N adds nothing.)"
            ),
        )
        parser.add_argument(
            "--url",
            default=None,
            metavar="URL",
            help=(
                "ログイン表のあとに表示するサイトのアドレス（`up` が実際に待ち受けるアドレスを"
                "渡します）。 (The site's address printed after the logins; `up` passes the"
                " one it serves on. Default: the demo city's http://127.0.0.1:8000/.)"
            ),
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="何も表示しません。 (Print nothing, not even the login table.)",
        )
        parser.add_argument(
            "--allow-insecure-passwords",
            action="store_true",
            help=(
                "DEBUG=False でも、既知のパスワードのデモ利用者を作成します。"
                "公開環境では使わないでください。 (Create demo users with the published"
                " password even when DEBUG is off.)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"] or options["verbosity"] == 0
        out = None if quiet else self.stdout
        try:
            if options["remove"]:
                remove_demo(stdout=out)
                return
            summary = load_demo(
                reset=options["reset"],
                stdout=out,
                allow_insecure_passwords=options["allow_insecure_passwords"],
            )
            if options["scale"] != 1:
                scale_demo(options["scale"], stdout=out)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if options["url"]:
            summary.url = options["url"]
        if not quiet:
            self.stdout.write(format_summary(summary))
