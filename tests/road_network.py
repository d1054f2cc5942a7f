"""A small OpenStreetMap road network written by the tests, as ``.osm.pbf`` (pyosmium writes it).

A 5 x 5 grid of nodes 1 km apart in the Creuse (node ``(col, row)`` at
``col`` km east and ``row`` km north of :data:`ORIGIN`), cut by a river
between rows 2 and 3 that one bridge crosses, at column 4::

    row 4   o > o > o > o > o     one way, eastward (residential, maxspeed 50)
            |   |   |   |   |
    row 3   o - o - o - o - o     residential, maxspeed 50 (40 km/h: 1.5 min/km)
            :                 |   footway across the river at column 0 (not drivable)
    ~~~~~~~~:~~~~~~~~~~~~~~~~~|~  the river; the bridge at column 4 is primary (65 km/h)
    row 2   o - o - o - o - o
            |   |   |   |   |     columns: residential without maxspeed (25 km/h: 2.4 min/km)
    row 1   o - o - o - o - o
            |   |   |   |   |
    row 0   o - o - o - o - o

Distances are great-circle (the network's own measure), so hand-computed
times hold to a fraction of a percent: :func:`km` converts the grid offsets.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

#: lon, lat of node (0, 0).
ORIGIN = (1.87, 46.10)
#: Minutes per km on the rows (0.8 x maxspeed 50), the columns (residential) and the bridge (primary).
ROW_MIN_PER_KM = 60.0 / 40.0
COLUMN_MIN_PER_KM = 60.0 / 25.0
BRIDGE_MIN_PER_KM = 60.0 / 65.0
_M_PER_DEG_LAT = 111_195.0  # great circle, mean Earth radius 6,371,008.8 m


def lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    """lon, lat of the point ``x_km`` east and ``y_km`` north of :data:`ORIGIN` (great-circle metres)."""
    lat = ORIGIN[1] + y_km * 1000.0 / _M_PER_DEG_LAT
    lon = ORIGIN[0] + x_km * 1000.0 / (_M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lon, lat


def node_id(col: int, row: int) -> int:
    return 1 + row * 5 + col


def write_grid(
    path: Path,
    *,
    extra_ways: bool = True,
    drop_bridge: bool = False,
    reunion: bool = False,
    fragment: bool = False,
) -> Path:
    """Write the grid network to ``path`` (``.osm.pbf``) and return it.

    ``reunion`` adds a road in La Réunion, so that the extract spans two territories;
    ``fragment`` a service road of two nodes joined to nothing, from (2.5, 2.5) to (2.6, 2.5).
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for row in range(5):
            for col in range(5):
                writer.add_node(Node(id=node_id(col, row), location=lonlat(col, row)))
        way = 100
        for row in range(5):
            tags = {"highway": "residential", "maxspeed": "50", "name": f"row {row}"}
            if row == 4:
                tags["oneway"] = "yes"
            writer.add_way(Way(id=way, nodes=[node_id(c, row) for c in range(5)], tags=tags))
            way += 1
        for col in range(5):
            for rows in ((0, 1, 2), (3, 4)):
                nodes = [node_id(col, r) for r in rows]
                writer.add_way(Way(id=way, nodes=nodes, tags={"highway": "residential"}))
                way += 1
        if not drop_bridge:
            bridge = {"highway": "primary", "bridge": "yes", "name": "the bridge"}
            writer.add_way(Way(id=way, nodes=[node_id(4, 2), node_id(4, 3)], tags=bridge))
        if extra_ways:
            footbridge = {"highway": "footway", "bridge": "yes"}
            writer.add_way(Way(id=900, nodes=[node_id(0, 2), node_id(0, 3)], tags=footbridge))
            private = {"highway": "service", "access": "private"}
            writer.add_way(Way(id=901, nodes=[node_id(2, 2), node_id(2, 3)], tags=private))
        if fragment:
            writer.add_node(Node(id=2001, location=lonlat(2.5, 2.5)))
            writer.add_node(Node(id=2002, location=lonlat(2.6, 2.5)))
            writer.add_way(Way(id=903, nodes=[2001, 2002], tags={"highway": "service"}))
        if reunion:
            writer.add_node(Node(id=1001, location=(55.45, -21.0)))
            writer.add_node(Node(id=1002, location=(55.46, -21.0)))
            writer.add_way(Way(id=902, nodes=[1001, 1002], tags={"highway": "primary"}))
    finally:
        writer.close()
    return path


def points(ids: list[str], coords: list[tuple[float, float]], *, id_column: str, **columns):
    """A GeoDataFrame of points at grid offsets (km), in WGS84, department 23."""
    return gpd.GeoDataFrame(
        {id_column: ids, "dep": ["23"] * len(ids), **columns},
        geometry=[Point(*lonlat(x, y)) for x, y in coords],
        crs=4326,
    )
