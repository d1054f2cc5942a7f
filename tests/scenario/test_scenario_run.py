"""Running scenarios end to end: the shipped demo, missing files, real La Poste data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from coverage.data.catalogue import entry
from coverage.errors import MissingDataError, ScenarioError
from coverage.scenario.loading import load_scenario
from coverage.scenario.progress import PHASES
from coverage.scenario.run import ScenarioRun, run_scenario, shipped_scenario

LAPOSTE = """
name = "laposte-23"

[territory]
departments = ["23"]

[sites.laposte]
source = "laposte_points"
kinds = ["bureau"]

[objective]
model = "maximal_coverage"
max_sites = 5
"""


@pytest.fixture(scope="module")
def demo_run() -> tuple[ScenarioRun, list[tuple[str, int, int]]]:
    calls: list[tuple[str, int, int]] = []
    run = run_scenario(load_scenario(shipped_scenario("demo")), progress=lambda *c: calls.append(c))
    return run, calls


def test_shipped_scenario_finds_demo() -> None:
    path = shipped_scenario("demo")
    assert path.name == "demo.toml" and path.is_file()
    assert shipped_scenario("demo.toml") == path
    with pytest.raises(MissingDataError, match="shipped: .*demo"):
        shipped_scenario("no-such-scenario")


def test_demo_runs_on_embedded_data(demo_run: tuple[ScenarioRun, list[tuple[str, int, int]]]) -> None:
    run, _ = demo_run
    assert run.scenario.departments() == ["23", "87"]
    assert run.plan.is_optimal
    assert len(run.plan.open_site_ids) == 12
    assert run.files == ()
    kpis = run.plan.kpis("department")
    assert sorted(kpis["dep"]) == ["23", "87"]
    assert set(run.sites["dep"]) == {"23", "87"}
    assert set(run.timings) == set(PHASES) - {"shortlist"}  # no layer has a shortlist


def test_demo_progress_phases_in_order(demo_run: tuple[ScenarioRun, list[tuple[str, int, int]]]) -> None:
    _, calls = demo_run
    phases = [phase for phase, _, _ in calls]
    reported = [phase for phase in PHASES if phase != "shortlist"]  # no layer has a shortlist
    assert list(dict.fromkeys(phases)) == reported
    assert phases == sorted(phases, key=PHASES.index)
    for phase in reported:
        steps = [(done, total) for p, done, total in calls if p == phase]
        assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1]


def test_demo_is_deterministic(demo_run: tuple[ScenarioRun, list[tuple[str, int, int]]]) -> None:
    again = run_scenario(load_scenario(shipped_scenario("demo")))
    assert again.plan.open_site_ids == demo_run[0].plan.open_site_ids


def test_missing_files_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "lp.toml"
    path.write_text(LAPOSTE + "\n[demand]\nuse_fragility = true\n", encoding="utf-8")
    empty = tmp_path / "data"
    empty.mkdir()
    with pytest.raises(MissingDataError) as caught:
        run_scenario(load_scenario(path), data_dir=empty)
    message = str(caught.value)
    laposte = entry("laposte_points")
    assert "2 data files are missing" in message
    assert "laposte_points" in message and "fragility_communes" in message
    assert str(empty / laposte.relative_path) in message
    assert laposte.how_to_get in message


def test_missing_own_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "own.toml"
    path.write_text('name = "own"\n[sites.own]\nsource = "nowhere/sites.csv"\n', encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(MissingDataError) as caught:
        run_scenario(load_scenario(path), data_dir=data)
    message = str(caught.value)
    assert str(data / "nowhere" / "sites.csv") in message
    assert "looked next to the scenario file and in the data folder" in message


def test_relative_site_file_is_found_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "mine").mkdir(parents=True)
    (data / "mine" / "sites.csv").write_text(
        "site_id,name,latitude,longitude\nguéret,Guéret,46.1714,1.8717\naubusson,Aubusson,45.9564,2.1683\n",
        encoding="utf-8",
    )
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    path = scenarios / "own.toml"
    path.write_text(
        'name = "own"\n[territory]\ndepartments = ["23"]\n[sites.own]\nsource = "mine/sites.csv"\n'
        "[objective]\nmax_sites = 1\n",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert scenario.sites["own"].source == "mine/sites.csv"  # not beside the scenario: kept relative
    run = run_scenario(scenario, data_dir=data)
    assert len(run.sites) == 2 and set(run.sites["dep"]) == {"23"}
    assert [file.name for file, _, _ in run.files] == ["sites.csv"]
    from coverage.scenario.lock import Lock

    [locked] = Lock.from_run(run, data_dir=data).files
    assert locked.key == "file:own" and locked.path == str((data / "mine" / "sites.csv").resolve())


@pytest.mark.shared_data
def test_laposte_scenario_on_real_data(tmp_path: Path, sources: Path) -> None:
    path = tmp_path / "lp.toml"
    path.write_text(LAPOSTE, encoding="utf-8")
    scenario = load_scenario(path)
    run = run_scenario(scenario, data_dir=sources)
    assert run.plan.is_optimal
    assert len(run.plan.open_site_ids) == 5
    assert set(run.sites["dep"]) == {"23"}
    assert set(run.sites["kind"]) == {"bureau"}
    assert all(site.startswith("laposte:") for site in run.plan.open_site_ids)
    [(file, sha256, size)] = run.files
    assert file.name == "laposte_poincont2_2020-12.csv"
    assert sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert size == file.stat().st_size
    again = run_scenario(scenario, data_dir=sources)
    assert again.plan.open_site_ids == run.plan.open_site_ids


DEMAND_CSV = (
    "unit_id;need;longitude;latitude\n"
    "gueret;1200;1,8717;46,1714\n"
    "limoges;3000;1.2611;45.8336\n"
    "aubusson;450.5;2.1683;45.9558\n"
    "paris;9999;2.35;48.85\n"  # outside the demo's departments: left out
)


def test_a_demand_file_replaces_the_built_demand(tmp_path: Path) -> None:
    from coverage.scenario.lock import Lock

    (tmp_path / "units.csv").write_text(DEMAND_CSV, encoding="utf-8")
    demo = shipped_scenario("demo")
    path = tmp_path / "own.toml"
    path.write_text(f'extends = "{demo.as_posix()}"\n[demand]\nsource = "units.csv"\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.demand.source == str((tmp_path / "units.csv").resolve())
    run = run_scenario(scenario)
    assert run.demand["unit_id"].tolist() == ["gueret", "limoges", "aubusson"]
    assert run.plan.summary()["total_need"] == pytest.approx(1200 + 3000 + 450.5)
    assert set(run.plan.kpis("department")["dep"]) >= {"23", "87"}
    lock = Lock.from_run(run)
    assert [(f.key, f.sha256) for f in lock.files] == [
        ("file:demand", hashlib.sha256((tmp_path / "units.csv").read_bytes()).hexdigest())
    ]


def test_demand_file_keys_that_make_no_sense_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[demand]\nsource = "units.csv"\nqpv_units = "demography"\nuse_fragility = true\n'
        '[sites.m]\nsource = "town_halls"\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "`demand.qpv_units`: QPV units are split out of the communes' units" in message
    assert "`demand.use_fragility`" in message
    path.write_text('[demand]\nneed_column = "people"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="`demand.need_column`: applies to a demand file only"):
        load_scenario(path)
    path.write_text('[demand]\nsource = "communes"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="expected a file path such as 'demand.csv'"):
        load_scenario(path)


def test_missing_demand_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "own.toml"
    path.write_text('name = "own"\n[demand]\nsource = "nowhere/units.csv"\n', encoding="utf-8")
    with pytest.raises(MissingDataError, match=r"\[demand\] source: .*units.csv does not exist"):
        run_scenario(load_scenario(path))
