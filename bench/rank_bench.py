"""A worker's ranking end to end on a loaded database: warm, cold, and after a save.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsunagu_bench \\
        .venv/bin/python bench/rank_bench.py --needs 100 [--json]

Run it on the database ``bench/rescore_bench.py`` loads (100,000 offers). It opens (or
builds) the host's main segment once, then reports:

* ``rank_for_need`` warm p50/p95/max (ms): the change check, the need's features, the
  engine and the merge — what a worker's ``rescore_need`` pays before writing; timed on a
  second pass over the needs (the first fills the per-area-set tables, as a running worker
  has them);
* cold start: a fresh process (Django set-up included) to its first ranking, opening the
  saved main segment (s);
* a saved need's suggestions stored and readable: create a need, ``rescore_need`` (what
  its task runs), count the stored rows (s);
* a saved offer ranked for another need: create an offer whose text is a need's own, then
  ``rank_for_need`` of that need must return it — from the delta, with no main segment
  built (s).

Exits 1 when a ranking came back empty, nothing was stored, the new offer was not ranked
or a main segment was built for it: a benchmark that did not do the work reports nothing.
The posts it creates are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")


COLD = """
import os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
import django
django.setup()
from matching.scoring import adapter
from proposals.models import Need
found = adapter.rank_for_need(Need.objects.get(pk={need}))
print(time.perf_counter() - t0, len(found))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--needs", type=int, default=100)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
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
    for need in needs:  # the first pass fills the per-area-set tables
        adapter.rank_for_need(need)
    times, empty = [], 0
    for need in needs:
        t = time.perf_counter()
        found = adapter.rank_for_need(need)
        times.append(time.perf_counter() - t)
        empty += not found
    times.sort()

    def at(q: float) -> float:
        return times[min(len(times) - 1, round(q * (len(times) - 1)))] * 1000

    cold = subprocess.run(
        [sys.executable, "-c", COLD.format(root=str(ROOT), need=needs[1].pk)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    saved = saves(needs[2])
    result = {
        "needs": len(needs),
        "offers": offers,
        "first_ranking_s": round(first, 2),
        "rank_p50_ms": round(at(0.5), 1),
        "rank_p95_ms": round(at(0.95), 1),
        "rank_max_ms": round(at(1), 1),
        "cold_start_s": round(float(cold[0]), 2),
        **saved,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{len(needs)} needs against {offers:,} open offers")
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    failed = []
    if empty:
        failed.append(f"{empty} ranking(s) came back empty")
    if int(cold[1]) == 0:
        failed.append("the cold process ranked nothing")
    if not saved["need_rows_stored"]:
        failed.append("no suggestion stored for the saved need")
    if not saved["offer_ranked"] or saved["bases_built"]:
        failed.append("the saved offer was not ranked from the delta")
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


def saves(need) -> dict:
    """Save a need and an offer as a user would, and time until they count."""
    from django.db import transaction

    from matching.models import Suggestion
    from matching.scoring import adapter, segments
    from proposals.models import Need, Offer

    lexicon = adapter.current_lexicon()
    bases = segments.newest("offer", lexicon)
    template = Offer.objects.filter(status="open").order_by("pk").first()
    need_copy = Need.objects.get(pk=need.pk)
    try:
        t = time.perf_counter()
        with transaction.atomic():
            need_copy.pk = None
            need_copy.source, need_copy.external_id = "", ""
            need_copy.title = need.title + "（再掲）"
            need_copy.save()
            need_copy.fields.set(need.fields.all())
            need_copy.areas.set(need.areas.all())
            need_copy.forms.set(need.forms.all())
        stored = adapter.rescore_need(need_copy.pk)
        rows = Suggestion.objects.filter(need_id=need_copy.pk).count()
        need_visible = time.perf_counter() - t

        t = time.perf_counter()
        with transaction.atomic():
            offer = Offer.objects.create(
                organization=template.organization,
                title=need.title,
                description=need.description,
                status="open",
                starts_on=need.starts_on,
                ends_on=need.ends_on,
                capacity=3,
            )
            offer.fields.set(need.fields.all())
            offer.areas.set(need.areas.all())
            offer.forms.set(need.forms.all())
        found = adapter.rank_for_need(need)
        offer_visible = time.perf_counter() - t
        ranked = str(offer.pk) in {s.offer_id for s in found}
        built = segments.newest("offer", lexicon) != bases
    finally:
        Suggestion.objects.filter(need_id=need_copy.pk).delete()
        Need.objects.filter(pk=need_copy.pk).delete()
        Offer.objects.filter(title=need.title, description=need.description).delete()
    return {
        "need_visible_s": round(need_visible, 3),
        "need_rows_stored": min(stored, rows),
        "offer_visible_s": round(offer_visible, 3),
        "offer_ranked": ranked,
        "bases_built": int(built),
    }


if __name__ == "__main__":
    sys.exit(main())
