"""Reach rules: estimated travel times, user travel-time tables, decay."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coverage.errors import LayerValidationError
from coverage.reach.layers import build_reach, reach_from_travel_times
from coverage.reach.rules import (
    DEFAULT_SPEED_KMH,
    Decay,
    Radius,
    TravelTime,
    TravelTimeMatrix,
    ZoneRadius,
    read_travel_times,
)
from reach_helpers import pairs, small_layers, write_times


@pytest.fixture()
def small():
    """u0 at the origin, u1 3 km east, u2 10 km east; s0 at (0, 4 km), s1 at 6 km east."""
    return small_layers()


# -- travel time estimated from distance --------------------------------------


def test_travel_time_is_distance_times_detour_over_zone_speed(small):
    demand, sites = small
    rule = TravelTime(10, detour=1.5, speed_kmh={"rural": 60})
    assert rule.speed_kmh == {
        "qpv": DEFAULT_SPEED_KMH["qpv"],
        "urban": DEFAULT_SPEED_KMH["urban"],
        "rural": 60.0,
    }
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


def test_travel_time_matrix_from_csv(tmp_path, small):
    demand, sites = small
    path = write_times(
        tmp_path,
        [
            ("origin", "destination", "minutes"),
            ("u2", "s0", 25),
            ("u0", "s1", 12.5),
            ("u0", "s0", 7),
            ("u1", "s1", 40),
        ],
    )
    reach = build_reach(demand, sites, TravelTimeMatrix(path, max_minutes=30))
    assert pairs(reach) == [("u0", "s0", 7.0), ("u0", "s1", 12.5), ("u2", "s0", 25.0)]
    assert reach.unit == "min"
    assert reach.rule == f"travel times from {path}, within 30 min"
    everything = reach_from_travel_times(demand, sites, path)
    assert everything.n_pairs == 4


def test_travel_time_matrix_french_csv_keeps_text_ids(tmp_path):
    path = write_times(
        tmp_path, [("commune", "site", "duree"), ("01001", "bp:1", "12,5"), ("2A004", "bp:1", "3")], sep=";"
    )
    demand = pd.DataFrame({"unit_id": ["2A004", "01001"]})
    sites = pd.DataFrame({"site_id": ["bp:1"]})  # no geometry needed for a matrix
    reach = reach_from_travel_times(
        demand, sites, path, origin="commune", destination="site", minutes="duree"
    )
    assert pairs(reach) == [("2A004", "bp:1", 3.0), ("01001", "bp:1", 12.5)]


def test_travel_time_matrix_from_parquet_with_numeric_ids(tmp_path):
    path = tmp_path / "times.parquet"
    pd.DataFrame(
        {"origin": [1, 2, 2], "destination": [10.0, 10.0, 20.0], "minutes": [5.0, 8.0, 3.5]}
    ).to_parquet(path)
    demand = pd.DataFrame({"unit_id": [2, 1]})
    sites = pd.DataFrame({"site_id": ["20", "10"]})
    reach = build_reach(demand, sites, TravelTimeMatrix(path))
    assert pairs(reach) == [("2", "20", 3.5), ("2", "10", 8.0), ("1", "10", 5.0)]


def test_travel_time_matrix_numeric_minutes_must_be_present(tmp_path):
    path = tmp_path / "times.parquet"
    pd.DataFrame(
        {"origin": ["a", "b", "c"], "destination": ["x", "x", 7], "minutes": [5.0, None, np.inf]}
    ).astype({"destination": str}).to_parquet(path)
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
    path = write_times(
        tmp_path,
        [
            ("origin", "destination", "minutes"),
            ("u0", "s0", "12"),
            ("u1", "s0", "soon"),
            ("u2", "s1", "-3"),
            ("", "s1", "4"),
            ("u0", "s0", "9"),
            ("u1", "s1", ""),
        ],
    )
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
    assert (
        f"{path}: 12 origin ids are not demand unit ids: 'x00', 'x01', 'x02', 'x03', 'x04', 'x05', "
        "'x06', 'x07', 'x08', 'x09' and 2 more"
    ) in message
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
    expected = {
        ("u0", "s0"): 0.5,
        ("u0", "s1"): 0.25,
        ("u1", "s1"): 0.25,
        ("u2", "s1"): 0.8,
        ("u2", "s0"): 1 - math.hypot(10000, 4000) / 20000,
    }
    got = {
        (reach.demand_ids[r], reach.site_ids[c]): w
        for r, c, w in zip(reach.rows, reach.cols, reach.weight, strict=True)
    }
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
