"""The greedy staffing plan, its bounds and the plan they prove, against brute force and the MIP.

Same tiny random instances as test_staffing_properties.py: the greedy plan
holds every constraint, never serves more than the optimum, and the bounds
never fall below it; ``method='greedy_bound'`` gives the brute-force optimum
(proven by a bound, or by the MIP it falls back to) and a plan that the
independent verifier passes; the MIP with the greedy start never serves less
than the greedy plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st
from test_staffing_properties import Staffing, check_staffing_plan, staffing_case

from coverage import Reach
from coverage.inputs.partners import Partner, Sharing
from coverage.inputs.rules import DepartmentRules
from coverage.models.instance import prepare
from coverage.models.solver import SolverOptions
from coverage.models.staffing import _allowed, _capacity, _full, _owners, staffing
from coverage.models.staffing_fast import lp_bound
from coverage.models.staffing_greedy import greedy_start, served_bound, slot_bounds
from coverage.plan.verify import verify_plan
from model_cases import FEW, solve_like_brute


def _greedy(case: Staffing):
    inst = prepare(
        case.inst.demand(),
        case.sites(),
        case.inst.reach(),
        forced=case.inst.ids(case.forced),
        closed=case.inst.ids(case.closed),
    )
    every = set(inst.sites["partner"].astype(str))
    allowed = _allowed(case.partners, _owners(inst), case.sharing(), every)
    capacity = _capacity(inst)
    bounds = slot_bounds(case.partners, _full(allowed, len(case.partners), inst.n_model_sites), capacity)
    start = greedy_start(inst, case.partners, bounds, capacity, case.months, DepartmentRules())
    return inst, bounds, capacity, start


def _check_start(case: Staffing, inst, bounds, capacity, start) -> None:
    """Slots within partners, capacities and the sharing matrix; flows within need and slots."""
    assert (start.slots >= 0).all()
    assert (start.slots <= bounds).all(), "a partner holds slots where it may not, or too many"
    assert (start.slots.sum(axis=1) <= [p.slots for p in case.partners]).all()
    assert (start.slots.sum(axis=0) <= capacity).all()
    assert start.open[inst.model_forced].all(), "a forced site is not staffed"
    assert (start.flow >= 0).all()
    by_row = np.bincount(inst.pair_rows, weights=start.flow, minlength=len(inst.row_units))
    assert (by_row <= inst.row_need + 1e-6).all(), "a unit is served above its need"
    per_slot = np.array([p.people_per_slot_month for p in case.partners]) * case.months
    by_site = np.bincount(inst.cols, weights=start.flow, minlength=inst.n_model_sites)
    assert (by_site <= (start.slots * per_slot[:, None]).sum(axis=0) + 1e-6).all()


@FEW
@given(case=staffing_case())
def test_greedy_holds_every_constraint_and_bounds_hold_the_optimum(case):
    best = case.brute()
    assume(best is not None)
    inst, bounds, capacity, start = _greedy(case)
    assert start is not None  # no department rules, one forced site at most: the greedy places it
    _check_start(case, inst, bounds, capacity, start)
    assert start.served <= best + 1e-6
    assert served_bound(inst, case.partners, bounds, case.months) >= best - 1e-6
    lp = lp_bound(inst, case.partners, bounds, capacity, case.months)
    assert lp is not None and lp >= best - 1e-6


@pytest.mark.parametrize("tie_break", [True, False])
@FEW
@given(case=staffing_case())
def test_greedy_bound_method_equals_brute_force(tie_break, case):
    best = case.brute()
    plan = solve_like_brute(
        best, lambda: case.solve(method="greedy_bound", tie_break=tie_break), tolerance=1e-3
    )
    if plan is None:
        return
    assert plan.served_need == pytest.approx(best, abs=1e-3)
    assert plan.method in ("greedy_bound", "greedy_lp_bound", "mip", "warm_start")
    if plan.method.startswith("greedy"):
        assert plan.bound is not None and plan.bound >= best - 1e-6
        assert plan.bound - plan.objective <= 1e-4 * max(1.0, plan.bound)
    check_staffing_plan(plan, case)


@FEW
@given(case=staffing_case(), solver=st.sampled_from(["cbc", "highs"]))
def test_mip_never_serves_less_than_the_greedy_start(case, solver):
    """A solve stopped after one node still serves at least what the greedy plan serves."""
    assume(case.brute() is not None)
    _, _, _, start = _greedy(case)
    stopped = SolverOptions(solver=solver, node_limit=1)
    plan = staffing(
        case.inst.demand(),
        case.sites(),
        case.inst.reach(),
        case.partners,
        sharing=case.sharing(),
        months=case.months,
        forced=case.inst.ids(case.forced),
        closed=case.inst.ids(case.closed),
        options=stopped,
        method="mip",
    )
    assert plan.status in ("optimal", "feasible")
    assert plan.served_need >= start.served - 1e-3
    assert verify_plan(plan) == []


def _grid(n_units: int, n_sites: int, seed: int):
    rng = np.random.default_rng(seed)
    units = rng.uniform(0, 50_000, size=(n_units, 2))
    sites = rng.uniform(0, 50_000, size=(n_sites, 2))
    dist = np.hypot(*(units[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    demand = pd.DataFrame(
        {"unit_id": [f"u{i}" for i in range(n_units)], "need": rng.integers(50, 2_000, n_units).astype(float)}
    )
    frame = pd.DataFrame(
        {
            "site_id": [f"s{j}" for j in range(n_sites)],
            "partner": rng.choice(["poste", "sos"], n_sites),
            "capacity": rng.integers(1, 3, n_sites),
            "dep": rng.choice(["01", "02", "03"], n_sites),
        }
    )
    reach = Reach.from_dense(demand["unit_id"], frame["site_id"], dist, max_distance=8_000)
    return demand, frame, reach


@pytest.mark.parametrize("seed", [0, 1])
def test_greedy_bound_with_department_rules_matches_the_mip(seed):
    """Department minimum advisors and a budget: the proven plan serves what the MIP serves, and holds."""
    demand, sites, reach = _grid(300, 60, seed)
    sites["cost"] = 1.0
    partners = [Partner("poste", 6, slots_per_advisor=2, people_per_slot_month=30), Partner("sos", 5)]
    sharing = Sharing.from_pairs([("poste", "sos"), ("sos", "poste")])
    rules = DepartmentRules(min_advisors=2, max_sites={"03": 3})
    common = dict(sharing=sharing, months=12, rules=rules, budget=14.0, options=SolverOptions(solver="highs"))
    fast = staffing(demand, sites, reach, partners, method="greedy_bound", **common)
    mip = staffing(demand, sites, reach, partners, method="mip", tie_break=False, **common)
    assert fast.status == mip.status == "optimal"
    assert fast.served_need == pytest.approx(mip.served_need, rel=1e-4)
    assert verify_plan(fast) == []


def _two_units(capacity: list[int], metres: list[list[float]]):
    demand = pd.DataFrame({"unit_id": ["a", "b"], "need": [50.0, 50.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "capacity": capacity})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=10)
    return demand, sites, reach


def test_a_greedy_short_of_every_bound_falls_back_to_the_mip():
    """s1 reaches a (1 m) and b (2 m), s2 only a: the greedy's one slot at s1 serves a, and s2 then
    has nothing left to serve; no bound proves 50 optimal, so the MIP finds 100 (s1 serves b)."""
    demand, sites, reach = _two_units([1, 1], [[1, 3], [2, 99]])
    partners = [Partner("p", 2, people_per_slot_month=50)]
    plan = staffing(demand, sites, reach, partners, method="greedy_bound")
    assert plan.method == "mip"
    assert plan.status == "optimal"
    assert plan.served_need == pytest.approx(100.0)
    assert verify_plan(plan) == []


def test_the_lp_bound_proves_a_greedy_that_the_slots_bound_does_not():
    """One site of one slot reaches 100 people: two partners' slots would serve 100, one fits (60)."""
    demand, sites, reach = _two_units([1, 0], [[1, 99], [2, 99]])
    partners = [Partner("p", 1, people_per_slot_month=30), Partner("q", 1, people_per_slot_month=30)]
    plan = staffing(demand, sites, reach, partners, months=2, method="greedy_bound")
    assert plan.method == "greedy_lp_bound"
    assert plan.status == "optimal"
    assert plan.served_need == pytest.approx(60.0)
    assert plan.bound == pytest.approx(60.0)
    assert verify_plan(plan) == []


@FEW
@given(
    seed=st.integers(0, 10_000),
    min_advisors=st.sampled_from([None, 1, 2]),
    max_sites=st.sampled_from([None, 1, 3]),
    budget=st.sampled_from([None, 4.0, 8.0]),
    advisors=st.integers(1, 6),
    rate=st.sampled_from([10.0, 40.0, 200.0]),
)
def test_greedy_bound_with_random_rules_serves_what_the_mip_serves(
    seed, min_advisors, max_sites, budget, advisors, rate
):
    """Department quotas, a budget, scarce or plentiful advisors: the same need served as the MIP
    (or the same refusal), and every constraint held."""
    from coverage.errors import InfeasibleScenarioError

    demand, sites, reach = _grid(40, 12, seed)
    sites["cost"] = 1.0 + np.arange(len(sites)) % 3
    partners = [
        Partner("poste", advisors, slots_per_advisor=2, people_per_slot_month=rate),
        Partner("sos", advisors, people_per_slot_month=rate / 2, max_slots_per_site=1),
    ]
    rules = DepartmentRules(min_advisors=min_advisors, max_sites=max_sites)
    common = dict(
        sharing=Sharing.from_pairs([("poste", "sos")]),
        months=6,
        rules=rules,
        budget=budget,
        options=SolverOptions(solver="highs"),
        tie_break=False,
    )

    def solve(method):
        try:
            return staffing(demand, sites, reach, partners, method=method, **common)
        except InfeasibleScenarioError:
            return None

    mip = solve("mip")
    fast = solve("greedy_bound")
    assert (mip is None) == (fast is None)
    if mip is None:
        return
    event(fast.method)
    assert fast.status == mip.status == "optimal"
    assert fast.served_need == pytest.approx(mip.served_need, rel=1e-4, abs=1e-3)
    assert verify_plan(fast) == []


@pytest.mark.parametrize("status", ["not_solved", "feasible"])
def test_a_first_phase_that_ends_with_nothing_better_keeps_the_greedy_plan(monkeypatch, status):
    """The national HiGHS run once ended 'feasible' with nobody served: the greedy plan is the floor."""
    import coverage.models.solving as solving

    demand, sites, reach = _grid(120, 30, 3)
    partners = [Partner("poste", 4, people_per_slot_month=40), Partner("sos", 3)]
    common = dict(sharing=Sharing.from_pairs([("poste", "sos"), ("sos", "poste")]), months=12)
    real = solving.run_solver
    calls = []

    def first_phase_serves_nobody(problem, options, **kwargs):
        calls.append(problem.name)
        if len(calls) == 1:
            return solving.SolveResult(status, 0.0 if status == "feasible" else None, 1e9, 1.0, "highs")
        return real(problem, options, **kwargs)

    monkeypatch.setattr(solving, "run_solver", first_phase_serves_nobody)
    plan = staffing(demand, sites, reach, partners, method="mip", **common)
    monkeypatch.setattr(solving, "run_solver", real)
    greedy = staffing(demand, sites, reach, partners, method="greedy_bound", **common)
    assert len(calls) == 2
    assert greedy.method == "greedy_bound"  # the greedy plan itself, proven optimal
    assert plan.status == "feasible"
    assert plan.served_need >= greedy.served_need - 1e-3 > 0
    assert verify_plan(plan) == []


def test_an_unknown_method_is_refused():
    demand, sites, reach = _two_units([1, 1], [[1, 3], [2, 99]])
    with pytest.raises(ValueError, match="method must be 'auto', 'mip' or 'greedy_bound', got 'fast'"):
        staffing(demand, sites, reach, [Partner("p", 1)], method="fast")  # type: ignore[arg-type]
