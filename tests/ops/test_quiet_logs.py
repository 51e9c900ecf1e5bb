"""What an operator reads in the logs: a warning is a problem, not routine output.

- every command used to begin with django-axes' ``AXES: BEGIN version …`` line;
- a worker on the console e-mail backend (the default ``EMAIL_URL=consolemail://``) logged
  each e-mail it printed as a WARNING, so real warnings drowned among the e-mails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_user
from worker import WorkerProcess, wait_for

from notifications.models import Delivery
from notifications.services import notify

ROOT = Path(__file__).resolve().parents[2]


def test_a_command_does_not_announce_django_axes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env["TSUNAGU_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    output = result.stdout + result.stderr
    assert "no issues" in output
    assert "AXES" not in output


class ConsoleMailWorker(WorkerProcess):
    def env(self) -> dict[str, str]:
        env = super().env()
        env["EMAIL_URL"] = "consolemail://"
        return env


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_prints_console_emails_at_info_not_warning(celery_test_queue, tmp_path):
    worker = ConsoleMailWorker(
        celery_test_queue["queue"], celery_test_queue["folder"], tmp_path
    ).start()
    try:
        worker.wait_ready()
        user = make_user("quiet-logs", email="quiet-logs@example.jp")
        notify([user], "match.introduce", "ご紹介します", "本文")
        sent = lambda: Delivery.objects.filter(status=Delivery.Status.SENT).exists()  # noqa: E731
        assert wait_for(sent, timeout=60), worker.read_log()
        # The e-mail's last line is printed after the send is recorded: wait for it.
        assert wait_for(lambda: "quiet-logs@example.jp" in worker.read_log(), 30)
    finally:
        worker.stop()
    log = worker.read_log()
    # The message is printed in one write: its first line carries the level.
    printed = re.findall(r"(\w+) celery\.redirected: Content-Type: multipart", log)
    assert printed == ["INFO"], log
