"""A p-median incumbent: greedy picks improved by vertex substitution (Teitz and Bart, 1968).

Each round evaluates every swap (one open site out, one closed site in) at
once over the dense rows x sites distance matrix, as Whitaker's fast
interchange does per candidate: with :math:`d^1_i, d^2_i` the distances to the
nearest and second-nearest open site and :math:`a_i` the nearest,

.. math:: \\Delta(c, o) = \\sum_i w_i (\\min(d_{ic}, d^1_i) - d^1_i)
          + \\sum_{i:\\, a_i = o} w_i (\\min(d_{ic}, d^2_i) - \\min(d_{ic}, d^1_i))

and the best improving swap is made, until none improves or the time is
spent. Forced sites never leave. The result is a feasible plan, never a
bound: the MIP then proves it, or improves it, or returns it labelled with
its gap when the time limit stops the proof first.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pulp
import scipy.sparse as sp

from coverage.models.instance import Instance

logger = logging.getLogger(__name__)

__all__ = ["DENSE_LIMIT", "assignment_start", "improve_median", "swap_dense"]

#: Rows x sites above which the dense interchange is skipped (the greedy pick is kept).
DENSE_LIMIT = 4_000_000


def improve_median(inst: Instance, chosen: np.ndarray, *, seconds: float = 5.0) -> np.ndarray:
    """``chosen`` (model sites) after best-improvement swaps, within ``seconds``.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u"]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[0, 5, 9], [5, 0, 5], [9, 5, 0]])
    >>> improve_median(prepare(demand, sites, reach), np.array([False, False, True])).tolist()
    [False, True, False]
    """
    n_rows, n_sites = len(inst.row_need), inst.n_model_sites
    count = int(chosen.sum())
    if n_rows * n_sites > DENSE_LIMIT or count == 0 or count >= n_sites:
        return chosen
    penalty = 2.0 * (float(inst.dist.max()) + 1.0)
    dist = np.full((n_rows, n_sites), penalty)
    dist[inst.pair_rows, inst.cols] = inst.dist
    return swap_dense(dist, inst.row_need, chosen, fixed=inst.model_forced, seconds=seconds)


def swap_dense(
    dist: np.ndarray,
    need: np.ndarray,
    chosen: np.ndarray,
    *,
    fixed: np.ndarray,
    seconds: float = 5.0,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """``chosen`` after best-improvement swaps over a dense rows x sites matrix of finite distances.

    ``fixed`` sites never leave; only ``allowed`` sites (all by default) come in.

    Examples
    --------
    >>> dist = np.array([[0.0, 5.0, 9.0], [5.0, 0.0, 5.0], [9.0, 5.0, 0.0]])
    >>> swap_dense(dist, np.ones(3), np.array([False, False, True]), fixed=np.zeros(3, bool)).tolist()
    [False, True, False]
    """
    n_rows, n_sites = dist.shape
    count = int(chosen.sum())
    if count == 0 or count >= n_sites:
        return chosen
    started = time.perf_counter()
    penalty = 2.0 * (float(dist.max()) + 1.0)
    chosen = chosen.copy()
    barred = np.zeros(n_sites, dtype=bool) if allowed is None else ~allowed
    swaps = 0
    while time.perf_counter() - started < seconds:
        opened = np.flatnonzero(chosen)
        block = dist[:, opened]
        if len(opened) > 1:
            two = np.partition(block, 1, axis=1)
            d1, d2 = two[:, 0], two[:, 1]
        else:
            d1, d2 = block[:, 0], np.full(n_rows, penalty)
        nearest = opened[np.argmin(block, axis=1)]
        with_c = np.minimum(dist, d1[:, None])
        base = need @ (with_c - d1[:, None])
        owner = sp.csr_array((need, (nearest, np.arange(n_rows))), shape=(n_sites, n_rows))
        extra = owner @ (np.minimum(dist, d2[:, None]) - with_c)  # sites out x sites in
        delta = base[None, :] + extra
        delta[~chosen | fixed, :] = np.inf
        delta[:, chosen | barred] = np.inf
        out_site, in_site = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[out_site, in_site] < -1e-9 * max(1.0, float(need @ d1)):
            break
        chosen[out_site], chosen[in_site] = False, True
        swaps += 1
    logger.info("interchange: %d swaps in %.2f s", swaps, time.perf_counter() - started)
    return chosen


def assignment_start(
    inst: Instance, chosen: np.ndarray, y: list[pulp.LpVariable], x: list[pulp.LpVariable]
) -> list[tuple[pulp.LpVariable, float]]:
    """Warm start of the assignment formulation: ``chosen`` open, each row at its nearest chosen site.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s", "t"]})
    >>> inst = prepare(demand, sites, Reach.from_dense(demand["unit_id"], sites["site_id"], [[0, 5], [5, 0]]))
    >>> problem = pulp.LpProblem("p", pulp.LpMinimize)
    >>> y = [problem.add_variable(f"y{j}", cat="Binary") for j in range(2)]
    >>> x = [problem.add_variable(f"x{k}", 0, 1) for k in range(4)]
    >>> start = assignment_start(inst, np.array([True, False]), y, x)
    >>> [value for _, value in start]  # y (s open), then x by pair: (a, s), (a, t), (b, t), (b, s)
    [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    >>> inst.cols.tolist()  # model site of each pair: b's pairs come nearest first
    [0, 1, 1, 0]
    """
    pick = np.zeros(len(x))
    open_pair = chosen[inst.cols]
    big = np.where(open_pair, inst.dist, np.inf)
    rows = inst.pair_rows
    order = np.lexsort((big, rows))
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
    pick[first[open_pair[first]]] = 1.0
    return list(zip(y, chosen.astype(float).tolist(), strict=True)) + list(zip(x, pick.tolist(), strict=True))
