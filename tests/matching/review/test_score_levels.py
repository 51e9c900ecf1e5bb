"""Scores in words for the review page: the thresholds live in one place."""

from __future__ import annotations

import pytest

from matching.review.services import SCORE_LEVELS, group_by_theme, score_level


@pytest.mark.parametrize(
    ("score", "code", "label"),
    [(1.0, "high", "高い"), (0.6, "high", "高い"), (0.59, "medium", "中程度"),
     (0.5, "medium", "中程度"), (0.49, "low", "低い"), (0.0, "low", "低い")],
)  # fmt: skip
def test_score_level_words(score, code, label):
    level = score_level(score)
    assert (level.code, level.label) == (code, label)


def test_levels_are_ordered_highest_first():
    bounds = [bound for bound, _code, _label in SCORE_LEVELS]
    assert bounds == sorted(bounds, reverse=True) and bounds[-1] == 0.0


def test_group_by_theme_keeps_the_best_first():
    # (suggestion id, need id), best first
    assert group_by_theme([(5, 2), (3, 1), (9, 2), (4, 1), (7, 3)]) == [
        (2, [5, 9]),
        (1, [3, 4]),
        (3, [7]),
    ]
