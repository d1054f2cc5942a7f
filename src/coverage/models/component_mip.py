"""The component MIPs of :mod:`coverage.models.decomposition`, and its LP bound.

A component's model ``max need.z`` s.t. ``z_i <= sum y_j`` over the sites
reaching row ``i`` and ``sum y <= k`` is handed to HiGHS (highspy) as sparse
arrays, in-process: the decomposition solves hundreds of small ones, and
writing a model file and starting a solver for each would dominate. Large
components (:data:`CBC_SITES` sites or more) are first bounded by their LP
relaxation at the asked site count (:func:`lp_at`), and go to CBC through
PuLP, with the best plan so far as a start, only when asked again. Each
solve records its plan (a lower bound on ``f_c(k)``) and its proven bound (an
upper bound); only a solve that ends optimal makes ``f_c(k)`` exact.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

from coverage.models.formulation import binaries, continuous, expression, row_expressions
from coverage.models.highs_matrix import coverage_lp
from coverage.models.highs_run import run_highs
from coverage.models.solver import SolverOptions, run_solver, values

logger = logging.getLogger(__name__)

__all__ = ["CBC_SITES", "COMPONENT_GAP", "Component", "lp_at", "lp_bounds", "solve_cbc", "solve_highs"]

#: Relative gap at which the component MIPs stop (their proven bound is used, so any gap is honest).
COMPONENT_GAP = 1e-9
#: Components with this many sites or more are solved by CBC through PuLP, with the greedy plan as a
#: start: on the 878-site component of the 20k x 3k benchmark HiGHS found nothing better than the
#: greedy plan in 20 s, CBC a plan 2.3 % better in 6 s.
CBC_SITES = 200


@dataclass
class Component:
    sites: npt.NDArray[np.int64]  # global site numbers
    rows: npt.NDArray[np.int64]  # global row numbers
    forced: int
    total: float
    low: npt.NDArray[np.float64]  # L(k), k = 0..K
    high: npt.NDArray[np.float64]  # U(k)
    plans: dict[int, npt.NDArray[np.int64]]  # k -> open sites (global) reaching low[k]
    exact: set[int]
    #: Site counts whose LP relaxation bounds ``high`` already.
    relaxed: set[int] = field(default_factory=set)

    @property
    def top(self) -> int:
        return len(self.low) - 1


def lp_bounds(
    comps: list[Component],
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    n_sites: int,
    n_rows: int,
    max_sites: int,
    forced: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
) -> None:
    """Upper bounds ``D_c(u, lambda) + lambda k`` from the LP relaxation's duals."""
    h = _model(indptr, cols, need, n_sites, max_sites, forced, allowed, integer=False)
    run_highs(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        logger.info("components: the LP relaxation ended %s; no LP bounds", h.getModelStatus())
        return
    duals = np.abs(np.asarray(h.getSolution().row_dual))
    u, price = duals[:n_rows], float(duals[n_rows])
    lengths = np.diff(indptr)
    row_of_pair = np.repeat(np.arange(n_rows), lengths)
    reward = np.bincount(cols, weights=u[row_of_pair], minlength=n_sites).astype(np.float64) - price
    row_part = np.maximum(0.0, need - u)
    for comp in comps:
        site_part = reward[comp.sites]
        free = ~forced[comp.sites]
        value = row_part[comp.rows].sum() + np.maximum(0.0, site_part[free]).sum() + site_part[~free].sum()
        k = np.arange(comp.top + 1)
        line = value + price * k
        ok = k >= comp.forced
        comp.high[ok] = np.minimum(comp.high[ok], line[ok] * (1 + 1e-9) + 1e-9)


def _model(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    n_sites: int,
    count: int,
    forced: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
    *,
    integer: bool,
    time_limit: float | None = None,
) -> highspy.Highs:
    """``max need.z`` s.t. ``z_i <= sum y_j`` over row i's sites, ``sum y <= count``, as a HiGHS model."""
    lp = coverage_lp(indptr, cols, need, n_sites, count, forced=forced, allowed=allowed, integer=integer)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", COMPONENT_GAP)
    h.setOptionValue("mip_abs_gap", 0.0)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.1, time_limit))
    h.passModel(lp)
    return h


def solve_highs(
    comp: Component,
    k: int,
    csr: sp.csr_array,
    need: npt.NDArray[np.float64],
    forced: npt.NDArray[np.bool_],
    deadline: float | None,
) -> None:
    """Solve component ``comp`` with ``k`` sites by HiGHS; record the plan and the proven bound."""
    sub = csr[comp.rows][:, comp.sites].tocsr()
    n = len(comp.sites)
    limit = None if deadline is None else deadline - time.perf_counter()
    h = _model(
        sub.indptr.astype(np.int64),
        sub.indices.astype(np.int64),
        need[comp.rows],
        n,
        k,
        forced[comp.sites],
        np.ones(n, bool),
        integer=True,
        time_limit=limit,
    )
    run_highs(h)
    info = h.getInfo()
    status = h.getModelStatus()
    if info.primal_solution_status == 2:  # feasible solution found
        chosen = np.asarray(h.getSolution().col_value[:n]) > 0.5
        # The plan's own coverage (the solver's objective is within its tolerances of it).
        value = float(need[comp.rows][np.asarray(sub @ chosen.astype(np.float64)).ravel() > 0].sum())
        if chosen.sum() <= k and value > comp.low[k]:
            comp.low[k] = value
            comp.plans[k] = comp.sites[chosen]
    bound = float(info.mip_dual_bound)
    if np.isfinite(bound):
        comp.high[k] = min(comp.high[k], max(bound, comp.low[k]))
    if status == highspy.HighsModelStatus.kOptimal:  # proven within COMPONENT_GAP
        comp.high[k] = comp.low[k]
        comp.exact.add(k)


def solve_cbc(
    comp: Component,
    k: int,
    csr: sp.csr_array,
    need: npt.NDArray[np.float64],
    forced: npt.NDArray[np.bool_],
    deadline: float | None,
) -> None:
    """Solve component ``comp`` with ``k`` sites by CBC through PuLP, from its best plan so far."""
    sub = csr[comp.rows][:, comp.sites].tocsr()
    n, weights = len(comp.sites), need[comp.rows]
    problem = pulp.LpProblem("coverage_component", pulp.LpMaximize)
    y = binaries(problem, "y", n, forced=forced[comp.sites])
    z = continuous(problem, "z", len(weights), upper=1)
    rows = row_expressions(y, sub.indptr.astype(np.int64), sub.indices.astype(np.int64), -1.0)
    for i, (zi, row) in enumerate(zip(z, rows, strict=True)):
        row[zi] = 1.0
        problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"c_{i}", 0))
    problem.setObjective(expression(z, weights.tolist()))
    problem += pulp.lpSum(y) <= k, "site_count"
    best = int(np.argmax(comp.low[: k + 1] >= comp.low[k]))
    start = np.isin(comp.sites, comp.plans[best])
    covered = np.asarray(sub @ start.astype(np.float64)).ravel() > 0
    warm = [
        *zip(y, start.astype(float).tolist(), strict=True),
        *zip(z, covered.astype(float).tolist(), strict=True),
    ]
    limit = None if deadline is None else max(1.0, deadline - time.perf_counter())
    result = run_solver(
        problem,
        SolverOptions(solver="cbc", time_limit=limit, gap=0.0),
        warm_start=warm,
        cbc_options=["feas off"],
    )
    if result.status in ("optimal", "feasible") and result.objective is not None:
        chosen = values(y) > 0.5
        value = float(weights[np.asarray(sub @ chosen.astype(np.float64)).ravel() > 0].sum())
        if chosen.sum() <= k and value > comp.low[k]:
            comp.low[k] = value
            comp.plans[k] = comp.sites[chosen]
    if result.bound is not None and np.isfinite(result.bound):
        comp.high[k] = min(comp.high[k], max(float(result.bound), comp.low[k]))
    if result.status == "optimal":
        comp.exact.add(k)
        comp.high[k] = comp.low[k]


def lp_at(
    comp: Component, k: int, csr: sp.csr_array, need: npt.NDArray[np.float64], forced: npt.NDArray[np.bool_]
) -> None:
    """Bound ``f_c(k)`` by the component's LP relaxation with ``k`` sites (far tighter than the dual line)."""
    comp.relaxed.add(k)
    sub = csr[comp.rows][:, comp.sites].tocsr()
    n = len(comp.sites)
    h = _model(
        sub.indptr.astype(np.int64),
        sub.indices.astype(np.int64),
        need[comp.rows],
        n,
        k,
        forced[comp.sites],
        np.ones(n, bool),
        integer=False,
    )
    run_highs(h)
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        value = float(h.getInfo().objective_function_value)
        comp.high[k] = max(comp.low[k], min(comp.high[k], value * (1 + 1e-7) + 1e-6))
