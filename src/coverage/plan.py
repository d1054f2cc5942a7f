"""The solved plan: open sites, need served, KPIs, explanations and exports.

A model in :mod:`coverage.model` returns a raw :class:`Solution` (arrays in
the order of its :class:`~coverage.reach.Reach`); :meth:`Plan.from_solution`
joins it back to the demand units and candidate sites (per-unit and per-site
columns: :mod:`coverage.plan_tables`). A :class:`Plan` gives KPIs by
department, partner and zone (:meth:`Plan.kpis`), the projection of people
accompanied by a date (:meth:`Plan.projection`), the unreached priority units
(:attr:`Plan.explanations`; zones and KPI definitions: :mod:`coverage.plan_kpis`)
and exports (:mod:`coverage.plan_export`).

The plan is immutable: a frozen dataclass whose tables come back as copies.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage import plan_export as px
from coverage import plan_kpis as pk
from coverage import plan_tables as pt
from coverage.partners import Horizon, Partner
from coverage.plan_kpis import Projection
from coverage.reach import Reach

logger = logging.getLogger(__name__)

__all__ = ["STATUSES", "Plan", "Solution"]

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

    The arrays are stored as read-only copies.
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


@dataclass(frozen=True, eq=False)
class Plan:
    """A solved plan; build it with :meth:`from_solution`, read it through properties.

    Attributes
    ----------
    model, status, objective, bound, sense, solver, build_seconds, solve_seconds
        As in :class:`Solution`.
    open_site_ids
        Ids of the open sites, in reach order.
    partners, horizon
        The staffing partners and the horizon the plan was built with.
    distance_unit, reach_rule, n_candidates
        Unit of reach distances (``'m'`` or ``'min'``), access rule, number of candidate sites.

    The tables are private fields, read through :attr:`units`, :attr:`sites`, :attr:`slots`
    and :attr:`explanations`, which return copies.
    """

    model: str
    status: str
    objective: float | None
    bound: float | None
    sense: str
    solver: str
    build_seconds: float
    solve_seconds: float
    open_site_ids: tuple[str, ...]
    partners: tuple[Partner, ...]
    horizon: Horizon | None
    distance_unit: str
    reach_rule: str
    n_candidates: int
    _units: pd.DataFrame = field(repr=False)
    _sites: pd.DataFrame = field(repr=False)
    _slots: pd.DataFrame = field(repr=False)
    _explanations: pd.DataFrame = field(repr=False)

    @classmethod
    def from_solution(
        cls,
        solution: Solution,
        *,
        demand: pd.DataFrame,
        sites: pd.DataFrame,
        reach: Reach,
        partners: Sequence[Partner] = (),
        horizon: Horizon | None = None,
    ) -> Plan:
        """Join a raw solution to its units and sites and derive every table.

        Parameters
        ----------
        solution, reach
            The model's result, and the reach it was built from.
        demand
            (Geo)DataFrame with ``unit_id`` and ``need`` (optional ``dep``, ``name``, ``qpv``,
            ``rural``, ``kind``, geometry), any row order, one row per reach demand id.
        sites
            (Geo)DataFrame with ``site_id`` (optional ``partner`` owner, ``dep``, ``name``,
            geometry), any row order; rows whose id is not in the reach are ignored.
        partners, horizon
            Partner records (one per partner in ``solution.slots``), and the horizon of
            :meth:`projection`.

        Raises
        ------
        ValueError
            Ids or lengths that do not match the reach, missing need, slots or an
            assignment at a closed site, a slot partner without a record.
        """
        units, candidates, table, opened = pt.join_solution(solution, demand, sites, reach, partners)
        return cls(
            model=solution.model,
            status=solution.status,
            objective=solution.objective,
            bound=solution.bound,
            sense=solution.sense,
            solver=solution.solver,
            build_seconds=float(solution.build_seconds),
            solve_seconds=float(solution.solve_seconds),
            open_site_ids=tuple(str(s) for s in reach.site_ids[opened]),
            partners=tuple(partners),
            horizon=horizon,
            distance_unit=reach.unit,
            reach_rule=reach.rule,
            n_candidates=reach.n_sites,
            _units=pt.geometry_last(units),
            _sites=pt.geometry_last(table),
            _slots=solution.slots.copy(),
            _explanations=pk.explain_unreached(units, candidates, reach, solution.open_sites),
        )

    # -- results ----------------------------------------------------------

    @property
    def gap(self) -> float | None:
        """Relative gap ``|bound - objective| / max(|objective|, 1e-9)``; 0 when optimal."""
        if self.objective is None or self.bound is None:
            return None
        if self.is_optimal:
            return 0.0
        return abs(self.bound - self.objective) / max(abs(self.objective), 1e-9)

    @property
    def is_optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def units(self) -> pd.DataFrame:
        """Every demand unit: input columns, ``served``, ``reached``, nearest open site, distance."""
        return self._units.copy()

    @property
    def sites(self) -> pd.DataFrame:
        """Open sites: input columns, slots, ``advisors``, ``shared``, need served, ``unique_need``."""
        return self._sites.copy()

    @property
    def slots(self) -> pd.DataFrame:
        """Slots per (site, partner): ``site_id``, ``partner``, ``slots``."""
        return self._slots.copy()

    @property
    def explanations(self) -> pd.DataFrame:
        """Unreached priority units (zone qpv or rural, need > 0), largest need first.

        Columns ``unit_id`` (and ``name``, ``dep``, ``kind``, ``qpv``, ``rural`` when the demand
        has them), ``need``, ``candidates_in_reach``, ``reason``, ``distance_to_open``,
        ``nearest_open_site``, ``distance_to_candidate``, ``nearest_candidate_site`` (any
        candidate, open or not) and ``distance_basis``: straight-line metres measured per
        territory when demand and sites have geometry and a CRS, else reach distances (NaN
        beyond reach: ``distance_to_open`` is then always NaN). Geometry is kept when present.
        """
        return self._explanations.copy()

    @property
    def total_need(self) -> float:
        return float(self._units["need"].sum())

    @property
    def served_need(self) -> float:
        return float(self._units["served"].sum())

    @property
    def reached_need(self) -> float:
        """Need of the units with an open site within reach."""
        return float(self._units["need"].where(self._units["reached"], 0.0).sum())

    @property
    def served_share(self) -> float:
        """Served need / total need (NaN without need)."""
        total = self.total_need
        return self.served_need / total if total > 0 else math.nan

    @property
    def mean_distance(self) -> float:
        """Need-weighted mean distance to the nearest open site over reached units (NaN if none)."""
        reached = self._units[self._units["reached"]]
        weight = float(reached["need"].sum())
        return float((reached["need"] * reached["distance"]).sum()) / weight if weight > 0 else math.nan

    @property
    def worst_distance(self) -> float:
        """Largest distance to the nearest open site over reached units (NaN if none)."""
        reached = self._units["distance"][self._units["reached"]]
        return float(reached.max()) if len(reached) else math.nan

    def kpis(self, by: Literal["department", "partner", "zone"]) -> pd.DataFrame:
        """Key figures by department, partner or zone (see :mod:`coverage.plan_kpis`).

        Raises
        ------
        ValueError
            ``by='department'`` when the demand has no ``dep`` column, or an unknown ``by``.
        """
        if by == "department":
            return pk.kpi_department(self._units, self._sites)
        if by == "zone":
            return pk.kpi_zone(self._units)
        if by == "partner":
            months = self.horizon.months if self.horizon is not None else None
            return pk.kpi_partner(
                self._sites, self._slots, self.partners, total_need=self.total_need, months=months
            )
        raise ValueError(f"kpis(by=...) takes 'department', 'partner' or 'zone'; got {by!r}")

    def projection(self, date: dt.date | str | None = None) -> Projection | None:
        """People accompanied by ``date`` (default: the horizon's ``until``).

        ``people = min(served need, sum_p slots_p x people_per_slot_month_p x months)``,
        months from the horizon's start by :func:`coverage.partners.months_between` (0 before
        the start). None without a horizon or without slots.
        """
        return pk.project(self, date)

    def summary(self) -> dict[str, Any]:
        """Headline figures as a JSON-able dict (NaN written as None)."""
        return pk.summary(self)

    # -- exports ----------------------------------------------------------

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by export name (``kpi_department`` only when the demand has ``dep``)."""
        out = {"sites": self.sites, "units": self.units, "slots": self.slots}
        if "dep" in self._units.columns:
            out["kpi_department"] = self.kpis("department")
        out["kpi_partner"] = self.kpis("partner")
        out["kpi_zone"] = self.kpis("zone")
        out["explanations"] = self.explanations
        return out

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write ``{"summary": ..., "kpi_<by>": [row, ...]}`` as JSON (atomic)."""
        document: dict[str, Any] = {"summary": self.summary()}
        document.update({k: px.records(v) for k, v in self.tables().items() if k.startswith("kpi_")})
        return px.write_json(document, path)

    def to_gpkg(self, path: str | os.PathLike[str]) -> Path:
        """Write one GeoPackage layer per table (KPIs and slots as attribute tables; atomic).

        Raises ValueError when the plan was built without geometry, CRSError without a CRS.
        """
        tables = self.tables()
        px.require_geometry(tables, ("units", "sites"), "to_gpkg")
        return px.write_gpkg(tables, path)

    def to_geojson(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``<table>.geojson`` in EPSG:4326 (null geometries for non-spatial tables; atomic).

        Raises ValueError when the plan was built without geometry, CRSError without a CRS.
        """
        tables = self.tables()
        px.require_geometry(tables, ("units", "sites"), "to_geojson")
        return px.write_tables(tables, folder, ".geojson")

    def to_csv(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``<table>.csv`` files (geometry as WKT; atomic)."""
        return px.write_tables(self.tables(), folder, ".csv")

    def to_parquet(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``<table>.parquet`` files (GeoParquet for spatial tables; atomic)."""
        return px.write_tables(self.tables(), folder, ".parquet")
