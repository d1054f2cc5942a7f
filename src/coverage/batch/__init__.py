"""What-if batches: a grid of scenario overrides run on Dask, summarised and charted.

- :mod:`coverage.batch.grid`: grid files (lists, inclusive ranges, explicit
  cases), validated against the scenario before any worker starts;
- :mod:`coverage.batch.run`: the cases on a local Dask cluster or a scheduler,
  written one file each as they finish, resumed on a rerun;
- :mod:`coverage.batch.report`: the summary table, the Pareto chart and the
  Markdown report.

Dask and matplotlib come with the ``batch`` extra; they are imported only when
a batch runs.
"""

from __future__ import annotations

from coverage.batch.grid import Case, read_grid, validate_cases
from coverage.batch.run import OK_STATUSES, BatchProgress, BatchResult, run_batch, run_case

__all__ = [
    "OK_STATUSES",
    "BatchProgress",
    "BatchResult",
    "Case",
    "read_grid",
    "run_batch",
    "run_case",
    "validate_cases",
]
