"""The location models: maximal coverage, set cover and coverage target, p-median, p-center.

Each builds its PuLP model from the sparse :class:`~coverage.reach.Reach`
(through :mod:`coverage.models.builders`), checks its constraint groups against
the data first, solves (:mod:`coverage.models.solving`) and returns an
immutable :class:`~coverage.plan.Plan`. The maths are in :mod:`coverage.models`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.errors import InfeasibleScenarioError
from coverage.inputs.rules import DepartmentRules
from coverage.models.builders import assignment_builder, coverage_builder
from coverage.models.capacitated import capacitated_median, read_capacity
from coverage.models.exact_coverage import by_components
from coverage.models.instance import Instance, prepare
from coverage.models.lagrangian import branch_median
from coverage.models.matrix_coverage import by_matrix
from coverage.models.radius import radius_builder
from coverage.models.rules import check_department_rules
from coverage.models.served_departments import by_served_departments
from coverage.models.solver import SolveResult, SolverOptions, Status, run_solver
from coverage.models.solving import solve_model
from coverage.plan.plan import Plan
from coverage.reach.pairs import Reach

logger = logging.getLogger(__name__)

#: ``p_median(formulation='auto')`` takes the radius formulation from this share of candidates open.
RADIUS_MIN_SHARE = 0.05

__all__ = [
    "RADIUS_MIN_SHARE",
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
    formulation: str = "auto",
) -> Plan:
    """Open at most ``max_sites`` sites to cover the most need within reach.

    ``formulation='components'`` solves the reach graph's components apart
    and allocates the sites between them by an exact knapsack
    (:mod:`coverage.models.decomposition`); it needs the site count to be the
    only constraint linking them (no department rules, budget or decaying
    weights). ``'departments'`` solves "exactly K departments served" (the
    only department rule) by HiGHS on a stronger formulation
    (:mod:`coverage.models.served_departments`). ``'mip'`` solves one MIP.
    ``'auto'`` (the default) takes ``'departments'`` for that rule unless
    ``options.solver`` is ``'cbc'``, and otherwise decomposes when that is
    allowed and the graph splits into several components, none with more
    than 200 sites (:mod:`coverage.models.exact_coverage`). The plan's
    ``method`` says which ran.

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
    formulation
        ``'auto'``, ``'components'``, ``'departments'`` or ``'mip'`` (see above).

    Examples
    --------
    Three demand units and three candidate sites; a unit is in reach of a site within 5 km.

    >>> import pandas as pd
    >>> from coverage import Reach, maximal_coverage
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "need": [100.0, 50.0, 30.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"]})
    >>> metres = [
    ...     [500, 4500, 9000],  # u1: s1 and s2 within 5 km
    ...     [8000, 2000, 7000],  # u2: s2 only
    ...     [9000, 4000, 500],  # u3: s2 and s3
    ... ]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> plan = maximal_coverage(demand, sites, reach, max_sites=1)
    >>> plan.status, plan.open_site_ids, round(plan.served_need)
    ('optimal', ('s2',), 180)

    With ``s2`` closed, the best single site is ``s1`` (u1's need of 100):

    >>> plan = maximal_coverage(demand, sites, reach, max_sites=1, closed=["s2"])
    >>> plan.open_site_ids, round(plan.served_need)
    (('s1',), 100)
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed, budget=budget, rules=rules)
    rules = rules or DepartmentRules()
    _check_count(inst, max_sites, "max_sites", exact=False)
    check_department_rules(
        rules, site_dep=inst.site_dep, usable=inst.usable, forced=inst.forced, max_sites=max_sites
    )
    if formulation not in ("auto", "components", "departments", "mip"):
        raise ValueError(
            f"formulation must be 'auto', 'components', 'departments' or 'mip', got {formulation!r}"
        )
    limits = inst.constraints(rules, max_sites=max_sites)
    plan = by_served_departments(inst, rules, max_sites, options or SolverOptions(), limits, formulation)
    if plan is not None:
        return plan
    if formulation != "mip":
        split = by_components(
            inst, rules, max_sites, options or SolverOptions(), limits, required=formulation == "components"
        )
        if split is not None:
            return split
    matrix = by_matrix(inst, rules, max_sites, options or SolverOptions(), limits)
    if matrix is not None:
        return matrix
    limit = options.time_limit if options is not None else None
    builder = coverage_builder(inst, rules, objective="max", max_sites=max_sites, time_limit=limit)
    return solve_model("maximal_coverage", inst, builder, options, constraints=limits)


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
    """Open the fewest sites that cover every unit with need, or ``target`` need in all.

    Examples
    --------
    Three demand units and three candidate sites; a unit is in reach of a site within 5 km.

    >>> import pandas as pd
    >>> from coverage import Reach, set_cover
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "need": [100.0, 50.0, 30.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"]})
    >>> metres = [
    ...     [500, 4500, 9000],  # u1: s1 and s2 within 5 km
    ...     [8000, 2000, 7000],  # u2: s2 only
    ...     [9000, 4000, 500],  # u3: s2 and s3
    ... ]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> plan = set_cover(demand, sites, reach)
    >>> plan.status, plan.open_site_ids, round(plan.served_need)
    ('optimal', ('s2',), 180)

    Forcing ``s3`` open (a site already staffed), ``s2`` is still needed for u1 and u2:

    >>> set_cover(demand, sites, reach, forced=["s3"]).open_site_ids
    ('s2', 's3')
    """
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
    limits = inst.constraints(rules, target=target, every_unit=target is None)
    name = "set_cover" if target is None else "coverage_target"
    return solve_model(name, inst, builder, options, constraints=limits)


def p_median(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    p: int,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    options: SolverOptions | None = None,
    formulation: str = "auto",
    capacity: str | None = None,
    fill_forced: bool = False,
) -> Plan:
    """Open exactly ``p`` sites minimising need-weighted distance; every unit with need is assigned.

    ``formulation='lagrangian'`` proves the plan optimal with no MIP, by the
    Lagrangian branch and bound of :mod:`coverage.models.median_branch`
    (Beasley 1993) from a greedy pick improved by interchange; the time limit
    bounds the whole call (a stopped search returns its plan ``'feasible'``
    with its bound). ``'radius'`` solves the covering formulation of
    :mod:`coverage.models.radius` (Elloumi 2010; García, Labbé and Marín
    2011); ``'assignment'`` the classic ``x_ij <= y_j`` model. The plan's
    ``method`` says which proved it: ``'lagrangian'`` (the root's bound
    alone), ``'branch_and_bound'``, ``'radius'`` or ``'mip'``. ``'auto'``
    (the default) takes the Lagrangian search up to 4 million rows x sites:
    it proves every OR-Library pmed1-40 in seconds, where CBC missed 9 of
    pmed1-35 in 60 s; above, the radius formulation from ``p`` =
    :data:`RADIUS_MIN_SHARE` of the candidates (3-4x faster with CBC), the
    assignment one below.

    ``capacity`` names a sites column of capacities (need each site can
    serve): every unit is then assigned to one open site within them
    (:mod:`coverage.models.capacitated`, ``method='capacitated'``) and the
    units table gives the assigned site and its distance; ``fill_forced``
    asks every forced site filled to its capacity.

    Examples
    --------
    Three demand units and three candidate sites; a unit is in reach of a site within 5 km.
    With two sites, ``s1`` and ``s2`` cost 100 x 500 + 50 x 2000 + 30 x 4000 = 270,000
    need-metres; ``s2`` and ``s3`` cost 565,000 (u1 goes 4.5 km).

    >>> import pandas as pd
    >>> from coverage import Reach, p_median
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "need": [100.0, 50.0, 30.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"]})
    >>> metres = [
    ...     [500, 4500, 9000],  # u1: s1 and s2 within 5 km
    ...     [8000, 2000, 7000],  # u2: s2 only
    ...     [9000, 4000, 500],  # u3: s2 and s3
    ... ]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> plan = p_median(demand, sites, reach, p=2)
    >>> plan.status, plan.open_site_ids, round(plan.objective)
    ('optimal', ('s1', 's2'), 270000)
    >>> round(plan.mean_distance)  # metres, need-weighted
    1500
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed)
    _check_count(inst, p, "p", exact=True)
    _check_all_reachable(inst, "p-median")
    if capacity is not None:
        limits = inst.constraints(exact_sites=p, every_unit=True, capacity=capacity, fill_forced=fill_forced)
        sizes = read_capacity(inst.sites, capacity)
        return capacitated_median(inst, p, sizes, options, limits, fill_forced=fill_forced)
    limits = inst.constraints(exact_sites=p, every_unit=True)
    if formulation not in ("auto", "lagrangian", "radius", "assignment"):
        raise ValueError(
            f"formulation must be 'auto', 'lagrangian', 'radius' or 'assignment', got {formulation!r}"
        )
    if formulation in ("auto", "lagrangian"):
        searched = branch_median(inst, p, options or SolverOptions(), limits)
        if searched is not None:
            return searched
        logger.info("p-median: the Lagrangian search does not apply here (too large or no start): a MIP")
        formulation = "radius" if p >= RADIUS_MIN_SHARE * inst.n_model_sites else "assignment"
    if formulation == "radius":
        builder = radius_builder(inst, p)
    else:
        builder = assignment_builder(inst, p, center=False)
    return solve_model("p_median", inst, builder, options, pad_to=p, constraints=limits)


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

    Examples
    --------
    Three demand units and three candidate sites; a unit is in reach of a site within 5 km.
    With two sites, ``s1`` and ``s2`` keep everyone within 4 km (u3 to s2); ``s2`` and ``s3``
    leave u1 4.5 km away.

    >>> import pandas as pd
    >>> from coverage import Reach, p_center
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "need": [100.0, 50.0, 30.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"]})
    >>> metres = [
    ...     [500, 4500, 9000],  # u1: s1 and s2 within 5 km
    ...     [8000, 2000, 7000],  # u2: s2 only
    ...     [9000, 4000, 500],  # u3: s2 and s3
    ... ]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> plan = p_center(demand, sites, reach, p=2)
    >>> plan.status, plan.open_site_ids, plan.objective
    ('optimal', ('s1', 's2'), 4000.0)
    >>> plan.worst_distance
    4000.0
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed)
    _check_count(inst, p, "p", exact=True)
    _check_all_reachable(inst, "p-center")
    options = options or SolverOptions()
    limits = inst.constraints(exact_sites=p, every_unit=True)
    radii = np.unique(inst.dist)
    if len(radii) == 0:  # no need anywhere: any p sites do
        builder = assignment_builder(inst, p, center=True)
        return solve_model("p_center", inst, builder, options, pad_to=p, constraints=limits)
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
        method="bisection",
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        sense="min",
        pad_to=p,
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=limits
    )


# -- checks ---------------------------------------------------------------


def _check_count(inst: Instance, count: int, name: str, *, exact: bool) -> None:
    candidates = int(inst.available.sum())
    closed = inst.n_sites - candidates
    if count < 0:
        raise InfeasibleScenarioError(f"site count: {name} must be >= 0, got {count}")
    if count > candidates and not exact:  # an upper bound: it does not bind
        logger.info(
            "site count: %s=%d is above the %d candidate sites, so it does not limit the plan",
            name,
            count,
            candidates,
        )
    elif count > candidates:
        raise InfeasibleScenarioError(
            N_("site count")
            + ": "
            + N_(
                "{setting}={num_count} sites asked for but only {num_candidates} candidate sites "
                "({num_all} in all, {num_closed} closed)"
            ).format(
                setting=name,
                num_count=count,
                num_candidates=candidates,
                num_all=inst.n_sites,
                num_closed=closed,
            )
        )
    forced = int(inst.forced.sum())
    if forced > count:
        raise InfeasibleScenarioError(
            N_("forced sites")
            + ": "
            + N_("{num_forced} sites are forced open but {setting}={count}").format(
                num_forced=forced, setting=name, count=count
            )
        )


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
