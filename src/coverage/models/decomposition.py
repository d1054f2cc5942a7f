"""Exact maximal coverage by components of the reach graph.

Sites and units fall into connected components of the reach graph (a unit
joins every site that reaches it). With the site count as the only constraint
linking them, the best plan gives each component ``c`` some number of sites
``k_c`` and is worth ``sum_c f_c(k_c)``, where ``f_c(k)`` is the best coverage
of ``c`` with ``k`` sites. :func:`solve_by_components` finds the best
allocation without computing every ``f_c(k)``:

- lower bounds ``L_c(k)``: the greedy pick restricted to ``c`` (greedy is
  separable by component, so one global greedy gives every chain) and every
  plan found so far;
- upper bounds ``U_c(k)``: the LP relaxation's duals (any duals ``u >= 0`` and
  site price ``lambda >= 0`` bound ``f_c(k) <= D_c(u, lambda) + lambda k``),
  each value or bound proven so far, monotonicity, and two consequences of
  submodular coverage: ``(f_c(k) - f_c(k_0)) <= (k - k_0) m_c`` where ``m_c``
  is the best single site's gain, and ``f_c(k) / k`` non-increasing (beyond the
  forced sites);
- a knapsack (max-plus dynamic programme) over the components gives the best
  allocation under ``U`` (the bound) and under ``L`` (the plan);
- each component whose ``U`` at the bound's allocation is not yet exact is
  solved there by HiGHS (highspy, in-process, matrix input), which tightens
  both, until the two meet.

The result is exact: the bound is the knapsack over proven upper bounds, and
the plan is a feasible allocation of proven plans. The components are solved
by HiGHS directly (not through PuLP) because there are hundreds of small MIPs
and the per-solve cost of writing a model file and starting a solver would
dominate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from coverage.models.component_mip import CBC_SITES, Component, lp_at, lp_bounds, solve_cbc, solve_highs

logger = logging.getLogger(__name__)

__all__ = ["CBC_SITES", "ComponentResult", "solve_by_components"]


@dataclass
class ComponentResult:
    """What :func:`solve_by_components` found: the open sites, the plan's value, the bound."""

    open: npt.NDArray[np.bool_]
    objective: float
    bound: float
    components: int
    largest: int
    mip_solves: int
    first_incumbent_s: float
    seconds: float
    history: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def gap(self) -> float:
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


def solve_by_components(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    n_sites: int,
    max_sites: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    gap: float = 1e-9,
    deadline: float | None = None,
    cbc_sites: int = CBC_SITES,
) -> ComponentResult:
    """Open at most ``max_sites`` of ``n_sites`` columns to cover the most ``need`` (CSR rows).

    ``forced`` columns are open in every plan; columns not ``allowed`` stay
    shut. Stops when the relative gap is at most ``gap`` or at ``deadline``
    (a ``time.perf_counter`` value), with the best plan and the proven bound.

    Examples
    --------
    Three rows (units) and three columns (sites): 100 is reached by sites 0
    and 1, 50 by site 1, 30 by sites 1 and 2. One site: site 1 covers all 180.

    >>> import numpy as np
    >>> indptr = np.array([0, 2, 3, 5])
    >>> cols = np.array([0, 1, 1, 1, 2])
    >>> result = solve_by_components(indptr, cols, np.array([100.0, 50.0, 30.0]), 3, 1)
    >>> result.open.tolist(), result.objective, result.bound
    ([False, True, False], 180.0, 180.0)
    """
    started = time.perf_counter()
    forced = np.zeros(n_sites, bool) if forced is None else np.asarray(forced, bool)
    allowed = np.ones(n_sites, bool) if allowed is None else np.asarray(allowed, bool) | forced
    cols = np.asarray(cols, np.int64)
    keep = allowed[cols]
    lengths = np.diff(indptr)
    row_of_pair = np.repeat(np.arange(len(lengths)), lengths)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row_of_pair[keep], minlength=len(lengths)))))
    cols, row_of_pair = cols[keep], row_of_pair[keep]
    n_rows = len(need)
    order, gains = _greedy_order(indptr, cols, need, n_sites, forced, allowed)
    first_incumbent = time.perf_counter() - started
    comps, largest = _components(indptr, cols, row_of_pair, need, n_sites, forced, allowed, max_sites)
    site_comp = np.full(n_sites, -1, np.int64)
    for c, comp in enumerate(comps):
        site_comp[comp.sites] = c
    _greedy_bounds(comps, site_comp, order, gains, need, indptr, cols)
    lp_bounds(comps, indptr, cols, need, n_sites, n_rows, max_sites, forced, allowed)
    solves = 0
    history: list[tuple[float, float, float]] = []
    csr = sp.csr_array((np.ones(len(cols)), cols, indptr), shape=(n_rows, n_sites))
    while True:
        for comp in comps:
            _tighten(comp)
        upper, want = _knapsack([c.high for c in comps], max_sites)
        lower, plan = _knapsack([c.low for c in comps], max_sites)
        history.append((time.perf_counter() - started, lower, upper))
        logger.debug("components: plan %.6g, bound %.6g, %d MIPs", lower, upper, solves)
        if upper - lower <= gap * max(abs(upper), 1.0):
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        # Small components first: they are proven at once and may settle the allocation.
        todo = sorted(
            ((c, k) for c, k in enumerate(want) if k not in comps[c].exact),
            key=lambda ck: len(comps[ck[0]].sites),
        )
        if not todo:  # cannot happen: an all-exact allocation makes upper == its value <= lower
            break
        for c, k in todo:
            if deadline is not None and time.perf_counter() > deadline:
                break
            if len(comps[c].sites) >= cbc_sites:
                if k not in comps[c].relaxed:  # a large component: its LP bound first, then (if asked
                    lp_at(comps[c], k, csr, need, forced)  # again) a time-sliced MIP
                    continue
                solves += 1
                left = None if deadline is None else deadline - time.perf_counter()
                share = None if left is None else time.perf_counter() + max(2.0, left / 3)
                solve_cbc(comps[c], k, csr, need, forced, share)
            else:
                solves += 1
                solve_highs(comps[c], k, csr, need, forced, deadline)
    opened = np.zeros(n_sites, bool)
    objective = 0.0
    for comp, k in zip(comps, plan, strict=True):
        best = int(np.argmax(comp.low[: k + 1] >= comp.low[k]))  # fewest sites reaching low[k]
        opened[comp.plans[best]] = True
        objective += comp.low[k]
    opened |= forced
    return ComponentResult(
        opened,
        float(objective),
        float(max(upper, objective)),
        len(comps),
        largest,
        solves,
        first_incumbent,
        time.perf_counter() - started,
        history,
    )


def _greedy_order(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    n_sites: int,
    forced: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Forced sites, then every site with a positive gain in greedy order, with each one's gain."""
    lengths = np.diff(indptr)
    row_of_pair = np.repeat(np.arange(len(lengths)), lengths)
    by_col = np.argsort(cols, kind="stable")
    col_ptr = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=n_sites))))
    col_rows = row_of_pair[by_col]
    score = np.bincount(cols, weights=need[row_of_pair], minlength=n_sites).astype(np.float64)
    score[~allowed] = -np.inf
    covered = np.zeros(len(need), bool)
    order: list[int] = []
    gains: list[float] = []

    def take(site: int) -> None:
        order.append(site)
        gains.append(float(score[site]))
        score[site] = -np.inf
        rows = col_rows[col_ptr[site] : col_ptr[site + 1]]
        fresh = rows[~covered[rows]]
        if len(fresh):
            covered[fresh] = True
            span = lengths[fresh]
            pick = np.repeat(indptr[fresh] - np.concatenate(([0], np.cumsum(span)[:-1])), span)
            np.subtract.at(score, cols[pick + np.arange(span.sum())], np.repeat(need[fresh], span))

    for site in np.flatnonzero(forced).tolist():
        take(site)
    while len(order) < n_sites:
        site = int(np.argmax(score))
        if not score[site] > 0:
            break
        take(site)
    return np.asarray(order, np.int64), np.asarray(gains)


def _components(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    row_of_pair: npt.NDArray[np.int64],
    need: npt.NDArray[np.float64],
    n_sites: int,
    forced: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
    max_sites: int,
) -> tuple[list[Component], int]:
    n_rows = len(need)
    pairs = sp.coo_array(
        (np.ones(len(cols)), (row_of_pair, n_rows + cols)), shape=(n_rows + n_sites,) * 2
    ).tocsr()
    _, label = connected_components(pairs, directed=False)
    site_label = label[n_rows:]
    useful = allowed & (np.bincount(cols, minlength=n_sites) > 0) | forced
    reached = np.diff(indptr) > 0
    groups = np.unique(np.r_[site_label[useful], label[:n_rows][reached]])
    comps = []
    largest = 0
    site_order = np.argsort(site_label, kind="stable")
    site_bounds = np.searchsorted(site_label[site_order], groups, side="left")
    site_ends = np.searchsorted(site_label[site_order], groups, side="right")
    row_label = label[:n_rows]
    row_order = np.argsort(row_label, kind="stable")
    row_bounds = np.searchsorted(row_label[row_order], groups, side="left")
    row_ends = np.searchsorted(row_label[row_order], groups, side="right")
    for g in range(len(groups)):
        sites = site_order[site_bounds[g] : site_ends[g]]
        sites = sites[useful[sites]]
        rows = row_order[row_bounds[g] : row_ends[g]]
        rows = rows[reached[rows]]
        n_forced = int(forced[sites].sum())
        top = max(n_forced, min(len(sites), max_sites))
        total = float(need[rows].sum())
        low = np.full(top + 1, -np.inf)
        high = np.full(top + 1, -np.inf)
        high[n_forced:] = total
        comps.append(Component(sites, rows, n_forced, total, low, high, {}, set()))
        largest = max(largest, len(sites))
    return comps, largest


def _greedy_bounds(
    comps: list[Component],
    site_comp: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
    gains: npt.NDArray[np.float64],
    need: npt.NDArray[np.float64],
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
) -> None:
    """Lower bounds from the greedy chains; shorten each component where greedy covers it all."""
    comp_of_pick = site_comp[order]
    pick_order = np.argsort(comp_of_pick, kind="stable")
    bounds = np.searchsorted(comp_of_pick[pick_order], np.arange(len(comps) + 1))
    for c, comp in enumerate(comps):
        picks = pick_order[bounds[c] : bounds[c + 1]]  # in greedy order (stable sort)
        sites, values = order[picks], gains[picks]
        base = float(values[: comp.forced].sum())
        comp.low[comp.forced] = base
        comp.plans[comp.forced] = sites[: comp.forced]
        run = base + np.cumsum(values[comp.forced :])
        for step, value in enumerate(run[: comp.top - comp.forced], start=comp.forced + 1):
            comp.low[step] = value
            comp.plans[step] = sites[:step]
        comp.exact.add(comp.forced)  # the forced sites alone: their coverage, exactly
        comp.high[comp.forced] = base
        # f(forced + 1) is the best single gain: the greedy's first free pick is exact.
        if comp.top > comp.forced:
            comp.exact.add(comp.forced + 1)
            comp.high[comp.forced + 1] = comp.low[comp.forced + 1]
        if len(run) and run[-1] >= comp.total - 1e-9 * max(comp.total, 1.0):
            saturated = comp.forced + len(run)
            if saturated < comp.top:  # more sites than this never add anything
                comp.low, comp.high = comp.low[: saturated + 1], comp.high[: saturated + 1]
        if comp.top >= 0 and comp.low[comp.top] >= comp.total - 1e-9 * max(comp.total, 1.0):
            comp.exact.add(comp.top)
        if comp.forced == comp.top:
            comp.exact.add(comp.top)
            comp.high[comp.top] = comp.low[comp.top]
        # Lower bounds beyond the greedy chain (fewer greedy picks than k): the chain's end.
        comp.low = np.maximum.accumulate(comp.low)


def _tighten(comp: Component) -> None:
    """Propagate proven values: monotone, sub-additive gains and non-increasing average gain."""
    top, base = comp.top, comp.forced
    k = np.arange(top + 1)
    high = comp.high.copy()
    best_gain = comp.high[base + 1] - comp.low[base] if top > base else None
    for k0 in sorted(comp.exact):
        value = comp.high[k0]
        if k0 > base:
            start = comp.low[base]
            later = k > k0
            high[later] = np.minimum(high[later], start + (value - start) * (k[later] - base) / (k0 - base))
            if best_gain is not None:
                high[later] = np.minimum(high[later], value + (k[later] - k0) * best_gain)
    high = np.minimum.accumulate(high[::-1])[::-1]  # f(k) <= f(k') for k <= k'
    high[:base] = -np.inf
    comp.high = np.maximum(high, comp.low)
    comp.low = np.maximum.accumulate(comp.low)


def _knapsack(values: list[npt.NDArray[np.float64]], capacity: int) -> tuple[float, list[int]]:
    """Best ``sum_c values[c][k_c]`` with ``sum_c k_c <= capacity`` (values non-decreasing in k)."""
    best = np.full(capacity + 1, -np.inf)
    best[0] = 0.0
    choices = []
    for value in values:
        new = np.full(capacity + 1, -np.inf)
        choice = np.zeros(capacity + 1, np.int32)
        for k in range(min(len(value) - 1, capacity) + 1):
            if not np.isfinite(value[k]):
                continue
            candidate = best[: capacity + 1 - k] + value[k]
            better = candidate > new[k:]
            new[k:][better] = candidate[better]
            choice[k:][better] = k
        best = new
        choices.append(choice)
    total = int(np.argmax(best))
    upper = float(best[total])
    allocation = []
    for choice in reversed(choices):
        k = int(choice[total])
        allocation.append(k)
        total -= k
    return upper, allocation[::-1]
