"""Reading an OpenStreetMap extract: the drivable ways, their speeds and directions.

:func:`read_ways` reads an ``.osm.pbf`` with `pyosmium <https://osmcode.org/pyosmium/>`_
(the ``osmium`` package: a C++ reader with node locations, whose filters keep only
``highway`` ways before Python sees them) and returns the directed edges that
:func:`coverage.reach.roads.load_road_network` turns into a cached network.

Speeds (km/h) per ``highway`` class are those of the OSRM car profile
(``profiles/car.lua``, the free-flow speeds most open routing studies use):

==================  =====  ==================  =====
class               km/h   class               km/h
==================  =====  ==================  =====
motorway            90     motorway_link       45
trunk               85     trunk_link          40
primary             65     primary_link        30
secondary           55     secondary_link      25
tertiary            40     tertiary_link       20
unclassified        25     residential         25
living_street       10     service             15
road                25
==================  =====  ==================  =====

Where a way has a ``maxspeed`` tag (``50``, ``30 mph``, ``FR:urban`` 50,
``FR:rural`` 80, ``FR:motorway`` 130, ``FR:zone30`` 30), its speed is
``maxspeed x 0.8`` instead (OSRM's ``speed_reduction``: traffic rarely drives
at the limit). Other ways (footways, tracks, paths, construction) and ways
closed to cars (``access``, ``motor_vehicle`` or ``motorcar`` = ``no`` or
``private``) are left out. ``oneway=yes`` (also ``true``, ``1``), motorways and
roundabouts are driven forward only, ``oneway=-1`` backward only.
"""

from __future__ import annotations

import logging
import re
import tempfile
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from coverage.errors import LayerValidationError, MissingDataError, Problem

logger = logging.getLogger(__name__)

__all__ = ["SPEED_KMH", "Edges", "parse_maxspeed", "read_ways"]

#: Free-flow speed (km/h) of each drivable ``highway`` class: the OSRM car profile's table.
SPEED_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 90.0,
        "motorway_link": 45.0,
        "trunk": 85.0,
        "trunk_link": 40.0,
        "primary": 65.0,
        "primary_link": 30.0,
        "secondary": 55.0,
        "secondary_link": 25.0,
        "tertiary": 40.0,
        "tertiary_link": 20.0,
        "unclassified": 25.0,
        "residential": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "road": 25.0,
    }
)

#: Extracts larger than this keep node locations in a temporary file index, not in memory.
DISK_INDEX_BYTES = 1_000_000_000

_ZONE_SPEEDS = {"urban": 50.0, "rural": 80.0, "motorway": 130.0, "trunk": 110.0, "walk": 6.0}
_CLOSED = frozenset({"no", "private"})
_ONE_WAY = frozenset({"yes", "true", "1"})


@dataclass(frozen=True)
class Edges:
    """Nodes (lon, lat) and directed edges (tail, head, minutes, metres) of the drivable ways."""

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    tail: npt.NDArray[np.int32]
    head: npt.NDArray[np.int32]
    minutes: npt.NDArray[np.float64]
    metres: npt.NDArray[np.float64]


def parse_maxspeed(value: str | None) -> float | None:
    """Speed limit (km/h) of an OSM ``maxspeed`` value, or None when it gives none.

    Examples
    --------
    >>> from coverage.reach.osm import parse_maxspeed
    >>> parse_maxspeed("50"), parse_maxspeed("FR:rural"), parse_maxspeed("30 mph")
    (50.0, 80.0, 48.28)
    >>> parse_maxspeed("FR:zone30"), parse_maxspeed("none"), parse_maxspeed("signals")
    (30.0, None, None)
    """
    if not value:
        return None
    text = value.strip().lower()
    if ":" in text:
        zone = text.split(":", 1)[1]
        if zone in _ZONE_SPEEDS:
            return _ZONE_SPEEDS[zone]
        match = re.fullmatch(r"zone ?(\d+)", zone)
        return float(match.group(1)) if match else None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?", text)
    if not match:
        return None
    speed = float(match.group(1))
    speed = round(speed * 1.609344, 2) if match.group(2) == "mph" else speed
    return speed if speed > 0 else None


def _way_speed(tags: Mapping[str, str], speed_kmh: Mapping[str, float], factor: float) -> float | None:
    """Speed (km/h) of a drivable way, None when cars cannot use it."""
    highway = tags.get("highway")
    if highway is None or highway not in speed_kmh or tags.get("area") == "yes":
        return None
    closed = any(tags.get(key) in _CLOSED for key in ("access", "motor_vehicle", "motorcar"))
    if closed and tags.get("motorcar") not in ("yes", "designated", "destination"):
        return None
    limit = parse_maxspeed(tags.get("maxspeed"))
    return speed_kmh[highway] if limit is None else limit * factor


def _direction(tags: Mapping[str, str]) -> int:
    """1 forward only, -1 backward only, 0 both ways."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in _ONE_WAY:
        return 1
    if oneway in ("-1", "reverse"):
        return -1
    if oneway == "no":
        return 0
    roundabout = tags.get("junction") in ("roundabout", "circular")
    return 1 if roundabout or tags.get("highway") == "motorway" else 0


def read_ways(
    path: Path, speed_kmh: Mapping[str, float], maxspeed_factor: float, *, disk_index: bool | None = None
) -> Edges:
    """The nodes and directed edges of the drivable ways of the extract ``path``.

    Node locations are held in memory (osmium's ``flex_mem``) for extracts up to
    1 GB; above (the France extract: about 16 bytes for each of its ~400 million
    nodes), in a temporary file index (``sparse_file_array``) so that memory
    stays low. ``disk_index`` forces one or the other.

    Raises
    ------
    LayerValidationError
        The file cannot be read as an extract, or holds no drivable road.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import osmium
    >>> from osmium.osm.mutable import Node, Way
    >>> from coverage.reach.osm import SPEED_KMH, read_ways
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two-roads.osm.pbf"
    >>> writer = osmium.SimpleWriter(str(path))
    >>> for i, lon in enumerate([1.87, 1.88, 1.89], start=1):
    ...     writer.add_node(Node(id=i, location=(lon, 46.17)))
    >>> writer.add_way(Way(id=1, nodes=[1, 2], tags={"highway": "primary", "oneway": "yes"}))
    >>> writer.add_way(Way(id=2, nodes=[2, 3], tags={"highway": "footway"}))
    >>> writer.close()
    >>> edges = read_ways(path, SPEED_KMH, 0.8)
    >>> len(edges.lon), edges.tail.tolist(), edges.head.tolist()  # one way; the footway is left out
    (2, [0], [1])
    >>> round(float(edges.metres[0])), round(float(edges.minutes[0]), 3)  # 770 m at 65 km/h
    (770, 0.711)
    """
    try:
        import osmium
    except ImportError:  # pragma: no cover - osmium is a dependency of the roads extra
        raise MissingDataError(
            "reading OpenStreetMap extracts needs the osmium package: pip install 'coverage-planning[roads]'"
        ) from None
    refs, lons, lats = array("q"), array("d"), array("d")
    starts, speeds, directions = array("q"), array("d"), array("b")
    on_disk = path.stat().st_size > DISK_INDEX_BYTES if disk_index is None else disk_index
    try:
        with tempfile.TemporaryDirectory(prefix="coverage-osm-") as scratch:
            storage = f"sparse_file_array,{Path(scratch) / 'locations.idx'}" if on_disk else "flex_mem"
            processor = (
                osmium.FileProcessor(str(path))
                .with_locations(storage)
                .with_filter(osmium.filter.KeyFilter("highway"))
                .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            )
            for way in processor:
                if not isinstance(way, osmium.osm.Way):  # the entity filter passes ways only
                    continue
                tags = {tag.k: tag.v for tag in way.tags}
                speed = _way_speed(tags, speed_kmh, maxspeed_factor)
                if speed is None:
                    continue
                nodes = [(n.ref, n.lon, n.lat) for n in way.nodes if n.location.valid()]
                if len(nodes) < 2:
                    continue
                starts.append(len(refs))
                speeds.append(speed)
                directions.append(_direction(tags))
                for ref, lon, lat in nodes:
                    refs.append(ref)
                    lons.append(lon)
                    lats.append(lat)
    except RuntimeError as exc:
        raise LayerValidationError(
            Problem(
                str(path),
                f"cannot be read as an OpenStreetMap extract ({exc}); download the .osm.pbf again "
                "(a partial download is the usual cause)",
            )
        ) from None
    if len(starts) == 0:
        raise LayerValidationError(
            Problem(
                str(path),
                "holds no drivable road (no way tagged highway=motorway ... service open to cars); "
                "is it an OpenStreetMap road extract of the territory?",
            )
        )
    return _assemble(
        np.frombuffer(refs, np.int64),
        np.frombuffer(lons, np.float64),
        np.frombuffer(lats, np.float64),
        np.frombuffer(starts, np.int64),
        np.frombuffer(speeds, np.float64),
        np.frombuffer(directions, np.int8),
        source=str(path),
    )


def _assemble(
    refs: npt.NDArray[np.int64],
    lons: npt.NDArray[np.float64],
    lats: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    speeds: npt.NDArray[np.float64],
    directions: npt.NDArray[np.int8],
    *,
    source: str,
) -> Edges:
    """Directed edges from the ways' node sequences (``starts``: first position of each way)."""
    node_ids, position, index = np.unique(refs, return_index=True, return_inverse=True)
    way_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(refs))))
    same_way = way_of[1:] == way_of[:-1]
    a, b = index[:-1][same_way], index[1:][same_way]
    way = way_of[1:][same_way]
    metres = _haversine(lons[:-1][same_way], lats[:-1][same_way], lons[1:][same_way], lats[1:][same_way])
    minutes = np.maximum(metres / (speeds[way] * 1000.0 / 60.0), 1e-6)  # csgraph drops 0-weight edges
    forward, backward = directions[way] >= 0, directions[way] <= 0
    tail = np.concatenate([a[forward], b[backward]])
    head = np.concatenate([b[forward], a[backward]])
    minutes = np.concatenate([minutes[forward], minutes[backward]])
    metres = np.concatenate([metres[forward], metres[backward]])
    keep = tail != head
    tail, head, minutes, metres = tail[keep], head[keep], minutes[keep], metres[keep]
    order = np.lexsort((minutes, head, tail))  # keep the fastest of repeated node pairs
    tail, head, minutes, metres = tail[order], head[order], minutes[order], metres[order]
    first = np.r_[True, (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])]
    logger.info("road network of %s: %d nodes, %d directed edges", source, len(node_ids), int(first.sum()))
    return Edges(
        lon=lons[position].copy(),
        lat=lats[position].copy(),
        tail=tail[first].astype(np.int32),
        head=head[first].astype(np.int32),
        minutes=minutes[first],
        metres=metres[first],
    )


def _haversine(
    lon1: npt.NDArray[np.float64],
    lat1: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres (mean Earth radius 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
