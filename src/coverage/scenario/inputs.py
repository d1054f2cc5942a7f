"""The inputs a scenario's model is built on: demand from a file, candidate sites, shortlists.

Used by :func:`coverage.scenario.run.run_scenario`; demand from the communes is
:func:`coverage.inputs.demand.build_demand` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.plan.plan import Plan
from coverage.reach.roads import RoadTime
from coverage.reach.rules import Rule
from coverage.scenario.schema import Scenario
from coverage.scenario.tables import SiteLayerSpec, is_path_like

__all__ = ["access_rule", "build_scenario_sites", "file_demand", "shortlist_sites"]

if TYPE_CHECKING:
    from coverage.scenario.progress import Progress


# --------------------------------------------------------------------------- demand


def file_demand(scenario: Scenario, path: Path, density_grid: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """The units of ``demand.source``, kept in the scenario's departments."""
    from coverage.data.embedded import load_communes
    from coverage.data.layers._common import REPORT_ATTR
    from coverage.errors import LayerValidationError, Problem
    from coverage.inputs.demand import demand_from_file

    spec = scenario.demand
    demand = demand_from_file(
        path,
        id_column=spec.id_column or "unit_id",
        need_column=spec.need_column or "need",
        name_column=spec.name_column or "name",
        qpv_column=spec.qpv_column,
        lon=spec.lon_column or "longitude",
        lat=spec.lat_column or "latitude",
        layer=spec.layer,
        communes=load_communes(),
        density_grid=density_grid,
    )
    departments = scenario.departments()
    if departments is None:
        return demand
    report = demand.attrs.get(REPORT_ATTR)
    inside = demand["dep"].isin(departments).to_numpy()
    if not inside.any():
        raise LayerValidationError(
            Problem(
                str(path),
                f"none of its {len(demand)} units lies in the scenario's departments "
                f"({', '.join(departments)}); check territory.departments",
            )
        )
    kept = demand[inside].reset_index(drop=True)
    if report is not None:
        report.drop("outside the scenario's departments", int((~inside).sum()))
        report.rows_kept = len(kept)
        kept.attrs[REPORT_ATTR] = report
    return kept


# --------------------------------------------------------------------------- sites


def _layer_sites(
    name: str,
    layer: SiteLayerSpec,
    communes: gpd.GeoDataFrame,
    frames: Mapping[str, Any],
    paths: Mapping[str, Path],
) -> gpd.GeoDataFrame:
    from coverage.inputs import sites as s

    source = layer.source
    if source == "town_halls":
        out = s.sites_from_town_halls(communes, capacity=layer.capacity, partner=layer.partner)
    elif is_path_like(source):
        out = s.sites_from_file(
            paths[f"file:{name}"],
            partner=layer.partner,
            kind=name,
            capacity=layer.capacity,
            cost=layer.cost if isinstance(layer.cost, str) else None,
        )
    elif source == "laposte_points":
        points = frames[source]
        kinds = layer.kinds or sorted(points["kind"].dropna().unique())
        out = s.sites_from_laposte(points, kinds=kinds, capacity=layer.capacity, partner=layer.partner)
    elif source in ("france_services_2024", "france_services_2020"):
        out = s.sites_from_france_services(frames[source], capacity=layer.capacity, partner=layer.partner)
    elif source == "cnfs_structures_2021":
        out = s.sites_from_cnfs_structures(frames[source], partner=layer.partner)
    else:
        out = s.sites_from_mediation_places(
            frames[source], capacity=layer.capacity, default_partner=layer.partner
        )
    if layer.kinds:
        out = out[out["kind"].isin(layer.kinds).to_numpy()]
    if layer.owners:
        out = out[out["partner"].isin(layer.owners).to_numpy()]
    return out


def build_scenario_sites(
    scenario: Scenario,
    communes: gpd.GeoDataFrame,
    frames: Mapping[str, Any],
    paths: Mapping[str, Path],
    report: Progress,
) -> gpd.GeoDataFrame:
    from coverage.inputs.sites import build_sites

    total = len(scenario.sites) + 1
    report("sites", 0, total)
    layers = []
    strict: set[str] = set()
    origin: dict[str, str] = {}
    for done, (name, layer) in enumerate(scenario.sites.items(), start=1):
        frame = _layer_sites(name, layer, communes, frames, paths)
        layers.append(frame)
        origin.update(dict.fromkeys(frame["site_id"].astype(str), name))
        if layer.eligible_only:
            strict |= set(frame["site_id"].astype(str))
        report("sites", done, total)
    qpv = frames.get("qpv_demography")
    sites = build_sites(
        layers,
        communes=communes,
        qpv_polygons=frames.get("qpv_polygons"),
        qpv_communes=None if qpv is None else qpv.loc[qpv["matched"], "insee_com"],
        density_grid=frames.get("density_grid"),
    )
    departments = scenario.departments()
    keep = ~(sites["site_id"].astype(str).isin(strict) & ~sites["eligible"].astype(bool))
    if departments is not None:
        keep &= sites["dep"].isin(departments)
    sites = sites[keep.to_numpy()].reset_index(drop=True)
    sites["source_layer"] = sites["site_id"].astype(str).map(origin)
    report("sites", total, total)
    return sites


# --------------------------------------------------------------------------- shortlist


def access_rule(scenario: Scenario, paths: Mapping[str, Path]) -> Rule | RoadTime:
    """The scenario's access rule, with its road extract where :func:`locate_files` found it.

    ``paths`` is what :func:`coverage.scenario.datafiles.locate_files` returned: a
    relative ``access.extract`` not beside the scenario file is in the data folder.
    """
    rule = scenario.to_access_rule()
    if isinstance(rule, RoadTime) and "file:roads" in paths:
        rule = replace(rule, extract=paths["file:roads"])
    return rule


def shortlist_sites(
    scenario: Scenario,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    report: Progress,
    *,
    rule: Rule | RoadTime | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Plan]]:
    """Keep, in each layer with ``shortlist = N``, the N sites reaching the most need.

    The layer's sites are told apart by their ``source_layer`` column (set by
    :func:`build_scenario_sites`). Each shortlist is a maximal-coverage solve over that
    layer alone, with ``serve_exactly = shortlist_departments``, under ``rule``
    (default: the scenario's access rule).
    """
    from coverage.errors import InfeasibleScenarioError
    from coverage.inputs.rules import DepartmentRules
    from coverage.models.location import maximal_coverage
    from coverage.reach.layers import build_reach

    layers = {name: layer for name, layer in scenario.sites.items() if layer.shortlist is not None}
    if not layers:
        return sites, {}
    report("shortlist", 0, len(layers))
    keep = np.ones(len(sites), dtype=bool)
    plans: dict[str, Plan] = {}
    for done, (name, layer) in enumerate(layers.items(), start=1):
        mine = sites["source_layer"].eq(name).to_numpy()
        candidates = sites[mine].reset_index(drop=True)
        if len(candidates) > int(layer.shortlist or 0):
            reach = build_reach(demand, candidates, rule or scenario.to_access_rule())
            plan = maximal_coverage(
                demand,
                candidates,
                reach,
                max_sites=int(layer.shortlist or 0),
                rules=DepartmentRules(serve_exactly=layer.shortlist_departments),
                options=scenario.to_solver_options(),
            )
            if not plan.open_site_ids:
                raise InfeasibleScenarioError(
                    f"[sites.{name}] shortlist: the solver found no {layer.shortlist} sites "
                    f"(status {plan.status!r}); raise solver.time_limit or lower the shortlist"
                )
            plans[name] = plan
            chosen = set(plan.open_site_ids)
            keep[mine] = sites.loc[mine, "site_id"].astype(str).isin(chosen).to_numpy()
        report("shortlist", done, len(layers))
    return sites[keep].reset_index(drop=True), plans
