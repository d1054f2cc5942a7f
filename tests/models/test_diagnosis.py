"""Infeasibility the solver proves, explained with numbers; a solve stopped without a plan is not so."""

from __future__ import annotations

import re

import numpy as np
import pulp
import pytest

from coverage import staffing
from coverage.errors import InfeasibleScenarioError
from coverage.inputs.partners import Partner
from coverage.inputs.rules import DepartmentRules
from coverage.models.solver import SolverOptions, cbc_status, run_solver
from model_inputs import SOLVERS, dense, frames


def two_departments():
    """Units A and B (need 100 each), two one-slot sites in each department, each reaching its own unit."""
    demand, sites = frames(
        [100, 100], ["sA1", "sA2", "sB1", "sB2"], unit_dep=["A", "B"], site_dep=["A", "A", "B", "B"]
    )
    return demand, sites, dense(demand, sites, [[1, 1, 99, 99], [99, 99, 1, 1]], radius=10)


@pytest.mark.parametrize("solver", SOLVERS)
def test_partner_budget_against_department_minimums(solver):
    """Two advisors in each department, three in all: either the budget or a minimum gives, by one."""
    demand, sites, reach = two_departments()
    with pytest.raises(InfeasibleScenarioError) as caught:
        staffing(
            demand,
            sites,
            reach,
            [Partner("poste", advisors=3)],
            months=1,
            rules=DepartmentRules(min_advisors=2),
            options=SolverOptions(solver=solver),
        )
    message = str(caught.value)
    assert message.startswith("the solver proved the scenario infeasible")
    assert (
        "- partner advisors (poste 3 advisors x 1 slots): poste slots: at most 3 slots asked, 4 needed"
        in (message)
    )
    assert "department minimum advisors (2 each): department " in message
    assert "at least 2 advisors asked, at most 1 possible" in message


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimum_shares_beyond_the_advisors_name_only_the_shares(solver):
    """90 % of 200 need is 180 people; three advisors serve 120 and even four sites serve only 160.

    More slots than sites do not help, so the partner's budget is not named: only the shares,
    short by 60 people in all.
    """
    demand, sites, reach = two_departments()
    with pytest.raises(InfeasibleScenarioError) as caught:
        staffing(
            demand,
            sites,
            reach,
            [Partner("poste", advisors=3)],
            months=1,
            rules=DepartmentRules(min_share={"A": 0.9, "B": 0.9}),
            options=SolverOptions(solver=solver),
        )
    message = str(caught.value)
    assert "partner advisors" not in message
    lines = [line for line in message.splitlines() if line.startswith("- ")]
    assert len(lines) == 1 and lines[0].startswith("- department minimum share ({A: 0.9, B: 0.9}): ")
    possible = [float(v.replace(",", "")) for v in re.findall(r"at most ([\d,]+) \(", lines[0])]
    short = sum(90 - got for got in possible)
    assert short == pytest.approx(60)  # the elastic plan serves all 120 people it can


def market_split() -> pulp.LpProblem:
    """A market-split problem (Cornuejols and Dawande): feasible points are very hard to find."""
    rng = np.random.default_rng(3)
    weights = rng.integers(0, 100, size=(5, 40))
    problem = pulp.LpProblem("market_split", pulp.LpMinimize)
    x = [problem.add_variable(f"x{j}", cat=pulp.LpBinary) for j in range(40)]
    problem += pulp.lpSum(x)
    for i, row in enumerate(weights):
        problem += pulp.lpSum(int(w) * v for w, v in zip(row, x, strict=True)) == int(row.sum() // 2), f"r{i}"
    return problem


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_solve_stopped_without_a_solution_is_not_solved_not_infeasible(solver):
    result = run_solver(market_split(), SolverOptions(solver=solver, time_limit=1.0))
    assert result.status == "not_solved"
    assert result.objective is None


def test_cbc_infeasible_only_when_its_log_proves_it():
    assert (
        cbc_status("infeasible", "Result - Stopped on time limit\nNo feasible solution found") == "not_solved"
    )
    assert cbc_status("infeasible", "Cbc0006I The LP relaxation is being solved") == "not_solved"
    assert cbc_status("infeasible", "Problem is infeasible - 0.00 seconds") == "infeasible"
    assert cbc_status("infeasible", "Result - Linear relaxation infeasible") == "infeasible"
    assert cbc_status("optimal", "Result - Optimal solution found") == "optimal"
