r"""Maximal coverage in exactly K departments, proven by HiGHS on a stronger formulation.

The founding case's shortlist (400 of about 5,600 eligible post offices, in
exactly 57 departments) is maximal coverage with a "departments served" rule:
site ``j`` of department ``d(j)`` opens only where the department's flag
``w_d`` is 1, and exactly ``K`` flags are 1. The textbook model
(:mod:`coverage.models.rules`)

.. math:: \max \sum_i n_i z_i \quad z_i \le \sum_{j \ni i} y_j,\;
          y_j \le w_{d(j)} \le \sum_{j \in d} y_j,\; \sum_j y_j \le P,\; \sum_d w_d = K

has a weak LP bound: its flags go fractional (91 of 100 departments above 0
on the founding case) and the bound is 4.4 % above the optimum; CBC stopped
at a 1.69 % gap after 120 s. A row is covered only where one of the
departments of its sites is served, so

.. math:: z_i \le \sum_{d \in D_i} w_d, \qquad D_i = \{d(j) : j \text{ reaches } i\}

is valid and closes most of that gap: the LP bound falls from 7.72 M to
7.397 M, 0.02 % above the optimum 7.396 M, with 4 fractional flags left.
With the sites' departments fixed the LP is integral; what remains is the
choice of departments, which HiGHS's reduced-cost fixing settles at the root
once it holds a good plan. :func:`solve_served_departments` hands that model
to HiGHS (highspy) as sparse arrays, started from the greedy plan of
:func:`coverage.models.builders.coverage_builder` for served departments,
and reports the plan, its coverage and the proven bound.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from coverage.inputs.rules import DepartmentRules
from coverage.models.builders import department_start
from coverage.models.formulation import dominated_columns, drop_columns, merge_identical_rows
from coverage.models.highs_run import run_highs
from coverage.models.instance import Instance
from coverage.models.live import SolverProgress, current_watch
from coverage.models.solver import SolveResult, SolverOptions, quiet_native_stdout
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = [
    "DepartmentsResult",
    "by_served_departments",
    "fits_served_departments",
    "solve_served_departments",
]


@dataclass(frozen=True)
class DepartmentsResult:
    """What :func:`solve_served_departments` found.

    ``open`` marks the open sites, ``objective`` is their coverage (recomputed
    from the rows, not the solver's figure), ``bound`` the proven upper bound,
    ``optimal`` whether HiGHS closed the gap asked, ``first_incumbent_s`` the
    seconds until HiGHS holds the start plan (the model built; the whole call
    when no start is given) and ``seconds`` the whole call.
    """

    open: npt.NDArray[np.bool_]
    objective: float
    bound: float
    optimal: bool
    first_incumbent_s: float
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap ``(bound - objective) / bound`` (0 when the bound is 0)."""
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


def solve_served_departments(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    site_dep: npt.NDArray[np.int64],
    max_sites: int,
    k_departments: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    start: npt.NDArray[np.bool_] | None = None,
    gap: float = 0.0,
    time_limit: float | None = None,
    node_limit: int | None = None,
) -> DepartmentsResult | None:
    """Open at most ``max_sites`` sites, all in exactly ``k_departments`` departments, covering the most need.

    Rows are CSR (``indptr``, ``cols``: the sites reaching each row), ``need``
    their weights; ``site_dep[j]`` numbers site ``j``'s department (0, 1, ...).
    ``forced`` sites open (their departments are served), sites not
    ``allowed`` stay shut; ``start`` is a feasible plan to start from.
    ``gap`` (relative), ``time_limit`` (seconds) and ``node_limit``
    (branch-and-bound nodes) stop HiGHS early, with its bound. Returns None
    when HiGHS finds no plan (no start and the time limit reached first).

    Examples
    --------
    Four rows and four sites in departments 0, 0, 1, 2: row 0 (need 10) is
    reached by sites 0 and 2, row 1 (need 6) by site 1, row 2 (need 5) by site
    2, row 3 (need 4) by site 3. Two sites in exactly one department: sites 0
    and 1 (department 0) cover 16; in two departments, sites 2 and 1 cover 21.

    >>> import numpy as np
    >>> indptr, cols = np.array([0, 2, 3, 4, 5]), np.array([0, 2, 1, 2, 3])
    >>> need, dep = np.array([10.0, 6.0, 5.0, 4.0]), np.array([0, 0, 1, 2])
    >>> one = solve_served_departments(indptr, cols, need, dep, 2, 1)
    >>> one.open.tolist(), one.objective, one.bound
    ([True, True, False, False], 16.0, 16.0)
    >>> two = solve_served_departments(indptr, cols, need, dep, 2, 2)
    >>> two.open.tolist(), two.objective, two.optimal
    ([False, True, True, False], 21.0, True)
    """
    started = time.perf_counter()
    n_sites, n_rows = len(site_dep), len(need)
    site_dep = np.asarray(site_dep, np.int64)
    n_deps = int(site_dep.max()) + 1 if n_sites else 0
    forced = np.zeros(n_sites, bool) if forced is None else np.asarray(forced, bool)
    allowed = np.ones(n_sites, bool) if allowed is None else np.asarray(allowed, bool) | forced
    h = _model(indptr, cols, need, site_dep, n_deps, max_sites, k_departments, forced, allowed)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("mip_abs_gap", 0.0)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.1, time_limit))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    if start is not None:
        covered = _covered(indptr, cols, n_rows, start)
        served = np.zeros(n_deps)
        served[site_dep[start]] = 1.0
        solution = highspy.HighsSolution()
        solution.col_value = np.r_[start.astype(np.float64), covered.astype(np.float64), served].tolist()
        h.setSolution(solution)
    first = time.perf_counter() - started if start is not None else None
    run_highs(h)
    info = h.getInfo()
    if info.primal_solution_status != 2:  # no feasible plan
        return None
    chosen = np.asarray(h.getSolution().col_value[:n_sites]) > 0.5
    if start is not None and _value(indptr, cols, need, start) > _value(indptr, cols, need, chosen):
        chosen = start.copy()
    objective = _value(indptr, cols, need, chosen)
    bound = max(float(info.mip_dual_bound), objective)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    seconds = time.perf_counter() - started
    return DepartmentsResult(chosen, objective, bound, optimal, seconds if first is None else first, seconds)


def _covered(
    indptr: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], n_rows: int, chosen: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    covered = np.zeros(n_rows, bool)
    covered[rows[chosen[cols]]] = True
    return covered


def _value(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    chosen: npt.NDArray[np.bool_],
) -> float:
    return float(need[_covered(indptr, cols, len(need), chosen)].sum())


def _model(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    site_dep: npt.NDArray[np.int64],
    n_deps: int,
    max_sites: int,
    k_departments: int,
    forced: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
) -> highspy.Highs:
    """The HiGHS model; columns ``y`` (sites), ``z`` (rows), ``w`` (departments), in that order."""
    n_sites, n_rows = len(site_dep), len(need)
    n_cols = n_sites + n_rows + n_deps
    z0, w0 = n_sites, n_sites + n_rows
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    row_deps = np.unique(np.c_[rows, site_dep[cols]], axis=0)  # (row, department) pairs: D_i
    r_cover = n_rows
    r_open = r_cover + n_sites
    r_served = r_open + n_rows
    r_strong = r_served + n_deps
    entries = [
        (np.arange(n_rows), z0 + np.arange(n_rows), 1.0),  # z_i - sum y_j <= 0
        (rows, cols, -1.0),
        (r_cover + np.arange(n_sites), np.arange(n_sites), 1.0),  # y_j - w_d(j) <= 0
        (r_cover + np.arange(n_sites), w0 + site_dep, -1.0),
        (r_open + np.arange(n_rows), z0 + np.arange(n_rows), 1.0),  # z_i - sum_{d in D_i} w_d <= 0
        (r_open + row_deps[:, 0], w0 + row_deps[:, 1], -1.0),
        (r_served + np.arange(n_deps), w0 + np.arange(n_deps), 1.0),  # w_d - sum_{j in d} y_j <= 0
        (r_served + site_dep, np.arange(n_sites), -1.0),
        (np.full(n_sites, r_strong), np.arange(n_sites), 1.0),  # sum y <= max_sites
        (np.full(n_deps, r_strong + 1), w0 + np.arange(n_deps), 1.0),  # sum w = K
    ]
    i = np.concatenate([e[0] for e in entries])
    j = np.concatenate([e[1] for e in entries])
    v = np.concatenate([np.full(len(e[0]), e[2]) for e in entries])
    a = sp.csc_array((v, (i, j)), shape=(r_strong + 2, n_cols))
    served_forced = np.zeros(n_deps)
    served_forced[site_dep[forced]] = 1.0
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, a.shape[0]
    lp.col_cost_ = np.r_[np.zeros(n_sites), need, np.zeros(n_deps)]
    lp.col_lower_ = np.r_[forced.astype(np.float64), np.zeros(n_rows), served_forced]
    lp.col_upper_ = np.r_[allowed.astype(np.float64), np.ones(n_rows + n_deps)]
    lp.row_lower_ = np.r_[np.full(r_strong + 1, -highspy.kHighsInf), float(k_departments)]
    lp.row_upper_ = np.r_[np.zeros(r_strong), float(max_sites), float(k_departments)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, a.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * n_sites + [continuous] * n_rows + [integer] * n_deps
    with quiet_native_stdout():  # HiGHS prints its banner on the first instance
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # HiGHS starts one thread scheduler per process and refuses another thread count later:
    # one thread, as the component MIPs of coverage.models.component_mip use.
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h


def fits_served_departments(inst: Instance, rules: DepartmentRules) -> str | None:
    """Why :func:`by_served_departments` cannot solve ``inst`` under ``rules``, or None when it can.

    It needs "exactly K departments served" as the only department rule, no
    budget and coverage that does not decay with distance.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a"], "need": 1.0})
    >>> sites = pd.DataFrame({"site_id": ["s"], "dep": ["23"]})
    >>> inst = prepare(demand, sites, Reach.from_dense(["a"], ["s"], [[0.0]]))
    >>> fits_served_departments(inst, DepartmentRules(serve_exactly=1)) is None
    True
    >>> fits_served_departments(inst, DepartmentRules(serve_exactly=1, min_sites=1))
    'department rules other than the departments served'
    """
    if rules.serve_exactly is None:
        return "no departments-served rule"
    if rules != DepartmentRules(serve_exactly=rules.serve_exactly):
        return "department rules other than the departments served"
    if inst.budget is not None:
        return "a budget"
    if inst.reach.weight is not None:
        return "coverage weights that decay with distance"
    return None


def by_served_departments(
    inst: Instance,
    rules: DepartmentRules,
    max_sites: int,
    options: SolverOptions,
    constraints: Constraints,
    formulation: str = "departments",
) -> Plan | None:
    """The maximal-coverage plan of :func:`solve_served_departments`, or None (then solve the plain MIP).

    ``formulation`` is :func:`coverage.models.location.maximal_coverage`'s:
    ``'departments'`` requires this method (ValueError where
    :func:`fits_served_departments` says why not), ``'auto'`` takes it where
    it fits unless ``options.solver`` is ``'cbc'``, anything else returns None.

    The exact reductions of the plain model apply first (sites dominated
    within their department, identical rows merged). The plan's ``method`` is
    ``'served_departments'``, its bound the one HiGHS proved; it is
    ``'optimal'`` only when the bound meets the plan (``options.gap``, if set,
    stops earlier and the plan is ``'feasible'`` with its bound).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach
    >>> from coverage.models.instance import prepare
    >>> demand = pd.DataFrame({"unit_id": ["a", "b", "c"], "need": [10.0, 6.0, 5.0]})
    >>> sites = pd.DataFrame({"site_id": ["s", "t", "u"], "dep": ["23", "23", "87"]})
    >>> reach = Reach.from_dense(
    ...     demand["unit_id"], sites["site_id"], [[0, 9, 1], [9, 0, 9], [9, 9, 0]], max_distance=2
    ... )
    >>> inst = prepare(demand, sites, reach)
    >>> rules = DepartmentRules(serve_exactly=2)
    >>> plan = by_served_departments(inst, rules, 2, SolverOptions(), inst.constraints(rules, max_sites=2))
    >>> plan.method, plan.status, plan.open_site_ids, plan.objective
    ('served_departments', 'optimal', ('t', 'u'), 21.0)
    """
    why = fits_served_departments(inst, rules)
    if formulation == "departments" and why is not None:
        raise ValueError(f"formulation='departments' cannot be used: {why}; use 'auto' or 'mip'")
    wanted = formulation == "departments" or (formulation == "auto" and options.solver != "cbc")
    n = inst.n_model_sites
    if why is not None or not wanted or n == 0:
        return None
    dep_codes, _ = pd.factorize(pd.Series(inst.model_site_dep))
    limit = options.time_limit
    dropped = dominated_columns(
        inst.indptr,
        inst.cols,
        n,
        keep=inst.model_forced,
        group=dep_codes,
        deadline=None if limit is None else inst.started + 0.25 * limit,
    )
    indptr, cols = drop_columns(inst.indptr, inst.cols, dropped)
    merged = merge_identical_rows(indptr, cols, inst.row_need)
    k = int(rules.serve_exactly or 0)
    start = department_start(merged, inst, dropped, max_sites, k)
    left = None if limit is None else max(1.0, limit - inst.timer()())
    result = solve_served_departments(
        merged.indptr,
        merged.cols,
        merged.need,
        dep_codes.astype(np.int64),
        max_sites,
        k,
        forced=inst.model_forced,
        allowed=~dropped,
        start=start,
        gap=options.gap or 0.0,
        time_limit=left,
        node_limit=options.node_limit,
    )
    if result is None:
        logger.info("served departments: HiGHS found no plan; the plain MIP")
        return None
    watch = current_watch()
    if watch is not None:  # the solve's figures reach the planner (no live stop: HiGHS runs to its end)
        watch.emit(SolverProgress("highs", "max", result.seconds, result.objective, result.bound))
    proven = result.optimal and result.bound - result.objective <= 1e-9 * max(1.0, abs(result.objective))
    logger.info(
        "maximal coverage in %d departments by HiGHS: %.6g, bound %.6g (%s), %.1f s",
        k,
        result.objective,
        result.bound,
        "proven" if proven else f"gap {result.gap:.3%}",
        result.seconds,
    )
    solved = SolveResult(
        "optimal" if proven else "feasible", result.objective, result.bound, result.seconds, "highs"
    )
    solution = inst.solution(
        "maximal_coverage",
        solved,
        result.open,
        build_seconds=inst.timer()() - result.seconds,
        solve_seconds=result.seconds,
        sense="max",
        method="served_departments",
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )
