"""Maximal coverage solved from the sparse arrays on HiGHS, every phase under one deadline.

The glue between :func:`coverage.models.location.maximal_coverage` and
:func:`coverage.models.highs_matrix.solve_coverage_matrix`. The time limit
bounds the whole call from the instance's preparation: the phases run
cheapest first (dominated sites, merged rows, the greedy start, exchanges,
the LP-rounded start), each only while its share of the limit is left
(:data:`PHASE_SHARES`), a phase that would not fit is skipped with a log line,
and HiGHS gets what is left. Every phase is linear in the pairs, or stops at
its deadline.

Used where the site count is the only constraint (no department rules, no
budget, no decaying weights; forced and closed sites are fine), with
``solver='highs'``, or ``solver='auto'`` on models of
:data:`MATRIX_MIN_PAIRS` pairs or more: measured in ``benchmarks/exact.py``
(``benchmarks/RESULTS.md``, "Maximal coverage: matrix input and one
deadline"), HiGHS from the arrays starts 20-30 s earlier than CBC through
PuLP and an MPS file on the national instances, and keeps to its limit.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from coverage.inputs.rules import DepartmentRules
from coverage.models.exact_coverage import why_not_decomposable
from coverage.models.formulation import (
    dominated_columns,
    drop_columns,
    greedy_cover,
    improve_by_swaps,
    lp_rounded_cover,
    merge_identical_rows,
)
from coverage.models.highs_matrix import _covered, solve_coverage_cbc, solve_coverage_matrix
from coverage.models.instance import Instance
from coverage.models.solver import SolveResult, SolverOptions
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["MATRIX_MIN_PAIRS", "PHASE_SHARES", "by_matrix"]

#: ``solver='auto'`` takes the matrix path from this many reach pairs in the model.
MATRIX_MIN_PAIRS = 20_000

#: Share of the time limit, counted from the instance's preparation, by which each phase must end.
PHASE_SHARES = {"dominance": 0.2, "exchanges": 0.3, "lp_start": 0.45}

#: Seconds HiGHS always gets, even when the earlier phases used the whole limit.
MIN_SOLVER_SECONDS = 1.0

#: Merged pairs from which the LP-rounded start is tried.
LP_START_PAIRS = 100_000
import os

LP_START = os.environ.get("MC_LP_START", "1") == "1"


def by_matrix(
    inst: Instance,
    rules: DepartmentRules,
    max_sites: int,
    options: SolverOptions,
    constraints: Constraints,
) -> Plan | None:
    """The plan solved on HiGHS from the arrays, or None where the PuLP model is used."""
    if options.solver == "cbc" or why_not_decomposable(inst, rules) is not None:
        return None
    if options.solver == "auto" and len(inst.cols) < MATRIX_MIN_PAIRS:
        return None
    limit = options.time_limit
    started = inst.started
    end = None if limit is None else started + limit

    def by(share: str) -> float | None:
        return None if limit is None else started + PHASE_SHARES[share] * limit

    def left() -> float:
        return np.inf if end is None else end - time.perf_counter()

    n = inst.n_model_sites
    clock = time.perf_counter()
    dropped = dominated_columns(inst.indptr, inst.cols, n, keep=inst.model_forced, deadline=by("dominance"))
    indptr, cols = drop_columns(inst.indptr, inst.cols, dropped)
    merged = merge_identical_rows(indptr, cols, inst.row_need)
    allowed = ~dropped
    logger.info(
        "maximal coverage (HiGHS, arrays): %d sites dominated, %d units merged into %d rows, %d pairs, %.1f s",
        int(dropped.sum()),
        len(inst.row_need),
        merged.n_rows,
        len(merged.cols),
        time.perf_counter() - clock,
    )
    clock = time.perf_counter()
    args = (merged.indptr, merged.cols, merged.need)
    chosen = greedy_cover(*args, n, max_sites, forced=inst.model_forced, allowed=allowed)
    value = _covered(*args, chosen)
    logger.info("maximal coverage: greedy start %.6g in %.1f s", value, time.perf_counter() - clock)
    clock = time.perf_counter()
    if _fits("exchanges", by("exchanges")):
        chosen = improve_by_swaps(
            *args,
            chosen,
            locked=inst.model_forced,
            allowed=allowed,
            candidates=500,
            deadline=by("exchanges"),
        )
        value = _covered(*args, chosen)
        logger.info("maximal coverage: exchanges %.6g in %.1f s", value, time.perf_counter() - clock)
    clock = time.perf_counter()
    if LP_START and len(merged.cols) >= LP_START_PAIRS and _fits("LP-rounded start", by("lp_start")):
        stop = by("lp_start")
        rounded = lp_rounded_cover(
            *args,
            n,
            max_sites,
            allowed=allowed,
            forced=inst.model_forced,
            time_limit=None if stop is None else max(0.5, stop - time.perf_counter()),
        )
        if rounded is not None:
            rounded = improve_by_swaps(
                *args, rounded, locked=inst.model_forced, allowed=allowed, candidates=300, deadline=stop
            )
            rounded_value = _covered(*args, rounded)
            if rounded_value > value:
                chosen, value = rounded, rounded_value
        logger.info("maximal coverage: LP-rounded start %.6g in %.1f s", value, time.perf_counter() - clock)
    solver_seconds = None if end is None else max(MIN_SOLVER_SECONDS, left())
    build_seconds = inst.timer()()
    solver = "highs" if options.solver == "highs" else "cbc"
    run = solve_coverage_matrix if solver == "highs" else solve_coverage_cbc
    found = run(
        *args,
        n,
        max_sites,
        forced=inst.model_forced,
        allowed=allowed,
        start=chosen,
        time_limit=solver_seconds,
        gap=options.gap,
        threads=options.threads,
        node_limit=options.node_limit,
        msg=options.msg,
    )
    logger.info(
        "maximal coverage (%s, arrays): %s %.6g, bound %s, %.1f s (start %.6g after %.1f s)",
        solver,
        found.status,
        found.objective or 0.0,
        "-" if found.bound is None else f"{found.bound:.6g}",
        found.seconds,
        value,
        build_seconds,
    )
    if found.gap is not None and options.gap and found.status != "optimal" and found.gap <= options.gap:
        logger.info("maximal coverage: proven within the requested gap %.3g (%.3g)", options.gap, found.gap)
    solved = SolveResult(found.status, found.objective, found.bound, found.seconds, solver)
    solution = inst.solution(
        "maximal_coverage",
        solved,
        found.open,
        build_seconds=build_seconds,
        solve_seconds=found.seconds,
        sense="max",
        method="warm_start" if found.from_start else "mip",
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )


def _fits(phase: str, deadline: float | None) -> bool:
    """Whether ``phase`` may start (its deadline not passed); logs the skip."""
    if deadline is None or time.perf_counter() < deadline:
        return True
    logger.info("maximal coverage: %s skipped, its share of the time limit is spent", phase)
    return False
