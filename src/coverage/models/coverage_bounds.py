"""Upper bounds on maximal coverage from the arrays: the LP relaxation and the submodular bound.

Both bound every plan, so :mod:`coverage.models.matrix_coverage` reports the
least of them and the solver's at every stop. The LP relaxation's reduced
costs also fix sites against a known plan (exact: only plans below it are
excluded); its values round to a warm start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coverage.models.highs_matrix import coverage_lp
from coverage.models.highs_run import run_highs
from coverage.models.solver import quiet_native_stdout

__all__ = ["Relaxation", "greedy_bound", "relaxation"]


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation of maximal coverage: site values, its optimum (an upper bound), reduced costs.

    ``reduced`` is the reduced cost of each site in the maximisation's sense:
    raising a site at 0 by one lowers the LP optimum by at least
    ``-reduced`` (``reduced <= 0``); lowering a site at 1 by one lowers it by
    at least ``reduced`` (``reduced >= 0``).
    """

    y: npt.NDArray[np.float64]
    bound: float
    reduced: npt.NDArray[np.float64]

    def fixings(self, incumbent: float, *, tolerance: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
        """Sites that every plan better than ``incumbent`` keeps closed, and keeps open (exact).

        Reduced-cost fixing: a site at 0 whose opening would lower the LP
        bound below the incumbent stays closed; a site at 1 whose closing
        would, stays open. ``tolerance`` (relative) guards the LP's own.

        Examples
        --------
        >>> import numpy as np
        >>> r = Relaxation(np.array([1.0, 0.0, 0.0]), 10.0, np.array([4.0, -1.0, -5.0]))
        >>> closed, opened = r.fixings(8.0)
        >>> closed.tolist(), opened.tolist()
        ([False, False, True], [True, False, False])
        """
        margin = tolerance * max(1.0, abs(incumbent))
        closed = (self.y < 1e-6) & (self.bound + self.reduced < incumbent - margin)
        opened = (self.y > 1 - 1e-6) & (self.bound - self.reduced < incumbent - margin)
        return closed, opened


def relaxation(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    n_sites: int,
    max_sites: int,
    *,
    forced: npt.NDArray[np.bool_] | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
    time_limit: float | None = None,
) -> Relaxation | None:
    """The LP relaxation solved by HiGHS's interior point (with crossover), or None when not in time.

    Its optimum is an upper bound on every plan; its values round to a warm
    start and its reduced costs fix sites (:meth:`Relaxation.fixings`).

    Examples
    --------
    >>> import numpy as np
    >>> lp = relaxation(np.array([0, 2, 4]), np.array([0, 1, 1, 2]), np.array([5.0, 3.0]), 3, 1)
    >>> lp.bound, lp.y.round(3).tolist()
    (8.0, [0.0, 1.0, 0.0])
    """
    import highspy

    lp = coverage_lp(indptr, cols, need, n_sites, max_sites, forced=forced, allowed=allowed, integer=False)
    with quiet_native_stdout():  # HiGHS prints its banner before reading any option
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        # 6 s at 35,000 x 17,000 where simplex takes about 60 s (formulation.lp_rounded_cover).
        highs.setOptionValue("solver", "ipm")
        if time_limit is not None:
            highs.setOptionValue("time_limit", max(0.1, float(time_limit)))
        highs.passModel(lp)
        run_highs(highs)
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = highs.getSolution()
    y = np.asarray(solution.col_value)[:n_sites]
    # HiGHS gives a maximisation's column duals in its own sense: <= 0 at 0, >= 0 at 1.
    reduced = np.asarray(solution.col_dual)[:n_sites]
    return Relaxation(y, float(highs.getInfo().objective_function_value), reduced)


def greedy_bound(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    need: npt.NDArray[np.float64],
    chosen: npt.NDArray[np.bool_],
    max_sites: int,
    *,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> float:
    """An upper bound on every plan of ``max_sites`` sites, from one plan ``chosen`` (linear in pairs).

    Coverage is submodular, so the best plan :math:`O` covers at most
    :math:`f(S) + \\sum_{j \\in O} \\Delta_j(S)`, at most :math:`f(S)` plus the
    ``max_sites`` largest gains :math:`\\Delta_j(S)` (need reached by
    :math:`j` and by no site of :math:`S`) among the ``allowed`` sites (Nemhauser,
    Wolsey and Fisher, 1978). Weaker than the LP bound, but always at hand.

    Examples
    --------
    Rows of need 5, 3 and 2; site 0 reaches row 0, site 1 rows 1 and 2; with site 0 open and
    one more site allowed, no plan covers more than 5 + 5:

    >>> import numpy as np
    >>> greedy_bound(np.array([0, 1, 2, 3]), np.array([0, 1, 1]), np.array([5.0, 3.0, 2.0]),
    ...              np.array([True, False]), 1)
    10.0
    """
    n_rows = len(indptr) - 1
    rows = np.repeat(np.arange(n_rows), np.diff(indptr))
    chosen = np.asarray(chosen, dtype=bool)
    hit = np.zeros(n_rows, dtype=bool)
    hit[rows[chosen[cols]]] = True
    gains = np.bincount(cols, weights=np.where(hit[rows], 0.0, need[rows]), minlength=len(chosen))
    gains[chosen] = 0.0
    if allowed is not None:
        gains[~allowed] = 0.0
    top = np.sort(gains)[::-1][: max(0, int(max_sites))]
    return float(need[hit].sum() + top.sum())
