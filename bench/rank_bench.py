"""A worker's warm ranking, end to end: ``adapter.rank_for_need`` on a loaded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsunagu_bench \\
        .venv/bin/python bench/rank_bench.py --needs 100

Run it on the database ``bench/rescore_bench.py`` loads (100,000 offers). It opens (or
builds) the current generation once, then times ``rank_for_need`` per need: the generation
check, the need's features, the engine and the merge — what a worker's ``rescore_need``
pays before writing. Reports p50/p95/max; exits 1 when a ranking came back empty.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--needs", type=int, default=100)
    args = ap.parse_args()

    import django

    django.setup()
    from matching.scoring import adapter
    from proposals.models import Need, Offer, Status

    offers = Offer.objects.filter(status=Status.OPEN).count()
    needs = list(Need.objects.filter(status=Status.OPEN).order_by("pk")[: args.needs])
    if not needs or not offers:
        print("FAILED: no open needs or offers in this database", file=sys.stderr)
        return 1
    t = time.perf_counter()
    adapter.rank_for_need(needs[0])
    first = time.perf_counter() - t
    times, empty = [], 0
    for need in needs:
        t = time.perf_counter()
        found = adapter.rank_for_need(need)
        times.append(time.perf_counter() - t)
        empty += not found
    times.sort()

    def at(q: float) -> float:
        return times[min(len(times) - 1, round(q * (len(times) - 1)))] * 1000

    print(f"{len(needs)} needs against {offers:,} open offers")
    print(f"first ranking (opens or builds the generation): {first:.2f} s")
    print(f"rank_for_need warm: p50 {at(0.5):.1f} ms, p95 {at(0.95):.1f} ms, max {at(1):.1f} ms")
    if empty:
        print(f"FAILED: {empty} ranking(s) came back empty", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
