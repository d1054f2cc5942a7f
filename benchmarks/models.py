"""Maximal coverage: this library against spopt on the same France-like instances.

    python benchmarks/models.py                        # every size, both libraries, CBC
    python benchmarks/models.py --sizes 1k 5k --runs 3 --solver highs
    python benchmarks/models.py --sizes 20k --library spopt --out /tmp/spopt20k.jsonl

spopt is a benchmark-only dependency: ``pip install -e '.[bench]'``.

Each run is a fresh subprocess, so a timeout can kill it (with the solver it
started) and its peak memory is its own: "peak MB" is the highest resident
memory of the run's process plus its solver child (CBC runs as a separate
binary), sampled every 20 ms and never below the process's ``ru_maxrss``;
"solverMB" is the solver child's share. Phases:

- reach: this library's :meth:`Reach.from_points` (KD-tree, sparse pairs);
  spopt's dense ``scipy.spatial.distance.cdist`` cost matrix, as spopt needs;
- build: the PuLP model (``Plan.build_seconds``; ``MCLP.from_cost_matrix``);
- solve: the solver through PuLP (``Plan.solve_seconds``; ``MCLP.solve``
  without results), the same solver and default settings on both sides;
- plan: the rest (this library's :class:`Plan` tables and indicators; spopt's
  facility/client arrays and coverage percentage).

The objective column is the weight covered by the chosen sites, recomputed on
one and the same reach set (the KD-tree pairs within 10 km) for both sides,
because pairs at exactly the radius may fall either side between two distance
computations. Each worker also reports its solver's own objective.

Instances are built by :mod:`instances` (fixed seed, outside the timings). The
35k x 17k spopt run is not attempted unless ``--spopt-35k`` is given: its dense
cost matrix alone is 4.8 GB and its model build loops over 595 million pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from instances import SIZES, Instance, make_instance, size_named  # noqa: E402

LIBRARIES = ("coverage", "spopt")


# -- workers (run in a subprocess) -------------------------------------------


class TreeMemory:
    """Peak resident memory of this process plus its child processes (the CBC binary).

    ``ru_maxrss`` of a finished child counts the parent's pages it held between
    fork and exec, so the solver's share is sampled from /proc instead (every
    20 ms; a shorter peak can be missed).
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self.solver_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    @staticmethod
    def _comm(pid: int | str) -> str:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return ""

    def _poll(self) -> None:
        me = os.getpid()
        mine = self._comm(me)
        while not self._stop.wait(0.02):
            # A child that has not exec'd yet still shows this process's pages: skip it.
            children = [c for c in self._children(me) if self._comm(c) != mine]
            solver = sum(self._rss_kb(c) for c in children)
            self.solver_peak_kb = max(self.solver_peak_kb, solver)
            self.peak_kb = max(self.peak_kb, self._rss_kb(me) + solver)

    def stop(self) -> dict[str, float]:
        """Peaks in MB: whole tree (at least this process's ru_maxrss) and solver children."""
        self._stop.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"peak_mb": max(self.peak_kb, own) / 1024, "solver_mb": self.solver_peak_kb / 1024}


def _progress(**phases: float) -> None:
    """Report finished phases, so that a run killed on timeout still says how far it got."""
    print("PARTIAL " + json.dumps(phases), flush=True)


def _covered(inst: Instance, open_sites: np.ndarray) -> int:
    """Weight within the radius of an open site, on the KD-tree reach pairs."""
    from coverage.reach.pairs import Reach

    reach = Reach.from_points(
        inst.demand_ids, inst.demand_xy, inst.site_ids, inst.site_xy, radius=inst.radius
    )
    hit = np.zeros(inst.n_demand, dtype=bool)
    hit[reach.rows[open_sites[reach.cols]]] = True
    return int(inst.weights[hit].sum())


def run_coverage(inst: Instance, solver: str, time_limit: float | None) -> dict[str, Any]:
    import pandas as pd

    from coverage.models.location import SolverOptions, maximal_coverage
    from coverage.reach.pairs import Reach

    demand = pd.DataFrame({"unit_id": inst.demand_ids, "need": inst.weights})
    sites = pd.DataFrame({"site_id": inst.site_ids})
    memory = TreeMemory()
    start = time.perf_counter()
    reach = Reach.from_points(
        inst.demand_ids, inst.demand_xy, inst.site_ids, inst.site_xy, radius=inst.radius
    )
    after_reach = time.perf_counter()
    _progress(reach_s=after_reach - start)
    options = SolverOptions(solver="highs" if solver == "highs" else "cbc", time_limit=time_limit)
    plan = maximal_coverage(demand, sites, reach, max_sites=inst.p, options=options)
    end = time.perf_counter()
    peaks = memory.stop()
    is_open = np.isin(inst.site_ids, np.asarray(plan.open_site_ids, dtype=object))
    rest = (end - after_reach) - plan.build_seconds - plan.solve_seconds
    return {
        "reach_s": after_reach - start,
        "build_s": plan.build_seconds,
        "solve_s": plan.solve_seconds,
        "plan_s": rest,
        "total_s": end - start,
        **peaks,
        "solver_objective": plan.objective,
        "bound": plan.bound,
        "status": plan.status if plan.is_optimal else f"{plan.status}, gap {plan.gap or float('nan'):.2%}",
        "objective": _covered(inst, is_open),
        "n_open": int(is_open.sum()),
        "pairs": reach.n_pairs,
    }


def run_spopt(inst: Instance, solver: str, time_limit: float | None) -> dict[str, Any]:
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    memory = TreeMemory()
    start = time.perf_counter()
    cost = cdist(inst.demand_xy, inst.site_xy)
    after_reach = time.perf_counter()
    _progress(reach_s=after_reach - start)
    mclp = MCLP.from_cost_matrix(cost, inst.weights, service_radius=inst.radius, p_facilities=inst.p)
    after_build = time.perf_counter()
    _progress(reach_s=after_reach - start, build_s=after_build - after_reach)
    # HiGHS stops at a 0.01% gap by default; ask for optima as this library does.
    backend = (
        pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
        if solver == "cbc"
        else pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=time_limit)
    )
    mclp.solve(backend, results=False)
    after_solve = time.perf_counter()
    mclp.facility_client_array()
    mclp.client_facility_array()
    mclp.uncovered_clients()
    mclp.get_percentage()
    end = time.perf_counter()
    peaks = memory.stop()
    is_open = np.array([(v.value() or 0) > 0.5 for v in mclp.fac_vars])
    return {
        "reach_s": after_reach - start,
        "build_s": after_build - after_reach,
        "solve_s": after_solve - after_build,
        "plan_s": end - after_solve,
        "total_s": end - start,
        **peaks,
        "solver_objective": pulp.value(mclp.problem.objective),
        "bound": None,
        "status": pulp.LpStatus[mclp.problem.status].lower(),
        "objective": _covered(inst, is_open),
        "n_open": int(is_open.sum()),
        "pairs": int((cost <= inst.radius).sum()),
    }


def worker(size: str, library: str, solver: str, seed: int, layout: str, time_limit: float | None) -> None:
    inst = make_instance(size, seed, layout)
    result = (run_coverage if library == "coverage" else run_spopt)(inst, solver, time_limit)
    print("RESULT " + json.dumps(result), flush=True)


# -- driver -------------------------------------------------------------------


def launch(
    size: str, library: str, solver: str, seed: int, layout: str, timeout: float, time_limit: float | None
) -> dict[str, Any]:
    """One run in a fresh interpreter (own process group, killed whole on timeout)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--sizes",
        size,
        "--library",
        library,
        "--solver",
        solver,
        "--seed",
        str(seed),
        "--layout",
        layout,
        *(["--time-limit", str(time_limit)] if time_limit else []),
    ]
    base: dict[str, Any] = {"size": size, "library": library, "solver": solver}
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        done: dict[str, Any] = {}
        for line in out.splitlines():
            if line.startswith("PARTIAL "):
                done = json.loads(line[len("PARTIAL ") :])
        stages = ["reach", "build", "solve", "plan"]
        if library == "coverage":  # one call builds, solves and plans
            stages = ["reach", "maximal_coverage (build/solve/plan)"]
        stage = stages[min(len(done), len(stages) - 1)]
        return {**base, **done, "killed_after": timeout, "status": f"killed after {timeout:g} s, in {stage}"}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return {**base, **json.loads(line[len("RESULT ") :])}
    tail = (err.strip().splitlines() or ["no output"])[-1]
    return {
        **base,
        "status": f"failed (exit {proc.returncode}): {tail[:120]}",
        "total_s": time.perf_counter() - start,
    }


HEADER = (
    f"{'size':<10} {'library':<9}{'reach s':>9}{'build s':>9}{'solve s':>9}{'plan s':>9}{'total s':>9}"
    f"{'peak MB':>9}{'solverMB':>9}{'objective':>12}  status"
)


def row(r: dict[str, Any]) -> str:
    def f(key: str, width: int = 9) -> str:
        if r.get(key) is None:
            return " " * width
        return f"{r[key]:>{width}.2f}" if r[key] < 100 else f"{r[key]:>{width}.0f}"

    def mb(key: str) -> str:
        return f"{r[key]:>9.0f}" if r.get(key) is not None else " " * 9

    objective = f"{r['objective']:>12,}" if "objective" in r else " " * 12
    return (
        f"{r['size']:<10} {r['library']:<9}{f('reach_s')}{f('build_s')}{f('solve_s')}{f('plan_s')}"
        f"{f('total_s')}{mb('peak_mb')}{mb('solver_mb')}{objective}  {r['status']}"
    )


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    done = [r for r in runs if "objective" in r]
    if not done:
        return None
    out = dict(done[0])
    for key in ("reach_s", "build_s", "solve_s", "plan_s", "total_s", "peak_mb", "solver_mb"):
        out[key] = statistics.median(r[key] for r in done)
    out["objectives"] = sorted({r["objective"] for r in done})
    return out


def summarise(size: str, results: list[dict[str, Any]]) -> list[str]:
    lines = []
    medians = {lib: median_of([r for r in results if r["library"] == lib]) for lib in LIBRARIES}
    for lib, m in medians.items():
        runs = [r for r in results if r["library"] == lib]
        if m is not None:
            lines.append(row(m) + f" (median of {sum('objective' in r for r in runs)})")
    ours, theirs = medians["coverage"], medians["spopt"]
    if ours is not None:
        dominant = max(("reach_s", "build_s", "solve_s", "plan_s"), key=lambda k: ours[k])[:-2]
        build_ok = "yes" if ours["build_s"] <= ours["solve_s"] else "NO"
        peak_gb = ours["peak_mb"] / 1024
        lines.append(
            f"{size:<10} coverage: {dominant} dominates; build <= solve: {build_ok}; "
            f"peak {peak_gb:.2f} GB (process + solver); status {ours['status']}"
        )
    killed = [r for r in results if r["library"] == "spopt" and "killed_after" in r]
    if ours is not None and theirs is None and killed:
        lines.append(
            f"{size:<10} ratio spopt/coverage total: > {killed[0]['killed_after'] / ours['total_s']:.1f}x "
            f"(spopt killed after {killed[0]['killed_after']:g} s)"
        )
    if ours is not None and theirs is not None:
        same = "yes" if ours["objectives"] == theirs["objectives"] and len(ours["objectives"]) == 1 else "NO"
        if not (ours["status"] == theirs["status"] == "optimal"):
            same += " (not both optimal)"
        lines.append(
            f"{size:<10} ratio spopt/coverage total: {theirs['total_s'] / ours['total_s']:.1f}x; "
            f"build {theirs['build_s'] / max(ours['build_s'], 1e-9):.0f}x; "
            f"same objective: {same} ({ours['objectives']} vs {theirs['objectives']})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), help="1k 5k 20k 35k (default: all)")
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs per size and library (default: 3 below 20k x 3k, 1 from there)",
    )
    parser.add_argument("--library", choices=(*LIBRARIES, "both"), default="both")
    parser.add_argument("--skip-spopt", action="store_true", help="run this library only")
    parser.add_argument(
        "--spopt-35k",
        action="store_true",
        help="also try spopt at 35k x 17k (extrapolated: about 10 GB and 37-75 min of model building)",
    )
    parser.add_argument("--spopt-timeout", type=float, default=900.0, help="seconds per spopt run")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run of this library")
    parser.add_argument(
        "--time-limit", type=float, help="solver time limit (both libraries); default none: optima only"
    )
    parser.add_argument("--solver", choices=("cbc", "highs"), default="cbc")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--layout",
        choices=("national", "regional"),
        default="national",
        help="spread every size over France's area, or keep national density",
    )
    parser.add_argument("--out", type=Path, help="append every run as one JSON line to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [size_named(s) for s in args.sizes]
    if args.worker:
        worker(sizes[0], args.library, args.solver, args.seed, args.layout, args.time_limit)
        return
    libraries = (
        ["coverage"] if args.skip_spopt else list(LIBRARIES) if args.library == "both" else [args.library]
    )
    print(
        f"maximal coverage, radius 10 km, p = 5% of sites, solver {args.solver}, seed {args.seed}, "
        f"{args.layout} layout, "
        f"{os.cpu_count()} cores"
    )
    print(HEADER, flush=True)
    summary: list[str] = []
    for size in sizes:
        runs = args.runs or (3 if SIZES[size][0] * SIZES[size][1] < 20_000 * 3_000 else 1)
        results: list[dict[str, Any]] = []
        for library in libraries:
            if library == "spopt" and size == "35k x 17k" and not args.spopt_35k:
                results.append({"size": size, "library": library, "status": "not run (see --spopt-35k)"})
                print(row(results[-1]), flush=True)
                continue
            timeout = args.spopt_timeout if library == "spopt" else args.timeout
            for _ in range(runs):
                results.append(
                    launch(size, library, args.solver, args.seed, args.layout, timeout, args.time_limit)
                )
                print(row(results[-1]), flush=True)
                if args.out:
                    with args.out.open("a") as handle:
                        handle.write(json.dumps(results[-1]) + "\n")
                if "objective" not in results[-1]:
                    break  # a timeout or failure will not do better the second time
        summary += summarise(size, results)
    print()
    print("medians, checks and ratios")
    print(HEADER)
    print("\n".join(summary))


if __name__ == "__main__":
    main()
