"""Property tests: every model against exhaustive enumeration on tiny random instances.

Instances have 2-7 units, 2-6 sites, whole needs 0..50, whole distances 0..20
(some pairs without a path) and a radius. For each one the brute force of
``tests/bruteforce.py`` enumerates every subset of sites; the library must
find the same optimum, or raise :class:`InfeasibleScenarioError` exactly when
no subset is feasible, and its plan must keep every rule (counts, forced and
closed sites, budget, department quotas, shares; served need within need).

Runs are derandomised (no example database), so CI sees the same examples.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import (
    Rules,
    best_min_share,
    in_reach,
    p_center_value,
    p_median_value,
)
from coverage.models.instance import prepare
from coverage.models.location import maximal_coverage, p_center, p_median, set_cover
from coverage.models.radius import greedy_median
from coverage.reach.rules import Decay
from model_cases import (
    DEPS,
    FEW,
    PROPERTY,
    Tiny,
    budget_args,
    check_plan_rules,
    check_served,
    forced_closed,
    library_rules,
    options,
    served,
    solve_like_brute,
    tiny,
    usable_count,
)

# -- maximal coverage ------------------------------------------------------------


@st.composite
def coverage_case(draw: st.DrawFn) -> tuple[Tiny, Rules, int]:
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    budget = float(draw(st.integers(0, 30))) if draw(st.booleans()) else None
    available = inst.m - len(closed)
    max_sites = draw(st.integers(0, available))
    rules = Rules(forced=forced, closed=closed, cost=inst.cost, budget=budget)
    return inst, rules, max_sites


def run_maximal_coverage(inst: Tiny, rules: Rules, max_sites: int, solver: str = "cbc", decay=None):
    return maximal_coverage(
        inst.demand(),
        inst.sites(),
        inst.reach(decay),
        max_sites=max_sites,
        rules=library_rules(inst, rules),
        forced=inst.ids(rules.forced),
        closed=inst.ids(rules.closed),
        options=options(solver),
        **budget_args(rules),
    )


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@PROPERTY
@given(case=coverage_case())
def test_maximal_coverage_equals_brute_force(solver, case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    plan = solve_like_brute(best, lambda: run_maximal_coverage(inst, rules, max_sites, solver))
    if plan is None:
        return
    assert plan.bound == pytest.approx(best, abs=1e-6)
    mask = check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst)
    assert plan.served_need == pytest.approx(best, abs=1e-6)
    assert len(mask) == inst.m


@st.composite
def department_case(draw: st.DrawFn) -> tuple[Tiny, Rules, int]:
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    kind = draw(st.sampled_from(["min", "max", "both", "map", "serve"]))
    low = draw(st.integers(0, 2))
    high = draw(st.integers(0, 2))
    rules = Rules(forced=forced, closed=closed, site_dep=inst.site_dep)
    if kind == "min":
        rules = replace(rules, min_sites=low)
    elif kind == "max":
        rules = replace(rules, max_sites_dep=high)
    elif kind == "both":
        rules = replace(rules, min_sites=low, max_sites_dep=max(low, high))
    elif kind == "map":
        dep = draw(st.sampled_from(DEPS))
        rules = replace(rules, min_sites={dep: low}, max_sites_dep={draw(st.sampled_from(DEPS)): high})
    else:
        rules = replace(rules, serve_exactly=draw(st.integers(0, 3)))
    max_sites = draw(st.integers(0, inst.m - len(closed)))
    return inst, rules, max_sites


@PROPERTY
@given(case=department_case())
def test_maximal_coverage_department_quotas_equal_brute_force(case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    plan = solve_like_brute(best, lambda: run_maximal_coverage(inst, rules, max_sites))
    if plan is None:
        return
    check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst)


@st.composite
def share_case(draw: st.DrawFn) -> tuple[Tiny, Rules, int]:
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    rules = Rules(forced=forced, closed=closed, unit_dep=inst.unit_dep, site_dep=inst.site_dep)
    if draw(st.booleans()):
        share = draw(st.sampled_from([0.25, 0.5, 0.75, 1.0]))
        if draw(st.booleans()):
            rules = replace(rules, min_share=share)
        else:
            rules = replace(rules, min_share={draw(st.sampled_from(DEPS[:2])): share})
    else:
        rules = replace(rules, maximise_min_share=True)
    max_sites = draw(st.integers(max(1, len(forced)), inst.m - len(closed))) if inst.m > len(closed) else 0
    assume(max_sites >= len(forced))
    return inst, rules, max_sites


@FEW
@given(case=share_case())
def test_maximal_coverage_department_shares_equal_brute_force(case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    plan = solve_like_brute(best, lambda: run_maximal_coverage(inst, rules, max_sites))
    if plan is None:
        return
    mask = check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst)
    per_unit = served(plan, inst)
    dep = np.asarray(inst.unit_dep, dtype=object)
    if rules.min_share is not None:
        assert bf._shares_ok(per_unit, inst.need, rules)
    if rules.maximise_min_share:
        floor = best_min_share(inst.dist, inst.need, inst.radius, max_sites, rules)
        cover = in_reach(inst.dist, inst.radius)
        available = np.ones(inst.m, dtype=bool)
        available[list(rules.closed)] = False
        reachable = cover[:, available].any(axis=1) & (inst.need > 0)
        coverable = {d: float(inst.need[reachable & (dep == d)].sum()) for d in DEPS[:2]}
        assert bf._min_share(per_unit, coverable, dep) >= floor - 1e-6
    assert mask.sum() <= max_sites


@pytest.mark.parametrize("kind", ["linear", "exponential"])
@FEW
@given(case=coverage_case())
def test_maximal_coverage_with_decay_equals_brute_force(kind, case):
    inst, rules, max_sites = case
    decay = Decay("linear", scale=25.0) if kind == "linear" else Decay("exponential", scale=8.0)
    weight = decay.weights(np.where(np.isfinite(inst.dist), inst.dist, 0.0))
    weight = np.where(in_reach(inst.dist, inst.radius), weight, 0.0)
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules, weight=weight)
    plan = solve_like_brute(best, lambda: run_maximal_coverage(inst, rules, max_sites, decay=decay))
    if plan is None:
        return
    check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst, weight=weight)


@FEW
@given(inst=tiny())
def test_maximal_coverage_never_falls_with_more_sites_allowed(inst):
    demand, sites, reach = inst.demand(), inst.sites(), inst.reach()
    values = [
        maximal_coverage(demand, sites, reach, max_sites=k, options=options()).objective
        for k in range(inst.m + 1)
    ]
    assert all(b >= a - 1e-6 for a, b in zip(values, values[1:], strict=False)), values
    reachable = in_reach(inst.dist, inst.radius).any(axis=1)
    assert values[-1] == pytest.approx(float(inst.need[reachable].sum()))
    assert values[0] == 0


@PROPERTY
@given(
    inst=tiny(max_sites=5),
    column=st.lists(st.integers(0, 24), min_size=7, max_size=7),
    max_sites=st.integers(0, 5),
)
def test_maximal_coverage_never_falls_when_a_candidate_is_added(inst, column, max_sites):
    assume(max_sites <= inst.m)
    extra = np.array([np.inf if c > 20 else float(c) for c in column[: inst.n]])
    bigger = replace(
        inst, dist=np.c_[inst.dist, extra], site_dep=(*inst.site_dep, "A"), cost=np.r_[inst.cost, 1.0]
    )
    before = maximal_coverage(
        inst.demand(), inst.sites(), inst.reach(), max_sites=max_sites, options=options()
    )
    after = maximal_coverage(
        bigger.demand(), bigger.sites(), bigger.reach(), max_sites=max_sites, options=options()
    )
    assert after.objective >= before.objective - 1e-6


# -- set cover -------------------------------------------------------------------


@st.composite
def cover_case(draw: st.DrawFn) -> tuple[Tiny, Rules, float | None]:
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    rules = Rules(forced=forced, closed=closed, cost=inst.cost, site_dep=inst.site_dep)
    extra = draw(st.sampled_from(["none", "budget", "min", "max", "serve"]))
    if extra == "budget":
        rules = replace(rules, budget=float(draw(st.integers(0, 30))))
    elif extra == "min":
        rules = replace(rules, min_sites=draw(st.integers(0, 2)))
    elif extra == "max":
        rules = replace(rules, max_sites_dep=draw(st.integers(0, 2)))
    elif extra == "serve":
        rules = replace(rules, serve_exactly=draw(st.integers(0, 3)))
    target = None
    if draw(st.booleans()):
        target = float(draw(st.integers(0, int(inst.need.sum()) + 10)))
    return inst, rules, target


def run_set_cover(inst: Tiny, rules: Rules, target: float | None, solver: str = "cbc", decay=None):
    return set_cover(
        inst.demand(),
        inst.sites(),
        inst.reach(decay),
        target=target,
        rules=library_rules(inst, rules),
        forced=inst.ids(rules.forced),
        closed=inst.ids(rules.closed),
        options=options(solver),
        **budget_args(rules),
    )


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@PROPERTY
@given(case=cover_case())
def test_set_cover_equals_brute_force(solver, case):
    inst, rules, target = case
    best = bf.set_cover(inst.dist, inst.need, inst.radius, rules, target=target)
    plan = solve_like_brute(best, lambda: run_set_cover(inst, rules, target, solver), tolerance=None)
    if plan is None:
        return
    mask = check_plan_rules(plan, inst, rules)
    assert mask.sum() == best
    check_served(plan, inst)
    if target is None:
        assert served(plan, inst) == pytest.approx(inst.need)
    else:
        assert plan.served_need >= target - 1e-6


@FEW
@given(case=cover_case())
def test_set_cover_with_decay_equals_brute_force(case):
    """With a distance decay, a unit counts as covered once an open site is in reach (weight > 0)."""
    inst, rules, target = case
    decay = Decay("linear", scale=25.0)
    weight = np.where(
        in_reach(inst.dist, inst.radius), decay.weights(np.where(np.isfinite(inst.dist), inst.dist, 0.0)), 0.0
    )
    best = bf.set_cover(inst.dist, inst.need, inst.radius, rules, target=target, weight=weight)
    plan = solve_like_brute(best, lambda: run_set_cover(inst, rules, target, decay=decay), tolerance=None)
    if plan is None:
        return
    check_plan_rules(plan, inst, rules)
    check_served(plan, inst, weight=weight)
    if target is None:
        assert plan.units.set_index("unit_id").loc[inst.unit_ids]["reached"].to_numpy()[inst.need > 0].all()


# -- p-median and p-center -------------------------------------------------------


@st.composite
def assignment_case(draw: st.DrawFn) -> tuple[Tiny, Rules, int]:
    inst = draw(tiny(radius=draw(st.booleans())))
    forced, closed = draw(forced_closed(inst.m))
    p = draw(st.integers(max(len(forced), 1), max(len(forced), 1, inst.m - len(closed))))
    assume(p <= inst.m - len(closed))
    return inst, Rules(forced=forced, closed=closed), p


@pytest.mark.parametrize("center", [False, True], ids=["p_median", "p_center"])
@pytest.mark.parametrize("solver", ["cbc", "highs"])
@PROPERTY
@given(case=assignment_case())
def test_p_median_and_p_center_equal_brute_force(center, solver, case):
    inst, rules, p = case
    solve = p_center if center else p_median
    brute = bf.p_center if center else bf.p_median
    best = brute(inst.dist, inst.need, inst.radius, p, rules)

    def run():
        return solve(
            inst.demand(),
            inst.sites(),
            inst.reach(),
            p=p,
            forced=inst.ids(rules.forced),
            closed=inst.ids(rules.closed),
            options=options(solver),
        )

    plan = solve_like_brute(best, run)
    if plan is None:
        return
    mask = check_plan_rules(plan, inst, rules, exact=p)
    value = (p_center_value if center else p_median_value)(inst.dist, inst.need, inst.radius, mask)
    assert value == pytest.approx(best, abs=1e-6)
    units = plan.units.set_index("unit_id").loc[inst.unit_ids]
    with_need = inst.need > 0
    assert units["reached"].to_numpy()[with_need].all()
    distance = units["distance"].to_numpy()[with_need]
    if center:
        assert distance.max(initial=0.0) == pytest.approx(best, abs=1e-6)
    else:
        assert float((inst.need[with_need] * distance).sum()) == pytest.approx(best, abs=1e-6)
        if with_need.any():
            assert plan.mean_distance == pytest.approx(best / inst.need.sum(), abs=1e-6)
    check_served(plan, inst)


@pytest.mark.parametrize("formulation", ["lagrangian", "radius", "assignment"])
@PROPERTY
@given(case=assignment_case())
def test_p_median_formulations_all_equal_brute_force(formulation, case):
    inst, rules, p = case
    best = bf.p_median(inst.dist, inst.need, inst.radius, p, rules)

    def run():
        return p_median(
            inst.demand(),
            inst.sites(),
            inst.reach(),
            p=p,
            forced=inst.ids(rules.forced),
            closed=inst.ids(rules.closed),
            options=options("cbc"),
            formulation=formulation,
        )

    plan = solve_like_brute(best, run)
    if plan is None:
        return
    if formulation == "lagrangian":
        # The search needs rows and a start reaching every one; where the greedy pick has none, a MIP solves.
        event(f"lagrangian: {plan.method}")
        if plan.method not in ("lagrangian", "branch_and_bound"):
            prepared = prepare(
                inst.demand(),
                inst.sites(),
                inst.reach(),
                forced=inst.ids(rules.forced),
                closed=inst.ids(rules.closed),
            )
            no_need = len(prepared.row_need) == 0  # any p sites: the MIP pads them
            assert no_need or greedy_median(prepared, min(p, prepared.n_model_sites)) is None
    else:
        assert plan.method == ("radius" if formulation == "radius" else "mip")
    mask = check_plan_rules(plan, inst, rules, exact=p)
    assert p_median_value(inst.dist, inst.need, inst.radius, mask) == pytest.approx(best, abs=1e-6)
    assert plan.objective == pytest.approx(best, abs=1e-6)


@FEW
@given(inst=tiny(radius=False, max_sites=5))
def test_p_median_never_worse_with_more_sites(inst):
    assume((inst.need > 0).any())
    assume(usable_count(inst, Rules()) == inst.m)
    values = []
    for p in range(1, inst.m + 1):
        best = bf.p_median(inst.dist, inst.need, None, p)
        if best is None:
            continue
        plan = p_median(inst.demand(), inst.sites(), inst.reach(), p=p, options=options())
        values.append(plan.objective)
    assert all(b <= a + 1e-6 for a, b in zip(values, values[1:], strict=False)), values
