"""Reach from layers: :func:`build_reach` and its shorthands.

:func:`build_reach` is the entry point for layers (GeoDataFrames of demand
units and sites, any CRS) and an access rule (:class:`Radius`,
:class:`ZoneRadius`, :class:`TravelTime`, :class:`TravelTimeMatrix`, see
:mod:`coverage.reach.rules`), with an optional :class:`Decay` for weighted
coverage. It checks the layers, takes one point per feature (the
representative point of a polygon), splits both layers by territory
(:func:`coverage.data.territory.split_by_territory`) and queries a KD-tree in each
territory's metric CRS: a unit in La Réunion is never paired with a site in
mainland France. :func:`reach_from_radius` and :func:`reach_from_travel_times`
are shorthands for it. All of them return a :class:`coverage.reach.pairs.Reach`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data.layers._common import Problems, check_crs_matches
from coverage.data.territory import locate, split_by_territory
from coverage.errors import CRSError, LayerValidationError, Problem
from coverage.reach.pairs import FloatArray, Reach, pairs_within
from coverage.reach.roads import RoadTime, StepProgress, load_road_network
from coverage.reach.routing import RoadReach, route_reach
from coverage.reach.rules import (
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

logger = logging.getLogger(__name__)

__all__ = ["build_reach", "reach_by_road", "reach_from_radius", "reach_from_travel_times"]


def build_reach(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    rule: Rule | RoadTime,
    *,
    decay: Decay | None = None,
    demand_id: str = "unit_id",
    site_id: str = "site_id",
    department_column: str = "dep",
    progress: StepProgress | None = None,
) -> Reach:
    """Pairs of demand units and sites that satisfy ``rule``.

    Parameters
    ----------
    demand, sites
        GeoDataFrames with a CRS (points, or polygons standing for their
        representative point), such as :func:`coverage.inputs.demand.build_demand`
        and :func:`coverage.inputs.sites.build_sites` make. With a
        :class:`TravelTimeMatrix` plain DataFrames of ids are enough.
    rule
        :class:`Radius`, :class:`ZoneRadius`, :class:`TravelTime` or
        :class:`TravelTimeMatrix`, or :class:`~coverage.reach.roads.RoadTime`
        (drive times on an OpenStreetMap extract, see :func:`reach_by_road`).
        The zone rules read the demand units' boolean ``qpv`` and ``rural`` columns.
    decay
        Optional distance decay giving each pair a weight in (0, 1].
    demand_id, site_id
        Id columns (unique; ids become text).
    department_column
        Department code column that assigns a row to its territory; rows of a
        layer without it are placed by their coordinates.
    progress
        For :class:`~coverage.reach.roads.RoadTime`: called as
        ``progress(step, done, total)`` while the network builds (``'roads'``)
        and while pairs are routed (``'routing'``).

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

    Examples
    --------
    The communes of the Creuse and their town halls, with the default radius per zone
    (1 km in a QPV, 5 km in town, 15 km in rural communes):

    >>> import coverage
    >>> from coverage.inputs.sites import sites_from_town_halls
    >>> from coverage.reach.rules import TravelTime, ZoneRadius
    >>> creuse = coverage.load_communes(["23"])
    >>> demand = coverage.build_demand(creuse)
    >>> sites = coverage.build_sites([sites_from_town_halls(creuse)], communes=creuse)
    >>> reach = coverage.build_reach(demand, sites, ZoneRadius())
    >>> reach.n_demand, reach.n_sites, reach.n_pairs, reach.unit
    (255, 255, 7373, 'm')
    >>> int(reach.sites_reaching().min())  # every commune has at least one town hall in reach
    3

    A trip of at most 20 minutes, estimated from the straight-line distance:

    >>> reach = coverage.build_reach(demand, sites, TravelTime(max_minutes=20))
    >>> reach.n_pairs, reach.unit, bool(reach.dist.max() <= 20)
    (5545, 'min', True)
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
    elif isinstance(rule, RoadTime):
        reach = reach_by_road(
            demand,
            sites,
            rule,
            demand_id=demand_id,
            site_id=site_id,
            department_column=department_column,
            progress=progress,
        ).reach
        by_unit = np.array([rule.minutes_by_zone()[z] for z in ZONES])[
            zone_index(demand, rule.minutes_by_zone(), "RoadTime")
        ]
        limit = by_unit[reach.rows]
    else:
        raise TypeError(
            f"unknown access rule {rule!r}; use Radius, ZoneRadius, TravelTime or "
            "TravelTimeMatrix from coverage.reach.rules, or RoadTime from coverage.reach.roads"
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
    zones left out keep the :class:`ZoneRadius` defaults).

    Examples
    --------
    >>> import coverage
    >>> from coverage.inputs.sites import sites_from_town_halls
    >>> from coverage.reach.layers import reach_from_radius
    >>> creuse = coverage.load_communes(["23"])
    >>> demand = coverage.build_demand(creuse)
    >>> sites = coverage.build_sites([sites_from_town_halls(creuse)], communes=creuse)
    >>> reach = reach_from_radius(demand, sites, 5000)
    >>> reach.n_pairs, reach.rule
    (977, 'within 5000 m')
    >>> reach_from_radius(demand, sites, {"rural": 8000}).rule
    'within 1000 m (qpv), 5000 m (urban), 8000 m (rural)'
    """
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
    """:func:`build_reach` with a user's travel-time table (:class:`TravelTimeMatrix`).

    Examples
    --------
    Travel times computed elsewhere (a routing engine, a bus timetable); plain tables of ids
    are enough, and pairs over ``max_minutes`` are left out:

    >>> import pandas as pd
    >>> from coverage.reach.layers import reach_from_travel_times
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    >>> times = pd.DataFrame(
    ...     {"origin": ["u1", "u1", "u2"], "destination": ["s1", "s2", "s2"], "minutes": [5.0, 25.0, 12.0]}
    ... )
    >>> reach = reach_from_travel_times(demand, sites, times, max_minutes=20)
    >>> reach.n_pairs, reach.unit
    (2, 'min')
    >>> [(str(reach.demand_ids[i]), str(reach.site_ids[j])) for i, j in zip(reach.rows, reach.cols)]
    [('u1', 's1'), ('u2', 's2')]
    >>> reach.dist.tolist()
    [5.0, 12.0]
    """
    rule = TravelTimeMatrix(table, max_minutes, origin=origin, destination=destination, minutes=minutes)
    return build_reach(demand, sites, rule, decay=decay, demand_id=demand_id, site_id=site_id)


def reach_by_road(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    rule: RoadTime,
    *,
    demand_id: str = "unit_id",
    site_id: str = "site_id",
    department_column: str = "dep",
    progress: StepProgress | None = None,
) -> RoadReach:
    """Road-time reach and the snapping of every unit and site (what :func:`build_reach` keeps the reach of).

    The network of ``rule.extract`` is built once and cached
    (:func:`coverage.reach.roads.load_road_network`); units and sites are
    snapped to it and pairs routed as :mod:`coverage.reach.routing` explains.

    Raises
    ------
    MissingDataError
        The extract does not exist.
    LayerValidationError
        The extract is unreadable or does not cover the territory, or (with
        ``far_points='error'``) a point lies beyond the snap limit.

    Examples
    --------
    A lane of three nodes 0.01 degree apart (770 m) with a 50 km/h limit (driven at 40 km/h),
    written with pyosmium; a unit 22 m off its west end and a site at its east end, within 5 minutes
    but not within 2:

    >>> import pathlib, tempfile
    >>> import geopandas as gpd, osmium
    >>> from osmium.osm.mutable import Node, Way
    >>> from shapely.geometry import Point
    >>> from coverage.reach.layers import reach_by_road
    >>> from coverage.reach.roads import RoadTime
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lane.osm.pbf"
    >>> writer = osmium.SimpleWriter(str(path))
    >>> for i, lon in enumerate([1.87, 1.88, 1.89], start=1):
    ...     writer.add_node(Node(id=i, location=(lon, 46.17)))
    >>> writer.add_way(Way(id=1, nodes=[1, 2, 3], tags={"highway": "residential", "maxspeed": "50"}))
    >>> writer.close()
    >>> units = gpd.GeoDataFrame({"unit_id": ["u1"]}, geometry=[Point(1.87, 46.1702)], crs=4326)
    >>> sites = gpd.GeoDataFrame({"site_id": ["s1"]}, geometry=[Point(1.89, 46.17)], crs=4326)
    >>> road = reach_by_road(units, sites, RoadTime(path, qpv=5, urban=5, rural=5))
    >>> road.reach.unit, [round(float(m), 2) for m in road.reach.dist]  # 1,540 m at 40 km/h
    ('min', [2.31])
    >>> road.snapping.round(0).values.tolist()
    [['demand', 'u1', 22.0, False], ['sites', 's1', 0.0, False]]
    >>> reach_by_road(units, sites, RoadTime(path, qpv=2, urban=2, rural=2)).reach.n_pairs
    0
    """
    demand_ids = layer_ids(demand, demand_id, "demand")
    site_ids = layer_ids(sites, site_id, "sites")
    by_zone = rule.minutes_by_zone()
    minutes = np.array([by_zone[z] for z in ZONES])[zone_index(demand, by_zone, "RoadTime")]
    network = load_road_network(
        rule.extract, settings=rule.settings(), cache_dir=rule.cache_dir, progress=progress
    )
    demand_parts = _points_by_territory(demand, "demand", department_column)
    site_parts = _points_by_territory(sites, "sites", department_column)
    return route_reach(
        network, rule, demand_ids, site_ids, demand_parts, site_parts, minutes, progress=progress
    )


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
            rows, cols, dist = pairs_within(demand_xy, site_xy, radii[demand_pos])
            found.append((demand_pos[rows], site_pos[cols], dist))
    rows_all, cols_all, dist_all = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return rows_all, cols_all, dist_all
