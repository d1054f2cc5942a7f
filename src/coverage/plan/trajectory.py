"""The trajectory of a rollout: people accompanied month by month, and when the target is reached.

:func:`coverage.models.rollout.rollout_plan` phases a staffing plan over the
months of its horizon and returns a :class:`Trajectory`. It holds the month by
month tables the model decided (people per unit, per staffed site and partner,
the waves on each site and their factors) and derives from them:

- :meth:`Trajectory.table`: people per month and cumulated, in total or by
  ``partner``, ``department`` or ``zone`` (a site's people go to its partners in
  proportion to their capacity there that month, as in :mod:`coverage.plan.kpis`);
- :attr:`Trajectory.target_month`: the first month the cumulated people reach the
  target, or None; then :attr:`Trajectory.shortfall` and :meth:`Trajectory.closing`
  (what would close it: more advisors, a higher rate or more months, each an
  estimate stated with its assumption).

Every table is checked by :func:`coverage.plan.verify_rollout.verify_trajectory`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from coverage.inputs.partners import Partner
from coverage.plan.export import atomic_path, jsonable

__all__ = ["Trajectory"]

_LEVELS = ("partner", "department", "zone")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """People accompanied month by month under a rollout (build it with the rollout model).

    Attributes
    ----------
    months
        First day of each month of the horizon.
    target
        People to accompany by the end (None without a target).
    repeat_visits
        Times a person may be counted (people in a unit stay <= need x this).
    partners
        The partners (their rates make the capacities).
    status, objective, bound, solver, solve_seconds
        Of the headline phase (the end total, or the target month's phase), as everywhere.
    target_month_proven
        True when no plan on the same sites and slots reaches the target a month earlier
        (an exact check was solved); False when that was not proven.
    phases
        ``(name, status, seconds)`` of each solve.
    """

    months: tuple[dt.date, ...]
    target: float | None
    repeat_visits: float
    partners: tuple[Partner, ...]
    status: str
    objective: float | None
    bound: float | None
    solver: str
    solve_seconds: float
    target_month_proven: bool
    phases: tuple[tuple[str, str, float], ...]
    _units: pd.DataFrame = field(repr=False)
    _people: pd.DataFrame = field(repr=False)
    _sites: pd.DataFrame = field(repr=False)
    _cohorts: pd.DataFrame = field(repr=False)
    _factors: pd.DataFrame = field(repr=False)

    # -- tables ------------------------------------------------------------

    @property
    def units(self) -> pd.DataFrame:
        """Every demand unit: ``unit_id``, ``need``, ``dep`` (when known) and ``zone``."""
        return self._units.copy()

    @property
    def people(self) -> pd.DataFrame:
        """People accompanied per unit and month: ``unit_id``, ``month`` (0-based), ``people`` (> 0)."""
        return self._people.copy()

    @property
    def sites(self) -> pd.DataFrame:
        """Per staffed site, partner and month: ``site_id``, ``partner``, ``month``, ``capacity``, ``people``.

        ``capacity`` is what the partner's slots there serve that month (slots x people per
        slot-month x their wave's factor); ``people`` the site's people that month, split
        between its partners by that capacity.
        """
        return self._sites.copy()

    @property
    def cohorts(self) -> pd.DataFrame:
        """Slots of each wave at each site: ``site_id``, ``partner``, ``wave``, ``start``, ``slots``."""
        return self._cohorts.copy()

    @property
    def factors(self) -> pd.DataFrame:
        """Share of the steady rate per wave and month.

        Columns ``partner``, ``wave``, ``slots`` (the wave's), ``month``, ``factor``.
        """
        return self._factors.copy()

    def table(self, by: Literal["partner", "department", "zone"] | None = None) -> pd.DataFrame:
        """People per month and cumulated: ``month`` (YYYY-MM), [``by``], ``people``, ``cumulative``.

        Raises
        ------
        ValueError
            An unknown ``by``, or ``'department'`` without a ``dep`` column in the units.
        """
        labels = [m.strftime("%Y-%m") for m in self.months]
        if by is None:
            monthly = self.monthly()
            return pd.DataFrame({"month": labels, "people": monthly, "cumulative": np.cumsum(monthly)})
        if by == "partner":
            frame = self._sites.rename(columns={"partner": "key"})[["key", "month", "people"]]
            keys = sorted(p.name for p in self.partners)
        elif by in ("department", "zone"):
            column = "dep" if by == "department" else "zone"
            if column not in self._units.columns:
                raise ValueError("the trajectory by department needs a 'dep' column in the demand")
            key = self._units.set_index("unit_id")[column].astype(str)
            frame = self._people.assign(key=self._people["unit_id"].map(key))[["key", "month", "people"]]
            keys = sorted(set(key))
        else:
            raise ValueError(f"table(by=...) takes None, 'partner', 'department' or 'zone'; got {by!r}")
        grid = frame.groupby(["key", "month"])["people"].sum().unstack(fill_value=0.0)
        grid = grid.reindex(index=keys, columns=range(len(self.months)), fill_value=0.0)
        long = grid.stack().rename("people").reset_index()
        long["cumulative"] = long.groupby("key")["people"].cumsum()
        long["month"] = [labels[m] for m in long["month"]]
        name = "dep" if by == "department" else by
        return long.rename(columns={"key": name})[["month", name, "people", "cumulative"]]

    def long_table(self) -> pd.DataFrame:
        """Every level in one table: ``level`` (total, partner, department, zone), ``key``, ``month``,
        ``people``, ``cumulative`` (the CSV :meth:`to_csv` writes)."""
        parts = [self.table().assign(level="total", key="")]
        for by in _LEVELS:
            if by == "department" and "dep" not in self._units.columns:
                continue
            part = self.table(by)
            name = "dep" if by == "department" else by
            parts.append(part.rename(columns={name: "key"}).assign(level=by))
        columns = ["level", "key", "month", "people", "cumulative"]
        return pd.concat([p[columns] for p in parts], ignore_index=True)

    # -- headline ----------------------------------------------------------

    @property
    def gap(self) -> float | None:
        """Relative gap of the headline phase, ``|bound - objective| / objective``; 0 when optimal."""
        if self.objective is None or self.bound is None:
            return None
        if self.status == "optimal":
            return 0.0
        return abs(self.bound - self.objective) / max(abs(self.objective), 1e-9)

    def monthly(self) -> np.ndarray:
        """People accompanied in each month (all units)."""
        out = np.zeros(len(self.months))
        sums = self._people.groupby("month")["people"].sum()
        out[sums.index.to_numpy(dtype=np.int64)] = sums.to_numpy()
        return out

    @property
    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.monthly())

    @property
    def people_total(self) -> float:
        """People accompanied by the end of the horizon."""
        return float(self.cumulative[-1]) if len(self.months) else 0.0

    @property
    def target_month(self) -> dt.date | None:
        """First month whose cumulated people reach the target (None: not reached, or no target)."""
        if self.target is None:
            return None
        reached = np.flatnonzero(self.cumulative >= self.target - 1e-6)
        return self.months[int(reached[0])] if len(reached) else None

    @property
    def shortfall(self) -> float | None:
        """Target minus people by the end, when the target is not reached (else None)."""
        if self.target is None or self.target_month is not None:
            return None
        return self.target - self.people_total

    def closing(self) -> dict[str, Any] | None:
        """What would close the shortfall, three estimates (None when there is none).

        - ``extra_months``: months more at the last month's pace (assumes that pace holds:
          need in reach is not used up);
        - ``extra_advisors``: advisors more, per partner, working from the first month at
          the steady rate (slots per advisor x people per slot-month x months);
        - ``rate_factor``: the people per slot-month multiplied by this (assumes the
          slots are the limit, not the need in reach);
        - ``need_left``: need in reach of the staffed sites not yet accompanied (x repeat
          visits): when below the shortfall, more sites are needed, not more advisors.
        """
        gap = self.shortfall
        if gap is None:
            return None
        last = float(self.monthly()[-1])
        used = float(self._sites["people"].sum())
        reachable = self._units.loc[self._units["in_reach"], "need"].sum() * self.repeat_visits
        n = len(self.months)
        advisors = {
            p.name: math.ceil(gap / (p.slots_per_advisor * p.people_per_slot_month * n))
            for p in self.partners
            if p.people_per_slot_month > 0
        }
        return {
            "shortfall": gap,
            "extra_months": math.ceil(gap / last) if last > 0 else None,
            "extra_advisors": advisors,
            "rate_factor": (self.target or 0.0) / self.people_total if self.people_total > 0 else None,
            "need_left": float(reachable - used),
        }

    def summary(self) -> dict[str, Any]:
        """Headline figures as a JSON-able dict."""
        month = self.target_month
        return jsonable(
            {
                "months": len(self.months),
                "start": self.months[0].isoformat() if self.months else None,
                "target": self.target,
                "people": self.people_total,
                "target_month": None if month is None else month.strftime("%Y-%m"),
                "target_month_proven": self.target_month_proven,
                "shortfall": self.shortfall,
                "closing": self.closing(),
                "status": self.status,
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "solver": self.solver,
                "solve_seconds": self.solve_seconds,
                "phases": [{"phase": n, "status": s, "seconds": t} for n, s, t in self.phases],
                "repeat_visits": self.repeat_visits,
            }
        )

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`long_table` as CSV (atomic)."""
        with atomic_path(Path(path)) as partial:
            self.long_table().to_csv(partial, index=False)
        return Path(path)
