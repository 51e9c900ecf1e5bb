"""The coordinators' registry import page: import the valid rows and skip the others (as
``import_organizations --skip-invalid``), a template CSV to start from, the format on the
page, and 「エラー N 件」 counting rows, not messages."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.imports.report import ImportReport
from organizations.imports.services import parse_organizations
from organizations.imports.vocabulary import COLUMNS
from organizations.models import Organization

pytestmark = pytest.mark.django_db

HEADER = "登録番号,団体名,ふりがな,種別,活動分野,活動地域,メールアドレス"
GOOD_ROW = "A-001,ＮＰＯ法人みどりのまち,みどりのまち,NPO法人,環境,北区,info@midori.example.jp"
# one row, two problems (no name, a bad e-mail address)
BAD_ROW = "A-002,,,NPO法人,,北区,not-an-email"
MIXED = f"{HEADER}\n{GOOD_ROW}\n{BAD_ROW}\n"


@pytest.fixture
def coord(client, people, city, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(people["coordinator"])
    return client


def _upload(client, text: str) -> str:
    upload = SimpleUploadedFile("meibo.csv", text.encode())
    return client.post("/coord/import/", {"file": upload}).content.decode()


def test_error_count_is_rows_not_messages(coord):
    report: ImportReport = parse_organizations(MIXED, source="csv:meibo")
    assert len(report.errors) >= 2 and report.bad_lines == [3]
    html = _upload(coord, MIXED)
    assert "新規 1 件・更新 0 件・変更なし 0 件・エラー 1 件" in html


def test_valid_rows_can_be_imported_and_the_others_skipped(coord):
    before = Organization.objects.count()
    html = _upload(coord, MIXED)
    assert "エラーのない 1 行だけ取り込む（エラーのある 1 行は取り込まない）" in html
    assert Organization.objects.count() == before  # the preview saves nothing
    token = coord.session["coord_import"]["token"]
    # without the choice to skip, the file stays all or nothing
    html = coord.post("/coord/import/confirm/", {"token": token}).content.decode()
    assert "取り込みませんでした" in html and Organization.objects.count() == before
    html = _upload(coord, MIXED)
    token = coord.session["coord_import"]["token"]
    response = coord.post(
        "/coord/import/confirm/", {"token": token, "skip_invalid": "1"}, follow=True
    )
    html = response.content.decode()
    assert (
        "取り込みました: 作成 1" in html and "エラーのある 1 行は取り込んでいません: 3行目" in html
    )
    assert Organization.objects.count() == before + 1
    assert Organization.objects.filter(external_id="A-001").exists()
    assert not Organization.objects.filter(external_id="A-002").exists()


def test_a_file_with_no_valid_row_offers_no_import(coord):
    html = _upload(coord, f"{HEADER}\n{BAD_ROW}\n")
    assert "エラーがあるため取り込めません" in html
    assert 'action="/coord/import/confirm/"' not in html
    assert "coord_import" not in coord.session


def test_template_csv_download_has_every_column(coord):
    response = coord.get("/coord/import/", {"template": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    header, example = list(csv.reader(io.StringIO(text)))
    assert set(header) == {label for label, _aliases in COLUMNS.values()}
    assert len(example) == len(header)
    # the template itself imports cleanly
    assert parse_organizations(response.content, source="csv:template").ok


def test_page_links_the_template_and_the_format(coord):
    html = coord.get("/coord/import/").content.decode()
    assert 'href="?template=csv"' in html and 'href="#format"' in html
    assert 'id="format"' in html and "メールアドレス" in html and "活動状況確認日" in html
