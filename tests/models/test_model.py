"""Model behaviour: bad arguments and explained infeasibility.

Small hand-made instances (model_inputs.py); edge cases, determinism, time
limits and staffing live in test_model_edge_cases.py, the brute-force
comparisons in test_model_properties.py and the published answers in
test_model_reference.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from coverage.errors import InfeasibleScenarioError
from coverage.models.location import (
    DepartmentRules,
    SolverOptions,
    maximal_coverage,
    p_center,
    p_median,
    set_cover,
)
from model_inputs import INF, SOLVERS, dense, frames, line_instance


@pytest.fixture()
def line():
    """Three units and three sites on a line; radius 5: s0 reaches u0, s1 reaches u0-u1, s2 reaches u2."""
    return line_instance()


# -- bad arguments ---------------------------------------------------------------


def test_forced_and_closed_site_is_a_value_error(line):
    demand, sites, reach = line
    with pytest.raises(ValueError, match="both forced open and closed: s1"):
        maximal_coverage(demand, sites, reach, max_sites=2, forced=["s1"], closed=["s1"])


@pytest.mark.parametrize("argument", ["forced", "closed"])
def test_unknown_site_id_is_named(line, argument):
    demand, sites, reach = line
    with pytest.raises(ValueError, match=rf"{argument} names 1 unknown site ids: s9"):
        maximal_coverage(demand, sites, reach, max_sites=2, **{argument: ["s9"]})


def test_frames_must_match_the_reach(line):
    demand, sites, reach = line
    with pytest.raises(ValueError, match="lacks 1 ids"):
        maximal_coverage(demand.iloc[:2], sites, reach, max_sites=1)
    with pytest.raises(ValueError, match="no 'site_id' column"):
        maximal_coverage(demand, sites.rename(columns={"site_id": "id"}), reach, max_sites=1)


def test_negative_need_is_refused(line):
    demand, sites, reach = line
    demand = demand.assign(need=[10, -1, 30])
    with pytest.raises(ValueError, match="u1"):
        maximal_coverage(demand, sites, reach, max_sites=1)


def test_budget_needs_costs(line):
    demand, sites, reach = line
    with pytest.raises(ValueError, match="'cost' column"):
        maximal_coverage(demand, sites.drop(columns="cost"), reach, max_sites=1, budget=3)


def test_department_rules_need_departments(line):
    demand, sites, reach = line
    with pytest.raises(ValueError, match="'dep' column on the sites"):
        maximal_coverage(
            demand, sites.drop(columns="dep"), reach, max_sites=1, rules=DepartmentRules(min_sites=1)
        )
    with pytest.raises(ValueError, match="'dep' column on the demand"):
        maximal_coverage(
            demand.drop(columns="dep"), sites, reach, max_sites=1, rules=DepartmentRules(min_share=0.5)
        )


def test_solver_options_are_checked():
    with pytest.raises(ValueError, match="solver"):
        SolverOptions(solver="gurobi")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time_limit"):
        SolverOptions(time_limit=0)
    with pytest.raises(ValueError, match="gap"):
        SolverOptions(gap=1.5)


# -- infeasibility explained before solving ---------------------------------------


@pytest.mark.parametrize("model", [p_median, p_center])
def test_p_larger_than_candidates(line, model):
    demand, sites, reach = line
    full = dense(demand, sites, np.ones((3, 3)))
    with pytest.raises(InfeasibleScenarioError, match=r"p=4 sites asked for but only 3 candidate sites"):
        model(demand, sites, full, p=4)
    with pytest.raises(
        InfeasibleScenarioError, match=r"p=3 .* only 2 candidate sites \(3 in all, 1 closed\)"
    ):
        model(demand, sites, full, p=3, closed=["s2"])


def test_max_sites_above_the_candidates_is_an_upper_bound_not_an_infeasibility(line):
    """Issue 13: ``max_sites = 5000`` over 3 candidates was called infeasible; it only fails to bind."""
    demand, sites, reach = line
    plan = maximal_coverage(demand, sites, reach, max_sites=5000, closed=["s0"])
    assert plan.status == "optimal" and plan.objective == pytest.approx(60)
    assert set(plan.open_site_ids) <= {"s1", "s2"}


@pytest.mark.parametrize("model", [p_median, p_center])
def test_more_forced_sites_than_p(line, model):
    demand, sites, _ = line
    full = dense(demand, sites, np.ones((3, 3)))
    with pytest.raises(InfeasibleScenarioError, match=r"forced sites: 2 sites are forced open but p=1"):
        model(demand, sites, full, p=1, forced=["s0", "s1"])


def test_more_forced_sites_than_max_sites(line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError, match=r"forced sites: 2 .* max_sites=1"):
        maximal_coverage(demand, sites, reach, max_sites=1, forced=["s0", "s2"])


def test_department_minimum_above_its_candidates(line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError) as caught:
        maximal_coverage(demand, sites, reach, max_sites=3, rules=DepartmentRules(min_sites={"B": 2}))
    message = str(caught.value)
    assert "department B needs at least 2 sites but has 1 eligible sites" in message


def test_department_minimum_of_an_unknown_department(line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError, match="department Z needs at least 1 sites but has 0"):
        set_cover(demand, sites, reach, rules=DepartmentRules(min_sites={"Z": 1}))


def test_department_minimums_above_max_sites(line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError, match=r"minimums add up to 2 sites but at most 1"):
        maximal_coverage(demand, sites, reach, max_sites=1, rules=DepartmentRules(min_sites=1))


def test_serve_exactly_more_departments_than_have_sites(line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError, match=r"3 departments must be served but only 2 have"):
        maximal_coverage(demand, sites, reach, max_sites=3, rules=DepartmentRules(serve_exactly=3))


def test_department_maximum_below_its_forced_sites(line):
    demand, sites, reach = line
    with pytest.raises(
        InfeasibleScenarioError, match=r"department A allows at most 1 sites but 2 are forced"
    ):
        maximal_coverage(
            demand, sites, reach, max_sites=3, forced=["s0", "s1"], rules=DepartmentRules(max_sites=1)
        )


def test_set_cover_names_the_units_out_of_reach():
    demand, sites = frames([5, 0, 7], ["s0", "s1"])
    reach = dense(demand, sites, [[1, INF], [INF, INF], [INF, 30]], radius=10)
    with pytest.raises(InfeasibleScenarioError) as caught:
        set_cover(demand, sites, reach)
    message = str(caught.value)
    assert "1 units with need (7 in all)" in message
    assert "u2" in message and "u1" not in message  # u1 has no need
    assert "within 10 m" in message


def test_coverage_target_above_what_reach_allows():
    demand, sites = frames([5, 7], ["s0", "s1"])
    reach = dense(demand, sites, [[1, INF], [INF, INF]])
    with pytest.raises(InfeasibleScenarioError, match=r"coverage target: 10 .* at most 5 of 12"):
        set_cover(demand, sites, reach, target=10)


# -- infeasibility the solver finds, explained by relaxation ----------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimum_share_out_of_reach_is_named(solver):
    """Half of department A's need is out of reach: a 100 % share cannot hold, and only it is to blame."""
    demand, sites = frames([10, 10, 10], ["sA", "sB"], unit_dep=["A", "A", "B"], site_dep=["A", "B"])
    reach = dense(demand, sites, [[1, INF], [INF, INF], [INF, 1]])
    with pytest.raises(InfeasibleScenarioError) as caught:
        maximal_coverage(
            demand,
            sites,
            reach,
            max_sites=2,
            rules=DepartmentRules(min_share=1.0),
            options=SolverOptions(solver=solver),
        )
    message = str(caught.value)
    # Only the share rule can give: more sites reach no more of A. Its numbers: A's 20 need, 10 in reach.
    assert (
        "- department minimum share (1 each): department A: at least 20 need served asked "
        "(100.0 % of its need), at most 10 (50.0 %) possible"
    ) in message
    assert "site count" not in message


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimum_share_against_the_site_count_is_explained(solver):
    """Each department needs its own site for a full share, but one site may open."""
    demand, sites = frames([10, 10], ["sA", "sB"], unit_dep=["A", "B"], site_dep=["A", "B"])
    reach = dense(demand, sites, [[1, INF], [INF, 1]])
    with pytest.raises(InfeasibleScenarioError) as caught:
        maximal_coverage(
            demand,
            sites,
            reach,
            max_sites=1,
            rules=DepartmentRules(min_share=1.0),
            options=SolverOptions(solver=solver),
        )
    message = str(caught.value)
    # Either group alone restores feasibility: both are named, each with its numbers.
    assert "- site count (at most 1 sites): at most 1 sites asked, 2 needed" in message
    assert re.search(
        r"- department minimum share \(1 each\): department [AB]: at least 10 need served asked "
        r"\(100\.0 % of its need\), at most 0 \(0\.0 %\) possible",
        message,
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimum_share_that_holds_is_kept(solver):
    demand, sites = frames([10, 10, 30], ["sA", "sB"], unit_dep=["A", "B", "B"], site_dep=["A", "B"])
    reach = dense(demand, sites, [[1, INF], [INF, 1], [INF, 1]])
    # Unconstrained, the one site goes to B (40 need); a 50 % share for A forces sA.
    plan = maximal_coverage(
        demand,
        sites,
        reach,
        max_sites=1,
        rules=DepartmentRules(min_share={"A": 0.5}),
        options=SolverOptions(solver=solver),
    )
    assert plan.open_site_ids == ("sA",)
    assert plan.objective == pytest.approx(10)


@pytest.mark.parametrize("solver", SOLVERS)
def test_forced_sites_over_budget_name_the_budget(solver, line):
    demand, sites, reach = line
    with pytest.raises(InfeasibleScenarioError) as caught:
        maximal_coverage(
            demand,
            sites,
            reach,
            max_sites=3,
            forced=["s1", "s2"],
            budget=4,
            options=SolverOptions(solver=solver),
        )
    message = str(caught.value)
    # s1 and s2 cost 2 + 3: the budget needs 5, or one forced site must give.
    assert "- budget (site costs at most 4): at most 4 in site costs asked, 5 needed" in message
    assert re.search(
        r"- forced sites \(2 sites forced open\): site s[12] open: at least 1 asked, at most 0 possible",
        message,
    )
