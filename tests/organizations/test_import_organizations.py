"""``manage.py import_organizations``: registry CSV parsing, validation, import."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "organizations.csv"

HEADER = (
    "登録番号,団体名,ふりがな,種別,NPO法人区分,活動分野,活動地域,団体紹介,"
    "ウェブサイト,連絡担当者,メールアドレス,電話番号,所在地,活動状況確認日"
)
GOOD = f"""{HEADER}
A-001,ＮＰＯ法人みどりのまち,みどりのまち,NPO法人,認定,"環境、まちづくり",市全域,緑化活動をしています。,https://midori.example.jp,山田 花子,info@midori.example.jp,045-000-0001,テスト市北区1-1,令和6年4月1日
A-002,北区子育てサークルひだまり,ひだまり,任意団体,,子ども・保健・医療・福祉,北区,,www.hidamari.example.jp,,,,,2024/5/1
A-003,南一町内会,,町内会,,まちづくりの推進を図る活動・地域安全,南一地区;南区,,,,,,,2024-06-01
"""  # noqa: E501


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_organizations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "meibo.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def codes(org, name: str) -> list[str]:
    return sorted(getattr(org, name).values_list("code", flat=True))


def test_good_utf8_file(city, tmp_path):
    from organizations.models import Organization

    out, _err = run(write(tmp_path, GOOD))

    assert "作成 3・更新 0・変更なし 0" in out
    assert "imported: created 3" in out
    assert Organization.objects.count() == 3
    npo = Organization.objects.get(external_id="A-001")
    assert npo.source == "csv:meibo"
    assert npo.name == "ＮＰＯ法人みどりのまち"
    assert (npo.kind, npo.npo_status) == ("npo_corporation", "accredited")
    assert codes(npo, "fields") == ["community", "environment"]
    assert list(npo.areas.all()) == [city]  # 市全域 → the city's root area
    assert npo.activity_checked_on == dt.date(2024, 4, 1)
    assert npo.website == "https://midori.example.jp"
    assert (npo.contact_name, npo.contact_email) == ("山田 花子", "info@midori.example.jp")
    assert npo.is_verified and npo.is_active

    group = Organization.objects.get(external_id="A-002")
    assert (group.kind, group.npo_status) == ("citizen_group", "")
    assert codes(group, "fields") == ["children", "welfare"]  # 保健・医療・福祉 is one field
    assert codes(group, "areas") == ["t-kita"]
    assert group.website == "https://www.hidamari.example.jp"
    assert group.activity_checked_on == dt.date(2024, 5, 1)

    assoc = Organization.objects.get(external_id="A-003")
    assert assoc.kind == "neighborhood_association"
    assert codes(assoc, "fields") == ["community", "community_safety"]
    assert codes(assoc, "areas") == ["t-minami", "t-minami-1"]


def test_cp932_file(city, tmp_path):
    from organizations.models import Organization

    out, _err = run(write(tmp_path, GOOD, encoding="cp932"))
    assert "cp932" in out
    assert Organization.objects.get(external_id="A-002").name == "北区子育てサークルひだまり"
    assert Organization.objects.count() == 3


def test_utf8_with_bom_and_crlf(city, tmp_path):
    from organizations.models import Organization

    path = write(tmp_path, GOOD.replace("\n", "\r\n"), encoding="utf-8-sig")
    out, _err = run(path)
    assert "utf-8-sig" in out
    # The BOM must not spoil the first header (登録番号): ids are used.
    assert set(Organization.objects.values_list("external_id", flat=True)) == {
        "A-001",
        "A-002",
        "A-003",
    }


def test_english_headers_and_tabs(city, tmp_path):
    from organizations.models import Organization

    text = (
        "id\tname\tkind\tfields\tareas\temail\n"
        "X1\tGreen Hands\tnpo_corporation\tenvironment\tt-kita\ta@example.jp\n"
    )
    run(write(tmp_path, text, name="en.tsv"))
    org = Organization.objects.get(external_id="X1")
    assert (org.name, org.kind, org.contact_email) == (
        "Green Hands",
        "npo_corporation",
        "a@example.jp",
    )
    assert codes(org, "areas") == ["t-kita"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-01", dt.date(2025, 4, 1)),
        ("2025/4/1", dt.date(2025, 4, 1)),
        ("２０２５／０４／０１", dt.date(2025, 4, 1)),
        ("2025年4月1日", dt.date(2025, 4, 1)),
        ("令和7年4月1日", dt.date(2025, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("令和 ７年 ４月 １日", dt.date(2025, 4, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("R7.4.1", dt.date(2025, 4, 1)),
        ("H30/12/1", dt.date(2018, 12, 1)),
    ],
)
def test_dates(text, expected):
    from organizations.imports.dates import parse_date

    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["2025-02-30", "令和元年4月30日", "平成32年1月1日", "令和0年5月1日", "4月1日", "昨日"]
)
def test_bad_dates(text):
    from organizations.imports.dates import parse_date

    with pytest.raises(ValueError):
        parse_date(text)


BAD = f"""{HEADER}
A-001,よい団体,,NPO法人,,環境,北区,,,,,,,2024-04-01
A-002,悪い種別,,NPO,,環境,北区,,,,,,,
A-003,,,任意団体,,環境教育,西区,,not a url,,foo@,,,2025-13-01
A-001,重複ID,,任意団体,認定,環境,北区,,,,,,,令和元年4月1日
A-005,{"長" * 201},,任意団体,,,,,,,,,,
"""


def test_error_file_reports_every_bad_row_and_imports_nothing(city, tmp_path):
    from organizations.models import Organization

    with pytest.raises(CommandError) as error:
        run(write(tmp_path, BAD))
    message = str(error.value)
    assert "nothing was imported" in message
    expected = [
        "3行目: 種別「NPO」が分かりません（NPO法人, 市民活動団体,",
        "4行目: 団体名が空です",
        "4行目: 活動分野「環境教育」が分かりません",
        "4行目: 活動地域「西区」が分かりません",
        "4行目: ウェブサイト「not a url」はURLとして正しくありません",
        "4行目: メールアドレス「foo@」の形式が正しくありません",
        "4行目: 活動状況確認日「2025-13-01」は日付として読めません",
        "5行目: 登録番号「A-001」が2行目と重複しています",
        "5行目: NPO法人区分「認定」はNPO法人にのみ設定できます",
        "5行目: 活動状況確認日「令和元年4月1日」は日付として読めません",
        "6行目: 団体名: ",
    ]
    for line in expected:
        assert line in message, line
    assert "  2行目:" not in message
    assert Organization.objects.count() == 0


def test_report_is_structured_for_a_preview(city):
    from organizations.imports.services import parse_organizations
    from organizations.models import Organization

    report = parse_organizations(BAD.encode("cp932"), source="csv:web")
    assert not report.ok
    assert report.bad_lines == [3, 4, 5, 6]
    assert [(r.line, r.action) for r in report.rows] == [(2, "create")]
    kind_error = next(e for e in report.errors if e.line == 3)
    assert (kind_error.column, kind_error.key) == ("種別", "kind")
    assert {e.key for e in report.errors if e.line == 4} >= {
        "name",
        "fields",
        "areas",
        "website",
        "contact_email",
        "activity_checked_on",
    }
    assert Organization.objects.count() == 0


def test_dry_run_imports_nothing(city, tmp_path):
    from organizations.models import Organization

    out, _err = run(write(tmp_path, GOOD), "--dry-run")
    assert "確認のみ（保存していません）: 作成 3" in out
    assert Organization.objects.count() == 0


def test_dry_run_with_errors_exits_non_zero(city, tmp_path):
    from organizations.models import Organization

    with pytest.raises(CommandError, match="3行目"):
        run(write(tmp_path, BAD), "--dry-run")
    assert Organization.objects.count() == 0


def test_skip_invalid_imports_the_good_rows(city, tmp_path):
    from organizations.models import Organization

    out, err = run(write(tmp_path, BAD), "--skip-invalid")
    assert "作成 1" in out
    assert "4行にエラーがあるため飛ばしました" in err
    assert "3行目: 種別「NPO」" in err
    assert list(Organization.objects.values_list("name", flat=True)) == ["よい団体"]


def test_reimport_with_ids_is_idempotent(city, tmp_path):
    from organizations.models import Organization

    path = write(tmp_path, GOOD)
    run(path)
    ids = dict(Organization.objects.values_list("external_id", "pk"))
    stamps = dict(Organization.objects.values_list("pk", "updated_at"))

    out, _err = run(path)
    assert "作成 0・更新 0・変更なし 3" in out
    assert dict(Organization.objects.values_list("external_id", "pk")) == ids
    assert dict(Organization.objects.values_list("pk", "updated_at")) == stamps

    changed = GOOD.replace("北区子育てサークルひだまり", "北区子育てサークルひだまり（改称）")
    out, _err = run(write(tmp_path, changed))
    assert "作成 0・更新 1・変更なし 2" in out
    assert Organization.objects.get(pk=ids["A-002"]).name.endswith("（改称）")


def test_reimport_without_ids_matches_name_and_kind(city, tmp_path, people):
    from organizations.models import Organization

    text = (
        "団体名,種別,メールアドレス\n"
        "新しい会,任意団体,new@example.jp\n"
        f"{people['npo'].name},NPO法人,npo@example.jp\n"
    )
    path = write(tmp_path, text)
    before = Organization.objects.count()
    out, _err = run(path)
    assert "団体名と種別が完全に一致" in out
    assert "作成 1・更新 1・変更なし 0" in out
    assert Organization.objects.count() == before + 1
    people["npo"].refresh_from_db()
    assert people["npo"].contact_email == "npo@example.jp"
    assert people["npo"].npo_status == "certified"  # column absent: left untouched

    out, _err = run(path)
    assert "作成 0・更新 0・変更なし 2" in out
    assert Organization.objects.count() == before + 1


def test_duplicate_names_without_ids_are_an_error(city, tmp_path):
    text = "団体名,種別\n同じ会,任意団体\n同じ会,任意団体\n"
    with pytest.raises(CommandError, match="3行目: 団体名・種別が2行目と同じです"):
        run(write(tmp_path, text))


def test_header_errors(city, tmp_path):
    with pytest.raises(CommandError, match="「団体名」の列がありません"):
        run(write(tmp_path, "名前,種別\nみどり,任意団体\n"))
    with pytest.raises(CommandError, match="文字コードが分かりません"):
        run(_binary(tmp_path))


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x82\xa0\xff\xfe\x00\x81")
    return path


def test_source_option(city, tmp_path):
    from organizations.models import Organization

    run(write(tmp_path, GOOD), "--source", "csv:相模原市団体検索")
    assert set(Organization.objects.values_list("source", flat=True)) == {"csv:相模原市団体検索"}


def test_example_file_is_valid(city):
    from organizations.models import Organization

    out, _err = run(EXAMPLE, "--dry-run")
    assert "確認のみ" in out
    assert Organization.objects.count() == 0
    run(EXAMPLE)
    assert Organization.objects.filter(source="csv:organizations").count() > 0


def test_kind_variants_and_default_kind(city, tmp_path):
    from organizations.models import Organization

    text = (
        "団体名,種別,活動地域\n"
        "こども支援ネット,認定NPO法人,テスト市\n"
        "つなぐ印刷,株式会社,全域\n"
        "名無しの会,,南区\n"
    )
    run(write(tmp_path, text), "--default-kind", "citizen_group")
    kinds = dict(Organization.objects.values_list("name", "kind"))
    assert kinds == {
        "こども支援ネット": "npo_corporation",
        "つなぐ印刷": "business",
        "名無しの会": "citizen_group",
    }
    assert Organization.objects.get(name="こども支援ネット").npo_status == "accredited"
    assert list(Organization.objects.get(name="つなぐ印刷").areas.all()) == [city]


def test_blank_kind_without_default_is_an_error(city, tmp_path):
    with pytest.raises(CommandError, match="2行目: 種別が空です"):
        run(write(tmp_path, "団体名,種別\n名無しの会,\n"))
