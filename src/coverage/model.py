r"""Coverage models, built from the sparse reach and solved through PuLP.

Notation: demand units :math:`i` with need :math:`w_i`; candidate sites
:math:`j` with owner :math:`o(j)`, capacity :math:`c_j` advisor slots, cost
:math:`f_j` and department :math:`d(j)`; partners :math:`p` with advisors
:math:`B_p`, slots per advisor :math:`m_p` and people per slot per month
:math:`k_p`; :math:`N_i` the sites within reach of :math:`i`, at distance
:math:`d_{ij}`; :math:`T` months of work. :math:`y_j \in \{0,1\}` opens site
:math:`j`.

Maximal coverage (:func:`maximal_coverage`)
    .. math:: \max \sum_i w_i z_i \quad z_i \le \sum_{j \in N_i} y_j,\;
              \sum_j y_j \le S,\; 0 \le z_i \le 1

    With a distance decay :math:`a_{ij} \in (0, 1]`, assignment variables
    replace :math:`z`: :math:`\max \sum w_i a_{ij} x_{ij}`,
    :math:`\sum_j x_{ij} \le 1`, :math:`x_{ij} \le y_j`.

Set cover and coverage target (:func:`set_cover`)
    .. math:: \min \sum_j y_j \quad \sum_{j \in N_i} y_j \ge 1 \;\forall i: w_i > 0

    or, with a target :math:`R`, :math:`\sum_i w_i z_i \ge R` with
    :math:`z_i` as in maximal coverage.

p-median (:func:`p_median`)
    .. math:: \min \sum_{i,j} w_i d_{ij} x_{ij} \quad \sum_{j \in N_i} x_{ij} = 1,\;
              x_{ij} \le y_j,\; \sum_j y_j = p

p-center (:func:`p_center`)
    .. math:: \min D \quad \sum_{j \in N_i} d_{ij} x_{ij} \le D, \text{ as p-median otherwise}

    solved exactly as the smallest pair distance :math:`r` whose set cover
    (pairs within :math:`r`) needs at most :math:`p` sites, by bisection: the
    assignment formulation's LP bound is too weak (OR-Library pmed1 ran over
    300 s with CBC; by radius it takes 0.3 s).

Capacitated staffing with sharing (:func:`coverage.staffing.staffing`)
    Integer slots :math:`t_{pj}` where partner :math:`p` may use the premises
    of :math:`o(j)`; served need :math:`x_{ij} \ge 0`:

    .. math:: \sum_j t_{pj} \le m_p B_p,\quad y_j \le \sum_p t_{pj} \le c_j y_j,\quad
              \sum_j x_{ij} \le w_i,\quad \sum_i x_{ij} \le T \sum_p k_p t_{pj}

    maximise :math:`\sum x_{ij}`, then minimise :math:`\sum d_{ij} x_{ij}` at that
    level (two solves); or minimise advisors :math:`\sum_p a_p` with
    :math:`m_p a_p \ge \sum_j t_{pj}` and :math:`\sum x_{ij} \ge R`.

Every model takes sites forced open (:math:`y_j = 1`), sites closed (removed),
a budget :math:`\sum_j f_j y_j \le F`, and :class:`~coverage.rules.DepartmentRules`:
site or advisor quotas per department, exactly :math:`K` departments served
(:math:`s_d \le \sum_{j \in d} y_j \le |d|\, s_d`, :math:`\sum_d s_d = K`), a
minimum served share per department, or max-min share then total.

Before solving, each constraint group is checked against the data and a
:class:`~coverage.errors.InfeasibleScenarioError` names the group and the
numbers. When the solver still proves infeasibility, the groups are relaxed
one at a time and the first whose removal restores feasibility is reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np
import pandas as pd

from coverage.builders import assignment_builder, coverage_builder
from coverage.errors import InfeasibleScenarioError
from coverage.instance import Instance, prepare
from coverage.plan import Plan
from coverage.reach import Reach
from coverage.rules import DepartmentRules, check_department_rules
from coverage.solver import SolveResult, SolverOptions, Status, run_solver
from coverage.solving import solve_model

logger = logging.getLogger(__name__)

__all__ = [
    "DepartmentRules",
    "SolverOptions",
    "maximal_coverage",
    "p_center",
    "p_median",
    "set_cover",
]


def maximal_coverage(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    max_sites: int,
    rules: DepartmentRules | None = None,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    budget: float | None = None,
    options: SolverOptions | None = None,
) -> Plan:
    """Open at most ``max_sites`` sites to cover the most need within reach.

    Parameters
    ----------
    demand
        Frame with ``unit_id`` and ``need`` (and ``dep`` for share rules).
    sites
        Frame with ``site_id`` (and ``dep`` for department rules, ``cost``
        with ``budget``).
    reach
        Pairs within the access rule, ids matching the frames.
    max_sites
        Sites that may open; more than the candidates left open is an error.
    rules, forced, closed, budget, options
        Department rules, site ids forced open or closed, a budget over the
        sites' ``cost`` column, and solver options.
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed, budget=budget, rules=rules)
    rules = rules or DepartmentRules()
    _check_count(inst, max_sites, "max_sites", exact=False)
    check_department_rules(
        rules, site_dep=inst.site_dep, usable=inst.usable, forced=inst.forced, max_sites=max_sites
    )
    builder = coverage_builder(inst, rules, objective="max", max_sites=max_sites)
    return solve_model("maximal_coverage", inst, builder, options)


def set_cover(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    target: float | None = None,
    rules: DepartmentRules | None = None,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    budget: float | None = None,
    options: SolverOptions | None = None,
) -> Plan:
    """Open the fewest sites that cover every unit with need, or ``target`` need in all."""
    inst = prepare(demand, sites, reach, forced=forced, closed=closed, budget=budget, rules=rules)
    rules = rules or DepartmentRules()
    if target is None:
        _check_all_reachable(inst, "set cover")
    else:
        coverable = float(inst.need[inst.reachable].sum())
        if target > coverable:
            raise InfeasibleScenarioError(
                f"coverage target: {target:,.0f} need to cover but the candidates within reach can cover "
                f"at most {coverable:,.0f} of {inst.need.sum():,.0f}"
            )
    check_department_rules(
        rules, site_dep=inst.site_dep, usable=inst.usable, forced=inst.forced, max_sites=None
    )
    builder = coverage_builder(inst, rules, objective="min", target=target)
    return solve_model("set_cover" if target is None else "coverage_target", inst, builder, options)


def p_median(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    p: int,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    options: SolverOptions | None = None,
) -> Plan:
    """Open exactly ``p`` sites minimising need-weighted distance; every unit with need is assigned."""
    inst = prepare(demand, sites, reach, forced=forced, closed=closed)
    _check_count(inst, p, "p", exact=True)
    _check_all_reachable(inst, "p-median")
    return solve_model("p_median", inst, assignment_builder(inst, p, center=False), options, pad_to=p)


def p_center(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    p: int,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    options: SolverOptions | None = None,
) -> Plan:
    """Open exactly ``p`` sites minimising the largest distance from a unit with need to its site.

    Solved by radius: the optimum is the smallest pair distance ``r`` at
    which every unit with need can be covered within ``r`` by at most ``p``
    sites, found by bisection over the sorted distinct distances with one
    set-cover solve per step (about log2 of the pairs). This is exact and far
    faster than the assignment formulation, whose LP bound is weak. A time
    limit in ``options`` applies to each set-cover solve; a step it stops
    before a proof makes the plan ``'feasible'`` with no bound.
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed)
    _check_count(inst, p, "p", exact=True)
    _check_all_reachable(inst, "p-center")
    options = options or SolverOptions()
    radii = np.unique(inst.dist)
    if len(radii) == 0:  # no need anywhere: any p sites do
        return solve_model("p_center", inst, assignment_builder(inst, p, center=True), options, pad_to=p)
    # Every unit needs its nearest site: no radius below the largest nearest distance works.
    nearest = np.minimum.reduceat(inst.dist, inst.indptr[:-1])
    low = int(np.searchsorted(radii, nearest.max()))
    high = len(radii) - 1
    build_seconds = inst.timer()()
    solve_seconds = 0.0
    uncertain = False

    def covers_within(index: int) -> np.ndarray | None:
        """Sites covering every unit within ``radii[index]`` with at most p of them, or None."""
        nonlocal build_seconds, solve_seconds, uncertain
        started = time.perf_counter()
        sub = inst.within(float(radii[index]))
        problem, _, read = coverage_builder(sub, DepartmentRules(), objective="min")(frozenset())
        build_seconds += time.perf_counter() - started
        result = run_solver(problem, options, cbc_options=["feas off"])
        solve_seconds += result.seconds
        if result.status in ("optimal", "feasible") and (result.objective or 0) <= p + 1e-9:
            return read().open > 0.5
        if result.status != "optimal" and (result.bound is None or result.bound <= p):
            uncertain = True  # stopped before proving that p sites cannot do it
        return None

    best = covers_within(high)
    if best is None:
        raise InfeasibleScenarioError(
            f"site count: covering every unit with need, at any distance within reach, "
            f"takes more than p={p} sites"
        )
    while low < high:
        middle = (low + high) // 2
        opened = covers_within(middle)
        if opened is None:
            low = middle + 1
        else:
            high, best = middle, opened
    radius = float(radii[high])
    status: Status = "feasible" if uncertain else "optimal"
    final = SolveResult(status, radius, None if uncertain else radius, solve_seconds, options.solver_name)
    solution = inst.solution(
        "p_center",
        final,
        best,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        sense="min",
        pad_to=p,
    )
    return Plan.from_solution(solution, demand=inst.demand, sites=inst.sites, reach=inst.reach)


# -- checks ---------------------------------------------------------------


def _check_count(inst: Instance, count: int, name: str, *, exact: bool) -> None:
    candidates = int(inst.available.sum())
    closed = inst.n_sites - candidates
    if count < 0:
        raise InfeasibleScenarioError(f"site count: {name} must be >= 0, got {count}")
    if count > candidates:
        raise InfeasibleScenarioError(
            f"site count: {name}={count} sites asked for but only {candidates} candidate sites "
            f"({inst.n_sites} in all, {closed} closed)"
        )
    forced = int(inst.forced.sum())
    if forced > count:
        raise InfeasibleScenarioError(f"forced sites: {forced} sites are forced open but {name}={count}")


def _check_all_reachable(inst: Instance, model: str) -> None:
    lonely = np.flatnonzero((inst.need > 0) & ~inst.reachable)
    if len(lonely):
        shown = ", ".join(str(inst.reach.demand_ids[i]) for i in lonely[:5])
        more = f" and {len(lonely) - 5} more" if len(lonely) > 5 else ""
        raise InfeasibleScenarioError(
            f"coverage of every unit ({model}): {len(lonely)} units with need "
            f"({inst.need[lonely].sum():,.0f} in all) have no open-able site within reach "
            f"({inst.reach.rule or 'the access rule'}): {shown}{more}; widen the access rule or give a target"
        )
