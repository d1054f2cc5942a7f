from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from coverage.data import territory
from coverage.errors import CRSError


@pytest.mark.parametrize(
    ("code", "dep"),
    [("01001", "01"), ("2A004", "2A"), ("2B033", "2B"), ("97411", "974"), ("97611", "976"), ("75056", "75")],
)
def test_department_of(code, dep):
    assert territory.department_of(code) == dep


@pytest.mark.parametrize(
    ("dep", "epsg"),
    [
        ("75", 2154),
        ("2A", 2154),
        ("971", 5490),
        ("972", 5490),
        ("973", 2972),
        ("974", 2975),
        ("976", 4471),
        ("metropole", 2154),
    ],
)
def test_metric_crs_per_territory(dep, epsg):
    crs = territory.metric_crs(dep)
    assert crs.to_epsg() == epsg
    assert crs.axis_info[0].unit_name == "metre"


def test_unknown_overseas_code_is_an_error():
    with pytest.raises(CRSError, match="unknown overseas department '979'"):
        territory.metric_crs("979")


def test_locate_points_and_outside():
    lon = np.array([2.35, 55.45, -61.55, 9.15, -30.0])
    lat = np.array([48.85, -21.0, 16.25, 41.9, 40.0])
    assert list(territory.locate(lon, lat)) == ["metropole", "974", "971", "metropole", ""]


def test_split_never_mixes_reunion_and_mainland():
    frame = gpd.GeoDataFrame(
        {"dep": ["75", "974", "13"]},
        geometry=[Point(2.35, 48.85), Point(55.45, -21.0), Point(5.37, 43.3)],
        crs=4326,
    )
    parts = dict(territory.split_by_territory(frame))
    assert set(parts) == {"metropole", "974"}
    assert parts["974"].crs.to_epsg() == 2975 and len(parts["974"]) == 1
    assert parts["metropole"].crs.to_epsg() == 2154 and len(parts["metropole"]) == 2
    # Paris - Marseille is about 660 km in Lambert-93
    paris, marseille = parts["metropole"].geometry
    assert 650_000 < paris.distance(marseille) < 670_000


def test_split_locates_by_geometry_without_department_column():
    frame = gpd.GeoDataFrame(geometry=[Point(45.2, -12.8), Point(2.0, 47.0)], crs=4326)
    assert [k for k, _ in territory.split_by_territory(frame)] == ["976", "metropole"]
    lost = gpd.GeoDataFrame(geometry=[Point(-30, 40)], crs=4326)
    with pytest.raises(CRSError, match="outside every French territory"):
        list(territory.split_by_territory(lost))
    with pytest.raises(CRSError, match="no CRS"):
        list(territory.split_by_territory(gpd.GeoDataFrame(geometry=[Point(2, 47)])))
