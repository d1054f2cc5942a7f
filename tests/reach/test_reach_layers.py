"""Reach from layers: pairs within the access rule, per territory, never across oceans."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Point, Polygon

from coverage.errors import CRSError, LayerValidationError
from coverage.reach.layers import build_reach, reach_from_radius
from coverage.reach.pairs import Reach
from coverage.reach.rules import (
    Radius,
    TravelTime,
    ZoneRadius,
)
from reach_helpers import X0, Y0, demand_frame, pairs, sites_frame, small_layers


@pytest.fixture()
def small():
    """u0 at the origin, u1 3 km east, u2 10 km east; s0 at (0, 4 km), s1 at 6 km east."""
    return small_layers()


# -- radius -------------------------------------------------------------------


def test_radius_pairs_and_distances_by_hand(small):
    demand, sites = small
    reach = build_reach(demand, sites, Radius(5000))
    # u0-s0 4000, u1-s0 5000 (3-4-5, kept at exactly the radius), u1-s1 3000, u2-s1 4000
    assert pairs(reach) == [
        ("u0", "s0", 4000.0),
        ("u1", "s1", 3000.0),
        ("u1", "s0", 5000.0),
        ("u2", "s1", 4000.0),
    ]
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
        zip(rows.tolist(), cols.tolist(), strict=True)
    )
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
        (int(r), int(c)) for r, c in expected
    }


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
    assert pairs(reach) == [
        ("u0", "s0", 4000.0),
        ("u1", "s1", 3000.0),
        ("u2", "s1", 4000.0),
        ("u2", "s0", round(math.hypot(10000, 4000), 6)),
    ]
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
    demand = gpd.GeoDataFrame(
        {"unit_id": ["paris"], "dep": ["75"]}, geometry=[Point(2.3522, 48.8566)], crs=4326
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["versailles"], "dep": ["78"]}, geometry=[Point(2.1301, 48.8049)], crs=4326
    )
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
        geometry=[Point(2.35, 48.85), Point(55.45, -20.88), Point(55.48, -21.34)],
        crs=4326,
    )
    extra = {"dep": ["974", "75"]} if with_department else {}
    sites = gpd.GeoDataFrame(
        {"site_id": ["le-port", "louvre"], **extra},
        geometry=[Point(55.29, -20.94), Point(2.337, 48.861)],
        crs=4326,
    )
    # 20,000 km would reach across the ocean in any single planar CRS
    reach = build_reach(demand, sites, Radius(20_000_000))
    assert {(a, b) for a, b, _ in pairs(reach)} == {
        ("paris", "louvre"),
        ("saint-denis", "le-port"),
        ("saint-pierre", "le-port"),
    }
    geod = pyproj.Geod(ellps="GRS80")
    *_, true = geod.inv(55.45, -20.88, 55.29, -20.94)
    measured = dict(((a, b), d) for a, b, d in pairs(reach))[("saint-denis", "le-port")]
    assert measured == pytest.approx(true, rel=1e-3)  # measured in UTM 40S, not Lambert-93


def test_a_territory_without_sites_gets_no_pairs():
    demand = gpd.GeoDataFrame(
        {"unit_id": ["mamoudzou", "paris"], "dep": ["976", "75"]},
        geometry=[Point(45.23, -12.78), Point(2.35, 48.85)],
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["louvre"], "dep": ["75"]}, geometry=[Point(2.337, 48.861)], crs=4326
    )
    reach = build_reach(demand, sites, Radius(50_000))
    assert list(reach.sites_reaching()) == [0, 1]


def test_ids_keep_the_input_row_order_whatever_the_index(small):
    demand, sites = small
    demand = demand.iloc[::-1].set_index(pd.Index([10, 5, 7]))
    sites = sites.assign(site_id=[101, 102]).set_index(pd.Index(["x", "y"]))
    reach = build_reach(demand, sites, Radius(5000))
    assert list(reach.demand_ids) == ["u2", "u1", "u0"]
    assert list(reach.site_ids) == ["101", "102"]
    assert pairs(reach) == [
        ("u2", "102", 4000.0),
        ("u1", "102", 3000.0),
        ("u1", "101", 5000.0),
        ("u0", "101", 4000.0),
    ]


def test_polygons_stand_for_their_representative_point():
    # An L-shaped commune: its centroid falls outside it, its representative point inside.
    shape = Polygon([(0, 0), (10_000, 0), (10_000, 1_000), (1_000, 1_000), (1_000, 10_000), (0, 10_000)])
    shape = Polygon([(X0 + x, Y0 + y) for x, y in shape.exterior.coords])
    demand = gpd.GeoDataFrame({"unit_id": ["l"]}, geometry=[shape], crs=2154)
    site = shape.representative_point()
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b"]}, geometry=[Point(site.x + 300, site.y + 400), shape.centroid], crs=2154
    )
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
    demand = gpd.GeoDataFrame(
        {"unit_id": ["a", "b"], "dep": ["75", "75"]},
        geometry=[Point(2.35, 48.85), Point(55.45, -20.88)],
        crs=4326,
    )
    sites = gpd.GeoDataFrame({"site_id": ["s"], "dep": ["75"]}, geometry=[Point(2.3, 48.8)], crs=4326)
    with pytest.raises(
        LayerValidationError,
        match=r"demand, row 2, column 'dep': department '75' belongs "
        "to metropole but the point lies in 974",
    ):
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
