"""Builders of the site-choice models: maximal coverage, set cover / target, p-median, p-center.

Each ``*_builder(instance, ...)`` returns a :data:`coverage.models.solving.Builder`:
a function of the constraint groups to leave out that makes the PuLP problem
from the instance's sparse pairs, names its constraint groups and reads the
open sites back. The maths is in :mod:`coverage.models.location`'s docstring; the
reductions and heuristics are in :mod:`coverage.models.formulation`.

Maximal coverage also prepares a warm start: the greedy pick improved by
exchanges, and on large models (:data:`LP_START_PAIRS` merged pairs or more)
the LP relaxation rounded and improved the same way, whichever covers more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pulp

from coverage.inputs.rules import DepartmentRules
from coverage.models.formulation import (
    Merged,
    binaries,
    continuous,
    dominated_columns,
    drop_columns,
    expression,
    greedy_cover,
    improve_by_swaps,
    lp_rounded_cover,
    merge_identical_rows,
    row_expressions,
)
from coverage.models.instance import Instance
from coverage.models.interchange import assignment_start, improve_median
from coverage.models.radius import greedy_median
from coverage.models.rules import add_department_rules
from coverage.models.solver import values
from coverage.models.solving import Builder, Readout, by_department, common_rows

logger = logging.getLogger(__name__)

__all__ = ["LP_START_PAIRS", "assignment_builder", "coverage_builder", "department_start"]


def coverage_builder(
    inst: Instance,
    rules: DepartmentRules,
    *,
    objective: str,
    max_sites: int | None = None,
    target: float | None = None,
    time_limit: float | None = None,
) -> Builder:
    """Maximal coverage (``objective='max'``) or set cover / target (``'min'``).

    With a ``time_limit`` (seconds, for the whole solve phase), the dominated-site
    reduction stops at a quarter of it and the LP-rounded warm start is skipped
    once half of it is spent, so that the solver keeps its share.
    """

    def deadline(share: float) -> float | None:
        return None if time_limit is None else inst.started + share * time_limit

    decay = inst.reach.weight is not None
    extra = inst.unit_dep_codes if rules.needs_unit_departments else None
    dropped = np.zeros(inst.n_model_sites, dtype=bool)
    merged = None
    if not decay:
        indptr, cols = inst.indptr, inst.cols
        # Site quotas can need a dominated site open. "K departments served" cannot:
        # dominance is within a department, so the dominating site serves it as well.
        if rules.min_sites is None:
            dropped = dominated_columns(
                indptr,
                cols,
                inst.n_model_sites,
                keep=inst.model_forced,
                group=pd.factorize(pd.Series(inst.model_site_dep))[0] if not rules.is_empty else None,
                cost=inst.model_cost if inst.budget is not None else None,
                deadline=deadline(0.25),
            )
            indptr, cols = drop_columns(indptr, cols, dropped)
        merged = merge_identical_rows(indptr, cols, inst.row_need, extra_key=extra)
        logger.info(
            "coverage model: %d units with reach merged into %d rows; %d of %d sites dominated",
            len(inst.row_need),
            merged.n_rows,
            int(dropped.sum()),
            inst.n_model_sites,
        )
    # Max-min share runs twice: first the smallest share (floor None), then the
    # total with every department held at that share (see solve_model).
    state: dict[str, object] = {"two_phase": rules.maximise_min_share, "floor": None}

    def build(skip: frozenset[str]) -> tuple[pulp.LpProblem, dict[str, str], Callable[[], Readout]]:
        sense = pulp.LpMaximize if objective == "max" else pulp.LpMinimize
        problem = pulp.LpProblem(f"coverage_{objective}", sense)
        groups: dict[str, str] = {}
        y = binaries(problem, "y", inst.n_model_sites)
        for site in np.flatnonzero(dropped).tolist():
            y[site].upBound = 0
        if merged is not None:
            z = continuous(problem, "z", merged.n_rows, upper=1)
            rows = row_expressions(y, merged.indptr, merged.cols, -1.0)
            for k, (zk, row) in enumerate(zip(z, rows, strict=True)):
                row[zk] = 1.0
                problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"c_{k}", 0))
            covered = expression(z, merged.need.tolist())
            row_dep = inst.row_dep_of(merged.group)
            served_by_dep = by_department(z, merged.need, row_dep)
        else:
            x = continuous(problem, "x", len(inst.cols), upper=1)
            gain = inst.row_need[inst.pair_rows] * inst.pair_weight
            for k, row in enumerate(row_expressions(x, inst.indptr, np.arange(len(inst.cols)))):
                problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"one_{k}", 1))
            for k, (xk, j) in enumerate(zip(x, inst.cols.tolist(), strict=True)):
                problem.addConstraint(pulp.LpConstraint(xk - y[j], pulp.LpConstraintLE, f"open_{k}", 0))
            covered = expression(x, gain.tolist())
            served_by_dep = by_department(x, gain, inst.unit_dep_of_rows(inst.pair_rows))
        if objective == "max":
            problem.setObjective(covered)
            if rules.maximise_min_share and "fair share" not in skip and served_by_dep is not None:
                floor = state["floor"]
                held = None if floor is None else max(0.0, float(floor) - 1e-9)  # type: ignore[arg-type]
                _fair_share(problem, served_by_dep, inst.coverable_need_by_dep, held)
                groups["fair share"] = f"fair share: every department served at least {held or 0:.2%}"
            if "site count" not in skip:
                problem += pulp.lpSum(y) <= max_sites, "site_count"
                groups["site count"] = f"site count: at most {max_sites} sites"
            if merged is not None and rules.is_empty and inst.budget is None and not skip:
                state["warm"] = _greedy_start(merged, inst, dropped, max_sites, y, z, deadline(0.5))
            elif merged is not None and _only_departments_served(rules) and inst.budget is None and not skip:
                state["departments_start"] = department_start(
                    merged, inst, dropped, int(max_sites or 0), int(rules.serve_exactly or 0)
                )
        else:
            problem.setObjective(pulp.lpSum(y))
            if target is not None:
                if "coverage target" not in skip:
                    problem += covered >= target, "target"
                    groups["coverage target"] = f"coverage target: {target:,.0f} need covered"
            elif merged is not None:
                for k in range(merged.n_rows):
                    problem.addConstraint(pulp.LpConstraint(z[k], pulp.LpConstraintGE, f"all_{k}", 1))
            else:
                for k, row in enumerate(row_expressions(y, inst.indptr, inst.cols)):
                    problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintGE, f"all_{k}", 1))
        common_rows(problem, inst, y, skip, groups)
        groups.update(
            add_department_rules(
                problem,
                rules,
                open_vars=y,
                site_dep=inst.model_site_dep,
                served_by_dep=served_by_dep,
                need_by_dep=inst.need_by_dep,
                skip=skip,
            )
        )
        chosen = state.pop("departments_start", None)
        if isinstance(chosen, np.ndarray) and merged is not None:
            state["warm"] = _with_department_flags(problem, merged, inst, chosen, y, z)
        return problem, groups, lambda: Readout(values(y))

    build.state = state  # type: ignore[attr-defined]
    return build


def _only_departments_served(rules: DepartmentRules) -> bool:
    return rules.serve_exactly is not None and rules == DepartmentRules(serve_exactly=rules.serve_exactly)


def department_start(
    merged: Merged, inst: Instance, dropped: np.ndarray, max_sites: int, k_departments: int
) -> np.ndarray | None:
    """A greedy start that serves exactly ``k_departments`` departments, or None.

    Without it CBC found no incumbent in 120 s on the founding case's shortlist
    (400 of 5,700 post offices in exactly 57 departments). The departments are
    those of the forced sites, then those where an unconstrained greedy covers
    the most need, then the best single sites; each gets its best site locked
    open; the greedy then fills up to ``max_sites`` inside them and exchanges
    improve the rest.
    """
    n_sites = inst.n_model_sites
    site_dep = np.asarray(inst.model_site_dep, dtype=object)
    allowed = ~dropped
    rows = np.repeat(np.arange(merged.n_rows), np.diff(merged.indptr))
    gains = np.bincount(merged.cols, weights=merged.need[rows], minlength=n_sites)
    free = greedy_cover(
        merged.indptr, merged.cols, merged.need, n_sites, max_sites, forced=inst.model_forced, allowed=allowed
    )
    covered_by = pd.Series(gains[free], index=site_dep[free]).groupby(level=0).sum()
    best_single = pd.Series(np.where(allowed, gains, -np.inf), index=site_dep).groupby(level=0).max()
    ranked = [
        *pd.unique(site_dep[inst.model_forced]).tolist(),
        *covered_by.sort_values(ascending=False, kind="stable").index.tolist(),
        *best_single[np.isfinite(best_single)].sort_values(ascending=False, kind="stable").index.tolist(),
    ]
    departments = list(dict.fromkeys(ranked))[:k_departments]
    if len(departments) < k_departments or k_departments > max_sites:
        return None
    inside = allowed & np.isin(site_dep, departments)
    score = pd.Series(np.where(inside, gains, -np.inf))
    locked = inst.model_forced.copy()
    locked[score.groupby(site_dep).idxmax().loc[departments].to_numpy()] = True
    chosen = greedy_cover(
        merged.indptr, merged.cols, merged.need, n_sites, max_sites, forced=locked, allowed=inside
    )
    return improve_by_swaps(
        merged.indptr, merged.cols, merged.need, chosen, locked=locked, allowed=inside, candidates=300
    )


def _with_department_flags(
    problem: pulp.LpProblem,
    merged: Merged,
    inst: Instance,
    chosen: np.ndarray,
    y: Sequence[pulp.LpVariable],
    z: Sequence[pulp.LpVariable],
) -> list[tuple[pulp.LpVariable, float]]:
    """Warm-start values for ``y``, ``z`` and the departments-served flags of :mod:`coverage.models.rules`."""
    covered = _covered_rows(merged, chosen).astype(float)
    served = set(np.asarray(inst.model_site_dep, dtype=object)[chosen].tolist())
    flags = problem.variablesDict()
    start = list(zip(y, chosen.astype(float).tolist(), strict=True))
    start += list(zip(z, covered.tolist(), strict=True))
    for k, dep in enumerate(sorted(set(np.asarray(inst.model_site_dep, dtype=object).tolist()))):
        flag = flags.get(f"served_dep_{k}")
        if flag is not None:
            start.append((flag, 1.0 if dep in served else 0.0))
    return start


#: Merged pairs from which maximal coverage also tries an LP-rounded warm start.
LP_START_PAIRS = 100_000


def _covered_rows(merged: Merged, chosen: np.ndarray) -> np.ndarray:
    """Which merged rows the ``chosen`` sites cover."""
    rows = np.repeat(np.arange(merged.n_rows), np.diff(merged.indptr))
    covered = np.zeros(merged.n_rows, dtype=bool)
    covered[rows[chosen[merged.cols]]] = True
    return covered


def _covered_need(merged: Merged, chosen: np.ndarray) -> float:
    return float(merged.need[_covered_rows(merged, chosen)].sum())


def _greedy_start(
    merged: Merged,
    inst: Instance,
    dropped: np.ndarray,
    max_sites: int | None,
    y: Sequence[pulp.LpVariable],
    z: Sequence[pulp.LpVariable],
    deadline: float | None = None,
) -> list[tuple[pulp.LpVariable, float]]:
    """Greedy (and, on large models, LP-rounded) sites improved by exchanges, as a solver warm start.

    The LP-rounded start is tried only before ``deadline`` (a ``time.perf_counter`` value).
    """
    chosen = greedy_cover(
        merged.indptr,
        merged.cols,
        merged.need,
        inst.n_model_sites,
        int(max_sites or 0),
        forced=inst.model_forced,
        allowed=~dropped,
    )
    # Exchanges lift the greedy start by 0.1-0.4 % on the 20k and 35k benchmarks in under 2 s.
    chosen = improve_by_swaps(
        merged.indptr,
        merged.cols,
        merged.need,
        chosen,
        locked=inst.model_forced,
        allowed=~dropped,
        candidates=500,
    )
    in_time = deadline is None or time.perf_counter() < deadline
    if len(merged.cols) >= LP_START_PAIRS and in_time:
        # On large models the LP-rounded start is far better (35k x 17k: 38.23 M against 37.74 M).
        rounded = lp_rounded_cover(
            merged.indptr,
            merged.cols,
            merged.need,
            inst.n_model_sites,
            int(max_sites or 0),
            allowed=~dropped,
            forced=inst.model_forced,
            time_limit=None if deadline is None else max(1.0, deadline - time.perf_counter()),
        )
        if rounded is not None:
            rounded = improve_by_swaps(
                merged.indptr,
                merged.cols,
                merged.need,
                rounded,
                locked=inst.model_forced,
                allowed=~dropped,
                candidates=300,
            )
            if _covered_need(merged, rounded) > _covered_need(merged, chosen):
                chosen = rounded
    covered = _covered_rows(merged, chosen).astype(float)
    start = list(zip(y, chosen.astype(float).tolist(), strict=True))
    return start + list(zip(z, covered.tolist(), strict=True))


def _fair_share(
    problem: pulp.LpProblem,
    served_by_dep: Mapping[str, pulp.LpAffineExpression],
    need_by_dep: Mapping[str, float],
    floor: float | None,
) -> None:
    """Max-min share: maximise the smallest share (``floor`` None), or hold every share at ``floor``."""
    departments = [d for d, need in need_by_dep.items() if need > 0]
    if floor is None:
        smallest = problem.add_variable("smallest_share", lowBound=0, upBound=1)
        for k, dep in enumerate(departments):
            problem.addConstraint(
                pulp.LpConstraint(
                    served_by_dep[dep] - need_by_dep[dep] * smallest, pulp.LpConstraintGE, f"share_{k}", 0
                )
            )
        problem.setObjective(pulp.LpAffineExpression([(smallest, 1.0)]))
        return
    for k, dep in enumerate(departments):
        problem.addConstraint(
            pulp.LpConstraint(served_by_dep[dep], pulp.LpConstraintGE, f"share_{k}", floor * need_by_dep[dep])
        )


def assignment_builder(inst: Instance, p: int, *, center: bool) -> Builder:
    """p-median (``center=False``) or p-center: every row assigned to one open site."""

    def build(skip: frozenset[str]) -> tuple[pulp.LpProblem, dict[str, str], Callable[[], Readout]]:
        problem = pulp.LpProblem("p_center" if center else "p_median", pulp.LpMinimize)
        groups: dict[str, str] = {}
        y = binaries(problem, "y", inst.n_model_sites)
        x = continuous(problem, "x", len(inst.cols), upper=1)
        for k, row in enumerate(row_expressions(x, inst.indptr, np.arange(len(inst.cols)))):
            problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintEQ, f"assign_{k}", 1))
        for k, (xk, j) in enumerate(zip(x, inst.cols.tolist(), strict=True)):
            problem.addConstraint(pulp.LpConstraint(xk - y[j], pulp.LpConstraintLE, f"open_{k}", 0))
        if "site count" not in skip:
            # Sites that reach no need are outside the model; they pad the count afterwards.
            problem += pulp.lpSum(y) == min(p, inst.n_model_sites), "site_count"
            groups["site count"] = f"site count: exactly {p} sites"
        if center:
            worst = problem.add_variable("worst_distance", lowBound=0)
            for k, row in enumerate(row_expressions(x, inst.indptr, np.arange(len(inst.cols)), inst.dist)):
                row[worst] = -1.0
                problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"worst_{k}", 0))
            problem.setObjective(pulp.LpAffineExpression([(worst, 1.0)]))
        else:
            cost = inst.row_need[inst.pair_rows] * inst.dist
            problem.setObjective(expression(x, cost.tolist()))
        common_rows(problem, inst, y, skip, groups)
        if not center and not skip:
            chosen = greedy_median(inst, min(p, inst.n_model_sites))
            if chosen is not None:
                state["warm"] = assignment_start(inst, improve_median(inst, chosen), y, x)
        return problem, groups, lambda: Readout(values(y))

    state: dict[str, object] = {}
    build.state = state  # type: ignore[attr-defined]
    return build
