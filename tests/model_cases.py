"""Shared pieces of the property tests: tiny random instances and plan checks.

Imported as a plain module (tests/ is on sys.path, like ``bruteforce``) by
test_model_properties.py and test_staffing_properties.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from bruteforce import (
    Rules,
    covered,
    eligible,
    in_reach,
    site_rules_ok,
)
from coverage.errors import InfeasibleScenarioError
from coverage.inputs import DepartmentRules
from coverage.models import SolverOptions
from coverage.plan.verify import verify_plan
from coverage.reach.pairs import Reach
from coverage.reach.rules import Decay

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
        frame = pd.DataFrame(
            {"unit_id": self.unit_ids, "need": self.need.astype(float), "dep": self.unit_dep}
        )
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


def check_plan_rules(
    plan, inst: Tiny, rules: Rules, *, max_sites: int | None = None, exact: int | None = None
) -> np.ndarray:
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
    return DepartmentRules(
        min_sites=rules.min_sites,
        max_sites=rules.max_sites_dep,
        serve_exactly=rules.serve_exactly,
        min_share=rules.min_share,
        maximise_min_share=rules.maximise_min_share,
    )


def budget_args(rules: Rules) -> dict:
    return {} if rules.budget is None else {"budget": rules.budget}


def solve_like_brute(best: float | None, run, *, tolerance: float | None = 1e-6):
    """Compare a library solve with the brute-force optimum ``best``.

    ``best is None`` (no feasible choice) expects an ``InfeasibleScenarioError``
    and returns None; otherwise the plan must be optimal with the brute-force
    objective (within ``tolerance``, or pytest's default when None), pass the
    independent verifier (:func:`coverage.plan.verify.verify_plan`) and is returned.
    """
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleScenarioError):
            run()
        return None
    plan = run()
    assert plan.status == "optimal"
    expected = pytest.approx(best) if tolerance is None else pytest.approx(best, abs=tolerance)
    assert plan.objective == expected
    violations = verify_plan(plan)
    assert violations == [], "\n".join(map(str, violations))
    return plan
