"""Run a scenario end to end: load, demand, sites, reach, solve, plan.

:func:`run_scenario` takes a validated :class:`~coverage.scenario_schema.Scenario`
(see :func:`coverage.scenario.load_scenario`) and returns a
:class:`ScenarioRun`: the plan, the frames it was built from, every data file
read with its SHA-256 and size (for ``scenario.lock.toml``), and the seconds
each phase took.

Official files are looked up in the data folder (the ``data_dir`` argument,
else ``COVERAGE_DATA_DIR``) by the file-name patterns of
:data:`coverage.catalogue.CATALOGUE`. Every missing file is named at once,
with its expected path and how to get it, before anything is computed.

:func:`shipped_scenario` finds the scenarios shipped with the library
(``geodata/scenarios`` in a source checkout, ``coverage/_geodata/scenarios``
in the installed wheel).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.catalogue import DataFile, entry
from coverage.errors import MissingDataError
from coverage.plan import Plan
from coverage.reach import Reach
from coverage.scenario_schema import Scenario, SiteLayerSpec, is_path_like

__all__ = [
    "PHASES",
    "Progress",
    "ScenarioRun",
    "phases",
    "run_scenario",
    "shipped_scenario",
    "solve_scenario",
]

#: The phases of a run, in order, as reported to the ``progress`` callback
#: (``shortlist`` only when a site layer has a ``shortlist``).
PHASES = ("load", "demand", "sites", "shortlist", "reach", "solve", "plan")

#: ``progress(phase, done, total)``: called when a phase starts (``done=0``) and after each step.
Progress = Callable[[str, int, int], None]

#: Catalogue keys of the fragility index, most preferred first.
_FRAGILITY_KEYS = ("fragility_communes", "fragility_iris")


@dataclass(frozen=True)
class ScenarioRun:
    """The result of :func:`run_scenario`.

    Attributes
    ----------
    scenario
        The scenario that was run.
    plan
        The solved plan.
    demand, sites
        Demand units (built from the communes, or read from ``demand.source``)
        and candidate sites the model was built on.
    reach
        Unit-site pairs within the access rule.
    files
        ``(path, sha256, size in bytes)`` of every data file read, in reading
        order; empty when the run used the embedded data only.
    timings
        Seconds per phase, keyed by the names of :data:`PHASES`.
    shortlists
        Site layer name -> the maximal-coverage plan that chose its shortlist
        (layers with ``shortlist`` only).
    """

    scenario: Scenario
    plan: Plan
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    reach: Reach
    files: tuple[tuple[Path, str, int], ...]
    timings: Mapping[str, float] = field(default_factory=dict)
    shortlists: Mapping[str, Plan] = field(default_factory=dict)


def phases(scenario: Scenario) -> tuple[str, ...]:
    """The phases :func:`run_scenario` reports for ``scenario``, in order."""
    shortlist = any(layer.shortlist is not None for layer in scenario.sites.values())
    return tuple(phase for phase in PHASES if shortlist or phase != "shortlist")


def shipped_scenario(name: str) -> Path:
    """Path of a scenario shipped with the library (``'demo'`` or ``'demo.toml'``).

    Parameters
    ----------
    name
        File name in the shipped ``scenarios`` folder, with or without ``.toml``.

    Returns
    -------
    pathlib.Path
        The file, inside the installed wheel or the source checkout's ``geodata/``.

    Raises
    ------
    MissingDataError
        No shipped scenario has that name (the message lists those there are).
    """
    from coverage.embedded import geodata_dir

    folder = geodata_dir() / "scenarios"
    file_name = name if name.endswith(".toml") else f"{name}.toml"
    path = folder / file_name
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        raise MissingDataError(
            f"no shipped scenario {file_name!r} in {folder}; shipped: {', '.join(known) or 'none'}"
        )
    return path


def run_scenario(
    scenario: Scenario, *, data_dir: str | Path | None = None, progress: Progress | None = None
) -> ScenarioRun:
    """Run ``scenario``: read the data, build demand, sites and reach, solve, make the plan.

    Demand is :func:`coverage.demand.build_demand` over the territory's
    communes, or the units of ``demand.source``
    (:func:`coverage.demand.demand_from_file`) in the territory's departments.

    Parameters
    ----------
    scenario
        A validated scenario (:func:`coverage.scenario.load_scenario`).
    data_dir
        Folder of official files; default ``COVERAGE_DATA_DIR`` (see
        :func:`coverage.settings.resolve_data_dir`). Not needed when the
        scenario uses the embedded data only.
    progress
        Called as ``progress(phase, done, total)`` for each phase of
        :data:`PHASES`, in order: once at its start (``done=0``) and after each step.

    Returns
    -------
    ScenarioRun
        The plan, its inputs, the files read and the timings.

    Raises
    ------
    MissingDataError
        Files the scenario needs are missing: every one is listed with its
        catalogue key, expected path and how to get it.
    InfeasibleScenarioError
        The model cannot satisfy the scenario.
    LayerValidationError
        A data file breaks its schema.
    """
    from coverage.embedded import load_communes
    from coverage.settings import resolve_data_dir

    report: Progress = progress or (lambda phase, done, total: None)
    timings: dict[str, float] = {}

    # -- load
    start = time.perf_counter()
    folder = resolve_data_dir(data_dir) if _needs_data_dir(scenario) else _optional_data_dir(data_dir)
    paths = _locate_files(scenario, folder)
    total = 1 + len(paths)
    report("load", 0, total)
    communes = load_communes(scenario.departments())
    report("load", 1, total)
    frames: dict[str, Any] = {}
    files: list[tuple[Path, str, int]] = []
    for done, (key, path) in enumerate(paths.items(), start=2):
        files.append(_fingerprint(path))
        if not key.startswith("file:"):
            frames[key] = entry(key).load(path)
        report("load", done, total)
    timings["load"] = time.perf_counter() - start

    # -- demand
    start = time.perf_counter()
    report("demand", 0, 1)
    spec = scenario.demand
    fragility = next((frames[k] for k in _FRAGILITY_KEYS if k in frames), None)
    from coverage.demand import build_demand

    if spec.source is not None:
        demand = _file_demand(scenario, paths["file:demand"], frames.get("density_grid"))
    else:
        demand = build_demand(
            communes,
            illectronisme_rate=spec.illectronisme_rate,
            qpv_multiplier=spec.qpv_multiplier,
            rural_multiplier=spec.rural_multiplier,
            fragility=fragility,
            density_grid=frames.get("density_grid"),
            qpv_demography=frames.get("qpv_demography"),
            qpv_polygons=frames.get("qpv_polygons"),
        )
    report("demand", 1, 1)
    timings["demand"] = time.perf_counter() - start

    # -- sites
    start = time.perf_counter()
    sites = _build_sites(scenario, communes, frames, paths, report)
    timings["sites"] = time.perf_counter() - start

    # -- shortlist
    start = time.perf_counter()
    sites, shortlists = _shortlist(scenario, demand, sites, report)
    if shortlists:
        timings["shortlist"] = time.perf_counter() - start

    # -- reach
    start = time.perf_counter()
    report("reach", 0, 1)
    from coverage.reach_layers import build_reach

    reach = build_reach(demand, sites, scenario.to_access_rule(), decay=scenario.to_decay())
    report("reach", 1, 1)
    timings["reach"] = time.perf_counter() - start

    # -- solve
    start = time.perf_counter()
    report("solve", 0, 1)
    plan = solve_scenario(scenario, demand, sites, reach)
    report("solve", 1, 1)
    timings["solve"] = time.perf_counter() - start

    # -- plan
    start = time.perf_counter()
    report("plan", 0, 1)
    run = ScenarioRun(
        scenario=scenario,
        plan=plan,
        demand=demand,
        sites=sites,
        reach=reach,
        files=tuple(files),
        timings=timings,
        shortlists=shortlists,
    )
    report("plan", 1, 1)
    timings["plan"] = time.perf_counter() - start
    return run


def _file_demand(scenario: Scenario, path: Path, density_grid: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """The units of ``demand.source``, kept in the scenario's departments."""
    from coverage.demand import demand_from_file
    from coverage.embedded import load_communes
    from coverage.errors import LayerValidationError, Problem
    from coverage.layers._common import REPORT_ATTR

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


# --------------------------------------------------------------------------- load


def _needs_data_dir(scenario: Scenario) -> bool:
    catalogue_sources = any(
        layer.source != "town_halls" and not is_path_like(layer.source) for layer in scenario.sites.values()
    )
    return catalogue_sources or bool(_layer_keys(scenario)) or scenario.demand.use_fragility


def _optional_data_dir(data_dir: str | Path | None) -> Path | None:
    """The data folder if one is set (for relative site files), else None.

    A bad ``data_dir`` argument is reported; a bad ``COVERAGE_DATA_DIR`` is
    not, since this scenario may not need it.
    """
    from coverage.errors import CoverageError
    from coverage.settings import resolve_data_dir

    if data_dir is not None:
        return resolve_data_dir(data_dir)
    try:
        return resolve_data_dir(None)
    except CoverageError:
        return None


def _layer_keys(scenario: Scenario) -> list[str]:
    """Catalogue keys of the zone layers the demand settings ask for."""
    demand = scenario.demand
    keys = []
    if demand.qpv_units in ("demography", "polygons"):
        keys.append("qpv_demography")
    if demand.qpv_units == "polygons":
        keys.append("qpv_polygons")
    if demand.rurality == "density_grid":
        keys.append("density_grid")
    return keys


def _locate_files(scenario: Scenario, folder: Path | None) -> dict[str, Path]:
    """Catalogue key (or ``'file:<layer>'``, ``'file:demand'``) -> path of every file the scenario reads.

    Raises
    ------
    MissingDataError
        Listing every missing file at once.
    """
    from coverage.datadir import scan

    wanted: list[str] = []
    own: dict[str, Path] = {}
    given: dict[str, str] = {}
    for name, layer in scenario.sites.items():
        if is_path_like(layer.source):
            given[f"file:{name}"] = layer.source
        elif layer.source != "town_halls" and layer.source not in wanted:
            wanted.append(layer.source)
    if scenario.demand.source is not None:
        given["file:demand"] = scenario.demand.source
    for key, source in given.items():
        path = Path(source)
        if not path.is_absolute() and folder is not None:
            path = folder / path  # not beside the scenario file: look in the data folder
        own[key] = path
    wanted.extend(_layer_keys(scenario))
    found: dict[str, Path] = {}
    if folder is not None:
        keys = [*wanted, *_FRAGILITY_KEYS] if scenario.demand.use_fragility else wanted
        found = {item.key: item.path for item in scan(folder, keys=keys)}
    problems = [_missing(entry(key), folder) for key in wanted if key not in found]
    if scenario.demand.use_fragility:
        present = [key for key in _FRAGILITY_KEYS if key in found]
        if present:
            wanted.append(present[0])
        else:
            problems.append(
                _missing(entry(_FRAGILITY_KEYS[0]), folder)
                + f" (or {_FRAGILITY_KEYS[1]}; or set demand.use_fragility = false)"
            )
    for key, path in own.items():
        if not path.is_file():
            where = key.removeprefix("file:")
            table = "demand" if key == "file:demand" else f"sites.{where}"
            looked = "" if Path(given[key]).is_absolute() else (
                " (looked next to the scenario file and in the data folder)"
            )
            problems.append(
                f"[{table}] source: {path} does not exist{looked}; check the path in the scenario"
            )
    if problems:
        place = f"data folder {folder}" if folder is not None else "no data folder set (--data-dir)"
        head = "1 data file is missing" if len(problems) == 1 else f"{len(problems)} data files are missing"
        raise MissingDataError(f"{head} ({place}):\n  " + "\n  ".join(problems))
    return {**{key: found[key] for key in wanted}, **own}


def _missing(item: DataFile, folder: Path | None) -> str:
    expected = (folder / item.relative_path) if folder is not None else Path("DATA_DIR") / item.relative_path
    return f"{item.key}: expected {expected} ({item.title}); get it: {item.how_to_get}"


def _fingerprint(path: Path) -> tuple[Path, str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.resolve(), digest.hexdigest(), path.stat().st_size


# --------------------------------------------------------------------------- sites


def _layer_sites(
    name: str,
    layer: SiteLayerSpec,
    communes: gpd.GeoDataFrame,
    frames: Mapping[str, Any],
    paths: Mapping[str, Path],
) -> gpd.GeoDataFrame:
    from coverage import sites as s

    source = layer.source
    if source == "town_halls":
        out = s.sites_from_town_halls(communes, capacity=layer.capacity, partner=layer.partner)
    elif is_path_like(source):
        out = s.sites_from_file(
            paths[f"file:{name}"], partner=layer.partner, kind=name, capacity=layer.capacity
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


def _build_sites(
    scenario: Scenario,
    communes: gpd.GeoDataFrame,
    frames: Mapping[str, Any],
    paths: Mapping[str, Path],
    report: Progress,
) -> gpd.GeoDataFrame:
    from coverage.sites import build_sites

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


def _shortlist(
    scenario: Scenario, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, report: Progress
) -> tuple[gpd.GeoDataFrame, dict[str, Plan]]:
    """Keep, in each layer with ``shortlist = N``, the N sites reaching the most need.

    The layer's sites are told apart by their ``source_layer`` column (set by
    :func:`_build_sites`). Each shortlist is a maximal-coverage solve over that
    layer alone, with ``serve_exactly = shortlist_departments``.
    """
    from coverage.errors import InfeasibleScenarioError
    from coverage.model import maximal_coverage
    from coverage.reach_layers import build_reach
    from coverage.rules import DepartmentRules

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
            reach = build_reach(demand, candidates, scenario.to_access_rule())
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


# --------------------------------------------------------------------------- solve


def solve_scenario(scenario: Scenario, demand: pd.DataFrame, sites: pd.DataFrame, reach: Reach) -> Plan:
    """Solve ``scenario``'s objective on prepared demand, sites and reach (the solve phase alone).

    For callers that keep the inputs of an earlier :func:`run_scenario` and
    change only the objective, rules, partners, horizon or solver (the map app).
    """
    from coverage.model import maximal_coverage, p_center, p_median, set_cover
    from coverage.staffing import staffing

    objective = scenario.objective
    rules = scenario.to_rules()
    options = scenario.to_solver_options()
    if objective.model == "maximal_coverage":
        return maximal_coverage(
            demand, sites, reach, max_sites=objective.max_sites or 10, rules=rules, options=options
        )
    if objective.model == "set_cover":
        return set_cover(demand, sites, reach, target=objective.target, rules=rules, options=options)
    if objective.model in ("p_median", "p_center"):
        solve = p_median if objective.model == "p_median" else p_center
        return solve(demand, sites, reach, p=int(objective.p or 1), options=options)
    return staffing(
        demand,
        sites,
        reach,
        scenario.to_partners(),
        sharing=scenario.to_sharing(),
        horizon=scenario.to_horizon(),
        objective="min_advisors" if objective.target is not None else "max_served",
        target=objective.target,
        rules=rules,
        options=options,
    )
