"""Solving a built model: one or two solves, infeasibility explained, the Plan made.

Shared by every model of :mod:`coverage.models.location` and :mod:`coverage.models.staffing`.
A *builder* is a function ``build(skip) -> (problem, groups, read)``: it
makes the PuLP problem without the constraint groups named in ``skip``,
describes each group it added (``groups``) and reads the solution back
(``read() -> Readout``). :func:`solve_model` runs it; when the solver proves
the problem infeasible, :func:`coverage.models.diagnosis.explain_infeasible`
names each group that alone restores feasibility, with what was asked and
what the other constraints allow, in an
:class:`~coverage.errors.InfeasibleScenarioError`. A solve stopped by its
time limit without a solution is never called infeasible: its plan is
``'not_solved'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import pulp

from coverage.inputs.partners import Horizon, Partner
from coverage.models.diagnosis import explain_infeasible
from coverage.models.formulation import expression
from coverage.models.instance import Instance
from coverage.models.solver import SolveResult, SolverOptions, Status, run_solver
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan
from coverage.plan.solution import Solution

logger = logging.getLogger(__name__)

__all__ = ["Builder", "Readout", "by_department", "common_rows", "solve_model"]

Builder = Callable[[frozenset[str]], tuple[pulp.LpProblem, dict[str, str], Callable[[], "Readout"]]]


def common_rows(
    problem: pulp.LpProblem,
    inst: Instance,
    y: Sequence[pulp.LpVariable],
    skip: frozenset[str],
    groups: dict[str, str],
) -> None:
    if inst.budget is not None and "budget" not in skip:
        problem += expression(y, inst.model_cost.tolist()) <= inst.budget, "budget"
        groups["budget"] = f"budget: site costs at most {inst.budget:,.0f}"
    if inst.forced.any() and "forced sites" not in skip:
        for site in np.flatnonzero(inst.model_forced).tolist():
            problem += y[site] >= 1, f"forced_{site}"
        groups["forced sites"] = f"forced sites: {int(inst.model_forced.sum())} sites forced open"


def by_department(
    variables: Sequence[pulp.LpVariable], coefficients: np.ndarray, departments: np.ndarray | None
) -> dict[str, pulp.LpAffineExpression] | None:
    """``{department: sum coefficient x variable}`` over the variables of each department."""
    if departments is None:
        return None
    pool = np.empty(len(variables), dtype=object)
    pool[:] = variables
    order = np.argsort(departments, kind="stable")
    ordered = departments[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    out: dict[str, pulp.LpAffineExpression] = {}
    for members in np.split(order, cuts):
        if len(members):
            out[str(departments[members[0]])] = expression(
                pool[members].tolist(), coefficients[members].tolist()
            )
    return out


@dataclass(frozen=True)
class Readout:
    """What a builder reads back from a solved problem (model-site order for ``open``)."""

    open: np.ndarray
    served: np.ndarray | None = None
    slots: pd.DataFrame | None = None
    #: Need served per model pair (flow models), mapped to the reach's pairs by the instance.
    flow: np.ndarray | None = None
    #: Months of work the model's capacities count.
    months: float | None = None


def solve_model(
    model: str,
    inst: Instance,
    builder: Builder,
    options: SolverOptions | None,
    *,
    partners: Sequence[Partner] = (),
    horizon: Horizon | None = None,
    pad_to: int | None = None,
    constraints: Constraints | None = None,
) -> Plan:
    """Build, solve (twice for lexicographic objectives), explain infeasibility, and make the Plan.

    A builder whose ``state['two_phase']`` is true is solved once for its
    first objective, whose value is handed back as ``state['floor']`` before
    the second build. The plan reports the second objective, or the first
    when ``state['report'] == 'first'``. A solve stopped by the time limit
    before any solution gives a ``'not_solved'`` plan with nothing open, not
    an exception. ``pad_to`` opens more sites (the first that reach no one)
    up to that count, for "exactly p sites" models. ``constraints`` are
    recorded on the plan for :func:`coverage.plan.verify.verify_plan`.
    """
    options = options or SolverOptions()
    state: dict[str, object] = getattr(builder, "state", {})
    # These models are easy to satisfy (open nothing, or everything, or any p
    # sites) and CBC's rounding heuristics find incumbents at once, so its
    # feasibility pump only costs time: 28 s of CPU against 10 s without it on
    # the 35,000 x 17,000 maximal-coverage benchmark.
    hints = ["feas off"]
    build_seconds = inst.timer()()
    solve_seconds = 0.0
    first: SolveResult | None = None
    first_read: Callable[[], Readout] | None = None
    first_sense = "max"
    if state.get("two_phase"):
        started = time.perf_counter()
        problem, groups, first_read = builder(frozenset())
        build_seconds += time.perf_counter() - started
        first_warm = state.pop("warm", ())
        first = run_solver(problem, options, cbc_options=hints, warm_start=first_warm)  # type: ignore[arg-type]
        first = _never_worse_than_start(problem, first, first_warm)  # type: ignore[arg-type]
        first_sense = "max" if problem.sense == pulp.LpMaximize else "min"
        solve_seconds += first.seconds
        if first.status == "infeasible":
            explain_infeasible(builder, groups, options, inst=inst, partners=partners)
        if first.status not in ("optimal", "feasible"):
            return _unsolved(model, inst, first, build_seconds, first_sense, partners, horizon, constraints)
        state["floor"] = first.objective
    started = time.perf_counter()
    problem, groups, read = builder(frozenset())
    build_seconds += time.perf_counter() - started
    warm = state.pop("warm", ())
    solved = run_solver(problem, _remaining(options, inst), cbc_options=hints, warm_start=warm)  # type: ignore[arg-type]
    sense: Literal["max", "min"] = "max" if problem.sense == pulp.LpMaximize else "min"
    result = _never_worse_than_start(problem, solved, warm)  # type: ignore[arg-type]
    method = "warm_start" if result is not solved else str(state.get("method", "mip"))
    if result.status == "infeasible":
        explain_infeasible(builder, groups, options, inst=inst, partners=partners)
    keep_first = first is not None and first_read is not None and state.get("report") == "first"
    if result.status not in ("optimal", "feasible") and keep_first:
        # The tie-break phase found nothing in time: keep the headline phase's solution.
        logger.warning(
            "%s: the second phase (ties) ended with status '%s'; the plan keeps the first phase's solution",
            model,
            result.status,
        )
        read = first_read  # type: ignore[assignment]
        result = SolveResult("feasible", result.objective, result.bound, result.seconds, result.solver)
    if result.status not in ("optimal", "feasible"):
        return _unsolved(
            model, inst, result, build_seconds + solve_seconds, sense, partners, horizon, constraints
        )
    readout = read()
    if first is not None and state.get("report") == "first":
        # The first objective is the headline (need served); the second only orders ties.
        headline: Status = "optimal" if first.status == result.status == "optimal" else "feasible"
        result = SolveResult(headline, first.objective, first.bound, result.seconds, result.solver)
        sense = "max" if first_sense == "max" else "min"
    solution = inst.solution(
        model,
        result,
        readout.open > 0.5,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds + result.seconds,
        sense=sense,
        served=readout.served,
        slots=readout.slots,
        flow=readout.flow,
        months=readout.months,
        pad_to=pad_to,
        method=method,
    )
    return _plan(inst, solution, partners, horizon, constraints)


#: Seconds the solver always gets, even when reductions and starts used up the time limit.
MIN_SOLVER_SECONDS = 1.0


def _remaining(options: SolverOptions, inst: Instance) -> SolverOptions:
    """``options`` with the time limit less the time already spent since the instance was prepared.

    The limit bounds the whole solve phase (reductions, warm start and solver),
    not the solver alone; the solver always gets :data:`MIN_SOLVER_SECONDS`.
    """
    if options.time_limit is None:
        return options
    left = max(MIN_SOLVER_SECONDS, options.time_limit - inst.timer()())
    return replace(options, time_limit=left)


def _never_worse_than_start(
    problem: pulp.LpProblem, result: SolveResult, warm: Sequence[tuple[pulp.LpVariable, float]]
) -> SolveResult:
    """The warm start itself when the solver returned nothing better (whichever solver).

    A solver stopped at its limit may hand back an incumbent below the start it
    was given (HiGHS through PuLP does not always take the start), or none.
    The start is feasible by construction, so it is put back in the variables
    and reported ``'feasible'`` with the solver's bound.
    """
    if result.status == "infeasible" and warm and _satisfies_every_row(problem, warm):
        # CBC 2.10 says "Pre-processing says infeasible" when its limit stops the cut
        # generators: a start that satisfies every row disproves it.
        logger.warning(
            "%s: the solver said infeasible, but its warm start satisfies every constraint: "
            "the claim is wrong (a solver stopped in pre-processing by its limit); the plan keeps the start",
            problem.name,
        )
        result = SolveResult("not_solved", None, None, result.seconds, result.solver)
    if not warm or result.status in ("infeasible", "unbounded"):
        return result
    start_value = float(
        sum(coefficient * value for var, value in warm for coefficient in [problem.objective.get(var, 0.0)])
        + (problem.objective.constant or 0.0)
    )
    maximise = problem.sense == pulp.LpMaximize
    if result.status in ("optimal", "feasible") and result.objective is not None:
        worse = result.objective < start_value - 1e-6 * max(1.0, abs(start_value))
        if not maximise:
            worse = result.objective > start_value + 1e-6 * max(1.0, abs(start_value))
        if not worse:
            return result
    logger.warning(
        "%s: the solver ended '%s' with objective %s, no better than its warm start (%.6g): "
        "the plan keeps the warm start",
        problem.name,
        result.status,
        result.objective,
        start_value,
    )
    for var in problem.variables():
        var.varValue = 0.0
    for var, value in warm:
        var.varValue = value
    return SolveResult("feasible", start_value, result.bound, result.seconds, result.solver)


def _satisfies_every_row(problem: pulp.LpProblem, warm: Sequence[tuple[pulp.LpVariable, float]]) -> bool:
    """Whether the start (every other variable at 0) satisfies every constraint and bound of ``problem``."""
    start = {var.name: value for var, value in warm}
    saved = {var.name: var.varValue for var in problem.variables()}
    try:
        for var in problem.variables():
            var.varValue = start.get(var.name, 0.0)
            low, up = var.lowBound, var.upBound
            if (low is not None and var.varValue < low - 1e-6) or (
                up is not None and var.varValue > up + 1e-6
            ):
                return False
        return all(row.valid(eps=1e-6 * max(1.0, abs(row.constant or 0.0))) for row in problem.constraints())
    finally:
        for var in problem.variables():
            var.varValue = saved[var.name]


def _unsolved(
    model: str,
    inst: Instance,
    result: SolveResult,
    seconds: float,
    sense: str,
    partners: Sequence[Partner],
    horizon: Horizon | None,
    constraints: Constraints | None,
) -> Plan:
    """A plan with nothing open, for a solve that ended without a solution (time limit)."""
    logger.warning("%s: the solver ended with status '%s' and no solution", model, result.status)
    empty = SolveResult(result.status, None, result.bound, result.seconds, result.solver)
    solution = inst.solution(
        model,
        empty,
        np.zeros(inst.n_model_sites, dtype=bool),
        build_seconds=seconds,
        sense="max" if sense == "max" else "min",
        served=np.zeros(len(inst.need)),
    )
    return _plan(inst, solution, partners, horizon, constraints)


def _plan(
    inst: Instance,
    solution: Solution,
    partners: Sequence[Partner],
    horizon: Horizon | None,
    constraints: Constraints | None,
) -> Plan:
    """The plan of ``solution`` over the instance's own demand, sites and reach."""
    return Plan.from_solution(
        solution,
        demand=inst.demand,
        sites=inst.sites,
        reach=inst.reach,
        partners=partners,
        horizon=horizon,
        constraints=constraints,
    )
