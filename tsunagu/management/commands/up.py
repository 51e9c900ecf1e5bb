"""Run the whole platform on one machine: web server, Celery worker and Celery beat.

    python manage.py up            # migrate, load the demo city, serve on 127.0.0.1:8000

With the default settings this needs no server at all: SQLite in WAL mode and Celery's
filesystem transport. The worker and beat are real processes, not eager mode.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "ウェブ・ワーカー・スケジューラーをまとめて起動します (run web, worker and beat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="デモ市を読み込まない")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("データベースを準備しました (database migrated)."))
        if not options["no_demo"]:
            call_command("load_demo", stdout=self.stdout)

        base = [sys.executable, "-m", "celery", "-A", "tsunagu.celery"]
        children = [
            subprocess.Popen(
                [
                    *base,
                    "worker",
                    "--loglevel=INFO",
                    "-c",
                    str(options["concurrency"]),
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    "worker@%h",
                ]
            ),
            subprocess.Popen([*base, "beat", "--loglevel=INFO"]),
        ]

        def stop_children(*_: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop_children(), sys.exit(0)))
        # Ctrl+C must stop everything even when started from a script that ignores SIGINT.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        time.sleep(1)
        url = f"http://{options['addrport']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nつなぐを起動しました: {url}  (API: {url}api/docs/  管理画面: {url}admin/)\n"
                f"データベース: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
                f"ブローカー: {settings.CELERY_BROKER_URL.split(':', 1)[0]}; "
                "止めるには Ctrl+C (press Ctrl+C to stop)\n"
            )
        )
        os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            stop_children()
