"""Road travel times on a network the tests write themselves (tests/road_network.py).

Times are checked by hand: rows 1.5 min/km (maxspeed 50 x 0.8 = 40 km/h), columns
2.4 min/km (residential, 25 km/h), the bridge at column 4 0.923 min/km (primary, 65 km/h).
"""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coverage.errors import LayerValidationError, MissingDataError  # noqa: E402
from coverage.models.location import maximal_coverage  # noqa: E402
from coverage.reach.layers import build_reach, reach_by_road  # noqa: E402
from coverage.reach.osm import SPEED_KMH, parse_maxspeed, read_ways  # noqa: E402
from coverage.reach.roads import (  # noqa: E402
    RoadSettings,
    RoadTime,  # noqa: E402
    load_road_network,
)
from coverage.reach.rules import Radius  # noqa: E402
from coverage.reach.versus import compare_reach  # noqa: E402
from road_network import (  # noqa: E402
    BRIDGE_MIN_PER_KM,
    COLUMN_MIN_PER_KM,
    ROW_MIN_PER_KM,
    points,
    write_grid,
)


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    return write_grid(tmp_path / "grid.osm.pbf")


def minutes_between(reach, unit: str, site: str) -> float | None:
    for r, c, d in zip(reach.rows, reach.cols, reach.dist, strict=True):
        if reach.demand_ids[r] == unit and reach.site_ids[c] == site:
            return float(d)
    return None


def rule(extract: Path, minutes: float = 30.0, **options) -> RoadTime:
    return RoadTime(extract, qpv=minutes, urban=minutes, rural=minutes, **options)


# -- the network ---------------------------------------------------------------


def test_network_keeps_drivable_ways_with_their_directions(grid: Path) -> None:
    network = load_road_network(grid)
    assert network.n_nodes == 25
    # rows 0-3 both ways (4 x 4 x 2), row 4 one way (4), columns south (5 x 2 x 2) and north (5 x 2),
    # the bridge both ways (2); the footway and the private service road are left out.
    assert network.n_edges == 32 + 4 + 20 + 10 + 2
    assert network.max_speed_m_per_min == pytest.approx(65_000 / 60, rel=1e-3)


def test_a_disk_location_index_reads_the_same_network(grid: Path) -> None:
    in_memory = read_ways(grid, SPEED_KMH, 0.8, disk_index=False)
    on_disk = read_ways(grid, SPEED_KMH, 0.8, disk_index=True)
    assert np.array_equal(in_memory.tail, on_disk.tail) and np.array_equal(in_memory.minutes, on_disk.minutes)
    assert len(on_disk.tail) == 68


def test_maxspeed_values() -> None:
    assert parse_maxspeed("FR:motorway") == 130.0
    assert parse_maxspeed("70 km/h") == 70.0
    assert parse_maxspeed("walk") is None
    assert parse_maxspeed("") is None


# -- road times by hand ----------------------------------------------------------


def test_road_times_by_hand_bridge_detour_and_one_way(grid: Path) -> None:
    units = points(["A", "B", "C", "V", "W"], [(0, 2), (1, 2), (0, 3), (0, 4), (4, 4)], id_column="unit_id")
    sites = points(["S1", "S2", "T", "T0"], [(0, 3), (4, 2), (4, 4), (0, 4)], id_column="site_id")
    reach = build_reach(units, sites, rule(grid))
    assert reach.unit == "min"
    # A, 1 km south of S1 across the river: 4 km east, the bridge, 4 km back west
    detour = 8 * ROW_MIN_PER_KM + BRIDGE_MIN_PER_KM
    assert minutes_between(reach, "A", "S1") == pytest.approx(detour, rel=2e-3)
    assert minutes_between(reach, "A", "S2") == pytest.approx(4 * ROW_MIN_PER_KM, rel=2e-3)
    assert minutes_between(reach, "B", "S2") == pytest.approx(3 * ROW_MIN_PER_KM, rel=2e-3)
    # one way: V drives east along row 4 to T; W (at T) cannot drive west along it to T0
    assert minutes_between(reach, "V", "T") == pytest.approx(4 * ROW_MIN_PER_KM, rel=2e-3)
    around = 2 * COLUMN_MIN_PER_KM + 4 * ROW_MIN_PER_KM
    assert minutes_between(reach, "W", "T0") == pytest.approx(around, rel=2e-3)
    assert minutes_between(reach, "C", "S1") == pytest.approx(0.0, abs=1e-6)


def test_the_bridge_changes_who_reaches_whom(grid: Path, tmp_path: Path) -> None:
    units = points(["A", "C"], [(0, 2), (0, 3)], id_column="unit_id")
    sites = points(["S1"], [(0, 3)], id_column="site_id")
    with_bridge = build_reach(units, sites, rule(grid, 15))
    assert minutes_between(with_bridge, "A", "S1") == pytest.approx(12.923, abs=0.02)
    no_bridge = write_grid(tmp_path / "nobridge" / "grid.osm.pbf", drop_bridge=True)
    # the two banks are two pieces of 15 and 10 nodes: let points snap to both
    without = build_reach(units, sites, rule(no_bridge, 15, min_piece_nodes=10))
    assert minutes_between(without, "A", "S1") is None  # the river cuts A off
    assert minutes_between(without, "C", "S1") == pytest.approx(0.0, abs=1e-6)
    # and 10 minutes is not enough even with the bridge, though S1 is 1 km away in straight line
    assert minutes_between(build_reach(units, sites, rule(grid, 10)), "A", "S1") is None
    assert build_reach(units, sites, Radius(1500)).n_pairs == 2


def test_minutes_per_zone(grid: Path) -> None:
    units = points(["A", "B"], [(0, 2), (1, 2)], id_column="unit_id", qpv=[False, False], rural=[True, False])
    sites = points(["S2"], [(4, 2)], id_column="site_id")
    reach = build_reach(units, sites, RoadTime(grid, qpv=5, urban=5, rural=6.5))
    # A (rural, 6.5 min) reaches S2 in 6.0; B (urban, 5 min) in 4.5
    assert sorted(reach.demand_ids[reach.rows]) == ["A", "B"]
    reach = build_reach(units, sites, RoadTime(grid, qpv=5, urban=4, rural=5.5))
    assert reach.n_pairs == 0


def test_progress_is_reported_while_building_and_routing(grid: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    units = points(["A"], [(0, 2)], id_column="unit_id")
    sites = points(["S2"], [(4, 2)], id_column="site_id")
    build_reach(units, sites, rule(grid), progress=lambda *call: calls.append(call))
    steps = [step for step, _, _ in calls]
    assert steps[0] == "roads" and "routing" in steps
    assert calls[-1][1] == calls[-1][2]


# -- the cache -----------------------------------------------------------------------


def test_second_build_reads_the_cache_and_a_changed_extract_rebuilds(grid: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="coverage.reach.roads")
    first = load_road_network(grid)
    assert "building the road network" in caplog.text
    cached = list((grid.parent / ".coverage-roads").glob("roads-*.npz"))
    assert len(cached) == 1
    caplog.clear()
    second = load_road_network(grid)
    assert "read from the cache" in caplog.text and "building" not in caplog.text
    assert second.key == first.key and np.array_equal(second.minutes, first.minutes)
    # other speeds are another network
    caplog.clear()
    slower = load_road_network(grid, settings=RoadSettings(maxspeed_factor=0.5))
    assert "building the road network" in caplog.text
    assert slower.key != first.key
    # the extract changes (the bridge is gone): rebuilt
    write_grid(grid, drop_bridge=True)
    caplog.clear()
    changed = load_road_network(grid)
    assert "building the road network" in caplog.text
    assert changed.n_edges == first.n_edges - 2


def test_routed_pairs_are_cached(grid: Path, caplog) -> None:
    units = points(["A"], [(0, 2)], id_column="unit_id")
    sites = points(["S2"], [(4, 2)], id_column="site_id")
    first = build_reach(units, sites, rule(grid))
    caplog.set_level(logging.INFO, logger="coverage.reach.routing")
    second = build_reach(units, sites, rule(grid))
    assert "road times read from the cache" in caplog.text
    assert np.array_equal(first.dist, second.dist)


# -- snapping and honest failures --------------------------------------------------------


def test_snapping_reports_the_distance_and_drops_far_points(grid: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="coverage.reach.routing")
    units = points(["A", "far"], [(0.3, 2.0), (2.5, 2.5)], id_column="unit_id")
    sites = points(["S2"], [(4, 2)], id_column="site_id")
    road = reach_by_road(units, sites, rule(grid, snap_metres=500))
    snapping = road.snapping.set_index("id")
    assert snapping.loc["A", "snap_metres"] == pytest.approx(300, abs=2)
    assert snapping.loc["far", "snap_metres"] == pytest.approx(707, abs=3)  # nearest node
    assert road.dropped()["id"].tolist() == ["far"]
    assert [road.reach.demand_ids[r] for r in road.reach.rows] == ["A"]
    assert "left out beyond 500 m of a road: 1 units, 0 sites" in road.reach.rule
    assert "farther than 500 m" in caplog.text
    with pytest.raises(LayerValidationError, match=r"grid\.osm\.pbf.*demand 'far' \(707 m\).*far_points"):
        reach_by_road(units, sites, rule(grid, snap_metres=500, far_points="error"))


def test_extract_not_covering_the_territory(grid: Path) -> None:
    units = points(["A", "paris"], [(0, 2), (0, 0)], id_column="unit_id")
    units.loc[1, "geometry"] = units.geometry[0].__class__(2.35, 48.85)
    sites = points(["S2"], [(4, 2)], id_column="site_id")
    with pytest.raises(LayerValidationError, match=r"grid\.osm\.pbf.*does not cover the territory.*'paris'"):
        build_reach(units, sites, rule(grid))


def test_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"nowhere\.osm\.pbf does not exist.*geofabrik"):
        load_road_network(tmp_path / "nowhere.osm.pbf")


def test_corrupt_extract(tmp_path: Path, grid: Path) -> None:
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(grid.read_bytes()[:200])
    with pytest.raises(LayerValidationError, match=r"broken\.osm\.pbf.*cannot be read as an OpenStreetMap"):
        load_road_network(broken)
    text = tmp_path / "notes.osm.pbf"
    text.write_text("not an extract", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"notes\.osm\.pbf.*cannot be read"):
        load_road_network(text)


def test_extract_without_roads(tmp_path: Path) -> None:
    import osmium
    from osmium.osm.mutable import Node, Way

    path = tmp_path / "paths.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    writer.add_node(Node(id=1, location=(1.87, 46.1)))
    writer.add_node(Node(id=2, location=(1.88, 46.1)))
    writer.add_way(Way(id=1, nodes=[1, 2], tags={"highway": "footway"}))
    writer.close()
    with pytest.raises(LayerValidationError, match=r"paths\.osm\.pbf.*holds no drivable road"):
        load_road_network(path)


# -- the same plan with a radius and with road times ---------------------------------------


def test_maximal_coverage_radius_versus_road(grid: Path) -> None:
    units = points(["A", "B", "C"], [(0, 2), (1, 2), (0, 3)], id_column="unit_id", need=[100.0, 100.0, 120.0])
    sites = points(["S1", "S2"], [(0, 3), (4, 2)], id_column="site_id")
    circle = build_reach(units, sites, Radius(1500))
    road = build_reach(units, sites, rule(grid, 10))
    by_circle = maximal_coverage(units, sites, circle, max_sites=1)
    by_road = maximal_coverage(units, sites, road, max_sites=1)
    # in straight line S1 (across the river) reaches all three; by road only C reaches it in 10 min,
    # while S2 by the bridge reaches A (6 min), B (4.5) and C (6.9)
    assert by_circle.open_site_ids == ("S1",) or list(by_circle.open_site_ids) == ["S1"]
    assert list(by_road.open_site_ids) == ["S2"]
    assert by_circle.reached_need == pytest.approx(320.0)
    assert by_road.reached_need == pytest.approx(320.0)
    difference = compare_reach(circle, road, units["dep"])
    assert difference.lost == 2 and difference.gained == 3
    assert difference.units.set_index("unit_id").loc["A", "nearest_second"] == "S2"
    assert difference.by_department["nearest_changed"].tolist() == [2]


def test_no_candidate_pair_gives_an_empty_reach(grid: Path) -> None:
    units = points(["A"], [(0, 0)], id_column="unit_id")
    sites = points(["T"], [(4, 4)], id_column="site_id")  # 5.7 km: beyond 1 minute at any speed
    reach = build_reach(units, sites, rule(grid, 1))
    assert reach.n_pairs == 0 and reach.unit == "min"


def test_an_extract_spanning_two_territories_routes_each_on_its_own_roads(tmp_path: Path) -> None:
    both = write_grid(tmp_path / "both.osm.pbf", reunion=True)
    units = points(["A", "W"], [(0, 2), (4, 4)], id_column="unit_id")
    sites = points(["S1", "T0"], [(0, 3), (0, 4)], id_column="site_id")
    reach = build_reach(units, sites, rule(both))
    assert load_road_network(both).n_nodes == 27
    assert minutes_between(reach, "A", "S1") == pytest.approx(
        8 * ROW_MIN_PER_KM + BRIDGE_MIN_PER_KM, rel=2e-3
    )
    assert minutes_between(reach, "W", "T0") == pytest.approx(
        2 * COLUMN_MIN_PER_KM + 4 * ROW_MIN_PER_KM, rel=2e-3
    )


def test_points_do_not_snap_to_a_piece_of_road_joined_to_nothing(tmp_path: Path) -> None:
    extract = write_grid(tmp_path / "fragment.osm.pbf", fragment=True)
    units = points(["U"], [(2.5, 2.45)], id_column="unit_id")  # 50 m from the fragment
    sites = points(["S2", "lone"], [(4, 2), (2.6, 2.5)], id_column="site_id")
    road = reach_by_road(units, sites, rule(extract))
    snapping = road.snapping.set_index("id")["snap_metres"]
    assert snapping["U"] == pytest.approx(math.hypot(500, 450), abs=3)  # to the grid, not the fragment
    assert snapping["lone"] == pytest.approx(math.hypot(400, 500), abs=3)
    assert minutes_between(road.reach, "U", "S2") is not None
    # with pieces of 2 nodes allowed, U snaps to the fragment and reaches nothing
    stranded = reach_by_road(units, sites, rule(extract, min_piece_nodes=2))
    assert stranded.snapping.set_index("id").loc["U", "snap_metres"] == pytest.approx(50, abs=2)
    assert minutes_between(stranded.reach, "U", "S2") is None


def test_a_site_in_a_territory_without_units_is_not_reported_as_dropped(tmp_path: Path) -> None:
    both = write_grid(tmp_path / "both.osm.pbf", reunion=True)
    units = points(["A"], [(0, 2)], id_column="unit_id")
    sites = points(["S1", "run"], [(0, 3), (0, 0)], id_column="site_id")
    sites.loc[1, "geometry"] = Point(55.45, -21.0)
    sites.loc[1, "dep"] = "974"
    road = reach_by_road(units, sites, rule(both))
    assert road.dropped().empty
    assert road.snapping.set_index("id").loc["run", "snap_metres"] < 10
