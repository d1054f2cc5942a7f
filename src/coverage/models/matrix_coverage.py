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
from collections.abc import Callable

import numpy as np

from coverage.inputs.rules import DepartmentRules
from coverage.models.coverage_bounds import greedy_bound, relaxation
from coverage.models.exact_coverage import why_not_decomposable
from coverage.models.formulation import (
    Merged,
    dominated_columns,
    drop_columns,
    greedy_cover,
    improve_by_swaps,
    merge_identical_rows,
)
from coverage.models.highs_matrix import _covered, solve_coverage_cbc, solve_coverage_matrix
from coverage.models.instance import Instance
from coverage.models.live import current_watch
from coverage.models.solver import SolveResult, SolverOptions
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["MATRIX_MIN_PAIRS", "PHASE_SHARES", "by_matrix"]

#: ``solver='auto'`` takes the matrix path from this many reach pairs in the model.
MATRIX_MIN_PAIRS = 20_000

#: Share of the time limit, counted from the instance's preparation, by which each phase must end.
PHASE_SHARES = {"dominance": 0.2, "exchanges": 0.3, "relaxation": 0.45, "rounding": 0.5}

#: Seconds the solver always gets, even when the earlier phases used the whole limit.
MIN_SOLVER_SECONDS = 1.0

#: Merged pairs from which, and below which, the LP relaxation is solved (bound, LP-rounded start,
#: reduced-cost fixing). Measured (``benchmarks/RESULTS.md``): on the 35k x 17k benchmark (333,000
#: merged pairs) its rounding starts CBC at 38.21 M against 37.65 M, which CBC does not reach in
#: 60 s; on the real national instance (623,000) it costs 17-24 s, fixes no site closed, and CBC's
#: own dives from the greedy start find better plans in that time.
LP_START_PAIRS = 100_000
LP_START_MAX_PAIRS = 500_000


def by_matrix(
    inst: Instance,
    rules: DepartmentRules,
    max_sites: int,
    options: SolverOptions,
    constraints: Constraints,
) -> Plan | None:
    """The plan solved from the arrays (CBC, or HiGHS), or None where the PuLP model is used.

    ``solver='cbc'`` always keeps the PuLP model; ``'highs'`` always takes
    this path (HiGHS); ``'auto'`` takes it with CBC from
    :data:`MATRIX_MIN_PAIRS` pairs.
    """
    if options.solver == "cbc" or why_not_decomposable(inst, rules) is not None:
        return None
    if options.solver == "auto" and len(inst.cols) < MATRIX_MIN_PAIRS:
        return None
    limit = options.time_limit
    end = None if limit is None else inst.started + limit

    def by(share: str) -> float | None:
        return None if limit is None else inst.started + PHASE_SHARES[share] * limit

    n = inst.n_model_sites
    clock = time.perf_counter()
    dropped = dominated_columns(inst.indptr, inst.cols, n, keep=inst.model_forced, deadline=by("dominance"))
    indptr, cols = drop_columns(inst.indptr, inst.cols, dropped)
    merged = merge_identical_rows(indptr, cols, inst.row_need)
    allowed, forced = ~dropped, inst.model_forced.copy()
    logger.info(
        "maximal coverage (arrays): %d sites dominated, %d units merged into %d rows, %d pairs, %.1f s",
        int(dropped.sum()),
        len(inst.row_need),
        merged.n_rows,
        len(merged.cols),
        time.perf_counter() - clock,
    )
    args = (merged.indptr, merged.cols, merged.need)
    clock = time.perf_counter()
    chosen = greedy_cover(*args, n, max_sites, forced=forced, allowed=allowed)
    value = _covered(*args, chosen)
    logger.info("maximal coverage: greedy start %.6g in %.1f s", value, time.perf_counter() - clock)
    if _fits("exchanges", by("exchanges")):
        clock = time.perf_counter()
        swaps = {"locked": forced, "allowed": allowed, "deadline": by("exchanges")}
        chosen = improve_by_swaps(*args, chosen, candidates=500, **swaps)  # type: ignore[arg-type]
        value = _covered(*args, chosen)
        logger.info("maximal coverage: exchanges %.6g in %.1f s", value, time.perf_counter() - clock)
    lp_bound = None
    sized = LP_START_PAIRS <= len(merged.cols) < LP_START_MAX_PAIRS
    if sized and _fits("LP relaxation", by("relaxation")):
        chosen, value, lp_bound = _from_relaxation(
            inst, merged, chosen, value, allowed, forced, max_sites, by
        )
    solver = "highs" if options.solver == "highs" else "cbc"
    build_seconds = inst.timer()()
    run = solve_coverage_matrix if solver == "highs" else solve_coverage_cbc
    found = run(
        *args,
        n,
        max_sites,
        forced=forced,
        allowed=allowed,
        start=chosen,
        time_limit=None if end is None else max(MIN_SOLVER_SECONDS, end - time.perf_counter()),
        gap=options.gap,
        threads=options.threads,
        node_limit=options.node_limit,
        msg=options.msg,
    )
    bound = found.bound
    if found.objective is not None:
        # Each bounds every plan (sites fixed by reduced cost only exclude plans below the start).
        for other in (lp_bound, greedy_bound(*args, chosen, max_sites, allowed=~dropped)):
            if other is not None:
                bound = other if bound is None else min(bound, other)
        bound = max(bound, found.objective)  # type: ignore[type-var]
    status = found.status
    if status == "feasible" and found.objective is not None and bound is not None:
        status = "optimal" if bound - found.objective <= 1e-9 * max(1.0, found.objective) else status
    logger.info(
        "maximal coverage (%s, arrays): %s %.6g, bound %s, %.1f s (start %.6g after %.1f s)",
        solver,
        status,
        found.objective or 0.0,
        "-" if bound is None else f"{bound:.6g}",
        found.seconds,
        value,
        build_seconds,
    )
    if found.objective and bound is not None and options.gap and status != "optimal":
        reached = (bound - found.objective) / found.objective
        if reached <= options.gap:
            logger.info("maximal coverage: proven within the requested gap %.3g (%.3g)", options.gap, reached)
    watch = current_watch()
    stopped = watch is not None and watch.stop_requested and status != "optimal"
    if watch is not None:
        watch.stopped += int(stopped)
    solved = SolveResult(status, found.objective, bound, found.seconds, solver, stopped)
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


def _from_relaxation(
    inst: Instance,
    merged: Merged,
    chosen: np.ndarray,
    value: float,
    allowed: np.ndarray,
    forced: np.ndarray,
    max_sites: int,
    by: Callable[[str], float | None],
) -> tuple[np.ndarray, float, float | None]:
    """The LP relaxation: a rounded start if better, its bound, and sites fixed by reduced cost.

    ``allowed`` and ``forced`` are updated in place with the fixings (exact:
    every plan better than the start keeps them).
    """
    args = (merged.indptr, merged.cols, merged.need)
    clock = time.perf_counter()
    stop = by("relaxation")
    lp = relaxation(
        *args,
        inst.n_model_sites,
        max_sites,
        forced=forced,
        allowed=allowed,
        time_limit=None if stop is None else stop - time.perf_counter(),
    )
    if lp is None:
        logger.info("maximal coverage: LP relaxation not solved in its share of the limit")
        return chosen, value, None
    score = np.where(allowed, lp.y, -np.inf) + 2.0 * forced
    rounded = np.zeros(inst.n_model_sites, dtype=bool)
    rounded[np.argsort(-score, kind="stable")[:max_sites]] = True
    rounded &= np.isfinite(score)
    rounded = improve_by_swaps(
        *args, rounded, locked=forced, allowed=allowed, candidates=300, deadline=by("rounding")
    )
    rounded_value = _covered(*args, rounded)
    if rounded_value > value:
        chosen, value = rounded, rounded_value
    closed, opened = lp.fixings(value)
    # Only fixings the start agrees with, so that it stays a start of the fixed model.
    closed &= ~chosen
    opened &= chosen
    allowed &= ~closed
    forced |= opened & allowed
    logger.info(
        "maximal coverage: LP bound %.6g, LP-rounded start %.6g, best start %.6g (gap %.3f %%); "
        "reduced costs fix %d sites closed and %d open; %.1f s",
        lp.bound,
        rounded_value,
        value,
        100 * (lp.bound - value) / max(value, 1e-9),
        int(closed.sum()),
        int((opened & allowed).sum()),
        time.perf_counter() - clock,
    )
    return chosen, value, lp.bound


def _fits(phase: str, deadline: float | None) -> bool:
    """Whether ``phase`` may start (its deadline not passed); logs the skip."""
    if deadline is None or time.perf_counter() < deadline:
        return True
    logger.info("maximal coverage: %s skipped, its share of the time limit is spent", phase)
    return False
