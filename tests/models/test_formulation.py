"""The exact reductions and the warm-start heuristics of coverage.models.formulation, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from coverage.models.formulation import (
    dominated_columns,
    drop_columns,
    greedy_cover,
    improve_by_swaps,
    lp_rounded_cover,
    merge_identical_rows,
)


def csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.concatenate(([0], np.cumsum([len(r) for r in rows]))).astype(np.int64)
    cols = np.array([c for r in rows for c in r], dtype=np.int64)
    return indptr, cols


def test_identical_reach_sets_merge_and_sum_their_need():
    indptr, cols = csr([[0, 1], [1, 0], [2], [0, 1], [2, 0]])
    merged = merge_identical_rows(indptr, cols, np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert merged.n_rows == 3
    assert merged.group.tolist() == [0, 0, 1, 0, 2]
    assert merged.need.tolist() == [7.0, 3.0, 5.0]
    bounds = zip(merged.indptr[:-1], merged.indptr[1:], strict=True)
    assert [sorted(merged.cols[a:b].tolist()) for a, b in bounds] == [[0, 1], [2], [0, 2]]


def test_merging_keeps_departments_apart():
    indptr, cols = csr([[0], [0]])
    merged = merge_identical_rows(indptr, cols, np.ones(2), extra_key=np.array([0, 1]))
    assert merged.n_rows == 2


def test_a_site_reaching_a_subset_of_another_is_dominated():
    # site 0 reaches rows {0}, site 1 rows {0, 1}, site 2 rows {1}, site 3 rows {0, 1} (equal to 1)
    indptr, cols = csr([[0, 1, 3], [1, 2, 3]])
    assert dominated_columns(indptr, cols, 4).tolist() == [True, False, True, True]
    # A forced site stays; a dearer superset does not dominate a cheaper subset.
    assert dominated_columns(indptr, cols, 4, keep=np.array([True, False, False, False]))[0] == False  # noqa: E712
    cost = np.array([1.0, 5.0, 1.0, 5.0])
    assert dominated_columns(indptr, cols, 4, cost=cost).tolist() == [False, False, False, True]
    # Only within the same department.
    group = np.array([0, 1, 1, 1])
    assert dominated_columns(indptr, cols, 4, group=group).tolist() == [False, False, True, True]


def test_dropping_columns_keeps_the_rows():
    indptr, cols = csr([[0, 1], [1], [2]])
    new_indptr, new_cols = drop_columns(indptr, cols, np.array([False, True, False]))
    assert new_indptr.tolist() == [0, 1, 1, 2]
    assert new_cols.tolist() == [0, 2]


def test_greedy_takes_forced_sites_then_the_largest_new_need():
    # rows: need 10 reached by {0, 1}, need 6 by {1}, need 5 by {2}
    indptr, cols = csr([[0, 1], [1], [2]])
    need = np.array([10.0, 6.0, 5.0])
    assert greedy_cover(indptr, cols, need, 3, 1).tolist() == [False, True, False]
    assert greedy_cover(indptr, cols, need, 3, 2, forced=np.array([True, False, False])).tolist() == [
        True,
        True,
        False,
    ]
    assert greedy_cover(indptr, cols, need, 3, 2, allowed=np.array([True, False, True])).tolist() == [
        True,
        False,
        True,
    ]


def test_exchanges_escape_the_greedy_trap():
    # Greedy picks site 0 (rows 0-2, need 9) first; then 1 or 2 add 2 each: 11 in all.
    # Sites 1 and 2 together cover everything: 12.
    indptr, cols = csr([[0, 1], [0, 1], [0, 2], [1], [2]])
    need = np.array([3.0, 3.0, 3.0, 1.0, 2.0])
    start = greedy_cover(indptr, cols, need, 3, 2)
    assert start.tolist()[0] is True
    better = improve_by_swaps(indptr, cols, need, start)
    assert better.tolist() == [False, True, True]
    assert improve_by_swaps(indptr, cols, need, start, locked=np.array([True, False, False]))[0]


@pytest.mark.parametrize("seed", range(5))
def test_exchanges_never_lose_coverage_and_keep_the_count(seed):
    rng = np.random.default_rng(seed)
    rows = [sorted(set(rng.integers(0, 12, rng.integers(1, 4)).tolist())) for _ in range(40)]
    indptr, cols = csr(rows)
    need = rng.integers(1, 20, 40).astype(float)

    def covered(chosen: np.ndarray) -> float:
        return float(sum(need[i] for i, r in enumerate(rows) if chosen[r].any()))

    start = greedy_cover(indptr, cols, need, 12, 4)
    better = improve_by_swaps(indptr, cols, need, start)
    assert better.sum() == start.sum() == 4
    assert covered(better) >= covered(start)


def test_lp_rounding_picks_the_lp_sites_and_honours_forced_and_allowed():
    # rows: need 10 reached by {0}, need 6 by {1}, need 5 by {2}: the LP opens 0 and 1 for count 2.
    indptr, cols = csr([[0], [1], [2]])
    need = np.array([10.0, 6.0, 5.0])
    assert lp_rounded_cover(indptr, cols, need, 3, 2).tolist() == [True, True, False]
    forced = np.array([False, False, True])
    assert lp_rounded_cover(indptr, cols, need, 3, 2, forced=forced).tolist() == [True, False, True]
    allowed = np.array([True, False, True])
    assert lp_rounded_cover(indptr, cols, need, 3, 2, allowed=allowed).tolist() == [True, False, True]
