"""Batch throughput: 100 demo cases on 1 and on 2 local Dask workers.

    python benchmarks/batch.py                  # 3 runs of each
    python benchmarks/batch.py --runs 5 --workers 1 2 4

The grid is ``objective.max_sites`` 3..27 x ``access.rural`` 10, 12.5, 15 and
20 km on the shipped ``demo`` scenario: 100 distinct cases, each a full
``load_scenario`` + ``run_scenario`` (embedded data, CBC). Each run starts a
fresh ``LocalCluster`` (processes, one thread per worker) and writes into a
fresh output folder. The timed part is :func:`coverage.batch.run.run_batch` on
that cluster; the cluster start and a warm-up (each worker imports the library
and reads the embedded communes once) are reported apart. Figures are medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from coverage.batch.grid import cases_from_mapping
from coverage.batch.run import run_batch
from coverage.scenario.run import shipped_scenario

GRID = {
    "grid": {
        "objective.max_sites": {"start": 3, "stop": 27},
        "access.rural": [10000.0, 12500.0, 15000.0, 20000.0],
    }
}


def _warm_up() -> int:
    from coverage.data.embedded import load_communes
    from coverage.scenario.run import run_scenario  # noqa: F401

    return len(load_communes(["23", "87"]))


def one_run(n_workers: int) -> tuple[float, float, float, float]:
    """(cluster start s, warm-up s, batch s, mean seconds of one case in its worker) of one fresh cluster."""
    from distributed import Client, LocalCluster

    cases = cases_from_mapping(GRID)
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter()
        client.run(_warm_up)
        warm = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            result = run_batch(shipped_scenario("demo"), cases, Path(folder) / "out", client=client)
            done = time.perf_counter()
        if len(result.summary) != len(cases):
            raise RuntimeError(f"batch incomplete: {len(result.summary)} of {len(cases)} cases")
        for row in result.not_ok.itertuples():
            print(f"  (case {row.case} {row.label}: {row.status}: {row.error})")
    return started - start, warm - started, done - warm, float(result.timings["seconds"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    n_cases = len(cases_from_mapping(GRID))
    rates: dict[int, float] = {}
    print("workers | run | start s | warm-up s | batch s | cases/min | s/case in worker | workers busy")
    for n_workers in args.workers:
        times = []
        for run in range(1, args.runs + 1):
            start, warm, batch, per_case = one_run(n_workers)
            times.append((start, warm, batch, per_case))
            rate = 60 * n_cases / batch
            busy = per_case * n_cases / (n_workers * batch)
            print(
                f"{n_workers:7d} | {run:3d} | {start:7.2f} | {warm:9.2f} | {batch:7.2f} | {rate:9.1f} | "
                f"{per_case:16.3f} | {busy:12.0%}"
            )
        batch_median = statistics.median(t[2] for t in times)
        rates[n_workers] = 60 * n_cases / batch_median
        start_median, warm_median, _, per_case_median = (
            statistics.median(c) for c in zip(*times, strict=True)
        )
        print(
            f"{n_workers:7d} | med | {start_median:7.2f} | {warm_median:9.2f} | {batch_median:7.2f} | "
            f"{rates[n_workers]:9.1f} | {per_case_median:16.3f} |"
        )
    base = rates.get(1)
    if base:
        for n_workers, rate in rates.items():
            if n_workers > 1:
                ratio = rate / base
                efficiency = ratio / n_workers
                print(f"{n_workers} workers / 1 worker: {ratio:.2f}x, scaling efficiency {efficiency:.0%}")


if __name__ == "__main__":
    main()
