r"""p-median by radius: the covering formulation of Elloumi (2010) and García, Labbé and Marín (2011).

Each unit :math:`i` sorts its distinct distances to the sites in reach,
:math:`D_i^1 < \dots < D_i^{K_i}`; :math:`z_i^k \ge 0` says "no open site
within :math:`D_i^k`". With :math:`z_i^0 = 1` and :math:`z_i^{K_i} = 0`,

.. math:: \min \sum_i w_i \Big(D_i^1 + \sum_{k=1}^{K_i-1} (D_i^{k+1} - D_i^k)\, z_i^k\Big)
          \quad z_i^{k-1} - z_i^k \le \sum_{j:\, d_{ij} = D_i^k} y_j,\; \sum_j y_j = p

Summing the rows gives the radius formulation's covering rows
:math:`z_i^k + \sum_{j:\, d_{ij} \le D_i^k} y_j \ge 1`; written as differences,
each pair appears once, so the model has as many nonzeros as pairs (the
assignment formulation has twice as many, plus one row per pair). Its LP
bound is the assignment formulation's. Exact reduction: when at least
``m - p + 1`` of the ``m`` sites lie within :math:`D_i^k`, any ``p`` sites
include one of them, so the unit's levels beyond :math:`k` are dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pulp

from coverage.models.formulation import binaries, continuous, expression, row_expressions
from coverage.models.instance import Instance
from coverage.models.interchange import improve_median
from coverage.models.solver import values
from coverage.models.solving import Builder, Readout, common_rows

__all__ = ["greedy_median", "radius_builder"]


def greedy_median(inst: Instance, count: int) -> np.ndarray | None:
    """Greedy p-median: forced sites, then the site that lowers the need-weighted distance most.

    A unit no chosen site reaches costs a penalty above any distance, so the
    first picks cover everyone. Each step is one pass over the pairs. None
    when ``count`` sites leave a unit unreached.
    """
    rows, cols, dist, need = inst.pair_rows, inst.cols, inst.dist, inst.row_need
    n_sites = inst.n_model_sites
    penalty = 2.0 * (float(dist.max()) + 1.0) if len(dist) else 1.0
    current = np.full(len(need), penalty)
    chosen = np.zeros(n_sites, dtype=bool)

    def take(site: int) -> None:
        chosen[site] = True
        mine = cols == site
        np.minimum.at(current, rows[mine], dist[mine])

    for site in np.flatnonzero(inst.model_forced).tolist():
        take(site)
    while chosen.sum() < count:
        saved = need[rows] * np.maximum(current[rows] - dist, 0.0)
        gain = np.bincount(cols, weights=saved, minlength=n_sites)
        gain[chosen] = -1.0
        take(int(np.argmax(gain)))
    return None if (current >= penalty).any() else chosen


def radius_builder(inst: Instance, p: int) -> Builder:
    """The p-median as a radius (covering) formulation over the instance's pairs."""
    rows = inst.pair_rows
    order = np.lexsort((inst.dist, rows))
    rows, cols, dist = rows[order], inst.cols[order], inst.dist[order]
    n_sites = inst.n_model_sites
    count = min(p, n_sites)
    # Levels: runs of equal distance within a unit.
    new_level = (
        np.r_[True, (rows[1:] != rows[:-1]) | (dist[1:] != dist[:-1])] if len(rows) else np.empty(0, bool)
    )
    level_of_pair = np.cumsum(new_level) - 1
    starts = np.flatnonzero(new_level)
    level_row, level_dist = rows[starts], dist[starts]
    # Sites within each level's distance, counted along the unit.
    row_start = np.searchsorted(rows, level_row)
    within = np.r_[starts[1:], len(rows)] - row_start
    # Levels after the first one reaching n - p + 1 sites are never used: drop them.
    enough = within >= n_sites - count + 1
    opens_row = np.r_[True, level_row[1:] != level_row[:-1]] if len(starts) else np.empty(0, bool)
    row_first = np.maximum.accumulate(np.where(opens_row, np.arange(len(starts)), 0))
    running = np.cumsum(enough)
    seen = running - (running[row_first] - enough[row_first])  # levels with enough so far, in the unit
    keep_level = (seen == 0) | (enough & (seen == 1))
    kept_pair = keep_level[level_of_pair]
    rows, cols, dist, level_of_pair = (
        rows[kept_pair],
        cols[kept_pair],
        dist[kept_pair],
        level_of_pair[kept_pair],
    )
    kept = np.flatnonzero(keep_level)
    renumber = np.full(len(starts), -1, dtype=np.int64)
    renumber[kept] = np.arange(len(kept))
    level_of_pair = renumber[level_of_pair]
    level_row, level_dist = level_row[kept], level_dist[kept]
    n_levels = len(kept)
    last = np.r_[level_row[1:] != level_row[:-1], True] if n_levels else np.empty(0, bool)
    first = np.r_[True, level_row[1:] != level_row[:-1]] if n_levels else np.empty(0, bool)
    level_ptr = np.concatenate(([0], np.cumsum(np.bincount(level_of_pair, minlength=n_levels)))).astype(
        np.int64
    )
    need = inst.row_need[level_row]
    step = np.where(last, 0.0, np.r_[level_dist[1:], 0.0] - level_dist)
    constant = float((inst.row_need[level_row[first]] * level_dist[first]).sum())

    def build(skip: frozenset[str]) -> tuple[pulp.LpProblem, dict[str, str], Callable[[], Readout]]:
        problem = pulp.LpProblem("p_median", pulp.LpMinimize)
        groups: dict[str, str] = {}
        y = binaries(problem, "y", n_sites)
        z = continuous(problem, "z", n_levels, upper=1)
        sums = row_expressions(y, level_ptr, cols, -1.0)
        for k, row in enumerate(sums):
            rhs = 0.0
            if first[k]:
                rhs = -1.0
            else:
                row[z[k - 1]] = 1.0
            if not last[k]:
                row[z[k]] = -1.0
            problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"level_{k}", rhs))
        if "site count" not in skip:
            problem += pulp.lpSum(y) == count, "site_count"
            groups["site count"] = f"site count: exactly {p} sites"
        active = np.flatnonzero(~last)
        objective = expression([z[k] for k in active.tolist()], (need[active] * step[active]).tolist())
        objective.constant = constant
        problem.setObjective(objective)
        common_rows(problem, inst, y, skip, groups)
        if not skip:
            chosen = greedy_median(inst, count)
            if chosen is not None:
                chosen = improve_median(inst, chosen)
                state["warm"] = _start(chosen, y, z)
        return problem, groups, lambda: Readout(values(y))

    def _start(chosen: np.ndarray, y: list[pulp.LpVariable], z: list[pulp.LpVariable]) -> list[tuple]:
        """Warm-start values: ``z`` is 1 at the levels no chosen site reaches yet."""
        nearest = np.full(len(inst.row_need), np.inf)
        np.minimum.at(nearest, inst.pair_rows[chosen[inst.cols]], inst.dist[chosen[inst.cols]])
        uncovered = (nearest[level_row] > level_dist) & ~last
        start = list(zip(y, chosen.astype(float).tolist(), strict=True))
        return start + list(zip(z, uncovered.astype(float).tolist(), strict=True))

    state: dict[str, object] = {"method": "radius"}
    build.state = state  # type: ignore[attr-defined]

    return build
