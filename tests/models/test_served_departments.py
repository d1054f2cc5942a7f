"""Maximal coverage in exactly K departments (:mod:`coverage.models.served_departments`).

The stronger formulation solved by HiGHS must find the brute-force optimum on
tiny instances (forced and closed sites included), the plain MIP's optimum on
small random ones of a few hundred pairs, and be what ``formulation='auto'``
picks for that rule (the plan says so in its ``method``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import Rules
from coverage import Reach
from coverage.inputs.rules import DepartmentRules
from coverage.models.instance import prepare
from coverage.models.location import maximal_coverage
from coverage.models.served_departments import fits_served_departments, solve_served_departments
from coverage.models.solver import SolverOptions
from model_cases import (
    FEW,
    PROPERTY,
    Tiny,
    check_plan_rules,
    check_served,
    forced_closed,
    library_rules,
    solve_like_brute,
    tiny,
)


@st.composite
def serve_case(draw: st.DrawFn) -> tuple[Tiny, Rules, int]:
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    rules = Rules(forced=forced, closed=closed, site_dep=inst.site_dep, serve_exactly=draw(st.integers(0, 3)))
    return inst, rules, draw(st.integers(0, inst.m - len(closed)))


def run(inst: Tiny, rules: Rules, max_sites: int, formulation: str, solver: str = "auto"):
    return maximal_coverage(
        inst.demand(),
        inst.sites(),
        inst.reach(),
        max_sites=max_sites,
        rules=library_rules(inst, rules),
        forced=inst.ids(rules.forced),
        closed=inst.ids(rules.closed),
        options=SolverOptions(solver=solver),  # type: ignore[arg-type]
        formulation=formulation,
    )


@PROPERTY
@given(case=serve_case())
def test_departments_served_equals_brute_force(case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    plan = solve_like_brute(best, lambda: run(inst, rules, max_sites, "departments"))
    if plan is None:
        return
    model_sites = prepare(
        inst.demand(), inst.sites(), inst.reach(), closed=inst.ids(rules.closed)
    ).n_model_sites
    # With no site reaching any need (nor forced) the plain MIP answers the empty model.
    assert plan.method == ("served_departments" if model_sites or rules.forced else "mip")
    assert plan.bound == pytest.approx(best, abs=1e-6)
    check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst)


def _random_case(seed: int, n_units: int = 120, n_sites: int = 40, n_deps: int = 8):
    """Units and sites scattered over a square with departments in vertical bands; reach within 12."""
    rng = np.random.default_rng(seed)
    units = rng.uniform(0, 100, (n_units, 2))
    points = rng.uniform(0, 100, (n_sites, 2))
    dist = np.linalg.norm(units[:, None, :] - points[None, :, :], axis=2)
    demand = pd.DataFrame(
        {"unit_id": [f"u{i}" for i in range(n_units)], "need": rng.integers(1, 100, n_units)}
    )
    band = np.minimum((points[:, 0] / 100 * n_deps).astype(int), n_deps - 1)
    sites = pd.DataFrame({"site_id": [f"s{j}" for j in range(n_sites)], "dep": [f"D{b}" for b in band]})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], dist, max_distance=12.0)
    return demand, sites, reach


@FEW
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6), extra=st.integers(0, 8))
def test_departments_served_equals_the_plain_mip(seed, k, extra):
    demand, sites, reach = _random_case(seed)
    rules = DepartmentRules(serve_exactly=k)
    kwargs = {"max_sites": k + extra, "rules": rules}
    mip = maximal_coverage(
        demand, sites, reach, formulation="mip", options=SolverOptions(solver="cbc"), **kwargs
    )
    plan = maximal_coverage(demand, sites, reach, **kwargs)
    assert plan.method == "served_departments"
    assert plan.status == mip.status == "optimal"
    assert plan.objective == pytest.approx(mip.objective, rel=1e-9)
    assert plan.bound == pytest.approx(plan.objective, rel=1e-9)
    opened = sites.set_index("site_id").loc[list(plan.open_site_ids), "dep"]
    assert opened.nunique() == k
    assert len(plan.open_site_ids) <= k + extra


def test_auto_keeps_cbc_when_asked_and_other_rules_on_the_plain_mip():
    demand, sites, reach = _random_case(3)
    cbc = maximal_coverage(
        demand,
        sites,
        reach,
        max_sites=6,
        rules=DepartmentRules(serve_exactly=3),
        options=SolverOptions(solver="cbc"),
    )
    assert cbc.method == "mip"
    mixed = maximal_coverage(
        demand, sites, reach, max_sites=6, rules=DepartmentRules(serve_exactly=3, max_sites=2)
    )
    assert mixed.method != "served_departments"
    with pytest.raises(ValueError, match="department rules other than the departments served"):
        maximal_coverage(
            demand,
            sites,
            reach,
            max_sites=6,
            rules=DepartmentRules(serve_exactly=3, max_sites=2),
            formulation="departments",
        )


def test_fits_names_what_stops_it():
    demand, sites, reach = _random_case(1, n_units=10, n_sites=5)
    inst = prepare(demand, sites, reach)
    assert fits_served_departments(inst, DepartmentRules()) == "no departments-served rule"
    assert fits_served_departments(inst, DepartmentRules(serve_exactly=2)) is None
    sites["cost"] = 1.0
    costly = prepare(demand, sites, reach, budget=3.0)
    assert fits_served_departments(costly, DepartmentRules(serve_exactly=2)) == "a budget"


def test_a_time_limit_still_gives_a_plan_and_its_bound():
    demand, sites, reach = _random_case(7, n_units=400, n_sites=150, n_deps=12)
    inst = prepare(demand, sites, reach)
    codes = pd.factorize(pd.Series(inst.model_site_dep))[0]
    start = np.zeros(inst.n_model_sites, bool)
    start[[int(np.flatnonzero(codes == d)[0]) for d in range(4)]] = True
    result = solve_served_departments(
        inst.indptr, inst.cols, inst.row_need, codes, 10, 4, start=start, time_limit=0.01
    )
    assert result is not None
    assert result.open.sum() <= 10
    assert len(set(codes[result.open].tolist())) == 4
    assert result.bound >= result.objective - 1e-6
    assert 0.0 <= result.gap < 1.0


def test_the_solve_reports_its_figures_to_a_watch():
    from coverage.models.live import SolverProgress, SolveWatch, watching

    demand, sites, reach = _random_case(5)
    events: list = []
    with watching(SolveWatch(events.append)):
        plan = maximal_coverage(demand, sites, reach, max_sites=5, rules=DepartmentRules(serve_exactly=3))
    figures = [e for e in events if isinstance(e, SolverProgress)]
    assert plan.method == "served_departments"
    assert figures and figures[-1].incumbent == pytest.approx(plan.objective)
    assert figures[-1].bound == pytest.approx(plan.bound)


def test_a_later_one_thread_highs_solve_still_runs():
    """HiGHS keeps one thread scheduler per process: the component MIPs (threads = 1) must still solve."""
    import highspy

    indptr, cols = np.array([0, 2, 3, 4, 5]), np.array([0, 2, 1, 2, 3])
    assert solve_served_departments(
        indptr, cols, np.array([10.0, 6.0, 5.0, 4.0]), np.array([0, 0, 1, 2]), 2, 2
    )
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.addVar(0.0, 1.0)
    h.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    h.changeColCost(0, -1.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def test_it_solves_after_a_highs_run_with_the_default_threads():
    """PuLP's HiGHS leaves the thread count to HiGHS; a one-thread solve after it still runs."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVar(0.0, 1.0)
    h.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    h.run()
    indptr, cols = np.array([0, 2, 3, 4, 5]), np.array([0, 2, 1, 2, 3])
    result = solve_served_departments(
        indptr, cols, np.array([10.0, 6.0, 5.0, 4.0]), np.array([0, 0, 1, 2]), 2, 2
    )
    assert result is not None and result.optimal and result.objective == 21.0
