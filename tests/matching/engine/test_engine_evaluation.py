"""Evaluation helpers on hand-computed examples, dataset validation, and the dev-set guard."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from matching.engine.evaluate import (
    DatasetError,
    dataset_from_json,
    evaluate_rankings,
    load_dataset_features,
    main,
    mrr,
    ndcg_at_k,
    precision_at_k,
    random_baseline_rankings,
    random_baseline_scores,
    rank_all,
    tfidf_baseline_rankings,
)


@pytest.fixture
def dev_path() -> Path:
    from conftest import dev_dataset

    return dev_dataset()


def test_ndcg_hand_computed():
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at_k(["a", "b", "c", "x"], grades, 10) == pytest.approx(1.0)
    # Ranking x, a: DCG = 3/log2(3); ideal = 3 + 2/log2(3) + 1/2.
    dcg = 3 / math.log2(3)
    ideal = 3 + 2 / math.log2(3) + 0.5
    assert ndcg_at_k(["x", "a"], grades, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["x"], {}, 10) == 0.0
    # Only the first k count.
    assert ndcg_at_k(["x", "a"], {"a": 3}, 1) == 0.0


def test_mrr_and_precision_hand_computed():
    grades = {"a": 1, "b": 2, "c": 3}
    assert mrr(["a", "b", "c"], grades) == pytest.approx(1 / 2)  # first grade ≥ 2 at rank 2
    assert mrr(["a", "b"], grades, min_grade=1) == 1.0
    assert mrr(["x"], grades) == 0.0
    assert precision_at_k(["a", "b", "c", "x", "y"], grades, 5) == pytest.approx(2 / 5)
    assert precision_at_k(["c"], grades, 5) == pytest.approx(1 / 5)


def test_evaluate_rankings_averages_over_needs():
    m = evaluate_rankings({"n1": ["a"], "n2": ["x", "b"]}, {"n1": {"a": 3}, "n2": {"b": 2}})
    assert m["mrr"] == pytest.approx((1 + 0.5) / 2)


def _tiny() -> dict:
    return {
        "version": 1,
        "city": "テスト市",
        "as_of": "2025-04-01",
        "areas": [{"code": "a", "name": "A区"}],
        "fields": [{"code": "welfare", "name": "福祉"}],
        "forms": [{"code": "cooperation", "name": "事業協力"}],
        "organizations": [
            {
                "id": "org-1",
                "name": "市",
                "kind": "city_department",
                "areas": ["a"],
                "fields": [],
                "description": "",
            },
            {
                "id": "org-2",
                "name": "会",
                "kind": "citizen_group",
                "areas": ["a"],
                "fields": [],
                "description": "",
            },
        ],
        "needs": [
            {
                "id": "need-1",
                "organization": "org-1",
                "title": "高齢者の見守り",
                "description": "見守り",
                "fields": ["welfare"],
                "areas": ["a"],
                "forms": ["cooperation"],
                "starts_on": "2025-04-01",
                "ends_on": "2025-12-31",
            }
        ],
        "offers": [
            {
                "id": "offer-1",
                "organization": "org-2",
                "title": "シニア訪問",
                "description": "訪問",
                "fields": ["welfare"],
                "areas": ["a"],
                "forms": ["cooperation"],
                "available_from": "2025-04-01",
                "available_until": "2026-03-31",
                "capacity": 1,
            }
        ],
        "judgments": {"need-1": {"offer-1": 3}},
    }


def test_dataset_loads_and_ranks_every_offer():
    ds = dataset_from_json(_tiny())
    assert rank_all(ds) == {"need-1": ["offer-1"]}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("as_of"), "top level: missing key 'as_of'"),
        (
            lambda d: d["needs"][0].update(starts_on="2025/04/01"),
            "needs[0].starts_on: not a YYYY-MM-DD",
        ),
        (lambda d: d["offers"][0].update(forms=["lunch"]), "offers[0].forms: unknown code 'lunch'"),
        (
            lambda d: d["offers"][0].update(organization="org-9"),
            "offers[0].organization: unknown organization",
        ),
        (lambda d: d["judgments"]["need-1"].update({"offer-1": 5}), "grade must be 0–3"),
        (lambda d: d["offers"][0].update(capacity="2"), "offers[0].capacity: expected int"),
    ],
)
def test_schema_errors_name_the_first_problem(mutate, message):
    d = _tiny()
    mutate(d)
    with pytest.raises(DatasetError, match=re.escape(message)):
        dataset_from_json(d)


def test_random_baseline_is_seeded():
    ds = dataset_from_json(_tiny())
    assert random_baseline_rankings(ds, 1) == random_baseline_rankings(ds, 1)


def test_engine_on_dev_set_reaches_target_and_beats_tfidf(dev_path):
    ds = load_dataset_features(dev_path)
    engine = evaluate_rankings(rank_all(ds), ds.judgments)
    tfidf = evaluate_rankings(tfidf_baseline_rankings(ds), ds.judgments)
    rand = random_baseline_scores(ds, 5)
    assert engine["ndcg@10"] >= 0.85
    assert engine["ndcg@10"] >= tfidf["ndcg@10"] + 0.10
    assert engine["ndcg@10"] > rand["ndcg@10"] + 0.5
    # Every need's list holds every offer exactly once.
    for ranking in rank_all(ds).values():
        assert sorted(ranking) == sorted(o.id for o in ds.offers)


def test_cli_prints_the_side_by_side_table(capsys, tmp_path, dev_path):
    assert main([str(dev_path), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "engine" in out and "tfidf" in out and "random" in out and "nDCG@10" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 2}), encoding="utf-8")
    assert main([str(bad)]) == 2
