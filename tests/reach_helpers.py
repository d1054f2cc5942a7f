"""Shared helpers for the reach tests: tiny Lambert-93 layers and pair listings."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from coverage.reach.pairs import Reach

# Lambert-93 coordinates near Paris (x, y in metres): hand-checkable 3-4-5 triangles.
X0, Y0 = 650_000.0, 6_860_000.0


def demand_frame(points, *, ids=None, crs=2154, **columns):
    ids = ids if ids is not None else [f"u{i}" for i in range(len(points))]
    return gpd.GeoDataFrame(
        {"unit_id": ids, **columns}, geometry=[Point(X0 + x, Y0 + y) for x, y in points], crs=crs
    )


def sites_frame(points, *, ids=None, crs=2154, **columns):
    ids = ids if ids is not None else [f"s{i}" for i in range(len(points))]
    return gpd.GeoDataFrame(
        {"site_id": ids, **columns}, geometry=[Point(X0 + x, Y0 + y) for x, y in points], crs=crs
    )


def pairs(reach: Reach) -> list[tuple[str, str, float]]:
    return [
        (reach.demand_ids[r], reach.site_ids[c], round(float(d), 6))
        for r, c, d in zip(reach.rows, reach.cols, reach.dist, strict=True)
    ]


def small_layers():
    """u0 at the origin, u1 3 km east, u2 10 km east; s0 at (0, 4 km), s1 at 6 km east."""
    demand = demand_frame(
        [(0, 0), (3000, 0), (10000, 0)], qpv=[True, False, False], rural=[True, False, True]
    )
    sites = sites_frame([(0, 4000), (6000, 0)])
    return demand, sites


def write_times(tmp_path, rows, name="times.csv", sep=","):
    path = tmp_path / name
    path.write_text("\n".join(sep.join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return path
