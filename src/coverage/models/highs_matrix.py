"""Maximal coverage handed to HiGHS as sparse arrays, without PuLP.

The PuLP path makes one Python object per variable and per coefficient, then
CBC reads the model back from an MPS file PuLP wrote: on the 100,000-site
file that was 17 s of build and 26 s of writing before CBC started. Here the
merged rows x sites CSR arrays of :mod:`coverage.models.formulation` go
straight into one :class:`highspy.HighsLp` (``passModel``), the warm start
through ``setSolution``, and the live figures of :mod:`coverage.models.live`
through HiGHS's callbacks. PuLP stays the public modelling layer
(:func:`coverage.models.builders.coverage_builder`); this module is the
library's own solve of large maximal-coverage models
(:mod:`coverage.models.matrix_coverage` decides when).

The model, over merged rows ``k`` (need ``w_k``) and sites ``j``::

    max  sum_k w_k z_k
    s.t. z_k - sum_{j reaches k} y_j <= 0     for every row k
         sum_j y_j <= p
         y_j in {0, 1} (forced: 1, not allowed: 0),  0 <= z_k <= 1

Entry point: :func:`solve_coverage_matrix`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coverage.models.highs_run import run_highs
from coverage.models.live import SolverProgress, current_watch
from coverage.models.solver import Status, quiet_native_stdout

logger = logging.getLogger(__name__)

__all__ = ["MatrixSolve", "coverage_lp", "solve_coverage_cbc", "solve_coverage_matrix"]


@dataclass(frozen=True)
class MatrixSolve:
    """What :func:`solve_coverage_matrix` found.

    ``open`` is the chosen sites (the start when HiGHS found nothing better),
    ``objective`` the need they cover, ``bound`` HiGHS's proven upper bound
    (None when it has none), ``seconds`` HiGHS's wall time, ``from_start``
    whether the plan is the warm start itself, and ``nodes`` the
    branch-and-bound nodes explored.
    """

    status: Status
    open: npt.NDArray[np.bool_]
    objective: float | None
    bound: float | None
    seconds: float
    from_start: bool
    nodes: int = 0

    @property
    def gap(self) -> float | None:
        """Relative gap ``(bound - objective) / objective``; None without both."""
        if self.objective is None or self.bound is None:
            return None
        return max(0.0, self.bound - self.objective) / max(abs(self.objective), 1e-9)


def coverage_lp(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    n_sites: int,
    max_sites: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    integer: bool = True,
) -> object:
    """The maximal-coverage model as one :class:`highspy.HighsLp` (columns: sites, then rows).

    Parameters
    ----------
    indptr, cols
        CSR of the merged rows: row ``k`` is reached by sites
        ``cols[indptr[k]:indptr[k + 1]]``.
    need
        Need of each row.
    n_sites, max_sites
        Number of sites (columns ``0 .. n_sites - 1``) and most sites open.
    forced, allowed
        Sites fixed open, and sites that may open (others are fixed closed).
    integer
        Site variables integer (the MIP) or not (its LP relaxation).

    Examples
    --------
    Two rows (need 5 and 3), three sites; row 0 reached by sites 0 and 1, row 1 by site 2:

    >>> import numpy as np
    >>> lp = coverage_lp(np.array([0, 2, 3]), np.array([0, 1, 2]), np.array([5.0, 3.0]), 3, 1)
    >>> lp.num_col_, lp.num_row_
    (5, 3)
    """
    import highspy
    import scipy.sparse as sp

    n_rows = len(indptr) - 1
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    # Rows: -y over the reaching sites, +z_k; then the site count.
    data = np.r_[-np.ones(len(cols)), np.ones(n_rows), np.ones(n_sites)]
    r = np.r_[rows, np.arange(n_rows), np.full(n_sites, n_rows)]
    c = np.r_[np.asarray(cols, dtype=np.int64), n_sites + np.arange(n_rows), np.arange(n_sites)]
    matrix = sp.csc_array((data, (r, c)), shape=(n_rows + 1, n_sites + n_rows))
    matrix.sort_indices()
    upper = np.ones(n_sites) if allowed is None else allowed.astype(np.float64)
    lower = np.zeros(n_sites) if forced is None else forced.astype(np.float64)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_sites + n_rows, n_rows + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.r_[np.zeros(n_sites), np.asarray(need, dtype=np.float64)]
    lp.col_lower_ = np.r_[lower, np.zeros(n_rows)]
    lp.col_upper_ = np.r_[np.maximum(upper, lower), np.ones(n_rows)]
    lp.row_lower_ = np.full(n_rows + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.r_[np.zeros(n_rows), float(max_sites)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_sites + [
            highspy.HighsVarType.kContinuous
        ] * n_rows
    return lp


def solve_coverage_matrix(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    n_sites: int,
    max_sites: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    start: npt.NDArray[np.bool_] | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    node_limit: int | None = None,
    msg: bool = False,
) -> MatrixSolve:
    """Solve maximal coverage on HiGHS from the sparse arrays, never below the warm ``start``.

    ``start`` (a feasible choice of sites) is handed to HiGHS and kept when
    HiGHS returns nothing better. ``gap`` is the relative gap at which HiGHS
    stops (default 0: proven optimal); a solve stopped by ``time_limit``
    (seconds), ``node_limit`` or the gap is ``'feasible'`` with HiGHS's bound,
    ``'optimal'`` only at a zero gap. The figures go to the current
    :class:`~coverage.models.live.SolveWatch`, which may also stop the solve.

    Parameters
    ----------
    indptr, cols, need, n_sites, max_sites, forced, allowed
        The model, as in :func:`coverage_lp`.
    start
        Warm start, one flag per site.
    time_limit, gap, threads, node_limit, msg
        As :class:`~coverage.models.solver.SolverOptions`.

    Examples
    --------
    Row 0 (need 5) reached by sites 0 and 1, row 1 (need 3) by sites 1 and 2; one site:

    >>> import numpy as np
    >>> found = solve_coverage_matrix(
    ...     np.array([0, 2, 4]), np.array([0, 1, 1, 2]), np.array([5.0, 3.0]), 3, 1
    ... )
    >>> found.status, found.open.tolist(), found.objective
    ('optimal', [False, True, False], 8.0)
    """
    import highspy

    need = np.asarray(need, dtype=np.float64)
    n_rows = len(indptr) - 1
    lp = coverage_lp(indptr, cols, need, n_sites, max_sites, forced=forced, allowed=allowed)
    start_value = None if start is None else _covered(indptr, cols, need, start)
    watch = current_watch()
    with quiet_native_stdout():  # HiGHS prints its banner before reading any option
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", bool(msg))
        highs.setOptionValue("mip_rel_gap", 0.0 if gap is None else float(gap))
        if time_limit is not None:
            highs.setOptionValue("time_limit", max(0.1, float(time_limit)))
        if threads is not None:
            highs.setOptionValue("threads", int(threads))
        if node_limit is not None:
            highs.setOptionValue("mip_max_nodes", int(node_limit))
        highs.passModel(lp)
        if start is not None:
            solution = highspy.HighsSolution()
            rows = np.repeat(np.arange(n_rows), np.diff(indptr))
            covered = np.zeros(n_rows)
            covered[rows[np.asarray(start)[cols]]] = 1.0
            solution.col_value = np.r_[np.asarray(start, dtype=np.float64), covered]
            solution.value_valid = True
            highs.setSolution(solution)
        if watch is not None:
            callback, data = watch.highs_callback("max")
            highs.setCallback(callback, data)
            highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
            highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
        began = time.perf_counter()
        run_highs(highs)
        seconds = time.perf_counter() - began
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_plan = info.primal_solution_status == 2
    bound = float(info.mip_dual_bound)
    bound_or_none = bound if np.isfinite(bound) else None
    nodes = int(info.mip_node_count)
    if status == highspy.HighsModelStatus.kInfeasible and start is None:
        return MatrixSolve("infeasible", np.zeros(n_sites, bool), None, None, seconds, False, nodes)
    chosen: npt.NDArray[np.bool_] | None = None
    objective: float | None = None
    if has_plan and status != highspy.HighsModelStatus.kInfeasible:
        chosen = np.asarray(highs.getSolution().col_value)[:n_sites] > 0.5
        objective = _covered(indptr, cols, need, chosen)
    from_start = False
    if start is not None and (objective is None or objective < start_value - 1e-6 * max(1.0, start_value)):
        if status == highspy.HighsModelStatus.kInfeasible:
            logger.warning("HiGHS said infeasible, but its warm start is feasible: the plan keeps the start")
        chosen, objective, from_start = np.asarray(start, dtype=bool), start_value, True
    if chosen is None or objective is None:
        return MatrixSolve("not_solved", np.zeros(n_sites, bool), None, bound_or_none, seconds, False, nodes)
    proven = status == highspy.HighsModelStatus.kOptimal and (
        bound_or_none is None or bound - objective <= 1e-9 * max(1.0, abs(objective))
    )
    if status == highspy.HighsModelStatus.kOptimal and bound_or_none is None:
        bound_or_none = objective
    if watch is not None:
        watch.emit(SolverProgress("highs", "max", seconds, objective, bound_or_none, nodes=nodes))
    return MatrixSolve(
        "optimal" if proven else "feasible", chosen, objective, bound_or_none, seconds, from_start, nodes
    )


def solve_coverage_cbc(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    n_sites: int,
    max_sites: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    start: npt.NDArray[np.bool_] | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    node_limit: int | None = None,
    msg: bool = False,
) -> MatrixSolve:
    """:func:`solve_coverage_matrix` on CBC: the same arrays, the MPS file written by HiGHS.

    Same parameters, same answer (:func:`coverage.models.cbc_matrix.solve_cbc_arrays`
    runs CBC); never below the warm ``start``.

    Examples
    --------
    >>> import numpy as np
    >>> found = solve_coverage_cbc(
    ...     np.array([0, 2, 4]), np.array([0, 1, 1, 2]), np.array([5.0, 3.0]), 3, 1
    ... )
    >>> found.status, found.open.tolist(), found.objective
    ('optimal', [False, True, False], 8.0)
    """
    from coverage.models.cbc_matrix import solve_cbc_arrays

    need = np.asarray(need, dtype=np.float64)
    n_rows = len(indptr) - 1
    lp = coverage_lp(indptr, cols, need, n_sites, max_sites, forced=forced, allowed=allowed)
    values = None
    if start is not None:
        rows = np.repeat(np.arange(n_rows), np.diff(indptr))
        covered = np.zeros(n_rows)
        covered[rows[np.asarray(start, dtype=bool)[cols]]] = 1.0
        values = np.r_[np.asarray(start, dtype=np.float64), covered]
    found = solve_cbc_arrays(
        lp,
        maximise=True,
        start=values,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
        node_limit=node_limit,
        msg=msg,
    )
    chosen = None if found.values is None else found.values[:n_sites] > 0.5
    objective = None if chosen is None else _covered(indptr, cols, need, chosen)
    if found.status == "infeasible" and start is None:
        return MatrixSolve("infeasible", np.zeros(n_sites, bool), None, None, found.seconds, False)
    start_value = None if start is None else _covered(indptr, cols, need, start)
    from_start = False
    if start_value is not None and (
        objective is None or objective < start_value - 1e-6 * max(1.0, start_value)
    ):
        if found.status == "infeasible":
            logger.warning("CBC said infeasible, but its warm start is feasible: the plan keeps the start")
        chosen, objective, from_start = np.asarray(start, dtype=bool), start_value, True
    if chosen is None or objective is None:
        return MatrixSolve("not_solved", np.zeros(n_sites, bool), None, found.bound, found.seconds, False)
    bound = found.bound
    proven = found.status == "optimal" and (bound is None or bound - objective <= 1e-9 * max(1.0, objective))
    if proven:
        bound = objective if bound is None else bound
    return MatrixSolve(
        "optimal" if proven else "feasible", chosen, objective, bound, found.seconds, from_start
    )


def _covered(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    chosen: object,
) -> float:
    """Need of the rows reached by at least one chosen site."""
    n_rows = len(indptr) - 1
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    hit = np.zeros(n_rows, dtype=bool)
    hit[rows[np.asarray(chosen, dtype=bool)[cols]]] = True
    return float(need[hit].sum())
