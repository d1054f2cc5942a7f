"""Plan: a hand-made solution on seven units and four sites along one line.

Sites (x in metres east of a Lambert-93 origin, owner, department)::

    s1 x=0 poste 75 | s2 x=12 poste 75 | s3 x=30 sos 92 | s4 x=100 sos 92 (closed)

Units (x, need, department, zone), reach radius 15 m::

    u1  2  10  75 qpv    s1 2, s2 10        -> nearest open s1 at 2
    u2  9  20  75 urban  s2 3, s1 9         -> s2 at 3 (served 15 of 20)
    u3 28  30  92 rural  s3 2 (s2 is 16)    -> s3 at 2, reached by s3 only
    u4 60  40  92 rural  nothing within 15  -> unreached, no candidate in reach
    u5 85  45  92 qpv    s4 15 (closed)     -> unreached, candidate s4 in reach
    u6 -50  0  75 rural  nothing            -> unreached, but no need
    u7 -5   7  75 urban  s1 5 (s2 is 17)    -> s1 at 5, reached by s1 only (served 5 of 7)

Slots: s1 poste 1; s2 poste 1 + sos 1; s3 poste 2 (poste in sos premises).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from coverage import plan_export
from coverage.errors import CRSError
from coverage.partners import Horizon, Partner
from coverage.plan import Plan, Solution
from coverage.reach import Reach

X0, Y0 = 650_000.0, 6_860_000.0
UNITS = {  # id: (x, need, dep, qpv, rural, served)
    "u1": (2, 10.0, "75", True, False, 10.0),
    "u2": (9, 20.0, "75", False, False, 15.0),
    "u3": (28, 30.0, "92", False, True, 30.0),
    "u4": (60, 40.0, "92", False, True, 0.0),
    "u5": (85, 45.0, "92", True, False, 0.0),
    "u6": (-50, 0.0, "75", False, True, 0.0),
    "u7": (-5, 7.0, "75", False, False, 5.0),
}
SITES = {"s1": (0, "poste", "75"), "s2": (12, "poste", "75"), "s3": (30, "sos", "92"),
         "s4": (100, "sos", "92")}
PARTNERS = [Partner("poste", advisors=2, slots_per_advisor=3, people_per_slot_month=10.0),
            Partner("sos", advisors=1, slots_per_advisor=1, people_per_slot_month=40.0)]
HORIZON = Horizon(dt.date(2022, 1, 1), dt.date(2023, 12, 31), target=1000.0)
SLOTS = pd.DataFrame({"site_id": ["s1", "s2", "s2", "s3"], "partner": ["poste", "poste", "sos", "poste"],
                      "slots": [1, 1, 1, 2]})


def make_reach() -> Reach:
    ux = np.array([v[0] for v in UNITS.values()], float)
    sx = np.array([v[0] for v in SITES.values()], float)
    return Reach.from_points(list(UNITS), np.c_[X0 + ux, np.full(len(ux), Y0)],
                             list(SITES), np.c_[X0 + sx, np.full(len(sx), Y0)], radius=15.0)


def make_frames(geometry: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(UNITS)[::-1]  # any row order: the plan aligns by id
    demand = pd.DataFrame({
        "unit_id": ids, "name": [f"Unit {i}" for i in ids], "dep": [UNITS[i][2] for i in ids],
        "need": [UNITS[i][1] for i in ids], "qpv": [UNITS[i][3] for i in ids],
        "rural": [UNITS[i][4] for i in ids],
    })
    sites = pd.DataFrame({"site_id": ["s9", *SITES], "partner": ["sos", *[v[1] for v in SITES.values()]],
                          "dep": ["92", *[v[2] for v in SITES.values()]]})  # s9 is outside the reach
    if geometry:
        demand = gpd.GeoDataFrame(demand, geometry=gpd.points_from_xy(
            [X0 + UNITS[i][0] for i in ids], [Y0] * len(ids)), crs=2154)
        sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(
            [X0 + 500, *[X0 + v[0] for v in SITES.values()]], [Y0] * 5), crs=2154)
    return demand, sites


def make_solution(**changes) -> Solution:
    fields = dict(model="staffing", status="optimal", objective=60.0, bound=60.0, sense="max", solver="cbc",
                  build_seconds=0.5, solve_seconds=1.5, open_sites=np.array([True, True, True, False]),
                  served=np.array([v[5] for v in UNITS.values()]), slots=SLOTS)
    fields.update(changes)
    return Solution(**fields)


def make_plan(geometry: bool = False, **changes) -> Plan:
    demand, sites = make_frames(geometry)
    return Plan.from_solution(make_solution(**changes), demand=demand, sites=sites, reach=make_reach(),
                              partners=PARTNERS, horizon=HORIZON)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan()


@pytest.fixture(scope="module")
def geoplan() -> Plan:
    return make_plan(geometry=True)


def by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key)


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
    solution = Solution("maximal_coverage", "optimal", 1.0, 1.0, "max", "highs", 0, 0,
                        np.array([0.0, 1.0]), np.array([1.0]))  # solver floats count as open > 0.5
    plan = Plan.from_solution(solution, demand=pd.DataFrame({"unit_id": ["a"], "need": [1.0]}),
                              sites=pd.DataFrame({"site_id": ["near", "far"]}), reach=reach)
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


# -- KPIs ---------------------------------------------------------------------------


def test_kpis_by_department(plan):
    kpi = by(plan.kpis("department"), "dep")
    assert list(kpi.index) == ["75", "92"]
    assert kpi["units"].tolist() == [4, 3] and kpi["units_reached"].tolist() == [3, 1]
    assert kpi["need"].tolist() == [37.0, 115.0] and kpi["need_reached"].tolist() == [37.0, 30.0]
    assert kpi["need_served"].tolist() == [30.0, 30.0]
    assert kpi["share"].tolist() == pytest.approx([30 / 37, 30 / 115])
    assert kpi["open_sites"].tolist() == [2, 1] and kpi["slots"].tolist() == [3, 2]
    assert kpi["advisors"].tolist() == pytest.approx([5 / 3, 2 / 3])
    assert kpi["shared_sites"].tolist() == [1, 1]
    assert kpi["mean_distance"].tolist() == pytest.approx([115 / 37, 2.0])
    assert kpi["worst_distance"].tolist() == [5.0, 2.0]


def test_kpis_by_partner(plan):
    kpi = by(plan.kpis("partner"), "partner")
    assert list(kpi.index) == ["poste", "sos"]
    assert kpi["slots"].tolist() == [4, 1] and kpi["advisors"].tolist() == [2, 1]  # ceil(4 / 3)
    assert kpi["slots_available"].tolist() == [6, 1] and kpi["advisors_available"].tolist() == [2, 1]
    assert kpi["sites_staffed"].tolist() == [3, 1] and kpi["shared_sites"].tolist() == [2, 1]
    assert kpi["open_sites_owned"].tolist() == [2, 1]
    # s1 15 + half of s2's 15 + s3 30 for poste; the other half of s2 for sos
    assert kpi["need_served"].tolist() == [52.5, 7.5]
    assert kpi["share"].tolist() == pytest.approx([52.5 / 152, 7.5 / 152])
    assert kpi["people_capacity"].tolist() == [4 * 10 * 24, 1 * 40 * 24]


def test_partner_kpi_without_slots_credits_the_owner():
    plan = make_plan(model="maximal_coverage", slots=SLOTS.iloc[:0])
    kpi = by(plan.kpis("partner"), "partner")
    assert kpi["slots"].tolist() == [0, 0] and kpi["need_served"].tolist() == [30.0, 30.0]
    assert plan.sites["shared"].tolist() == [False, False, False] and plan.projection() is None


def test_kpis_by_zone(plan):
    kpi = by(plan.kpis("zone"), "zone")
    assert list(kpi.index) == ["qpv", "rural", "urban"]
    assert kpi["need"].tolist() == [55.0, 70.0, 27.0]
    assert kpi["need_reached"].tolist() == [10.0, 30.0, 27.0]
    assert kpi["need_served"].tolist() == [10.0, 30.0, 20.0]
    assert kpi["share"].tolist() == pytest.approx([10 / 55, 30 / 70, 20 / 27])
    assert kpi["mean_distance"].tolist() == pytest.approx([2.0, 2.0, 95 / 27])
    assert kpi["units"].tolist() == [2, 3, 2]


def test_zones_when_flags_are_missing():
    demand, sites = make_frames(False)
    solution, reach = make_solution(), make_reach()
    only_qpv = Plan.from_solution(solution, demand=demand.drop(columns="rural"), sites=sites, reach=reach,
                                  partners=PARTNERS)
    assert by(only_qpv.kpis("zone"), "zone")["need"].to_dict() == {"qpv": 55.0, "other": 97.0}
    none = Plan.from_solution(solution, demand=demand.drop(columns=["qpv", "rural"]), sites=sites,
                              reach=reach, partners=PARTNERS)
    assert none.kpis("zone")["zone"].tolist() == ["all"] and none.explanations.empty


def test_department_kpi_needs_dep():
    demand, sites = make_frames(False)
    plan = Plan.from_solution(make_solution(), demand=demand.drop(columns="dep"), sites=sites,
                              reach=make_reach(), partners=PARTNERS)
    with pytest.raises(ValueError, match="needs a 'dep' column in the demand"):
        plan.kpis("department")
    assert "kpi_department" not in plan.tables()
    with pytest.raises(ValueError, match="takes 'department', 'partner' or 'zone'"):
        plan.kpis("commune")  # type: ignore[arg-type]


# -- projection -----------------------------------------------------------------------


def test_projection_two_slots_forty_people_two_years():
    reach = Reach.from_dense(["a"], ["x"], [[1.0]])
    solution = Solution("staffing", "optimal", 5000.0, 5000.0, "max", "cbc", 0, 0, np.array([True]),
                        np.array([5000.0]), pd.DataFrame({"site_id": ["x"], "partner": ["p"], "slots": [2]}))
    plan = Plan.from_solution(solution, demand=pd.DataFrame({"unit_id": ["a"], "need": [6000.0]}),
                              sites=pd.DataFrame({"site_id": ["x"], "partner": ["p"]}), reach=reach,
                              partners=[Partner("p", 2)], horizon=HORIZON)
    projection = plan.projection()
    assert projection is not None
    assert projection.months == 24.0 and projection.capacity == 2 * 40 * 24 == 1920.0
    assert projection.people == 1920.0  # capacity binds below the 5000 served
    assert projection.target == 1000.0 and projection.gap_to_target == -920.0
    assert projection.target_share == pytest.approx(1.92)


def test_projection_by_date(plan):
    full = plan.projection()
    assert full is not None and full.capacity == 4 * 10 * 24 + 40 * 24
    assert full.people == 60.0 and full.gap_to_target == 940.0  # served need binds
    assert dict(full.capacity_by_partner) == {"poste": 960.0, "sos": 960.0}
    half_month = plan.projection("2022-01-15")
    assert half_month is not None and half_month.people == pytest.approx(80 * 15 / 30.4375)
    before = plan.projection(dt.date(2021, 6, 1))
    assert before is not None and before.people == 0.0 and before.months == 0.0


def test_projection_needs_a_horizon():
    demand, sites = make_frames(False)
    plan = Plan.from_solution(make_solution(), demand=demand, sites=sites, reach=make_reach(),
                              partners=PARTNERS)
    assert plan.projection() is None and plan.summary()["projection"] is None


# -- explanations ---------------------------------------------------------------------


def test_explanations_from_reach(plan):
    table = plan.explanations
    assert table["unit_id"].tolist() == ["u5", "u4"]  # u6 has no need; largest need first
    assert table["candidates_in_reach"].tolist() == [1, 0]
    assert table["reason"].tolist() == ["candidate sites within reach, none opened",
                                        "no candidate site within reach"]
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


@pytest.mark.parametrize(("changes", "message"), [
    ({"status": "done"}, "status must be one of"),
    ({"sense": "maximise"}, "sense must be 'max' or 'min'"),
    ({"slots": pd.DataFrame({"site_id": ["s1"], "slots": [1]})}, "missing partner"),
    ({"served": np.array([1.0, np.nan, 0, 0, 0, 0, 0])}, "served must be finite"),
])
def test_bad_solution(changes, message):
    with pytest.raises(ValueError, match=message):
        make_solution(**changes)


@pytest.mark.parametrize(("changes", "message"), [
    ({"open_sites": np.array([True, True, True])}, "solution has 3 sites and 7 units; the reach has 4"),
    ({"slots": pd.DataFrame({"site_id": ["s4"], "partner": ["sos"], "slots": [1]})},
     "slots at closed sites: s4"),
    ({"slots": pd.DataFrame({"site_id": ["s1"], "partner": ["crf"], "slots": [1]})},
     "partners without a Partner record: crf"),
    ({"assignment": np.array([3, 1, 2, -1, -1, -1, 0])}, "1 units are assigned to closed sites"),
])
def test_inconsistent_solution(changes, message):
    with pytest.raises(ValueError, match=message):
        make_plan(**changes)


def test_ids_are_matched_as_text():
    reach = Reach.from_dense(["1", "2"], ["10"], [[1.0], [2.0]])
    solution = Solution("maximal_coverage", "optimal", 3.0, 3.0, "max", "cbc", 0, 0, np.array([True]),
                        np.array([1.0, 2.0]))
    plan = Plan.from_solution(solution, demand=pd.DataFrame({"unit_id": [2, 1], "need": [2.0, 1.0]}),
                              sites=pd.DataFrame({"site_id": [10]}), reach=reach)
    assert plan.units["unit_id"].tolist() == ["1", "2"] and plan.units["need"].tolist() == [1.0, 2.0]
    assert plan.sites["site_id"].tolist() == ["10"]
    assert plan.units["nearest_open_site"].tolist() == ["10", "10"]


def test_demand_must_match_the_reach():
    demand, sites = make_frames(False)
    with pytest.raises(ValueError, match="1 unit_id values of the reach are not in 'demand': u3"):
        Plan.from_solution(make_solution(), demand=demand[demand["unit_id"] != "u3"], sites=sites,
                           reach=make_reach(), partners=PARTNERS)
    extra = pd.concat([demand, demand.iloc[:1].assign(unit_id="u8")])
    with pytest.raises(ValueError, match="'demand' has 1 unit_id values the reach lacks: u8"):
        Plan.from_solution(make_solution(), demand=extra, sites=sites, reach=make_reach(), partners=PARTNERS)


# -- summary and exports ------------------------------------------------------------------


def test_summary_is_json(plan):
    summary = json.loads(json.dumps(plan.summary(), allow_nan=False))
    assert summary["served_need"] == 60.0 and summary["total_need"] == 152.0
    assert summary["open_sites"] == 3 and summary["shared_sites"] == 1 + 1 and summary["slots"] == 5
    assert summary["slots_by_partner"] == {"poste": 4, "sos": 1}
    assert summary["projection"]["people"] == 60.0 and summary["projection"]["date"] == "2023-12-31"
    assert summary["gap"] == 0.0 and summary["unreached_priority_units"] == 2
    empty = make_plan(open_sites=np.zeros(4, bool), served=np.zeros(7), slots=SLOTS.iloc[:0])
    assert empty.summary()["mean_distance"] is None and math.isnan(empty.mean_distance)


def test_to_json_round_trip(plan, tmp_path):
    path = plan.to_json(tmp_path / "plan.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["summary"] == plan.summary()
    served = {row["partner"]: row["need_served"] for row in document["kpi_partner"]}
    assert served == {"poste": 52.5, "sos": 7.5}
    assert [row["dep"] for row in document["kpi_department"]] == ["75", "92"]
    assert list(tmp_path.iterdir()) == [path]


def test_to_gpkg_one_layer_per_table(geoplan, tmp_path):
    path = geoplan.to_gpkg(tmp_path / "plan.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"sites": "Point", "units": "Point", "slots": None, "kpi_department": None,
                      "kpi_partner": None, "kpi_zone": None, "explanations": "Point"}
    units = gpd.read_file(path, layer="units")
    assert units.crs.to_epsg() == 2154 and units["served"].tolist() == [10, 15, 30, 0, 0, 0, 5]
    assert units.geometry.x.tolist() == [X0 + UNITS[i][0] for i in UNITS]
    kpi = pyogrio.read_dataframe(path, layer="kpi_department")
    assert kpi["dep"].tolist() == ["75", "92"] and kpi["need_served"].tolist() == [30.0, 30.0]
    sites = pyogrio.read_dataframe(path, layer="sites")
    assert sites["shared"].tolist() == [False, True, True]
    geoplan.to_gpkg(path)  # overwriting replaces the file instead of appending layers
    assert len(pyogrio.read_dataframe(path, layer="slots")) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["plan.gpkg"]


def test_to_geojson_in_wgs84(geoplan, tmp_path):
    paths = geoplan.to_geojson(tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(f"{n}.geojson" for n in geoplan.tables())
    units = gpd.read_file(tmp_path / "out" / "units.geojson")
    assert units.crs.to_epsg() == 4326
    assert units.to_crs(2154).geometry.x.round(3).tolist() == [X0 + UNITS[i][0] for i in UNITS]
    zone = pyogrio.read_dataframe(tmp_path / "out" / "kpi_zone.geojson")
    assert zone["zone"].tolist() == ["qpv", "rural", "urban"] and zone.geometry.isna().all()


def test_to_csv_and_parquet(geoplan, tmp_path):
    geoplan.to_csv(tmp_path / "csv")
    partner = pd.read_csv(tmp_path / "csv" / "kpi_partner.csv")
    assert list(partner.columns) == list(geoplan.kpis("partner").columns)
    assert partner["need_served"].tolist() == [52.5, 7.5]
    units = pd.read_csv(tmp_path / "csv" / "units.csv")
    assert units["geometry"].iloc[0] == "POINT (650002 6860000)"
    assert pd.read_csv(tmp_path / "csv" / "explanations.csv")["unit_id"].tolist() == ["u5", "u4"]
    geoplan.to_parquet(tmp_path / "parquet")
    units = gpd.read_parquet(tmp_path / "parquet" / "units.parquet")
    assert units.crs.to_epsg() == 2154 and units["nearest_open_site"].iloc[0] == "s1"
    zone = pd.read_parquet(tmp_path / "parquet" / "kpi_zone.parquet")
    assert zone["need_served"].tolist() == [10.0, 30.0, 20.0]
    assert sorted(p.name for p in (tmp_path / "parquet").iterdir()) == sorted(
        f"{n}.parquet" for n in geoplan.tables())


def test_exports_without_geometry(plan, tmp_path):
    with pytest.raises(ValueError, match="to_gpkg needs geometry"):
        plan.to_gpkg(tmp_path / "plan.gpkg")
    with pytest.raises(ValueError, match="to_geojson needs geometry"):
        plan.to_geojson(tmp_path / "geojson")
    assert not any(tmp_path.iterdir())
    plan.to_csv(tmp_path / "csv")
    assert pd.read_csv(tmp_path / "csv" / "units.csv")["distance"].tolist()[:3] == [2.0, 3.0, 2.0]
    plan.to_parquet(tmp_path / "parquet")
    assert pd.read_parquet(tmp_path / "parquet" / "sites.parquet")["unique_need"].tolist() == [7.0, 0.0, 30.0]


def test_geometry_without_crs_is_refused(tmp_path):
    demand, sites = make_frames(True)
    plan = Plan.from_solution(make_solution(), demand=demand.set_crs(None, allow_override=True),
                              sites=sites, reach=make_reach(), partners=PARTNERS)
    assert plan.explanations["distance_basis"].tolist() == ["reach (m)"] * 2
    with pytest.raises(CRSError, match="'units' table has no CRS"):
        plan.to_gpkg(tmp_path / "plan.gpkg")


def test_write_into_a_missing_folder_leaves_nothing(geoplan, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        geoplan.to_json(tmp_path / "missing" / "plan.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        geoplan.to_gpkg(tmp_path / "missing" / "plan.gpkg")
    assert not any(tmp_path.iterdir())


def test_failed_write_leaves_no_partial_file(geoplan, tmp_path, monkeypatch):
    real = pyogrio.write_dataframe
    written = []

    def fail_on_third_layer(frame, path, **kwargs):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(kwargs.get("layer"))
        real(frame, path, **kwargs)

    monkeypatch.setattr(plan_export.pyogrio, "write_dataframe", fail_on_third_layer)
    with pytest.raises(OSError, match="disk full"):
        geoplan.to_gpkg(tmp_path / "plan.gpkg")
    assert written == ["sites", "units"] and not any(tmp_path.iterdir())
    written.clear()
    with pytest.raises(OSError, match="disk full"):
        geoplan.to_geojson(tmp_path / "geojson")
    assert list((tmp_path / "geojson").iterdir()) == []
