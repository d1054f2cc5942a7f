"""The solved plan: open sites, need served, KPIs, explanations and exports.

A model in :mod:`coverage.models.location` returns a raw :class:`Solution` (arrays in
the order of its :class:`~coverage.reach.pairs.Reach`); :meth:`Plan.from_solution`
joins it back to the demand units and candidate sites (per-unit and per-site
columns: :mod:`coverage.plan.tables`). A :class:`Plan` gives KPIs by
department, partner and zone (:meth:`Plan.kpis`), the projection of people
accompanied by a date (:meth:`Plan.projection`), the unreached priority units
(:attr:`Plan.explanations`; zones and KPI definitions: :mod:`coverage.plan.kpis`)
and exports (:mod:`coverage.plan.export`).

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

import pandas as pd

from coverage.inputs.partners import Horizon, Partner
from coverage.plan import export as px
from coverage.plan import kpis as pk
from coverage.plan import tables as pt
from coverage.plan.constraints import Constraints
from coverage.plan.kpis import Projection
from coverage.plan.solution import Solution
from coverage.plan.trajectory import Trajectory
from coverage.reach.pairs import Reach

logger = logging.getLogger(__name__)

__all__ = ["Plan"]


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
    months
        Months of work the model's capacities count (staffing), None for other models.
    constraints
        What the model was solved under (site count, budget, forced and closed sites,
        department rules, sharing, target), re-checked by :func:`coverage.plan.verify.verify_plan`.

    The tables are private fields, read through :attr:`units`, :attr:`sites`, :attr:`slots`,
    :attr:`flows` and :attr:`explanations`, which return copies.
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
    months: float | None
    constraints: Constraints
    _units: pd.DataFrame = field(repr=False)
    _sites: pd.DataFrame = field(repr=False)
    _slots: pd.DataFrame = field(repr=False)
    _flows: pd.DataFrame = field(repr=False)
    _explanations: pd.DataFrame = field(repr=False)
    #: How the answer was found and proven (:attr:`Solution.method`).
    method: str = "mip"
    #: The plan phased over the months of its horizon (staffing with a rollout), else None.
    trajectory: Trajectory | None = field(default=None, repr=False)
    #: The planner stopped the solver at this plan (its best so far; ``status`` is then ``'feasible'``).
    stopped: bool = False

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
        constraints: Constraints | None = None,
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
        constraints
            What the model was solved under (default: nothing beyond the partners).

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
            months=solution.months,
            method=solution.method,
            constraints=constraints if constraints is not None else Constraints(),
            _units=pt.geometry_last(units),
            _sites=pt.geometry_last(table),
            _slots=solution.slots.copy(),
            _flows=pt.flow_table(solution, reach),
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
    def flows(self) -> pd.DataFrame:
        """Need served per (unit, site) pair, as the model decided it (flow models only).

        Columns ``unit_id``, ``site_id``, ``served``, ``distance`` (in :attr:`distance_unit`);
        one row per pair with served need > 0. Each unit's ``served`` and each site's
        ``served`` are the sums of these rows. Empty for models that decide no flow.
        """
        return self._flows.copy()

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
        """Need-weighted mean distance to the serving site over reached units (NaN if none).

        The serving site is the assigned one where the model assigns units
        (capacitated p-median: ``assigned_distance``), else the nearest open one.
        """
        reached = self._units[self._units["reached"]]
        weight = float(reached["need"].sum())
        column = "assigned_distance" if "assigned_distance" in reached.columns else "distance"
        return float((reached["need"] * reached[column]).sum()) / weight if weight > 0 else math.nan

    @property
    def worst_distance(self) -> float:
        """Largest distance to the serving site (see :attr:`mean_distance`) over reached units (or NaN)."""
        column = "assigned_distance" if "assigned_distance" in self._units.columns else "distance"
        reached = self._units[column][self._units["reached"]]
        return float(reached.max()) if len(reached) else math.nan

    def kpis(self, by: Literal["department", "partner", "zone"]) -> pd.DataFrame:
        """Key figures by department, partner or zone (see :mod:`coverage.plan.kpis`).

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
            months = self.months
            if months is None and self.horizon is not None:
                months = self.horizon.months
            return pk.kpi_partner(
                self._sites, self._slots, self.partners, total_need=self.total_need, months=months
            )
        raise ValueError(f"kpis(by=...) takes 'department', 'partner' or 'zone'; got {by!r}")

    def projection(self, date: dt.date | str | None = None) -> Projection | None:
        """People accompanied by ``date`` (default: the horizon's ``until``).

        ``people = min(served need, sum_p slots_p x people_per_slot_month_p x months)``,
        months from the horizon's start by :func:`coverage.inputs.partners.months_between` (0 before
        the start). None without a horizon or without slots.
        """
        return pk.project(self._slots, self.served_need, self.horizon, self.partners, date)

    def department_counts(self) -> pk.DepartmentCounts | None:
        """Departments with need, with an open site and served (None without a demand ``dep``).

        See :class:`coverage.plan.kpis.DepartmentCounts`: departments without need (no
        population data) are listed apart, not counted as unserved.
        """
        if "dep" not in self._units.columns:
            return None
        return pk.department_counts(self.kpis("department"))

    def summary(self) -> dict[str, Any]:
        """Headline figures as a JSON-able dict (NaN written as None)."""
        units, sites, slots = self._units, self._sites, self._slots
        by_partner = slots.groupby("partner", sort=True)["slots"].sum()
        projection = self.projection()
        counts = self.department_counts()
        return px.jsonable(
            {
                "model": self.model,
                "status": self.status,
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "sense": self.sense,
                "solver": self.solver,
                "method": self.method,
                "stopped_by_planner": self.stopped,
                "build_seconds": self.build_seconds,
                "solve_seconds": self.solve_seconds,
                "reach_rule": self.reach_rule,
                "distance_unit": self.distance_unit,
                "units": len(units),
                "units_reached": int(units["reached"].sum()),
                "candidate_sites": self.n_candidates,
                "open_sites": len(self.open_site_ids),
                "shared_sites": int(sites["shared"].sum()),
                "slots": int(slots["slots"].sum()),
                "advisors": float(sites["advisors"].sum()),
                "total_need": self.total_need,
                "reached_need": self.reached_need,
                "served_need": self.served_need,
                "served_share": self.served_share,
                "mean_distance": self.mean_distance,
                "worst_distance": self.worst_distance,
                "unreached_priority_units": len(self._explanations),
                "slots_by_partner": {str(p): int(s) for p, s in by_partner.items()},
                "projection": None if projection is None else projection.to_dict(),
                "departments": None if counts is None else counts.to_dict(),
                "trajectory": None if self.trajectory is None else self.trajectory.summary(),
            }
        )

    # -- exports ----------------------------------------------------------

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by export name (``kpi_department`` only when the demand has ``dep``)."""
        out = {"sites": self.sites, "units": self.units, "slots": self.slots}
        if self.months is not None:
            out["flows"] = self.flows
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
