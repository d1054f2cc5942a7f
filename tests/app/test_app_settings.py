"""coverage.app.settings: a view's scenario <-> overrides <-> query parameters."""

from __future__ import annotations

import pytest

from coverage.app.settings import (
    flatten,
    from_query_params,
    load_view,
    overrides_between,
    to_query_params,
)
from coverage.errors import ScenarioError
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import shipped_scenario

DEMO = shipped_scenario("demo")


def test_flatten_gives_dotted_leaves_with_lists_kept_whole() -> None:
    flat = flatten(load_scenario(DEMO))
    assert flat["objective.max_sites"] == 12
    assert flat["territory.departments"] == ["23", "87"]
    assert flat["access.rural"] == 15000.0
    assert flat["horizon.until"] == "2023-12-31"


def test_overrides_round_trip_through_the_url() -> None:
    overrides = {
        "objective.max_sites": "20",
        "access.rural": "20000.0",
        "territory.departments": '["23"]',
        "horizon.until": '"2024-06-30"',
    }
    scenario = load_view(DEMO, overrides)
    found = overrides_between(load_scenario(DEMO), scenario)
    assert {k: load_view(DEMO, {k: v}) for k, v in found.items()}  # each one alone is valid
    params = to_query_params("demo", found)
    base, back = from_query_params(params)
    assert base == "demo"
    assert load_view(shipped_scenario(base), back) == scenario
    assert scenario.objective.max_sites == 20
    assert scenario.departments() == ["23"]


def test_unchanged_settings_make_no_overrides() -> None:
    assert overrides_between(load_scenario(DEMO), load_view(DEMO, {})) == {}


def test_query_params_default_to_the_demo_and_take_the_last_repeated_value() -> None:
    assert from_query_params({}) == ("demo", {})
    assert from_query_params({"objective.max_sites": ["5", "7"]}) == ("demo", {"objective.max_sites": "7"})


def test_a_bad_key_in_a_link_is_named() -> None:
    with pytest.raises(ScenarioError, match="max_sitez"):
        load_view(DEMO, {"objective.max_sitez": "5"})
    with pytest.raises(ScenarioError, match="bad override"):
        from_query_params({"not a key!": "1"})
