"""Reach: which sites each demand unit can get to, and how far they are.

A :class:`Reach` is a sparse list of (demand unit, site, distance) pairs that
satisfy an access rule. It is never a dense demand x site matrix: the national
instance (36,000 units x 25,000 sites) has about 1.4 million pairs within
15 km, against 900 million cells. Every model in :mod:`coverage.model` builds
from it.

:func:`build_reach` is the entry point for layers (GeoDataFrames of demand
units and sites, any CRS) and an access rule (:class:`Radius`,
:class:`ZoneRadius`, :class:`TravelTime`, :class:`TravelTimeMatrix`, see
:mod:`coverage.reach_rules`), with an optional :class:`Decay` for weighted
coverage. It checks the layers, takes one point per feature (the
representative point of a polygon), splits both layers by territory
(:func:`coverage.territory.split_by_territory`) and queries a KD-tree in each
territory's metric CRS: a unit in La Réunion is never paired with a site in
mainland France. :func:`reach_from_radius` and :func:`reach_from_travel_times`
are shorthands for it.

The other constructors all end in the same record (:meth:`Reach.from_arrays`):

- :meth:`Reach.from_points`: planar coordinates in metres and a radius
  (the KD-tree query :func:`build_reach` runs per territory);
- :meth:`Reach.from_dense`: a distance matrix (reference instances, network
  distances), keeping pairs within ``max_distance``;
- :meth:`Reach.from_pairs`: pairs given by id (a travel-time table).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from coverage.errors import CRSError, LayerValidationError, Problem
from coverage.layers._common import Problems, check_crs_matches
from coverage.reach_rules import (
    DEFAULT_SPEED_KMH,
    ZONES,
    Decay,
    Radius,
    Rule,
    TravelTime,
    TravelTimeMatrix,
    ZoneRadius,
    layer_ids,
    read_travel_times,
    zone_index,
)
from coverage.territory import locate, split_by_territory

logger = logging.getLogger(__name__)

__all__ = [  # the rules live in coverage.reach_rules; import everything from here
    "DEFAULT_SPEED_KMH",
    "ZONES",
    "Decay",
    "Radius",
    "Reach",
    "Rule",
    "TravelTime",
    "TravelTimeMatrix",
    "ZoneRadius",
    "build_reach",
    "reach_from_radius",
    "reach_from_travel_times",
    "read_travel_times",
]

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
        rows, cols, dist = _pairs_within(dxy, sxy, radii)
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


def build_reach(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    rule: Rule,
    *,
    decay: Decay | None = None,
    demand_id: str = "unit_id",
    site_id: str = "site_id",
    department_column: str = "dep",
) -> Reach:
    """Pairs of demand units and sites that satisfy ``rule``.

    Parameters
    ----------
    demand, sites
        GeoDataFrames with a CRS (points, or polygons standing for their
        representative point), such as :func:`coverage.demand.build_demand`
        and :func:`coverage.sites.build_sites` make. With a
        :class:`TravelTimeMatrix` plain DataFrames of ids are enough.
    rule
        :class:`Radius`, :class:`ZoneRadius`, :class:`TravelTime` or
        :class:`TravelTimeMatrix`. The zone rules read the demand units'
        boolean ``qpv`` and ``rural`` columns.
    decay
        Optional distance decay giving each pair a weight in (0, 1].
    demand_id, site_id
        Id columns (unique; ids become text).
    department_column
        Department code column that assigns a row to its territory; rows of a
        layer without it are placed by their coordinates.

    Returns
    -------
    Reach
        Ids in the input row order; distances in metres, or minutes for the
        travel-time rules. Units and sites of different territories are
        never paired.

    Raises
    ------
    CRSError
        A layer has no CRS, or coordinates that do not fit it.
    LayerValidationError
        Missing or repeated ids, missing geometries or zone flags, a department
        that contradicts the coordinates, or a bad travel-time table.
    """
    demand_ids = layer_ids(demand, demand_id, "demand")
    site_ids = layer_ids(sites, site_id, "sites")
    if isinstance(rule, TravelTimeMatrix):
        table = read_travel_times(
            rule.table, origin=rule.origin, destination=rule.destination, minutes=rule.minutes
        )
        if rule.max_minutes is not None:
            table = table[table["minutes"].to_numpy() <= rule.max_minutes]
        reach = Reach.from_pairs(
            demand_ids,
            site_ids,
            table["origin"],
            table["destination"],
            table["minutes"],
            unit="min",
            rule=rule.describe(),
            source=rule.source,
        )
        limit: float | npt.NDArray[np.float64] | None = rule.max_minutes
    elif isinstance(rule, Radius | ZoneRadius | TravelTime):
        by_zone: dict[str, float]
        if isinstance(rule, Radius):
            by_zone = dict.fromkeys(ZONES, float(rule.metres))
        else:
            by_zone = rule.by_zone() if isinstance(rule, ZoneRadius) else rule.radius_by_zone()
        zones = zone_index(demand, by_zone, type(rule).__name__)
        radii = np.array([by_zone[z] for z in ZONES])[zones]
        rows, cols, dist = _pairs_by_territory(demand, sites, radii, department_column)
        unit: Literal["m", "min"] = "m"
        if isinstance(rule, TravelTime):
            speed = np.array([rule.metres_per_minute(z) for z in ZONES])[zones[rows]]
            dist = dist * rule.detour / speed
            unit = "min"
        reach = Reach.from_arrays(demand_ids, site_ids, rows, cols, dist, unit=unit, rule=rule.describe())
        limit = rule.max_minutes if isinstance(rule, TravelTime) else radii[reach.rows]
    else:
        raise TypeError(
            f"unknown access rule {rule!r}; use Radius, ZoneRadius, TravelTime or "
            "TravelTimeMatrix from coverage.reach"
        )
    if decay is not None:
        reach = reach.with_decay(decay, limit=limit)
    logger.info(
        "reach: %d units x %d sites, %d pairs (%s)", reach.n_demand, reach.n_sites, reach.n_pairs, reach.rule
    )
    return reach


def reach_from_radius(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    metres: float | Mapping[str, float],
    *,
    decay: Decay | None = None,
    demand_id: str = "unit_id",
    site_id: str = "site_id",
) -> Reach:
    """:func:`build_reach` with a radius: one number, or one per zone (``{'qpv': 1000, 'rural': 20000}``,
    zones left out keep the :class:`ZoneRadius` defaults)."""
    rule = ZoneRadius(**metres) if isinstance(metres, Mapping) else Radius(metres)
    return build_reach(demand, sites, rule, decay=decay, demand_id=demand_id, site_id=site_id)


def reach_from_travel_times(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    table: str | Path | pd.DataFrame,
    *,
    max_minutes: float | None = None,
    origin: str = "origin",
    destination: str = "destination",
    minutes: str = "minutes",
    decay: Decay | None = None,
    demand_id: str = "unit_id",
    site_id: str = "site_id",
) -> Reach:
    """:func:`build_reach` with a user's travel-time table (:class:`TravelTimeMatrix`)."""
    rule = TravelTimeMatrix(table, max_minutes, origin=origin, destination=destination, minutes=minutes)
    return build_reach(demand, sites, rule, decay=decay, demand_id=demand_id, site_id=site_id)


# -- layer preparation: the one place that reads CRS, geometry and flags ------


def _points_by_territory(
    frame: pd.DataFrame, layer: str, department_column: str
) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """Row positions and metric x, y of each territory's points."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LayerValidationError(
            Problem(
                layer,
                "has no geometry: distance rules need a GeoDataFrame "
                "(a table of travel times needs TravelTimeMatrix)",
            )
        )
    if frame.crs is None:
        raise CRSError(
            f"'{layer}' has no CRS; set it with GeoDataFrame.set_crs(4326) "
            "(or the CRS its coordinates are in)"
        )
    geometry = frame.geometry.reset_index(drop=True)
    empty = (geometry.isna() | geometry.is_empty).to_numpy()
    if empty.any():
        problems = Problems(layer)
        problems.add_rows(np.flatnonzero(empty)[:20] + 1, frame.geometry.name, "geometry is missing or empty")
        problems.raise_if_any()
    check_crs_matches(frame, f"'{layer}'")
    polygons = (geometry.geom_type != "Point").to_numpy()
    if polygons.any():
        geometry[polygons] = geometry[polygons].representative_point()
    columns = {}
    if department_column in frame.columns:
        columns[department_column] = frame[department_column].to_numpy()
    points = gpd.GeoDataFrame(columns, geometry=geometry.to_numpy(), crs=frame.crs)
    lonlat = points.geometry.to_crs(4326)
    located = locate(lonlat.x.to_numpy(), lonlat.y.to_numpy())
    problems = Problems(layer)
    parts = {}
    for territory, part in split_by_territory(points, department_column=department_column):
        positions = part.index.to_numpy(dtype=np.int64)
        where = located[positions]
        for i in positions[(where != "") & (where != territory)][:20]:
            problems.add(
                f"department {points[department_column][i]!r} belongs to {territory} but the "
                f"point lies in {located[i]}; fix the department or the coordinates",
                row=int(i) + 1,
                column=department_column,
            )
        parts[territory] = (positions, np.column_stack([part.geometry.x, part.geometry.y]))
    problems.raise_if_any()
    return parts


def _pairs_by_territory(
    demand: pd.DataFrame, sites: pd.DataFrame, radii: npt.NDArray[np.float64], department_column: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    demand_parts = _points_by_territory(demand, "demand", department_column)
    site_parts = _points_by_territory(sites, "sites", department_column)
    found = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))]
    for territory, (demand_pos, demand_xy) in demand_parts.items():
        if territory in site_parts:
            site_pos, site_xy = site_parts[territory]
            rows, cols, dist = _pairs_within(demand_xy, site_xy, radii[demand_pos])
            found.append((demand_pos[rows], site_pos[cols], dist))
    rows_all, cols_all, dist_all = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return rows_all, cols_all, dist_all


def _pairs_within(
    demand_xy: FloatArray, site_xy: FloatArray, radii: FloatArray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """(row, col, distance) of every demand-site pair within the unit's radius (ends included)."""
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
    parts = [empty]
    for members, radius in groups:
        tree = cKDTree(demand_xy[members])
        found = tree.sparse_distance_matrix(site_tree, radius, output_type="ndarray")
        parts.append((members[found["i"]], found["j"].astype(np.int64), found["v"]))
    rows, cols, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
    if len(groups) == 1 and len(distinct) > 1:
        keep = dist <= radii[rows]
        rows, cols, dist = rows[keep], cols[keep], dist[keep]
    return rows, cols, dist
