"""The raw result of a model, in the order of its reach: what :meth:`coverage.plan.Plan.from_solution` joins.

A model of :mod:`coverage.models` fills a :class:`Solution` with arrays indexed
like its :class:`~coverage.reach.Reach` (open flag per site, served need per
unit, slots per partner and site); the checks here keep it well-formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["SLOT_COLUMNS", "STATUSES", "Solution"]

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "not_solved")
SLOT_COLUMNS = ("site_id", "partner", "slots")


def _read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array


def _empty_slots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": pd.Series(dtype=object),
            "partner": pd.Series(dtype=object),
            "slots": pd.Series(dtype=np.int64),
        }
    )


@dataclass(frozen=True, eq=False)
class Solution:
    """Raw result of a model in the order of its reach, handed to :meth:`Plan.from_solution`.

    The arrays are stored as read-only copies.

    Parameters
    ----------
    model
        ``'maximal_coverage'``, ``'set_cover'``, ``'coverage_target'``, ``'p_median'``,
        ``'p_center'``, ``'staffing'`` (any name is accepted).
    status
        One of :data:`STATUSES`; ``'feasible'`` is an incumbent at the time limit.
    objective, bound
        Objective in the model's own sense and best proven bound (None if unknown).
    sense
        ``'max'`` or ``'min'``.
    solver
        ``'cbc'`` or ``'highs'``.
    build_seconds, solve_seconds
        Time spent building and solving the model.
    open_sites
        ``(m,)`` open flag per site of ``reach.site_ids``; non-boolean values
        (solver 0/1 floats) count as open when > 0.5.
    served
        ``(n,)`` need served per unit of ``reach.demand_ids``.
    slots
        Columns ``site_id``, ``partner``, ``slots``; values are rounded to
        integers, zero rows dropped, repeated (site, partner) rows summed.
    assignment
        ``(n,)`` index of the site serving each unit, -1 for none; None to
        attribute units to their nearest open site within reach.
    flow
        ``(len(reach.rows),)`` need served per pair of the reach (unit ``rows[k]``
        served at site ``cols[k]``), for models that decide it (staffing); None
        otherwise. Values are >= 0; ``served`` must be their sum per unit.
    months
        Months of work the model's capacities count (staffing), None otherwise.
    method
        How the answer was found and proven: ``'mip'`` (the model's MIP through the
        solver), ``'radius'`` (p-median by its radius formulation), ``'bisection'``
        (p-center by set covers), ``'served_departments'`` (maximal coverage in
        exactly K departments by HiGHS on a stronger formulation;
        :mod:`coverage.models.served_departments`), ``'warm_start'`` (the solver returned nothing
        better than the start it was given), ``'greedy_bound'`` and
        ``'greedy_lp_bound'`` (staffing: a greedy plan that serves as much as an
        upper bound, proven with no MIP; :mod:`coverage.models.staffing_fast`).
    """

    model: str
    status: str
    objective: float | None
    bound: float | None
    sense: Literal["max", "min"]
    solver: str
    build_seconds: float
    solve_seconds: float
    open_sites: npt.NDArray[np.bool_]
    served: npt.NDArray[np.float64]
    slots: pd.DataFrame = field(default_factory=_empty_slots)
    assignment: npt.NDArray[np.int64] | None = None
    flow: npt.NDArray[np.float64] | None = None
    months: float | None = None
    method: str = "mip"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {self.status!r}")
        if self.sense not in ("max", "min"):
            raise ValueError(f"sense must be 'max' or 'min'; got {self.sense!r}")
        is_open = np.asarray(self.open_sites).ravel()
        is_open = is_open.copy() if is_open.dtype == bool else is_open > 0.5
        served = np.array(self.served, dtype=np.float64).ravel()
        if not np.isfinite(served).all():
            raise ValueError("served must be finite for every unit")
        missing = [c for c in SLOT_COLUMNS if c not in self.slots.columns]
        if missing:
            raise ValueError(f"slots needs columns {', '.join(SLOT_COLUMNS)}; missing {', '.join(missing)}")
        slots = pd.DataFrame(
            {
                "site_id": self.slots["site_id"].astype(str).to_numpy(dtype=object),
                "partner": self.slots["partner"].astype(str).to_numpy(dtype=object),
                "slots": np.rint(self.slots["slots"].to_numpy(dtype=np.float64)).astype(np.int64),
            }
        )
        if (slots["slots"] < 0).any():
            raise ValueError("slots must be >= 0")
        slots = slots[slots["slots"] > 0].groupby(["site_id", "partner"], as_index=False, sort=True).sum()
        object.__setattr__(self, "open_sites", _read_only(is_open))
        object.__setattr__(self, "served", _read_only(served))
        object.__setattr__(self, "slots", slots if len(slots) else _empty_slots())
        if self.assignment is not None:
            assignment = np.array(self.assignment, dtype=np.int64).ravel()
            object.__setattr__(self, "assignment", _read_only(assignment))
        if self.flow is not None:
            flow = np.array(self.flow, dtype=np.float64).ravel()
            if not np.isfinite(flow).all() or (flow < -1e-9).any():
                raise ValueError("flow must be finite and >= 0 for every pair")
            object.__setattr__(self, "flow", _read_only(np.maximum(flow, 0.0)))
        if self.months is not None and not self.months > 0:
            raise ValueError(f"months must be > 0; got {self.months!r}")
