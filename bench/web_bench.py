"""Server-side render time of the pages users see most, on the demo city at 1× and N×.

    .venv/bin/python bench/web_bench.py                  # SQLite in a temp dir, 1× and 10×
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/web_bench.py
    .venv/bin/python bench/web_bench.py --scale 5 --repeat 20

With PostgreSQL the bench works in a throwaway ``test_NAME`` database (created and dropped
here, like the test runner does). It loads the demo city (``load_demo``), computes its
suggestions with the engine, measures every page, then grows the same database to N×
(``load_demo --scale N``) and measures again: the two columns come from one run.

Each page is requested through Django's test ``Client`` (the whole middleware stack and
template rendering; no network, no server): a few warm-up requests, then ``--repeat`` timed
ones. Printed: p50 / p95 / max in milliseconds and the number of SQL queries of one request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(tmp: str) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/web_bench.sqlite3"
    os.environ.setdefault("TSUNAGU_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    import django

    django.setup()


def _pages() -> list[tuple[str, str, str]]:
    """(label, username, url) of each measured page, resolved against the loaded demo."""
    from organizations.models import Area, Field
    from proposals.models import Need

    dept_need = (
        Need.objects.filter(organization__memberships__user__username="demo-korei", status="open")
        .order_by("external_id")
        .first()
    )
    area = Area.objects.get(code="demo-minato")
    field = Field.objects.get(code="children")
    return [
        ("member home, department (demo-korei)", "demo-korei", "/my/"),
        ("member home, NPO (demo-npo)", "demo-npo", "/my/"),
        ("review queue, first page", "demo-coord", "/coord/review/"),
        (
            "review queue, filtered (field + area)",
            "demo-coord",
            f"/coord/review/?field={field.code}&area={area.code}",
        ),
        ("review queue, page 3", "demo-coord", "/coord/review/?page=3"),
        ("menu search 「子ども」", "", "/menu/?q=子ども"),
        (
            "menu search 「子ども」 + field + area",
            "",
            f"/menu/?q=子ども&field={field.code}&area={area.code}",
        ),
        ("menu offers 「高齢者 見守り」", "", "/menu/?type=offers&q=高齢者 見守り"),
        (
            "post suggestions (department need)",
            "demo-korei",
            f"/my/needs/{dept_need.pk}/suggestions/",
        ),
    ]


def _measure(pages: list[tuple[str, str, str]], warmup: int, repeat: int) -> dict[str, tuple]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from organizations.models import User

    results: dict[str, tuple] = {}
    for label, username, url in pages:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{label}: {url} answered {response.status_code}")
        # DEBUG keeps a query log that every request clears: start the capture from empty.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        results[label] = (statistics.median(times), p95, times[-1], len(queries))
    return results


def _counts() -> str:
    from matching.models import ConsultationBooking, Match, Suggestion
    from notifications.models import Notification
    from organizations.models import Organization
    from proposals.models import Need, Offer

    return (
        f"organizations {Organization.objects.count()}, needs {Need.objects.count()}, "
        f"offers {Offer.objects.count()}, suggestions {Suggestion.objects.count()}, "
        f"matches {Match.objects.count()}, bookings {ConsultationBooking.objects.count()}, "
        f"notifications {Notification.objects.count()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="web-bench-") as tmp:
        _setup(tmp)
        from django.conf import settings
        from django.db import connection
        from django.test.utils import (
            setup_databases,
            setup_test_environment,
            teardown_databases,
            teardown_test_environment,
        )

        from demo.loader import load_demo
        from demo.scale import analyze_tables, scale_demo, score_demo

        setup_test_environment()  # 'testserver' host, in-memory email
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        vendor = connection.vendor
        if vendor == "postgresql":
            old = setup_databases(verbosity=0, interactive=False)  # test_<name>, dropped below
        else:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            old = None
        try:
            start = time.perf_counter()
            load_demo()
            score_demo()
            analyze_tables()  # planner statistics, as after any bulk load
            print(f"1×: loaded in {time.perf_counter() - start:.1f} s — {_counts()}")
            pages = _pages()
            base = _measure(pages, args.warmup, args.repeat)
            start = time.perf_counter()
            scale_demo(args.scale)
            print(f"{args.scale}×: scaled in {time.perf_counter() - start:.1f} s — {_counts()}")
            big = _measure(pages, args.warmup, args.repeat)
        finally:
            if old is not None:
                teardown_databases(old, verbosity=0)
            teardown_test_environment()

    print(
        f"\n{vendor}, {args.repeat} requests per page after {args.warmup} warm-up; "
        f"times in ms (p50 / p95 / max), q = SQL queries per request\n"
    )
    head = (
        f"| page | 1× p50 | 1× p95 | 1× q | {args.scale}× p50 | {args.scale}× p95 | "
        f"{args.scale}× max | {args.scale}× q |"
    )
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, *_ in pages:
        b, g = base[label], big[label]
        print(
            f"| {label} | {b[0]:.1f} | {b[1]:.1f} | {b[3]} | {g[0]:.1f} | {g[1]:.1f} | "
            f"{g[2]:.1f} | {g[3]} |"
        )


if __name__ == "__main__":
    main()
