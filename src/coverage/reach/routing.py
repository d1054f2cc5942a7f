"""Road travel times: the :class:`RoadTime` access rule, snapping and bounded routing.

A :class:`~coverage.reach.roads.RoadTime` rule keeps the (demand unit, site) pairs whose drive on
the road network of an OpenStreetMap extract (:mod:`coverage.reach.roads`)
takes at most the minutes of the unit's zone (QPV 10, urban 15, rural 20 by
default). :func:`coverage.reach.layers.build_reach` turns it into the same
:class:`~coverage.reach.pairs.Reach` as every other rule (``unit='min'``).

How the times are computed (:func:`road_times`):

1. **Snapping.** Each unit and site goes to its nearest network node (KD-tree
   in the territory's metric CRS), among the pieces of the network of at least
   ``min_piece_nodes`` connected nodes (50; islands keep their roads). The
   distance is reported per point; a point farther than ``snap_metres`` from
   any road is left out and reported (or an error, ``far_points='error'``). A
   point outside the extract's extent is an error naming the extract: it does
   not cover the territory.
2. **Straight-line pre-filter.** No drive of ``t`` minutes covers more than
   ``t x`` the network's fastest edge speed in straight line, so only node
   pairs within that distance are candidates (a second KD-tree query).
3. **Bounded Dijkstra** (:func:`scipy.sparse.csgraph.dijkstra` with
   ``limit=``, in C) from each unit's node, on the subgraph of nodes that can
   be reached at all: the territory is cut into square tiles as wide as the
   farthest reach, and the sources of a tile search only the 3 x 3 tiles
   around it. The result is exact: every path within the limit stays in
   that block.

Times run from node to node, one way (the unit drives to the site: one-way
streets count in that direction); the snap distances are reported, not timed.
The routed pairs are cached beside the network, keyed by the network, the
snapped nodes and the limits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from coverage.data.territory import BOUNDS, metric_crs
from coverage.errors import LayerValidationError, Problem
from coverage.reach.pairs import Reach, pairs_within
from coverage.reach.roads import RoadNetwork, RoadTime, StepProgress

logger = logging.getLogger(__name__)

__all__ = ["RoadReach", "road_times", "route_reach"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: Largest Dijkstra distance block held at once (cells of 8 bytes): 256 MB.
_BLOCK_CELLS = 32_000_000


@dataclass(frozen=True, eq=False)
class RoadReach:
    """A road-time :class:`~coverage.reach.pairs.Reach` and how each point was snapped.

    ``snapping`` has one row per unit and site: ``layer`` (``'demand'`` or
    ``'sites'``), ``id``, ``snap_metres`` (distance to the node it was snapped
    to) and ``dropped`` (True beyond the snap limit: no pair).
    """

    reach: Reach
    snapping: pd.DataFrame

    def dropped(self) -> pd.DataFrame:
        """The units and sites left out, farther than the snap limit from any road."""
        return self.snapping[self.snapping["dropped"]].reset_index(drop=True)


Parts = Mapping[str, tuple[IntArray, FloatArray]]


def route_reach(
    network: RoadNetwork,
    rule: RoadTime,
    demand_ids: npt.NDArray[np.object_],
    site_ids: npt.NDArray[np.object_],
    demand_parts: Parts,
    site_parts: Parts,
    minutes: FloatArray,
    *,
    progress: StepProgress | None = None,
) -> RoadReach:
    """Road-time reach from points split by territory (as :func:`~coverage.reach.layers.build_reach` does).

    ``demand_parts`` and ``site_parts`` map a territory to the row positions
    and metric x, y of its points; ``minutes`` is each unit's limit.
    """
    snap = np.full(len(demand_ids) + len(site_ids), np.nan)
    found = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))]
    outside: list[str] = []
    graph = network.graph()
    no_points = (np.empty(0, np.int64), np.empty((0, 2)))
    for territory in sorted(set(demand_parts) | set(site_parts)):
        demand_pos, demand_xy = demand_parts.get(territory, no_points)
        crs = metric_crs(territory)
        lon_min, lat_min, lon_max, lat_max = BOUNDS[territory]
        inside = np.flatnonzero(
            (network.lon >= lon_min)
            & (network.lon <= lon_max)
            & (network.lat >= lat_min)
            & (network.lat <= lat_max)
        )
        site_pos, site_xy = site_parts.get(territory, no_points)
        if len(inside) == 0:
            outside.append(f"{territory}: no road of the extract lies in it")
            continue
        to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
        node_xy = np.column_stack(to_metric.transform(network.lon[inside], network.lat[inside]))
        low, high = node_xy.min(axis=0) - rule.snap_metres, node_xy.max(axis=0) + rule.snap_metres
        for layer, ids, pos, xy in (
            ("demand", demand_ids, demand_pos, demand_xy),
            ("sites", site_ids, site_pos, site_xy),
        ):
            out = np.flatnonzero(((xy < low) | (xy > high)).any(axis=1))
            if len(out):
                shown = ", ".join(repr(str(ids[pos[i]])) for i in out[:5])
                outside.append(f"{len(out)} of {len(pos)} {layer} points lie outside it ({shown})")
        snappable = _snappable(graph, inside, rule.min_piece_nodes)
        tree = cKDTree(node_xy[snappable])
        demand_snap, demand_node = _snap(tree, demand_xy, snappable)
        site_snap, site_node = _snap(tree, site_xy, snappable)
        snap[demand_pos] = demand_snap
        snap[len(demand_ids) + site_pos] = site_snap
        near_d, near_s = demand_snap <= rule.snap_metres, site_snap <= rule.snap_metres
        rows, cols, times = road_times(
            graph,
            node_xy,
            inside,
            np.asarray(demand_node, np.int64)[near_d],
            np.asarray(site_node, np.int64)[near_s],
            minutes[demand_pos[near_d]],
            network.max_speed_m_per_min,
            cache_dir=_cache_dir(rule),
            cache_key=network.key,
            progress=progress,
        )
        found.append((demand_pos[near_d][rows], site_pos[near_s][cols], times))
    if outside:
        lon, lat = network.lon, network.lat
        extent = f"lon {lon.min():.3f}..{lon.max():.3f}, lat {lat.min():.3f}..{lat.max():.3f}"
        raise LayerValidationError(
            Problem(
                network.source,
                f"the road extract ({extent}) does not cover the territory: "
                + "; ".join(outside)
                + ". Use an extract covering every department of the scenario (a larger region, or France)",
            )
        )
    snapping = pd.DataFrame(
        {
            "layer": ["demand"] * len(demand_ids) + ["sites"] * len(site_ids),
            "id": np.concatenate([demand_ids, site_ids]).astype(str),
            "snap_metres": snap,
            "dropped": ~(snap <= rule.snap_metres),
        }
    )
    _report_far(snapping, rule, network.source)
    rows_all, cols_all, times_all = (np.concatenate(part) for part in zip(*found, strict=True))
    text = _describe(rule, snapping)
    reach = Reach.from_arrays(demand_ids, site_ids, rows_all, cols_all, times_all, unit="min", rule=text)
    return RoadReach(reach=reach, snapping=snapping)


def road_times(
    graph: sp.csr_array,
    node_xy: FloatArray,
    nodes: IntArray,
    source_nodes: IntArray,
    target_nodes: IntArray,
    limits: FloatArray,
    max_speed_m_per_min: float,
    *,
    cache_dir: Path | None = None,
    cache_key: str = "",
    progress: StepProgress | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(source, target, minutes) of every pair whose road time is within the source's limit.

    ``graph`` is the whole network's sparse matrix of edge minutes; ``nodes``
    the network nodes of this territory, with metric coordinates ``node_xy``;
    ``source_nodes`` and ``target_nodes`` index ``nodes``. Pairs are returned
    as positions in ``source_nodes`` and ``target_nodes``.

    Examples
    --------
    Three nodes in a row 1 km apart, joined by 1-minute roads, the second one way:

    >>> import numpy as np, scipy.sparse as sp
    >>> from coverage.reach.routing import road_times
    >>> graph = sp.csr_array(([1.0, 1.0, 1.0], ([0, 1, 1], [1, 0, 2])), shape=(3, 3))
    >>> xy = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]])
    >>> def drive(source, target):
    ...     rows, cols, minutes = road_times(graph, xy, np.arange(3), np.array([source]), np.array([target]),
    ...                                      np.array([5.0]), 1000.0)
    ...     return minutes.tolist()
    >>> drive(0, 2), drive(2, 0)  # node 2 cannot drive back
    ([2.0], [])
    """
    report: StepProgress = progress or (lambda step, done, total: None)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(source_nodes) == 0 or len(target_nodes) == 0:
        return empty
    key = _pairs_key(cache_key, nodes, source_nodes, target_nodes, limits)
    cached = None if cache_dir is None or not cache_key else cache_dir / f"pairs-{key[:24]}.npz"
    if cached is not None and cached.is_file():
        with np.load(cached) as data:
            logger.info("road times read from the cache %s", cached)
            return data["rows"], data["cols"], data["minutes"]
    reach_metres = limits * max_speed_m_per_min * 1.01  # 1 %: haversine lengths vs projected distances
    rows, cols, _ = pairs_within(node_xy[source_nodes], node_xy[target_nodes], reach_metres)
    if len(rows) == 0:  # no pair within the straight-line bound
        return empty
    report("routing", 0, len(rows))
    times = np.full(len(rows), np.inf)
    side = float(reach_metres.max(initial=0.0)) or 1.0
    origin = node_xy.min(axis=0)
    cell = np.floor((node_xy - origin) / side).astype(np.int64)
    width = int(cell[:, 1].max()) + 3
    cell_key = (cell[:, 0] + 1) * width + cell[:, 1] + 1
    by_cell = np.argsort(cell_key, kind="stable")
    sorted_keys = cell_key[by_cell]
    pair_tile = cell_key[source_nodes[rows]]
    order = np.argsort(pair_tile, kind="stable")
    bounds = np.flatnonzero(np.r_[True, pair_tile[order][1:] != pair_tile[order][:-1], True])
    sub_graph = graph[nodes][:, nodes] if len(nodes) != graph.shape[0] else graph
    done = 0
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        pairs = order[start:stop]
        tile = int(pair_tile[pairs[0]])
        block = np.concatenate(
            [
                by_cell[
                    np.searchsorted(sorted_keys, tile + dx * width - 1) : np.searchsorted(
                        sorted_keys, tile + dx * width + 2
                    )
                ]
                for dx in (-1, 0, 1)
            ]
        )
        block.sort()
        local = sub_graph[block][:, block]
        pair_source = source_nodes[rows[pairs]]
        unique_sources = np.unique(pair_source)
        chunk = max(1, _BLOCK_CELLS // max(len(block), 1))
        for first in range(0, len(unique_sources), chunk):
            sources = unique_sources[first : first + chunk]
            in_chunk = pairs[np.isin(pair_source, sources)]
            limit = float(limits[rows[in_chunk]].max())
            dist = dijkstra(local, directed=True, indices=np.searchsorted(block, sources), limit=limit)
            row_of = np.searchsorted(sources, source_nodes[rows[in_chunk]])
            column_of = np.searchsorted(block, target_nodes[cols[in_chunk]])
            inside = column_of < len(block)
            column_of = np.minimum(column_of, len(block) - 1)
            inside &= block[column_of] == target_nodes[cols[in_chunk]]
            times[in_chunk[inside]] = dist[row_of[inside], column_of[inside]]
            done += len(in_chunk)
            report("routing", done, len(rows))
    keep = times <= limits[rows]
    result = rows[keep], cols[keep], times[keep]
    logger.info("road times: %d candidate pairs routed, %d within the limits", len(rows), int(keep.sum()))
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial.npz")
            np.savez(partial, rows=result[0], cols=result[1], minutes=result[2])
            partial.replace(cached)
        except OSError as exc:
            logger.warning("cannot cache the road times in %s (%s)", cached.parent, exc)
    return result


def _snappable(graph: sp.csr_array, inside: IntArray, min_nodes: int) -> IntArray:
    """Positions in ``inside`` of the nodes a point may snap to: those of network pieces of at least
    ``min_nodes`` nodes (or of the largest piece, when all are smaller)."""
    local = graph[inside][:, inside] if len(inside) != graph.shape[0] else graph
    _, label = connected_components(local, directed=True, connection="weak")
    size = np.bincount(label)
    return np.flatnonzero(size[label] >= min(min_nodes, int(size.max())))


def _snap(tree: cKDTree, xy: FloatArray, snappable: IntArray) -> tuple[FloatArray, IntArray]:
    """Distance to, and position in the territory's nodes of, each point's nearest snappable node."""
    if len(xy) == 0:
        return np.empty(0), np.empty(0, np.int64)
    distance, nearest = tree.query(xy)
    return np.asarray(distance, np.float64), snappable[np.asarray(nearest, np.int64)]


def _pairs_key(
    network_key: str, nodes: IntArray, sources: IntArray, targets: IntArray, limits: FloatArray
) -> str:
    digest = hashlib.sha256(network_key.encode())
    for array in (nodes, sources, targets, limits):
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"|")
    return digest.hexdigest()


def _cache_dir(rule: RoadTime) -> Path:
    return (
        Path(rule.cache_dir) if rule.cache_dir is not None else Path(rule.extract).parent / ".coverage-roads"
    )


def _report_far(snapping: pd.DataFrame, rule: RoadTime, source: str) -> None:
    far = snapping[snapping["dropped"]]
    if far.empty:
        return
    listed = ", ".join(
        f"{row.layer} {row.id!r} ({row.snap_metres:,.0f} m)" for row in far.head(10).itertuples()
    )
    more = f" and {len(far) - 10} more" if len(far) > 10 else ""
    message = (
        f"{len(far)} points lie farther than {rule.snap_metres:g} m from any road of {source}: {listed}{more}"
    )
    if rule.far_points == "error":
        raise LayerValidationError(
            Problem(
                source, message + "; move them onto a road, raise snap_metres, or set far_points = 'drop'"
            )
        )
    logger.warning("%s; they are left out of the reach (no pair)", message)


def _describe(rule: RoadTime, snapping: pd.DataFrame) -> str:
    kept = snapping.loc[~snapping["dropped"], "snap_metres"]
    text = rule.describe()
    if len(kept):
        text += f"; snapped to the road within {kept.median():.0f} m (median), {kept.max():.0f} m (max)"
    dropped = snapping[snapping["dropped"]]
    if len(dropped):
        units = int((dropped["layer"] == "demand").sum())
        text += (
            f"; left out beyond {rule.snap_metres:g} m of a road: {units} units, {len(dropped) - units} sites"
        )
    return text
