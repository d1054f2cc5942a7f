"""A greedy staffing plan and an upper bound on the need any plan serves.

:func:`greedy_start` places advisor slots one at a time where they serve the
most need still unserved (a lazy greedy over sites: a site's key is the need
left in its reach, which only falls as slots are placed), each slot serving
the nearest need first. It holds every constraint of the staffing model it
knows: partner slots, site capacities, slots per site, the sharing matrix,
forced and closed sites, the budget, department minimum and maximum sites and
advisors, and the partners' minimum advisors and sites. Rules it does not
know (departments served, minimum shares) give no start.

:func:`served_bound` bounds the need served from above: no plan serves more
than its slots serve over the months of work, nor more than the need in reach
of a site some partner may staff. A greedy plan that reaches the bound is
optimal, with no solver (:mod:`coverage.models.staffing_fast`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coverage.inputs.partners import Partner
from coverage.inputs.rules import DepartmentRules, quota
from coverage.models.instance import Instance

__all__ = ["StaffingStart", "greedy_start", "served_bound", "slot_bounds"]

#: Need below which a unit counts as fully served (people; flows are rounded to 1e-4).
EPS = 1e-6


@dataclass(frozen=True)
class StaffingStart:
    """A staffing plan over the model view: slots per (partner, model site), flow per model pair."""

    slots: npt.NDArray[np.int64]
    flow: npt.NDArray[np.float64]

    @property
    def served(self) -> float:
        return float(self.flow.sum())

    @property
    def open(self) -> npt.NDArray[np.bool_]:
        return self.slots.sum(axis=0) > 0


def slot_bounds(
    partners: Sequence[Partner], full: npt.NDArray[np.bool_], capacity: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Most slots each partner may put at each model site (0 where the sharing matrix forbids it)."""
    out = np.zeros(full.shape, dtype=np.int64)
    for p, partner in enumerate(partners):
        bound = np.minimum(capacity, partner.slots)
        if partner.max_slots_per_site is not None:
            bound = np.minimum(bound, partner.max_slots_per_site)
        out[p] = np.where(full[p], bound, 0)
    return out


def served_bound(
    inst: Instance, partners: Sequence[Partner], bounds: npt.NDArray[np.int64], months: float
) -> float:
    """An upper bound on the need served: slots' output, and need in reach of a staffable site.

    Each partner serves at most its slots times its people per slot over the
    months (and at most what the sites it may use hold); the need served is at
    most the need of the units in reach of a site that some partner may staff.
    """
    per_slot = np.array([p.people_per_slot_month for p in partners]) * months
    slots = np.array([min(p.slots, int(bounds[k].sum())) for k, p in enumerate(partners)])
    staffable = bounds.sum(axis=0) > 0
    reached = np.zeros(len(inst.row_units), dtype=bool)
    reached[inst.pair_rows[staffable[inst.cols]]] = True
    return float(min((slots * per_slot).sum(), inst.row_need[reached].sum()))


class _Greedy:
    """The state of one greedy run (slots placed, need left, flows, rule counters)."""

    def __init__(
        self,
        inst: Instance,
        partners: Sequence[Partner],
        bounds: npt.NDArray[np.int64],
        capacity: npt.NDArray[np.int64],
        months: float,
        rules: DepartmentRules,
    ) -> None:
        n = inst.n_model_sites
        self.inst, self.partners, self.bounds, self.capacity = inst, partners, bounds, capacity
        self.value = np.array([p.people_per_slot_month for p in partners]) * months
        self.advisor = np.array([1.0 / p.slots_per_advisor for p in partners])
        self.left = np.array([p.slots for p in partners], dtype=np.int64)
        #: The largest slot output among partners with slots left.
        self.top_value = float(self.value[self.left > 0].max(initial=0.0))
        self.need = inst.row_need.astype(np.float64).copy()
        self.rows = inst.pair_rows
        self.order = np.lexsort((inst.dist, inst.cols))
        self.ptr = np.searchsorted(inst.cols[self.order], np.arange(n + 1))
        self.flow = np.zeros(len(inst.cols))
        self.t = np.zeros(bounds.shape, dtype=np.int64)
        self.used = np.zeros(n, dtype=np.int64)
        self.spare = np.zeros(n)  # people the slots of a site may still serve
        self.cost = inst.model_cost
        self.spent = 0.0
        self.dep = inst.model_site_dep
        deps = sorted(set(self.dep.tolist()))
        self.max_sites = quota(rules.max_sites, deps)
        self.max_advisors = quota(rules.max_advisors, deps)
        self.min_sites = quota(rules.min_sites, deps)
        self.min_advisors = quota(rules.min_advisors, deps)
        self.dep_sites: dict[str, int] = dict.fromkeys(deps, 0)
        self.dep_advisors: dict[str, float] = dict.fromkeys(deps, 0.0)

    def residual(self, j: int) -> float:
        pairs = self.order[self.ptr[j] : self.ptr[j + 1]]
        return float(self.need[self.rows[pairs]].sum())

    def partner_for(self, j: int, gain_cap: float) -> int | None:
        """The partner whose next slot at ``j`` serves the most (ties: the smaller slot), or None."""
        if self.used[j] >= self.capacity[j]:
            return None
        dep = self.dep[j]
        if self.used[j] == 0:
            budget = self.inst.budget
            if budget is not None and self.spent + self.cost[j] > budget + 1e-9:
                return None
            if dep in self.max_sites and self.dep_sites[dep] + 1 > self.max_sites[dep] + 1e-9:
                return None
        best, key = None, None
        for p in range(len(self.partners)):
            if self.left[p] <= 0 or self.t[p, j] >= self.bounds[p, j]:
                continue
            if dep in self.max_advisors and (
                self.dep_advisors[dep] + self.advisor[p] > self.max_advisors[dep] + 1e-9
            ):
                continue
            candidate = (min(self.value[p], gain_cap), -self.value[p], self.left[p])
            if key is None or candidate > key:
                best, key = p, candidate
        return best

    def place(self, p: int, j: int) -> None:
        dep = self.dep[j]
        if self.used[j] == 0:
            self.spent += float(self.cost[j])
            self.dep_sites[dep] += 1
        self.t[p, j] += 1
        self.used[j] += 1
        self.left[p] -= 1
        if self.left[p] == 0:
            self.top_value = float(self.value[self.left > 0].max(initial=0.0))
        self.dep_advisors[dep] += float(self.advisor[p])
        self.spare[j] += self.value[p]
        for k in self.order[self.ptr[j] : self.ptr[j + 1]].tolist():
            if self.spare[j] <= EPS:
                break
            i = self.rows[k]
            take = min(self.need[i], self.spare[j])
            if take > 0:
                self.flow[k] += take
                self.need[i] -= take
                self.spare[j] -= take

    def best_site(self, candidates: npt.NDArray[np.int64]) -> tuple[int, int] | None:
        """The candidate site (and partner) whose next slot serves the most."""
        choice, key = None, -1.0
        for j in candidates.tolist():
            r = self.residual(j)
            p = self.partner_for(j, r)
            if p is not None and min(self.value[p], r) > key:
                choice, key = (p, j), min(self.value[p], r)
        return choice

    def floors(self, forced: npt.NDArray[np.bool_]) -> bool:
        """Forced sites and department minima first; False when the greedy cannot meet one."""
        for j in np.flatnonzero(forced).tolist():
            if self.used[j] == 0:
                p = self.partner_for(j, self.residual(j))
                if p is None:
                    return False
                self.place(p, j)
        for dep, wanted in sorted(self.min_sites.items()):
            while self.dep_sites.get(dep, 0) < wanted - 1e-9:
                choice = self.best_site(np.flatnonzero((self.dep == dep) & (self.used == 0)))
                if choice is None:
                    return False
                self.place(*choice)
        for dep, wanted in sorted(self.min_advisors.items()):
            while self.dep_advisors.get(dep, 0.0) < wanted - 1e-9:
                choice = self.best_site(np.flatnonzero(self.dep == dep))
                if choice is None:
                    return False
                self.place(*choice)
        return True

    def key(self, j: int, residual: float) -> tuple[float, float]:
        """Heap key of site ``j`` (negated): what its next slot serves, per cost when the budget
        binds and ``j`` is not open yet; then the need left in its reach."""
        gain = min(residual, self.top_value)
        if self.inst.budget is not None and self.used[j] == 0:
            gain /= max(float(self.cost[j]), 1e-9)
        return (-gain, -residual)

    def fill(self) -> None:
        """Lazy greedy: the site whose next slot serves the most (per cost, under a budget) takes it.

        Keys only fall as need is served and partners run out of slots, so a popped
        site whose fresh key is still the best is the best.
        """
        heap = [(*self.key(j, self.residual(j)), j) for j in range(len(self.used))]
        heapq.heapify(heap)
        while heap and (self.left > 0).any():
            j = heapq.heappop(heap)[2]
            r = self.residual(j)
            if r <= EPS:
                continue
            fresh = self.key(j, r)
            if heap and fresh > heap[0][:2]:
                heapq.heappush(heap, (*fresh, j))
                continue
            p = self.partner_for(j, r)
            if p is None:
                continue
            self.place(p, j)
            heapq.heappush(heap, (*self.key(j, self.residual(j)), j))

    def partner_floors(self) -> bool:
        """Partners' minimum advisors and sites: spare slots go where they serve the most."""
        for p, partner in enumerate(self.partners):
            while self.t[p].sum() < partner.min_advisors * partner.slots_per_advisor or (
                int((self.t[p] > 0).sum()) < partner.min_sites
            ):
                new_site = int((self.t[p] > 0).sum()) < partner.min_sites
                room = (self.t[p] < self.bounds[p]) & (self.used < self.capacity)
                if new_site:
                    room &= self.t[p] == 0
                choice = None
                for j in sorted(np.flatnonzero(room).tolist(), key=lambda j: -self.residual(j)):
                    if self.partner_for_only(p, j):
                        choice = j
                        break
                if choice is None:
                    return False
                self.place(p, choice)
        return True

    def partner_for_only(self, p: int, j: int) -> bool:
        saved = self.left.copy()
        self.left[:] = 0
        self.left[p] = saved[p]
        ok = self.partner_for(j, 0.0) == p
        self.left[:] = saved
        return ok


def greedy_start(
    inst: Instance,
    partners: Sequence[Partner],
    bounds: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.int64],
    months: float,
    rules: DepartmentRules,
) -> StaffingStart | None:
    """A plan holding every staffing constraint, built greedily; None where the greedy cannot.

    ``bounds[p, j]`` is the most slots partner ``p`` may put at model site ``j``
    (:func:`slot_bounds`). Rules of departments served or of minimum shares give None.
    """
    if rules.serve_exactly is not None or rules.min_share is not None or rules.maximise_min_share:
        return None
    greedy = _Greedy(inst, partners, bounds, capacity, months, rules)
    if not greedy.floors(inst.model_forced):
        return None
    greedy.fill()
    if not greedy.partner_floors():
        return None
    for dep, wanted in greedy.min_advisors.items():
        if greedy.dep_advisors.get(dep, 0.0) < wanted - 1e-9:
            return None
    return StaffingStart(slots=greedy.t, flow=np.round(greedy.flow, 4))
