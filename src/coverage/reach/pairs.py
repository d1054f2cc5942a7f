"""Reach: which sites each demand unit can get to, and how far they are.

A :class:`Reach` is a sparse list of (demand unit, site, distance) pairs that
satisfy an access rule. It is never a dense demand x site matrix: the national
instance (36,000 units x 25,000 sites) has about 1.4 million pairs within
15 km, against 900 million cells. Every model in :mod:`coverage.models.location` builds
from it.

:func:`coverage.reach.layers.build_reach` makes one from layers (GeoDataFrames
of demand units and sites) and an access rule of :mod:`coverage.reach.rules`.
The constructors here all end in the same record (:meth:`Reach.from_arrays`):

- :meth:`Reach.from_points`: planar coordinates in metres and a radius
  (the KD-tree query :func:`~coverage.reach.layers.build_reach` runs per
  territory, :func:`pairs_within`);
- :meth:`Reach.from_dense`: a distance matrix (reference instances, network
  distances), keeping pairs within ``max_distance``;
- :meth:`Reach.from_pairs`: pairs given by id (a travel-time table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from coverage.data.layers._common import Problems
from coverage.errors import LimitExceededError
from coverage.reach.rules import Decay

__all__ = ["Reach"]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


def _ids(values: Sequence[object] | npt.ArrayLike, what: str) -> npt.NDArray[np.object_]:
    ids = np.asarray([str(v) for v in np.asarray(values, dtype=object).ravel()], dtype=object)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dupes = sorted({v for v in ids if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
        raise ValueError(f"{what} ids must be unique; repeated: {', '.join(dupes[:10])}")
    return ids


@dataclass(frozen=True, eq=False)
class Reach:
    """Sparse (demand unit, site, distance) pairs within an access rule.

    Attributes
    ----------
    demand_ids, site_ids
        String ids; position ``i`` in ``demand_ids`` is row ``i``.
    rows, cols
        Demand and site index of each pair, sorted by row then distance.
    dist
        Distance (metres) or travel time (minutes) of each pair, see ``unit``.
    unit
        ``'m'`` or ``'min'``.
    weight
        Coverage weight of each pair in (0, 1] from a distance decay, or None
        when every pair counts fully.
    rule
        Human description of the access rule.
    """

    demand_ids: npt.NDArray[np.object_]
    site_ids: npt.NDArray[np.object_]
    rows: IntArray
    cols: IntArray
    dist: FloatArray
    unit: Literal["m", "min"] = "m"
    weight: FloatArray | None = None
    rule: str = ""

    def __post_init__(self) -> None:
        k = len(self.rows)
        if len(self.cols) != k or len(self.dist) != k or (self.weight is not None and len(self.weight) != k):
            raise ValueError("rows, cols, dist (and weight) must have the same length")
        if k:
            if self.rows.min() < 0 or self.rows.max() >= len(self.demand_ids):
                raise ValueError("a pair refers to a demand index out of range")
            if self.cols.min() < 0 or self.cols.max() >= len(self.site_ids):
                raise ValueError("a pair refers to a site index out of range")
            if not np.isfinite(self.dist).all() or (self.dist < 0).any():
                raise ValueError("pair distances must be finite and >= 0")
        for array in (self.rows, self.cols, self.dist, self.weight):
            if array is not None:
                array.setflags(write=False)

    # -- constructors -----------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        demand_ids: Sequence[object] | npt.ArrayLike,
        site_ids: Sequence[object] | npt.ArrayLike,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        dist: npt.ArrayLike,
        *,
        unit: Literal["m", "min"] = "m",
        weight: npt.ArrayLike | None = None,
        rule: str = "",
    ) -> Reach:
        """Core constructor: index arrays in any order, sorted here by (row, distance, col)."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        d = np.asarray(dist, dtype=np.float64)
        order = _pair_order(r, c, d)
        w = None if weight is None else np.asarray(weight, dtype=np.float64)[order]
        return cls(
            demand_ids=_ids(demand_ids, "demand"),
            site_ids=_ids(site_ids, "site"),
            rows=r[order].astype(np.int32),
            cols=c[order].astype(np.int32),
            dist=d[order],
            unit=unit,
            weight=w,
            rule=rule,
        )

    @classmethod
    def from_points(
        cls,
        demand_ids: Sequence[object] | npt.ArrayLike,
        demand_xy: npt.ArrayLike,
        site_ids: Sequence[object] | npt.ArrayLike,
        site_xy: npt.ArrayLike,
        *,
        radius: float | npt.ArrayLike,
        rule: str | None = None,
    ) -> Reach:
        """Pairs within ``radius`` metres in one planar metric CRS (KD-tree).

        ``radius`` is one number, or one number per demand unit (a radius per
        zone type). Pairs at exactly the radius are kept.
        """
        dxy = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
        sxy = np.asarray(site_xy, dtype=np.float64).reshape(-1, 2)
        radii = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(dxy),))
        rows, cols, dist = pairs_within(dxy, sxy, radii)
        if rule is None:
            uniform = len(radii) == 0 or np.ptp(radii) == 0
            rule = f"within {float(radii.max(initial=0.0)):g} m" if uniform else "radius per unit"
        return cls.from_arrays(demand_ids, site_ids, rows, cols, dist, rule=rule)

    @classmethod
    def from_dense(
        cls,
        demand_ids: Sequence[object] | npt.ArrayLike,
        site_ids: Sequence[object] | npt.ArrayLike,
        distances: npt.ArrayLike,
        *,
        max_distance: float | None = None,
        unit: Literal["m", "min"] = "m",
    ) -> Reach:
        """Pairs of a demand x site distance matrix that are finite and within ``max_distance``.

        For small instances with known distances (network distances, reference
        problems); ``np.inf`` marks a pair without a path.
        """
        matrix = np.asarray(distances, dtype=np.float64)
        n, m = len(np.asarray(demand_ids, dtype=object)), len(np.asarray(site_ids, dtype=object))
        if matrix.shape != (n, m):
            raise ValueError(f"distances has shape {matrix.shape}, expected ({n}, {m})")
        keep = np.isfinite(matrix)
        if max_distance is not None:
            keep &= matrix <= max_distance
        rows, cols = np.nonzero(keep)
        rule = "all pairs" if max_distance is None else f"within {max_distance:g} {unit}"
        return cls.from_arrays(demand_ids, site_ids, rows, cols, matrix[rows, cols], unit=unit, rule=rule)

    @classmethod
    def from_pairs(
        cls,
        demand_ids: Sequence[object] | npt.ArrayLike,
        site_ids: Sequence[object] | npt.ArrayLike,
        origins: Sequence[object] | npt.ArrayLike,
        destinations: Sequence[object] | npt.ArrayLike,
        dist: npt.ArrayLike,
        *,
        unit: Literal["m", "min"] = "min",
        rule: str = "",
        source: str = "pairs",
    ) -> Reach:
        """Pairs given by id: ``origins[k]`` (a demand id) reaches ``destinations[k]`` (a site id).

        Raises
        ------
        LayerValidationError
            Ids that are not demand or site ids, named (the first 10) and counted.
        """
        demand = pd.Index(_ids(demand_ids, "demand"))
        sites = pd.Index(_ids(site_ids, "site"))
        problems = Problems(source)
        indexes = []
        for values, known, what in ((origins, demand, "origin"), (destinations, sites, "destination")):
            text = np.asarray(values, dtype=object)
            if pd.api.types.infer_dtype(text, skipna=False) != "string":
                text = np.asarray([str(v) for v in text], dtype=object)
            index = known.get_indexer(text)
            unknown = pd.unique(text[index < 0])
            if len(unknown):
                kind = "demand unit" if what == "origin" else "site"
                listed = ", ".join(repr(v) for v in unknown[:10])
                more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
                problems.add(
                    f"{len(unknown)} {what} ids are not {kind} ids: {listed}{more}; "
                    f"remove those rows or add the missing {kind}s"
                )
            indexes.append(index)
        problems.raise_if_any()
        return cls.from_arrays(demand, sites, indexes[0], indexes[1], dist, unit=unit, rule=rule)

    # -- views ------------------------------------------------------------

    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    @property
    def n_pairs(self) -> int:
        return len(self.rows)

    @property
    def indptr(self) -> npt.NDArray[np.int64]:
        """Row pointers: the pairs of unit ``i`` are ``indptr[i]:indptr[i + 1]``."""
        counts = np.bincount(self.rows, minlength=self.n_demand)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    @property
    def pair_weight(self) -> FloatArray:
        """Coverage weight of each pair (all ones without decay)."""
        return np.ones(self.n_pairs) if self.weight is None else self.weight

    def matrix(self, values: Literal["dist", "weight", "ones"] = "ones") -> sp.csr_array:
        """The pairs as an ``n_demand x n_sites`` sparse array (``values`` in the cells)."""
        data = {"dist": self.dist, "weight": self.pair_weight, "ones": np.ones(self.n_pairs)}[values]
        return sp.csr_array((data, (self.rows, self.cols)), shape=(self.n_demand, self.n_sites))

    def sites_reaching(self) -> npt.NDArray[np.int64]:
        """Number of sites within reach of each demand unit."""
        return np.bincount(self.rows, minlength=self.n_demand)

    def within(self, max_distance: float) -> Reach:
        """The pairs no farther than ``max_distance`` (same ids)."""
        keep = self.dist <= max_distance
        return Reach(
            demand_ids=self.demand_ids,
            site_ids=self.site_ids,
            rows=self.rows[keep],
            cols=self.cols[keep],
            dist=self.dist[keep],
            unit=self.unit,
            weight=None if self.weight is None else self.weight[keep],
            rule=f"{self.rule}, within {max_distance:g} {self.unit}",
        )

    def with_decay(self, decay: Decay, *, limit: float | npt.ArrayLike | None = None) -> Reach:
        """The same pairs weighted by ``decay``, less those whose weight is 0.

        ``limit`` (one number, or one per pair) is the linear decay's scale
        when ``decay.scale`` is not set: the rule's maximum distance.
        """
        weight = decay.weights(self.dist, limit=limit)
        keep = weight > 0
        return replace(
            self,
            rows=self.rows[keep],
            cols=self.cols[keep],
            dist=self.dist[keep],
            weight=weight[keep],
            rule=f"{self.rule}, {decay.describe()}",
        )


def _pair_order(
    rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], dist: FloatArray
) -> npt.NDArray[np.intp]:
    """Order of the pairs by (row, distance, col).

    One float sort on ``row + dist / (2 max dist)``, then ties (same row and
    distance) put in col order, is several times faster than a three-key
    lexsort on a million pairs. The float key cannot separate distances closer
    than about 1e-11 of the largest, so the result is checked and the exact
    lexsort redone when a neighbour pair is out of order.
    """
    if len(rows) == 0 or not (np.isfinite(dist).all() and (dist >= 0).all()):
        return np.lexsort((cols, dist, rows))  # empty, or invalid (Reach reports it)
    largest = float(dist.max())
    order = np.argsort(rows + dist / (2.0 * largest) if largest > 0 else rows)
    r, d = rows[order], dist[order]
    tie = (r[1:] == r[:-1]) & (d[1:] == d[:-1])
    if tie.any():
        tied = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])
        run = np.cumsum(np.r_[True, ~tie])[tied]
        order[tied] = order[tied][np.lexsort((cols[order[tied]], run))]
    c = cols[order]
    same_row = r[1:] == r[:-1]
    wrong = (r[1:] < r[:-1]) | (same_row & ((d[1:] < d[:-1]) | ((d[1:] == d[:-1]) & (c[1:] <= c[:-1]))))
    return np.lexsort((cols, dist, rows)) if wrong.any() else order


#: Most demand-site pairs one reach query may hold (24 bytes each, several copies while sorting):
#: counted before the pairs are built, so a too-wide reach fails at once, not out of memory.
MAX_REACH_PAIRS = 50_000_000


def pairs_within(
    demand_xy: FloatArray, site_xy: FloatArray, radii: FloatArray, *, max_pairs: int | None = MAX_REACH_PAIRS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """(row, col, distance) of every demand-site pair within the unit's radius (ends included).

    The pairs are counted first (a dual-tree count, no memory): above
    ``max_pairs`` a :class:`~coverage.errors.LimitExceededError` says how many
    there would be.
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(demand_xy) == 0 or len(site_xy) == 0:
        return empty
    site_tree = cKDTree(site_xy)
    distinct = np.unique(radii)
    # One dual-tree query per distinct radius keeps all the work in C; with many
    # radii (one per unit), query the largest and filter.
    if len(distinct) <= 8:
        groups = [(np.flatnonzero(radii == r), float(r)) for r in distinct]
    else:
        groups = [(np.arange(len(radii)), float(distinct[-1]))]
    trees = [(members, radius, cKDTree(demand_xy[members])) for members, radius in groups]
    if max_pairs is not None:
        count = sum(int(tree.count_neighbors(site_tree, radius)) for _, radius, tree in trees)
        if count > max_pairs:
            raise LimitExceededError(
                f"the reach would hold {count:,} unit-site pairs ({len(demand_xy):,} units x "
                f"{len(site_xy):,} sites, about {count * 72 / 1e9:,.1f} GB while built), above the limit "
                f"of {max_pairs:,}; shorten the access radii, or plan fewer departments or candidate sites"
            )
    parts = [empty]
    for members, radius, tree in trees:
        found = tree.sparse_distance_matrix(site_tree, radius, output_type="ndarray")
        parts.append((members[found["i"]], found["j"].astype(np.int64), found["v"]))
    rows, cols, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
    if len(groups) == 1 and len(distinct) > 1:
        keep = dist <= radii[rows]
        rows, cols, dist = rows[keep], cols[keep], dist[keep]
    return rows, cols, dist
