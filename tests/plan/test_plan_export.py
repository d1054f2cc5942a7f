"""Plan summary and exports: JSON, GeoPackage, GeoJSON, CSV, Parquet."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from coverage.errors import CRSError
from coverage.plan import export as plan_export
from coverage.plan.plan import Plan
from plan_helpers import (
    PARTNERS,
    SLOTS,
    UNITS,
    X0,
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
    assert served == {"poste": 48.0, "sos": 12.0}  # s2's 15 split 10 : 40 by serving capacity
    assert [row["dep"] for row in document["kpi_department"]] == ["75", "92"]
    assert list(tmp_path.iterdir()) == [path]


def test_to_gpkg_one_layer_per_table(geoplan, tmp_path):
    path = geoplan.to_gpkg(tmp_path / "plan.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "sites": "Point",
        "units": "Point",
        "slots": None,
        "kpi_department": None,
        "kpi_partner": None,
        "kpi_zone": None,
        "explanations": "Point",
    }
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
    assert partner["need_served"].tolist() == [48.0, 12.0]
    units = pd.read_csv(tmp_path / "csv" / "units.csv")
    assert units["geometry"].iloc[0] == "POINT (650002 6860000)"
    assert pd.read_csv(tmp_path / "csv" / "explanations.csv")["unit_id"].tolist() == ["u5", "u4"]
    geoplan.to_parquet(tmp_path / "parquet")
    units = gpd.read_parquet(tmp_path / "parquet" / "units.parquet")
    assert units.crs.to_epsg() == 2154 and units["nearest_open_site"].iloc[0] == "s1"
    zone = pd.read_parquet(tmp_path / "parquet" / "kpi_zone.parquet")
    assert zone["need_served"].tolist() == [10.0, 30.0, 20.0]
    assert sorted(p.name for p in (tmp_path / "parquet").iterdir()) == sorted(
        f"{n}.parquet" for n in geoplan.tables()
    )


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
    plan = Plan.from_solution(
        make_solution(),
        demand=demand.set_crs(None, allow_override=True),
        sites=sites,
        reach=make_reach(),
        partners=PARTNERS,
    )
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
