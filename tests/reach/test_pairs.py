"""Reach: the record of unit-site pairs, its orderings, matrices and filters."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.errors import LayerValidationError
from coverage.reach.layers import build_reach
from coverage.reach.pairs import Reach
from coverage.reach.rules import (
    Decay,
    Radius,
)
from reach_helpers import pairs, small_layers


@pytest.fixture()
def small():
    """u0 at the origin, u1 3 km east, u2 10 km east; s0 at (0, 4 km), s1 at 6 km east."""
    return small_layers()


# -- the Reach record -------------------------------------------------------------


def test_from_dense_keeps_finite_pairs_within_the_limit():
    distances = np.array([[3.0, np.inf, 1.0], [np.inf, np.inf, np.inf], [2.0, 2.0, 9.0]])
    reach = Reach.from_dense(["a", "b", "c"], ["x", "y", "z"], distances, max_distance=5, unit="min")
    # ties (c-x, c-y at 2.0) are ordered by site
    assert pairs(reach) == [("a", "z", 1.0), ("a", "x", 3.0), ("c", "x", 2.0), ("c", "y", 2.0)]
    assert reach.unit == "min" and reach.rule == "within 5 min"
    assert Reach.from_dense(["a", "b", "c"], ["x", "y", "z"], distances).n_pairs == 5
    with pytest.raises(ValueError, match=r"distances has shape \(3, 3\), expected \(2, 3\)"):
        Reach.from_dense(["a", "b"], ["x", "y", "z"], distances)


def test_matrix_in_every_flavour():
    reach = Reach.from_dense(["a", "b"], ["x", "y", "z"], [[3.0, np.inf, 1.0], [np.inf, 4.0, np.inf]])
    for values, expected in [
        ("dist", [[3, 0, 1], [0, 4, 0]]),
        ("ones", [[1, 0, 1], [0, 1, 0]]),
        ("weight", [[1, 0, 1], [0, 1, 0]]),
    ]:
        matrix = reach.matrix(values)  # type: ignore[arg-type]
        assert isinstance(matrix, sp.csr_array) and matrix.shape == (2, 3)
        assert matrix.toarray().tolist() == expected


def test_within_keeps_ids_and_weights():
    reach = Reach.from_dense(["a", "b"], ["x", "y"], [[1.0, 3.0], [2.0, 5.0]]).with_decay(Decay("linear", 10))
    closer = reach.within(2.5)
    assert pairs(closer) == [("a", "x", 1.0), ("b", "x", 2.0)]
    np.testing.assert_allclose(closer.weight, [0.9, 0.8])
    assert list(closer.site_ids) == ["x", "y"] and closer.n_demand == 2
    assert closer.rule == "all pairs, linear decay (scale 10), within 2.5 m"


def test_from_pairs_names_unknown_ids():
    reach = Reach.from_pairs(["a", "b"], ["x"], ["b", "a"], ["x", "x"], [7.0, 2.0])
    assert pairs(reach) == [("a", "x", 2.0), ("b", "x", 7.0)]
    with pytest.raises(LayerValidationError, match="pairs: 1 origin ids are not demand unit ids: 'c'"):
        Reach.from_pairs(["a"], ["x"], ["c"], ["x"], [1.0])


def test_from_arrays_sorts_by_row_distance_then_site():
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 50, 2000)
    cols = rng.permutation(2000) % 300
    dist = rng.integers(0, 5, 2000).astype(float)  # many ties: resolved by site
    unique = np.unique(rows * 1000 + cols, return_index=True)[1]
    reach = Reach.from_arrays(range(50), range(300), rows[unique], cols[unique], dist[unique])
    order = np.lexsort((cols[unique], dist[unique], rows[unique]))
    assert reach.rows.tolist() == rows[unique][order].tolist()
    assert reach.cols.tolist() == cols[unique][order].tolist()
    smooth = rng.uniform(0, 1e4, len(unique))  # no ties: the fast path
    fast = Reach.from_arrays(range(50), range(300), rows[unique], cols[unique], smooth)
    assert fast.cols.tolist() == cols[unique][np.lexsort((cols[unique], smooth, rows[unique]))].tolist()


def test_from_arrays_orders_distances_too_close_for_the_fast_sort():
    # row 299,999: 5000 m and 5000.0000001 m share one float sort key; the exact order must win
    reach = Reach.from_arrays(
        range(300_000), ["x", "y", "z"], [299_999, 299_999, 0], [0, 1, 2], [5000.0 + 1e-7, 5000.0, 10_000.0]
    )
    assert reach.cols.tolist() == [2, 1, 0]
    assert reach.dist[1] < reach.dist[2]


def test_reach_arrays_are_read_only(small):
    reach = build_reach(*small, Radius(5000))
    with pytest.raises(ValueError, match="read-only"):
        reach.dist[0] = 1.0
