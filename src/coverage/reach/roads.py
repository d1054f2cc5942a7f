"""The drivable road network of an OpenStreetMap extract, built once and cached on disk.

:func:`load_road_network` reads an ``.osm.pbf`` extract (Geofabrik's France or
regional extracts, see ``coverage-plan data list``) with `pyosmium
<https://osmcode.org/pyosmium/>`_ (the ``osmium`` package: C++ reader with node
locations, its filters keep only ``highway`` ways before Python sees them) and
returns a :class:`RoadNetwork`: the nodes (lon/lat) and one directed edge per
drivable way segment and direction, with its length (metres) and travel time
(minutes). The network is saved as ``.npz`` in a cache folder, keyed by the
extract's SHA-256 and the settings (:class:`RoadSettings`), so the next run
reads it in a fraction of a second; a changed extract or changed speeds
rebuild it.

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

import hashlib
import json
import logging
import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.errors import LayerValidationError, MissingDataError, Problem

logger = logging.getLogger(__name__)

__all__ = ["ROAD_EXTRACTS", "SPEED_KMH", "RoadNetwork", "RoadSettings", "load_road_network", "parse_maxspeed"]

#: Network format version: bump it when the cached arrays change meaning.
CACHE_VERSION = 1

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

#: Where to download OpenStreetMap extracts of France (Geofabrik, updated daily), with their
#: approximate size in late 2025: (what, URL, size).
ROAD_EXTRACTS: tuple[tuple[str, str, str], ...] = (
    ("France (mainland and Corsica)", "https://download.geofabrik.de/europe/france-latest.osm.pbf", "4.5 GB"),
    (
        "a former region (e.g. limousin, auvergne, bretagne)",
        "https://download.geofabrik.de/europe/france/limousin-latest.osm.pbf",
        "60-700 MB",
    ),
    ("list of regions and overseas departments", "https://download.geofabrik.de/europe/france.html", ""),
)

_ZONE_SPEEDS = {"urban": 50.0, "rural": 80.0, "motorway": 130.0, "trunk": 110.0, "walk": 6.0}
_CLOSED = frozenset({"no", "private"})
_ONE_WAY = frozenset({"yes", "true", "1"})

#: ``progress(step, done, total)``: ``step`` is ``'roads'`` while the network builds.
StepProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RoadSettings:
    """How the extract becomes a network: speeds per class and the ``maxspeed`` reduction."""

    speed_kmh: Mapping[str, float] = field(default_factory=lambda: dict(SPEED_KMH))
    maxspeed_factor: float = 0.8

    def __post_init__(self) -> None:
        speeds = {**SPEED_KMH, **self.speed_kmh}
        bad = {k: v for k, v in speeds.items() if not (isinstance(v, int | float) and 0 < v < 400)}
        if bad or not 0 < self.maxspeed_factor <= 1:
            raise LayerValidationError(
                Problem(
                    "road settings",
                    f"speeds must be km/h in (0, 400) and maxspeed_factor in (0, 1]; received "
                    f"{bad or self.maxspeed_factor!r}",
                )
            )
        object.__setattr__(self, "speed_kmh", {k: float(v) for k, v in sorted(speeds.items())})

    def __hash__(self) -> int:
        return hash(self.key())

    def key(self) -> str:
        """A stable text of the settings, part of the cache key."""
        return json.dumps(
            {"v": CACHE_VERSION, "speed_kmh": self.speed_kmh, "maxspeed_factor": self.maxspeed_factor},
            sort_keys=True,
        )


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed drivable road network.

    Attributes
    ----------
    lon, lat
        Coordinates of each node (WGS84).
    tail, head
        Node index of each directed edge's start and end.
    minutes, metres
        Travel time and length of each edge.
    source
        The extract it was read from.
    key
        Cache key: the extract's SHA-256 and the settings.
    """

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    tail: npt.NDArray[np.int32]
    head: npt.NDArray[np.int32]
    minutes: npt.NDArray[np.float64]
    metres: npt.NDArray[np.float64]
    source: str = ""
    key: str = ""

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        return len(self.tail)

    @property
    def max_speed_m_per_min(self) -> float:
        """The fastest edge's speed (metres per minute): the straight-line pre-filter's bound."""
        if self.n_edges == 0:
            return 0.0
        return float(np.max(self.metres / self.minutes))

    def graph(self) -> sp.csr_array:
        """The ``n_nodes x n_nodes`` sparse matrix of edge minutes (one edge per node pair)."""
        n = self.n_nodes
        return sp.csr_array((self.minutes, (self.tail, self.head)), shape=(n, n))


def parse_maxspeed(value: str | None) -> float | None:
    """Speed limit (km/h) of an OSM ``maxspeed`` value, or None when it gives none.

    Examples
    --------
    >>> from coverage.reach.roads import parse_maxspeed
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


def load_road_network(
    extract: str | Path,
    *,
    settings: RoadSettings | None = None,
    cache_dir: str | Path | None = None,
    progress: StepProgress | None = None,
) -> RoadNetwork:
    """The drivable network of ``extract``, from the cache when it was built before.

    Parameters
    ----------
    extract
        An OpenStreetMap ``.osm.pbf`` file.
    settings
        Speeds per class and ``maxspeed`` reduction (default :class:`RoadSettings`).
    cache_dir
        Where built networks are kept (default: ``.coverage-roads`` beside the extract).
        Its files are named by the key; delete the folder to free the space.
    progress
        Called as ``progress('roads', done, total)`` while the extract is hashed and read.

    Raises
    ------
    MissingDataError
        The extract does not exist (the message says where to get one).
    LayerValidationError
        The file is not a readable OSM extract, or holds no drivable road.

    Examples
    --------
    >>> from coverage.reach.roads import load_road_network
    >>> load_road_network("no-such-region.osm.pbf")
    Traceback (most recent call last):
    ...
    coverage.errors.MissingDataError: road extract no-such-region.osm.pbf does not exist; ...
    """
    settings = settings or RoadSettings()
    path = Path(extract)
    report: StepProgress = progress or (lambda step, done, total: None)
    if not path.is_file():
        raise MissingDataError(
            f"road extract {path} does not exist; download an OpenStreetMap extract (.osm.pbf) of the "
            "territory from https://download.geofabrik.de/europe/france.html (regions 100 MB-600 MB, "
            "France about 4.5 GB) and give its path as access.extract"
        )
    size = path.stat().st_size
    report("roads", 0, 3)
    digest = _sha256(path)
    key = hashlib.sha256(f"{digest}|{settings.key()}".encode()).hexdigest()
    folder = Path(cache_dir) if cache_dir is not None else path.parent / ".coverage-roads"
    cached = folder / f"roads-{key[:24]}.npz"
    report("roads", 1, 3)
    if cached.is_file():
        try:
            network = _read_cache(cached, str(path), key)
            logger.info("road network of %s read from the cache %s", path, cached)
            report("roads", 3, 3)
            return network
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("road network cache %s is unreadable (%s); rebuilding it", cached, exc)
    logger.info("building the road network of %s (%.1f MB)", path, size / 1e6)
    network = _read_extract(path, settings, key)
    report("roads", 2, 3)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_cache(cached, network)
    except OSError as exc:
        logger.warning("cannot cache the road network in %s (%s); it will be rebuilt next time", folder, exc)
    report("roads", 3, 3)
    return network


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_cache(cached: Path, source: str, key: str) -> RoadNetwork:
    with np.load(cached, allow_pickle=False) as data:
        if str(data["key"]) != key:
            raise ValueError("key mismatch")
        return RoadNetwork(
            lon=data["lon"],
            lat=data["lat"],
            tail=data["tail"],
            head=data["head"],
            minutes=data["minutes"],
            metres=data["metres"],
            source=source,
            key=key,
        )


def _write_cache(cached: Path, network: RoadNetwork) -> None:
    partial = cached.with_suffix(".partial.npz")
    np.savez(
        partial,
        key=np.array(network.key),
        lon=network.lon,
        lat=network.lat,
        tail=network.tail,
        head=network.head,
        minutes=network.minutes,
        metres=network.metres,
    )
    partial.replace(cached)


def _way_speed(tags: Mapping[str, str], settings: RoadSettings) -> float | None:
    """Speed (km/h) of a drivable way, None when cars cannot use it."""
    highway = tags.get("highway")
    if highway not in settings.speed_kmh or tags.get("area") == "yes":
        return None
    closed = any(tags.get(key) in _CLOSED for key in ("access", "motor_vehicle", "motorcar"))
    if closed and tags.get("motorcar") not in ("yes", "designated", "destination"):
        return None
    limit = parse_maxspeed(tags.get("maxspeed"))
    return settings.speed_kmh[highway] if limit is None else limit * settings.maxspeed_factor


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


def _read_extract(path: Path, settings: RoadSettings, key: str) -> RoadNetwork:
    try:
        import osmium
    except ImportError:  # pragma: no cover - osmium is a dependency of the roads extra
        raise MissingDataError(
            "reading OpenStreetMap extracts needs the osmium package: pip install 'coverage-planning[roads]'"
        ) from None
    refs, lons, lats = array("q"), array("d"), array("d")
    starts, speeds, directions = array("q"), array("d"), array("b")
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        )
        for way in processor:
            tags = {tag.k: tag.v for tag in way.tags}
            speed = _way_speed(tags, settings)
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
        key=key,
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
    key: str,
) -> RoadNetwork:
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
    return RoadNetwork(
        lon=lons[position].copy(),
        lat=lats[position].copy(),
        tail=tail[first].astype(np.int32),
        head=head[first].astype(np.int32),
        minutes=minutes[first],
        metres=metres[first],
        source=source,
        key=key,
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
