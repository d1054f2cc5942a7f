"""National staffing proven optimal: the greedy plan with its bound against the plain MIP.

    python benchmarks/staffing.py [--data-dir ../shared/geodata-sources]
        [--instances national,national-4000] [--methods greedy_bound,mip] [--mip-limit 60]

Instances:

- ``national``: the founding case's partners (La Poste 100 advisors x 4 offices,
  Croix-Rouge 80, Groupe SOS 100, sharing premises, 24 months) over every
  eligible site of ``benchmarks/national.py`` (36,268 units x 21,904 sites,
  800,000 unit-site pairs);
- ``national-4000``: the shipped scenario (4,000 advisors, at least 5 per
  department, France Services and host structures, capacity 2).

Each (instance, method) runs in its own process, so its peak memory is its own.
Prints, per row: method, the plan's method, seconds to the first incumbent
(the greedy plan; for the MIP, its first phase when it ends), seconds to the
proof (the staffing call), end to end (files read, reach, staffing), the gap at
the end (the MIP stops at ``--mip-limit`` seconds of each phase), the need
served and the bound, and the peak memory; then the ratio of the MIP's
end-to-end time to the greedy's.
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


def _inputs(name: str, data: Path):
    """(demand, sites, reach, staffing keyword arguments, seconds to read and reach)."""
    started = time.perf_counter()
    if name == "national":
        sys.path.insert(0, str(HERE))
        import national  # type: ignore[import-not-found]

        from coverage.reach.layers import build_reach
        from coverage.reach.rules import ZoneRadius

        demand, sites = national.load(data)
        reach = build_reach(demand, sites, ZoneRadius())
        partners, sharing, horizon = national.founding_partners()
        kwargs = {"sharing": sharing, "horizon": horizon}
        return demand, sites, reach, partners, kwargs, time.perf_counter() - started
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.run import run_scenario, shipped_scenario, site_choices

    scenario = load_scenario(shipped_scenario(name))
    # The scenario's own run reads the files and builds the reach (and solves, method 'auto').
    run = run_scenario(scenario, data_dir=data)
    read_s = sum(run.timings[k] for k in ("load", "demand", "sites", "reach"))
    kwargs = {
        "sharing": scenario.to_sharing(),
        "horizon": scenario.to_horizon(),
        "rules": scenario.to_rules(),
        "forced": scenario.objective.forced,
        "closed": scenario.objective.closed,
        "budget": scenario.objective.budget,
    }
    sites = site_choices(scenario, run.sites)
    return run.demand, sites, run.reach, scenario.to_partners(), kwargs, read_s


def one(name: str, method: str, data: Path, mip_limit: float) -> dict[str, object]:
    """Run one instance with one method; the row as a dict."""
    import importlib

    from coverage.models.instance import prepare
    from coverage.models.solver import SolverOptions
    from coverage.models.staffing import staffing

    demand, sites, reach, partners, kwargs, read_s = _inputs(name, data)
    row: dict[str, object] = {"instance": name, "method": method, "pairs": reach.n_pairs}
    if method == "greedy_bound":
        module = importlib.import_module("coverage.models.staffing")
        greedy = importlib.import_module("coverage.models.staffing_greedy")
        started = time.perf_counter()
        inst = prepare(demand, sites, reach, forced=kwargs.get("forced", ()), closed=kwargs.get("closed", ()))
        allowed = module._allowed(
            partners, module._owners(inst), kwargs["sharing"], set(inst.sites["partner"].astype(str))
        )
        capacity = module._capacity(inst)
        bounds = greedy.slot_bounds(
            partners, module._full(allowed, len(partners), inst.n_model_sites), capacity
        )
        months = kwargs["horizon"].months
        greedy.greedy_start(inst, partners, bounds, capacity, months, kwargs.get("rules") or _no_rules())
        row["first incumbent s"] = time.perf_counter() - started
    options = SolverOptions(solver="highs", time_limit=mip_limit) if method == "mip" else None
    started = time.perf_counter()
    plan = staffing(demand, sites, reach, partners, method=method, options=options, **kwargs)
    model_s = time.perf_counter() - started
    if method == "mip":
        row["first incumbent s"] = None
    row.update(
        {
            "plan method": plan.method,
            "status": plan.status,
            "proof s": model_s if plan.status == "optimal" else None,
            "model s": model_s,
            "end to end s": read_s + model_s,
            "served": plan.served_need,
            "bound": plan.bound,
            "gap": plan.gap,
            "open": len(plan.open_site_ids),
            "peak MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
    return row


def _no_rules():
    from coverage.inputs.rules import DepartmentRules

    return DepartmentRules()


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=HERE.parents[1] / "shared" / "geodata-sources")
    parser.add_argument("--instances", default="national,national-4000")
    parser.add_argument("--methods", default="greedy_bound,mip")
    parser.add_argument("--mip-limit", type=float, default=60.0, help="MIP seconds (HiGHS) per phase")
    parser.add_argument("--one", nargs=2, metavar=("INSTANCE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        import logging

        logging.basicConfig(level=logging.ERROR)
        print(json.dumps(one(args.one[0], args.one[1], args.data_dir, args.mip_limit)))
        return
    columns = [
        "instance", "method", "plan method", "status", "first incumbent s", "proof s", "end to end s",
        "gap", "served", "bound", "open", "peak MB",
    ]  # fmt: skip
    print(" | ".join(columns))
    rows = []
    for name in args.instances.split(","):
        for method in args.methods.split(","):
            command = [sys.executable, __file__, "--one", name, method, "--data-dir", str(args.data_dir)]
            command += ["--mip-limit", str(args.mip_limit)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if not lines:
                print(f"{name} | {method} | failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(lines[-1])
            rows.append(row)
            print(" | ".join(_cell(row.get(c)) for c in columns), flush=True)
    for name in args.instances.split(","):
        by = {r["method"]: r for r in rows if r["instance"] == name}
        if "greedy_bound" in by and "mip" in by:
            ratio = by["mip"]["end to end s"] / by["greedy_bound"]["end to end s"]
            print(f"{name}: the plain MIP ({by['mip']['status']}) took {ratio:.1f}x the greedy's end to end")


if __name__ == "__main__":
    main()
