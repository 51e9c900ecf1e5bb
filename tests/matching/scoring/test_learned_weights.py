"""The deployment ranks with the learned weights until a coordinator edits the profile, and
``evaluate_matching`` reports both directions and the cross-validated figures."""

from __future__ import annotations

import json

import pytest
from conftest import dev_dataset

from matching import engine
from matching.engine import evaluate as offline
from matching.engine.scoring import learned_weights
from matching.models import MatchingProfile
from matching.scoring import evaluation
from matching.scoring.features import engine_profile, profile_weights


@pytest.mark.django_db
def test_a_profile_never_edited_ranks_with_the_learned_weights():
    profile = MatchingProfile.objects.create(name="標準テスト", is_active=False)
    weights = profile_weights(profile)
    learned = learned_weights()
    for c in engine.COMPONENTS:
        assert weights[c] == pytest.approx(learned[c])
    assert weights["semantic"] > 0
    assert engine_profile(profile).weights.normalized()["semantic"] == pytest.approx(
        learned["semantic"] / sum(learned.values())
    )


@pytest.mark.django_db
def test_an_edited_profile_is_used_as_written_with_semantic_at_its_learned_share():
    profile = MatchingProfile.objects.create(name="編集済み", is_active=False, w_area=0.5)
    weights = profile_weights(profile)
    assert weights["area"] == 0.5 and weights["text"] == profile.w_text
    learned = learned_weights()
    share = learned["semantic"] / sum(learned.values())
    normalized = engine_profile(profile).weights.normalized()
    assert normalized["semantic"] == pytest.approx(share)
    assert weights["fairness"] == profile.fairness


def test_the_report_shows_both_directions_and_cross_validated_figures():
    data = json.loads(dev_dataset().read_text(encoding="utf-8"))
    dataset = offline.analysed(offline.dataset_from_json(data))
    text = evaluation.report(
        data,
        offline.rank_all(dataset),
        seeds=2,
        reverse=offline.rank_all_reverse(dataset),
        cross_validate=True,
    )
    rows = {line.split("  ")[0].strip(): line.split() for line in text.splitlines()}
    for name in (
        "engine (つなぐ)",
        "engine (つなぐ), offers → needs",
        "TF-IDF, offers → needs",
        "learned weights (CV)",
        "hand-set weights",
        "learned weights (CV), offers → needs",
    ):
        assert name in rows, text
    cv = float(rows["learned weights (CV)"][-3])
    tfidf = float(rows["TF-IDF char 2-3-gram"][-3])
    assert cv >= tfidf + 0.08
    assert float(rows["engine (つなぐ), offers → needs"][-3]) > float(
        rows["TF-IDF, offers → needs"][-3]
    )
