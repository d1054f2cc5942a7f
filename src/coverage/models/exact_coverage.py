"""Maximal coverage solved by components of the reach graph, as a Plan.

The glue between :func:`coverage.models.location.maximal_coverage` and
:func:`coverage.models.decomposition.solve_by_components`: it checks that the
site count is the only constraint linking the components (no department
rules, no budget, no decaying weights; forced and closed sites are fine),
applies the exact reductions (dominated sites, merged rows), and under
``formulation='auto'`` decomposes only when the reach graph splits into
several components none of which has more than :data:`AUTO_LARGEST_SITES`
sites. The plan's ``method`` is ``'components'``.

Why that rule (``benchmarks/exact.py``, ``benchmarks/RESULTS.md``): components
of up to a couple of hundred sites are proven by HiGHS in milliseconds, but
the 878-site component of the 20k x 3k benchmark is proven neither by HiGHS
nor by CBC in 60 s (0.43 % gap left by CBC), and there the one MIP of the
whole instance closes more of the gap in the same time. The other benchmark
instances and the real national one are one giant component (2,799 of 3,000,
14,076 of 14,108 and 15,645 sites), where the split has nothing to offer.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from coverage.inputs.rules import DepartmentRules
from coverage.models.decomposition import CBC_SITES, solve_by_components
from coverage.models.formulation import dominated_columns, drop_columns, merge_identical_rows
from coverage.models.instance import Instance
from coverage.models.solver import SolveResult, SolverOptions
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["AUTO_LARGEST_SITES", "by_components", "why_not_decomposable"]

#: ``formulation='auto'`` decomposes when no component has more sites than this.
AUTO_LARGEST_SITES = 200


def why_not_decomposable(inst: Instance, rules: DepartmentRules) -> str | None:
    """Why the components of ``inst`` are linked by more than the site count, or None."""
    if not rules.is_empty:
        return "department rules link the components"
    if inst.budget is not None:
        return "a budget links the components"
    if inst.reach.weight is not None:
        return "coverage weights that decay with distance are not supported"
    return None


def by_components(
    inst: Instance,
    rules: DepartmentRules,
    max_sites: int,
    options: SolverOptions,
    constraints: Constraints,
    *,
    required: bool,
) -> Plan | None:
    """The plan found by decomposition, or None where ``formulation='auto'`` keeps the plain MIP.

    Raises ValueError when ``required`` (``formulation='components'``) and the
    structure does not allow it.
    """
    why = why_not_decomposable(inst, rules)
    if why is not None:
        if required:
            raise ValueError(f"formulation='components' cannot be used: {why}; use 'auto' or 'mip'")
        return None
    n = inst.n_model_sites
    # Decide on the graph before the reductions (cheap; the reductions only split it further).
    sizes = _component_sizes(inst.indptr, inst.cols, n, np.ones(n, bool))
    if not required and (len(sizes) < 2 or sizes.max() > AUTO_LARGEST_SITES):
        logger.info(
            "maximal coverage: %d components, the largest with %d of %d sites: the plain MIP",
            len(sizes),
            int(sizes.max()) if len(sizes) else 0,
            int(sizes.sum()),
        )
        return None
    limit = options.time_limit
    deadline = None if limit is None else inst.started + limit
    dropped = dominated_columns(
        inst.indptr,
        inst.cols,
        n,
        keep=inst.model_forced,
        deadline=None if limit is None else inst.started + 0.25 * limit,
    )
    indptr, cols = drop_columns(inst.indptr, inst.cols, dropped)
    merged = merge_identical_rows(indptr, cols, inst.row_need)
    result = solve_by_components(
        merged.indptr,
        merged.cols,
        merged.need,
        n,
        max_sites,
        forced=inst.model_forced,
        allowed=~dropped,
        gap=options.gap or 1e-9,
        deadline=deadline,
    )
    logger.info(
        "maximal coverage by %d components (largest %d sites): %.6g, bound %.6g, %d MIPs, %.1f s "
        "(first plan after %.2f s)",
        result.components,
        result.largest,
        result.objective,
        result.bound,
        result.mip_solves,
        result.seconds,
        inst.timer()() - result.seconds + result.first_incumbent_s,
    )
    proven = result.bound - result.objective <= 1e-9 * max(1.0, abs(result.objective))
    solved = SolveResult(
        "optimal" if proven else "feasible",
        result.objective,
        result.bound,
        result.seconds,
        "highs" if result.largest < CBC_SITES else "cbc",
    )
    solution = inst.solution(
        "maximal_coverage",
        solved,
        result.open,
        build_seconds=inst.timer()() - result.seconds,
        solve_seconds=result.seconds,
        sense="max",
        method="components",
    )
    return Plan.from_solution(
        solution, demand=inst.demand, sites=inst.sites, reach=inst.reach, constraints=constraints
    )


def _component_sizes(indptr: np.ndarray, cols: np.ndarray, n_sites: int, allowed: np.ndarray) -> np.ndarray:
    """Sites in each component of the reach graph that holds at least one allowed site."""
    n_rows = len(indptr) - 1
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    graph = sp.coo_array(
        (np.ones(len(cols)), (rows, n_rows + np.asarray(cols))), shape=(n_rows + n_sites,) * 2
    ).tocsr()
    _, label = connected_components(graph, directed=False)
    used = allowed & (np.bincount(cols, minlength=n_sites) > 0)
    return np.bincount(label[n_rows:][used])[np.unique(label[n_rows:][used])]
