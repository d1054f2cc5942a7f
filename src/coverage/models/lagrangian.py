r"""A Lagrangian bound for the p-median, and proofs without a MIP when it meets the incumbent.

Relaxing each unit's assignment row :math:`\sum_j x_{ij} = 1` with a
multiplier :math:`\lambda_i` leaves, for any :math:`\lambda`, the valid lower bound

.. math:: L(\lambda) = \sum_i \lambda_i + \min_{|S| = p,\, S \supseteq F}
          \sum_{j \in S} \rho_j, \qquad \rho_j = \sum_i \min(0, w_i d_{ij} - \lambda_i)

(the ``p`` sites of smallest :math:`\rho`, forced sites :math:`F` first).
Subgradient steps (Held, Wolfe and Crowder) raise it towards the LP bound.
:func:`lagrangian_bound` computes it alone; :func:`branch_median` starts from
the interchange incumbent of :mod:`coverage.models.interchange` and proves it
(or a better plan) optimal by the branch and bound with reduced-cost fixing
of :mod:`coverage.models.median_branch`, with no MIP: the plan's method is
``'lagrangian'`` when the root's bound meets the incumbent, and
``'branch_and_bound'`` when nodes were needed.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from coverage.models.instance import Instance
from coverage.models.interchange import DENSE_LIMIT, improve_median
from coverage.models.median_branch import search_median
from coverage.models.radius import greedy_median
from coverage.models.solver import SolveResult, SolverOptions
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["PROOF_GAP", "branch_median", "lagrangian_bound", "median_cost"]

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


def branch_median(inst: Instance, p: int, options: SolverOptions, constraints: Constraints) -> Plan | None:
    """The p-median plan of :func:`search_median`, or None where it does not apply (solve a MIP then).

    It applies when the dense rows x sites matrix has at most
    :data:`~coverage.models.interchange.DENSE_LIMIT` cells and the greedy
    pick reaches every row. The start is the greedy pick improved by
    interchange; the search shares the time limit with it, counted from the
    instance's preparation, and ends early enough for the plan to be made
    within it. The plan is ``'optimal'`` when the search closed every node
    (method ``'lagrangian'`` when the root's bound alone proved it,
    ``'branch_and_bound'`` when nodes were needed), ``'feasible'`` with the
    best bound otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "need": [2.0, 1.0, 1.0, 2.0]})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u", "v"]})
    >>> at = [0, 1, 10, 11]  # on a line; one site at each unit
    >>> metres = [[abs(x - y) for y in at] for x in at]
    >>> inst = prepare(demand, sites, Reach.from_dense(demand["unit_id"], sites["site_id"], metres))
    >>> plan = branch_median(inst, 2, SolverOptions(), inst.constraints(exact_sites=2))
    >>> plan.status, plan.open_site_ids, plan.objective, plan.bound
    ('optimal', ('s', 'v'), 2.0, 2.0)
    """
    n_rows, n_sites = len(inst.row_need), inst.n_model_sites
    if inst.budget is not None or n_rows == 0 or n_rows * n_sites > DENSE_LIMIT:
        return None
    deadline = math.inf
    if options.time_limit is not None:
        # Keep a little of the limit for making the plan.
        deadline = inst.started + options.time_limit - min(1.0, 0.05 * options.time_limit)
    count = min(p, n_sites)
    chosen = greedy_median(inst, count)
    if chosen is None:
        return None
    chosen = improve_median(inst, chosen, seconds=max(0.0, min(5.0, deadline - time.perf_counter())))
    start_seconds = inst.timer()()
    started = time.perf_counter()
    cost = np.full((n_rows, n_sites), np.inf)
    cost[inst.pair_rows, inst.cols] = inst.row_need[inst.pair_rows] * inst.dist
    found = search_median(
        cost,
        count,
        chosen,
        forced=inst.model_forced,
        deadline=deadline,
        gap=options.gap,
        node_limit=options.node_limit,
    )
    seconds = time.perf_counter() - started
    status = "optimal" if found.proven else "feasible"
    method = "lagrangian" if found.proven and found.nodes == 0 else "branch_and_bound"
    logger.info(
        "p-median: %s, %s %.6g, bound %.6g, %d nodes in %.2f s (start %.2f s)",
        method,
        status,
        found.upper,
        found.bound,
        found.nodes,
        seconds,
        start_seconds,
    )
    result = SolveResult(status, found.upper, found.bound, seconds, "lagrangian")
    solution = inst.solution(
        "p_median",
        result,
        found.chosen,
        build_seconds=start_seconds,
        solve_seconds=seconds,
        sense="min",
        pad_to=p,
        method=method,
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )
