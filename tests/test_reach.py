"""Reach: pairs within the access rule, per territory, never across oceans."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import scipy.sparse as sp
from shapely.geometry import Point, Polygon

from coverage.errors import CRSError, LayerValidationError
from coverage.reach import Reach
from coverage.reach_layers import build_reach, reach_from_radius, reach_from_travel_times
from coverage.reach_rules import (
    DEFAULT_SPEED_KMH,
    Decay,
    Radius,
    TravelTime,
    TravelTimeMatrix,
    ZoneRadius,
    read_travel_times,
)

# Lambert-93 coordinates near Paris (x, y in metres): hand-checkable 3-4-5 triangles.
X0, Y0 = 650_000.0, 6_860_000.0


def demand_frame(points, *, ids=None, crs=2154, **columns):
    ids = ids if ids is not None else [f"u{i}" for i in range(len(points))]
    return gpd.GeoDataFrame({"unit_id": ids, **columns},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in points], crs=crs)


def sites_frame(points, *, ids=None, crs=2154, **columns):
    ids = ids if ids is not None else [f"s{i}" for i in range(len(points))]
    return gpd.GeoDataFrame({"site_id": ids, **columns},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in points], crs=crs)


def pairs(reach: Reach) -> list[tuple[str, str, float]]:
    return [(reach.demand_ids[r], reach.site_ids[c], round(float(d), 6))
            for r, c, d in zip(reach.rows, reach.cols, reach.dist, strict=True)]


@pytest.fixture()
def small():
    """u0 at the origin, u1 3 km east, u2 10 km east; s0 at (0, 4 km), s1 at 6 km east."""
    demand = demand_frame([(0, 0), (3000, 0), (10000, 0)],
                          qpv=[True, False, False], rural=[True, False, True])
    sites = sites_frame([(0, 4000), (6000, 0)])
    return demand, sites


# -- radius -------------------------------------------------------------------


def test_radius_pairs_and_distances_by_hand(small):
    demand, sites = small
    reach = build_reach(demand, sites, Radius(5000))
    # u0-s0 4000, u1-s0 5000 (3-4-5, kept at exactly the radius), u1-s1 3000, u2-s1 4000
    assert pairs(reach) == [("u0", "s0", 4000.0), ("u1", "s1", 3000.0), ("u1", "s0", 5000.0),
                            ("u2", "s1", 4000.0)]
    assert reach.unit == "m" and reach.weight is None
    assert reach.rule == "within 5000 m"
    assert list(reach.indptr) == [0, 1, 3, 4]
    assert list(reach.sites_reaching()) == [1, 2, 1]


def test_radius_matches_brute_force_on_random_points():
    rng = np.random.default_rng(7)
    dxy = rng.uniform(0, 60_000, (400, 2))
    sxy = rng.uniform(0, 60_000, (250, 2))
    demand = demand_frame(dxy, ids=[f"d{i}" for i in range(400)])
    sites = sites_frame(sxy, ids=[f"t{i}" for i in range(250)])
    reach = build_reach(demand, sites, Radius(7_000))
    full = np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    rows, cols = np.nonzero(full <= 7_000)
    assert reach.n_pairs == len(rows) > 1000
    assert set(zip(reach.rows.tolist(), reach.cols.tolist(), strict=True)) == set(
        zip(rows.tolist(), cols.tolist(), strict=True))
    np.testing.assert_allclose(reach.dist, full[reach.rows, reach.cols], rtol=0, atol=1e-6)
    # sorted by row, then distance
    key = reach.rows * 1e6 + reach.dist
    assert np.all(np.diff(key) >= 0)
    assert reach.matrix("dist").toarray()[3, 5] == pytest.approx(full[3, 5] if full[3, 5] <= 7000 else 0)


def test_zone_radius_matches_brute_force_per_unit_radius():
    rng = np.random.default_rng(3)
    dxy = rng.uniform(0, 40_000, (300, 2))
    sxy = rng.uniform(0, 40_000, (120, 2))
    qpv = rng.random(300) < 0.3
    rural = rng.random(300) < 0.4
    demand = demand_frame(dxy, qpv=qpv, rural=rural)
    reach = build_reach(demand, sites_frame(sxy), ZoneRadius(qpv=1500, urban=4000, rural=9000))
    radius = np.where(qpv, 1500, np.where(rural, 9000, 4000))
    full = np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    expected = set(zip(*np.nonzero(full <= radius[:, None]), strict=True))
    assert set(zip(reach.rows.tolist(), reach.cols.tolist(), strict=True)) == {
        (int(r), int(c)) for r, c in expected}


def test_from_points_with_many_distinct_radii_filters_each_unit():
    rng = np.random.default_rng(11)
    dxy = rng.uniform(0, 20_000, (200, 2))
    sxy = rng.uniform(0, 20_000, (80, 2))
    radius = rng.uniform(500, 5_000, 200)  # 200 distinct radii: one query, then a filter
    reach = Reach.from_points(range(200), dxy, range(80), sxy, radius=radius)
    full = np.hypot(dxy[:, None, 0] - sxy[None, :, 0], dxy[:, None, 1] - sxy[None, :, 1])
    assert reach.n_pairs == int((full <= radius[:, None]).sum())
    assert np.all(reach.dist <= radius[reach.rows])
    assert reach.rule == "radius per unit"


def test_zone_of_a_unit_is_qpv_first_then_rural(small):
    demand, sites = small
    reach = build_reach(demand, sites, ZoneRadius(qpv=4000, urban=3000, rural=20000))
    # u0 is qpv AND rural: the qpv radius (4 km) applies, so s1 (6 km) is out
    assert pairs(reach) == [("u0", "s0", 4000.0), ("u1", "s1", 3000.0),
                            ("u2", "s1", 4000.0), ("u2", "s0", round(math.hypot(10000, 4000), 6))]
    assert reach.rule == "within 4000 m (qpv), 3000 m (urban), 20000 m (rural)"


def test_zone_flags_may_be_text_or_numbers(small):
    demand, sites = small
    demand["qpv"] = ["oui", "0", "False"]
    demand["rural"] = [0, 0, 1]
    reach = build_reach(demand, sites, ZoneRadius(qpv=4000, urban=3000, rural=20000))
    assert pairs(reach)[0] == ("u0", "s0", 4000.0)
    assert reach.n_pairs == 4


def test_reach_from_radius_takes_a_number_or_radii_per_zone(small):
    demand, sites = small
    assert pairs(reach_from_radius(demand, sites, 5000)) == pairs(build_reach(demand, sites, Radius(5000)))
    per_zone = reach_from_radius(demand, sites, {"qpv": 4000, "urban": 3000})  # rural keeps 15 km
    assert per_zone.rule == "within 4000 m (qpv), 3000 m (urban), 15000 m (rural)"
    assert ("u2", "s0", round(math.hypot(10000, 4000), 6)) in pairs(per_zone)


# -- layers: CRS, territories, geometry, ids ----------------------------------


def test_layers_in_degrees_are_measured_in_lambert93():
    geod = pyproj.Geod(ellps="GRS80")
    demand = gpd.GeoDataFrame({"unit_id": ["paris"], "dep": ["75"]}, geometry=[Point(2.3522, 48.8566)],
                              crs=4326)
    sites = gpd.GeoDataFrame({"site_id": ["versailles"], "dep": ["78"]},
                             geometry=[Point(2.1301, 48.8049)], crs=4326)
    reach = build_reach(demand, sites, Radius(30_000))
    *_, true = geod.inv(2.3522, 48.8566, 2.1301, 48.8049)
    assert reach.n_pairs == 1
    assert reach.dist[0] == pytest.approx(true, rel=1e-3)  # Lambert-93 scale error near Paris
    assert reach.dist[0] == pytest.approx(17_150, abs=200)


@pytest.mark.parametrize("with_department", [True, False])
def test_never_pairs_units_and_sites_of_different_territories(with_department):
    extra = {"dep": ["75", "974", "974"]} if with_department else {}
    demand = gpd.GeoDataFrame(
        {"unit_id": ["paris", "saint-denis", "saint-pierre"], **extra},
        geometry=[Point(2.35, 48.85), Point(55.45, -20.88), Point(55.48, -21.34)], crs=4326)
    extra = {"dep": ["974", "75"]} if with_department else {}
    sites = gpd.GeoDataFrame({"site_id": ["le-port", "louvre"], **extra},
                             geometry=[Point(55.29, -20.94), Point(2.337, 48.861)], crs=4326)
    # 20,000 km would reach across the ocean in any single planar CRS
    reach = build_reach(demand, sites, Radius(20_000_000))
    assert {(a, b) for a, b, _ in pairs(reach)} == {
        ("paris", "louvre"), ("saint-denis", "le-port"), ("saint-pierre", "le-port")}
    geod = pyproj.Geod(ellps="GRS80")
    *_, true = geod.inv(55.45, -20.88, 55.29, -20.94)
    measured = dict(((a, b), d) for a, b, d in pairs(reach))[("saint-denis", "le-port")]
    assert measured == pytest.approx(true, rel=1e-3)  # measured in UTM 40S, not Lambert-93


def test_a_territory_without_sites_gets_no_pairs():
    demand = gpd.GeoDataFrame({"unit_id": ["mamoudzou", "paris"], "dep": ["976", "75"]},
                              geometry=[Point(45.23, -12.78), Point(2.35, 48.85)], crs=4326)
    sites = gpd.GeoDataFrame({"site_id": ["louvre"], "dep": ["75"]}, geometry=[Point(2.337, 48.861)],
                             crs=4326)
    reach = build_reach(demand, sites, Radius(50_000))
    assert list(reach.sites_reaching()) == [0, 1]


def test_ids_keep_the_input_row_order_whatever_the_index(small):
    demand, sites = small
    demand = demand.iloc[::-1].set_index(pd.Index([10, 5, 7]))
    sites = sites.assign(site_id=[101, 102]).set_index(pd.Index(["x", "y"]))
    reach = build_reach(demand, sites, Radius(5000))
    assert list(reach.demand_ids) == ["u2", "u1", "u0"]
    assert list(reach.site_ids) == ["101", "102"]
    assert pairs(reach) == [("u2", "102", 4000.0), ("u1", "102", 3000.0), ("u1", "101", 5000.0),
                            ("u0", "101", 4000.0)]


def test_polygons_stand_for_their_representative_point():
    # An L-shaped commune: its centroid falls outside it, its representative point inside.
    shape = Polygon([(0, 0), (10_000, 0), (10_000, 1_000), (1_000, 1_000), (1_000, 10_000), (0, 10_000)])
    shape = Polygon([(X0 + x, Y0 + y) for x, y in shape.exterior.coords])
    demand = gpd.GeoDataFrame({"unit_id": ["l"]}, geometry=[shape], crs=2154)
    site = shape.representative_point()
    sites = gpd.GeoDataFrame({"site_id": ["a", "b"]}, geometry=[Point(site.x + 300, site.y + 400),
                                                                shape.centroid], crs=2154)
    reach = build_reach(demand, sites, Radius(600))
    assert pairs(reach) == [("l", "a", 500.0)]


def test_layer_without_crs_is_an_error(small):
    demand, sites = small
    with pytest.raises(CRSError, match=r"'sites' has no CRS; set it with GeoDataFrame.set_crs\(4326\)"):
        build_reach(demand, sites.set_crs(None, allow_override=True), Radius(5000))


def test_crs_that_contradicts_the_coordinates_is_an_error(small):
    demand, sites = small
    with pytest.raises(CRSError, match="'demand': the CRS does not match the coordinates"):
        build_reach(demand.set_crs(4326, allow_override=True), sites, Radius(5000))


def test_plain_table_with_a_distance_rule_is_an_error(small):
    demand, sites = small
    with pytest.raises(LayerValidationError, match="sites: has no geometry: distance rules need a GeoData"):
        build_reach(demand, pd.DataFrame(sites.drop(columns="geometry")), Radius(5000))


def test_missing_or_empty_geometry_names_the_row(small):
    demand, sites = small
    demand.loc[1, "geometry"] = None
    with pytest.raises(LayerValidationError, match="demand, row 2, column 'geometry': geometry is missing"):
        build_reach(demand, sites, Radius(5000))


def test_missing_repeated_and_absent_ids_are_errors(small):
    demand, sites = small
    with pytest.raises(LayerValidationError, match="demand, column 'code': missing column 'code'"):
        build_reach(demand, sites, Radius(5000), demand_id="code")
    repeated = sites.assign(site_id=["s0", "s0"])
    with pytest.raises(LayerValidationError, match="sites, row 2, column 'site_id': duplicate id 's0'"):
        build_reach(demand, repeated, Radius(5000))
    missing = demand.assign(unit_id=["u0", None, "u2"])
    with pytest.raises(LayerValidationError, match="demand, row 2, column 'unit_id': id is missing"):
        build_reach(missing, sites, Radius(5000))


def test_department_that_contradicts_the_coordinates_is_an_error():
    demand = gpd.GeoDataFrame({"unit_id": ["a", "b"], "dep": ["75", "75"]},
                              geometry=[Point(2.35, 48.85), Point(55.45, -20.88)], crs=4326)
    sites = gpd.GeoDataFrame({"site_id": ["s"], "dep": ["75"]}, geometry=[Point(2.3, 48.8)], crs=4326)
    with pytest.raises(LayerValidationError, match=r"demand, row 2, column 'dep': department '75' belongs "
                       "to metropole but the point lies in 974"):
        build_reach(demand, sites, Radius(5000))


def test_zone_rules_need_the_flags_only_when_zones_differ(small):
    demand, sites = small
    bare = demand.drop(columns=["qpv", "rural"])
    with pytest.raises(LayerValidationError, match="column.*'qpv', 'rural': the ZoneRadius rule needs"):
        build_reach(bare, sites, ZoneRadius())
    with pytest.raises(LayerValidationError, match="missing column.*'rural': the TravelTime rule needs"):
        build_reach(demand.drop(columns="rural"), sites, TravelTime(20))
    same = build_reach(bare, sites, ZoneRadius(qpv=5000, urban=5000, rural=5000))
    assert pairs(same) == pairs(build_reach(demand, sites, Radius(5000)))


def test_bad_zone_flags_name_their_rows(small):
    demand, sites = small
    demand["rural"] = [True, "maybe", None]
    with pytest.raises(LayerValidationError) as error:
        build_reach(demand, sites, ZoneRadius())
    message = str(error.value)
    assert "demand, row 2, column 'rural': expected True or False (received 'maybe')" in message
    assert "demand, row 3, column 'rural'" in message


def test_unknown_rule_is_a_type_error(small):
    demand, sites = small
    with pytest.raises(TypeError, match="unknown access rule 5000; use Radius"):
        build_reach(demand, sites, 5000)  # type: ignore[arg-type]


# -- travel time estimated from distance --------------------------------------


def test_travel_time_is_distance_times_detour_over_zone_speed(small):
    demand, sites = small
    rule = TravelTime(10, detour=1.5, speed_kmh={"rural": 60})
    assert rule.speed_kmh == {"qpv": DEFAULT_SPEED_KMH["qpv"], "urban": DEFAULT_SPEED_KMH["urban"],
                              "rural": 60.0}
    reach = build_reach(demand, sites, rule)
    assert reach.unit == "min"
    # u0 (qpv, 15 km/h = 250 m/min): 4000 m x 1.5 / 250 = 24 min > 10: out
    # u1 (urban, 30 km/h = 500 m/min): s1 3000 x 1.5 / 500 = 9 min; s0 5000 -> 15 min: out
    # u2 (rural, 60 km/h = 1000 m/min): s1 4000 x 1.5 / 1000 = 6 min; s0 10770 -> 16.2 min: out
    assert pairs(reach) == [("u1", "s1", 9.0), ("u2", "s1", 6.0)]
    assert rule.radius_by_zone() == pytest.approx({"qpv": 1666.667, "urban": 3333.333, "rural": 6666.667})
    assert reach.rule == "within 10 min at 15/30/60 km/h (qpv/urban/rural), detour 1.5"


def test_travel_time_settings_are_checked():
    with pytest.raises(LayerValidationError, match="detour must be >= 1"):
        TravelTime(20, detour=0.8)
    with pytest.raises(LayerValidationError, match=r"unknown zones \['suburb'\]"):
        TravelTime(20, speed_kmh={"suburb": 40})
    with pytest.raises(LayerValidationError, match=r"speed_kmh\['qpv'\] must be a finite number > 0"):
        TravelTime(20, speed_kmh={"qpv": 0})
    with pytest.raises(LayerValidationError, match="max_minutes must be a finite number > 0"):
        TravelTime(-5)
    assert hash(TravelTime(20)) == hash(TravelTime(20, speed_kmh=dict(DEFAULT_SPEED_KMH)))


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5000", True])
def test_radius_must_be_a_positive_number(bad):
    with pytest.raises(LayerValidationError, match="radius rule, column 'metres': metres must be a finite"):
        Radius(bad)


def test_zone_radius_must_be_positive():
    with pytest.raises(LayerValidationError, match="column 'rural': rural must be a finite number > 0"):
        ZoneRadius(rural=-1)
    assert ZoneRadius(qpv=np.int64(800)).by_zone()["qpv"] == 800.0


# -- travel-time matrix supplied by the user ------------------------------------


def write_times(tmp_path, rows, name="times.csv", sep=","):
    path = tmp_path / name
    path.write_text("\n".join(sep.join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return path


def test_travel_time_matrix_from_csv(tmp_path, small):
    demand, sites = small
    path = write_times(tmp_path, [("origin", "destination", "minutes"), ("u2", "s0", 25),
                                  ("u0", "s1", 12.5), ("u0", "s0", 7), ("u1", "s1", 40)])
    reach = build_reach(demand, sites, TravelTimeMatrix(path, max_minutes=30))
    assert pairs(reach) == [("u0", "s0", 7.0), ("u0", "s1", 12.5), ("u2", "s0", 25.0)]
    assert reach.unit == "min"
    assert reach.rule == f"travel times from {path}, within 30 min"
    everything = reach_from_travel_times(demand, sites, path)
    assert everything.n_pairs == 4


def test_travel_time_matrix_french_csv_keeps_text_ids(tmp_path):
    path = write_times(tmp_path, [("commune", "site", "duree"), ("01001", "bp:1", "12,5"),
                                  ("2A004", "bp:1", "3")], sep=";")
    demand = pd.DataFrame({"unit_id": ["2A004", "01001"]})
    sites = pd.DataFrame({"site_id": ["bp:1"]})  # no geometry needed for a matrix
    reach = reach_from_travel_times(demand, sites, path, origin="commune", destination="site",
                                    minutes="duree")
    assert pairs(reach) == [("2A004", "bp:1", 3.0), ("01001", "bp:1", 12.5)]


def test_travel_time_matrix_from_parquet_with_numeric_ids(tmp_path):
    path = tmp_path / "times.parquet"
    pd.DataFrame({"origin": [1, 2, 2], "destination": [10.0, 10.0, 20.0],
                  "minutes": [5.0, 8.0, 3.5]}).to_parquet(path)
    demand = pd.DataFrame({"unit_id": [2, 1]})
    sites = pd.DataFrame({"site_id": ["20", "10"]})
    reach = build_reach(demand, sites, TravelTimeMatrix(path))
    assert pairs(reach) == [("2", "20", 3.5), ("2", "10", 8.0), ("1", "10", 5.0)]


def test_travel_time_matrix_numeric_minutes_must_be_present(tmp_path):
    path = tmp_path / "times.parquet"
    pd.DataFrame({"origin": ["a", "b", "c"], "destination": ["x", "x", 7],
                  "minutes": [5.0, None, np.inf]}).astype({"destination": str}).to_parquet(path)
    with pytest.raises(LayerValidationError) as error:
        read_travel_times(path)
    assert f"{path}, row 2, column 'minutes': value is missing" in str(error.value)
    assert f"{path}, row 3, column 'minutes': not a finite number" in str(error.value)
    mixed = read_travel_times(pd.DataFrame({"origin": [1.0, "b"], "destination": [7, 8], "minutes": [1, 2]}))
    assert mixed["origin"].tolist() == ["1", "b"] and mixed["destination"].tolist() == ["7", "8"]


def test_travel_time_matrix_from_a_dataframe(small):
    demand, sites = small
    table = pd.DataFrame({"o": ["u1"], "d": ["s0"], "t": [4.0]}, index=[42])
    reach = build_reach(demand, sites, TravelTimeMatrix(table, origin="o", destination="d", minutes="t"))
    assert pairs(reach) == [("u1", "s0", 4.0)]
    assert reach.rule == "travel times from travel-time table"


def test_travel_time_matrix_missing_column_names_file_and_columns(tmp_path):
    path = write_times(tmp_path, [("origin", "destination", "duration"), ("u0", "s0", 3)])
    with pytest.raises(LayerValidationError) as error:
        read_travel_times(path)
    message = str(error.value)
    assert f"{path}, column 'minutes': missing column 'minutes'" in message
    assert "columns present: origin, destination, duration" in message


def test_travel_time_matrix_bad_values_name_their_rows(tmp_path):
    path = write_times(tmp_path, [("origin", "destination", "minutes"), ("u0", "s0", "12"),
                                  ("u1", "s0", "soon"), ("u2", "s1", "-3"), ("", "s1", "4"),
                                  ("u0", "s0", "9"), ("u1", "s1", "")])
    with pytest.raises(LayerValidationError) as error:
        read_travel_times(path)
    message = str(error.value)
    assert f"{path}, row 2, column 'minutes': not a number" in message and "'soon'" in message
    assert f"{path}, row 3, column 'minutes': minutes must be >= 0" in message
    assert f"{path}, row 4, column 'origin': id is missing" in message
    assert f"{path}, row 5: pair ('u0', 's0') is repeated" in message
    assert f"{path}, row 6, column 'minutes': value is missing" in message
    assert message.startswith("5 problems")


def test_travel_time_matrix_unknown_ids_are_named_and_counted(tmp_path, small):
    demand, sites = small
    rows = [("origin", "destination", "minutes"), ("u0", "s0", 1), ("u0", "nowhere", 2)]
    rows += [(f"x{i:02d}", "s1", 3) for i in range(12)]
    path = write_times(tmp_path, rows)
    with pytest.raises(LayerValidationError) as error:
        build_reach(demand, sites, TravelTimeMatrix(path))
    message = str(error.value)
    assert (f"{path}: 12 origin ids are not demand unit ids: 'x00', 'x01', 'x02', 'x03', 'x04', 'x05', "
            "'x06', 'x07', 'x08', 'x09' and 2 more") in message
    assert f"{path}: 1 destination ids are not site ids: 'nowhere'" in message


def test_travel_time_matrix_unreadable_files(tmp_path):
    bad = tmp_path / "times.parquet"
    bad.write_text("not parquet", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="times.parquet: cannot be read as Parquet"):
        read_travel_times(bad)
    with pytest.raises(FileNotFoundError, match="absent.csv: file not found"):
        read_travel_times(tmp_path / "absent.csv")
    with pytest.raises(LayerValidationError, match="max_minutes must be a finite number > 0"):
        TravelTimeMatrix(bad, max_minutes=0)


# -- decay ----------------------------------------------------------------------


def test_decay_formulas():
    d = np.array([0.0, 500.0, 1000.0, 2000.0, 4000.0])
    np.testing.assert_allclose(Decay("linear", 2000).weights(d), [1, 0.75, 0.5, 0, 0])
    np.testing.assert_allclose(Decay("power", 1000).weights(d), [1, 1, 1, 0.5, 0.25])
    np.testing.assert_allclose(Decay("power", 1000, beta=2).weights(d), [1, 1, 1, 0.25, 0.0625])
    np.testing.assert_allclose(Decay("exponential", 1000).weights(d), np.exp([0, -0.5, -1, -2, -4]))
    np.testing.assert_allclose(Decay("linear").weights(d, limit=4000), [1, 0.875, 0.75, 0.5, 0])


def test_decay_settings_are_checked():
    with pytest.raises(LayerValidationError, match="unknown decay kind 'gauss'"):
        Decay("gauss", 100)  # type: ignore[arg-type]
    with pytest.raises(LayerValidationError, match="power decay needs a scale"):
        Decay("power")
    with pytest.raises(LayerValidationError, match="beta applies to power decay only, not exponential"):
        Decay("exponential", 100, beta=2)
    with pytest.raises(LayerValidationError, match="linear decay needs a scale here"):
        Decay("linear").weights([1.0])


def test_linear_decay_falls_to_zero_at_each_units_own_radius(small):
    demand, sites = small
    reach = build_reach(demand, sites, ZoneRadius(qpv=8000, urban=4000, rural=20000), decay=Decay("linear"))
    # u0 qpv 8 km: s0 4000 -> 0.5, s1 6000 -> 0.25; u1 urban 4 km: s1 3000 -> 0.25 (s0 out);
    # u2 rural 20 km: s1 4000 -> 0.8, s0 10770 -> 0.46
    expected = {("u0", "s0"): 0.5, ("u0", "s1"): 0.25, ("u1", "s1"): 0.25, ("u2", "s1"): 0.8,
                ("u2", "s0"): 1 - math.hypot(10000, 4000) / 20000}
    got = {(reach.demand_ids[r], reach.site_ids[c]): w
           for r, c, w in zip(reach.rows, reach.cols, reach.weight, strict=True)}
    assert got == pytest.approx(expected)
    assert reach.rule.endswith("linear decay (scale rule limit)")


def test_pairs_with_zero_weight_are_dropped(small):
    demand, sites = small
    reach = build_reach(demand, sites, Radius(5000), decay=Decay("linear", 4000))
    # 4000 and 5000 m pairs weigh 0 and go; only u1-s1 at 3000 m stays, weight 0.25
    assert pairs(reach) == [("u1", "s1", 3000.0)]
    assert reach.matrix("weight").toarray().tolist() == [[0, 0], [0, 0.25], [0, 0]]


def test_decay_on_travel_times_uses_minutes(tmp_path, small):
    demand, sites = small
    table = pd.DataFrame({"origin": ["u0", "u1"], "destination": ["s0", "s0"], "minutes": [10.0, 30.0]})
    reach = build_reach(demand, sites, TravelTimeMatrix(table, max_minutes=40), decay=Decay("linear"))
    np.testing.assert_allclose(reach.weight, [0.75, 0.25])
    with pytest.raises(LayerValidationError, match="linear decay needs a scale here"):
        build_reach(demand, sites, TravelTimeMatrix(table), decay=Decay("linear"))
    timed = build_reach(demand, sites, TravelTime(30), decay=Decay("exponential", 10))
    np.testing.assert_allclose(timed.weight, np.exp(-timed.dist / 10))


# -- the Reach record -------------------------------------------------------------


def test_from_dense_keeps_finite_pairs_within_the_limit():
    distances = np.array([[3.0, np.inf, 1.0], [np.inf, np.inf, np.inf], [2.0, 2.0, 9.0]])
    reach = Reach.from_dense(["a", "b", "c"], ["x", "y", "z"], distances, max_distance=5, unit="min")
    # ties (c-x, c-y at 2.0) are ordered by site
    assert pairs(reach) == [("a", "z", 1.0), ("a", "x", 3.0), ("c", "x", 2.0), ("c", "y", 2.0)]
    assert reach.unit == "min" and reach.rule == "within 5 min"
    assert Reach.from_dense(["a", "b", "c"], ["x", "y", "z"], distances).n_pairs == 5
    with pytest.raises(ValueError, match=r"distances has shape \(3, 3\), expected \(2, 3\)"):
        Reach.from_dense(["a", "b"], ["x", "y", "z"], distances)


def test_matrix_in_every_flavour():
    reach = Reach.from_dense(["a", "b"], ["x", "y", "z"], [[3.0, np.inf, 1.0], [np.inf, 4.0, np.inf]])
    for values, expected in [("dist", [[3, 0, 1], [0, 4, 0]]), ("ones", [[1, 0, 1], [0, 1, 0]]),
                             ("weight", [[1, 0, 1], [0, 1, 0]])]:
        matrix = reach.matrix(values)  # type: ignore[arg-type]
        assert isinstance(matrix, sp.csr_array) and matrix.shape == (2, 3)
        assert matrix.toarray().tolist() == expected


def test_within_keeps_ids_and_weights():
    reach = Reach.from_dense(["a", "b"], ["x", "y"], [[1.0, 3.0], [2.0, 5.0]]).with_decay(Decay("linear", 10))
    closer = reach.within(2.5)
    assert pairs(closer) == [("a", "x", 1.0), ("b", "x", 2.0)]
    np.testing.assert_allclose(closer.weight, [0.9, 0.8])
    assert list(closer.site_ids) == ["x", "y"] and closer.n_demand == 2
    assert closer.rule == "all pairs, linear decay (scale 10), within 2.5 m"


def test_from_pairs_names_unknown_ids():
    reach = Reach.from_pairs(["a", "b"], ["x"], ["b", "a"], ["x", "x"], [7.0, 2.0])
    assert pairs(reach) == [("a", "x", 2.0), ("b", "x", 7.0)]
    with pytest.raises(LayerValidationError, match="pairs: 1 origin ids are not demand unit ids: 'c'"):
        Reach.from_pairs(["a"], ["x"], ["c"], ["x"], [1.0])


def test_from_arrays_sorts_by_row_distance_then_site():
    rng = np.random.default_rng(5)
    rows = rng.integers(0, 50, 2000)
    cols = rng.permutation(2000) % 300
    dist = rng.integers(0, 5, 2000).astype(float)  # many ties: resolved by site
    unique = np.unique(rows * 1000 + cols, return_index=True)[1]
    reach = Reach.from_arrays(range(50), range(300), rows[unique], cols[unique], dist[unique])
    order = np.lexsort((cols[unique], dist[unique], rows[unique]))
    assert reach.rows.tolist() == rows[unique][order].tolist()
    assert reach.cols.tolist() == cols[unique][order].tolist()
    smooth = rng.uniform(0, 1e4, len(unique))  # no ties: the fast path
    fast = Reach.from_arrays(range(50), range(300), rows[unique], cols[unique], smooth)
    assert fast.cols.tolist() == cols[unique][np.lexsort((cols[unique], smooth, rows[unique]))].tolist()


def test_from_arrays_orders_distances_too_close_for_the_fast_sort():
    # row 299,999: 5000 m and 5000.0000001 m share one float sort key; the exact order must win
    reach = Reach.from_arrays(range(300_000), ["x", "y", "z"], [299_999, 299_999, 0], [0, 1, 2],
                              [5000.0 + 1e-7, 5000.0, 10_000.0])
    assert reach.cols.tolist() == [2, 1, 0]
    assert reach.dist[1] < reach.dist[2]


def test_reach_arrays_are_read_only(small):
    reach = build_reach(*small, Radius(5000))
    with pytest.raises(ValueError, match="read-only"):
        reach.dist[0] = 1.0
