"""Maximal coverage from the sparse arrays (CBC and HiGHS without PuLP), against brute force and PuLP.

The matrix path (:mod:`coverage.models.matrix_coverage`) must find the
brute-force optimum on tiny instances (forced and closed sites included),
through CBC (``solver='auto'``, the size threshold lowered to 0) and through
HiGHS (``solver='highs'``); on larger random instances the same optimum as the
PuLP model on CBC (``solver='cbc'``); never report a plan below its warm start;
and report a bound at least its objective when stopped early.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import Rules
from coverage.models import SolverOptions, matrix_coverage
from coverage.models.cbc_matrix import _read_solution, _run, interrupt_at, solve_cbc_arrays
from coverage.models.highs_matrix import coverage_lp, solve_coverage_cbc, solve_coverage_matrix
from coverage.models.location import maximal_coverage
from coverage.reach.pairs import Reach
from model_cases import FEW, check_plan_rules, check_served, forced_closed, solve_like_brute, tiny


@st.composite
def tiny_case(draw: st.DrawFn):
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    max_sites = draw(st.integers(len(forced), inst.m - len(closed)))
    return inst, Rules(forced=forced, closed=closed), max_sites


@pytest.fixture
def every_size(monkeypatch):
    """``solver='auto'`` takes the matrix path whatever the model's size."""
    monkeypatch.setattr(matrix_coverage, "MATRIX_MIN_PAIRS", 0)


@pytest.mark.parametrize("solver", ["auto", "highs"])
def test_the_matrix_path_equals_brute_force(every_size, solver):
    @FEW
    @given(case=tiny_case())
    def check(case):
        inst, rules, max_sites = case
        best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
        plan = solve_like_brute(
            best,
            lambda: maximal_coverage(
                inst.demand(),
                inst.sites(),
                inst.reach(),
                max_sites=max_sites,
                forced=inst.ids(rules.forced),
                closed=inst.ids(rules.closed),
                options=SolverOptions(solver=solver),
                formulation="mip",
            ),
        )
        if plan is None:
            return
        assert plan.solver == ("highs" if solver == "highs" else "cbc")
        assert plan.bound == pytest.approx(best, abs=1e-6)
        check_plan_rules(plan, inst, rules, max_sites=max_sites)
        check_served(plan, inst)

    check()


@st.composite
def random_case(draw: st.DrawFn):
    """Overlapping reaches (one component, as the hard instances), some sites forced."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n, m = draw(st.integers(20, 80)), draw(st.integers(8, 30))
    unit_xy, site_xy = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    need = rng.integers(0, 100, n).astype(float)
    forced = [j for j in range(m) if draw(st.booleans()) and j % 7 == 0]
    max_sites = draw(st.integers(len(forced), m))
    return unit_xy, site_xy, need, forced, max_sites


def _frames(unit_xy, site_xy, need):
    demand = pd.DataFrame({"unit_id": [f"u{i}" for i in range(len(need))], "need": need})
    sites = pd.DataFrame({"site_id": [f"s{j}" for j in range(len(site_xy))]})
    reach = Reach.from_points(demand["unit_id"], unit_xy, sites["site_id"], site_xy, radius=25.0)
    return demand, sites, reach


@FEW
@given(case=random_case())
def test_cbc_and_highs_from_arrays_equal_the_pulp_model(case):
    unit_xy, site_xy, need, forced, max_sites = case
    demand, sites, reach = _frames(unit_xy, site_xy, need)
    kwargs = {"max_sites": max_sites, "forced": [f"s{j}" for j in forced], "formulation": "mip"}
    pulp_plan = maximal_coverage(demand, sites, reach, options=SolverOptions(solver="cbc"), **kwargs)
    highs = maximal_coverage(demand, sites, reach, options=SolverOptions(solver="highs"), **kwargs)
    old = matrix_coverage.MATRIX_MIN_PAIRS
    matrix_coverage.MATRIX_MIN_PAIRS = 0
    try:
        cbc = maximal_coverage(demand, sites, reach, **kwargs)
    finally:
        matrix_coverage.MATRIX_MIN_PAIRS = old
    assert pulp_plan.status == highs.status == cbc.status == "optimal"
    assert (highs.solver, cbc.solver) == ("highs", "cbc")
    for plan in (highs, cbc):
        assert plan.objective == pytest.approx(pulp_plan.objective, abs=1e-6)
        assert plan.served_need == pytest.approx(plan.objective, abs=1e-6)
        assert len(plan.open_site_ids) <= max_sites


def _arrays(seed: int, n: int = 400, m: int = 120):
    rng = np.random.default_rng(seed)
    unit_xy, site_xy = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    need = rng.integers(1, 100, n).astype(float)
    _, _, reach = _frames(unit_xy, site_xy, need)
    order = np.lexsort((reach.cols, reach.rows))
    rows, cols = reach.rows[order], reach.cols[order]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n)))).astype(np.int64)
    return indptr, cols.astype(np.int64), need, m


@pytest.mark.parametrize("solve", [solve_coverage_cbc, solve_coverage_matrix])
def test_a_stop_before_the_proof_keeps_the_start_or_better_and_a_valid_bound(solve):
    indptr, cols, need, m = _arrays(3)
    exact = solve(indptr, cols, need, m, 10)
    start = np.zeros(m, bool)
    start[:10] = True
    early = solve(indptr, cols, need, m, 10, start=start, node_limit=1)
    rows = np.repeat(np.arange(len(need)), np.diff(indptr))
    hit = np.zeros(len(need), bool)
    hit[rows[start[cols]]] = True
    assert exact.status == "optimal"
    assert early.objective >= need[hit].sum() - 1e-6
    assert early.objective <= exact.objective + 1e-6
    assert early.bound is not None and early.bound >= exact.objective - 1e-6
    assert early.open.sum() <= 10
    assert early.status in ("optimal", "feasible")


def test_a_requested_gap_is_feasible_with_its_bound_not_optimal():
    indptr, cols, need, m = _arrays(5, n=600, m=150)
    exact = solve_coverage_cbc(indptr, cols, need, m, 12)
    loose = solve_coverage_cbc(indptr, cols, need, m, 12, gap=0.2)
    assert loose.bound >= exact.objective - 1e-6
    assert loose.gap is not None and loose.gap <= 0.2 + 1e-9
    assert loose.status == "optimal" or loose.bound > loose.objective


def test_cbc_from_arrays_minimises_and_reports_infeasible():
    # Both sites forced open, at most one allowed: CBC proves infeasibility.
    lp = coverage_lp(
        np.array([0, 1, 2]), np.array([0, 1]), np.array([2.0, 3.0]), 2, 1, forced=np.array([True, True])
    )
    found = solve_cbc_arrays(lp, maximise=True)
    assert found.status == "infeasible"
    assert found.values is None
    lp = coverage_lp(np.array([0, 1, 2]), np.array([0, 1]), np.array([2.0, 3.0]), 2, 1)
    cheapest = solve_cbc_arrays(lp, maximise=False)
    assert cheapest.status == "optimal"
    assert cheapest.objective == pytest.approx(0.0)


def test_the_solution_file_without_a_plan_is_read_as_none(tmp_path):
    path = tmp_path / "model.sol"
    path.write_text("Stopped on time - no integer solution - objective value 0\n")
    assert _read_solution(path, 3) == ("not_solved", None)
    path.write_text("Stopped on iterations - objective value -5\n      1 c1   1   0\n")
    status, values = _read_solution(path, 3)
    assert status == "feasible"
    assert values.tolist() == [0.0, 1.0, 0.0]


def test_a_solver_that_ignores_the_interrupt_is_killed_at_the_limit_not_after(tmp_path, caplog):
    # CBC ignores SIGINT during its root cut passes (35k x 17k ended 5.4 s past its limit):
    # a process that ignores SIGINT stands for it. The limit must be hard.
    import sys
    import time

    stubborn = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)"
    limit = 2.0
    began = time.perf_counter()
    # Set the module's own level: a CLI test earlier in the run leaves the 'coverage' logger at ERROR.
    module = "coverage.models.cbc_matrix"
    with open(tmp_path / "log", "w") as log_file, caplog.at_level(logging.WARNING, module):
        _run([sys.executable, "-c", stubborn], log_file, limit)
    elapsed = time.perf_counter() - began
    assert elapsed < limit + 1.5, f"ended {elapsed - limit:.1f} s past its {limit} s limit"
    assert "killed at the limit" in caplog.text  # its plan is lost: the caller keeps its start
    assert interrupt_at(limit) < limit and interrupt_at(60.0) == 55.0


def test_each_phase_is_logged_and_a_spent_limit_skips_the_exchanges(every_size, caplog):
    indptr, cols, need, m = _arrays(7)
    rng = np.random.default_rng(7)
    demand, sites, reach = _frames(rng.uniform(0, 100, (400, 2)), rng.uniform(0, 100, (120, 2)), need)
    shares = dict(matrix_coverage.PHASE_SHARES)
    matrix_coverage.PHASE_SHARES.update({"exchanges": 0.0})
    try:
        with caplog.at_level(logging.INFO, logger="coverage"):
            plan = maximal_coverage(demand, sites, reach, max_sites=10, options=SolverOptions(time_limit=30))
    finally:
        matrix_coverage.PHASE_SHARES.update(shares)
    text = caplog.text
    assert "greedy start" in text
    assert "exchanges skipped" in text
    assert plan.status in ("optimal", "feasible")
    assert plan.solver == "cbc"


@pytest.mark.parametrize("solver", ["auto", "highs"])
def test_a_watch_follows_the_matrix_solve(every_size, solver):
    from coverage.models.live import SolveWatch, watching

    rng = np.random.default_rng(11)
    need = rng.integers(1, 100, 300).astype(float)
    demand, sites, reach = _frames(rng.uniform(0, 100, (300, 2)), rng.uniform(0, 100, (90, 2)), need)
    events = []
    watch = SolveWatch(events.append)
    with watching(watch):
        plan = maximal_coverage(
            demand, sites, reach, max_sites=8, formulation="mip", options=SolverOptions(solver=solver)
        )
    assert events, "no progress reported"
    final = watch.latest
    assert final.solver == plan.solver == ("highs" if solver == "highs" else "cbc")
    assert final.sense == "max"
    assert round(final.incumbent) == round(plan.objective)
    assert watch.stopped == 0 and not plan.stopped


@FEW
@given(seed=st.integers(0, 2**31 - 1), count=st.integers(1, 12))
def test_the_greedy_bound_is_at_least_the_optimum(seed, count):
    from coverage.models.coverage_bounds import greedy_bound

    indptr, cols, need, m = _arrays(seed, n=120, m=40)
    exact = solve_coverage_cbc(indptr, cols, need, m, count)
    rng = np.random.default_rng(seed)
    plan = np.zeros(m, bool)
    plan[rng.choice(m, count, replace=False)] = True
    assert exact.status == "optimal"
    assert greedy_bound(indptr, cols, need, plan, count) >= exact.objective - 1e-6
    assert greedy_bound(indptr, cols, need, exact.open, count) >= exact.objective - 1e-6
