"""The drivable road network of an OpenStreetMap extract, built once and cached on disk.

:func:`load_road_network` reads an ``.osm.pbf`` extract (Geofabrik's France or
regional extracts, see ``coverage-plan data roads``) with
:func:`coverage.reach.osm.read_ways` and returns a :class:`RoadNetwork`: the
nodes (lon/lat) and one directed edge per drivable way segment and direction,
with its length (metres) and travel time (minutes; speeds per road class in
:mod:`coverage.reach.osm`). The network is saved as ``.npz`` in a cache
folder, keyed by the extract's SHA-256 and the settings (:class:`RoadSettings`),
so the next run reads it in a fraction of a second; a changed extract or
changed speeds rebuild it.

:class:`RoadTime` is the access rule that drives on it
(:mod:`coverage.reach.routing` computes the times).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from coverage.errors import LayerValidationError, MissingDataError, Problem
from coverage.reach.osm import SPEED_KMH, read_ways
from coverage.reach.rules import DEFAULT_SPEED_KMH, ZONES, ZoneRadius

logger = logging.getLogger(__name__)

__all__ = ["ROAD_EXTRACTS", "RoadNetwork", "RoadSettings", "RoadTime", "load_road_network"]

#: Network format version: bump it when the cached arrays change meaning.
CACHE_VERSION = 1

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


@dataclass(frozen=True)
class RoadTime:
    """Sites within a drive of the unit's zone minutes on an OpenStreetMap road network.

    Parameters
    ----------
    extract
        The ``.osm.pbf`` extract covering the territory.
    qpv, urban, rural
        Longest acceptable drive (minutes) from a unit of each zone.
    snap_metres
        Farthest a unit or site may lie from the nearest road node.
    far_points
        ``'drop'``: points beyond ``snap_metres`` are left out of the reach and
        reported; ``'error'``: they are an error.
    speed_kmh, maxspeed_factor
        Speeds per road class overriding :data:`coverage.reach.roads.SPEED_KMH`,
        and the share of ``maxspeed`` driven (see :class:`~coverage.reach.roads.RoadSettings`).
    cache_dir
        Folder of cached networks and routed pairs (default ``.coverage-roads`` beside the extract).
    min_piece_nodes
        Points snap only to pieces of the network (weakly connected) of at least this many
        nodes, or to the largest piece when all are smaller: a car park's aisles or a track cut
        off by private roads would otherwise catch a point and reach nothing.
    """

    extract: str | Path
    qpv: float = 10.0
    urban: float = 15.0
    rural: float = 20.0
    snap_metres: float = 1000.0
    far_points: Literal["drop", "error"] = "drop"
    speed_kmh: Mapping[str, float] = field(default_factory=dict)
    maxspeed_factor: float = 0.8
    cache_dir: str | Path | None = None
    min_piece_nodes: int = 50

    def __post_init__(self) -> None:
        for name in (*ZONES, "snap_metres", "min_piece_nodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
                raise LayerValidationError(
                    Problem(
                        "road time rule", f"{name} must be a number > 0 (received {value!r})", column=name
                    )
                )
        if self.far_points not in ("drop", "error"):
            raise LayerValidationError(
                Problem("road time rule", f"far_points is 'drop' or 'error', not {self.far_points!r}")
            )
        self.settings()  # checks the speeds

    def __hash__(self) -> int:
        return hash((str(self.extract), *self.minutes_by_zone().values(), self.snap_metres, self.settings()))

    def minutes_by_zone(self) -> dict[str, float]:
        """Longest drive (minutes) of each zone."""
        return {zone: float(getattr(self, zone)) for zone in ZONES}

    def settings(self) -> RoadSettings:
        return RoadSettings(speed_kmh=dict(self.speed_kmh), maxspeed_factor=self.maxspeed_factor)

    def describe(self) -> str:
        minutes = "/".join(f"{getattr(self, z):g}" for z in ZONES)
        return f"within {minutes} min by road ({'/'.join(ZONES)}), {Path(self.extract).name}"

    def straight_line(self, *, detour: float = 1.3) -> ZoneRadius:
        """The straight-line rule the same minutes give with :class:`~coverage.reach.rules.TravelTime`'s
        estimate: radius = minutes x zone speed (QPV 15, urban 30, rural 50 km/h) / detour.

        Examples
        --------
        >>> from coverage.reach.roads import RoadTime
        >>> RoadTime("limousin.osm.pbf").straight_line().by_zone()
        {'qpv': 1923.076923076923, 'urban': 5769.230769230769, 'rural': 12820.51282051282}
        """
        radius = {z: getattr(self, z) * DEFAULT_SPEED_KMH[z] * 1000.0 / 60.0 / detour for z in ZONES}
        return ZoneRadius(**radius)


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
    edges = read_ways(path, settings.speed_kmh, settings.maxspeed_factor)
    network = RoadNetwork(**vars(edges), source=str(path), key=key)
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
