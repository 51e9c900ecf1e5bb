"""Evaluate the real engine, through the Django adapter, on a labelled dataset.

``evaluate_in_isolation`` runs the evaluation in a child process whose DATABASE_URL points
to a fresh SQLite file in a temporary folder, so the user's data is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

from matching.engine import evaluate as offline
from matching.scoring import adapter

ROOT = Path(settings.BASE_DIR)


def evaluate_in_isolation(
    dataset_path: Path, rankings_out: Path, seeds: int = 20, cross_validate: bool = False
) -> int:
    """Run ``evaluate_matching --isolated`` in a child process on a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-eval-") as tmp:
        env = os.environ.copy()
        env.update(
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'evaluation.sqlite3'}",
            TSUNAGU_VAR_DIR=tmp,
            CELERY_BROKER_URL="filesystem://localhost//",  # tasks sent while loading stay in tmp
            CELERY_BROKER_FOLDER=str(Path(tmp) / "broker"),
        )
        env.pop("CELERY_RESULT_BACKEND", None)
        manage = Path(settings.BASE_DIR) / "manage.py"
        cmd = [
            sys.executable, str(manage), "evaluate_matching", str(dataset_path),
            "--rankings-out", str(rankings_out), "--seeds", str(seeds), "--isolated",
        ] + (["--cross-validate"] if cross_validate else [])  # fmt: skip
        return subprocess.run(cmd, env=env, check=False).returncode


def rank_loaded_dataset(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every offer of the dataset for every need, best first, with the deployment's active
    weights, as of the dataset's date. The form filter, the score floor and in-list
    fairness are off: every offer is ranked and judged on its own."""
    from datetime import date

    from matching.scoring.datasets import dataset_ids
    from proposals.models import Need

    ids = dataset_ids(data)
    offer_file_id = {pk: fid for fid, pk in ids.offers.items()}
    profile = adapter.active_profile()
    engine_profile = adapter.engine_profile(
        profile, require_form_overlap=False, min_score=0.0, fairness_within_batch=False
    )
    as_of = date.fromisoformat(data["as_of"])
    lexicon = adapter.current_lexicon()
    rankings: dict[str, list[str]] = {}
    all_offers = sorted(ids.offers)
    for need_file_id, need_pk in sorted(ids.needs.items()):
        need = Need.objects.get(pk=need_pk)
        found = adapter.rank_for_need(
            need,
            top_k=len(all_offers),
            as_of=as_of,
            lexicon=lexicon,
            engine_override=engine_profile,
        )
        ranked = [offer_file_id[int(s.offer_id)] for s in found if int(s.offer_id) in offer_file_id]
        # Offers the engine filters out (expired as of the date) go last, in a stable order.
        ranked += [o for o in all_offers if o not in set(ranked)]
        rankings[need_file_id] = ranked
    return rankings


def rank_loaded_dataset_reverse(data: dict[str, Any]) -> dict[str, list[str]]:
    """The other direction: every need of the dataset for every offer, best first (what an
    organization sees for its offer), with the same weights, date and options."""
    from datetime import date

    from matching.scoring.datasets import dataset_ids
    from proposals.models import Offer

    ids = dataset_ids(data)
    need_file_id = {pk: fid for fid, pk in ids.needs.items()}
    profile = adapter.active_profile()
    engine_profile = adapter.engine_profile(
        profile, require_form_overlap=False, min_score=0.0, fairness_within_batch=False
    )
    as_of = date.fromisoformat(data["as_of"])
    lexicon = adapter.current_lexicon()
    all_needs = sorted(ids.needs)
    rankings: dict[str, list[str]] = {}
    for offer_file_id, offer_pk in sorted(ids.offers.items()):
        offer = Offer.objects.get(pk=offer_pk)
        found = adapter.rank_for_offer(
            offer,
            top_k=len(all_needs),
            as_of=as_of,
            lexicon=lexicon,
            engine_override=engine_profile,
        )
        ranked = [need_file_id[int(s.need_id)] for s in found if int(s.need_id) in need_file_id]
        ranked += [n for n in all_needs if n not in set(ranked)]
        rankings[offer_file_id] = ranked
    return rankings


def _row(name: str, m: dict[str, float]) -> str:
    return f"{name:40} {m['ndcg@10']:8.3f} {m['mrr']:8.3f} {m['p@5']:8.3f}"


def report(
    data: dict[str, Any],
    rankings: dict[str, list[str]],
    seeds: int,
    reverse: dict[str, list[str]] | None = None,
    cross_validate: bool = False,
) -> str:
    """The figures of ``evaluate_matching``: the engine beside TF-IDF and random, needs →
    offers and (``reverse``) offers → needs; with ``cross_validate``, the engine's learned
    weights and the hand-set ones each ranking needs they were not fitted on
    (``matching.engine.fitting``)."""
    dataset = offline.dataset_from_json(data)
    judgments = dataset.judgments
    header = f"{'':40} {'nDCG@10':>8} {'MRR':>8} {'P@5':>8}"
    lines = [
        f"dataset: {data['city']} (as of {data['as_of']}), "
        f"{len(data['needs'])} needs × {len(data['offers'])} offers",
        "needs → offers (each need ranks every offer)",
        header,
        _row("engine (つなぐ)", offline.evaluate_rankings(rankings, judgments)),
        _row(
            "TF-IDF char 2-3-gram",
            offline.evaluate_rankings(offline.tfidf_baseline_rankings(dataset), judgments),
        ),
        _row(f"random ({seeds} seeds)", offline.random_baseline_scores(dataset, seeds=seeds)),
    ]
    if reverse is not None:
        back = offline.offer_judgments(judgments)
        lines += [
            f"offers → needs (each of the {len(back)} offers the judgments say fit a need "
            "ranks every need)",
            header,
            _row("engine (つなぐ), offers → needs", offline.evaluate_rankings(reverse, back)),
            _row(
                "TF-IDF, offers → needs",
                offline.evaluate_rankings(offline.tfidf_reverse_rankings(dataset), back),
            ),
            _row(
                f"random ({seeds} seeds), offers → needs",
                offline.random_baseline_scores(dataset, seeds=seeds, reverse=True),
            ),
        ]
    if cross_validate:
        from matching.engine import fitting

        values = fitting.pair_values(dataset)
        reverse_values = fitting.reverse_pair_values(dataset)
        back = offline.offer_judgments(judgments)
        learned = fitting.cross_validate(values, judgments, reverse_values)
        hand = fitting.cross_validate(values, judgments, reverse_values, learn=False)
        lines += [
            "cross-validated: leave one need out (weights fitted on the other needs)",
            header,
            _row("learned weights (CV)", learned.metrics(judgments)),
            _row("hand-set weights", hand.metrics(judgments)),
            _row(
                "learned weights (CV), offers → needs",
                offline.evaluate_rankings(learned.reverse, back),
            ),
            _row("hand-set weights, offers → needs", offline.evaluate_rankings(hand.reverse, back)),
        ]
    lines.append("MRR: first post with grade ≥ 2; P@5: share of the top 5 with grade ≥ 2.")
    return "\n".join(lines)


def write_rankings(path: Path, rankings: dict[str, list[str]]) -> None:
    path.write_text(json.dumps(rankings, ensure_ascii=False, indent=1), encoding="utf-8")
