r"""A Lagrangian bound for the p-median, and proofs without a MIP when it meets the incumbent.

Relaxing each unit's assignment row :math:`\sum_j x_{ij} = 1` with a
multiplier :math:`\lambda_i` leaves, for any :math:`\lambda`, the valid lower bound

.. math:: L(\lambda) = \sum_i \lambda_i + \min_{|S| = p,\, S \supseteq F}
          \sum_{j \in S} \rho_j, \qquad \rho_j = \sum_i \min(0, w_i d_{ij} - \lambda_i)

(the ``p`` sites of smallest :math:`\rho`, forced sites :math:`F` first).
Subgradient steps (Held, Wolfe and Crowder) raise it towards the LP bound,
which on the OR-Library instances is close to or equal to the optimum. When
the bound meets the interchange incumbent of :mod:`coverage.models.interchange`
(relative gap at most :data:`PROOF_GAP`, or the costs are integers and the
bound rounds up to it), the incumbent is optimal and no MIP is built: the
plan's method is ``'lagrangian'`` and its bound the Lagrangian one.
Otherwise the caller solves the MIP, started from the incumbent.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from coverage.models.instance import Instance
from coverage.models.interchange import DENSE_LIMIT, improve_median
from coverage.models.radius import greedy_median
from coverage.models.solver import SolveResult, SolverOptions
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["PROOF_GAP", "lagrangian_bound", "median_cost", "proven_median"]

#: Relative gap (incumbent - bound) / incumbent at which the incumbent is called optimal.
PROOF_GAP = 1e-4


def median_cost(inst: Instance, chosen: np.ndarray) -> float:
    """Need-weighted distance of every row to its nearest chosen model site (inf if one has none).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u"]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[0, 5, 9], [5, 0, 5], [9, 5, 0]])
    >>> inst = prepare(demand, sites, reach)
    >>> median_cost(inst, np.array([False, True, False]))
    10.0
    """
    nearest = np.full(len(inst.row_need), np.inf)
    mine = chosen[inst.cols]
    np.minimum.at(nearest, inst.pair_rows[mine], inst.dist[mine])
    return float(inst.row_need @ nearest)


def lagrangian_bound(
    inst: Instance, p: int, upper: float, *, seconds: float = 10.0, iterations: int = 3000
) -> float:
    """The best Lagrangian lower bound found within ``seconds`` (``-inf`` when the instance is too large).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u"]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[0, 5, 9], [5, 0, 5], [9, 5, 0]])
    >>> round(lagrangian_bound(prepare(demand, sites, reach), 1, upper=10.0), 3)
    10.0
    """
    n_rows, n_sites = len(inst.row_need), inst.n_model_sites
    if n_rows * n_sites > DENSE_LIMIT or n_rows == 0:
        return -math.inf
    started = time.perf_counter()
    count = min(p, n_sites)
    cost = np.full((n_rows, n_sites), np.inf)
    cost[inst.pair_rows, inst.cols] = inst.row_need[inst.pair_rows] * inst.dist
    forced = inst.model_forced
    ordered = np.sort(cost, axis=1)
    # Start from each row's cost to its (p+1)-th nearest site, capped where it has fewer.
    lam = ordered[:, min(count, n_sites - 1)]
    lam = np.where(np.isfinite(lam), lam, np.nanmax(np.where(np.isfinite(ordered), ordered, np.nan), axis=1))
    best, step, stale = -math.inf, 2.0, 0
    for _ in range(iterations):
        if time.perf_counter() - started > seconds:
            break
        gain = np.minimum(cost - lam[:, None], 0.0)  # inf - lam stays inf, min with 0 gives 0
        rho = gain.sum(axis=0)
        picked = np.zeros(n_sites, dtype=bool)
        picked[np.argpartition(np.where(forced, -np.inf, rho), count - 1)[:count]] = True
        value = float(lam.sum() + rho[picked].sum())
        if not math.isfinite(best) or value > best + 1e-9 * max(1.0, abs(best)):
            best, stale = value, 0
        else:
            stale += 1
            if stale >= 20:
                step, stale = step / 2.0, 0
        if best >= upper * (1 - PROOF_GAP) or step < 1e-4:
            break
        served = (cost[:, picked] < lam[:, None]).sum(axis=1)
        direction = 1.0 - served
        norm = float(direction @ direction)
        if norm == 0:
            break  # the relaxed assignment is feasible: the bound is exact
        lam = lam + step * (upper - value) / norm * direction
    logger.info("lagrangian bound %.6g against %.6g in %.2f s", best, upper, time.perf_counter() - started)
    return best


def _proves(inst: Instance, upper: float, bound: float) -> tuple[bool, float]:
    """Whether ``bound`` proves ``upper`` optimal, and the bound to report (rounded up for integer costs)."""
    costs = inst.row_need[inst.pair_rows] * inst.dist
    if math.isfinite(bound) and np.all(costs == np.round(costs)):
        bound = float(math.ceil(bound - 1e-6))
    return upper - bound <= PROOF_GAP * max(abs(upper), 1e-9), bound


def proven_median(inst: Instance, p: int, options: SolverOptions, constraints: Constraints) -> Plan | None:
    """The interchange plan when the Lagrangian bound proves it optimal, else None (solve the MIP).

    The bound gets at most a quarter of the time limit, and 10 s.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u"]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[0, 5, 9], [5, 0, 5], [9, 5, 0]])
    >>> inst = prepare(demand, sites, reach)
    >>> from coverage.models.solver import SolverOptions
    >>> plan = proven_median(inst, 1, SolverOptions(), inst.constraints(exact_sites=1))
    >>> plan.method, plan.open_site_ids, plan.objective, plan.bound
    ('lagrangian', ('t',), 10.0, 10.0)
    """
    if inst.budget is not None or len(inst.row_need) * inst.n_model_sites > DENSE_LIMIT:
        return None
    started = time.perf_counter()
    chosen = greedy_median(inst, min(p, inst.n_model_sites))
    if chosen is None:
        return None
    chosen = improve_median(inst, chosen)
    upper = median_cost(inst, chosen)
    budget = 10.0 if options.time_limit is None else min(10.0, options.time_limit / 4)
    bound = lagrangian_bound(inst, p, upper, seconds=budget)
    proven, bound = _proves(inst, upper, bound)
    seconds = time.perf_counter() - started
    if not proven:
        logger.info("p-median: Lagrangian bound %.6g, incumbent %.6g: solving the MIP", bound, upper)
        return None
    result = SolveResult("optimal", upper, bound, seconds, "lagrangian")
    solution = inst.solution(
        "p_median",
        result,
        chosen,
        build_seconds=inst.timer()() - seconds,
        solve_seconds=seconds,
        sense="min",
        pad_to=p,
        method="lagrangian",
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )
