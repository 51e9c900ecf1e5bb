"""A large registry file goes to a real worker, through a real Redis of the test's own:
previewed with its progress on the page, then imported from the stored preview; with Redis
stopped at the moment of confirming, the page answers (no 500), the import waits, and once
Redis is back the sweeper's message has it imported exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from servers import RedisServer, celery_broker
from worker import WorkerProcess, wait_for

from organizations.imports import uploads
from organizations.imports.models import RegistryImport
from organizations.models import Organization

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROWS = 40
HEADER = "登録番号,団体名,種別,活動分野,活動地域"


class Worker(WorkerProcess):
    def __init__(self, queue: str, log_dir, broker_url: str) -> None:
        super().__init__(queue, None, log_dir)
        self.broker_url = broker_url

    def env(self) -> dict[str, str]:
        env = super().env()
        env["CELERY_BROKER_URL"] = self.broker_url
        return env


def _registry() -> bytes:
    lines = [HEADER] + [
        f"W-{i:04d},ひだまりの会{i},任意団体,子ども,北区" for i in range(1, ROWS + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def _status(client, token: str) -> dict:
    return client.get(f"/coord/import/{token}/status/").json()


def test_a_large_file_is_previewed_and_imported_by_a_worker_through_a_redis_outage(
    client, people, city, settings, celery_test_queue, tmp_path
):
    settings.TSUNAGU_IMPORT_BACKGROUND_ROWS = 10
    client.force_login(people["coordinator"])
    server = RedisServer(tmp_path)
    server.start()
    try:
        with celery_broker(server.url()):
            upload_file = SimpleUploadedFile("meibo.csv", _registry())
            response = client.post("/coord/import/", {"file": upload_file})
            assert response.status_code == 302
            token = client.session["coord_import"]["token"]
            # No worker yet: the page shows the progress and keeps asking.
            page = client.get(response["Location"]).content.decode()
            assert 'id="import-progress"' in page and "import.js" in page
            assert _status(client, token)["status"] == "queued"
            worker = Worker(celery_test_queue["queue"], tmp_path, server.url()).start()
            try:
                worker.wait_ready()
                assert wait_for(lambda: not _status(client, token)["working"], 60), (
                    worker.read_log()
                )
                status = _status(client, token)
                assert (status["status"], status["percent_done"]) == ("ready", 100)
                assert status["rows_done"] == status["rows_total"] == ROWS
                page = client.get(f"/coord/import/{token}/").content.decode()
                assert f"新規 {ROWS} 件" in page and "この内容で取り込む" in page

                server.stop()  # the broker is down when the coordinator confirms
                response = client.post("/coord/import/confirm/", {"token": token})
                assert response.status_code == 302
                assert response["Location"] == f"/coord/import/{token}/"
                assert _status(client, token)["status"] == "importing"
                assert not Organization.objects.filter(source="csv:meibo").exists()

                server.start()  # empty: the message was never sent
                worker.wait_ready(timeout=60)
                later = timezone.now() + dt.timedelta(minutes=10)
                assert uploads.sweep(now=later) == 1
                assert wait_for(lambda: not _status(client, token)["working"], 60), (
                    worker.read_log()
                )
                uploads.sweep(now=later)  # nothing left to send
            finally:
                worker.stop()
    finally:
        server.stop()

    upload = RegistryImport.objects.get(token=token)
    assert upload.status == RegistryImport.Status.IMPORTED, upload.error
    imported = Organization.objects.filter(source="csv:meibo")
    assert imported.count() == ROWS
    created = LogEntry.objects.filter(
        object_id__in=imported.values_list("pk", flat=True), action=LogEntry.Action.CREATE
    )
    assert created.count() == ROWS  # imported once
    page = client.get(f"/coord/import/{token}/").content.decode()
    assert f"取り込みました: 作成 {ROWS}" in page
