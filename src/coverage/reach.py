"""Reach: which sites each demand unit can get to, and how far they are.

A :class:`Reach` is a sparse list of (demand unit, site, distance) pairs that
satisfy an access rule. It is never a dense demand x site matrix: the national
instance (36,000 units x 25,000 sites) has a few hundred thousand pairs within
15 km, against 900 million cells. Every model in :mod:`coverage.model` builds
from it.

Constructors all end in the same record:

- :meth:`Reach.from_points`: planar coordinates in metres and one radius
  (a KD-tree query, used by the benchmarks and by :func:`build_reach`);
- :meth:`Reach.from_dense`: a distance matrix (reference instances, network
  distances), keeping pairs within ``max_distance``;
- :meth:`Reach.from_pairs`: pairs given by id (a travel-time table).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

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
        order = np.lexsort((c, d, r))
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
        rows, cols, dist = _pairs_within(dxy, sxy, radii)
        if rule is None:
            rule = f"within {float(radii.max()):g} m" if np.ptp(radii) == 0 or len(radii) == 0 else "radius per unit"
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


def _pairs_within(
    demand_xy: FloatArray, site_xy: FloatArray, radii: FloatArray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """(row, col, distance) of every demand-site pair within the unit's radius."""
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(demand_xy) == 0 or len(site_xy) == 0:
        return empty
    tree = cKDTree(site_xy)
    rows_parts, cols_parts = [], []
    # One query per distinct radius keeps the KD-tree work in C.
    for radius in np.unique(radii):
        members = np.flatnonzero(radii == radius)
        hits = tree.query_ball_point(demand_xy[members], r=float(radius), return_sorted=False)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if lengths.sum() == 0:
            continue
        rows_parts.append(np.repeat(members, lengths))
        cols_parts.append(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h]))
    if not rows_parts:
        return empty
    rows = np.concatenate(rows_parts)
    cols = np.concatenate(cols_parts)
    dist = np.hypot(*(demand_xy[rows] - site_xy[cols]).T)
    return rows, cols, dist
