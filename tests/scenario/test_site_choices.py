"""Forced, closed and existing sites and the site budget, from scenario keys (--set, the lock file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.errors import ScenarioError
from coverage.scenario.loading import dump_scenario, load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario

DEMO = shipped_scenario("demo")


@pytest.fixture(scope="module")
def base():
    return run_scenario(load_scenario(DEMO))


def test_forced_and_closed_sites_are_kept_open_and_shut(base) -> None:
    opened = set(base.plan.open_site_ids)
    shut = sorted(opened)[0]
    extra = next(s for s in base.sites["site_id"].astype(str) if s not in opened)
    overrides = [f'objective.forced=["{extra}"]', f'objective.closed=["{shut}"]']
    run = run_scenario(load_scenario(DEMO, overrides=overrides))
    assert extra in run.plan.open_site_ids and shut not in run.plan.open_site_ids
    assert len(run.plan.open_site_ids) == 12
    assert run.plan.reached_need <= base.plan.reached_need  # the free optimum is at least as good


def test_a_budget_over_layer_costs_bounds_the_open_sites() -> None:
    scenario = load_scenario(DEMO, overrides=["objective.budget=10", "sites.mairie.cost=2.5"])
    run = run_scenario(scenario)
    assert len(run.plan.open_site_ids) == 4  # 4 x 2.5 = 10; twelve allowed by max_sites


def test_the_keys_travel_in_the_lock_file(tmp_path: Path) -> None:
    scenario = load_scenario(
        DEMO,
        overrides=['objective.forced=["mairie:23096"]', "objective.budget=10", "sites.mairie.cost=2.5"],
    )
    lock = tmp_path / "lock.toml"
    lock.write_text(dump_scenario(scenario), encoding="utf-8")
    again = load_scenario(lock)
    assert again.objective.forced == ["mairie:23096"] and again.objective.budget == 10.0
    assert again.sites["mairie"].cost == 2.5


def test_unknown_site_ids_are_named_with_the_closest_ids() -> None:
    scenario = load_scenario(DEMO, overrides=['objective.closed=["mairie:2309", "nowhere"]'])
    with pytest.raises(
        ScenarioError, match=r"objective.closed names 2 site ids .*'mairie:2309': did you mean"
    ):
        run_scenario(scenario)


def test_a_site_both_forced_and_closed_and_a_budget_without_costs_are_refused() -> None:
    with pytest.raises(ScenarioError, match="both forced and closed: mairie:23096"):
        load_scenario(
            DEMO, overrides=['objective.forced=["mairie:23096"]', 'objective.closed=["mairie:23096"]']
        )
    with pytest.raises(
        ScenarioError, match=r"budget needs a cost on every site layer; set \[sites.mairie\] cost"
    ):
        run_scenario(load_scenario(DEMO, overrides=["objective.budget=5"]))


def _costed_sites(folder: Path, costs: list[str]) -> Path:
    path = folder / "offices.csv"
    rows = [("o1", 1.2611, 45.8336), ("o2", 1.8717, 46.1703), ("o3", 1.6, 45.9)]
    lines = ["site_id,name,longitude,latitude,prix"]
    lines += [f"{i},Office {i},{x},{y},{c}" for (i, x, y), c in zip(rows, costs, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_cost_column_of_a_site_file_is_each_sites_cost_under_the_budget(tmp_path: Path) -> None:
    path = _costed_sites(tmp_path, ["3", "7", '"2,5"'])  # French decimal comma, quoted
    scenario = load_scenario(
        DEMO,
        overrides=[
            f'sites.offices.source="{path}"',
            'sites.offices.partner="mairie"',
            'sites.offices.cost="prix"',
            "sites.mairie.cost=100",
            "objective.budget=6",
        ],
    )
    run = run_scenario(scenario)
    opened = set(run.plan.open_site_ids)
    # only the offices fit a budget of 6 (a town hall costs 100): o1 (3) and o3 (2.5), not o2 (7)
    assert opened == {"offices:o1", "offices:o3"}
    assert float(run.plan.sites["cost"].sum()) == 5.5


def test_site_costs_win_over_the_layer_cost_and_travel_in_the_lock_file(tmp_path: Path) -> None:
    overrides = ["sites.mairie.cost=100", 'objective.site_costs={"mairie:23096" = 1}', "objective.budget=1"]
    scenario = load_scenario(DEMO, overrides=overrides)
    run = run_scenario(scenario)
    assert list(run.plan.open_site_ids) == ["mairie:23096"]
    lock = tmp_path / "lock.toml"
    lock.write_text(dump_scenario(scenario), encoding="utf-8")
    assert load_scenario(lock).objective.site_costs == {"mairie:23096": 1.0}


def test_bad_costs_and_unknown_costed_ids_are_named(tmp_path: Path) -> None:
    from coverage.errors import LayerValidationError

    path = _costed_sites(tmp_path, ["3", "cher", "-1"])
    overrides = [
        f'sites.offices.source="{path}"',
        'sites.offices.partner="mairie"',
        'sites.offices.cost="prix"',
    ]
    with pytest.raises(LayerValidationError) as caught:
        run_scenario(load_scenario(DEMO, overrides=overrides))
    text = str(caught.value)
    assert f"{path}, row 2, column 'prix': a cost must be a number >= 0 (received 'cher')" in text
    assert f"{path}, row 3, column 'prix': a cost must be a number >= 0 (received '-1')" in text
    with pytest.raises(
        ScenarioError, match=r"objective.site_costs names 1 site id .*'mairie:2309': did you mean"
    ):
        run_scenario(
            load_scenario(DEMO, overrides=['objective.site_costs={"mairie:2309" = 5}', "objective.budget=5"])
        )
    with pytest.raises(ScenarioError, match="cost 'prix' names a column, which only a file source has"):
        load_scenario(DEMO, overrides=['sites.mairie.cost="prix"'])
    with pytest.raises(ScenarioError, match=r"objective.site_costs.x.*greater than or equal to 0"):
        load_scenario(DEMO, overrides=['objective.site_costs={"x" = -5}'])
