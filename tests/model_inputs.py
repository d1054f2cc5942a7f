"""Small hand-made model inputs shared by test_model.py and test_model_edge_cases.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.reach.pairs import Reach

INF = np.inf
SOLVERS = ["cbc", "highs"]


def frames(need, site_ids, *, unit_dep=None, site_dep=None, cost=None, owner=None, capacity=None):
    units = [f"u{i}" for i in range(len(need))]
    demand = pd.DataFrame({"unit_id": units, "need": np.asarray(need, dtype=float)})
    if unit_dep is not None:
        demand["dep"] = unit_dep
    sites = pd.DataFrame({"site_id": list(site_ids)})
    for column, values in (("dep", site_dep), ("cost", cost), ("partner", owner), ("capacity", capacity)):
        if values is not None:
            sites[column] = values
    return demand, sites


def dense(demand, sites, dist, radius=None) -> Reach:
    return Reach.from_dense(
        demand["unit_id"], sites["site_id"], np.asarray(dist, dtype=float), max_distance=radius
    )


def line_instance():
    """Three units and three sites on a line; radius 5: s0 reaches u0, s1 reaches u0-u1, s2 reaches u2."""
    demand, sites = frames(
        [10, 20, 30], ["s0", "s1", "s2"], unit_dep=["A", "A", "B"], site_dep=["A", "A", "B"], cost=[1, 2, 3]
    )
    dist = [[0, 4, 20], [9, 1, 12], [20, 11, 2]]
    return demand, sites, dense(demand, sites, dist, radius=5)
