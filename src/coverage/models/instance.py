"""One model instance: demand, sites and reach aligned, validated and reduced.

:func:`prepare` checks the inputs every model shares (ids, need, forced and
closed sites, costs) and keeps only what can matter to a solver: units with
need that an open-able site reaches, and sites that reach one of them or are
forced open. Models index those as *rows* and *model sites*;
:meth:`Instance.solution` maps a solver's answer back to every unit and site.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.inputs.rules import DepartmentRules
from coverage.models.solver import SolveResult
from coverage.plan.constraints import Constraints
from coverage.plan.solution import Solution
from coverage.reach.pairs import Reach

__all__ = ["Instance", "prepare"]

SLOT_COLUMNS = ["site_id", "partner", "slots"]


def _frame(data: object, id_column: str, ids: np.ndarray, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame or GeoDataFrame, got {type(data).__name__}")
    if id_column not in data.columns:
        raise ValueError(
            f"{what} has no '{id_column}' column (columns: {', '.join(map(str, data.columns))}); "
            f"name the id column '{id_column}'"
        )
    keys = data[id_column].astype(str)
    if keys.duplicated().any():
        raise ValueError(f"{what}: '{id_column}' repeats {', '.join(keys[keys.duplicated()].unique()[:5])}")
    position = pd.Index(keys).get_indexer(pd.Index(ids))
    if (position < 0).any():
        missing = ids[position < 0]
        raise ValueError(
            f"{what} lacks {len(missing)} ids that the reach has: {', '.join(map(str, missing[:5]))}; "
            "build the reach from the same frames"
        )
    if len(keys) != len(ids):
        extra = sorted(set(keys) - set(ids.tolist()))
        raise ValueError(
            f"{what} has {len(extra)} ids the reach lacks: {', '.join(extra[:5])}; "
            "build the reach from the same frames"
        )
    aligned = data.iloc[position].reset_index(drop=True)
    aligned[id_column] = aligned[id_column].astype(str)
    return aligned


def _site_ids(values: Iterable[str], known: pd.Index, what: str) -> npt.NDArray[np.bool_]:
    wanted = [str(v) for v in values]
    position = known.get_indexer(pd.Index(wanted)) if wanted else np.empty(0, np.int64)
    unknown = [w for w, p in zip(wanted, position, strict=True) if p < 0]
    if unknown:
        raise ValueError(f"{what} names {len(unknown)} unknown site ids: {', '.join(unknown[:5])}")
    mask = np.zeros(len(known), dtype=bool)
    mask[position] = True
    return mask


@dataclass(frozen=True)
class Instance:
    demand: pd.DataFrame
    sites: pd.DataFrame
    reach: Reach
    need: npt.NDArray[np.float64]
    available: npt.NDArray[np.bool_]
    forced: npt.NDArray[np.bool_]
    usable: npt.NDArray[np.bool_]
    reachable: npt.NDArray[np.bool_]
    site_dep: npt.NDArray[np.object_]
    unit_dep: npt.NDArray[np.object_] | None
    cost: npt.NDArray[np.float64]
    budget: float | None
    # model view: rows = units kept, model sites = usable sites
    row_units: npt.NDArray[np.int64]
    model_sites: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    dist: npt.NDArray[np.float64]
    pair_weight: npt.NDArray[np.float64]
    pair_site: npt.NDArray[np.int64] = field(repr=False)
    #: Index in ``reach.rows`` / ``reach.cols`` of each model pair (to map flows back).
    pair_index: npt.NDArray[np.int64] = field(repr=False)
    started: float = field(default_factory=time.perf_counter)

    @property
    def n_sites(self) -> int:
        return len(self.site_dep)

    @property
    def n_model_sites(self) -> int:
        return len(self.model_sites)

    @property
    def row_need(self) -> npt.NDArray[np.float64]:
        return self.need[self.row_units]

    @property
    def pair_rows(self) -> npt.NDArray[np.int64]:
        return np.repeat(np.arange(len(self.row_units)), np.diff(self.indptr))

    @property
    def model_site_dep(self) -> npt.NDArray[np.object_]:
        return self.site_dep[self.model_sites]

    @property
    def model_cost(self) -> npt.NDArray[np.float64]:
        return self.cost[self.model_sites]

    @property
    def model_forced(self) -> npt.NDArray[np.bool_]:
        return self.forced[self.model_sites]

    @property
    def unit_dep_codes(self) -> npt.NDArray[np.int64] | None:
        if self.unit_dep is None:
            return None
        return pd.factorize(pd.Series(self.unit_dep[self.row_units]))[0].astype(np.int64)

    def row_dep_of(self, group: npt.NDArray[np.int64]) -> npt.NDArray[np.object_] | None:
        """Department of each merged row (rows only merge within a department)."""
        if self.unit_dep is None:
            return None
        deps = np.empty(int(group.max()) + 1 if len(group) else 0, dtype=object)
        deps[group] = self.unit_dep[self.row_units]
        return deps

    def unit_dep_of_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.object_] | None:
        return None if self.unit_dep is None else self.unit_dep[self.row_units][rows]

    @property
    def need_by_dep(self) -> dict[str, float]:
        """Total need of each department (all units, reachable or not)."""
        if self.unit_dep is None:
            return {}
        return pd.Series(self.need).groupby(self.unit_dep).sum().astype(float).to_dict()

    @property
    def coverable_need_by_dep(self) -> dict[str, float]:
        """Need of each department that an open-able site reaches (max-min share ignores the rest)."""
        if self.unit_dep is None:
            return {}
        rows = self.row_units
        return pd.Series(self.need[rows]).groupby(self.unit_dep[rows]).sum().astype(float).to_dict()

    def within(self, radius: float) -> Instance:
        """The same instance keeping only the pairs no farther than ``radius``."""
        keep = self.dist <= radius
        counts = np.bincount(self.pair_rows[keep], minlength=len(self.row_units))
        return replace(
            self,
            indptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            cols=self.cols[keep],
            dist=self.dist[keep],
            pair_weight=self.pair_weight[keep],
            pair_site=self.pair_site[keep],
            pair_index=self.pair_index[keep],
        )

    def constraints(self, rules: DepartmentRules | None = None, **limits: Any) -> Constraints:
        """The constraints a plan of this instance was solved under (``limits``: the model's own)."""
        ids = self.sites["site_id"].to_numpy(dtype=object)
        return Constraints(
            budget=self.budget,
            forced=tuple(str(s) for s in ids[self.forced]),
            closed=tuple(str(s) for s in ids[~self.available]),
            rules=rules or DepartmentRules(),
            site_departments=tuple(sorted({str(d) for d in self.model_site_dep})),
            **limits,
        )

    def timer(self) -> Callable[[], float]:
        """Seconds since the instance was prepared, when called."""
        return lambda: time.perf_counter() - self.started

    def solution(
        self,
        model: str,
        result: SolveResult,
        open_model: npt.NDArray[np.bool_],
        *,
        build_seconds: float,
        solve_seconds: float | None = None,
        sense: Literal["max", "min"],
        served: npt.NDArray[np.float64] | None = None,
        slots: pd.DataFrame | None = None,
        flow: npt.NDArray[np.float64] | None = None,
        months: float | None = None,
        pad_to: int | None = None,
        method: str = "mip",
    ) -> Solution:
        """The solver's answer over every unit and site of the input.

        ``flow`` is the served need per model pair (flow models); it is mapped
        to the reach's pairs, and each unit's served need is then its sum.
        ``pad_to`` opens further available sites, in input order, until that
        many are open ("exactly p sites" when fewer than p reach any need).
        """
        open_sites = np.zeros(self.n_sites, dtype=bool)
        open_sites[self.model_sites[open_model]] = True
        if pad_to is not None and open_sites.sum() < pad_to:
            spare = np.flatnonzero(self.available & ~open_sites)
            open_sites[spare[: pad_to - int(open_sites.sum())]] = True
        reach_flow = None
        if flow is not None:
            reach_flow = np.zeros(len(self.reach.rows))
            reach_flow[self.pair_index] = flow
            served = np.bincount(self.reach.rows, weights=reach_flow, minlength=self.reach.n_demand)
        if served is None:
            # Coverage: each unit's need times the best coverage weight of an open site in reach.
            reach = self.reach
            weight = np.where(open_sites[reach.cols], reach.pair_weight, 0.0)
            best = np.zeros(reach.n_demand)
            np.maximum.at(best, reach.rows, weight)
            served = self.need * best
        return Solution(
            model=model,
            status=result.status,
            objective=result.objective,
            bound=result.bound,
            sense=sense,
            solver=result.solver,
            build_seconds=build_seconds,
            solve_seconds=result.seconds if solve_seconds is None else solve_seconds,
            open_sites=open_sites,
            served=served,
            slots=slots if slots is not None else pd.DataFrame({c: [] for c in SLOT_COLUMNS}),
            assignment=None,
            flow=reach_flow,
            months=months,
            method=method,
        )


def prepare(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    budget: float | None = None,
    rules: DepartmentRules | None = None,
    need_column: str = "need",
) -> Instance:
    """Align and check the inputs, and keep what a solver needs."""
    started = time.perf_counter()
    demand_frame = _frame(demand, "unit_id", reach.demand_ids, "demand")
    site_frame = _frame(sites, "site_id", reach.site_ids, "sites")
    if need_column not in demand_frame.columns:
        raise ValueError(f"demand has no '{need_column}' column; give each unit its need (people)")
    need = pd.to_numeric(demand_frame[need_column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(need) | (need < 0))
    if len(bad):
        shown = ", ".join(
            f"{demand_frame['unit_id'].iloc[i]}={demand_frame[need_column].iloc[i]!r}" for i in bad[:5]
        )
        raise ValueError(f"demand '{need_column}' must be a number >= 0; {len(bad)} units are not: {shown}")
    site_index = pd.Index(site_frame["site_id"])
    forced_mask = _site_ids(forced, site_index, "forced")
    closed_mask = _site_ids(closed, site_index, "closed")
    both = forced_mask & closed_mask
    if both.any():
        raise ValueError(f"sites both forced open and closed: {', '.join(site_index[both][:5])}")
    cost = np.ones(len(site_index))
    if budget is not None:
        if "cost" not in site_frame.columns:
            raise ValueError("a budget needs a 'cost' column on the sites (fixed cost of opening each)")
        cost = pd.to_numeric(site_frame["cost"], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(cost).all() or (cost < 0).any():
            raise ValueError("sites 'cost' must be numbers >= 0")
    needs_deps = rules is not None and not rules.is_empty
    site_dep = (
        site_frame["dep"].astype(str).to_numpy(dtype=object)
        if "dep" in site_frame.columns
        else np.full(len(site_index), "", dtype=object)
    )
    if needs_deps and "dep" not in site_frame.columns:
        raise ValueError("department rules need a 'dep' column on the sites")
    unit_dep = (
        demand_frame["dep"].astype(str).to_numpy(dtype=object) if "dep" in demand_frame.columns else None
    )
    if rules is not None and rules.needs_unit_departments and unit_dep is None:
        raise ValueError("department share rules need a 'dep' column on the demand units")

    available = ~closed_mask
    pair_ok = available[reach.cols]
    reachable = np.zeros(reach.n_demand, dtype=bool)
    reachable[reach.rows[pair_ok]] = True
    keep_pair = pair_ok & (need[reach.rows] > 0)
    usable = forced_mask.copy()
    usable[reach.cols[keep_pair]] = True
    model_sites = np.flatnonzero(usable)
    model_index = np.full(len(site_index), -1, dtype=np.int64)
    model_index[model_sites] = np.arange(len(model_sites))
    rows = reach.rows[keep_pair]
    row_units, row_of_pair = np.unique(rows, return_inverse=True)
    counts = np.bincount(row_of_pair, minlength=len(row_units))
    return Instance(
        demand=demand_frame,
        sites=site_frame,
        reach=reach,
        need=need,
        available=available,
        forced=forced_mask,
        usable=usable,
        reachable=reachable,
        site_dep=site_dep,
        unit_dep=unit_dep,
        cost=cost,
        budget=budget,
        row_units=row_units.astype(np.int64),
        model_sites=model_sites,
        indptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        cols=model_index[reach.cols[keep_pair]],
        dist=reach.dist[keep_pair],
        pair_weight=reach.pair_weight[keep_pair],
        pair_site=reach.cols[keep_pair].astype(np.int64),
        pair_index=np.flatnonzero(keep_pair).astype(np.int64),
        started=started,
    )
