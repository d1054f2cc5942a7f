"""The rollout model: a staffing plan phased over the months of its horizon.

Given a solved static staffing plan (its staffed sites and slots ``t[p, j]``) and
a :class:`~coverage.inputs.rollout.Rollout` (waves, ramp-up, attrition), decide
which wave staffs which slots, hence when each site opens, and whom each site
accompanies month by month:

- ``s[e, c]`` integer: slots of wave ``c`` (of partner ``p``) on slot entry ``e =
  (p, j)``; ``sum_c s[e, c] <= t[p, j]`` and ``sum_e s[e, c] <= advisors_c x
  slots_per_advisor_p``. A wave stays where it starts: a site, once open, stays open
  (moves are not modelled).
- ``x[g, j, b] >= 0``: people of unit group ``g`` accompanied at site ``j`` in
  period ``b``; per period ``sum_g x[g, j, b] <= len_b x sum_{p, c} k_p f_c(b)
  s[(p, j), c]`` (the per-period capacity, ``f_c`` the wave's factor) and over the
  horizon ``sum_{j, b} x[g, j, b] <= repeat_visits x need_g`` (saturation: a person
  is accompanied once).

Lexicographic objectives, one solve each: (1) the most people by the end; with a
target reached, (2) the earliest month ``m*`` with ``max cum_m >= target``, found
by bisection over months (each check maximises ``cum_m`` on the months up to
``m``), then (3) the most people by the end with ``cum_m* >= target``; last (4)
the earliest service (the area under the cumulative curve) with those held.

What is exact: for the static plan's sites and slots, every phase is solved to
the solver's status (optimal or a reported gap). Units with the same staffed
sites in reach are merged (exact for these constraints: their people are split
back in proportion to need). Consecutive months in which no wave's factor
changes are one period: the cumulative people at the end of each period are
those of the monthly model (any monthly split with the same period totals is
feasible), and inside a period each site serves as early as its monthly capacity
allows. What is not: the sites and slot counts are the static model's (chosen for
the steady rate, not re-chosen for the ramp), and the earliness objective (4)
counts a period's people at its mean month.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pulp

from coverage.inputs.rollout import Cohort, Rollout
from coverage.models.rollout_tables import trajectory_tables
from coverage.models.solver import SolveResult, SolverOptions, run_solver, values
from coverage.plan.kpis import zone_of
from coverage.plan.plan import Plan
from coverage.plan.trajectory import Trajectory
from coverage.reach.pairs import Reach

logger = logging.getLogger(__name__)

__all__ = ["rollout_plan"]


def rollout_plan(
    plan: Plan,
    reach: Reach,
    rollout: Rollout,
    *,
    target: float | None = None,
    options: SolverOptions | None = None,
) -> Trajectory:
    """Phase a static staffing plan over the months of ``rollout`` (see the module docstring).

    Parameters
    ----------
    plan
        A solved staffing plan (its slots and partners).
    reach
        The reach the plan was built from.
    rollout
        Waves, ramp-up and attrition per partner, and the months.
    target
        People to accompany by the end (the horizon's target).
    options
        Solver options, applied to each solve.

    Examples
    --------
    Two units, two sites, one partner; one advisor starts in January, another in February,
    each at half the rate in their first month (see the tests for the hand computation):

    >>> import datetime as dt
    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Partner
    >>> from coverage.inputs.rollout import PartnerRollout, Rollout, Wave
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [30.0, 100.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[1, 9], [9, 1]], max_distance=5)
    >>> team = [Partner("p", advisors=2, people_per_slot_month=20.0)]
    >>> plan = staffing(demand, sites, reach, team, months=3)
    >>> waves = (Wave(dt.date(2022, 1, 1), 1), Wave(dt.date(2022, 2, 1), 1))
    >>> rollout = Rollout(
    ...     dt.date(2022, 1, 1), dt.date(2022, 3, 31), {"p": PartnerRollout(waves)}, ramp=(0.5,)
    ... )
    >>> trajectory = rollout_plan(plan, reach, rollout, target=40.0)
    >>> trajectory.cumulative.tolist(), trajectory.target_month
    ([10.0, 40.0, 80.0], datetime.date(2022, 2, 1))
    """
    options = options or SolverOptions()
    data = _prepare(plan, reach, rollout)
    phases: list[tuple[str, SolveResult]] = []
    months = rollout.n_months

    first = _solve(data, months, splits=(), objective="end", holds={}, options=options)
    phases.append(("most people by the end", first.result))
    best, headline, proven = first, first.result, False
    if best.result.status in ("optimal", "feasible") and target is not None and best.end >= target - 1e-6:
        reached = _first_month(best.cumulative(), target)
        low, high = 0, reached  # cum at month `high` (0-based) reaches the target
        proven = first.result.status == "optimal"
        while low < high:
            mid = (low + high) // 2
            check = _solve(data, mid + 1, splits=(mid + 1,), objective="end", holds={}, options=options)
            phases.append((f"most people by month {mid + 1}", check.result))
            proven = proven and check.result.status == "optimal"
            if check.result.status in ("optimal", "feasible") and check.end >= target - 1e-6:
                high = mid
            else:
                low = mid + 1
        holds = {"target_month": (high + 1, target)}
        best = _solve(data, months, splits=(high + 1,), objective="end", holds=holds, options=options)
        phases.append(("most people by the end, target month held", best.result))
        headline = best.result
        holds["end"] = (months, _floor(best.end))
    elif best.result.status in ("optimal", "feasible"):
        holds = {"end": (months, _floor(best.end))}
    else:
        return data.trajectory(best, rollout, target, headline, phases, proven=False)
    if best.result.status in ("optimal", "feasible"):
        split = (holds["target_month"][0],) if "target_month" in holds else ()
        early = _solve(data, months, splits=split, objective="area", holds=holds, options=options)
        phases.append(("earliest service", early.result))
        if early.result.status in ("optimal", "feasible"):
            best = early
    return data.trajectory(best, rollout, target, headline, phases, proven=proven)


def _floor(value: float) -> float:
    return value - max(1e-6, 1e-7 * abs(value))


def _first_month(cumulative: npt.NDArray[np.float64], target: float) -> int:
    hit = np.flatnonzero(cumulative >= target - 1e-6)
    return int(hit[0]) if len(hit) else len(cumulative) - 1


@dataclass
class _Solved:
    result: SolveResult
    blocks: list[tuple[int, int]]
    slots: npt.NDArray[np.float64]  # per (entry, cohort) pair
    flow: npt.NDArray[np.float64]  # per (group pair, block)
    data: _Data
    end: float

    def cumulative(self) -> npt.NDArray[np.float64]:
        monthly = self.data.site_months(self)[1].sum(axis=0)
        return np.cumsum(monthly)


@dataclass
class _Data:
    """The model's sets, in arrays."""

    plan: Plan
    cohorts: list[Cohort]
    entry_site: npt.NDArray[np.int64]  # staffed-site index of each slot entry
    entry_partner: list[str]
    entry_slots: npt.NDArray[np.int64]
    site_ids: npt.NDArray[np.object_]
    pair_entry: npt.NDArray[np.int64]  # (entry, cohort) pairs: entry
    pair_cohort: npt.NDArray[np.int64]  # and cohort
    rate: npt.NDArray[np.float64]  # people per slot-month of each (entry, cohort) pair
    group_indptr: npt.NDArray[np.int64]
    group_sites: npt.NDArray[np.int64]
    group_need: npt.NDArray[np.float64]
    unit_group: npt.NDArray[np.int64]  # group of each unit (-1: no staffed site in reach)
    units: pd.DataFrame

    @property
    def factors(self) -> npt.NDArray[np.float64]:
        return np.vstack([c.factor for c in self.cohorts]) if self.cohorts else np.zeros((0, 0))

    def blocks(self, months: int, splits: Sequence[int]) -> list[tuple[int, int]]:
        """Periods ``[a, b)`` of months up to ``months`` in which no factor changes."""
        factors = self.factors[:, :months]
        cuts = {0, months, *(s for s in splits if 0 < s < months)}
        for m in range(1, months):
            if not np.array_equal(factors[:, m], factors[:, m - 1]):
                cuts.add(m)
        edges = sorted(cuts)
        return list(zip(edges[:-1], edges[1:], strict=True))

    def site_months(self, solved: _Solved) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Capacity and people per staffed site and month (front-loaded inside each period)."""
        n_sites, months = len(self.site_ids), solved.blocks[-1][1]
        rate = np.zeros((n_sites, months))
        for k in range(len(self.pair_entry)):
            c = self.pair_cohort[k]
            rate[self.entry_site[self.pair_entry[k]]] += (
                solved.slots[k] * self.rate[k] * self.factors[c, :months]
            )
        people = np.zeros((n_sites, months))
        flow = solved.flow.reshape(len(self.group_sites), len(solved.blocks))
        for b, (a, e) in enumerate(solved.blocks):
            left = np.bincount(self.group_sites, weights=flow[:, b], minlength=n_sites).astype(np.float64)
            for m in range(a, e):
                people[:, m] = np.minimum(rate[:, m], np.maximum(left, 0.0))
                left = left - people[:, m]
        return rate, people

    def trajectory(
        self,
        solved: _Solved,
        rollout: Rollout,
        target: float | None,
        headline: SolveResult,
        phases: list[tuple[str, SolveResult]],
        *,
        proven: bool,
    ) -> Trajectory:
        return trajectory_tables(self, solved, rollout, target, headline, phases, proven=proven)


def _prepare(plan: Plan, reach: Reach, rollout: Rollout) -> _Data:
    slots = plan.slots
    slots = slots[slots["slots"] > 0].reset_index(drop=True)
    site_ids = np.array(sorted(set(slots["site_id"].astype(str))), dtype=object)
    site_index = {s: k for k, s in enumerate(site_ids)}
    cohorts = rollout.cohorts(plan.partners)
    rates = {p.name: p.people_per_slot_month for p in plan.partners}
    entry_site = np.array([site_index[str(s)] for s in slots["site_id"]], dtype=np.int64)
    entry_partner = slots["partner"].astype(str).tolist()
    pair_entry, pair_cohort = [], []
    for e, partner in enumerate(entry_partner):
        for c, cohort in enumerate(cohorts):
            if cohort.partner == partner and cohort.slots > 0:
                pair_entry.append(e)
                pair_cohort.append(c)
    units = plan.units
    table = pd.DataFrame({"unit_id": units["unit_id"].astype(str), "need": units["need"].astype(float)})
    if "dep" in units.columns:
        table["dep"] = units["dep"].astype(object).where(units["dep"].notna(), "unknown").astype(str)
    table["zone"] = zone_of(units)
    # Staffed sites in reach of each unit, and units merged by that set.
    site_of_col = np.array([site_index.get(str(s), -1) for s in reach.site_ids], dtype=np.int64)
    unit_pos = pd.Series(np.arange(len(table)), index=table["unit_id"])
    row_unit = unit_pos.reindex(reach.demand_ids.astype(str)).to_numpy()
    pair_site = site_of_col[reach.cols]
    keep = pair_site >= 0
    pairs = pd.DataFrame({"unit": row_unit[reach.rows[keep]], "site": pair_site[keep]}).drop_duplicates()
    pairs = pairs[table["need"].to_numpy()[pairs["unit"].to_numpy()] > 0]
    sets = pairs.sort_values("site").groupby("unit")["site"].agg(lambda s: ",".join(map(str, s)))
    unit_group = np.full(len(table), -1, dtype=np.int64)
    codes, uniques = pd.factorize(sets)
    unit_group[sets.index.to_numpy(dtype=np.int64)] = codes
    group_lists = [[int(x) for x in key.split(",")] for key in uniques]
    group_indptr = np.concatenate(([0], np.cumsum([len(g) for g in group_lists]))).astype(np.int64)
    group_sites = np.array([s for g in group_lists for s in g], dtype=np.int64)
    need = table["need"].to_numpy()
    group_need = np.bincount(codes, weights=need[sets.index.to_numpy(dtype=np.int64)], minlength=len(uniques))
    table["in_reach"] = unit_group >= 0
    return _Data(
        plan=plan,
        cohorts=cohorts,
        entry_site=entry_site,
        entry_partner=entry_partner,
        entry_slots=slots["slots"].to_numpy(dtype=np.int64),
        site_ids=site_ids,
        pair_entry=np.array(pair_entry, dtype=np.int64),
        pair_cohort=np.array(pair_cohort, dtype=np.int64),
        rate=np.array([rates[entry_partner[e]] for e in pair_entry], dtype=np.float64),
        group_indptr=group_indptr,
        group_sites=group_sites,
        group_need=np.asarray(group_need * rollout.repeat_visits, dtype=np.float64),
        unit_group=unit_group,
        units=table,
    )


def _solve(
    data: _Data,
    months: int,
    *,
    splits: Sequence[int],
    objective: str,
    holds: dict[str, tuple[int, float]],
    options: SolverOptions,
) -> _Solved:
    """Build and solve one phase over the months ``[0, months)``."""
    blocks = data.blocks(months, splits)
    n_blocks, n_gp = len(blocks), len(data.group_sites)
    problem = pulp.LpProblem("rollout", pulp.LpMaximize)
    s = [
        problem.add_variable(f"s_{k}", lowBound=0, upBound=int(data.entry_slots[e]), cat=pulp.LpInteger)
        for k, e in enumerate(data.pair_entry.tolist())
    ]
    x = [problem.add_variable(f"x_{k}", lowBound=0) for k in range(n_gp * n_blocks)]
    for e in range(len(data.entry_slots)):
        members = np.flatnonzero(data.pair_entry == e)
        if len(members) > 1:
            problem += pulp.lpSum(s[k] for k in members) <= int(data.entry_slots[e]), f"entry_{e}"
    for c, cohort in enumerate(data.cohorts):
        members = np.flatnonzero(data.pair_cohort == c)
        if len(members):
            problem += pulp.lpSum(s[k] for k in members) <= cohort.slots, f"wave_{c}"
    factors = data.factors
    pair_site = data.entry_site[data.pair_entry]
    site_pairs = [np.flatnonzero(pair_site == j) for j in range(len(data.site_ids))]
    gp_of_site = [np.flatnonzero(data.group_sites == j) for j in range(len(data.site_ids))]
    for b, (a, e) in enumerate(blocks):
        length = e - a
        for j in range(len(data.site_ids)):
            served = [(x[g * n_blocks + b], 1.0) for g in gp_of_site[j].tolist()]
            capacity = [
                (s[k], -length * float(data.rate[k] * factors[data.pair_cohort[k], a]))
                for k in site_pairs[j].tolist()
            ]
            problem += pulp.LpAffineExpression(served + capacity) <= 0, f"cap_{j}_{b}"
    for g in range(len(data.group_need)):
        pairs = range(data.group_indptr[g], data.group_indptr[g + 1])
        terms = [(x[p * n_blocks + b], 1.0) for p in pairs for b in range(n_blocks)]
        problem += pulp.LpAffineExpression(terms) <= float(data.group_need[g]), f"need_{g}"

    def by_month(month: int) -> pulp.LpAffineExpression:
        chosen = [b for b, (_, e) in enumerate(blocks) if e <= month]
        return pulp.LpAffineExpression([(x[p * n_blocks + b], 1.0) for p in range(n_gp) for b in chosen])

    for name, (month, floor) in holds.items():
        problem += by_month(month) >= floor, f"hold_{name}"
    if objective == "area":
        weights = [np.mean([months - m for m in range(a, e)]) for a, e in blocks]
        problem.setObjective(
            pulp.LpAffineExpression(
                [(x[p * n_blocks + b], float(weights[b])) for p in range(n_gp) for b in range(n_blocks)]
            )
        )
    else:
        problem.setObjective(by_month(months))
    result = run_solver(problem, options)
    slots = np.rint(values(s)) if s else np.zeros(0)
    flow = np.maximum(values(x), 0.0) if x else np.zeros(0)
    solved = _Solved(result, blocks, slots, flow, data, float(flow.sum()))
    if result.status in ("optimal", "feasible"):
        # Integer slots are rounded: people beyond the rounded capacity are trimmed by the front-loading.
        solved.end = float(data.site_months(solved)[1].sum())
    logger.debug(
        "rollout phase %s over %d months: %s in %.2f s", objective, months, result.status, result.seconds
    )
    return solved
