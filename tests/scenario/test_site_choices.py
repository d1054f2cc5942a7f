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
