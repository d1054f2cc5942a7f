"""coverage.app.session: re-solving with reused inputs, in-memory comparison, exports."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage.app.session import compare_plans, export_csv_zip, export_gpkg, inputs_key, map_html, resolve
from coverage.app.settings import load_view
from coverage.cli import main
from coverage.plan.maps import plan_map
from coverage.scenario.loading import dump_scenario
from coverage.scenario.run import ScenarioRun, run_scenario, shipped_scenario

DEMO = shipped_scenario("demo")


@pytest.fixture(scope="module")
def demo() -> ScenarioRun:
    return run_scenario(load_view(DEMO, {}))


def test_inputs_key_ignores_the_objective_but_not_the_access_rule() -> None:
    base = load_view(DEMO, {})
    assert inputs_key(base) == inputs_key(load_view(DEMO, {"objective.max_sites": "20"}))
    assert inputs_key(base) != inputs_key(load_view(DEMO, {"access.rural": "20000.0"}))


def test_resolve_reuses_the_reach_and_finds_the_plan_of_a_full_run(demo: ScenarioRun) -> None:
    scenario = load_view(DEMO, {"objective.max_sites": "14"})
    again = resolve(scenario, previous=demo)
    assert again.reach is demo.reach
    assert again.plan.objective == pytest.approx(run_scenario(scenario).plan.objective)
    assert len(again.plan.open_site_ids) == 14


def test_resolve_rebuilds_the_inputs_when_the_access_rule_changes(demo: ScenarioRun) -> None:
    again = resolve(load_view(DEMO, {"access.rural": "5000.0"}), previous=demo)
    assert again.reach is not demo.reach
    assert again.plan.reached_need < demo.plan.reached_need


def test_compare_plans_lists_the_sites_opened_and_the_deltas(demo: ScenarioRun) -> None:
    more = resolve(load_view(DEMO, {"objective.max_sites": "14"}), previous=demo)
    comparison = compare_plans(demo.plan, more.plan)
    opened = set(more.plan.open_site_ids) - set(demo.plan.open_site_ids)
    assert set(comparison.opened["site_id"]) == opened
    assert set(comparison.closed["site_id"]) == set(demo.plan.open_site_ids) - set(more.plan.open_site_ids)
    headline = comparison.headline.set_index("metric")
    assert headline.loc["open_sites", "delta"] == 2
    assert headline.loc["reached_need", "delta"] == pytest.approx(
        more.plan.reached_need - demo.plan.reached_need
    )


def test_exports_hold_the_plan(demo: ScenarioRun, tmp_path: Path) -> None:
    (tmp_path / "plan.gpkg").write_bytes(export_gpkg(demo.plan))
    sites = gpd.read_file(tmp_path / "plan.gpkg", layer="sites")
    assert sorted(sites["site_id"]) == sorted(demo.plan.open_site_ids)
    with zipfile.ZipFile(io.BytesIO(export_csv_zip(demo.plan))) as archive:
        assert "sites.csv" in archive.namelist()
        frame = pd.read_csv(archive.open("kpi_department.csv"), dtype={"dep": str})
    assert set(frame["dep"]) == {"23", "87"}
    html = map_html(plan_map(demo.plan, candidates=demo.sites))
    assert html.startswith("<!DOCTYPE html>")
    assert "open sites (12)" in html


def test_the_downloaded_scenario_runs_in_the_cli_to_the_same_plan(demo: ScenarioRun, tmp_path: Path) -> None:
    scenario = load_view(DEMO, {"objective.max_sites": "9", "access.urban": "6000.0"})
    plan = resolve(scenario, previous=demo).plan
    (tmp_path / "view.toml").write_text(dump_scenario(scenario), encoding="utf-8")
    assert main(["run", str(tmp_path / "view.toml"), "--out", str(tmp_path / "run")]) == 0
    open_sites = pd.read_csv(tmp_path / "run" / "open_sites.csv", dtype={"site_id": str})
    assert sorted(open_sites["site_id"]) == sorted(plan.open_site_ids)
