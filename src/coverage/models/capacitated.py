r"""Capacitated p-median: each unit assigned to one open site, within the sites' capacities.

The classic single-source model (as spopt's ``PMedian`` with
``facility_capacities``): binary :math:`y_j` (site open) and :math:`x_{ij}`
(unit :math:`i` served at site :math:`j`), over the pairs in reach,

.. math:: \min \sum_{ij} w_i d_{ij} x_{ij} \quad
          \sum_j x_{ij} = 1,\; x_{ij} \le y_j,\;
          \sum_i w_i x_{ij} \le c_j y_j,\; \sum_j y_j = p

and, with ``fill_forced``, :math:`\sum_i w_i x_{ij} = c_j` at every forced
site (spopt's ``fulfill_predefined_fac``). The ``x_ij <= y_j`` rows are
redundant with the capacity rows but tighten the LP bound. The plan carries
the assignment, so its units table reports the distance to the *assigned*
site (``assigned_site``, ``assigned_distance``), which a capacity may make
farther than the nearest open one; the plan's mean and worst distances use it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pulp

from coverage.errors import InfeasibleScenarioError
from coverage.models.formulation import binaries
from coverage.models.instance import Instance
from coverage.models.solver import SolverOptions, run_solver
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["capacitated_median", "read_capacity"]


def read_capacity(sites: pd.DataFrame, column: str) -> np.ndarray:
    """The sites' capacities (need each can serve) from ``column``, checked: numbers >= 0.

    Examples
    --------
    >>> import pandas as pd
    >>> read_capacity(pd.DataFrame({"site_id": ["a", "b"], "seats": [3, 2.5]}), "seats").tolist()
    [3.0, 2.5]
    """
    if column not in sites.columns:
        raise ValueError(
            f"sites: no '{column}' column for the capacities; "
            f"columns are {', '.join(map(str, sites.columns))}"
        )
    values = pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        shown = ", ".join(f"{sites['site_id'].iloc[k]}={sites[column].iloc[k]!r}" for k in bad[:5])
        raise ValueError(
            f"sites '{column}': capacities must be numbers >= 0; {len(bad)} sites are not: {shown}; "
            "fill them (0 for a site that serves no one)"
        )
    return values


def capacitated_median(
    inst: Instance,
    p: int,
    capacity: np.ndarray,
    options: SolverOptions | None,
    constraints: Constraints,
    *,
    fill_forced: bool = False,
) -> Plan:
    """Solve the capacitated p-median of ``inst`` (``capacity`` per input site) and make its plan.

    Raises :class:`~coverage.errors.InfeasibleScenarioError` when the
    capacities cannot hold the need (checked first, then by the solver); a
    solve stopped by its time limit without a solution gives a
    ``'not_solved'`` plan.

    Examples
    --------
    Two units of need 3 near ``s1`` (capacity 4): one of them goes to ``s2``.

    >>> import pandas as pd
    >>> from coverage import Reach, p_median
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [3.0, 3.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"], "seats": [4, 10]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[100, 900], [200, 700]])
    >>> plan = p_median(demand, sites, reach, p=2, capacity="seats")
    >>> plan.units[["unit_id", "assigned_site", "assigned_distance"]].values.tolist()
    [['u1', 's1', 100.0], ['u2', 's2', 700.0]]
    """
    options = options or SolverOptions()
    need = inst.row_need
    total = float(need.sum())
    cap_model = capacity[inst.model_sites]
    _check_room(inst, p, capacity, total, fill_forced)
    rows, cols, dist = inst.pair_rows, inst.cols, inst.dist
    n_pairs, n_sites = len(rows), inst.n_model_sites

    problem = pulp.LpProblem("capacitated_p_median", pulp.LpMinimize)
    y = binaries(problem, "y", n_sites)
    x = binaries(problem, "x", n_pairs)
    problem.setObjective(pulp.LpAffineExpression(zip(x, (need[rows] * dist).tolist(), strict=True)))
    for r in range(len(need)):
        pairs = range(int(inst.indptr[r]), int(inst.indptr[r + 1]))
        problem += pulp.LpAffineExpression((x[k], 1.0) for k in pairs) == 1, f"assign_{r}"
    by_site: list[list[int]] = [[] for _ in range(n_sites)]
    for k, j in enumerate(cols.tolist()):
        by_site[j].append(k)
        problem += x[k] - y[j] <= 0, f"link_{k}"
    forced = inst.model_forced
    for j in range(n_sites):
        load = pulp.LpAffineExpression((x[k], float(need[rows[k]])) for k in by_site[j])
        if fill_forced and forced[j]:
            problem += load == float(cap_model[j]), f"fill_{j}"
        else:
            problem += load - float(cap_model[j]) * y[j] <= 0, f"capacity_{j}"
        if forced[j]:
            problem += y[j] >= 1, f"forced_{j}"
    problem += pulp.lpSum(y) == min(p, n_sites), "site_count"
    build_seconds = inst.timer()()
    left = None if options.time_limit is None else max(1.0, options.time_limit - build_seconds)
    result = run_solver(problem, replace(options, time_limit=left))
    if result.status == "infeasible":
        raise InfeasibleScenarioError(
            f"site capacities: no assignment of every unit with need ({total:,.0f} in all) to one of "
            f"p={p} open sites within reach fits the capacities"
            + (" with every forced site filled" if fill_forced else "")
            + "; raise p or the capacities, or widen the access rule"
        )
    solved = result.status in ("optimal", "feasible")
    open_model = np.array([(v.varValue or 0.0) > 0.5 for v in y], dtype=bool) if solved else None
    served = np.zeros(inst.reach.n_demand)
    assignment = np.full(inst.reach.n_demand, -1, dtype=np.int64)
    if solved:
        taken = np.array([(v.varValue or 0.0) > 0.5 for v in x], dtype=bool)
        assignment[inst.row_units[rows[taken]]] = inst.pair_site[taken]
        served[inst.row_units[rows[taken]]] = need[rows[taken]]
    else:
        logger.warning("capacitated p-median: the solver ended '%s' with no solution", result.status)
        open_model = np.zeros(n_sites, dtype=bool)
        result = replace(result, objective=None)
    solution = inst.solution(
        "p_median",
        result,
        open_model,
        build_seconds=build_seconds,
        solve_seconds=result.seconds,
        sense="min",
        served=served,
        pad_to=p if solved else None,
        method="capacitated",
    )
    solution = replace(solution, assignment=assignment if solved else None)
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )


def _check_room(inst: Instance, p: int, capacity: np.ndarray, total: float, fill_forced: bool) -> None:
    """Capacity checks a planner can act on before any solve."""
    usable = np.flatnonzero(inst.available)
    forced = np.flatnonzero(inst.forced)
    free = np.setdiff1d(usable, forced)
    best = float(capacity[forced].sum()) + float(
        np.sort(capacity[free])[::-1][: max(0, p - len(forced))].sum()
    )
    if best < total - 1e-9:
        raise InfeasibleScenarioError(
            f"site capacities: the {p} open sites can hold at most {best:,.0f} (forced sites and the "
            f"largest others) but the units need {total:,.0f}; raise p or the capacities"
        )
    to_fill = float(capacity[forced].sum())
    if fill_forced and to_fill > total + 1e-9:
        raise InfeasibleScenarioError(
            f"forced sites filled: the {len(forced)} forced sites must be filled to {to_fill:,.0f} "
            f"but the units need only {total:,.0f}; force fewer sites or do not ask them filled"
        )
