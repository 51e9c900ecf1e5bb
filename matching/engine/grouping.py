"""Seating organizations at tables: split n people into tables of given sizes so that the
sum of a pairwise weight over the pairs at each table is as large as possible.

Pure NumPy (no Django): ``meetings.tables`` builds the weights from the engine's scores
and explains the result. The problem (max-sum graph partitioning with fixed sizes) is
NP-hard; the heuristic is a well-known one: greedy seeding — the table seeds are the
people that fit each other least (so that each table grows around a different subject),
then each person, most connected first, joins the table where they add most — followed by
local search: the best swap of two people between tables, repeated while one improves
the total. Deterministic (ties by index).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MIN_TABLE = 4
MAX_TABLE = 6
# Local search stops after this many swaps (far more than a meeting of 100 needs).
MAX_SWAPS = 2000


def table_sizes(n: int) -> list[int]:
    """Sizes of the tables for ``n`` organizations: 4–6 each, as even as possible, largest
    first ([] for none, one table below 4; 7 → [4, 3], the only count 4–6 cannot cover)."""
    if n <= 0:
        return []
    count = max(1, math.ceil(n / MAX_TABLE))
    base, extra = divmod(n, count)
    return [base + 1] * extra + [base] * (count - extra)


def split(weight: np.ndarray, sizes: Sequence[int]) -> list[list[int]]:
    """Indexes 0…n−1 split into tables of ``sizes``, maximising the sum of ``weight`` over
    the pairs at each table: greedy seeding, then the best swaps while one improves.
    Deterministic."""
    n = len(weight)
    if not sizes:
        return []
    degree = weight.sum(axis=1)
    # Most connected first; ties by index (= organization id order).
    order = sorted(range(n), key=lambda i: (-degree[i], i))
    tables: list[list[int]] = [[] for _ in sizes]
    # Seeds: the most connected organization, then each next one fitting the seeds least.
    seeds = [order[0]]
    while len(seeds) < len(sizes):
        rest = [i for i in order if i not in seeds]
        seeds.append(min(rest, key=lambda i: (max(weight[i, s] for s in seeds), -degree[i], i)))
    for table, seed in zip(tables, seeds, strict=True):
        table.append(seed)
    for i in order:
        if i in seeds:
            continue
        open_tables = [t for t in range(len(sizes)) if len(tables[t]) < sizes[t]]
        # Where it adds most; then the emptier table; then the lower number.
        target = max(
            open_tables,
            key=lambda t: (weight[i, tables[t]].sum(), -len(tables[t]), -t),
        )
        tables[target].append(i)
    return _swap(weight, tables)


def _swap(weight: np.ndarray, tables: list[list[int]]) -> list[list[int]]:
    """Local search: apply the best improving swap of two organizations between two
    tables until none improves the total (the first best pair in index order on ties)."""
    n = len(weight)
    where = np.empty(n, dtype=np.int64)
    for t, members in enumerate(tables):
        where[members] = t
    everyone = np.arange(n)
    for _step in range(MAX_SWAPS):
        # sums[i, t]: what i gains from the members of table t (itself excluded: w[i, i] = 0)
        sums = np.zeros((n, len(tables)))
        for t in range(len(tables)):
            sums[:, t] = weight[:, where == t].sum(axis=1)
        own = sums[everyone, where]
        # gain[i, j] of swapping i (table a) and j (table b): i leaves a for b without
        # counting j, and j leaves b for a without counting i.
        toward = sums[:, where]  # toward[i, j] = sums[i, table of j]
        gain = (toward - weight - own[:, None]) + (toward.T - weight.T - own[None, :])
        gain[where[:, None] >= where[None, :]] = -np.inf  # each pair of tables once
        best = int(np.argmax(gain))
        i, j = divmod(best, n)
        if not gain[i, j] > 1e-9:
            break
        a, b = int(where[i]), int(where[j])
        tables[a][tables[a].index(i)] = j
        tables[b][tables[b].index(j)] = i
        where[i], where[j] = b, a
    return [sorted(members) for members in tables]


def total(weight: np.ndarray, tables: Sequence[Sequence[int]]) -> float:
    """Σ of ``weight`` over the pairs seated at one table."""
    return float(
        sum(
            weight[a, b]
            for members in tables
            for x, a in enumerate(members)
            for b in members[x + 1 :]
        )
    )
