"""p-median on a sparse reach: the Lagrangian search (dense inside) against the MIPs.

    python benchmarks/pmedian_sparse.py --neighbours 30 --p 30 --formulation lagrangian

Random points in a square (fixed seed), integer distances, each unit reaching
the sites within the radius that gives it about ``--neighbours`` of them
(every unit reaches at least its nearest one). Prints the method, status,
objective, bound, proof gap, seconds end to end and peak memory, for one
formulation per process (run each in a fresh process).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage import Reach, p_median
from coverage.models.solver import SolverOptions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--neighbours", type=int, default=30)
    parser.add_argument("--p", type=int, default=30)
    parser.add_argument("--formulation", default="auto")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    rng = np.random.default_rng(20261205)
    units = rng.uniform(0, 100_000, size=(args.units, 2))
    sites = rng.uniform(0, 100_000, size=(args.sites, 2))
    radius = 100_000 * np.sqrt(args.neighbours / (np.pi * args.sites))
    tree = cKDTree(sites)
    rows, cols = [], []
    for i, near in enumerate(tree.query_ball_point(units, radius)):
        near = near or [int(tree.query(units[i])[1])]
        rows += [i] * len(near)
        cols += near
    rows, cols = np.array(rows), np.array(cols)
    dist = np.rint(np.hypot(*(units[rows] - sites[cols]).T))
    metres = np.full((args.units, args.sites), np.inf)
    metres[rows, cols] = dist
    unit_ids = [f"u{i}" for i in range(args.units)]
    site_ids = [f"s{j}" for j in range(args.sites)]
    demand = pd.DataFrame({"unit_id": unit_ids, "need": rng.integers(1, 100, args.units).astype(float)})
    reach = Reach.from_dense(unit_ids, site_ids, metres)
    started = time.perf_counter()
    plan = p_median(
        demand,
        pd.DataFrame({"site_id": site_ids}),
        reach,
        p=args.p,
        options=SolverOptions(solver="cbc", time_limit=args.time_limit),
        formulation=args.formulation,
    )
    seconds = time.perf_counter() - started
    gap = (
        (plan.objective - plan.bound) / plan.objective
        if plan.objective and plan.bound is not None
        else float("nan")
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.units}x{args.sites} pairs {len(rows):,} p={args.p} {args.formulation}: "
        f"{plan.method} {plan.status} "
        f"objective {plan.objective:.0f} bound {plan.bound:.0f} gap {gap:.4%} {seconds:.1f} s {peak:.0f} MB "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
