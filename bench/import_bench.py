"""Registry import benchmark: preview and import a generated group registry of N rows
(default 20,000) the way the coordinators' import page does, and check what it did.

    .venv/bin/python bench/import_bench.py                       # 20,000 rows, PostgreSQL
    .venv/bin/python bench/import_bench.py --rows 5000 --sqlite  # a temp SQLite file
    .venv/bin/python bench/import_bench.py --profile 1           # pyinstrument step 1

Options: ``--pg postgres://postgres@127.0.0.1:5432`` (server; the script creates the
database ``--db tsunagu_import_bench``), ``--max-preview-seconds 5`` (the budget of one
preview; exceeding it fails the run), ``--seed``.

Steps, each timed: (1) preview of a new registry (every row ``create``); (2) import of
that preview (the stored preview, as the page's confirm step: the file is not parsed
again); (3) preview of the same file again (every row ``unchanged``); (4) preview of a
second edition in which every tenth row changed (``update``) and (5) its import. The
registry is realistic: Japanese names, kinds written in their aliases, two or three
fields, ward and district names or codes, 令和/ISO/slash dates, ~120-character
descriptions. The city has 8 wards × 6 districts.

Each step prints its wall time and this process's CPU time (``time.process_time``; with
``--sqlite`` that includes the database's work): on a machine shared with other jobs the
wall time grows with the load, the CPU time does not. ``--profile`` needs pyinstrument
(``pip install pyinstrument``).

Exits non-zero when a phase previews or writes a different number of rows than it
should, finds an error, or a preview exceeds the budget (wall time).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

SOURCE = "csv:import-bench"
HEADER = [
    "登録番号", "団体名", "ふりがな", "種別", "NPO法人区分", "活動分野", "活動地域",
    "団体紹介", "ウェブサイト", "連絡担当者", "メールアドレス", "電話番号", "所在地",
    "活動状況確認日",
]  # fmt: skip
KINDS = [
    ("NPO法人", "認証"), ("認定NPO法人", ""), ("特定非営利活動法人", "認定"),
    ("任意団体", ""), ("市民活動団体", ""), ("ボランティア団体", ""), ("自治会", ""),
    ("町内会", ""), ("まちづくり協議会", ""), ("株式会社", ""), ("商店会", ""),
    ("大学", ""), ("小学校", ""), ("社会福祉協議会", ""),
]  # fmt: skip
FIELDS = [
    "保健・医療・福祉", "社会教育", "まちづくり", "観光", "文化", "スポーツ", "環境",
    "災害救援", "防犯", "人権・平和", "国際協力", "男女共同参画", "子どもの健全育成",
    "情報化社会", "科学技術", "経済活動", "就労支援", "消費者保護", "中間支援",
]  # fmt: skip
WORDS = [
    "みどり", "ひだまり", "つばさ", "さくら", "なかま", "こもれび", "ほっと", "にじ",
    "あおぞら", "わかば", "ともしび", "はばたき", "ふれあい", "きずな", "すずらん",
]  # fmt: skip
ACTIVITIES = [
    "子ども食堂", "学習支援", "見守り活動", "防災訓練", "清掃活動", "植樹", "多文化交流",
    "高齢者サロン", "スマホ教室", "子育てひろば", "読み聞かせ", "竹林整備", "防犯パトロール",
]  # fmt: skip


def city_tree() -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent code): ベンチ市, 8 wards, 6 districts each."""
    rows = [("bench-city", "ベンチ市", "city", None)]
    for w in range(1, 9):
        ward = f"bench-w{w}"
        rows.append((ward, f"第{w}区", "ward", "bench-city"))
        for d in range(1, 7):
            rows.append((f"{ward}-d{d}", f"第{w}区{d}丁目地区", "district", ward))
    return rows


def registry_csv(rows: int, seed: int, edition: int = 1) -> bytes:
    """The registry as a city exports it (UTF-8 with BOM, CRLF). In edition 2 every tenth
    row changed its description and phone number."""
    import csv
    import io

    rng = random.Random(seed)
    areas = city_tree()[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(1, rows + 1):
        kind, status = rng.choice(KINDS)
        name = f"{rng.choice(WORDS)}{rng.choice(ACTIVITIES)}の会{i}"
        fields = "、".join(rng.sample(FIELDS, rng.randint(1, 3)))
        picked = rng.sample(areas, rng.randint(1, 2))
        area_text = (
            "市全域" if rng.random() < 0.15 else "・".join(
                code if rng.random() < 0.3 else name_ for code, name_, _l, _p in picked
            )
        )  # fmt: skip
        description = (
            f"{rng.choice(ACTIVITIES)}と{rng.choice(ACTIVITIES)}を続けています。"
            f"地域の{rng.choice(WORDS)}な場をつくるため、毎月{rng.randint(1, 4)}回集まり、"
            "市や学校、自治会と協力して活動の輪を広げています。会員を募集中です。"
        )
        phone = f"042-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        if edition == 2 and i % 10 == 0:
            description += "（令和8年度から活動日を増やしました）"
            phone = f"042-999-{i % 10000:04d}"
        year, month, day = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
        checked = rng.choice(
            [f"{year}-{month:02d}-{day:02d}", f"{year}/{month}/{day}",
             f"令和{year - 2018}年{month}月{day}日" if (year, month) >= (2019, 5) else ""]
        )  # fmt: skip
        writer.writerow(
            [
                f"{i:06d}", name, "", kind, status, fields, area_text, description,
                f"https://org{i}.example.jp" if rng.random() < 0.6 else "",
                f"担当 {rng.choice(WORDS)}", f"info{i}@example.jp" if rng.random() < 0.7 else "",
                phone, f"ベンチ市第{rng.randint(1, 8)}区{rng.randint(1, 9)}-{rng.randint(1, 30)}",
                checked,
            ]
        )  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="tsunagu_import_bench")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    parser.add_argument("--max-preview-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", type=int, choices=range(1, 6), help="pyinstrument this step (1–5)"
    )
    args = parser.parse_args()

    if args.sqlite:
        scratch = tempfile.mkdtemp(prefix="import-bench-")
        database_url = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [args.db])
            if not exists.fetchone():
                conn.execute(f'CREATE DATABASE "{args.db}"')
        database_url = f"{args.pg}/{args.db}"
    os.environ.update(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="tsunagu.settings", LOG_LEVEL="WARNING"
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from organizations.imports import services
    from organizations.models import Area, Organization

    # A clean registry and its city (the areas are the bench's own).
    Organization.objects.filter(source=SOURCE).delete()
    by_code: dict[str, Area] = {}
    for code, name, level, parent in city_tree():
        area, _ = Area.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent": by_code.get(parent)}
        )
        by_code[code] = area
    city = by_code["bench-city"]

    failures: list[str] = []
    results: list[tuple[str, float, float, str]] = []

    def profiled(run, profile: bool):
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started, cpu = time.perf_counter(), time.process_time()
        result = run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        return result, seconds, cpu

    def preview(label: str, raw: bytes, expect: str, profile: bool = False):
        report, seconds, cpu = profiled(
            lambda: services.parse_organizations(raw, source=SOURCE, city=city), profile
        )
        counts = {a: report.count(a) for a in ("create", "update", "unchanged")}
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
        results.append((label, seconds, cpu, f"{len(report.rows):,} rows previewed ({summary})"))
        if report.errors:
            failures.append(f"{label}: {len(report.errors)} errors, first: {report.errors[0]}")
        expected = {"create": 0, "update": 0, "unchanged": 0}
        if expect == "update":
            expected.update(update=args.rows // 10, unchanged=args.rows - args.rows // 10)
        else:
            expected[expect] = args.rows
        if counts != expected:
            failures.append(f"{label}: previewed {counts}, expected {expected}")
        if seconds > args.max_preview_seconds:
            failures.append(f"{label}: {seconds:.1f} s > {args.max_preview_seconds} s")
        return report

    def apply(label: str, report, expect_written: int, profile: bool = False) -> None:
        before = Organization.objects.filter(source=SOURCE).count()
        done, seconds, cpu = profiled(lambda: services.apply_report(report), profile)
        after = Organization.objects.filter(source=SOURCE).count()
        written = done.created + done.updated
        results.append(
            (label, seconds, cpu, f"{written:,} rows written ({done.created:,} created, "
             f"{done.updated:,} updated); {after:,} organizations")
        )  # fmt: skip
        if written != expect_written or (done.created and after - before != done.created):
            failures.append(f"{label}: wrote {written} (organizations {before} → {after})")

    first = registry_csv(args.rows, args.seed)
    second = registry_csv(args.rows, args.seed, edition=2)
    size = len(first) / 1024 / 1024
    print(f"registry: {args.rows:,} rows, {size:.1f} MiB; database: {database_url.split('@')[-1]}")
    report = preview("1. preview, new registry", first, "create", args.profile == 1)
    apply("2. import it (stored preview)", report, args.rows, args.profile == 2)
    preview("3. preview, same file again", first, "unchanged", args.profile == 3)
    report = preview("4. preview, 2nd edition", second, "update", args.profile == 4)
    apply("5. import the 2nd edition", report, args.rows // 10, args.profile == 5)
    if Organization.objects.filter(source=SOURCE).count() != args.rows:
        failures.append("the registry's organizations are not all there")
    print(f"{'':32} {'wall':>7}   {'CPU':>7}")
    for label, seconds, cpu, what in results:
        print(f"{label:32} {seconds:7.2f} s {cpu:7.2f} s  {what}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if args.sqlite:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
