"""Plan: units, sites, explanations and checks on the hand-made solution of plan_helpers."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from coverage.plan import Plan, Solution
from coverage.reach.pairs import Reach
from plan_helpers import (
    PARTNERS,
    UNITS,
    by,
    make_frames,
    make_plan,
    make_reach,
    make_solution,
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan()


@pytest.fixture(scope="module")
def geoplan() -> Plan:
    return make_plan(geometry=True)


# -- totals, units, sites -------------------------------------------------------


def test_totals_shares_and_distances(plan):
    assert plan.open_site_ids == ("s1", "s2", "s3")
    assert plan.total_need == 152.0 and plan.served_need == 60.0 and plan.reached_need == 67.0
    assert plan.served_share == pytest.approx(60 / 152)
    assert plan.mean_distance == pytest.approx((10 * 2 + 20 * 3 + 30 * 2 + 7 * 5) / 67)
    assert plan.worst_distance == 5.0


def test_units_nearest_open_site_within_reach(plan):
    units = by(plan.units, "unit_id")
    assert list(units.index) == list(UNITS)  # reach order, whatever the input order
    assert units["nearest_open_site"].tolist() == ["s1", "s2", "s3", None, None, None, "s1"]
    np.testing.assert_allclose(units["distance"], [2, 3, 2, np.nan, np.nan, np.nan, 5])
    assert units["reached"].tolist() == [True, True, True, False, False, False, True]
    assert units["open_sites_in_reach"].tolist() == [2, 2, 1, 0, 0, 0, 1]
    assert units["served"].tolist() == [10, 15, 30, 0, 0, 0, 5]
    assert units.loc["u3", "name"] == "Unit u3"


def test_nearest_open_skips_a_nearer_closed_site():
    reach = Reach.from_dense(["a"], ["near", "far"], [[1.0, 4.0]])
    solution = Solution(
        "maximal_coverage", "optimal", 1.0, 1.0, "max", "highs", 0, 0, np.array([0.0, 1.0]), np.array([1.0])
    )  # solver floats count as open > 0.5
    plan = Plan.from_solution(
        solution,
        demand=pd.DataFrame({"unit_id": ["a"], "need": [1.0]}),
        sites=pd.DataFrame({"site_id": ["near", "far"]}),
        reach=reach,
    )
    assert plan.open_site_ids == ("far",)
    assert plan.units["nearest_open_site"].tolist() == ["far"] and plan.units["distance"].tolist() == [4.0]
    assert plan.units["reached"].tolist() == [True]
    assert plan.sites["unique_need"].tolist() == [1.0]


def test_open_sites_slots_shared_unique_need(plan):
    sites = by(plan.sites, "site_id")
    assert list(sites.index) == ["s1", "s2", "s3"]
    assert sites["slots"].tolist() == [1, 2, 2]
    assert sites["slots_poste"].tolist() == [1, 1, 2] and sites["slots_sos"].tolist() == [0, 1, 0]
    assert sites["shared"].tolist() == [False, True, True]  # s2: two partners; s3: poste at sos's
    assert sites["advisors"].tolist() == pytest.approx([1 / 3, 4 / 3, 2 / 3])  # poste: 3 slots an advisor
    assert sites["unique_need"].tolist() == [7.0, 0.0, 30.0]  # need (not served) of u7 by s1, u3 by s3
    assert sites["need_in_reach"].tolist() == [37.0, 30.0, 30.0]
    assert sites["served"].tolist() == [15.0, 15.0, 30.0]
    assert sites.loc["s3", "partner"] == "sos" and sites.loc["s3", "dep"] == "92"


def test_assignment_is_reported_beside_the_nearest_open_site():
    assignment = np.array([1, 1, 2, -1, -1, -1, 0])  # u1 sent to s2 (10 m) instead of s1
    plan = make_plan(assignment=assignment)
    units = by(plan.units, "unit_id")
    assert units["assigned_site"].tolist() == ["s2", "s2", "s3", None, None, None, "s1"]
    np.testing.assert_allclose(units["assigned_distance"], [10, 3, 2, np.nan, np.nan, np.nan, 5])
    assert units.loc["u1", "nearest_open_site"] == "s1" and units.loc["u1", "distance"] == 2.0
    assert by(plan.sites, "site_id")["served"].tolist() == [5.0, 25.0, 30.0]


def test_gap_and_status():
    assert make_plan().gap == 0.0 and make_plan().is_optimal
    feasible = make_plan(status="feasible", objective=90.0, bound=100.0)
    assert feasible.gap == pytest.approx(10 / 90) and not feasible.is_optimal
    assert make_plan(status="feasible", bound=None).gap is None


# -- explanations ---------------------------------------------------------------------


def test_explanations_from_reach(plan):
    table = plan.explanations
    assert table["unit_id"].tolist() == ["u5", "u4"]  # u6 has no need; largest need first
    assert table["candidates_in_reach"].tolist() == [1, 0]
    assert table["reason"].tolist() == [
        "candidate sites within reach, none opened",
        "no candidate site within reach",
    ]
    assert table["nearest_candidate_site"].tolist() == ["s4", None]
    np.testing.assert_allclose(table["distance_to_candidate"], [15.0, np.nan])
    assert table["distance_to_open"].isna().all() and table["nearest_open_site"].isna().all()
    assert table["distance_basis"].tolist() == ["reach (m)"] * 2
    assert table["name"].tolist() == ["Unit u5", "Unit u4"] and table["dep"].tolist() == ["92", "92"]


def test_explanations_from_geometry(geoplan):
    table = geoplan.explanations
    assert isinstance(table, gpd.GeoDataFrame) and table.crs.to_epsg() == 2154
    assert table["unit_id"].tolist() == ["u5", "u4"]
    assert table["nearest_open_site"].tolist() == ["s3", "s3"]
    assert table["distance_to_open"].tolist() == pytest.approx([55.0, 30.0])
    assert table["nearest_candidate_site"].tolist() == ["s4", "s3"]  # s9 is no candidate
    assert table["distance_to_candidate"].tolist() == pytest.approx([15.0, 30.0])
    assert table["distance_basis"].tolist() == ["straight line (m)"] * 2


# -- immutability and checks --------------------------------------------------------------


def test_plan_is_immutable(plan):
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.status = "infeasible"  # type: ignore[misc]
    units, sites, slots = plan.units, plan.sites, plan.slots
    units["served"] = 0.0
    sites.loc[0, "slots"] = 99
    slots.loc[0, "slots"] = 99
    assert sites.loc[0, "slots"] == 99
    assert plan.served_need == 60.0 and plan.sites["slots"].tolist() == [1, 2, 2]
    assert plan.slots["slots"].tolist() == [1, 1, 1, 2]


def test_solution_arrays_are_read_only_copies():
    served = np.array([v[5] for v in UNITS.values()])
    solution = make_solution(served=served)
    served[0] = 1e6
    assert solution.served[0] == 10.0
    with pytest.raises(ValueError, match="read-only"):
        solution.open_sites[3] = True


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"sense": "maximise"}, "sense must be 'max' or 'min'"),
        ({"slots": pd.DataFrame({"site_id": ["s1"], "slots": [1]})}, "missing partner"),
        ({"served": np.array([1.0, np.nan, 0, 0, 0, 0, 0])}, "served must be finite"),
    ],
)
def test_bad_solution(changes, message):
    with pytest.raises(ValueError, match=message):
        make_solution(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"open_sites": np.array([True, True, True])}, "solution has 3 sites and 7 units; the reach has 4"),
        (
            {"slots": pd.DataFrame({"site_id": ["s4"], "partner": ["sos"], "slots": [1]})},
            "slots at closed sites: s4",
        ),
        (
            {"slots": pd.DataFrame({"site_id": ["s1"], "partner": ["crf"], "slots": [1]})},
            "partners without a Partner record: crf",
        ),
        ({"assignment": np.array([3, 1, 2, -1, -1, -1, 0])}, "1 units are assigned to closed sites"),
    ],
)
def test_inconsistent_solution(changes, message):
    with pytest.raises(ValueError, match=message):
        make_plan(**changes)


def test_ids_are_matched_as_text():
    reach = Reach.from_dense(["1", "2"], ["10"], [[1.0], [2.0]])
    solution = Solution(
        "maximal_coverage", "optimal", 3.0, 3.0, "max", "cbc", 0, 0, np.array([True]), np.array([1.0, 2.0])
    )
    plan = Plan.from_solution(
        solution,
        demand=pd.DataFrame({"unit_id": [2, 1], "need": [2.0, 1.0]}),
        sites=pd.DataFrame({"site_id": [10]}),
        reach=reach,
    )
    assert plan.units["unit_id"].tolist() == ["1", "2"] and plan.units["need"].tolist() == [1.0, 2.0]
    assert plan.sites["site_id"].tolist() == ["10"]
    assert plan.units["nearest_open_site"].tolist() == ["10", "10"]


def test_demand_must_match_the_reach():
    demand, sites = make_frames(False)
    with pytest.raises(ValueError, match="1 unit_id values of the reach are not in 'demand': u3"):
        Plan.from_solution(
            make_solution(),
            demand=demand[demand["unit_id"] != "u3"],
            sites=sites,
            reach=make_reach(),
            partners=PARTNERS,
        )
    extra = pd.concat([demand, demand.iloc[:1].assign(unit_id="u8")])
    with pytest.raises(ValueError, match="'demand' has 1 unit_id values the reach lacks: u8"):
        Plan.from_solution(make_solution(), demand=extra, sites=sites, reach=make_reach(), partners=PARTNERS)
