from __future__ import annotations

import pytest

from coverage.errors import MissingDataError
from coverage.scenario.compare import compare_runs
from coverage.scenario.loading import load_scenario
from coverage.scenario.output import write_run
from coverage.scenario.run import run_scenario, shipped_scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    out = []
    for name, max_sites in (("twelve", 12), ("eight", 8)):
        scenario = load_scenario(shipped_scenario("demo"), overrides=[f"objective.max_sites={max_sites}"])
        run = run_scenario(scenario)
        write_run(run, folder / name, with_map=False)
        out.append((folder / name, run))
    return out


def test_sites_opened_and_closed_are_set_differences(runs):
    (folder_a, run_a), (folder_b, run_b) = runs
    comparison = compare_runs(folder_a, folder_b)
    a, b = set(run_a.plan.open_site_ids), set(run_b.plan.open_site_ids)
    assert set(comparison.opened["site_id"]) == b - a
    assert set(comparison.closed["site_id"]) == a - b
    assert list(comparison.opened.columns) == ["site_id", "name", "partner", "dep"]


def test_deltas_are_b_minus_a(runs):
    (folder_a, run_a), (folder_b, run_b) = runs
    comparison = compare_runs(folder_a, folder_b)
    headline = comparison.headline.set_index("metric")
    assert headline.loc["open_sites", "delta"] == -4
    assert headline.loc["served_need", "delta"] == pytest.approx(
        run_b.plan.served_need - run_a.plan.served_need
    )
    deps = comparison.departments.set_index("dep")
    expected = run_b.plan.kpis("department").set_index("dep")["need_served"]
    assert deps["need_served_b"].to_dict() == pytest.approx(expected.to_dict())
    assert (deps["open_sites_delta"] == deps["open_sites_b"] - deps["open_sites_a"]).all()
    assert list(comparison.partners["partner"]) == ["mairie"]


def test_a_run_against_itself_changes_nothing(runs):
    folder, _ = runs[0]
    comparison = compare_runs(folder, folder)
    assert comparison.opened.empty and comparison.closed.empty
    table = comparison.to_frame()
    assert set(table["section"]) == {"headline", "department", "partner"}
    assert (table["delta"].fillna(0) == 0).all()


def test_to_frame_lists_sites_and_metrics(runs):
    comparison = compare_runs(runs[0][0], runs[1][0])
    table = comparison.to_frame()
    assert list(table.columns) == ["section", "key", "metric", "a", "b", "delta"]
    sites = table[table["section"] == "site"]
    assert len(sites) == len(comparison.opened) + len(comparison.closed)
    share = table[(table["section"] == "department") & (table["metric"] == "share")]
    assert set(share["key"]) == {"23", "87"}


def test_not_a_run_folder(tmp_path, runs):
    with pytest.raises(MissingDataError, match="not a run folder"):
        compare_runs(runs[0][0], tmp_path)
