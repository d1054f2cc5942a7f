"""Run a scenario end to end: load, demand, sites, reach, solve, plan.

:func:`run_scenario` takes a validated :class:`~coverage.scenario.schema.Scenario`
(see :func:`coverage.scenario.loading.load_scenario`) and returns a
:class:`ScenarioRun`: the plan, the frames it was built from, every data file
read with its SHA-256 and size (for ``scenario.lock.toml``), and the seconds
each phase took.

Official files are looked up in the data folder (the ``data_dir`` argument,
else ``COVERAGE_DATA_DIR``); every missing file is named at once, before
anything is computed (:mod:`coverage.scenario.datafiles`). Demand from a file,
candidate sites and shortlists are built by :mod:`coverage.scenario.inputs`.

:func:`shipped_scenario` finds the scenarios shipped with the library
(``geodata/scenarios`` in a source checkout, ``coverage/_geodata/scenarios``
in the installed wheel).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from coverage.data.catalogue import entry
from coverage.errors import MissingDataError
from coverage.models.live import SolveWatch, current_watch, watching
from coverage.plan.analysis import WhatBinds
from coverage.plan.plan import Plan
from coverage.reach.pairs import Reach
from coverage.scenario.datafiles import (
    FRAGILITY_KEYS,
    fingerprint,
    locate_files,
    needs_data_dir,
    optional_data_dir,
)
from coverage.scenario.inputs import access_rule, build_scenario_sites, file_demand, shortlist_sites
from coverage.scenario.progress import Progress
from coverage.scenario.schema import Scenario
from coverage.scenario.site_choices import site_choices

__all__ = [
    "ScenarioRun",
    "run_scenario",
    "shipped_scenario",
    "site_choices",
    "solve_scenario",
]


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
    analysis
        What binds the plan and what one more of each resource buys, when measured
        (:func:`coverage.scenario.marginal.what_binds`; the command line adds it with
        :func:`dataclasses.replace`).
    """

    scenario: Scenario
    plan: Plan
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    reach: Reach
    files: tuple[tuple[Path, str, int], ...]
    timings: Mapping[str, float] = field(default_factory=dict)
    shortlists: Mapping[str, Plan] = field(default_factory=dict)
    analysis: WhatBinds | None = None


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

    Examples
    --------
    >>> path = shipped_scenario("demo")
    >>> path.name
    'demo.toml'
    >>> shipped_scenario("demo.toml") == path
    True
    >>> shipped_scenario("paris")
    Traceback (most recent call last):
    ...
    coverage.errors.MissingDataError: no shipped scenario 'paris.toml' in ...; shipped: demo, ...
    """
    from coverage.data.embedded import geodata_dir

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

    Demand is :func:`coverage.inputs.demand.build_demand` over the territory's
    communes, or the units of ``demand.source``
    (:func:`coverage.inputs.demand.demand_from_file`) in the territory's departments.

    Parameters
    ----------
    scenario
        A validated scenario (:func:`coverage.scenario.loading.load_scenario`).
    data_dir
        Folder of official files; default ``COVERAGE_DATA_DIR`` (see
        :func:`coverage.data.settings.resolve_data_dir`). Not needed when the
        scenario uses the embedded data only.
    progress
        Called as ``progress(phase, done, total)`` for each phase of
        :data:`PHASES`, in order: once at its start (``done=0``) and after each step.
        With ``rule = "road_time"`` the reach phase also reports the steps
        ``'roads'`` (network build or cache read) and ``'routing'`` (pairs routed).

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
    PlanVerificationError
        The solved plan breaks a constraint of its model (see :func:`solve_scenario`).
    LayerValidationError
        A data file breaks its schema.

    Examples
    --------
    The shipped demo (Creuse and Haute-Vienne, embedded data only), with 5 sites:

    >>> from coverage.scenario.loading import load_scenario
    >>> scenario = load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"])
    >>> run = run_scenario(scenario)
    >>> run.plan.status, len(run.plan.open_site_ids)
    ('optimal', 5)
    >>> round(run.plan.served_share, 3)  # share of the need within reach of an open site
    0.632
    >>> len(run.demand), len(run.sites)  # one demand unit and one town hall per commune
    (450, 450)
    >>> run.files  # no official data file read
    ()
    >>> list(run.timings)
    ['load', 'demand', 'sites', 'reach', 'solve', 'plan']
    """
    from coverage.data.embedded import load_communes
    from coverage.data.settings import resolve_data_dir

    report: Progress = progress or (lambda phase, done, total: None)
    timings: dict[str, float] = {}

    # -- load
    start = time.perf_counter()
    folder = resolve_data_dir(data_dir) if needs_data_dir(scenario) else optional_data_dir(data_dir)
    paths = locate_files(scenario, folder)
    total = 1 + len(paths)
    report("load", 0, total)
    communes = load_communes(scenario.departments())
    report("load", 1, total)
    frames: dict[str, Any] = {}
    files: list[tuple[Path, str, int]] = []
    for done, (key, path) in enumerate(paths.items(), start=2):
        files.append(fingerprint(path))
        if not key.startswith("file:"):
            frames[key] = entry(key).load(path)
        report("load", done, total)
    timings["load"] = time.perf_counter() - start

    # -- demand
    start = time.perf_counter()
    report("demand", 0, 1)
    spec = scenario.demand
    fragility = next((frames[k] for k in FRAGILITY_KEYS if k in frames), None)
    from coverage.inputs.demand import build_demand

    if spec.source is not None:
        demand = file_demand(scenario, paths["file:demand"], frames.get("density_grid"))
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
    sites = build_scenario_sites(scenario, communes, frames, paths, report)
    timings["sites"] = time.perf_counter() - start

    # -- shortlist
    start = time.perf_counter()
    rule = access_rule(scenario, paths)
    # the shortlist's figures reach the planner, but a stop asked for applies to the plan's solve only
    current = current_watch()
    with watching(None if current is None else SolveWatch(current.emit)):
        sites, shortlists = shortlist_sites(scenario, demand, sites, report, rule=rule)
    if shortlists:
        timings["shortlist"] = time.perf_counter() - start

    # -- reach
    start = time.perf_counter()
    report("reach", 0, 1)
    from coverage.reach.layers import build_reach

    reach = build_reach(demand, sites, rule, decay=scenario.to_decay(), progress=report)
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


# --------------------------------------------------------------------------- solve


def solve_scenario(
    scenario: Scenario,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    *,
    tie_break: bool = True,
) -> Plan:
    """Solve ``scenario``'s objective on prepared demand, sites and reach (the solve phase alone).

    For callers that keep the inputs of an earlier :func:`run_scenario` and
    change only the objective, rules, partners, horizon or solver (the map app).
    A solved plan is checked by :func:`coverage.plan.verify.check_plan` before it
    is returned. Under a :class:`~coverage.models.live.SolveWatch` made current with
    :func:`~coverage.models.live.watching`, the solver reports its progress to it and a
    plan it stopped early says so (:attr:`~coverage.plan.plan.Plan.stopped`).
    ``tie_break=False`` skips staffing's second solve (distance at equal need
    served; see :func:`coverage.models.staffing.staffing`).

    Raises
    ------
    InfeasibleScenarioError
        The model cannot satisfy the scenario.
    PlanVerificationError
        The solved plan breaks a constraint of its model (a defect: never written out).

    Examples
    --------
    Solve the demo with 5 sites, then with 8 on the same inputs (no new reach):

    >>> from coverage.scenario.loading import load_scenario
    >>> demo = shipped_scenario("demo")
    >>> run = run_scenario(load_scenario(demo, overrides=["objective.max_sites=5"]))
    >>> eight = load_scenario(demo, overrides=["objective.max_sites=8"])
    >>> plan = solve_scenario(eight, run.demand, run.sites, run.reach)
    >>> plan.model, len(plan.open_site_ids)
    ('maximal_coverage', 8)
    >>> round(run.plan.served_share, 3), round(plan.served_share, 3)
    (0.632, 0.744)
    """
    watch = current_watch()
    stopped_before = 0 if watch is None else watch.stopped
    plan = _solve(scenario, demand, sites, reach, tie_break=tie_break)
    if watch is not None and watch.stopped > stopped_before and plan.status == "feasible":
        plan = dataclasses.replace(plan, stopped=True)
    if plan.status in ("optimal", "feasible"):
        from coverage.plan.verify import check_plan

        check_plan(plan)
    return plan


def _solve(
    scenario: Scenario, demand: pd.DataFrame, sites: pd.DataFrame, reach: Reach, *, tie_break: bool
) -> Plan:
    from coverage.models.location import maximal_coverage, p_center, p_median, set_cover
    from coverage.models.staffing import staffing

    objective = scenario.objective
    rules = scenario.to_rules()
    options = scenario.to_solver_options()
    sites = site_choices(scenario, sites)
    fixed: dict[str, Any] = {"forced": objective.forced, "closed": objective.closed}
    if objective.model in ("p_median", "p_center"):
        solve = p_median if objective.model == "p_median" else p_center
        return solve(demand, sites, reach, p=int(objective.p or 1), options=options, **fixed)
    fixed["budget"] = objective.budget
    if objective.model == "maximal_coverage":
        return maximal_coverage(
            demand, sites, reach, max_sites=objective.max_sites or 10, rules=rules, options=options, **fixed
        )
    if objective.model == "set_cover":
        return set_cover(demand, sites, reach, target=objective.target, rules=rules, options=options, **fixed)
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
        tie_break=tie_break,
        options=options,
        rollout=scenario.to_rollout(),
        **fixed,
    )
