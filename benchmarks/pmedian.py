"""OR-Library p-median (pmed1-40): each formulation against the published optimum.

    python benchmarks/pmedian.py --instances 1 6 25 30 40 --time-limit 60
    python benchmarks/pmedian.py --formulations auto assignment --models median
    python benchmarks/pmedian.py --instances 3 --models median --spopt   # spopt's PMedian too

Reads ``../shared/reference-instances/orlib_pmed`` (or ``--folder``): Beasley's
graphs, all-pairs shortest paths by Floyd-Warshall, unit need at every node,
every node a candidate. Prints per instance, model (p-median per
formulation, p-center) and run: the plan's method, status, objective,
bound, gap to the published optimum (p-center optima: the folder's README),
the proof gap (objective - bound) / objective when the time limit stopped it,
the seconds to the heuristic start (greedy + interchange, p-median: the
first incumbent), the seconds to the proof (build + solve, when proven), the
seconds end to end (``--time-limit`` bounds the call), the process's peak
memory so far (``ru_maxrss``, distance matrix included) and the 1-minute
load average. With several formulations, or ``--spopt`` (spopt's
``PMedian.from_cost_matrix`` with CBC under the same limit), a line gives
each one's end-to-end time over the first formulation's. Run one instance
per process for peak memory per instance.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import shortest_path

from coverage import Reach, p_center, p_median
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


def center_optima(folder: Path) -> dict[str, float]:
    """The published p-center optima the folder's README lists (pmed1..pmed40 in order)."""
    text = (folder.parent / "README.md").read_text() if (folder.parent / "README.md").exists() else ""
    found = re.search(r"p-center optima[^:]*:\s*([\d,\s]+)\.", text)
    values = [float(v) for v in found.group(1).replace(",", " ").split()] if found else []
    return {f"pmed{k + 1}": v for k, v in enumerate(values)}


def row(name: str, n: int, p: int, model: str, plan: object, optimum: float | None, seconds: float) -> str:
    objective = plan.objective if plan.objective is not None else float("nan")
    bound = plan.bound if plan.bound is not None else float("nan")
    to_opt = f"{(objective - optimum) / optimum:.2%}" if optimum and plan.objective is not None else ""
    proof = "" if plan.objective is None or plan.bound is None else f"{(objective - bound) / objective:.4%}"
    # The heuristic start exists when the build ends (radius and assignment p-median).
    start = f"{plan.build_seconds:.1f}" if model == "median" and plan.objective is not None else "-"
    proven = f"{plan.build_seconds + plan.solve_seconds:.1f}" if plan.status == "optimal" else "-"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"{name:<7}{n:>5}{p:>5} {model:<7}{plan.method:<17}{plan.status:<11}{objective:>9.0f}{bound:>9.0f}"
        f"{optimum or float('nan'):>9.0f}{to_opt:>8}{proof:>10}{start:>8}{proven:>8}{seconds:>8.1f}"
        f"{peak:>8.0f}{os.getloadavg()[0]:>6.2f}"
    )


def run_spopt(dist: np.ndarray, p: int, limit: float) -> tuple[float, float, str]:
    """spopt's p-median with CBC under ``limit`` seconds: objective, seconds end to end, status."""
    import pulp
    from spopt.locate import PMedian

    started = time.perf_counter()
    model = PMedian.from_cost_matrix(dist, np.ones(len(dist)), p_facilities=p, name="pmed")
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    seconds = time.perf_counter() - started
    return float(pulp.value(model.problem.objective)), seconds, pulp.LpStatus[model.problem.status]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=DEFAULT)
    parser.add_argument("--instances", type=int, nargs="+", default=list(range(1, 41)))
    parser.add_argument("--formulations", nargs="+", default=["auto"])
    parser.add_argument("--models", nargs="+", default=["median", "center"], choices=("median", "center"))
    parser.add_argument("--solver", default="cbc", choices=("cbc", "highs"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--spopt", action="store_true", help="also solve with spopt's PMedian (CBC)")
    args = parser.parse_args()
    if args.spopt and importlib.util.find_spec("spopt") is None:
        parser.error("--spopt needs spopt: pip install -e '.[bench]'")
    optima = {
        parts[0]: float(parts[1])
        for parts in (line.split() for line in (args.folder / "pmedopt.txt").read_text().splitlines())
        if len(parts) == 2 and parts[0].startswith("pmed")
    }
    centers = center_optima(args.folder)
    print(
        f"{'inst':<7}{'n':>5}{'p':>5} {'model':<7}{'method':<17}{'status':<11}{'objective':>9}{'bound':>9}"
        f"{'optimum':>9}{'to opt':>8}{'proof gap':>10}{'start s':>8}{'proof s':>8}{'total s':>8}"
        f"{'peak MB':>8}{'load':>6}"
    )
    for k in args.instances:
        dist, p = read_pmed(args.folder / f"pmed{k}.txt")
        ids = [str(i) for i in range(1, len(dist) + 1)]
        demand = pd.DataFrame({"unit_id": ids, "need": 1.0})
        sites = pd.DataFrame({"site_id": ids})
        reach = Reach.from_dense(ids, ids, dist)
        options = SolverOptions(solver=args.solver, time_limit=args.time_limit)
        name = f"pmed{k}"
        if "median" in args.models:
            times = {}
            for formulation in args.formulations:
                started = time.perf_counter()
                plan = p_median(demand, sites, reach, p=p, options=options, formulation=formulation)
                times[formulation] = seconds = time.perf_counter() - started
                print(row(name, len(ids), p, "median", plan, optima[name], seconds), flush=True)
            if args.spopt:
                value, times["spopt"], status = run_spopt(dist, p, args.time_limit)
                print(
                    f"{name:<7} spopt PMedian (CBC): {status}, objective {value:.0f}, {times['spopt']:.1f} s"
                )
            first = args.formulations[0]
            for other, seconds in list(times.items())[1:]:
                print(f"{name:<7} ratio {other} / {first}: {seconds / times[first]:.1f}x", flush=True)
        if "center" in args.models:
            started = time.perf_counter()
            plan = p_center(demand, sites, reach, p=p, options=options)
            seconds = time.perf_counter() - started
            print(row(name, len(ids), p, "center", plan, centers.get(name), seconds), flush=True)


if __name__ == "__main__":
    main()
