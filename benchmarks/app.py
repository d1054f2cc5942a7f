"""The map app's responsiveness: demo re-solve time and the HTML payload of the maps.

    python benchmarks/app.py [--runs 5] [--data-dir ../shared/geodata-sources] [--skip-national]

1. Re-solve after a settings change, the demo scenario (embedded data): the
   number of sites goes 12 -> 13 -> 14 ... and each plan is solved again with
   :func:`coverage.app.session.resolve` (demand, sites and reach reused, as the
   app does). Prints the median of ``--runs`` re-solves, and the median of as
   many app reruns after a slider change (streamlit's AppTest: settings, solve,
   KPI cards, map, tables, exports), against the 3 s goal.
2. HTML payload of :func:`coverage.plan.maps.plan_map` for the demo plan and for a
   national view: a maximal-coverage plan over every department, town halls as
   candidate sites, 400 sites; the demand uses the QPV demography and the
   fragility index from the data folder when it has them (else the embedded
   data alone). Goal: under 5 MB.

The machine is shared and noisy: quote medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from coverage.app.session import map_html, resolve
from coverage.app.settings import load_view
from coverage.plan.maps import plan_map
from coverage.scenario.run import run_scenario, shipped_scenario

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 3.0
GOAL_BYTES = 5_000_000


def resolve_times(runs: int) -> list[float]:
    path = shipped_scenario("demo")
    run = run_scenario(load_view(path, {}))
    times = []
    for i in range(runs):
        scenario = load_view(path, {"objective.max_sites": str(13 + i)})
        start = time.perf_counter()
        resolve(scenario, previous=run)
        times.append(time.perf_counter() - start)
    return times


def app_rerun_times(runs: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from coverage.app import PAGE

    main_module = sys.modules["__main__"]
    app = AppTest.from_file(str(PAGE), default_timeout=120).run()
    times = []
    for i in range(runs):
        slider = app.sidebar.slider(key="w:objective.max_sites")
        start = time.perf_counter()
        slider.set_value(13 + i).run()
        times.append(time.perf_counter() - start)
        if app.exception:
            raise RuntimeError(app.exception[0].value)
    sys.modules["__main__"] = main_module  # Streamlit leaves the app script there
    return times


def payload(overrides: dict[str, str]) -> tuple[int, float, int]:
    """HTML bytes of the plan map, seconds to run the scenario, open sites."""
    start = time.perf_counter()
    run = run_scenario(load_view(shipped_scenario("demo"), overrides))
    seconds = time.perf_counter() - start
    html = map_html(plan_map(run.plan, candidates=run.sites))
    return len(html.encode()), seconds, len(run.plan.open_site_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "geodata-sources")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()

    times = resolve_times(args.runs)
    print(
        f"demo re-solve after a settings change (library): median {statistics.median(times):.2f} s "
        f"over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); goal < {GOAL_SECONDS:.0f} s"
    )
    times = app_rerun_times(args.runs)
    print(
        f"demo app rerun after a slider change (AppTest): median {statistics.median(times):.2f} s "
        f"over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); goal < {GOAL_SECONDS:.0f} s"
    )

    size, _, sites = payload({})
    print(f"demo map HTML: {size / 1e6:.2f} MB ({sites} open sites); goal < {GOAL_BYTES / 1e6:.0f} MB")
    if args.skip_national:
        return
    national = {"territory.departments": '"all"', "objective.max_sites": "400", "solver.time_limit": "120.0"}
    real = args.data_dir / "qpv" / "qpv2015_demographie_insee_DEMO_2022.csv"
    if real.is_file():
        import os

        os.environ["COVERAGE_DATA_DIR"] = str(args.data_dir)
        national |= {"demand.qpv_units": '"demography"', "demand.use_fragility": "true"}
    size, seconds, sites = payload(national)
    data = f"data folder {args.data_dir}" if real.is_file() else "embedded data only"
    print(
        f"national view map HTML: {size / 1e6:.2f} MB ({sites} open sites, every department, town halls, "
        f"{data}; run {seconds:.0f} s); goal < {GOAL_BYTES / 1e6:.0f} MB"
    )


if __name__ == "__main__":
    main()
