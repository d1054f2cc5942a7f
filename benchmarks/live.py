"""Live solver progress: what following a solve costs, and how soon a stop takes effect.

    python benchmarks/live.py [--runs 3]

1. Overhead: the demo scenario (embedded data, maximal coverage, 12 sites) and
   a random maximal coverage (1,200 units, 250 sites, 12 to open, 20 s limit)
   solved with CBC with and without a :class:`coverage.models.live.SolveWatch`
   (CBC under ``stdbuf -oL`` through a ``sh`` wrapper, its log followed every
   0.2 s). Medians of ``--runs`` solves each way.
2. Stop latency: the random model, stopped 0.5 s after the first event that
   has an incumbent; seconds from :meth:`SolveWatch.stop` to the solve's return
   (CBC ignores SIGINT until branch and bound starts, so the watch repeats it).
3. Events: how many progress events and seconds to the first incumbent.

The machine is shared and noisy: quote medians and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np
import pulp

from coverage.models.live import SolverProgress, SolveWatch, watching
from coverage.models.solver import SolverOptions, run_solver
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario, solve_scenario


def random_coverage(seed: int = 0) -> pulp.LpProblem:
    rng = np.random.default_rng(seed)
    need = rng.integers(1, 100, 1200)
    problem = pulp.LpProblem("random_coverage", pulp.LpMaximize)
    y = [problem.add_variable(f"y{j}", lowBound=0, upBound=1, cat=pulp.LpBinary) for j in range(250)]
    z = [problem.add_variable(f"z{i}", lowBound=0, upBound=1) for i in range(1200)]
    problem += pulp.lpSum(int(need[i]) * z[i] for i in range(1200))
    for i in range(1200):
        problem += z[i] <= pulp.lpSum(y[j] for j in rng.choice(250, 12, replace=False))
    problem += pulp.lpSum(y) <= 12
    return problem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")

    demo = load_scenario(shipped_scenario("demo"))
    base = run_scenario(demo)
    for name, solve in (
        ("demo solve", lambda: solve_scenario(demo, base.demand, base.sites, base.reach)),
        ("random model, 20 s limit", lambda: run_solver(random_coverage(), SolverOptions(time_limit=20))),
    ):
        times: dict[str, list[float]] = {"plain": [], "watched": []}
        for _ in range(args.runs):
            for way in ("plain", "watched"):
                started = time.perf_counter()
                with watching(SolveWatch() if way == "watched" else None):
                    solve()
                times[way].append(time.perf_counter() - started)
        plain, watched = (statistics.median(times[w]) for w in ("plain", "watched"))
        print(f"{name}: plain {plain:.2f} s, watched {watched:.2f} s (x{watched / plain:.2f})")

    latencies, firsts, counts = [], [], []
    for seed in range(args.runs):
        events: list[SolverProgress] = []
        asked: list[float] = []
        holder: list[SolveWatch] = []

        def on_progress(event: SolverProgress, events=events, asked=asked, holder=holder) -> None:
            events.append(event)
            if event.incumbent is not None and not asked:
                asked.append(time.perf_counter() + 0.5)
                threading.Timer(0.5, holder[0].stop).start()

        watch = SolveWatch(on_progress)
        holder.append(watch)
        with watching(watch):
            result = run_solver(random_coverage(seed), SolverOptions(time_limit=300))
        ended = time.perf_counter()
        latencies.append(ended - asked[0])
        firsts.append(next(e.elapsed for e in events if e.incumbent is not None))
        counts.append(len(events))
        print(
            f"seed {seed}: first incumbent {firsts[-1]:.1f} s, stop to return {latencies[-1]:.1f} s, "
            f"{len(events)} events, {result.status}, stopped={result.stopped}, gap {events[-1].gap:.2%}"
        )
    print(
        f"median: first incumbent {statistics.median(firsts):.1f} s, stop to return "
        f"{statistics.median(latencies):.1f} s, {statistics.median(counts):.0f} events"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
