"""Component weights learned from a labelled dataset, and how well they generalise.

The score is linear in the weights (``scoring.py``): for a need, each offer's component
values form a row of a matrix ``X`` and the ranking orders ``X · w``. The values do not
depend on the weights, so they are computed once (every offer for every need, no pruning,
fairness off), and a fit only re-sorts small matrices.

**The fit** (``fit``) learns from every pair of offers the judgments grade differently for
a need (a grade-2 partner should score above a grade-0 one): a pairwise logistic loss
(RankNet) on the score difference, each pair weighed by its gain difference 2^g − 2^g'
(the top grades matter most, as in nDCG) and each need counting the same. The weights are
positive (fitted as logarithms) and normalised; a ridge pull towards the hand-set weights
(``HAND_WEIGHTS``, set from the judging guidelines) keeps them where the few needs do not
say otherwise. Pairs carry far more information than the top-10 of 8 needs: a direct
search on nDCG@10 overfits them (``docs/matching.md``). L-BFGS from the prior:
deterministic. A component whose values are the same for every pair of the data
(capacity, when no offer runs a collaboration) cannot be learned and keeps its prior share.

**Cross-validation** (``cross_validate``): leave one need out — the weights are fitted on the
other needs and rank the one left out; the figures are the means over the needs left out,
i.e. what to expect for a need the fit never saw. For the other direction (offers → needs,
what an NPO sees), each need's scores come from the weights fitted without that need.

Nothing in the fit knows an id, an organization, an area code or a word: only the component
values and the grades.

CLI: ``python -m matching.engine.fitting tests/data/dev.json [--write] [--ablations]``
prints the cross-validated figures and (``--write``) writes ``data/weights.json``, the
weights the engine reads.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from matching.engine.evaluate import (
    Dataset,
    DatasetError,
    Judgments,
    analysed,
    evaluate_rankings,
    load_dataset_features,
    offer_judgments,
    tfidf_baseline_rankings,
    tfidf_reverse_rankings,
)
from matching.engine.index import NeedIndex, OfferIndex, post_text
from matching.engine.scoring import (
    COMPONENTS,
    ENGINE_VERSION,
    EVALUATION_PROFILE,
    HAND_WEIGHTS,
    WEIGHTS_PATH,
    MatchingProfile,
    Weights,
)
from matching.engine.text import Lexicon, build_lexicon, default_lexicon_data

# How sharply a score difference decides a pair (a difference of 0.1 is a logit of 1).
SCALE = 10.0
# Pull of each log-weight towards the prior's (ridge): with few needs, many weight vectors
# order the pairs about as well; the one nearest the judgment-based prior wins.
PRIOR_PULL = 0.1 / 9


@dataclass(frozen=True)
class PairValues:
    """The component values of every candidate for one query post: ``ids`` in the order
    the engine filters them (eligible ones), ``values`` one row per id (``COMPONENTS``
    order), ``excluded`` the candidates a hard filter removes (ranked last, by id)."""

    ids: tuple[str, ...]
    values: np.ndarray
    excluded: tuple[str, ...]


def _profile() -> MatchingProfile:
    # Every component on (any positive weight: the values do not depend on them), no
    # score floor, no fairness: the values of every eligible pair.
    return replace(EVALUATION_PROFILE, weights=Weights(**dict.fromkeys(COMPONENTS, 1.0)))


def pair_values(dataset: Dataset, lexicon: Lexicon | None = None) -> dict[str, PairValues]:
    """Need id → the component values of every offer for it (as ``rank_all`` ranks)."""
    ds = _analysed(dataset, lexicon)
    index = OfferIndex.build(
        ds.offers, ds.hierarchy, background=[n.text for n in ds.needs], lexicon=lexicon
    )
    all_ids = sorted(o.id for o in ds.offers)
    out: dict[str, PairValues] = {}
    for need in ds.needs:
        found = index.top_offers(need, as_of=ds.as_of, top_k=None, profile=_profile())
        out[need.id] = _values(found, "offer_id", all_ids)
    return out


def reverse_pair_values(dataset: Dataset, lexicon: Lexicon | None = None) -> dict[str, PairValues]:
    """Offer id → the component values of every need for it (``NeedIndex.top_needs``)."""
    ds = _analysed(dataset, lexicon)
    index = NeedIndex.build(
        ds.needs, ds.hierarchy, background=[o.text for o in ds.offers], lexicon=lexicon
    )
    all_ids = sorted(n.id for n in ds.needs)
    out: dict[str, PairValues] = {}
    for offer in ds.offers:
        found = index.top_needs(offer, as_of=ds.as_of, top_k=None, profile=_profile())
        out[offer.id] = _values(found, "need_id", all_ids)
    return out


def _analysed(dataset: Dataset, lexicon: Lexicon | None) -> Dataset:
    if lexicon is None:
        return analysed(dataset)
    needs = tuple(replace(n, text=post_text(replace(n, text=None), lexicon)) for n in dataset.needs)
    offers = tuple(
        replace(o, text=post_text(replace(o, text=None), lexicon)) for o in dataset.offers
    )
    return replace(dataset, needs=needs, offers=offers)


def _values(found, attr: str, all_ids: list[str]) -> PairValues:
    ids = tuple(getattr(s, attr) for s in found)
    values = np.asarray(
        [
            [next(c.value for c in s.components if c.name == name) for name in COMPONENTS]
            for s in found
        ],
        dtype=np.float64,
    ).reshape(len(found), len(COMPONENTS))
    seen = set(ids)
    return PairValues(ids, values, tuple(i for i in all_ids if i not in seen))


def ranking(pairs: PairValues, weights: Mapping[str, float]) -> list[str]:
    """The ids best first under ``weights`` (ties by id, as the engine breaks them)."""
    w = np.asarray([weights[c] for c in COMPONENTS], dtype=np.float64)
    total = w.sum()
    scores = pairs.values @ (w / total) if total > 0 else np.zeros(len(pairs.ids))
    order = sorted(range(len(pairs.ids)), key=lambda i: (-scores[i], pairs.ids[i]))
    return [pairs.ids[i] for i in order] + list(pairs.excluded)


def _shares(weights: Mapping[str, float]) -> np.ndarray:
    w = np.asarray([weights[c] for c in COMPONENTS], dtype=np.float64)
    return w / w.sum()


def learnable(values: Mapping[str, PairValues]) -> tuple[str, ...]:
    """The components whose values differ between some pairs (others cannot be learned)."""
    rows = [v.values for v in values.values() if len(v.ids)]
    if not rows:
        return ()
    stacked = np.vstack(rows)
    return tuple(c for i, c in enumerate(COMPONENTS) if np.ptp(stacked[:, i]) > 1e-12)


def _pairs(
    values: Mapping[str, PairValues], judgments: Judgments, queries: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Differences of component values (better − worse) of every pair of candidates with
    different grades, and their weights: the gain difference 2^g − 2^g' (a grade-3 partner
    above a grade-0 one matters most), each query's pairs summing to 1 (each need counts
    the same)."""
    diffs, weights = [], []
    for q in queries:
        pv = values[q]
        grades = np.asarray([judgments[q].get(i, 0) for i in pv.ids])
        better, worse = np.nonzero(grades[:, None] > grades[None, :])
        if len(better) == 0:
            continue
        gain = (2.0 ** grades[better] - 2.0 ** grades[worse]).astype(np.float64)
        diffs.append(pv.values[better] - pv.values[worse])
        weights.append(gain / gain.sum())
    if not diffs:
        return np.zeros((0, len(COMPONENTS))), np.zeros(0)
    return np.vstack(diffs), np.concatenate(weights) / len(diffs)


def fit(
    values: Mapping[str, PairValues],
    judgments: Judgments,
    queries: Sequence[str] | None = None,
    prior: Mapping[str, float] = HAND_WEIGHTS,
    off: Sequence[str] = (),
) -> dict[str, float]:
    """Weights learned from the training queries (see the module docstring): a pairwise
    logistic loss (RankNet) over every pair of candidates with different grades, on the
    normalised weights, plus a pull towards the prior; L-BFGS from the prior, so the same
    data gives the same weights. ``off``: components held at 0 (ablations)."""
    queries = sorted(queries if queries is not None else judgments)
    total = sum(prior[c] for c in COMPONENTS)
    base = np.asarray([prior[c] / total for c in COMPONENTS], dtype=np.float64)
    free = [i for i, c in enumerate(COMPONENTS) if c in learnable(values) and c not in off]
    fixed = base.copy()
    fixed[[i for i, c in enumerate(COMPONENTS) if c in off]] = 0.0
    diffs, weights = _pairs(values, judgments, queries)
    theta0 = np.log(base[free])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = fixed.copy()
        w[free] = np.exp(theta)
        total_w = w.sum()
        shares = w / total_w
        margin = SCALE * (diffs @ shares)
        # log(1 + e^-m) and its derivative, stable for large |m|.
        value = float(weights @ np.logaddexp(0.0, -margin))
        d_margin = -weights * (1.0 / (1.0 + np.exp(margin)))
        d_shares = SCALE * (d_margin @ diffs)
        # shares = w / Σw, w_free = e^θ: ∂share_j/∂θ_i = s_i (δij − s_j) over free i.
        s_free = shares[free]
        grad = s_free * (d_shares[free] - d_shares @ shares)
        value += PRIOR_PULL * float(np.sum(np.square(theta - theta0)))
        grad = grad + 2 * PRIOR_PULL * (theta - theta0)
        return value, grad

    theta = theta0
    if free and len(weights):
        result = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        theta = result.x
    out = fixed.copy()
    free_w = np.exp(theta)
    if free and free_w.sum() > 0:
        # A component the data cannot tell about adds the same to every score: it keeps its
        # prior share, the learned ones share the rest in the proportions learned.
        out[free] = free_w / free_w.sum() * max(0.0, 1.0 - (out.sum() - out[free].sum()))
    out /= out.sum()
    return {c: float(out[i]) for i, c in enumerate(COMPONENTS)}


@dataclass(frozen=True)
class CrossValidation:
    """Figures of one way of setting the weights, each need ranked by weights that never
    saw its judgments (``rankings``), and the reverse direction (``reverse``)."""

    rankings: dict[str, list[str]]
    folds: dict[str, dict[str, float]]  # need id left out → the weights fitted without it
    reverse: dict[str, list[str]]

    def metrics(self, judgments: Judgments) -> dict[str, float]:
        return evaluate_rankings(self.rankings, judgments)


def cross_validate(
    values: Mapping[str, PairValues],
    judgments: Judgments,
    reverse_values: Mapping[str, PairValues] | None = None,
    prior: Mapping[str, float] = HAND_WEIGHTS,
    off: Sequence[str] = (),
    learn: bool = True,
) -> CrossValidation:
    """Leave one need out (``learn=False``: the prior for every fold, i.e. no fitting)."""
    needs = sorted(judgments)
    folds: dict[str, dict[str, float]] = {}
    rankings: dict[str, list[str]] = {}
    for need in needs:
        others = [n for n in needs if n != need]
        if learn:
            weights = fit(values, judgments, others, prior, off)
        else:
            weights = {c: (0.0 if c in off else float(prior[c])) for c in COMPONENTS}
        folds[need] = weights
        rankings[need] = ranking(values[need], weights)
    reverse: dict[str, list[str]] = {}
    for offer, pairs in (reverse_values or {}).items():
        scores = {}
        for i, need in enumerate(pairs.ids):
            w = folds.get(need) or next(iter(folds.values()))
            shares = _shares(w)
            scores[need] = float(pairs.values[i] @ shares)
        order = sorted(pairs.ids, key=lambda n: (-scores[n], n))
        reverse[offer] = order + list(pairs.excluded)
    return CrossValidation(rankings, folds, reverse)


# --------------------------------------------------------------------------- report


def formats_off_lexicon() -> Lexicon:
    """The bundled dictionary with formats weighed like subjects (an ablation)."""
    data = default_lexicon_data()
    data["formats"] = {}
    data["format_weight"] = 1.0
    return build_lexicon(data)


def study(dataset: Dataset, ablations: bool = False) -> dict:
    """Everything ``--write`` records and the docs report: the learned weights (fitted on
    every need), the cross-validated figures of learned and hand-set weights beside the
    TF-IDF baseline, both directions, and (``ablations``) each component off."""
    ds = analysed(dataset)
    values = pair_values(ds)
    reverse_values = reverse_pair_values(ds)
    judgments = ds.judgments
    reverse_judgments = offer_judgments(judgments)
    learned = fit(values, judgments)
    cv = cross_validate(values, judgments, reverse_values)
    hand = cross_validate(values, judgments, reverse_values, learn=False)
    tfidf = tfidf_baseline_rankings(ds)
    rows = {
        "learned weights (cross-validated)": (
            cv.metrics(judgments),
            evaluate_rankings(cv.reverse, reverse_judgments),
        ),
        "hand-set weights": (
            hand.metrics(judgments),
            evaluate_rankings(hand.reverse, reverse_judgments),
        ),
        "TF-IDF char 2-3-gram": (
            evaluate_rankings(tfidf, judgments),
            evaluate_rankings(tfidf_reverse_rankings(ds), reverse_judgments),
        ),
    }
    out = {
        "learned": learned,
        "learnable": list(learnable(values)),
        "rows": rows,
        "folds": cv.folds,
    }
    if ablations:
        table = {}
        for c in COMPONENTS:
            off = cross_validate(values, judgments, reverse_values, off=[c])
            table[c] = (
                off.metrics(judgments),
                evaluate_rankings(off.reverse, reverse_judgments),
            )
        lexicon = formats_off_lexicon()
        plain = cross_validate(
            pair_values(dataset, lexicon), judgments, reverse_pair_values(dataset, lexicon)
        )
        table["formats (weighed like subjects)"] = (
            plain.metrics(judgments),
            evaluate_rankings(plain.reverse, reverse_judgments),
        )
        out["ablations"] = table
    return out


def weights_document(dataset: Dataset, result: dict, source: str) -> dict:
    """The content of ``data/weights.json`` (no date: the same data gives the same file)."""
    learned = result["learned"]
    total = sum(learned.values())
    return {
        "engine": ENGINE_VERSION,
        "dataset": f"{source} ({dataset.city}, {len(dataset.needs)} needs × "
        f"{len(dataset.offers)} offers)",
        "method": f"pairwise logistic loss (RankNet, scale {SCALE}) on graded pairs, gain "
        f"weighted, ridge pull {PRIOR_PULL:.4f} to the hand-set prior, L-BFGS; python -m "
        "matching.engine.fitting",
        "weights": {c: round(learned[c], 6) for c in COMPONENTS},
        "shares": {c: round(learned[c] / total, 4) for c in COMPONENTS},
        "prior": dict(HAND_WEIGHTS),
        "learnable": result["learnable"],
        "cross_validated": {
            name: {
                "needs_to_offers": {k: round(v, 4) for k, v in fwd.items()},
                "offers_to_needs": {k: round(v, 4) for k, v in rev.items()},
            }
            for name, (fwd, rev) in result["rows"].items()
        },
    }


def _print_rows(title: str, rows: Mapping[str, tuple[dict, dict]]) -> None:
    print(title)
    print(f"{'':36} {'needs → offers':>26}   {'offers → needs':>26}")
    print(f"{'':36} {'nDCG@10':>8} {'MRR':>8} {'P@5':>8}   {'nDCG@10':>8} {'MRR':>8} {'P@5':>8}")
    for name, (fwd, rev) in rows.items():
        print(
            f"{name:36} {fwd['ndcg@10']:8.3f} {fwd['mrr']:8.3f} {fwd['p@5']:8.3f}   "
            f"{rev['ndcg@10']:8.3f} {rev['mrr']:8.3f} {rev['p@5']:8.3f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Learn the component weights on a dataset.")
    parser.add_argument("path", help="labelled dataset (docs/dataset-format.md)")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_PATH}")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="weights file to write")
    parser.add_argument("--ablations", action="store_true", help="each component off, refitted")
    args = parser.parse_args(argv)
    try:
        dataset = load_dataset_features(args.path)
    except DatasetError as exc:
        print(f"dataset error: {exc}", file=sys.stderr)
        return 2
    result = study(dataset, ablations=args.ablations)
    print(f"{dataset.city}: {len(dataset.needs)} needs × {len(dataset.offers)} offers")
    total = sum(result["learned"].values())
    print(
        "learned shares: "
        + ", ".join(f"{c} {result['learned'][c] / total:.3f}" for c in COMPONENTS)
    )
    _print_rows("cross-validated (leave one need out)", result["rows"])
    if args.ablations:
        _print_rows(
            "ablations: the component off, the others refitted (cross-validated)",
            {f"without {c}": v for c, v in result["ablations"].items()},
        )
    if args.write:
        doc = weights_document(dataset, result, Path(args.path).name)
        args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"weights written to {args.out}")
    if not math.isfinite(result["rows"]["learned weights (cross-validated)"][0]["ndcg@10"]):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
