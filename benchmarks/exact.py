"""Exact maximal coverage: the decomposition by components against the plain MIP (issue 16).

    python benchmarks/exact.py [--instances 20k-national 20k-regional 35k-national 35k-regional
                                real-400 real-871] [--methods auto mip matrix components]
                               [--time-limit 60] [--gap 1e-4] [--data-dir ../shared/geodata-sources]

Each (instance, method) runs in a fresh process, end to end from the points
(the reach included; for the real instance the files are loaded first and
that time is printed apart). Prints the method that ran (``pulp/cbc``: the PuLP model on CBC;
``arrays/cbc``, ``arrays/highs``: the merged arrays on that solver; else the
decomposition's name), the reach graph's
components (count, sites in the largest), time to the first plan, time to
the proof (or '-'), the gap at the time limit, the peak memory of the process
and its solver children, the objective and the ratio of the two methods'
times. ``--methods auto mip`` (the default) shows what ``'auto'`` picks;
``components`` forces the decomposition even where ``'auto'`` keeps the MIP;
``mip`` is the PuLP model on CBC (``solver='cbc'``), ``matrix`` the arrays on
HiGHS (``solver='highs'``). ``--gap 1e-4`` stops at that relative gap and
counts a plan within it as proven (its bound reported).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

INSTANCES = ["20k-national", "20k-regional", "35k-national", "35k-regional", "real-400", "real-871"]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _inputs(name: str, data: Path):
    import pandas as pd

    from coverage.reach.pairs import Reach

    if name.startswith("real"):
        sys.path.insert(0, str(Path(__file__).parent))
        from national import load

        from coverage.reach.layers import build_reach
        from coverage.reach.rules import ZoneRadius

        started = time.perf_counter()
        demand, sites = load(data)
        loaded = time.perf_counter() - started
        return (
            demand,
            sites,
            lambda: build_reach(demand, sites, ZoneRadius()),
            int(name.split("-")[1]),
            loaded,
        )
    from instances import make_instance, size_named

    size, layout = name.split("-")
    inst = make_instance(size_named(size), layout=layout)
    demand = pd.DataFrame({"unit_id": inst.demand_ids, "need": inst.weights})
    sites = pd.DataFrame({"site_id": inst.site_ids})

    def reach():
        return Reach.from_points(
            inst.demand_ids, inst.demand_xy, inst.site_ids, inst.site_xy, radius=inst.radius
        )

    return demand, sites, reach, inst.p, 0.0


def one(name: str, method: str, limit: float, data: Path, gap: float | None = None) -> dict:
    from coverage.models.location import SolverOptions, maximal_coverage

    capture = _Capture()
    logging.getLogger("coverage").addHandler(capture)
    logging.getLogger("coverage").setLevel(logging.INFO)
    demand, sites, make_reach, p, loaded = _inputs(name, data)
    started = time.perf_counter()
    reach = make_reach()
    # 'mip': the PuLP model on CBC; 'matrix': the arrays on HiGHS (models/matrix_coverage.py).
    solver = {"mip": "cbc", "matrix": "highs"}.get(method, "auto")
    formulation = "mip" if method == "matrix" else method
    options = SolverOptions(time_limit=limit, gap=gap, solver=solver)
    plan = maximal_coverage(demand, sites, reach, max_sites=p, formulation=formulation, options=options)
    total = time.perf_counter() - started
    # Proven: optimal, or within the asked relative gap (the 1e-4), the bound reported.
    proven = plan.status == "optimal" or (plan.gap is not None and gap is not None and plan.gap <= gap)
    # The MIP's first plan is its warm start, ready when the solver starts.
    first = total - plan.solve_seconds
    comps = largest = None
    for line in capture.lines:
        found = re.search(r"by (\d+) components \(largest (\d+) sites\).*first plan after ([\d.]+) s", line)
        found = found or re.search(r"(\d+) components, the largest with (\d+) of", line)
        if found:
            comps, largest = int(found[1]), int(found[2])
            if found.re.groups == 3:  # seconds from the instance's preparation, the reach excluded
                first = total - plan.build_seconds - plan.solve_seconds + float(found[3])
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    # The plan says 'mip' for both MIP paths: the log says whether the arrays path ran, and on which solver.
    arrays = any("maximal coverage (arrays)" in line for line in capture.lines)
    ran = f"arrays/{'highs' if solver == 'highs' else 'cbc'}" if arrays else plan.method
    if plan.method == "mip" and not arrays:
        ran = "pulp/cbc"
    return {
        "instance": name,
        "method": ran,
        "components": comps,
        "largest": largest,
        "load_s": loaded,
        "first_s": first,
        "proof_s": total if proven else None,
        "total_s": total,
        "gap": plan.gap,
        "status": plan.status,
        "objective": plan.objective,
        "bound": plan.bound,
        "served": plan.served_need,
        "peak_mb": peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances",
        nargs="+",
        default=INSTANCES,
        help="SIZE-LAYOUT (1k, 5k, 20k, 35k; national, regional) or real-N",
    )
    parser.add_argument(
        "--methods", nargs="+", default=["auto", "mip"], choices=["components", "mip", "matrix", "auto"]
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--gap", type=float, default=None, help="relative gap that counts as proven (1e-4)")
    parser.add_argument("--timeout", type=float, default=400.0, help="seconds before a run is killed")
    default = Path(__file__).resolve().parents[2] / "shared" / "geodata-sources"
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.time_limit, args.data_dir, args.gap)))
        return
    print(
        f"{'instance':<14}{'method':<14}{'comps':>7}{'largest':>8}{'first s':>9}{'proof s':>9}{'total s':>9}"
        f"{'gap':>9}{'peak MB':>9}{'objective':>15}  ratio"
    )
    for name in args.instances:
        times = {}
        for method in args.methods:
            command = [
                sys.executable,
                __file__,
                "--one",
                name,
                method,
                "--time-limit",
                str(args.time_limit),
                "--data-dir",
                str(args.data_dir),
                *([] if args.gap is None else ["--gap", str(args.gap)]),
            ]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.timeout, check=True
                )
                r = json.loads(done.stdout.strip().splitlines()[-1])
            except (
                subprocess.TimeoutExpired,
                subprocess.CalledProcessError,
                ValueError,
                IndexError,
            ) as error:
                print(f"{name:<14}{method:<14}  failed: {str(error)[:200]}")
                continue
            times[method] = r["total_s"]
            ratio = f"{times['mip'] / r['total_s']:.2f}x" if method != "mip" and "mip" in times else ""
            gap = "-" if r["gap"] is None else f"{r['gap']:.3%}"
            proof = "-" if r["proof_s"] is None else f"{r['proof_s']:.1f}"
            comps, largest = r["components"] or "-", r["largest"] or "-"
            print(
                f"{name:<14}{r['method']:<14}{comps:>7}{largest:>8}{r['first_s']:>9.1f}{proof:>9}"
                f"{r['total_s']:>9.1f}{gap:>9}{r['peak_mb']:>9.0f}{r['objective'] or 0:>15,.0f}  {ratio}",
                flush=True,
            )
        for m in ("auto", "components"):
            if m in times and "mip" in times:
                print(f"{'':<14}time ratio mip / {m}: {times['mip'] / times[m]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
