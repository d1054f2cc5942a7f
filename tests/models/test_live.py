"""Live solver progress and stopping at the incumbent, on real CBC and HiGHS runs (no canned logs)."""

from __future__ import annotations

import threading

import numpy as np
import pulp
import pytest

from coverage.models.live import SolverProgress, SolveWatch, current_watch, parse_cbc_line, watching
from coverage.models.solver import SolverOptions, run_solver
from coverage.plan.verify import check_plan
from coverage.scenario.loading import load_scenario
from coverage.scenario.output import run_summary
from coverage.scenario.run import run_scenario
from long_solve import long_scenario

SOLVERS = ("cbc", "highs")


def coverage_problem(n_units: int = 1200, n_sites: int = 250, p: int = 12, seed: int = 0) -> pulp.LpProblem:
    """A random maximal coverage that CBC and HiGHS take well over a minute to prove optimal."""
    rng = np.random.default_rng(seed)
    need = rng.integers(1, 100, n_units)
    problem = pulp.LpProblem("hard_coverage", pulp.LpMaximize)
    y = [problem.add_variable(f"y{j}", lowBound=0, upBound=1, cat=pulp.LpBinary) for j in range(n_sites)]
    z = [problem.add_variable(f"z{i}", lowBound=0, upBound=1) for i in range(n_units)]
    problem += pulp.lpSum(int(need[i]) * z[i] for i in range(n_units))
    for i in range(n_units):
        problem += z[i] <= pulp.lpSum(y[j] for j in rng.choice(n_sites, 12, replace=False))
    problem += pulp.lpSum(y) <= p
    return problem


def small_min_problem() -> pulp.LpProblem:
    """A small set cover (a minimisation) that both solvers prove optimal at once."""
    rng = np.random.default_rng(3)
    problem = pulp.LpProblem("small_cover", pulp.LpMinimize)
    y = [problem.add_variable(f"y{j}", lowBound=0, upBound=1, cat=pulp.LpBinary) for j in range(60)]
    problem += pulp.lpSum((1 + j % 7) * y[j] for j in range(60))
    for _ in range(200):
        problem += pulp.lpSum(y[j] for j in rng.choice(60, 4, replace=False)) >= 1
    return problem


def stop_at_first_incumbent(events: list[SolverProgress]) -> SolveWatch:
    """A watch that records every event and asks the solver to stop once it has an incumbent."""

    def on_progress(event: SolverProgress) -> None:
        events.append(event)
        if event.incumbent is not None:
            watch.stop()

    watch = SolveWatch(on_progress)
    return watch


def test_cbc_lines_are_read_in_the_models_sense():
    line = "Cbc0010I After 5 nodes, 2 on tree, -10 best solution, best possible -12.5 (0.3 seconds)"
    assert parse_cbc_line(line, "max") == {"nodes": 5, "incumbent": 10.0, "bound": 12.5}
    assert parse_cbc_line(line, "min") == {"nodes": 5, "incumbent": -10.0, "bound": -12.5}
    assert parse_cbc_line("Cbc0004I Integer solution of -7 found after 3 iterations", "max") == {
        "incumbent": 7.0
    }
    assert parse_cbc_line("Clp0006I 0  Obj 0 Primal inf 12.3 (4)", "max") == {}


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_minimisation_reports_its_figures_in_its_own_sense(solver):
    events: list[SolverProgress] = []
    with watching(SolveWatch(events.append)):
        result = run_solver(small_min_problem(), SolverOptions(solver=solver))
    assert result.status == "optimal" and not result.stopped
    assert events, "the watch saw no event"
    for event in events:
        assert event.solver == solver and event.sense == "min"
        if event.incumbent is not None and event.bound is not None:
            assert event.bound <= event.incumbent + 1e-6  # a minimisation's bound is below its incumbent
    assert events[-1].incumbent == pytest.approx(result.objective)
    assert events[-1].gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_long_solve_reports_progress_and_stops_at_its_incumbent(solver):
    events: list[SolverProgress] = []
    watch = stop_at_first_incumbent(events)
    with watching(watch):
        result = run_solver(coverage_problem(), SolverOptions(solver=solver, time_limit=300))
    during = events[:-1]  # the last event is the solve's own result
    assert any(e.incumbent is not None for e in during), f"no incumbent reported during the solve: {events}"
    assert any(e.bound is not None for e in during)
    for event in events:
        assert event.sense == "max" and event.elapsed >= 0
        if event.incumbent is not None and event.bound is not None:
            assert event.bound >= event.incumbent - 1e-6
            assert event.gap == pytest.approx((event.bound - event.incumbent) / event.incumbent)
    incumbents = [e.incumbent for e in events if e.incumbent is not None]
    assert incumbents == sorted(incumbents)  # the best solution only improves
    # Stopped at the incumbent: a plan, not proven optimal, with its bound and gap.
    assert result.stopped and watch.stopped == 1
    assert result.status == "feasible"
    assert result.objective == pytest.approx(events[-1].incumbent)
    assert result.bound is not None and result.bound > result.objective


def test_a_stop_asked_before_the_cbc_solve_still_gives_a_plan():
    watch = SolveWatch()
    watch.stop()
    with watching(watch):
        result = run_solver(coverage_problem(seed=1), SolverOptions(solver="cbc", time_limit=300))
    assert result.status in ("feasible", "not_solved")  # CBC stops at its first node
    assert result.stopped


def test_a_stopped_scenario_is_labelled_checked_and_written(tmp_path):
    """The plan a planner stopped says so with its gap, and the verifier still checks it."""
    scenario = load_scenario(long_scenario(tmp_path))
    events: list[SolverProgress] = []
    watch = stop_at_first_incumbent(events)
    phases: list[str] = []
    with watching(watch):
        run = run_scenario(scenario, progress=lambda phase, done, total: phases.append(phase))
    plan = run.plan
    assert watch.stopped == 1, f"the solve ended {plan.status} before the stop reached CBC"
    assert phases[-1] == "plan"
    assert plan.stopped and plan.status == "feasible"
    assert plan.gap is not None and plan.gap > 0
    check_plan(plan)  # the verifier checks a stopped plan like any other
    summary = run_summary(run)
    assert summary["summary"]["stopped_by_planner"] is True
    assert summary["summary"]["bound"] == pytest.approx(plan.bound)
    assert summary["note"].startswith("the planner stopped the solver at this plan with a gap of")
    assert summary["repeatable"] is False


def test_a_watch_is_current_only_in_its_own_thread():
    watch = SolveWatch()
    seen: list[object] = []
    with watching(watch):
        thread = threading.Thread(target=lambda: seen.append(current_watch()))
        thread.start()
        thread.join()
    assert seen == [None]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_stop_before_any_solution_is_not_solved_or_a_real_plan(solver):
    """Stopped before its first incumbent, a solve never passes off stray values as a plan."""
    watch = SolveWatch()
    watch.stop()
    problem = coverage_problem(seed=2)
    with watching(watch):
        result = run_solver(problem, SolverOptions(solver=solver, time_limit=300))
    assert result.stopped
    if result.status == "feasible":  # an incumbent found before the stop took effect: a true one
        values = {v.name: v.varValue for v in problem.variables()}
        opened = sum(values[f"y{j}"] for j in range(250))
        assert opened <= 12 + 1e-6
        assert all(abs(values[f"y{j}"] - round(values[f"y{j}"])) < 1e-6 for j in range(250))
    else:
        assert result.status == "not_solved" and result.objective is None


def test_the_shortlist_solve_reports_its_figures_too() -> None:
    """Issue 12: the founding case's longest wait is its shortlist; its figures reach the planner."""
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.run import run_scenario, shipped_scenario

    events: list = []
    seen: dict[str, int] = {}
    scenario = load_scenario(shipped_scenario("demo"), overrides=["sites.mairie.shortlist=60"])
    with watching(SolveWatch(events.append)):
        run_scenario(
            scenario, progress=lambda phase, done, total: seen.setdefault(f"{phase}{done}", len(events))
        )
    assert seen["shortlist1"] > seen["shortlist0"]  # figures came during the shortlist
    assert seen["solve1"] > seen["solve0"]
