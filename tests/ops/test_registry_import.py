"""The registry import (団体名簿の取り込み) keeps its preview on the server: confirming
imports the stored preview without reading the file again (the file is not even kept),
planned again against the registry as it is now; the writes are batched but still audited,
a change of kind still closes what the new kind may not publish, and the preview reports
its progress. The page's background path (a worker) is in test_registry_import_worker.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from conftest import make_need
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from organizations.imports import services, uploads
from organizations.imports.models import RegistryImport
from organizations.models import Organization
from proposals.models import Status

pytestmark = pytest.mark.django_db

HEADER = "登録番号,団体名,種別,活動分野,活動地域,メールアドレス,電話番号"


def registry(rows: int, *, start: int = 1, phone: str = "045-000-0000") -> str:
    lines = [HEADER] + [
        f"R-{i:04d},みどりの会{i},任意団体,環境・まちづくり,北区,info{i}@example.jp,{phone}"
        for i in range(start, start + rows)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def coord(client, people, city):
    client.force_login(people["coordinator"])
    return client


def _upload(client, text: str, name: str = "meibo.csv"):
    return client.post("/coord/import/", {"file": SimpleUploadedFile(name, text.encode())})


def _token(client) -> str:
    return client.session["coord_import"]["token"]


def test_confirm_imports_the_stored_preview_without_reading_the_file(coord, monkeypatch):
    html = _upload(coord, registry(3)).content.decode()
    assert "新規 3 件" in html
    upload = RegistryImport.objects.get(token=_token(coord))
    assert upload.status == RegistryImport.Status.READY
    assert upload.raw is None  # the file is not kept: the preview is all there is

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(services, "read_rows", no_reading)
    monkeypatch.setattr(services, "parse_organizations", no_reading)
    response = coord.post("/coord/import/confirm/", {"token": upload.token}, follow=True)
    assert "取り込みました: 作成 3・更新 0・変更なし 0" in response.content.decode()
    assert Organization.objects.filter(source="csv:meibo").count() == 3
    upload.refresh_from_db()
    assert upload.status == RegistryImport.Status.IMPORTED
    assert upload.report is None  # contact details not kept once imported


def test_the_stored_preview_is_planned_again_against_the_registry(coord):
    _upload(coord, registry(2))
    token = _token(coord)
    # Meanwhile the same registry row was imported by someone else: it is updated, not
    # duplicated (the unique source + 登録番号 would have been a 500).
    Organization.objects.create(
        name="古い名前", kind="citizen_group", source="csv:meibo", external_id="R-0001"
    )
    response = coord.post("/coord/import/confirm/", {"token": token}, follow=True)
    assert "取り込みました: 作成 1・更新 1・変更なし 0" in response.content.decode()
    assert Organization.objects.get(external_id="R-0001").name == "みどりの会1"
    assert Organization.objects.filter(source="csv:meibo").count() == 2


def test_imported_organizations_are_audited_searchable_and_classified(coord, people):
    _upload(coord, registry(2))
    coord.post("/coord/import/confirm/", {"token": _token(coord)})
    org = Organization.objects.get(external_id="R-0002")
    assert sorted(org.fields.values_list("code", flat=True)) == ["community", "environment"]
    assert list(org.areas.values_list("code", flat=True)) == ["t-kita"]
    assert "みどり" in org.search_text  # what save() would have written
    entry = LogEntry.objects.get_for_object(org).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == people["coordinator"]
    assert entry.changes["name"] == ["None", "みどりの会2"]
    assert entry.changes["contact_email"] == ["None", "***"]  # contacts masked

    # A second edition: the phone number changed for both, one lost a field.
    text = registry(2, phone="045-999-9999").replace(
        "R-0001,みどりの会1,任意団体,環境・", "R-0001,みどりの会1,任意団体,"
    )
    _upload(coord, text)
    response = coord.post("/coord/import/confirm/", {"token": _token(coord)}, follow=True)
    assert "取り込みました: 作成 0・更新 2・変更なし 0" in response.content.decode()
    first = Organization.objects.get(external_id="R-0001")
    assert first.contact_phone == "045-999-9999"
    assert list(first.fields.values_list("code", flat=True)) == ["community"]
    update = LogEntry.objects.get_for_object(first).filter(action=LogEntry.Action.UPDATE).get()
    assert update.changes == {"contact_phone": ["***", "***"]}


def test_a_change_of_kind_by_import_closes_what_the_kind_may_not_publish(coord, people):
    department = Organization.objects.create(
        name="テスト市 環境課", kind="city_department", source="csv:meibo", external_id="R-0009"
    )
    need = make_need(department, title="行政提案の協働テーマ", kind="administrative", status="open")
    text = f"{HEADER}\nR-0009,テスト市 環境課,任意団体,環境,北区,,\n"
    _upload(coord, text)
    coord.post("/coord/import/confirm/", {"token": _token(coord)})
    department.refresh_from_db()
    need.refresh_from_db()
    assert department.kind == "citizen_group"
    assert need.status == Status.CLOSED


def test_the_preview_reports_its_progress(city):
    seen: list[tuple[int, int]] = []
    report = services.parse_organizations(
        registry(25), source="csv:p", progress=lambda done, total: seen.append((done, total)),
        every=10,
    )  # fmt: skip
    assert report.created == 25
    assert seen[0][0] < seen[-1][0] and seen[-1] == (25, 25)


def test_an_expired_preview_cannot_be_imported_and_is_swept(coord):
    _upload(coord, registry(1))
    token = _token(coord)
    RegistryImport.objects.filter(token=token).update(expires_at=timezone.now())
    response = coord.post("/coord/import/confirm/", {"token": token}, follow=True)
    assert "確認するファイルが見つかりません" in response.content.decode()
    assert not Organization.objects.filter(source="csv:meibo").exists()
    uploads.sweep(now=timezone.now() + dt.timedelta(seconds=1))
    assert not RegistryImport.objects.filter(token=token).exists()


def test_another_coordinators_upload_is_not_found(coord, client, people):
    _upload(coord, registry(1))
    token = _token(coord)
    from conftest import make_user

    other = make_user("coordinator2", is_coordinator=True)
    client.force_login(other)
    assert client.get(f"/coord/import/{token}/status/").status_code == 404
    response = client.post("/coord/import/confirm/", {"token": token}, follow=True)
    assert "確認するファイルが見つかりません" in response.content.decode()
    assert not Organization.objects.filter(source="csv:meibo").exists()


def test_a_large_file_waits_for_a_worker_and_the_broker_being_down_is_no_500(
    coord, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """Sending the task fails (the broker is down): the page still answers, with the
    upload waiting; the sweeper sends it again. (A real worker and a real Redis outage:
    test_registry_import_worker.py.)"""
    settings.TSUNAGU_IMPORT_BACKGROUND_ROWS = 5
    sent: list[tuple[str, int]] = []

    class BrokerDown:
        def __init__(self, name: str) -> None:
            self.name = name

        def apply_async(self, args, **options):
            sent.append((self.name, args[0]))
            raise ConnectionError("broker down (test)")

    monkeypatch.setattr(uploads, "task", BrokerDown)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(coord, registry(8))
    assert response.status_code == 302
    upload = RegistryImport.objects.get(token=_token(coord))
    assert response["Location"] == f"/coord/import/{upload.token}/"
    assert upload.status == RegistryImport.Status.QUEUED and upload.raw
    assert sent == [("organizations.preview_registry", upload.pk)]
    assert "could not send" in caplog.text
    page = coord.get(response["Location"])
    assert page.status_code == 200 and 'id="import-progress"' in page.content.decode()
    status = coord.get(f"/coord/import/{upload.token}/status/").json()
    assert status["working"] and status["status"] == "queued"
    # The sweeper, a few minutes later, sends it again (still down: it will try again).
    uploads.sweep(now=timezone.now() + dt.timedelta(minutes=3))
    assert len(sent) == 2
    # What the worker does once it gets the message.
    assert uploads.preview(upload.pk) == RegistryImport.Status.READY
    assert "新規 8 件" in coord.get(response["Location"]).content.decode()
