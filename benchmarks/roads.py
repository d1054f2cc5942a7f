"""Road travel times at national scale, on a France-like synthetic road network.

    python benchmarks/roads.py [--nodes 250000] [--units 36000] [--sites 22000] [--sample 2000]
                               [--minutes 20] [--workdir /tmp/roads-bench] [--seed 20261205]
    python benchmarks/roads.py --pandana WORKDIR    # same pairs with pandana's contraction hierarchies

1. Generates a jittered grid of about ``--nodes`` nodes over a 742 km square
   (550,000 km2, mainland France's area) centred on France in Lambert-93, with
   road classes (motorway every 150th line, trunk every 50th, primary every
   25th, secondary every 10th, tertiary every 3rd, the rest residential or
   unclassified; 5 % of ways one way, some ``maxspeed`` tags), written as an
   ``.osm.pbf`` with pyosmium (in a child process: not counted in peak memory).
2. Builds the network (:func:`coverage.reach.roads.load_road_network`): build
   seconds, then the cached read.
3. Routes ``--sample`` random units (of ``--units`` spread like the sites over
   the square) against ``--sites`` sites, ``--minutes`` for every unit, with
   :func:`coverage.reach.layers.reach_by_road`: candidate pairs after the
   straight-line pre-filter, pairs within the limit, pairs per second, and the
   national reach time extrapolated as ``seconds x units / sample`` (every unit
   costs about the same on a uniform network). The sample is every unit of a
   central window, so that units are as dense as in the national run.

Peak memory is the process's maximum resident set (``ru_maxrss``). The machine
is shared: quote medians and the load average (printed).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

CENTRE = (660_000.0, 6_600_000.0)  # Lambert-93, central France
SIDE = 742_000.0  # metres: a square of 550,000 km2


def classes(index: int) -> dict[str, str]:
    if index % 150 == 0:
        return {"highway": "motorway", "oneway": "no", "maxspeed": "130"}
    if index % 50 == 0:
        return {"highway": "trunk"}
    if index % 25 == 0:
        return {"highway": "primary", "maxspeed": "FR:rural"}
    if index % 10 == 0:
        return {"highway": "secondary"}
    if index % 3 == 0:
        return {"highway": "tertiary"}
    return {"highway": "residential" if index % 2 else "unclassified"}


def generate(path: Path, nodes: int, seed: int) -> None:
    """Write the synthetic network to ``path`` (.osm.pbf)."""
    import osmium
    import pyproj
    from osmium.osm.mutable import Node, Way

    side = int(math.sqrt(nodes))
    spacing = SIDE / side
    rng = np.random.default_rng(seed)
    grid = np.arange(side) * spacing - SIDE / 2
    x = CENTRE[0] + grid[:, None] + rng.uniform(-0.3, 0.3, (side, side)) * spacing
    y = CENTRE[1] + grid[None, :] + rng.uniform(-0.3, 0.3, (side, side)) * spacing
    lon, lat = pyproj.Transformer.from_crs(2154, 4326, always_xy=True).transform(x.ravel(), y.ravel())
    ids = np.arange(1, side * side + 1).reshape(side, side)
    writer = osmium.SimpleWriter(str(path))
    for i, (a, b) in enumerate(zip(lon, lat, strict=True)):
        writer.add_node(Node(id=i + 1, location=(float(a), float(b))))
    way = 1
    segment = 20
    for axis in (0, 1):
        for line in range(side):
            tags = classes(line)
            row = ids[line, :] if axis == 0 else ids[:, line]
            for start in range(0, side - 1, segment):
                way_tags = dict(tags)
                if tags["highway"] in ("residential", "unclassified") and rng.random() < 0.05:
                    way_tags["oneway"] = "yes"
                if tags["highway"] == "residential" and rng.random() < 0.2:
                    way_tags["maxspeed"] = "30"
                nodes_of_way = [int(n) for n in row[start : start + segment + 1]]
                writer.add_way(Way(id=way, nodes=nodes_of_way, tags=way_tags))
                way += 1
    writer.close()


def points(count: int, rng: np.random.Generator, prefix: str, id_column: str):
    import geopandas as gpd

    xy = np.asarray(CENTRE) + rng.uniform(-0.48, 0.48, (count, 2)) * SIDE
    return gpd.GeoDataFrame(
        {id_column: [f"{prefix}{i}" for i in range(count)]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=2154,
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=250_000)
    parser.add_argument("--units", type=int, default=36_000)
    parser.add_argument("--sites", type=int, default=22_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3, help="routing runs (median)")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "roads-bench")
    parser.add_argument("--pandana", type=Path, metavar="WORKDIR", help="time pandana on a run's saved pairs")
    args = parser.parse_args()
    if args.pandana is not None:
        return pandana(args.pandana)
    from coverage.reach.roads import load_road_network

    print(f"load average: {os.getloadavg()}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    extract = args.workdir / f"synthetic-{args.nodes}.osm.pbf"
    if not extract.exists():
        start = time.perf_counter()
        child = multiprocessing.get_context("fork").Process(
            target=generate, args=(extract, args.nodes, args.seed)
        )
        child.start()
        child.join()
        print(
            f"generated {extract.name}: {extract.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - start:.1f} s"
        )
    cache = args.workdir / f"cache-{args.nodes}"
    for old in cache.glob("*.npz") if cache.exists() else []:
        old.unlink()
    start = time.perf_counter()
    network = load_road_network(extract, cache_dir=cache)
    build = time.perf_counter() - start
    print(f"network: {network.n_nodes:,} nodes, {network.n_edges:,} directed edges")
    print(f"build: {build:.1f} s (read, hash, assemble, cache write), peak memory {peak_mb():,.0f} MB")
    reads = []
    for _ in range(3):
        start = time.perf_counter()
        load_road_network(extract, cache_dir=cache)
        reads.append(time.perf_counter() - start)
    print(f"cached read: median {statistics.median(reads):.2f} s (includes hashing the extract)")
    # routing in a fresh process: its peak memory is the network read from the cache plus the routing
    child = multiprocessing.get_context("spawn").Process(
        target=route, args=(vars(args), str(extract), str(cache))
    )
    child.start()
    child.join()


def route(options: dict, extract_path: str, cache_path: str) -> None:
    """Route the sample (fresh process), then again from the routed-pairs cache."""
    from coverage.reach.layers import reach_by_road
    from coverage.reach.roads import RoadTime, load_road_network

    args = argparse.Namespace(**options)
    extract, cache = Path(extract_path), Path(cache_path)
    network = load_road_network(extract, cache_dir=cache)
    rng = np.random.default_rng(args.seed)
    units = points(args.units, rng, "u", "unit_id")
    sites = points(args.sites, rng, "s", "site_id")
    # the units of a central window holding about --sample of them: the national density, so each
    # tile has as many sources as in the national run (a scattered sample would pay the per-tile cost
    # of extracting a subgraph for one or two sources)
    half = SIDE * 0.48 * math.sqrt(min(args.sample, args.units) / args.units)
    offset = np.abs(np.column_stack([units.geometry.x, units.geometry.y]) - np.asarray(CENTRE))
    sample = units[(offset <= half).all(axis=1)]
    rule = RoadTime(
        extract, qpv=args.minutes, urban=args.minutes, rural=args.minutes, snap_metres=2_000, cache_dir=cache
    )
    seconds, candidates = [], 0
    for _ in range(args.runs):
        for old in cache.glob("pairs-*.npz"):
            old.unlink()
        calls: list[tuple[str, int, int]] = []
        start = time.perf_counter()
        road = reach_by_road(sample.reset_index(drop=True), sites, rule, progress=lambda *c: calls.append(c))  # noqa: B023
        seconds.append(time.perf_counter() - start)
        candidates = max(total for step, _, total in calls if step == "routing")
    median = statistics.median(seconds)
    pairs = road.reach.n_pairs
    print(
        f"routing {len(sample):,} units x {args.sites:,} sites, {args.minutes:g} min: "
        f"median {median:.2f} s of {args.runs} ({', '.join(f'{s:.2f}' for s in seconds)}); "
        f"{candidates:,} candidate pairs, {pairs:,} within the limit; "
        f"{candidates / median:,.0f} candidate pairs/s; peak memory {peak_mb():,.0f} MB"
    )
    national = median * args.units / len(sample)
    print(
        f"national reach ({args.units:,} x {args.sites:,}): {national:.0f} s extrapolated "
        f"({pairs * args.units / len(sample):,.0f} pairs); load average {os.getloadavg()}"
    )
    start = time.perf_counter()
    again = reach_by_road(sample.reset_index(drop=True), sites, rule)
    print(
        f"rerun with the routed pairs cached: {time.perf_counter() - start:.2f} s "
        f"(same pairs: {np.array_equal(again.reach.dist, road.reach.dist)}); "
        f"peak memory of the routing process {peak_mb():,.0f} MB"
    )
    np.savez(
        args.workdir / "pandana-input.npz",
        tail=network.tail,
        head=network.head,
        minutes=network.minutes,
        lon=network.lon,
        lat=network.lat,
        minutes_limit=args.minutes,
        routed_seconds=median,
        candidates=candidates,
        extract=str(extract),
    )


def pandana(workdir: Path) -> None:
    """Contraction hierarchies (pandana) on the saved network: preprocessing, then range queries."""
    import pandana as pdna
    import pandas as pd

    data = np.load(workdir / "pandana-input.npz")
    nodes = pd.DataFrame({"x": data["lon"], "y": data["lat"]})
    edges = pd.DataFrame({"from": data["tail"], "to": data["head"], "minutes": data["minutes"]})
    start = time.perf_counter()
    net = pdna.Network(nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["minutes"]], twoway=False)
    print(
        f"pandana: contraction of {len(nodes):,} nodes: {time.perf_counter() - start:.1f} s, "
        f"peak memory {peak_mb():,.0f} MB"
    )
    rng = np.random.default_rng(1)
    count = 200_000
    origins = rng.integers(0, len(nodes), count)
    # destinations near the origins (what the pre-filter leaves): a node a few hundred ids away
    targets = np.clip(origins + rng.integers(-3000, 3000, count), 0, len(nodes) - 1)
    start = time.perf_counter()
    lengths = net.shortest_path_lengths(origins, targets, imp_name="minutes")
    seconds = time.perf_counter() - start
    print(
        f"pandana: {count:,} pair queries in {seconds:.2f} s: {count / seconds:,.0f} pairs/s "
        f"({np.isfinite(np.asarray(lengths, dtype=float)).mean():.0%} with a path); "
        f"scipy tiled Dijkstra routed {int(data['candidates']):,} candidate pairs in "
        f"{float(data['routed_seconds']):.2f} s "
        f"({int(data['candidates']) / float(data['routed_seconds']):,.0f}/s)"
    )


if __name__ == "__main__":
    main()
