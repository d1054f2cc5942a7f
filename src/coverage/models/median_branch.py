r"""Exact p-median by Lagrangian branch and bound with reduced-cost fixing (Beasley 1985, 1993).

Relaxing each row's assignment constraint :math:`\sum_j x_{ij} = 1` with a
multiplier :math:`\lambda_i` gives, for any :math:`\lambda`, the lower bound

.. math:: L(\lambda) = \sum_i \lambda_i + \min_{|S| = p} \sum_{j \in S} \rho_j,
          \qquad \rho_j = \sum_i \min(0, c_{ij} - \lambda_i)

over the sites a node leaves open-able, the sites it fixes open taken first.
Subgradient steps raise it (to the LP bound at best). Against an incumbent
of value :math:`U`, reduced costs then fix sites for good within the node:
with :math:`\rho_{(k)}` the largest picked and :math:`\rho_{(k+1)}` the smallest
left out, a site left out whose opening gives :math:`L + \rho_j - \rho_{(k)}`
above the cutoff is closed, and a picked site whose closing gives
:math:`L - \rho_j + \rho_{(k+1)}` above it is fixed open. Nodes branch on one
site (open / closed), best bound first, each child's subgradient starting
from its parent's multipliers; every Lagrangian pick is a feasible plan and
may improve the incumbent. With integer costs a node bound above
:math:`U - 1` prunes it (no better integer plan lies below), otherwise one
within the relative gap. The search stops at a deadline with the best bound
of the nodes left: the plan is then ``'feasible'`` with that bound.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coverage.models.interchange import swap_dense

logger = logging.getLogger(__name__)

__all__ = ["PROOF_GAP", "MedianSearch", "search_median"]

#: Relative gap within which a node is pruned when the costs are not integers.
PROOF_GAP = 1e-4

#: Subgradient iterations at the root, and at most at each node.
ROOT_ITERATIONS = 3000
NODE_ITERATIONS = 150

#: Seconds one interchange from a Lagrangian pick may take, and the share of the search's time they may use.
POLISH_SECONDS = 2.0
POLISH_SHARE = 0.2

#: Bytes the open nodes may hold (multipliers and site states) before the search stops with its bound.
MAX_OPEN_BYTES = 1_000_000_000


@dataclass(frozen=True)
class MedianSearch:
    """What :func:`search_median` found.

    Attributes
    ----------
    chosen
        The best sites found (boolean over the cost matrix's columns).
    upper
        Their cost.
    bound
        A lower bound on every plan's cost (rounded up for integer costs).
    proven
        Whether the search closed every node (``bound`` meets ``upper``).
    nodes
        Nodes solved.
    closed_at_root
        Sites the root's reduced costs closed for good.
    root_bound
        The root's Lagrangian bound.
    """

    chosen: npt.NDArray[np.bool_]
    upper: float
    bound: float
    proven: bool
    nodes: int
    closed_at_root: int
    root_bound: float


class _Search:
    """State of one branch and bound: the incumbent, the cutoff, the node counter."""

    def __init__(
        self, cost: np.ndarray, count: int, start: np.ndarray, gap: float | None, integer: bool
    ) -> None:
        self.cost = cost
        self.pick = start.copy()
        self.count = count
        self.gap = (0.0 if integer else PROOF_GAP) if gap is None else gap
        self.integer = integer
        self.chosen = start.copy()
        self.upper = self.value(np.flatnonzero(start))
        self.nodes = 0
        self.polish_seconds = 0.0
        finite = cost[np.isfinite(cost)]
        self.finite = np.where(np.isfinite(cost), cost, 2.0 * (float(finite.max(initial=0.0)) + 1.0))

    def polish(self, fixed: np.ndarray, allowed: np.ndarray, deadline: float) -> None:
        """Offer the last Lagrangian pick improved by interchange (sites in ``allowed``)."""
        started = time.perf_counter()
        seconds = min(POLISH_SECONDS, deadline - started)
        if seconds > 0 and self.pick.sum() == self.count:
            better = swap_dense(
                self.finite,
                np.ones(len(self.finite)),
                self.pick,
                fixed=fixed,
                seconds=seconds,
                allowed=allowed,
            )
            self.offer(np.flatnonzero(better))
        self.polish_seconds += time.perf_counter() - started

    def value(self, sites: np.ndarray) -> float:
        return float(self.cost[:, sites].min(axis=1).sum()) if len(sites) else math.inf

    def offer(self, sites: np.ndarray) -> None:
        value = self.value(sites)
        tolerance = 1e-9 * max(1.0, abs(self.upper)) if math.isfinite(self.upper) else 0.0
        if value < self.upper - tolerance:
            self.upper = value
            self.chosen = np.zeros(self.cost.shape[1], dtype=bool)
            self.chosen[sites] = True
            logger.debug("p-median search: incumbent %.6g after %d nodes", value, self.nodes)

    @property
    def cutoff(self) -> float:
        """A node whose bound is above this cannot hold a plan worth finding."""
        if not math.isfinite(self.upper):
            return math.inf
        slack = self.gap * abs(self.upper)
        if self.integer:  # no better plan has a cost above upper - 1
            slack = max(slack, 1.0 - 1e-6)
        return self.upper - slack + 1e-9 * max(1.0, abs(self.upper))

    def lagrangian(
        self,
        state: np.ndarray,
        lam: np.ndarray,
        *,
        iterations: int,
        step: float,
        patience: int,
        deadline: float,
    ) -> tuple[float, np.ndarray]:
        """Subgradient on the node ``state`` (-1 closed, 0 free, 1 open), fixing as it goes.

        Returns the best bound and its multipliers; ``state`` is updated in
        place with the sites fixed. The bound is ``inf`` when the node holds
        no plan under the cutoff.
        """
        best, best_lam, stale = -math.inf, lam, 0
        active = np.flatnonzero(state >= 0)
        cost = self.cost[:, active]
        if not np.isfinite(cost.min(axis=1)).all():
            return math.inf, lam
        for iteration in range(iterations):
            sub = state[active]
            opened = sub == 1
            free = sub == 0
            slots = self.count - int(opened.sum())
            n_free = int(free.sum())
            if slots < 0 or n_free < slots:
                return math.inf, lam
            if slots == 0 or n_free == slots:
                sites = active[opened] if slots == 0 else active[opened | free]
                self.offer(sites)
                return self.value(sites), lam
            gain = np.minimum(cost - lam[:, None], 0.0)
            rho = gain.sum(axis=0)
            free_rho = np.where(free, rho, np.inf)
            order = np.argpartition(free_rho, slots)[: slots + 1]
            order = order[np.argsort(free_rho[order])]
            picked_free, kth, next_rho = order[:slots], free_rho[order[slots - 1]], free_rho[order[slots]]
            picked = np.concatenate((np.flatnonzero(opened), picked_free))
            value = float(lam.sum() + rho[picked].sum())
            if iteration % 5 == 0 or value > best:
                self.offer(active[picked])
            cutoff = self.cutoff
            if best == -math.inf or value > best + 1e-9 * max(1.0, abs(best)):
                best, best_lam, stale = value, lam, 0
                self.pick = np.zeros(len(state), dtype=bool)
                self.pick[active[picked]] = True
            else:
                stale += 1
                if stale >= patience:
                    step, stale = step / 2.0, 0
            if value > cutoff:
                return value, lam
            # Reduced-cost fixing against the incumbent.
            in_pick = np.zeros(len(active), dtype=bool)
            in_pick[picked_free] = True
            close = free & ~in_pick & (value + rho - kth > cutoff)
            fix_open = in_pick & (value - rho + next_rho > cutoff)
            if close.any() or fix_open.any():
                state[active[close]] = -1
                state[active[fix_open]] = 1
                keep = state[active] >= 0
                if close.any() and not np.isfinite(cost[:, keep].min(axis=1, initial=np.inf)).all():
                    return math.inf, lam  # a row lost every site: no better plan here
                if (~keep).sum() > 0.2 * len(active):
                    active, cost = active[keep], cost[:, keep]
                continue
            if step < 1e-3 or time.perf_counter() > deadline:
                break
            served = (cost[:, picked] < lam[:, None]).sum(axis=1)
            direction = 1.0 - served
            norm = float(direction @ direction)
            if norm == 0:
                break  # the relaxed assignment is a plan: the bound is exact here
            if math.isfinite(self.upper):
                target = self.upper + 1e-3 * max(1.0, abs(self.upper))
            else:  # no plan yet: aim a little above the bound
                target = value + 0.1 * abs(value) + 1.0
            lam = lam + step * (target - value) / norm * direction
        return best, best_lam

    def branch_site(self, state: np.ndarray, lam: np.ndarray) -> int | None:
        """The free site to branch on: the picked one whose closing costs the most, or None (leaf)."""
        active = np.flatnonzero(state >= 0)
        sub = state[active]
        free = sub == 0
        slots = self.count - int((sub == 1).sum())
        if slots <= 0 or int(free.sum()) <= slots:
            return None
        rho = np.minimum(self.cost[:, active] - lam[:, None], 0.0).sum(axis=0)
        free_rho = np.where(free, rho, np.inf)
        order = np.argsort(free_rho)[: slots + 1]
        penalty = free_rho[order[slots]] - free_rho[order[:slots]]
        return int(active[order[int(np.argmax(penalty))]])


def search_median(
    cost: npt.NDArray[np.float64],
    count: int,
    start: npt.NDArray[np.bool_],
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    deadline: float = math.inf,
    gap: float | None = None,
    node_limit: int | None = None,
    root_iterations: int = ROOT_ITERATIONS,
) -> MedianSearch:
    """The p-median over a dense rows x sites cost matrix (``inf`` where no pair), by branch and bound.

    ``start`` is a plan of ``count`` sites (the incumbent to beat), ``forced``
    sites are kept open; the search stops at ``deadline`` (a
    :func:`time.perf_counter` time) or after ``node_limit`` nodes with the
    best bound of the nodes left. ``root_iterations`` caps the root's
    subgradient (fewer give a weaker root and more nodes).
    With integer costs the proof is exact (unless a ``gap`` is given);
    otherwise nodes within the relative ``gap`` (default :data:`PROOF_GAP`)
    of the incumbent are pruned. The root's Lagrangian pick, improved by
    interchange (:func:`~coverage.models.interchange.swap_dense`), may beat
    the start; the root then fixes again. In the tree, the latest node's pick
    is improved the same way while that takes under :data:`POLISH_SHARE` of
    the time spent.

    Examples
    --------
    Four rows on a line at 0, 1, 10, 11 with needs 2, 1, 1, 2, a site at each;
    two sites: one in each pair, at the heavier row, from a poor start.

    >>> import numpy as np
    >>> at, need = np.array([0.0, 1.0, 10.0, 11.0]), np.array([2.0, 1.0, 1.0, 2.0])
    >>> cost = need[:, None] * np.abs(at[:, None] - at[None, :])
    >>> found = search_median(cost, 2, np.array([True, True, False, False]))
    >>> found.upper, found.bound, found.proven, np.flatnonzero(found.chosen).tolist()
    (2.0, 2.0, True, [0, 3])
    """
    n_rows, n_sites = cost.shape
    forced = np.zeros(n_sites, dtype=bool) if forced is None else forced
    finite = cost[np.isfinite(cost)]
    integer = bool(np.all(finite == np.round(finite)))
    search = _Search(cost, count, start, gap, integer)
    state = np.where(forced, 1, 0).astype(np.int8)
    # Start from each row's cost to its (p+1)-th nearest site, or its farthest where it has fewer.
    nth = min(count, n_sites - 1)
    lam = np.partition(cost, nth, axis=1)[:, nth]
    lam = np.where(np.isfinite(lam), lam, np.where(np.isfinite(cost), cost, -np.inf).max(axis=1))
    root, lam = search.lagrangian(
        state, lam, iterations=root_iterations, step=2.0, patience=30, deadline=deadline
    )
    started = time.perf_counter()
    if root <= search.cutoff:
        before = search.upper
        search.polish(forced, state >= 0, deadline)
        if search.upper < before:
            again, lam = search.lagrangian(
                state, lam, iterations=root_iterations // 3 + 1, step=0.5, patience=30, deadline=deadline
            )
            root = max(root, again)
    closed_at_root = int((state < 0).sum())
    logger.info(
        "p-median search: root bound %.6g, incumbent %.6g, %d of %d sites closed",
        root,
        search.upper,
        closed_at_root,
        n_sites,
    )
    allowed = state >= 0  # sites the root closed are in no better plan
    ticket = itertools.count()
    heap: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    if root <= search.cutoff:
        heap.append((root, next(ticket), state, lam))
    pruned_low = root if root > search.cutoff else math.inf
    while heap:
        bound, _, state, lam = heapq.heappop(heap)
        if bound > search.cutoff:
            pruned_low = min(pruned_low, bound)
            continue
        node_bytes = lam.nbytes + state.nbytes
        if (
            time.perf_counter() > deadline
            or (node_limit is not None and search.nodes >= node_limit)
            or len(heap) * node_bytes > MAX_OPEN_BYTES
        ):
            heapq.heappush(heap, (bound, next(ticket), state, lam))
            break
        lam = lam.astype(np.float64)
        site = search.branch_site(state, lam)
        if site is None:  # the node is one plan: evaluate it
            sites = np.flatnonzero(state >= 0) if (state == 1).sum() < count else np.flatnonzero(state == 1)
            if len(sites) == count:
                search.offer(sites)
            continue
        for side in (1, -1):
            child = state.copy()
            child[site] = side
            search.nodes += 1
            value, child_lam = search.lagrangian(
                child, lam.copy(), iterations=NODE_ITERATIONS, step=0.5, patience=10, deadline=deadline
            )
            value = max(value, bound)
            if value > search.cutoff:
                pruned_low = min(pruned_low, value)
            else:
                # Any multipliers give a valid bound: keep them in single precision.
                heapq.heappush(heap, (value, next(ticket), child, child_lam.astype(np.float32)))
        if search.polish_seconds < POLISH_SHARE * (time.perf_counter() - started):
            search.polish(forced, allowed, deadline)
    open_low = min((node[0] for node in heap), default=math.inf)
    low = min(open_low, pruned_low, search.upper)
    if search.integer and math.isfinite(low):
        low = float(math.ceil(low - 1e-6))
    low = min(low, search.upper)
    return MedianSearch(
        chosen=search.chosen,
        upper=search.upper,
        bound=low,
        proven=not heap,
        nodes=search.nodes,
        closed_at_root=closed_at_root,
        root_bound=root,
    )
