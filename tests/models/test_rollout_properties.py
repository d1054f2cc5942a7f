"""Property tests: the rollout model against brute force on tiny random instances.

Brute force: every way to put the waves on the static plan's slots, and for each a
month by month linear program (scipy's HiGHS, no period merging, no unit merging)
of the most people accompanied by each month. The model must match its best end
total and its earliest target month, its trajectory must hold the invariants
(cumulative never falls, never above need, never above a month's capacity), and
more advisors or earlier waves never reach the target later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import linprog

from coverage.inputs.partners import Horizon, Partner
from coverage.inputs.rollout import PartnerRollout, Rollout, Wave, month_starts
from coverage.models.staffing import staffing
from coverage.plan.verify import verify_plan
from coverage.reach.pairs import Reach
from model_cases import FEW

START = dt.date(2022, 1, 1)
RAMPS = ((), (0.5,), (0.25, 0.5))


@dataclasses.dataclass(frozen=True)
class Case:
    need: tuple[float, ...]
    reach: tuple[tuple[bool, ...], ...]  # unit x site
    advisors: int
    rate: float
    months: int
    starts: tuple[int, ...]  # month each wave advisor starts (one advisor per wave)
    ramp: tuple[float, ...]

    @property
    def until(self) -> dt.date:
        last = month_starts(START, dt.date(2030, 1, 1))[self.months]
        return last - dt.timedelta(days=1)

    def rollout(self, starts: tuple[int, ...] | None = None) -> Rollout:
        months = month_starts(START, self.until)
        waves = tuple(Wave(months[m], 1, f"w{k}") for k, m in enumerate(starts or self.starts))
        return Rollout(START, self.until, {"p": PartnerRollout(waves)}, ramp=self.ramp)

    def solve(self, target: float | None, starts: tuple[int, ...] | None = None):
        units = [f"u{i}" for i in range(len(self.need))]
        sites = [f"s{j}" for j in range(len(self.reach[0]))]
        dist = [[1.0 if ok else 99.0 for ok in row] for row in self.reach]
        reach = Reach.from_dense(units, sites, dist, max_distance=5)
        demand = pd.DataFrame({"unit_id": units, "need": list(self.need)})
        horizon = Horizon(START, self.until, target=target)
        team = [Partner("p", self.advisors, people_per_slot_month=self.rate)]
        return staffing(
            demand,
            pd.DataFrame({"site_id": sites}),
            reach,
            team,
            horizon=horizon,
            rollout=self.rollout(starts),
        )


@st.composite
def cases(draw) -> Case:
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 2))
    need = tuple(float(draw(st.integers(0, 60))) for _ in range(n))
    reach = tuple(tuple(draw(st.booleans()) for _ in range(m)) for _ in range(n))
    months = draw(st.integers(2, 4))
    waves = draw(st.integers(1, 2))
    starts = tuple(sorted(draw(st.integers(0, months - 1)) for _ in range(waves)))
    return Case(
        need=need,
        reach=reach,
        advisors=draw(st.integers(waves, 3)),
        rate=float(draw(st.sampled_from([5, 10, 20]))),
        months=months,
        starts=starts,
        ramp=draw(st.sampled_from(RAMPS)),
    )


def brute_force(case: Case, plan) -> np.ndarray:
    """Most people by the end of each month, over every placement of the waves on the plan's slots."""
    rollout = case.rollout()
    factor = np.vstack([c.factor for c in rollout.cohorts(plan.partners)])
    slots = plan.slots.groupby("site_id")["slots"].sum()
    sites = [f"s{j}" for j in range(len(case.reach[0]))]
    held = np.array([int(slots.get(s, 0)) for s in sites])
    n_waves, n_months = factor.shape
    best = np.zeros(n_months)
    # Each wave (one advisor, one slot) goes to one staffed site, or nowhere.
    for place in itertools.product(range(-1, len(sites)), repeat=n_waves):
        counts = np.bincount([p for p in place if p >= 0], minlength=len(sites))
        if np.any(counts > held):
            continue
        capacity = np.zeros((len(sites), n_months))
        for wave, site in enumerate(place):
            if site >= 0:
                capacity[site] += case.rate * factor[wave]
        for upto in range(1, n_months + 1):
            best[upto - 1] = max(best[upto - 1], _most_people(case, capacity[:, :upto]))
    return best


def _most_people(case: Case, capacity: np.ndarray) -> float:
    pairs = [(i, j) for i, row in enumerate(case.reach) for j, ok in enumerate(row) if ok]
    if not pairs:
        return 0.0
    n_sites, months = capacity.shape
    variables = [(i, j, t) for i, j in pairs for t in range(months)]
    rows, bounds = [], []
    for j in range(n_sites):
        for t in range(months):
            rows.append([1.0 if (v[1] == j and v[2] == t) else 0.0 for v in variables])
            bounds.append(capacity[j, t])
    for i, need in enumerate(case.need):
        rows.append([1.0 if v[0] == i else 0.0 for v in variables])
        bounds.append(need)
    result = linprog(-np.ones(len(variables)), A_ub=np.array(rows), b_ub=np.array(bounds), method="highs")
    return float(-result.fun)


def _invariants(plan) -> None:
    trajectory = plan.trajectory
    assert np.all(np.diff(trajectory.cumulative) >= -1e-9) and np.all(trajectory.monthly() >= -1e-9)
    per_unit = trajectory.people.groupby("unit_id")["people"].sum()
    need = trajectory.units.set_index("unit_id")["need"]
    assert np.all(per_unit <= need.reindex(per_unit.index) + 1e-6)
    sites = trajectory.sites
    assert np.all(sites["people"] <= sites["capacity"] + 1e-6)
    assert verify_plan(plan) == []


@FEW
@given(cases())
def test_end_total_and_target_month_match_brute_force(case: Case) -> None:
    plan = staffing_plan = case.solve(target=None)
    assume(staffing_plan.status == "optimal" and len(plan.slots))
    best = brute_force(case, plan)
    assert plan.trajectory.people_total == pytest.approx(best[-1], abs=1e-4)
    _invariants(plan)
    assume(best[-1] > 1.0)
    target = round(0.7 * best[-1], 3)
    with_target = case.solve(target=target)
    month = with_target.trajectory.target_month
    earliest = int(np.flatnonzero(best >= target - 1e-6)[0])
    assert month == with_target.trajectory.months[earliest]
    assert with_target.trajectory.target_month_proven
    _invariants(with_target)


@FEW
@given(cases(), st.data())
def test_more_advisors_or_earlier_waves_never_reach_the_target_later(case: Case, data) -> None:
    base = case.solve(target=None)
    assume(base.status == "optimal" and base.trajectory.people_total > 1.0)
    target = round(0.6 * base.trajectory.people_total, 3)
    month = case.solve(target=target).trajectory.target_month
    assert month is not None
    # An earlier start for one wave.
    wave = data.draw(st.integers(0, len(case.starts) - 1))
    earlier = list(case.starts)
    earlier[wave] = data.draw(st.integers(0, case.starts[wave]))
    sooner = case.solve(target=target, starts=tuple(earlier)).trajectory.target_month
    assert sooner is not None and sooner <= month
    # One more wave advisor (the team has room for it), starting in the first month.
    if len(case.starts) < case.advisors:
        more = case.solve(target=target, starts=(0, *case.starts)).trajectory.target_month
        assert more is not None and more <= month
