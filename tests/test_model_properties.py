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

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import (
    Rules,
    best_min_share,
    covered,
    eligible,
    in_reach,
    p_center_value,
    p_median_value,
    site_rules_ok,
)
from coverage.errors import InfeasibleScenarioError
from coverage.model import DepartmentRules, SolverOptions, maximal_coverage, p_center, p_median, set_cover
from coverage.reach import Reach
from coverage.reach_rules import Decay

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(PROPERTY, max_examples=30)
DEPS = ("A", "B", "C")


@dataclass(frozen=True)
class Tiny:
    dist: np.ndarray  # n x m, inf = no path
    need: np.ndarray  # n
    radius: float | None
    site_dep: tuple[str, ...]
    unit_dep: tuple[str, ...]
    cost: np.ndarray  # m

    @property
    def n(self) -> int:
        return self.dist.shape[0]

    @property
    def m(self) -> int:
        return self.dist.shape[1]

    @property
    def unit_ids(self) -> list[str]:
        return [f"u{i}" for i in range(self.n)]

    @property
    def site_ids(self) -> list[str]:
        return [f"s{j}" for j in range(self.m)]

    def demand(self) -> pd.DataFrame:
        # Rows in reverse order: the library aligns frames to the reach by id.
        frame = pd.DataFrame({"unit_id": self.unit_ids, "need": self.need.astype(float),
                              "dep": self.unit_dep})
        return frame.iloc[::-1].reset_index(drop=True)

    def sites(self) -> pd.DataFrame:
        return pd.DataFrame({"site_id": self.site_ids, "dep": self.site_dep, "cost": self.cost.astype(float)})

    def reach(self, decay: Decay | None = None) -> Reach:
        reach = Reach.from_dense(self.unit_ids, self.site_ids, self.dist, max_distance=self.radius)
        return reach if decay is None else reach.with_decay(decay)

    def ids(self, indices: frozenset[int]) -> list[str]:
        return [self.site_ids[j] for j in sorted(indices)]


@st.composite
def tiny(draw: st.DrawFn, *, radius: bool = True, max_sites: int = 6) -> Tiny:
    n = draw(st.integers(2, 7))
    m = draw(st.integers(2, max_sites))
    need = np.array(draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=np.float64)
    # Whole distances 0..20; about one pair in six has no path.
    cells = draw(st.lists(st.integers(0, 24), min_size=n * m, max_size=n * m))
    dist = np.array([np.inf if c > 20 else float(c) for c in cells]).reshape(n, m)
    r = float(draw(st.integers(0, 20))) if radius else None
    site_dep = tuple(draw(st.lists(st.sampled_from(DEPS), min_size=m, max_size=m)))
    unit_dep = tuple(draw(st.lists(st.sampled_from(DEPS[:2]), min_size=n, max_size=n)))
    cost = np.array(draw(st.lists(st.integers(0, 10), min_size=m, max_size=m)), dtype=np.float64)
    return Tiny(dist, need, r, site_dep, unit_dep, cost)


@st.composite
def forced_closed(
    draw: st.DrawFn, m: int, *, max_forced: int | None = None
) -> tuple[frozenset[int], frozenset[int]]:
    role = st.sampled_from(["free", "free", "free", "forced", "closed"])
    roles = draw(st.lists(role, min_size=m, max_size=m))
    forced = [j for j, r in enumerate(roles) if r == "forced"]
    if max_forced is not None:
        forced = forced[:max_forced]
    closed = [j for j, r in enumerate(roles) if r == "closed"]
    return frozenset(forced), frozenset(closed)


def usable_count(inst: Tiny, rules: Rules) -> int:
    return int(eligible(in_reach(inst.dist, inst.radius), inst.need, rules).sum())


def options(solver: str = "cbc") -> SolverOptions:
    return SolverOptions(solver=solver)  # type: ignore[arg-type]


def open_mask(plan, inst: Tiny) -> np.ndarray:
    opened = set(plan.open_site_ids)
    return np.array([s in opened for s in inst.site_ids])


def served(plan, inst: Tiny) -> np.ndarray:
    units = plan.units.set_index("unit_id").loc[inst.unit_ids]
    return units["served"].to_numpy(dtype=np.float64)


def check_plan_rules(plan, inst: Tiny, rules: Rules, *, max_sites: int | None = None,
                     exact: int | None = None) -> np.ndarray:
    """The plan's open sites keep every rule; returns the open mask."""
    mask = open_mask(plan, inst)
    cover = in_reach(inst.dist, inst.radius)
    assert all(mask[j] for j in rules.forced), "a forced site is not open"
    assert not any(mask[j] for j in rules.closed), "a closed site is open"
    if max_sites is not None:
        assert mask.sum() <= max_sites
    if exact is not None:
        assert mask.sum() == exact
    assert site_rules_ok(mask, rules, eligible(cover, inst.need, rules)), "budget or department quota broken"
    return mask


def check_served(plan, inst: Tiny, weight: np.ndarray | None = None) -> None:
    """Served need per unit is need x best weight of an open site in reach, never above need."""
    got = served(plan, inst)
    assert (got >= -1e-9).all()
    assert (got <= inst.need + 1e-6).all(), "served need exceeds need"
    weights = in_reach(inst.dist, inst.radius).astype(float) if weight is None else weight
    np.testing.assert_allclose(got, covered(weights, inst.need, open_mask(plan, inst)), atol=1e-6)
    assert plan.served_need == pytest.approx(got.sum(), abs=1e-6)
    assert plan.total_need == pytest.approx(inst.need.sum())


def library_rules(inst: Tiny, rules: Rules) -> DepartmentRules | None:
    """The library's DepartmentRules matching the brute force's."""
    if rules.site_dep is None and rules.unit_dep is None:
        return None
    return DepartmentRules(min_sites=rules.min_sites, max_sites=rules.max_sites_dep,
                           serve_exactly=rules.serve_exactly, min_share=rules.min_share,
                           maximise_min_share=rules.maximise_min_share)


def budget_args(rules: Rules) -> dict:
    return {} if rules.budget is None else {"budget": rules.budget}


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
        inst.demand(), inst.sites(), inst.reach(decay), max_sites=max_sites,
        rules=library_rules(inst, rules), forced=inst.ids(rules.forced), closed=inst.ids(rules.closed),
        options=options(solver), **budget_args(rules),
    )


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@PROPERTY
@given(case=coverage_case())
def test_maximal_coverage_equals_brute_force(solver, case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_maximal_coverage(inst, rules, max_sites, solver)
        return
    plan = run_maximal_coverage(inst, rules, max_sites, solver)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
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
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_maximal_coverage(inst, rules, max_sites)
        return
    plan = run_maximal_coverage(inst, rules, max_sites)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
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
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_maximal_coverage(inst, rules, max_sites)
        return
    plan = run_maximal_coverage(inst, rules, max_sites)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
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
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_maximal_coverage(inst, rules, max_sites, decay=decay)
        return
    plan = run_maximal_coverage(inst, rules, max_sites, decay=decay)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
    check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst, weight=weight)


@FEW
@given(inst=tiny())
def test_maximal_coverage_never_falls_with_more_sites_allowed(inst):
    demand, sites, reach = inst.demand(), inst.sites(), inst.reach()
    values = [maximal_coverage(demand, sites, reach, max_sites=k, options=options()).objective
              for k in range(inst.m + 1)]
    assert all(b >= a - 1e-6 for a, b in zip(values, values[1:], strict=False)), values
    reachable = in_reach(inst.dist, inst.radius).any(axis=1)
    assert values[-1] == pytest.approx(float(inst.need[reachable].sum()))
    assert values[0] == 0


@PROPERTY
@given(inst=tiny(max_sites=5), column=st.lists(st.integers(0, 24), min_size=7, max_size=7),
       max_sites=st.integers(0, 5))
def test_maximal_coverage_never_falls_when_a_candidate_is_added(inst, column, max_sites):
    assume(max_sites <= inst.m)
    extra = np.array([np.inf if c > 20 else float(c) for c in column[: inst.n]])
    bigger = replace(inst, dist=np.c_[inst.dist, extra], site_dep=(*inst.site_dep, "A"),
                     cost=np.r_[inst.cost, 1.0])
    before = maximal_coverage(inst.demand(), inst.sites(), inst.reach(), max_sites=max_sites,
                              options=options())
    after = maximal_coverage(bigger.demand(), bigger.sites(), bigger.reach(), max_sites=max_sites,
                             options=options())
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
        inst.demand(), inst.sites(), inst.reach(decay), target=target, rules=library_rules(inst, rules),
        forced=inst.ids(rules.forced), closed=inst.ids(rules.closed), options=options(solver),
        **budget_args(rules),
    )


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@PROPERTY
@given(case=cover_case())
def test_set_cover_equals_brute_force(solver, case):
    inst, rules, target = case
    best = bf.set_cover(inst.dist, inst.need, inst.radius, rules, target=target)
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_set_cover(inst, rules, target, solver)
        return
    plan = run_set_cover(inst, rules, target, solver)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best)
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
    weight = np.where(in_reach(inst.dist, inst.radius),
                      decay.weights(np.where(np.isfinite(inst.dist), inst.dist, 0.0)), 0.0)
    best = bf.set_cover(inst.dist, inst.need, inst.radius, rules, target=target, weight=weight)
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run_set_cover(inst, rules, target, decay=decay)
        return
    plan = run_set_cover(inst, rules, target, decay=decay)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best)
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
    run = lambda: solve(inst.demand(), inst.sites(), inst.reach(), p=p, forced=inst.ids(rules.forced),  # noqa: E731
                        closed=inst.ids(rules.closed), options=options(solver))
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run()
        return
    plan = run()
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
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


# -- staffing --------------------------------------------------------------------

PARTNER_NAMES = ("poste", "sos")
OWNERS = ("poste", "sos", "mairie")  # the town hall is a partner of nobody: only sharing opens it


@dataclass(frozen=True)
class Staffing:
    inst: Tiny
    owners: tuple[str, ...]
    capacity: tuple[int, ...]
    partners: tuple  # coverage.partners.Partner
    pairs: frozenset[tuple[str, str]]  # (partner, owner) the sharing matrix allows
    months: float
    forced: frozenset[int]
    closed: frozenset[int]

    def sharing(self):
        from coverage.partners import Sharing

        return Sharing.from_pairs(sorted(self.pairs))

    def may_use(self) -> dict[tuple[str, str], bool]:
        return {(p.name, o): p.name == o or (p.name, o) in self.pairs for p in self.partners for o in OWNERS}

    def sites(self) -> pd.DataFrame:
        frame = self.inst.sites()
        frame["partner"] = list(self.owners)
        frame["capacity"] = list(self.capacity)
        return frame

    def brute(self, partners=None) -> float | None:
        partners = self.partners if partners is None else partners
        open_ok = [j not in self.closed for j in range(self.inst.m)]
        return bf.staffing_max_served(
            in_reach(self.inst.dist, self.inst.radius), self.inst.need,
            [bf.StaffPartner(p.name, p.slots, p.people_per_slot_month) for p in partners],
            self.owners, self.capacity, self.may_use(), self.months, open_ok=open_ok,
            forced=sorted(self.forced),
        )

    def brute_min_advisors(self, target: float) -> int | None:
        open_ok = [j not in self.closed for j in range(self.inst.m)]
        return bf.staffing_min_advisors(
            in_reach(self.inst.dist, self.inst.radius), self.inst.need,
            [bf.StaffPartner(p.name, p.slots, p.people_per_slot_month) for p in self.partners],
            [p.slots_per_advisor for p in self.partners], self.owners, self.capacity, self.may_use(),
            self.months, target, open_ok=open_ok, forced=sorted(self.forced),
        )

    def solve(self, partners=None, solver: str = "cbc", **kwargs):
        from coverage.staffing import staffing

        return staffing(
            self.inst.demand(), self.sites(), self.inst.reach(),
            self.partners if partners is None else partners,
            sharing=self.sharing(), months=self.months, forced=self.inst.ids(self.forced),
            closed=self.inst.ids(self.closed), options=options(solver), **kwargs,
        )


@st.composite
def staffing_case(draw: st.DrawFn) -> Staffing:
    from coverage.partners import Partner

    inst = draw(tiny(max_sites=3))
    count = draw(st.integers(1, 2))
    partners = tuple(
        Partner(name, advisors=draw(st.integers(0, 2)), slots_per_advisor=draw(st.integers(1, 2)),
                people_per_slot_month=float(draw(st.sampled_from([5, 10, 20]))))
        for name in PARTNER_NAMES[:count]
    )
    owners = tuple(draw(st.lists(st.sampled_from(OWNERS), min_size=inst.m, max_size=inst.m)))
    capacity = tuple(draw(st.lists(st.integers(0, 2), min_size=inst.m, max_size=inst.m)))
    forced, closed = draw(forced_closed(inst.m, max_forced=1))
    # The sharing matrix names partners and owners of eligible sites only: naming the owner of
    # sites that reach no need is refused (test_model.py::test_sharing_may_name_an_owner_without_need).
    usable = eligible(in_reach(inst.dist, inst.radius), inst.need, Rules(forced=forced, closed=closed))
    known = {p.name for p in partners} | {o for o, ok in zip(owners, usable, strict=True) if ok}
    pairs = frozenset(draw(st.sets(st.sampled_from(
        [(p.name, o) for p in partners for o in OWNERS if p.name != o and o in known] or [("", "")]))))
    pairs = frozenset(pair for pair in pairs if pair != ("", ""))
    months = float(draw(st.sampled_from([1, 2])))
    return Staffing(inst, owners, capacity, partners, pairs, months, forced, closed)


def check_staffing_plan(plan, case: Staffing) -> None:
    """Slots within partner budgets, site capacities and the sharing matrix; served within need and slots."""
    slots = plan.slots
    owner = dict(zip(case.inst.site_ids, case.owners, strict=True))
    capacity = dict(zip(case.inst.site_ids, case.capacity, strict=True))
    budget = {p.name: p.slots for p in case.partners}
    assert (slots["slots"] > 0).all()
    for partner, total in slots.groupby("partner")["slots"].sum().items():
        assert total <= budget[partner], f"{partner} holds {total} slots, has {budget[partner]}"
    for site, total in slots.groupby("site_id")["slots"].sum().items():
        assert total <= capacity[site], f"{site} holds {total} slots, capacity {capacity[site]}"
    for row in slots.itertuples():
        assert row.partner == owner[row.site_id] or (row.partner, owner[row.site_id]) in case.pairs, (
            f"{row.partner} staffs {row.site_id} owned by {owner[row.site_id]} without sharing")
    staffed = set(slots["site_id"])
    assert set(plan.open_site_ids) == staffed, "open sites are not exactly the staffed sites"
    assert staffed.isdisjoint(case.inst.ids(case.closed))
    assert set(case.inst.ids(case.forced)) <= staffed
    got = served(plan, case.inst)
    assert (got >= -1e-9).all()
    assert (got <= case.inst.need + 1e-6).all(), "served need exceeds need"
    # What the plan serves is deliverable by its slots (transportation LP).
    rate = {p.name: p.people_per_slot_month * case.months for p in case.partners}
    people = np.zeros(case.inst.m)
    for row in slots.itertuples():
        people[case.inst.site_ids.index(row.site_id)] += row.slots * rate[row.partner]
    cover = in_reach(case.inst.dist, case.inst.radius)
    assert got.sum() <= bf.served_given_slots(cover, case.inst.need, people) + 1e-6
    assert not (got[~cover.any(axis=1)] > 0).any(), "a unit without a site in reach is served"


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@FEW
@given(case=staffing_case())
def test_staffing_equals_brute_force(solver, case):
    best = case.brute()
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            case.solve(solver=solver)
        return
    plan = case.solve(solver=solver)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-4)
    assert plan.served_need == pytest.approx(best, abs=1e-3)
    check_staffing_plan(plan, case)


@FEW
@given(case=staffing_case(), which=st.integers(0, 1), more=st.integers(1, 2))
def test_staffing_served_never_falls_with_more_advisors(case, which, more):
    from coverage.partners import Partner

    which = min(which, len(case.partners) - 1)
    assume(case.brute() is not None)
    richer = list(case.partners)
    p = richer[which]
    richer[which] = Partner(p.name, p.advisors + more, p.slots_per_advisor, p.people_per_slot_month)
    before = case.solve()
    after = case.solve(tuple(richer))
    assert after.served_need >= before.served_need - 1e-6
    assert after.served_need == pytest.approx(case.brute(tuple(richer)), abs=1e-3)


@FEW
@given(case=staffing_case(), fraction=st.sampled_from([0.0, 0.3, 0.6, 1.0]))
def test_staffing_min_advisors_equals_brute_force(case, fraction):
    most = case.brute()
    assume(most is not None)
    target = float(np.floor(most * fraction))
    best = case.brute_min_advisors(target)
    assert best is not None  # the allocation reaching `most` serves any smaller target
    plan = case.solve(objective="min_advisors", target=target)
    assert plan.status == "optimal"
    assert plan.sense == "min"
    assert plan.objective == pytest.approx(best)
    assert plan.served_need >= target - 1e-4
    check_staffing_plan(plan, case)
    per_advisor = {p.name: p.slots_per_advisor for p in case.partners}
    used = plan.slots.groupby("partner")["slots"].sum()
    assert sum(-(-int(v) // per_advisor[k]) for k, v in used.items()) <= best
