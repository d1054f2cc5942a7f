"""The solve phase as a whole: its time limit covers reductions and starts, and the plan is never worse
than the warm start the solver was given (issues 13 and 16)."""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd
import pulp

from coverage import Reach
from coverage.models.instance import prepare
from coverage.models.solver import SolveResult, SolverOptions
from coverage.models.solving import MIN_SOLVER_SECONDS, _never_worse_than_start, _remaining


def small_problem() -> tuple[pulp.LpProblem, pulp.LpVariable, pulp.LpVariable]:
    problem = pulp.LpProblem("pick_one", pulp.LpMaximize)
    a = problem.add_variable("a", lowBound=0, upBound=1, cat=pulp.LpBinary)
    b = problem.add_variable("b", lowBound=0, upBound=1, cat=pulp.LpBinary)
    problem += 3 * a + 2 * b
    problem += a + b <= 1
    return problem, a, b


def test_an_incumbent_below_the_warm_start_gives_way_to_the_start():
    problem, a, b = small_problem()
    a.varValue, b.varValue = 0.0, 1.0  # what a stopped solver left: objective 2
    stopped = SolveResult("feasible", 2.0, 3.5, 1.0, "highs")
    kept = _never_worse_than_start(problem, stopped, [(a, 1.0), (b, 0.0)])
    assert (kept.status, kept.objective, kept.bound) == ("feasible", 3.0, 3.5)
    assert (a.varValue, b.varValue) == (1.0, 0.0)


def test_a_solve_without_incumbent_keeps_the_warm_start():
    problem, a, b = small_problem()
    nothing = SolveResult("not_solved", None, 3.5, 1.0, "cbc")
    kept = _never_worse_than_start(problem, nothing, [(a, 0.0), (b, 1.0)])
    assert (kept.status, kept.objective) == ("feasible", 2.0)


def test_a_better_incumbent_and_proofs_of_infeasibility_stand():
    problem, a, b = small_problem()
    a.varValue, b.varValue = 1.0, 0.0
    best = SolveResult("optimal", 3.0, 3.0, 1.0, "cbc")
    assert _never_worse_than_start(problem, best, [(a, 0.0), (b, 1.0)]) is best
    infeasible = SolveResult("infeasible", None, None, 1.0, "cbc")
    assert (
        _never_worse_than_start(problem, infeasible, [(a, 1.0), (b, 1.0)]) is infeasible
    )  # breaks a + b <= 1
    assert _never_worse_than_start(problem, infeasible, []) is infeasible
    assert _never_worse_than_start(problem, best, []) is best


def test_an_infeasibility_claim_that_the_start_disproves_gives_the_start():
    """Issue 13: CBC 2.10 said "Pre-processing says infeasible" when its limit stopped the cut generators
    of a feasible 100,000-site maximal coverage; a start that satisfies every row disproves it."""
    problem, a, b = small_problem()
    claimed = SolveResult("infeasible", None, None, 13.1, "cbc")
    kept = _never_worse_than_start(problem, claimed, [(a, 0.0), (b, 1.0)])
    assert (kept.status, kept.objective) == ("feasible", 2.0)
    assert (a.varValue, b.varValue) == (0.0, 1.0)


def test_the_time_limit_counts_from_the_start_of_the_solve_phase():
    demand = pd.DataFrame({"unit_id": ["u1"], "need": [1.0]})
    sites = pd.DataFrame({"site_id": ["s1"]})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[10.0]], max_distance=50)
    inst = prepare(demand, sites, reach)
    assert _remaining(SolverOptions(), inst).time_limit is None
    fresh = _remaining(SolverOptions(time_limit=600), inst).time_limit
    assert fresh is not None and 500 < fresh <= 600
    spent = replace(inst, started=time.perf_counter() - 100)
    assert _remaining(SolverOptions(time_limit=60), spent).time_limit == MIN_SOLVER_SECONDS
    assert 20 < (_remaining(SolverOptions(time_limit=130), spent).time_limit or 0) <= 30
