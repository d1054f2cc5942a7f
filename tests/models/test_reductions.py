"""The dominated-site reduction: exact against its definition, and bounded in memory (issue 13, item 4)."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.models.reductions import dominated_columns


def brute_force(sets: list[set[int]], cost: np.ndarray, group: np.ndarray, keep: np.ndarray) -> list[bool]:
    """Column j dominated: some k != j reaches every row j reaches, costs no more, same group, ordered."""
    out = []
    for j, rows_j in enumerate(sets):
        found = False
        for k, rows_k in enumerate(sets):
            if k == j or not rows_j or not rows_j <= rows_k or cost[k] > cost[j] or group[k] != group[j]:
                continue
            if len(rows_k) > len(rows_j) or cost[k] < cost[j] or k < j:
                found = True
        out.append(found and not keep[j])
    return out


@st.composite
def reach_case(draw: st.DrawFn):
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 8))
    rows = [sorted(draw(st.sets(st.integers(0, n_cols - 1), max_size=n_cols))) for _ in range(n_rows)]
    cost = np.array(draw(st.lists(st.sampled_from([1.0, 2.0]), min_size=n_cols, max_size=n_cols)))
    group = np.array(draw(st.lists(st.integers(0, 1), min_size=n_cols, max_size=n_cols)))
    keep = np.array(draw(st.lists(st.booleans(), min_size=n_cols, max_size=n_cols)))
    block = draw(st.integers(1, 40))
    return rows, n_cols, cost, group, keep, block


@settings(max_examples=200, deadline=None)
@given(reach_case())
def test_dominated_sites_match_the_definition_in_blocks_of_any_size(case):
    rows, n_cols, cost, group, keep, block = case
    indptr = np.concatenate(([0], np.cumsum([len(r) for r in rows]))).astype(np.int64)
    cols = np.array([c for r in rows for c in r], dtype=np.int64)
    sets = [{i for i, r in enumerate(rows) if j in r} for j in range(n_cols)]
    expected = brute_force(sets, cost, group, keep)
    whole = dominated_columns(indptr, cols, n_cols, keep=keep, group=group, cost=cost)
    assert whole.tolist() == expected
    # Small blocks may leave a costly site untested (kept), never drop one wrongly.
    got = dominated_columns(indptr, cols, n_cols, keep=keep, group=group, cost=cost, block_entries=block)
    assert not (got & ~np.array(expected, dtype=bool)).any()
    if block >= len(cols) * n_cols:
        assert got.tolist() == expected


def test_clustered_sites_never_build_the_dense_site_by_site_product():
    # 4,000 sites all reaching the same three units: A^T A has 16 million entries
    # (about 190 MB as a sparse product); in blocks of 100,000 entries it stays small.
    n_sites = 4_000
    cols = np.tile(np.arange(n_sites), 3)
    indptr = np.arange(4, dtype=np.int64) * n_sites
    tracemalloc.start()
    got = dominated_columns(indptr, cols, n_sites, block_entries=100_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert got.tolist() == [False] + [True] * (n_sites - 1)  # equal sets: the lowest index stays
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


def test_a_spent_work_budget_keeps_the_untested_sites():
    indptr = np.array([0, 2, 3], dtype=np.int64)
    cols = np.array([0, 1, 1], dtype=np.int64)  # site 0 reaches {0}, site 1 reaches {0, 1}
    assert dominated_columns(indptr, cols, 2).tolist() == [True, False]
    assert dominated_columns(indptr, cols, 2, total_entries=0).tolist() == [False, False]
    assert dominated_columns(indptr, cols, 2, deadline=0.0).tolist() == [False, False]
