"""Capacitated p-median (issue 16): brute force on tiny instances, spopt's schools answer, the verifier."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage import Reach, p_median
from coverage.errors import InfeasibleScenarioError
from coverage.models.instance import prepare
from coverage.models.solver import SolveResult
from coverage.plan.plan import Plan
from coverage.plan.verify import verify_plan


@st.composite
def case(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 4))
    dist = draw(
        st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=m, max_size=m), min_size=n, max_size=n
        )
    )
    return {
        "need": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
        "dist": [[np.inf if d is None else float(d) for d in row] for row in dist],
        "capacity": draw(st.lists(st.integers(0, 6), min_size=m, max_size=m)),
        "p": draw(st.integers(1, m)),
        "forced": draw(st.lists(st.booleans(), min_size=m, max_size=m)),
        "fill": draw(st.booleans()),
    }


def brute_force(c: dict) -> float | None:
    """Best cost over every assignment of the units with need (None: none is feasible)."""
    dist, need, cap = np.array(c["dist"]), np.array(c["need"], float), np.array(c["capacity"], float)
    forced = set(np.flatnonzero(c["forced"]).tolist())
    if len(forced) > c["p"]:
        return None
    units = [i for i in range(len(need)) if need[i] > 0]
    best = None
    for choice in itertools.product(range(len(cap)), repeat=len(units)):
        if any(not np.isfinite(dist[i, j]) for i, j in zip(units, choice, strict=True)):
            continue
        load = np.zeros(len(cap))
        for i, j in zip(units, choice, strict=True):
            load[j] += need[i]
        if (load > cap).any() or len(set(choice) | forced) > c["p"]:
            continue
        if c["fill"] and any(load[j] != cap[j] for j in forced):
            continue
        cost = sum(need[i] * dist[i, j] for i, j in zip(units, choice, strict=True))
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=60, deadline=None)
@given(c=case())
def test_matches_brute_force(c: dict) -> None:
    ids = [f"u{i}" for i in range(len(c["need"]))]
    site_ids = [f"s{j}" for j in range(len(c["capacity"]))]
    demand = pd.DataFrame({"unit_id": ids, "need": [float(v) for v in c["need"]]})
    sites = pd.DataFrame({"site_id": site_ids, "cap": c["capacity"]})
    reach = Reach.from_dense(ids, site_ids, c["dist"])
    forced = [s for s, f in zip(site_ids, c["forced"], strict=True) if f]
    expected = brute_force(c)
    try:
        plan = p_median(demand, sites, reach, p=c["p"], capacity="cap", forced=forced, fill_forced=c["fill"])
    except InfeasibleScenarioError:
        assert expected is None
        return
    assert expected is not None
    assert plan.status == "optimal" and plan.method == "capacitated"
    assert plan.objective == pytest.approx(expected, abs=1e-6)
    assert verify_plan(plan) == []
    units = plan.units
    with_need = units[units["need"] > 0]
    cost = float((with_need["need"] * with_need["assigned_distance"]).sum())
    assert cost == pytest.approx(expected, abs=1e-6)
    if len(with_need):
        assert plan.mean_distance == pytest.approx(cost / with_need["need"].sum())


def test_assigned_not_nearest_and_verifier_catches_overload() -> None:
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [3.0, 3.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "seats": [4, 10]})
    reach = Reach.from_dense(["u1", "u2"], ["s1", "s2"], [[100, 900], [200, 700]])
    plan = p_median(demand, sites, reach, p=2, capacity="seats")
    units = plan.units.set_index("unit_id")
    assert units.loc["u2", "nearest_open_site"] == "s1" and units.loc["u2", "assigned_site"] == "s2"
    assert plan.mean_distance == pytest.approx(400.0)  # (3 x 100 + 3 x 700) / 6, not the nearest 150
    assert plan.objective == pytest.approx(2400.0)
    assert verify_plan(plan) == []
    # Both units at s1 (need 6 over 4 seats): the verifier names the site.
    inst = prepare(demand, sites, reach)
    result = SolveResult("optimal", 1500.0, 1500.0, 0.0, "cbc")
    both_open = np.ones(2, dtype=bool)

    def tampered(assignment: list[int], served: list[float]) -> Plan:
        solution = inst.solution(
            "p_median", result, both_open, build_seconds=0.0, sense="min", served=np.array(served)
        )
        solution = replace(solution, assignment=np.array(assignment))
        return Plan.from_solution(
            solution, demand=demand, sites=sites, reach=reach, constraints=plan.constraints
        )

    found = verify_plan(tampered([0, 0], [3.0, 3.0]))
    assert [(v.check, v.subject) for v in found] == [("site capacity", "s1")]
    found = verify_plan(tampered([0, -1], [3.0, 0.0]))
    assert ("assignment", "u2") in [(v.check, v.subject) for v in found]


def test_capacity_errors_are_readable() -> None:
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [3.0, 3.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "seats": [4, "many"]})
    reach = Reach.from_dense(["u1", "u2"], ["s1", "s2"], [[100, 900], [200, 700]])
    with pytest.raises(ValueError, match="s2='many'"):
        p_median(demand, sites, reach, p=2, capacity="seats")
    with pytest.raises(ValueError, match="no 'places' column"):
        p_median(demand, sites, reach, p=2, capacity="places")
    sites["seats"] = [4, 1]
    with pytest.raises(InfeasibleScenarioError, match="can hold at most 5"):
        p_median(demand, sites, reach, p=2, capacity="seats")


def schools(reference: Path) -> tuple[pd.DataFrame, pd.DataFrame, Reach, list[str]]:
    """spopt's capacitated p-median test data (students x schools, travel minutes)."""
    folder = reference / "spopt_sf"
    times = pd.read_csv(folder / "example_subject_student_school_journeys.csv")
    students = pd.read_csv(folder / "example_subject_students.csv")
    table = pd.read_csv(folder / "example_subject_schools.csv")
    demand = pd.DataFrame({"unit_id": students["ST: ID"].astype(str), "need": 1.0})
    sites = pd.DataFrame({"site_id": table["SE2 PP: Code"].astype(str), "Count": table["Count"]})
    reach = Reach.from_pairs(
        demand["unit_id"],
        sites["site_id"],
        times["student"].astype(str),
        times["school"].astype(str),
        times["time"],
        unit="min",
    )
    return demand, sites, reach, sites["site_id"][table["priority"] == 1].tolist()


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_spopt_schools(reference: Path, solver: str) -> None:
    """spopt's answer (its test_optimality_capacitated_pmedian_with_predefined_facilities): mean 87.2."""
    from coverage.models.solver import SolverOptions

    demand, sites, reach, forced = schools(reference)
    plan = p_median(
        demand,
        sites,
        reach,
        p=10,
        capacity="Count",
        forced=forced,
        fill_forced=True,
        options=SolverOptions(solver=solver),
    )
    assert plan.status == "optimal"
    assert plan.mean_distance == pytest.approx(87.2)
    assert verify_plan(plan) == []
    assert len(plan.sites) == 10
