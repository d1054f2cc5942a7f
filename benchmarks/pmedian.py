"""OR-Library p-median (pmed1-40): each formulation against the published optimum.

    python benchmarks/pmedian.py --instances 1 6 25 30 40 --time-limit 60
    python benchmarks/pmedian.py --formulations radius assignment auto

Reads ``../shared/reference-instances/orlib_pmed`` (or ``--folder``): Beasley's
graphs, all-pairs shortest paths by Floyd-Warshall, unit need at every node,
every node a candidate. Prints per instance and formulation: the plan's
method, status, objective, bound, gap to the published optimum, build and
solve seconds (the solve phase's limit is ``--time-limit``) and peak memory
of the process (``ru_maxrss``, which includes the distance matrix).
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import shortest_path

from coverage import Reach, p_median
from coverage.models.solver import SolverOptions

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "reference-instances" / "orlib_pmed"


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    tokens = path.read_text().split()
    n, m, p = (int(t) for t in tokens[:3])
    edges = np.array(tokens[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    weights = np.full((n, n), np.inf)
    for i, j, cost in edges:  # the last occurrence of an edge wins
        weights[i - 1, j - 1] = weights[j - 1, i - 1] = cost
    np.fill_diagonal(weights, 0.0)
    return shortest_path(weights, method="FW", directed=False), p


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=DEFAULT)
    parser.add_argument("--instances", type=int, nargs="+", default=list(range(1, 41)))
    parser.add_argument("--formulations", nargs="+", default=["auto"])
    parser.add_argument("--solver", default="cbc", choices=("cbc", "highs"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    optima = {
        parts[0]: float(parts[1])
        for parts in (line.split() for line in (args.folder / "pmedopt.txt").read_text().splitlines())
        if len(parts) == 2 and parts[0].startswith("pmed")
    }
    print(
        f"{'instance':<9}{'n':>5}{'p':>5} {'method':<11}{'status':<11}{'objective':>10}{'bound':>10}"
        f"{'optimum':>9}{'gap':>8}{'build s':>8}{'solve s':>8}{'peak MB':>8}"
    )
    for k in args.instances:
        dist, p = read_pmed(args.folder / f"pmed{k}.txt")
        ids = [str(i) for i in range(1, len(dist) + 1)]
        demand = pd.DataFrame({"unit_id": ids, "need": 1.0})
        sites = pd.DataFrame({"site_id": ids})
        reach = Reach.from_dense(ids, ids, dist)
        for formulation in args.formulations:
            options = SolverOptions(solver=args.solver, time_limit=args.time_limit)
            plan = p_median(demand, sites, reach, p=p, options=options, formulation=formulation)
            optimum = optima[f"pmed{k}"]
            gap = "" if plan.objective is None else f"{(plan.objective - optimum) / optimum:.2%}"
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"pmed{k:<5}{len(ids):>5}{p:>5} {plan.method:<11}{plan.status:<11}"
                f"{plan.objective if plan.objective is not None else float('nan'):>10.0f}"
                f"{plan.bound if plan.bound is not None else float('nan'):>10.0f}{optimum:>9.0f}{gap:>8}"
                f"{plan.build_seconds:>8.1f}{plan.solve_seconds:>8.1f}{peak:>8.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
