"""Capacitated p-median on spopt's schools set: this library against spopt.

    python benchmarks/capacitated.py [--reference ../shared/reference-instances] [--runs 3]

spopt's test instance (``spopt_sf``: students x schools, travel minutes,
capacities ``Count``, p = 10, the priority-1 schools forced open and filled
first; spopt's answer: mean travel time 87.2 minutes). This library:
``p_median(capacity="Count", forced=..., fill_forced=True)`` with CBC, which
reports each student's distance to the *assigned* school. spopt:
``PMedian.from_cost_matrix(..., facility_capacities=..., fulfill_predefined_fac=True)``
with CBC, built from the dense cost matrix as its own test builds it (missing
pairs cost 10,000). spopt is a benchmark-only dependency (``pip install -e '.[bench]'``).
Prints per library the median seconds over ``--runs`` (build and solve), the
status, the mean distance and the objective, then the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def _tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    times = pd.read_csv(folder / "example_subject_student_school_journeys.csv")
    students = pd.read_csv(folder / "example_subject_students.csv")
    schools = pd.read_csv(folder / "example_subject_schools.csv")
    return times, students, schools


def run_coverage(folder: Path) -> dict[str, object]:
    """This library's capacitated p-median; the figures as a dict."""
    from coverage import Reach
    from coverage.models.location import p_median
    from coverage.models.solver import SolverOptions

    started = time.perf_counter()
    times, students, schools = _tables(folder)
    demand = pd.DataFrame({"unit_id": students["ST: ID"].astype(str), "need": 1.0})
    sites = pd.DataFrame({"site_id": schools["SE2 PP: Code"].astype(str), "Count": schools["Count"]})
    reach = Reach.from_pairs(
        demand["unit_id"],
        sites["site_id"],
        times["student"].astype(str),
        times["school"].astype(str),
        times["time"],
        unit="min",
    )
    forced = sites["site_id"][schools["priority"] == 1].tolist()
    plan = p_median(
        demand,
        sites,
        reach,
        p=10,
        capacity="Count",
        forced=forced,
        fill_forced=True,
        options=SolverOptions(solver="cbc"),
    )
    seconds = time.perf_counter() - started
    return {"status": plan.status, "mean": plan.mean_distance, "objective": plan.objective, "s": seconds}


def run_spopt(folder: Path) -> dict[str, object]:
    """spopt's capacitated p-median, as its own test builds it; the figures as a dict."""
    import numpy as np
    import pulp
    from spopt.locate import PMedian

    started = time.perf_counter()
    times, students, schools = _tables(folder)
    cost = (
        times.pivot_table(columns="school", fill_value=10000, index="student", sort=False, values="time")
        .astype(int)
        .values
    )
    model = PMedian.from_cost_matrix(
        cost,
        np.ones(len(students)),
        10,
        predefined_facilities_arr=np.array(schools[schools["priority"] == 1].index.tolist()),
        facility_capacities=np.array(schools["Count"]),
        fulfill_predefined_fac=True,
    )
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    seconds = time.perf_counter() - started
    status = pulp.LpStatus[model.problem.status].lower()
    return {
        "status": status,
        "mean": float(model.mean_dist),
        "objective": pulp.value(model.problem.objective),
        "s": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", type=Path, default=HERE.parents[1] / "shared" / "reference-instances")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = args.reference / "spopt_sf"
    medians = {}
    runners = [("coverage", run_coverage), ("spopt", run_spopt)]
    if importlib.util.find_spec("spopt") is None:
        print("spopt is not installed: pip install -e '.[bench]' to compare with it; the library alone:")
        runners = runners[:1]
    for name, run in runners:
        results = [run(folder) for _ in range(args.runs)]
        medians[name] = statistics.median(float(r["s"]) for r in results)  # type: ignore[arg-type]
        last = results[-1]
        print(
            f"{name}: {last['status']}, mean distance {last['mean']:.4g} min, "
            f"objective {last['objective']:.6g}, median {medians[name]:.3f} s over {args.runs} runs",
            flush=True,
        )
    if "spopt" in medians:
        print(f"ratio spopt / coverage: {medians['spopt'] / medians['coverage']:.2f}x")


if __name__ == "__main__":
    main()
