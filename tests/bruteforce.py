"""Exhaustive reference solvers for tiny instances (tests only).

Every function enumerates all subsets of candidate sites, so keep ``m`` small
(2**m subsets). Inputs are plain numpy: a dense ``n x m`` distance matrix
(``np.inf`` = no path), the need per unit and a radius (None = every finite
pair is in reach). An optional ``weight`` matrix gives distance-decay coverage
weights in (0, 1] (0 = out of reach).

The rules mirror :mod:`coverage.models.location` as documented:

- sites ``closed`` never open, sites ``forced`` always do;
- a site is *eligible* when it is forced, or not closed and reaches a unit
  with need > 0; department quotas count and apply to the departments of
  eligible sites (a site that reaches nobody with need never opens, and a
  department without eligible sites gets no uniform quota);
- ``budget`` bounds the sum of ``cost`` over the open sites;
- ``min_sites`` / ``max_sites_dep``: an int for every department, or a
  mapping department -> quota; ``serve_exactly`` K: exactly K departments have
  an open site;
- ``min_share``: every department (of the units) with need keeps at least that
  share of its need covered; ``maximise_min_share``: lexicographic max-min
  share over departments whose need some candidate can reach, then total.

Each solver returns the optimal value, or None when no subset is feasible.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Quota = int | float | Mapping[str, float] | None
Mask = npt.NDArray[np.bool_]

TOL = 1e-7


def in_reach(dist: npt.ArrayLike, radius: float | None) -> Mask:
    """Pairs within reach: finite and no farther than ``radius``."""
    d = np.asarray(dist, dtype=np.float64)
    ok = np.isfinite(d)
    if radius is not None:
        ok &= d <= radius
    return ok


@dataclass(frozen=True)
class Rules:
    """Site-level rules shared by every brute-force model."""

    forced: frozenset[int] = frozenset()
    closed: frozenset[int] = frozenset()
    cost: npt.NDArray[np.float64] | None = None
    budget: float | None = None
    site_dep: Sequence[str] | None = None
    min_sites: Quota = None
    max_sites_dep: Quota = None
    serve_exactly: int | None = None
    unit_dep: Sequence[str] | None = None
    min_share: Quota = None
    maximise_min_share: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def _quota(value: Quota, departments: Sequence[str]) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    return {d: float(value) for d in departments}


def eligible(cover: Mask, need: npt.ArrayLike, rules: Rules) -> Mask:
    """Sites that may open: forced, or not closed and reaching a unit with need."""
    m = cover.shape[1]
    w = np.asarray(need, dtype=np.float64)
    useful = cover[w > 0].any(axis=0) if cover.shape[0] else np.zeros(m, dtype=bool)
    ok = useful.copy()
    for j in rules.closed:
        ok[j] = False
    for j in rules.forced:
        ok[j] = True
    return ok


def subsets(candidates: Mask, forced: frozenset[int], size: int | None = None) -> Iterator[Mask]:
    """Every open mask over ``candidates`` that contains ``forced`` (of ``size`` sites if given)."""
    m = len(candidates)
    free = [j for j in range(m) if candidates[j] and j not in forced]
    for r in range(len(free) + 1):
        if size is not None and r + len(forced) != size:
            continue
        for extra in itertools.combinations(free, r):
            mask = np.zeros(m, dtype=bool)
            mask[list(forced)] = True
            mask[list(extra)] = True
            yield mask


def site_rules_ok(open_mask: Mask, rules: Rules, usable: Mask) -> bool:
    """Budget and department quotas (not the site count) for one open mask."""
    if rules.budget is not None:
        cost = np.ones(len(open_mask)) if rules.cost is None else np.asarray(rules.cost, dtype=np.float64)
        if float(cost[open_mask].sum()) > rules.budget + TOL:
            return False
    if rules.site_dep is None:
        return True
    dep = np.asarray(rules.site_dep, dtype=object)
    departments = sorted(set(dep[usable].tolist()))
    count = {d: int((open_mask & (dep == d)).sum()) for d in set(dep.tolist())}
    for d, low in _quota(rules.min_sites, departments).items():
        if count.get(d, 0) < low:
            return False
    for d, high in _quota(rules.max_sites_dep, departments).items():
        if count.get(d, 0) > high:
            return False
    if rules.serve_exactly is not None:
        served = sum(1 for d in departments if count.get(d, 0) > 0)
        if served != rules.serve_exactly:
            return False
    return True


def covered(weight: npt.NDArray[np.float64], need: npt.ArrayLike, open_mask: Mask) -> npt.NDArray[np.float64]:
    """Need covered per unit: need x the best weight of an open site (0 when none)."""
    w = np.asarray(need, dtype=np.float64)
    if not open_mask.any():
        return np.zeros(len(w))
    return w * weight[:, open_mask].max(axis=1)


def _weights(
    dist: npt.ArrayLike, radius: float | None, weight: npt.ArrayLike | None
) -> npt.NDArray[np.float64]:
    cover = in_reach(dist, radius)
    if weight is None:
        return cover.astype(np.float64)
    return np.where(cover, np.asarray(weight, dtype=np.float64), 0.0)


def _shares_ok(per_unit: npt.NDArray[np.float64], need: npt.NDArray[np.float64], rules: Rules) -> bool:
    if rules.min_share is None or rules.unit_dep is None:
        return True
    dep = np.asarray(rules.unit_dep, dtype=object)
    for d, share in _quota(rules.min_share, sorted(set(dep.tolist()))).items():
        total = float(need[dep == d].sum())
        if total > 0 and share > 0 and float(per_unit[dep == d].sum()) < share * total - TOL:
            return False
    return True


def _min_share(
    per_unit: npt.NDArray[np.float64], coverable: dict[str, float], dep: npt.NDArray[np.object_]
) -> float:
    shares = [float(per_unit[dep == d].sum()) / total for d, total in coverable.items() if total > 0]
    return min(shares) if shares else 0.0


def feasible_coverage_sets(
    dist: npt.ArrayLike,
    need: npt.ArrayLike,
    radius: float | None,
    rules: Rules = Rules(),
    *,
    max_sites: int | None = None,
    weight: npt.ArrayLike | None = None,
) -> Iterator[tuple[Mask, npt.NDArray[np.float64]]]:
    """(open mask, covered need per unit) of every feasible coverage plan."""
    w = np.asarray(need, dtype=np.float64)
    cover = in_reach(dist, radius)
    weights = _weights(dist, radius, weight)
    usable = eligible(cover, w, rules)
    for mask in subsets(usable, rules.forced):
        if max_sites is not None and mask.sum() > max_sites:
            continue
        if not site_rules_ok(mask, rules, usable):
            continue
        per_unit = covered(weights, w, mask)
        if _shares_ok(per_unit, w, rules):
            yield mask, per_unit


def maximal_coverage(
    dist: npt.ArrayLike,
    need: npt.ArrayLike,
    radius: float | None,
    max_sites: int,
    rules: Rules = Rules(),
    *,
    weight: npt.ArrayLike | None = None,
) -> float | None:
    """Most need covered with at most ``max_sites`` open sites (None if infeasible)."""
    plans = list(feasible_coverage_sets(dist, need, radius, rules, max_sites=max_sites, weight=weight))
    if not plans:
        return None
    if rules.maximise_min_share and rules.unit_dep is not None:
        w = np.asarray(need, dtype=np.float64)
        dep = np.asarray(rules.unit_dep, dtype=object)
        cover = in_reach(dist, radius)
        available = np.ones(cover.shape[1], dtype=bool)
        available[list(rules.closed)] = False
        reachable = cover[:, available].any(axis=1) & (w > 0)
        coverable = {d: float(w[reachable & (dep == d)].sum()) for d in sorted(set(dep.tolist()))}
        floor = max(_min_share(per_unit, coverable, dep) for _, per_unit in plans)
        plans = [(m, u) for m, u in plans if _min_share(u, coverable, dep) >= floor - 1e-6]
    return max(float(per_unit.sum()) for _, per_unit in plans)


def best_min_share(
    dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, max_sites: int, rules: Rules
) -> float:
    """The largest smallest department share (maximise_min_share's first stage)."""
    w = np.asarray(need, dtype=np.float64)
    dep = np.asarray(rules.unit_dep, dtype=object)
    cover = in_reach(dist, radius)
    available = np.ones(cover.shape[1], dtype=bool)
    available[list(rules.closed)] = False
    reachable = cover[:, available].any(axis=1) & (w > 0)
    coverable = {d: float(w[reachable & (dep == d)].sum()) for d in sorted(set(dep.tolist()))}
    return max(
        _min_share(u, coverable, dep)
        for _, u in feasible_coverage_sets(dist, need, radius, rules, max_sites=max_sites)
    )


def set_cover(
    dist: npt.ArrayLike,
    need: npt.ArrayLike,
    radius: float | None,
    rules: Rules = Rules(),
    *,
    target: float | None = None,
    weight: npt.ArrayLike | None = None,
) -> int | None:
    """Fewest open sites covering every unit with need (or ``target`` need); None if infeasible."""
    w = np.asarray(need, dtype=np.float64)
    best: int | None = None
    for mask, per_unit in feasible_coverage_sets(dist, need, radius, rules, weight=weight):
        if target is None:
            ok = (
                bool(np.all(per_unit[w > 0] >= w[w > 0] - TOL))
                if weight is None
                else bool(np.all(per_unit[w > 0] > 0))
            )
        else:
            ok = float(per_unit.sum()) >= target - TOL
        if ok and (best is None or int(mask.sum()) < best):
            best = int(mask.sum())
    return best


def _assignment_sets(
    dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, p: int, rules: Rules
) -> Iterator[tuple[Mask, npt.NDArray[np.float64]]]:
    """(open mask, distance of each unit with need to its nearest open site) for every feasible p-set."""
    d = np.where(in_reach(dist, radius), np.asarray(dist, dtype=np.float64), np.inf)
    w = np.asarray(need, dtype=np.float64)
    candidates = np.ones(d.shape[1], dtype=bool)
    candidates[list(rules.closed)] = False
    for mask in subsets(candidates, rules.forced, size=p):
        nearest = d[w > 0][:, mask].min(axis=1) if mask.any() else np.full(int((w > 0).sum()), np.inf)
        if np.isfinite(nearest).all():
            yield mask, nearest


def p_median(
    dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, p: int, rules: Rules = Rules()
) -> float | None:
    """Least sum of need x distance to the nearest open site, exactly ``p`` open (None if infeasible)."""
    w = np.asarray(need, dtype=np.float64)
    sets = _assignment_sets(dist, need, radius, p, rules)
    values = [float((w[w > 0] * nearest).sum()) for _, nearest in sets]
    return min(values) if values else None


def p_center(
    dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, p: int, rules: Rules = Rules()
) -> float | None:
    """Least largest distance from a unit with need to its nearest open site (None if infeasible)."""
    sets = _assignment_sets(dist, need, radius, p, rules)
    values = [float(nearest.max(initial=0.0)) for _, nearest in sets]
    return min(values) if values else None


def p_median_value(dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, open_mask: Mask) -> float:
    """Sum of need x distance to the nearest open site within reach (inf if a unit with need has none)."""
    d = np.where(in_reach(dist, radius), np.asarray(dist, dtype=np.float64), np.inf)
    w = np.asarray(need, dtype=np.float64)
    if not (w > 0).any():
        return 0.0
    if not open_mask.any():
        return np.inf
    return float((w[w > 0] * d[w > 0][:, open_mask].min(axis=1)).sum())


def p_center_value(dist: npt.ArrayLike, need: npt.ArrayLike, radius: float | None, open_mask: Mask) -> float:
    """Largest distance from a unit with need to its nearest open site within reach."""
    d = np.where(in_reach(dist, radius), np.asarray(dist, dtype=np.float64), np.inf)
    w = np.asarray(need, dtype=np.float64)
    if not (w > 0).any():
        return 0.0
    if not open_mask.any():
        return np.inf
    return float(d[w > 0][:, open_mask].min(axis=1).max())


# -- staffing -------------------------------------------------------------------


@dataclass(frozen=True)
class StaffPartner:
    """A partner for the staffing brute force: slots it can place and people per slot per month."""

    name: str
    slots: int
    per_slot_month: float


def served_given_slots(cover: Mask, need: npt.ArrayLike, site_people: npt.ArrayLike) -> float:
    """Most need served when site ``j`` can serve ``site_people[j]`` people (transportation LP)."""
    from scipy.optimize import linprog

    w = np.asarray(need, dtype=np.float64)
    cap = np.asarray(site_people, dtype=np.float64)
    pairs = np.argwhere(cover & (w[:, None] > 0) & (cap[None, :] > 0))
    if not len(pairs):
        return 0.0
    k = len(pairs)
    n, m = cover.shape
    a_ub = np.zeros((n + m, k))
    a_ub[pairs[:, 0], np.arange(k)] = 1.0
    a_ub[n + pairs[:, 1], np.arange(k)] = 1.0
    b_ub = np.concatenate([w, cap])
    result = linprog(-np.ones(k), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if result.status != 0:
        raise RuntimeError(f"linprog failed: {result.message}")
    return float(-result.fun)


def slot_allocations(
    partners: Sequence[StaffPartner],
    owners: Sequence[str],
    capacity: Sequence[int],
    may_use: Mapping[tuple[str, str], bool],
    open_ok: Sequence[bool],
    forced: Sequence[int] = (),
) -> Iterator[npt.NDArray[np.int64]]:
    """Every integer slot matrix t (partners x sites) within partner slots, capacities and sharing.

    ``open_ok[j]`` false keeps site ``j`` without slots (closed); every site of
    ``forced`` gets at least one slot.
    """
    m = len(owners)
    cells = [
        (p, j)
        for p in range(len(partners))
        for j in range(m)
        if open_ok[j] and may_use[(partners[p].name, owners[j])]
    ]
    ranges = [range(0, min(partners[p].slots, capacity[j]) + 1) for p, j in cells]
    budget = np.array([pa.slots for pa in partners])
    for values in itertools.product(*ranges):
        t = np.zeros((len(partners), m), dtype=np.int64)
        for (p, j), v in zip(cells, values, strict=True):
            t[p, j] = v
        per_site = t.sum(axis=0)
        staffed = all(per_site[j] >= 1 for j in forced)
        if staffed and (t.sum(axis=1) <= budget).all() and (per_site <= capacity).all():
            yield t


def staffing_max_served(
    cover: Mask,
    need: npt.ArrayLike,
    partners: Sequence[StaffPartner],
    owners: Sequence[str],
    capacity: Sequence[int],
    may_use: Mapping[tuple[str, str], bool],
    months: float,
    *,
    open_ok: Sequence[bool] | None = None,
    forced: Sequence[int] = (),
) -> float | None:
    """Most need served over every integer slot allocation (an LP for each); None if none is feasible."""
    per_month = np.array([p.per_slot_month for p in partners], dtype=np.float64)
    ok = [True] * len(owners) if open_ok is None else list(open_ok)
    best: float | None = None
    seen: set[tuple[float, ...]] = set()
    for t in slot_allocations(partners, owners, capacity, may_use, ok, forced):
        people = tuple(np.round(months * (per_month @ t), 9).tolist())
        if people in seen:
            continue
        seen.add(people)
        value = served_given_slots(cover, need, people)
        best = value if best is None else max(best, value)
    return best


def staffing_min_advisors(
    cover: Mask,
    need: npt.ArrayLike,
    partners: Sequence[StaffPartner],
    slots_per_advisor: Sequence[int],
    owners: Sequence[str],
    capacity: Sequence[int],
    may_use: Mapping[tuple[str, str], bool],
    months: float,
    target: float,
    *,
    open_ok: Sequence[bool] | None = None,
    forced: Sequence[int] = (),
) -> int | None:
    """Fewest whole advisors (sum over partners of ceil(slots / slots per advisor)) serving ``target``."""
    per_month = np.array([p.per_slot_month for p in partners], dtype=np.float64)
    per_advisor = np.asarray(slots_per_advisor, dtype=np.int64)
    ok = [True] * len(owners) if open_ok is None else list(open_ok)
    best: int | None = None
    for t in slot_allocations(partners, owners, capacity, may_use, ok, forced):
        advisors = int((-(-t.sum(axis=1) // per_advisor)).sum())
        if best is not None and advisors >= best:
            continue
        if served_given_slots(cover, need, months * (per_month @ t)) >= target - TOL:
            best = advisors
    return best
