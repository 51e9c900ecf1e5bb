"""Offline evaluation on a labelled dataset (e.g. ``tests/data/dev.json``; schema in
``docs/dataset-format.md``).

Pure functions, usable from a Django management command:

* ``load_dataset_features(path)`` → ``Dataset`` (needs, offers, hierarchy, as_of, judgments),
  validating the schema with an error that names the first problem;
* ``rank_all(dataset)`` → need id → every offer id, best first (as of the dataset's as_of);
  ``rank_all_reverse(dataset)`` → offer id → every need id (what an NPO sees), judged by
  ``offer_judgments`` (the same grades read from the offer's side);
* metrics ``ndcg_at_k``, ``mrr``, ``precision_at_k``;
* baselines ``tfidf_baseline_rankings`` (character 2–3-gram TF-IDF cosine over title +
  description) and ``random_baseline_rankings`` (seeded shuffles).

Metric definitions (also in README.md):
* nDCG@k: gain = grade (0–3), discount 1/log2(rank+1), ideal = the judgments sorted.
* MRR: reciprocal rank of the first offer with grade ≥ ``mrr_min_grade`` (default 2: "good").
* P@5: share of the first 5 offers with grade ≥ 2 ("good" or "ideal" partners).

CLI: ``python -m matching.engine.evaluate PATH [--seeds N]`` prints engine vs TF-IDF vs random,
in both directions. Learned weights and their cross-validated figures: ``fitting.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from matching.engine.features import (
    FIELD_LABELS,
    FORM_LABELS,
    ORGANIZATION_KINDS,
    AreaHierarchy,
    Need,
    Offer,
)
from matching.engine.index import NeedIndex, OfferIndex, post_text
from matching.engine.scoring import EVALUATION_PROFILE, MatchingProfile

Rankings = dict[str, list[str]]
Judgments = dict[str, dict[str, int]]


class DatasetError(ValueError):
    """The dataset file does not follow the schema; the message names the first problem."""


@dataclass(frozen=True)
class Dataset:
    city: str
    as_of: date
    hierarchy: AreaHierarchy
    needs: tuple[Need, ...]
    offers: tuple[Offer, ...]
    judgments: Judgments


def _req(obj: Mapping, key: str, typ: type | tuple[type, ...], where: str):
    if not isinstance(obj, Mapping):
        raise DatasetError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise DatasetError(f"{where}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        name = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise DatasetError(f"{where}.{key}: expected {name}, got {type(value).__name__}")
    return value


def _date(obj: Mapping, key: str, where: str) -> date:
    raw = _req(obj, key, str, where)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DatasetError(f"{where}.{key}: not a YYYY-MM-DD date: {raw!r}") from None


def _codes(obj: Mapping, key: str, allowed: set[str], where: str) -> list[str]:
    values = _req(obj, key, list, where)
    for v in values:
        if v not in allowed:
            raise DatasetError(f"{where}.{key}: unknown code {v!r}")
    return values


def load_dataset_features(path: str | Path) -> Dataset:
    """Read a dataset JSON file into feature records (schema: docs/dataset-format.md)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON: {exc}") from None
    return dataset_from_json(raw)


def dataset_from_json(raw: Mapping) -> Dataset:
    if not isinstance(raw, Mapping):
        raise DatasetError("top level: expected an object")
    version = _req(raw, "version", int, "top level")
    if version != 1:
        raise DatasetError(f"top level.version: unsupported schema version {version}")
    city = _req(raw, "city", str, "top level")
    as_of = _date(raw, "as_of", "top level")
    areas = _req(raw, "areas", list, "top level")
    area_names: dict[str, str] = {}
    for i, a in enumerate(areas):
        area_names[_req(a, "code", str, f"areas[{i}]")] = _req(a, "name", str, f"areas[{i}]")
    for key, known in (("fields", FIELD_LABELS), ("forms", FORM_LABELS)):
        for i, item in enumerate(_req(raw, key, list, "top level")):
            code = _req(item, "code", str, f"{key}[{i}]")
            if code not in known:
                raise DatasetError(f"{key}[{i}].code: unknown code {code!r}")
    orgs: dict[str, dict] = {}
    for i, o in enumerate(_req(raw, "organizations", list, "top level")):
        where = f"organizations[{i}]"
        oid = _req(o, "id", str, where)
        kind = _req(o, "kind", str, where)
        if kind not in ORGANIZATION_KINDS:
            raise DatasetError(f"{where}.kind: unknown kind {kind!r}")
        orgs[oid] = o
    fields, forms, area_codes = set(FIELD_LABELS), set(FORM_LABELS), set(area_names)

    def org_of(post: Mapping, where: str) -> dict:
        oid = _req(post, "organization", str, where)
        if oid not in orgs:
            raise DatasetError(f"{where}.organization: unknown organization {oid!r}")
        return orgs[oid]

    needs: list[Need] = []
    for i, n in enumerate(_req(raw, "needs", list, "top level")):
        where = f"needs[{i}]"
        org = org_of(n, where)
        needs.append(
            Need(
                id=_req(n, "id", str, where),
                organization_id=org["id"],
                organization_kind=org["kind"],
                title=_req(n, "title", str, where),
                description=_req(n, "description", str, where),
                fields=_codes(n, "fields", fields, where),
                areas=_codes(n, "areas", area_codes, where),
                forms=_codes(n, "forms", forms, where),
                starts_on=_date(n, "starts_on", where),
                ends_on=_date(n, "ends_on", where),
            )
        )
    offers: list[Offer] = []
    for i, o in enumerate(_req(raw, "offers", list, "top level")):
        where = f"offers[{i}]"
        org = org_of(o, where)
        capacity = _req(o, "capacity", int, where)
        if capacity < 1:
            raise DatasetError(f"{where}.capacity: must be ≥ 1, got {capacity}")
        offers.append(
            Offer(
                id=_req(o, "id", str, where),
                organization_id=org["id"],
                organization_kind=org["kind"],
                title=_req(o, "title", str, where),
                description=_req(o, "description", str, where),
                fields=_codes(o, "fields", fields, where),
                areas=_codes(o, "areas", area_codes, where),
                forms=_codes(o, "forms", forms, where),
                available_from=_date(o, "available_from", where),
                available_until=_date(o, "available_until", where),
                capacity=capacity,
            )
        )
    need_ids = {n.id for n in needs}
    offer_ids = {o.id for o in offers}
    if len(need_ids) != len(needs) or len(offer_ids) != len(offers):
        raise DatasetError("needs/offers: duplicate id")
    judgments: Judgments = {}
    for nid, grades in _req(raw, "judgments", Mapping, "top level").items():
        if nid not in need_ids:
            raise DatasetError(f"judgments: unknown need {nid!r}")
        if not isinstance(grades, Mapping):
            raise DatasetError(f"judgments[{nid!r}]: expected an object")
        for oid, g in grades.items():
            if oid not in offer_ids:
                raise DatasetError(f"judgments[{nid!r}]: unknown offer {oid!r}")
            if not isinstance(g, int) or isinstance(g, bool) or not 0 <= g <= 3:
                raise DatasetError(f"judgments[{nid!r}][{oid!r}]: grade must be 0–3, got {g!r}")
        judgments[nid] = dict(grades)
    return Dataset(
        city=city,
        as_of=as_of,
        hierarchy=AreaHierarchy.flat(area_names),
        needs=tuple(needs),
        offers=tuple(offers),
        judgments=judgments,
    )


# --------------------------------------------------------------------------- ranking


def analysed(dataset: Dataset) -> Dataset:
    """The dataset with every post's text analysed once (so repeated rankings reuse it)."""
    needs = tuple(n if n.text else replace(n, text=post_text(n)) for n in dataset.needs)
    offers = tuple(o if o.text else replace(o, text=post_text(o)) for o in dataset.offers)
    return replace(dataset, needs=needs, offers=offers)


def rank_all(
    dataset: Dataset,
    profile: MatchingProfile = EVALUATION_PROFILE,
    needs: Sequence[Need] | None = None,
) -> Rankings:
    """Every offer for every need, best first. Offers a hard filter removes (closed, expired,
    same organization) are appended after the ranked ones in id order, so each list is
    complete."""
    ds = analysed(dataset)
    index = OfferIndex.build(ds.offers, ds.hierarchy, background=[n.text for n in ds.needs])
    out: Rankings = {}
    all_ids = sorted(o.id for o in ds.offers)
    for need in needs if needs is not None else ds.needs:
        need = need if need.text else replace(need, text=post_text(need))
        ranked = [
            s.offer_id for s in index.top_offers(need, as_of=ds.as_of, top_k=None, profile=profile)
        ]
        seen = set(ranked)
        out[need.id] = ranked + [oid for oid in all_ids if oid not in seen]
    return out


def rank_all_reverse(
    dataset: Dataset,
    profile: MatchingProfile = EVALUATION_PROFILE,
) -> Rankings:
    """Every need for every offer, best first (``NeedIndex.top_needs``, the other direction:
    an organization's offer looking for themes). Needs a hard filter removes go last."""
    ds = analysed(dataset)
    index = NeedIndex.build(ds.needs, ds.hierarchy, background=[o.text for o in ds.offers])
    all_ids = sorted(n.id for n in ds.needs)
    out: Rankings = {}
    for offer in ds.offers:
        ranked = [
            s.need_id for s in index.top_needs(offer, as_of=ds.as_of, top_k=None, profile=profile)
        ]
        seen = set(ranked)
        out[offer.id] = ranked + [nid for nid in all_ids if nid not in seen]
    return out


def offer_judgments(judgments: Judgments) -> Judgments:
    """The grades from the offers' side: offer id → {need id: grade}, for the offers the
    judgments say fit at least one need (grade ≥ 1); the others have nothing to rank for."""
    out: Judgments = {}
    for need_id, grades in judgments.items():
        for offer_id, grade in grades.items():
            if grade > 0:
                out.setdefault(offer_id, {})[need_id] = grade
    return out


# --------------------------------------------------------------------------- metrics


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """Standard nDCG@k with gain = grade and a log2 discount; 0 if nothing is relevant."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg([grades.get(oid, 0) for oid in ranking[:k]]) / ideal


def mrr(ranking: Sequence[str], grades: Mapping[str, int], min_grade: int = 2) -> float:
    """1 / rank of the first offer with grade ≥ ``min_grade``; 0 if there is none."""
    for i, oid in enumerate(ranking, start=1):
        if grades.get(oid, 0) >= min_grade:
            return 1.0 / i
    return 0.0


def precision_at_k(
    ranking: Sequence[str], grades: Mapping[str, int], k: int = 5, min_grade: int = 2
) -> float:
    """Share of the first k offers with grade ≥ ``min_grade`` (k in the denominator)."""
    return sum(1 for oid in ranking[:k] if grades.get(oid, 0) >= min_grade) / k


def evaluate_rankings(rankings: Rankings, judgments: Judgments) -> dict[str, float]:
    """Mean nDCG@10, MRR (grade ≥ 2) and P@5 (grade ≥ 2) over the judged needs."""
    needs = sorted(judgments)
    return {
        "ndcg@10": float(np.mean([ndcg_at_k(rankings[n], judgments[n], 10) for n in needs])),
        "mrr": float(np.mean([mrr(rankings[n], judgments[n]) for n in needs])),
        "p@5": float(np.mean([precision_at_k(rankings[n], judgments[n], 5) for n in needs])),
    }


# --------------------------------------------------------------------------- baselines


def _char_ngrams(text: str, sizes: tuple[int, ...] = (2, 3)) -> dict[str, int]:
    from lib.japanese import fold

    s = "".join(ch for ch in fold(text) if ch.isalnum())
    out: dict[str, int] = {}
    for n in sizes:
        for i in range(len(s) - n + 1):
            g = s[i : i + n]
            out[g] = out.get(g, 0) + 1
    return out


def _tfidf_scores(dataset: Dataset) -> dict[tuple[str, str], float]:
    """(need id, offer id) → character 2–3-gram TF-IDF cosine, IDF over all posts."""
    docs = {
        p.id: _char_ngrams(p.title + "\n" + p.description)
        for p in (*dataset.needs, *dataset.offers)
    }
    df: dict[str, int] = {}
    for grams in docs.values():
        for g in grams:
            df[g] = df.get(g, 0) + 1
    n_docs = len(docs)

    def vec(pid: str) -> dict[str, float]:
        v = {
            g: (1 + math.log(c)) * math.log((1 + n_docs) / (1 + df[g])) + 1e-12
            for g, c in docs[pid].items()
        }
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    vecs = {pid: vec(pid) for pid in docs}
    return {
        (need.id, o.id): sum(w * vecs[o.id].get(g, 0.0) for g, w in vecs[need.id].items())
        for need in dataset.needs
        for o in dataset.offers
    }


def tfidf_baseline_rankings(dataset: Dataset) -> Rankings:
    """Character 2–3-gram TF-IDF cosine between need and offer (title + description).

    IDF over all posts of the file (needs and offers); no structure, no filters.
    """
    scores = _tfidf_scores(dataset)
    out: Rankings = {}
    for need in dataset.needs:
        sims = [(-scores[(need.id, o.id)], o.id) for o in dataset.offers]
        out[need.id] = [oid for _, oid in sorted(sims)]
    return out


def tfidf_reverse_rankings(dataset: Dataset) -> Rankings:
    """The TF-IDF baseline from the offers' side: offer id → needs by the same cosine."""
    forward = _tfidf_scores(dataset)
    out: Rankings = {}
    for offer in dataset.offers:
        sims = sorted((-forward[(need.id, offer.id)], need.id) for need in dataset.needs)
        out[offer.id] = [nid for _, nid in sims]
    return out


def random_baseline_rankings(dataset: Dataset, seed: int, reverse: bool = False) -> Rankings:
    rng = random.Random(seed)
    queries, candidates = (
        (dataset.offers, dataset.needs) if reverse else (dataset.needs, dataset.offers)
    )
    out: Rankings = {}
    for query in sorted(queries, key=lambda p: p.id):
        ids = sorted(p.id for p in candidates)
        rng.shuffle(ids)
        out[query.id] = ids
    return out


def random_baseline_scores(
    dataset: Dataset, seeds: int = 20, reverse: bool = False
) -> dict[str, float]:
    judgments = offer_judgments(dataset.judgments) if reverse else dataset.judgments
    runs = [
        evaluate_rankings(random_baseline_rankings(dataset, s, reverse), judgments)
        for s in range(seeds)
    ]
    return {m: float(np.mean([r[m] for r in runs])) for m in runs[0]}


def leave_one_need_out(dataset: Dataset, profile: MatchingProfile = EVALUATION_PROFILE) -> float:
    """Mean nDCG@10 when each need is ranked with document frequencies computed without it
    (the need's own words then look as rare as in an unseen city). A generalisation check
    of the text statistics; the weights' own check is ``fitting.cross_validate``."""
    ds = analysed(dataset)
    scores = []
    for need in ds.needs:
        others = [n.text for n in ds.needs if n.id != need.id]
        index = OfferIndex.build(ds.offers, ds.hierarchy, background=others)
        ranked = [
            s.offer_id for s in index.top_offers(need, as_of=ds.as_of, top_k=None, profile=profile)
        ]
        scores.append(ndcg_at_k(ranked, ds.judgments.get(need.id, {}), 10))
    return float(np.mean(scores))


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the matching engine on a dataset.")
    parser.add_argument("path", help="dataset JSON (schema: docs/dataset-format.md)")
    parser.add_argument("--seeds", type=int, default=20, help="random-baseline seeds")
    parser.add_argument("--per-need", action="store_true", help="also print nDCG@10 per need")
    args = parser.parse_args(argv)
    try:
        ds = analysed(load_dataset_features(args.path))
    except DatasetError as exc:
        print(f"dataset error: {exc}", file=sys.stderr)
        return 2
    engine = rank_all(ds)
    tfidf = tfidf_baseline_rankings(ds)
    rows = {
        "engine": evaluate_rankings(engine, ds.judgments),
        "tfidf (char 2-3)": evaluate_rankings(tfidf, ds.judgments),
        f"random (x{args.seeds})": random_baseline_scores(ds, args.seeds),
    }
    reverse_judgments = offer_judgments(ds.judgments)
    reverse = {
        "engine": evaluate_rankings(rank_all_reverse(ds), reverse_judgments),
        "tfidf (char 2-3)": evaluate_rankings(tfidf_reverse_rankings(ds), reverse_judgments),
        f"random (x{args.seeds})": random_baseline_scores(ds, args.seeds, reverse=True),
    }
    print(f"{ds.city}  as_of={ds.as_of}  needs={len(ds.needs)} offers={len(ds.offers)}")
    print(f"{'needs → offers':20s} {'nDCG@10':>8s} {'MRR':>8s} {'P@5':>8s}")
    for name, m in rows.items():
        print(f"{name:20s} {m['ndcg@10']:8.3f} {m['mrr']:8.3f} {m['p@5']:8.3f}")
    print(f"{'offers → needs':20s} ({len(reverse_judgments)} offers that fit some need)")
    for name, m in reverse.items():
        print(f"{name:20s} {m['ndcg@10']:8.3f} {m['mrr']:8.3f} {m['p@5']:8.3f}")
    print("MRR: first post with grade >= 2; P@5: share of top 5 with grade >= 2")
    if args.per_need:
        for n in sorted(ds.judgments):
            e = ndcg_at_k(engine[n], ds.judgments[n])
            t = ndcg_at_k(tfidf[n], ds.judgments[n])
            print(f"  {n}: engine {e:.3f}  tfidf {t:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
