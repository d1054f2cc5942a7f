"""The founding case's shortlist proven: served-departments formulation against the plain MIP.

    python benchmarks/founding.py [--data-dir ../shared/geodata-sources]
        [--methods departments,mip] [--time-limit 60]

The shortlist of ``geodata/scenarios/laposte-2021.toml``: of about 5,600 eligible
post offices, the 400 in exactly 57 departments that reach the most need
(maximal coverage, zone-radius reach). The scenario's own run builds the
inputs; its shortlist call is recorded and stopped, then each method solves
that same call in its own process (its peak memory is its own):

- ``departments``: ``formulation='departments'`` (HiGHS on the stronger
  formulation of :mod:`coverage.models.served_departments`, what ``auto`` picks);
- ``mip``: ``formulation='mip'``, CBC, the textbook model with the greedy start.

Prints per row: the plan's method and status, seconds to the first incumbent
(the greedy start that both methods hand the solver), seconds to the proof
(the call, when the plan is optimal), the gap at ``--time-limit`` seconds, the
need reached, the bound and the peak memory; then the ratio of times. spopt
has no "departments served" rule (its MCLP has only the site count), so it
has no row.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _Recorded(Exception):
    pass


def _shortlist_call(data: Path) -> tuple[tuple, dict, float]:
    """The arguments of the scenario's shortlist call, and the seconds to build them."""
    import coverage.models.location as location
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.run import run_scenario, shipped_scenario

    seen: dict[str, object] = {}

    def record(*args, **kwargs):
        seen["call"] = (args, kwargs)
        raise _Recorded

    real = location.maximal_coverage
    location.maximal_coverage = record
    started = time.perf_counter()
    try:
        run_scenario(load_scenario(shipped_scenario("laposte-2021")), data_dir=data)
    except _Recorded:
        pass
    finally:
        location.maximal_coverage = real
    args, kwargs = seen["call"]  # type: ignore[misc]
    return args, kwargs, time.perf_counter() - started


def one(method: str, data: Path, limit: float) -> dict[str, object]:
    """Solve the shortlist with one method; the row as a dict."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    from coverage.models.builders import department_start
    from coverage.models.formulation import dominated_columns, drop_columns, merge_identical_rows
    from coverage.models.instance import prepare
    from coverage.models.location import maximal_coverage

    (demand, sites, reach), kwargs, inputs_s = _shortlist_call(data)
    rules, max_sites = kwargs["rules"], kwargs["max_sites"]
    started = time.perf_counter()
    inst = prepare(demand, sites, reach, rules=rules)
    codes = pd.factorize(pd.Series(inst.model_site_dep))[0]
    dropped = dominated_columns(
        inst.indptr, inst.cols, inst.n_model_sites, keep=inst.model_forced, group=codes
    )
    indptr, cols = drop_columns(inst.indptr, inst.cols, dropped)
    merged = merge_identical_rows(indptr, cols, inst.row_need)
    start = department_start(merged, inst, dropped, max_sites, int(rules.serve_exactly))
    first_s = time.perf_counter() - started
    covered = np.zeros(merged.n_rows, bool)
    covered[np.repeat(np.arange(merged.n_rows), np.diff(merged.indptr))[start[merged.cols]]] = True
    solver = "auto" if method == "departments" else "cbc"
    options = replace(kwargs["options"], solver=solver, time_limit=limit)
    started = time.perf_counter()
    plan = maximal_coverage(
        demand,
        sites,
        reach,
        max_sites=max_sites,
        rules=rules,
        options=options,
        formulation="departments" if method == "departments" else "mip",
    )
    call_s = time.perf_counter() - started
    return {
        "method": method,
        "plan method": plan.method,
        "status": plan.status,
        "first incumbent s": first_s,
        "start value": float(merged.need[covered].sum()),
        "proof s": call_s if plan.status == "optimal" else None,
        "call s": call_s,
        "gap at limit": plan.gap,
        "reached": plan.objective,
        "bound": plan.bound,
        "open": len(plan.open_site_ids),
        "inputs s": inputs_s,
        "peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=HERE.parents[1] / "shared" / "geodata-sources")
    parser.add_argument("--methods", default="departments,mip")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver seconds for the call")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        import logging

        logging.basicConfig(level=logging.ERROR)
        print(json.dumps(one(args.one, args.data_dir, args.time_limit)))
        return
    columns = [
        "method", "plan method", "status", "first incumbent s", "start value", "proof s", "call s",
        "gap at limit", "reached", "bound", "open", "peak MB",
    ]  # fmt: skip
    print(" | ".join(columns))
    rows = {}
    for method in args.methods.split(","):
        command = [sys.executable, __file__, "--one", method, "--data-dir", str(args.data_dir)]
        command += ["--time-limit", str(args.time_limit)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"{method} | failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        rows[method] = json.loads(lines[-1])
        print(" | ".join(_cell(rows[method].get(c)) for c in columns), flush=True)
    if "departments" in rows and "mip" in rows:
        ratio = rows["mip"]["call s"] / rows["departments"]["call s"]
        mip = rows["mip"]
        print(f"the plain MIP ({mip['status']}, gap {mip['gap at limit']:.2%}) took {ratio:.1f}x")


if __name__ == "__main__":
    main()
