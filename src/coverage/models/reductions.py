"""Dominated sites, found with bounded memory and time.

A site whose reach is contained in another's (at no lower cost, in the same
department) is never needed by a coverage model. Testing containment for
every pair of sites is a site x site product; on 100,000 clustered sites that
product is dense (29.5 GiB), so it is computed here in blocks of bounded size,
cheapest first, within a total work budget and an optional deadline. Sites
left untested stay in the model: the reduction stays exact, only smaller.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["DOMINANCE_BLOCK_ENTRIES", "DOMINANCE_TOTAL_ENTRIES", "dominated_columns"]


#: Most entries of the site x site overlap product held at once by :func:`dominated_columns`
#: (about 12 bytes each in the sparse product: some 100 MB).
DOMINANCE_BLOCK_ENTRIES = 8_000_000
#: Most overlap entries :func:`dominated_columns` computes in all; the sites beyond are kept.
DOMINANCE_TOTAL_ENTRIES = 400_000_000


def dominated_columns(
    indptr: npt.NDArray[np.int64],
    cols: npt.NDArray[np.integer],
    n_columns: int,
    *,
    keep: npt.NDArray[np.bool_] | None = None,
    group: npt.NDArray[np.int64] | None = None,
    cost: npt.NDArray[np.float64] | None = None,
    block_entries: int = DOMINANCE_BLOCK_ENTRIES,
    total_entries: int = DOMINANCE_TOTAL_ENTRIES,
    deadline: float | None = None,
) -> npt.NDArray[np.bool_]:
    """Columns (sites) whose set of rows is contained in another column's set.

    Column ``j`` is dominated by ``k`` when every row ``j`` reaches, ``k``
    reaches too, ``k`` costs no more, and ``k`` is in the same ``group``
    (department) when groups are given; equal sets keep the lowest index.
    Opening ``k`` instead of ``j`` never covers less, so coverage models can
    drop ``j``. Columns in ``keep`` (forced open) are never dropped.

    The containment test is the sparse product ``A_J^T A`` over blocks ``J``
    of columns, never the whole site x site product: a block holds at most
    ``block_entries`` overlap entries (bounded by the sum, over its columns,
    of the columns sharing each of their rows). A column whose own bound is
    above ``block_entries`` is tested only against the columns of its rarest
    row (any dominating column reaches that row), when those fit. Blocks are
    taken cheapest first and stop after ``total_entries`` in all or at
    ``deadline`` (a ``time.perf_counter`` value); columns left untested are
    kept, which loses nothing but some reduction.

    Examples
    --------
    Two units; site 0 reaches unit 0, site 1 both, site 2 unit 1: sites 0 and 2 are dominated.

    >>> import numpy as np
    >>> indptr = np.array([0, 2, 4])  # unit 0: sites 0, 1; unit 1: sites 1, 2
    >>> cols = np.array([0, 1, 1, 2])
    >>> dominated_columns(indptr, cols, 3).tolist()
    [True, False, True]
    """
    n_rows = len(indptr) - 1
    cols = np.asarray(cols, dtype=np.int64)
    dominated = np.zeros(n_columns, dtype=bool)
    if n_rows == 0 or len(cols) == 0:
        return dominated
    by_row = sp.csr_array((np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(n_rows, n_columns))
    matrix = by_row.tocsc()
    matrix.sort_indices()
    size = np.bincount(cols, minlength=n_columns)
    row_degree = np.diff(by_row.indptr)
    row_of_pair = np.repeat(np.arange(n_rows), np.diff(indptr))
    # Upper bound on the overlap entries of each column: sum of its rows' degrees.
    work = np.bincount(cols, weights=row_degree[row_of_pair], minlength=n_columns).astype(np.int64)
    skip = np.zeros(n_columns, dtype=bool) if keep is None else keep.copy()
    skip |= size == 0
    cheap = np.flatnonzero(~skip & (work <= block_entries))
    cheap = cheap[np.argsort(work[cheap], kind="stable")]
    spent = 0

    def mark(j: npt.NDArray[np.int64], k: npt.NDArray[np.int64], shared: npt.NDArray[np.floating]) -> None:
        cost_k = np.zeros(len(k)) if cost is None else cost[k]
        cost_j = np.zeros(len(j)) if cost is None else cost[j]
        strict = (size[k] > size[j]) & (cost_k <= cost_j)
        # Equal sets: the cheaper one stays, then the lower index.
        equal = (size[k] == size[j]) & ((cost_k < cost_j) | ((cost_k == cost_j) & (k < j)))
        ok = (np.rint(shared).astype(np.int64) == size[j]) & (j != k) & (strict | equal)
        if group is not None:
            ok &= group[j] == group[k]
        dominated[j[ok]] = True

    start = 0
    while start < len(cheap):
        if spent >= total_entries or (deadline is not None and time.perf_counter() > deadline):
            return _unkept(dominated, keep)
        total = np.cumsum(work[cheap[start:]])
        stop = start + max(1, int(np.searchsorted(total, block_entries, side="right")))
        block = cheap[start:stop]
        overlap = (matrix[:, block].T @ matrix).tocoo()
        mark(block[overlap.row], overlap.col.astype(np.int64), overlap.data)
        spent += int(total[stop - start - 1])
        start = stop
    # Costly columns: candidates are the columns of the column's rarest row.
    for j in np.flatnonzero(~skip & (work > block_entries)).tolist():
        if spent >= total_entries or (deadline is not None and time.perf_counter() > deadline):
            break
        rows_j = matrix.indices[matrix.indptr[j] : matrix.indptr[j + 1]]
        rarest = rows_j[np.argmin(row_degree[rows_j])]
        candidates = by_row.indices[by_row.indptr[rarest] : by_row.indptr[rarest + 1]].astype(np.int64)
        entries = len(candidates) * len(rows_j)
        if entries > block_entries:
            continue
        shared = np.asarray(matrix[rows_j][:, candidates].sum(axis=0)).ravel()
        mark(np.full(len(candidates), j, dtype=np.int64), candidates, shared)
        spent += entries
    return _unkept(dominated, keep)


def _unkept(dominated: npt.NDArray[np.bool_], keep: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
    return dominated if keep is None else dominated & ~keep
