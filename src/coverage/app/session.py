"""What the map app computes, as plain library calls (no Streamlit here).

- :func:`inputs_key` says which settings the demand units, candidate sites
  and reach depend on, so the app can keep them across reruns and
  :func:`resolve` re-solves only the model when the objective, partners,
  rules, horizon or solver change (the demo re-solves in well under a second);
- :func:`compare_plans` compares two plans in memory, as
  :func:`coverage.scenario.compare.compare_runs` compares two run folders;
- :func:`export_gpkg`, :func:`export_csv_zip` and :func:`map_html` give the
  bytes of the app's downloads.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import folium

from coverage.plan.plan import Plan
from coverage.scenario.compare import Comparison, compare_runs
from coverage.scenario.output import RunOutput, open_sites_frame
from coverage.scenario.progress import Progress
from coverage.scenario.run import ScenarioRun, run_scenario
from coverage.scenario.schema import Scenario

__all__ = ["compare_plans", "export_csv_zip", "export_gpkg", "inputs_key", "map_html", "resolve"]


def inputs_key(scenario: Scenario) -> str:
    """A text key of the settings the demand, sites and reach are built from.

    Territory, demand, site layers and access; the solver settings too when a
    site layer is shortlisted (the shortlist is a solve).

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> base = load_scenario(demo)
    >>> inputs_key(load_scenario(demo, overrides=["objective.max_sites=5"])) == inputs_key(base)
    True
    >>> inputs_key(load_scenario(demo, overrides=["access.rural=20000"])) == inputs_key(base)
    False
    """
    tables = ["territory", "demand", "sites", "access"]
    if any(layer.shortlist is not None for layer in scenario.sites.values()):
        tables.append("solver")
    dumped = scenario.model_dump(mode="json", include=set(tables))
    return json.dumps(dumped, sort_keys=True)


def resolve(
    scenario: Scenario,
    *,
    previous: ScenarioRun | None = None,
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ScenarioRun:
    """Run ``scenario``, reusing the demand, sites and reach of ``previous`` when they still apply.

    With ``previous`` built from the same :func:`inputs_key`, only the model is
    solved again; otherwise this is :func:`coverage.scenario.run.run_scenario`.

    Examples
    --------
    The planner moves the site count from 5 to 8: only the model is solved again.

    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> run = resolve(load_scenario(demo, overrides=["objective.max_sites=5"]))
    >>> again = resolve(load_scenario(demo, overrides=["objective.max_sites=8"]), previous=run)
    >>> list(again.timings), again.reach is run.reach
    (['solve'], True)
    >>> len(again.plan.open_site_ids), round(again.plan.served_share, 3)
    (8, 0.744)
    """
    if previous is None or inputs_key(previous.scenario) != inputs_key(scenario):
        return run_scenario(scenario, data_dir=data_dir, progress=progress)
    import time

    from coverage.scenario.run import solve_scenario

    start = time.perf_counter()
    plan = solve_scenario(scenario, previous.demand, previous.sites, previous.reach)
    return ScenarioRun(
        scenario=scenario,
        plan=plan,
        demand=previous.demand,
        sites=previous.sites,
        reach=previous.reach,
        files=previous.files,
        timings={"solve": time.perf_counter() - start},
        shortlists=previous.shortlists,
    )


def _in_memory(plan: Plan, name: str) -> RunOutput:
    kpis = {by: plan.kpis(by) for by in ("partner", "zone")}
    if "dep" in plan.units.columns:
        kpis["department"] = plan.kpis("department")
    return RunOutput(
        folder=Path(name),
        summary={"summary": plan.summary()},
        open_sites=open_sites_frame(plan.sites),
        kpis=kpis,
    )


def compare_plans(a: Plan, b: Plan, *, names: tuple[str, str] = ("pinned", "current")) -> Comparison:
    """Plan B relative to plan A: sites opened and closed, KPI deltas.

    The same :class:`~coverage.scenario.compare.Comparison` as
    :func:`~coverage.scenario.compare.compare_runs` gives.

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> pinned = resolve(load_scenario(demo, overrides=["objective.max_sites=5"]))
    >>> current = resolve(load_scenario(demo, overrides=["objective.max_sites=8"]), previous=pinned)
    >>> comparison = compare_plans(pinned.plan, current.plan)
    >>> str(comparison.a), str(comparison.b)
    ('pinned', 'current')
    >>> headline = comparison.headline.set_index("metric")
    >>> float(headline.loc["open_sites", "delta"]), round(float(headline.loc["served_share", "delta"]), 3)
    (3.0, 0.112)
    >>> len(comparison.opened) - len(comparison.closed)
    3
    """
    return compare_runs(_in_memory(a, names[0]), _in_memory(b, names[1]))


def export_gpkg(plan: Plan) -> bytes:
    """The plan as a GeoPackage (one layer per table, see :meth:`coverage.plan.plan.Plan.to_gpkg`).

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> run = resolve(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> data = export_gpkg(run.plan)
    >>> data[:15]  # a GeoPackage is an SQLite database
    b'SQLite format 3'
    """
    with tempfile.TemporaryDirectory() as folder:
        path = plan.to_gpkg(Path(folder) / "plan.gpkg")
        return path.read_bytes()


def export_csv_zip(plan: Plan) -> bytes:
    """A zip of the plan's CSV tables (see :meth:`coverage.plan.plan.Plan.to_csv`).

    Examples
    --------
    >>> import io, zipfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> run = resolve(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> archive = zipfile.ZipFile(io.BytesIO(export_csv_zip(run.plan)))
    >>> sorted(archive.namelist())
    ['explanations.csv', 'kpi_department.csv', 'kpi_partner.csv', 'kpi_zone.csv',
     'sites.csv', 'slots.csv', 'units.csv']
    """
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as folder,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for path in plan.to_csv(folder):
            archive.write(path, arcname=path.name)
    return buffer.getvalue()


def map_html(m: folium.Map) -> str:
    """The standalone HTML page of a map (what ``Map.save`` writes).

    Examples
    --------
    >>> from coverage.plan.maps import plan_map
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> run = resolve(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> html = map_html(plan_map(run.plan))
    >>> html.startswith("<!DOCTYPE html>"), "leaflet" in html
    (True, True)
    """
    return str(m.get_root().render())
