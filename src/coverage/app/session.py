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
    """
    return compare_runs(_in_memory(a, names[0]), _in_memory(b, names[1]))


def export_gpkg(plan: Plan) -> bytes:
    """The plan as a GeoPackage (one layer per table, see :meth:`coverage.plan.plan.Plan.to_gpkg`)."""
    with tempfile.TemporaryDirectory() as folder:
        path = plan.to_gpkg(Path(folder) / "plan.gpkg")
        return path.read_bytes()


def export_csv_zip(plan: Plan) -> bytes:
    """A zip of the plan's CSV tables (see :meth:`coverage.plan.plan.Plan.to_csv`)."""
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as folder,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for path in plan.to_csv(folder):
            archive.write(path, arcname=path.name)
    return buffer.getvalue()


def map_html(m: folium.Map) -> str:
    """The standalone HTML page of a map (what ``Map.save`` writes)."""
    return str(m.get_root().render())
