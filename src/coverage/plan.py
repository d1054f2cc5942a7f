"""The solved plan: open sites, need served, KPIs, explanations and exports.

A model in :mod:`coverage.model` returns a raw :class:`Solution` (arrays in
the order of its :class:`~coverage.reach.Reach`); :meth:`Plan.from_solution`
joins it back to the demand units and candidate sites and derives, without
Python loops over pairs:

- per unit: ``served``, ``reached``, ``open_sites_in_reach``,
  ``nearest_open_site`` and ``distance`` (nearest open site *within reach*,
  None / NaN when none), plus ``assigned_site`` and ``assigned_distance``
  when the model assigns units;
- per open site: ``slots``, ``slots_<partner>``, ``advisors`` (advisor
  equivalents: a slot of a partner whose advisors rotate over 4 sites counts
  0.25), ``shared`` (staffed by a partner other than the owner, or by 2+
  partners), ``need_in_reach``, ``served`` (the need served of the units it
  serves: their assigned site, else their nearest open site) and
  ``unique_need``: the *need* (not the served need) of the units only this open
  site reaches, i.e. the need that closing it would leave out of reach;
- KPIs by department, partner and zone (:meth:`Plan.kpis`), the projection of
  people accompanied by a date (:meth:`Plan.projection`), and the unreached
  priority units (:attr:`Plan.explanations`).

Zones: ``qpv`` when the unit's ``qpv`` flag is true, else ``rural`` when its
``rural`` flag is true, else ``urban``. When the demand lacks one of the flags
the remainder is ``other`` (not known to be urban); without both, every unit is
in zone ``all``. Priority units are those of zones ``qpv`` and ``rural``.

Need served by a partner: a site's served need is split between the partners
staffing it in proportion to their slots; at an open site without slots
(coverage models) it goes to the site's owner (``partner`` column).

The plan is immutable: a frozen dataclass whose tables come back as copies.
Table helpers, KPI definitions and writers live in :mod:`coverage.plan_export`.
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
from coverage.partners import Horizon, Partner, months_between
from coverage.reach import Reach

logger = logging.getLogger(__name__)

__all__ = ["STATUSES", "Plan", "Projection", "Solution"]

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


@dataclass(frozen=True)
class Projection:
    """People accompanied by ``date``: ``people = min(served_need, capacity)``.

    ``capacity`` (and ``capacity_by_partner``) is ``slots x people_per_slot_month x months``
    over the ``months`` from the horizon's start; ``gap_to_target`` is ``target - people``
    (negative: target exceeded), None without a target.
    """

    date: dt.date
    months: float
    capacity: float
    capacity_by_partner: tuple[tuple[str, float], ...]
    served_need: float
    people: float
    target: float | None
    gap_to_target: float | None

    @property
    def target_share(self) -> float | None:
        """``people / target`` (None without a positive target)."""
        return self.people / self.target if self.target else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the date as ISO text)."""
        return {
            "date": self.date.isoformat(),
            "months": self.months,
            "capacity": self.capacity,
            "capacity_by_partner": dict(self.capacity_by_partner),
            "served_need": self.served_need,
            "people": self.people,
            "target": self.target,
            "gap_to_target": self.gap_to_target,
            "target_share": self.target_share,
        }


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
        n, m = reach.n_demand, reach.n_sites
        if len(solution.open_sites) != m or len(solution.served) != n:
            raise ValueError(
                f"the solution has {len(solution.open_sites)} sites and "
                f"{len(solution.served)} units; the reach has {m} sites and {n} units"
            )
        units = px.align(demand, "unit_id", reach.demand_ids, "demand", exact=True)
        candidates = px.align(sites, "site_id", reach.site_ids, "sites", exact=False)
        if "need" not in units.columns:
            raise ValueError("'demand' has no 'need' column")
        need = units["need"].to_numpy(dtype=np.float64)
        if not np.isfinite(need).all():
            raise ValueError("'demand' has missing or infinite need values; fill them (0 for none)")
        is_open, served = solution.open_sites, solution.served

        nearest, distance, open_in_reach = px.nearest_open(reach, is_open)
        units["served"] = served
        units["reached"] = open_in_reach > 0
        units["open_sites_in_reach"] = open_in_reach
        units["nearest_open_site"] = px.ids_or_none(reach.site_ids, nearest)
        units["distance"] = distance
        serving = nearest
        if solution.assignment is not None:
            serving = px.check_assignment(solution.assignment, is_open)
            units["assigned_site"] = px.ids_or_none(reach.site_ids, serving)
            units["assigned_distance"] = px.pair_distance(reach, serving)

        # Per site: need within reach, need served there, need only this open site reaches.
        opened = np.flatnonzero(is_open)
        per_site = px.staffing(solution.slots, candidates, reach.site_ids, is_open, partners)
        per_site["need_in_reach"] = px.site_sums(reach.cols, need[reach.rows], m)
        per_site["served"] = px.site_sums(serving, served, m, serving >= 0)
        per_site["unique_need"] = px.site_sums(nearest, need, m, open_in_reach == 1)
        table = candidates.iloc[opened].reset_index(drop=True)
        for column, values in per_site.items():
            table[column] = values[opened]
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
            n_candidates=m,
            _units=px.geometry_last(units),
            _sites=px.geometry_last(table),
            _slots=solution.slots.copy(),
            _explanations=px.explain_unreached(units, candidates, reach, is_open),
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
        """Key figures by department, partner or zone (see :mod:`coverage.plan_export`).

        Raises
        ------
        ValueError
            ``by='department'`` when the demand has no ``dep`` column, or an unknown ``by``.
        """
        if by == "department":
            return px.kpi_department(self._units, self._sites)
        if by == "zone":
            return px.kpi_zone(self._units)
        if by == "partner":
            months = self.horizon.months if self.horizon is not None else None
            return px.kpi_partner(
                self._sites, self._slots, self.partners, total_need=self.total_need, months=months
            )
        raise ValueError(f"kpis(by=...) takes 'department', 'partner' or 'zone'; got {by!r}")

    def projection(self, date: dt.date | str | None = None) -> Projection | None:
        """People accompanied by ``date`` (default: the horizon's ``until``).

        ``people = min(served need, sum_p slots_p x people_per_slot_month_p x months)``,
        months from the horizon's start by :func:`coverage.partners.months_between` (0 before
        the start). None without a horizon or without slots.
        """
        if self.horizon is None or self._slots.empty:
            return None
        when = (
            self.horizon.until
            if date is None
            else (dt.date.fromisoformat(date) if isinstance(date, str) else date)
        )
        months = months_between(self.horizon.start, when)
        rate = {p.name: p.people_per_slot_month for p in self.partners}
        used = self._slots.groupby("partner", sort=True)["slots"].sum()
        by_partner = tuple((str(p), float(s * rate[p] * months)) for p, s in used.items())
        capacity = float(sum(c for _, c in by_partner))
        people = min(self.served_need, capacity)
        target = None if self.horizon.target is None else float(self.horizon.target)
        return Projection(
            date=when,
            months=months,
            capacity=capacity,
            capacity_by_partner=by_partner,
            served_need=self.served_need,
            people=people,
            target=target,
            gap_to_target=None if target is None else target - people,
        )

    def summary(self) -> dict[str, Any]:
        """Headline figures as a JSON-able dict (NaN written as None)."""
        slots = self._slots.groupby("partner", sort=True)["slots"].sum()
        projection = self.projection()
        return px.jsonable(
            {
                "model": self.model,
                "status": self.status,
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "sense": self.sense,
                "solver": self.solver,
                "build_seconds": self.build_seconds,
                "solve_seconds": self.solve_seconds,
                "reach_rule": self.reach_rule,
                "distance_unit": self.distance_unit,
                "units": len(self._units),
                "units_reached": int(self._units["reached"].sum()),
                "candidate_sites": self.n_candidates,
                "open_sites": len(self.open_site_ids),
                "shared_sites": int(self._sites["shared"].sum()),
                "slots": int(self._slots["slots"].sum()),
                "advisors": float(self._sites["advisors"].sum()),
                "total_need": self.total_need,
                "reached_need": self.reached_need,
                "served_need": self.served_need,
                "served_share": self.served_share,
                "mean_distance": self.mean_distance,
                "worst_distance": self.worst_distance,
                "unreached_priority_units": len(self._explanations),
                "slots_by_partner": {str(p): int(s) for p, s in slots.items()},
                "projection": None if projection is None else projection.to_dict(),
            }
        )

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
