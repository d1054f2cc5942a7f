from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from coverage.data.layers._common import report_of
from coverage.data.layers.generic import combine_layers, read_layer, read_points_csv
from coverage.errors import CRSError

# Paris town hall, Lyon town hall, Saint-Denis (Réunion) town hall.
LONLAT = [(2.3522, 48.8566), (4.8357, 45.7640), (55.4504, -20.8823)]


@pytest.fixture
def sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["P", "L", "R"], "nom": ["Paris", "Lyon", "Saint-Denis"], "places": [3, 1, 2]},
        geometry=[Point(xy) for xy in LONLAT],
        crs=4326,
    )


def zip_shapefile(frame: gpd.GeoDataFrame, tmp_path, name: str = "sites"):
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame.to_file(folder / f"{name}.shp")
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for part in folder.glob(f"{name}.*"):
            handle.write(part, part.name)
    return archive


def write(frame: gpd.GeoDataFrame, tmp_path, suffix: str):
    path = tmp_path / f"sites{suffix}"
    if suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    elif suffix == ".zip":
        path = zip_shapefile(frame, tmp_path)
    else:
        driver = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".shp": None}[suffix]
        frame.to_file(path, driver=driver)
    return path


def assert_at_lonlat(frame: gpd.GeoDataFrame, lonlat=LONLAT) -> None:
    assert frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(frame.geometry.x, [x for x, _ in lonlat], atol=1e-6)
    np.testing.assert_allclose(frame.geometry.y, [y for _, y in lonlat], atol=1e-6)


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".zip"])
def test_each_format_round_trips(sites, tmp_path, suffix):
    frame = read_layer(write(sites, tmp_path, suffix))
    assert_at_lonlat(frame)
    assert list(frame["code"]) == ["P", "L", "R"]
    assert list(frame["nom"]) == ["Paris", "Lyon", "Saint-Denis"]
    assert list(frame["places"]) == [3, 1, 2]
    report = report_of(frame)
    assert (report.rows_read, report.rows_kept, report.dropped) == (3, 3, {})


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".zip"])
def test_lambert93_file_comes_back_in_4326_at_the_right_place(sites, tmp_path, suffix):
    metropole = sites.iloc[:2]
    lambert = metropole.to_crs(2154)
    assert lambert.geometry.x.iloc[0] > 600_000  # really in metres on disk
    frame = read_layer(write(lambert, tmp_path, suffix))
    assert_at_lonlat(frame, LONLAT[:2])


def test_polygons_round_trip_and_keep_their_area(tmp_path):
    square = Polygon([(2.0, 48.0), (2.1, 48.0), (2.1, 48.1), (2.0, 48.1)])
    demand = gpd.GeoDataFrame({"insee": ["75056"]}, geometry=[square], crs=4326).to_crs(2154)
    demand.to_file(tmp_path / "demand.gpkg")
    frame = read_layer(tmp_path / "demand.gpkg")
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].equals_exact(square, tolerance=1e-7)


def test_points_csv_round_trip_with_decimal_commas(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "code;nom;longitude;latitude\nP;Paris;2,3522;48,8566\nL;Lyon;4.8357;45.7640\n",
        encoding="utf-8",
    )
    frame = read_layer(path)
    assert_at_lonlat(frame, LONLAT[:2])
    assert list(frame.columns) == ["code", "nom", "geometry"]


def test_points_csv_custom_coordinate_columns_and_blank_coordinates_dropped(tmp_path):
    path = tmp_path / "sites.txt"
    path.write_text("id,x,y\n1,2.3522,48.8566\n2,,\n3,4.8357,45.7640\n", encoding="utf-8")
    frame = read_layer(path, lon="x", lat="y", id_column="id")
    assert_at_lonlat(frame, LONLAT[:2])
    assert list(frame["id"]) == ["1", "3"]
    assert report_of(frame).dropped == {"no coordinates": 1}


def test_points_csv_column_mapping(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Identifiant,Nom du lieu,lon,lat\n 007 ,Paris,2.3522,48.8566\n", encoding="utf-8")
    frame = read_points_csv(
        path,
        lon="lon",
        lat="lat",
        columns={"Identifiant": "site_id", "Nom du lieu": "name"},
        id_column="site_id",
    )
    assert list(frame.columns) == ["site_id", "name", "geometry"]
    assert frame.loc[0, "site_id"] == "007"  # text, zeros kept, spaces stripped


def test_vector_column_mapping_and_integer_ids_become_text(sites, tmp_path):
    sites = sites.assign(code=[10, 20, 30])
    frame = read_layer(
        write(sites, tmp_path, ".gpkg"),
        columns={"code": "site_id", "nom": "name"},
        id_column="code",
    )
    assert list(frame["site_id"]) == ["10", "20", "30"]
    assert list(frame["name"]) == ["Paris", "Lyon", "Saint-Denis"]
    assert "code" not in frame.columns


def test_multi_layer_gpkg_with_layer_chosen(sites, tmp_path):
    path = tmp_path / "both.gpkg"
    sites.to_file(path, layer="sites")
    sites.iloc[:1].to_crs(2154).to_file(path, layer="paris")
    frame = read_layer(path, layer="paris")
    assert_at_lonlat(frame, LONLAT[:1])


def test_zip_with_two_shapefiles_and_layer_chosen(sites, tmp_path):
    zip_shapefile(sites.iloc[:1], tmp_path, "paris")
    archive = tmp_path / "paris.zip"
    other = zip_shapefile(sites.iloc[1:2], tmp_path, "lyon")
    with zipfile.ZipFile(other) as source, zipfile.ZipFile(archive, "a") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    assert_at_lonlat(read_layer(archive, layer="lyon"), LONLAT[1:2])


def test_combine_layers_reprojects_each_frame(sites):
    combined = combine_layers({"a": sites.iloc[:1], "b": sites.iloc[1:2].to_crs(2154)})
    assert_at_lonlat(combined, LONLAT[:2])
    assert report_of(combined).rows_read == 2


def test_combine_layers_refuses_a_frame_without_crs(sites):
    bare = sites.iloc[1:2].to_crs(2154).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"layer 'lambert' has no CRS; set it with"):
        combine_layers({"ok": sites, "lambert": bare})
    with pytest.raises(CRSError, match=r"layer 'frame 2' has no CRS"):
        combine_layers([sites, bare])
