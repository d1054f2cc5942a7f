"""The bad-input suite, continued: paths, file formats, CRS and geometries."""

from __future__ import annotations

import json
import re
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from conftest import at, without_crs_warning, write_csv
from coverage.data.layers._common import report_of
from coverage.data.layers.generic import read_layer
from coverage.data.layers.laposte import read_laposte_points
from coverage.errors import CRSError, LayerValidationError, MissingDataError

# --------------------------------------------------------------------------- paths and formats


def test_file_not_found(tmp_path):
    path = tmp_path / "nowhere.gpkg"
    with pytest.raises(MissingDataError, match=re.escape(str(path)) + ": file not found"):
        read_layer(path)


@pytest.mark.parametrize("reader", [read_layer, read_laposte_points])
def test_folder_instead_of_a_file(tmp_path, reader):
    folder = tmp_path / "sites.csv"
    folder.mkdir()
    with pytest.raises(MissingDataError, match=re.escape(str(folder)) + ": is a folder"):
        reader(folder)


def test_unsupported_extension_lists_supported_ones(tmp_path):
    path = tmp_path / "sites.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(
        LayerValidationError, match=at(path) + r": unsupported file type '\.xlsx'; supported: \.csv.*\.gpkg"
    ):
        read_layer(path)


def test_layer_option_on_a_csv(tmp_path):
    path = write_csv(tmp_path, "longitude,latitude\n2.35,48.85\n")
    with pytest.raises(LayerValidationError, match=at(path) + ": layer= only applies"):
        read_layer(path, layer="sites")


def test_invalid_json(tmp_path):
    path = write_csv(tmp_path, '{"type": "FeatureCollection", "features": [', "sites.geojson")
    with pytest.raises(LayerValidationError, match=at(path) + ": cannot be read as a geographic layer"):
        read_layer(path)


def test_json_that_is_not_geojson(tmp_path):
    path = write_csv(tmp_path, json.dumps([{"nom": "Paris", "lat": 48.85, "lon": 2.35}]), "sites.json")
    with pytest.raises(LayerValidationError, match=at(path) + ": cannot be read as a geographic layer"):
        read_layer(path)


def test_empty_geojson_file(tmp_path):
    path = write_csv(tmp_path, "", "sites.geojson")
    with pytest.raises(LayerValidationError, match=at(path) + ": the file is empty"):
        read_layer(path)


def feature(geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(tmp_path, *features: dict, crs: str | None = None):
    collection: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def test_geojson_without_crs_and_projected_coordinates(tmp_path):
    path = write_geojson(tmp_path, feature({"type": "Point", "coordinates": [652000, 6862000]}))
    with pytest.raises(
        CRSError, match=re.escape(str(path)) + ": the CRS does not match the coordinates.*metres"
    ):
        read_layer(path)


def test_projected_crs_with_coordinates_in_degrees(tmp_path):
    path = write_geojson(
        tmp_path,
        feature({"type": "Point", "coordinates": [2.35, 48.85]}),
        crs="urn:ogc:def:crs:EPSG::2154",
    )
    with pytest.raises(
        CRSError, match=re.escape(str(path)) + ": the CRS does not match the coordinates.*degrees"
    ):
        read_layer(path)


def test_geojson_duplicate_ids_name_the_feature(tmp_path):
    point = {"type": "Point", "coordinates": [2.35, 48.85]}
    path = write_geojson(tmp_path, feature(point, code=1), feature(point, code=2), feature(point, code=1))
    with pytest.raises(
        LayerValidationError, match=at(path, 3, "code") + r": duplicate id '1' \(first seen at row 1\)"
    ):
        read_layer(path, id_column="code")


def test_geojson_mapping_names_a_missing_property(tmp_path):
    path = write_geojson(tmp_path, feature({"type": "Point", "coordinates": [2.35, 48.85]}, nom="P"))
    with pytest.raises(LayerValidationError, match=at(path, column="name") + ": missing column 'name'"):
        read_layer(path, columns={"name": "site_name"})


LAMBERT_PARIS = Point(652_000, 6_862_000)


def test_gpkg_without_crs(tmp_path):
    path = tmp_path / "sites.gpkg"
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[LAMBERT_PARIS])
    without_crs_warning(lambda: frame.to_file(path))
    with pytest.raises(
        CRSError, match=re.escape(str(path)) + r" has no CRS; set it with GeoDataFrame\.set_crs"
    ):
        read_layer(path)


def test_geoparquet_without_crs(tmp_path):
    path = tmp_path / "sites.parquet"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[LAMBERT_PARIS]).to_parquet(path)
    with pytest.raises(CRSError, match=re.escape(str(path)) + " has no CRS; set it with"):
        read_layer(path)


def test_parquet_without_geometry(tmp_path):
    path = tmp_path / "sites.parquet"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[LAMBERT_PARIS], crs=2154).drop(columns="geometry").to_parquet(
        path
    )
    with pytest.raises(LayerValidationError, match=at(path) + ": cannot be read .*geo metadata"):
        read_layer(path)


def test_parquet_that_is_not_parquet(tmp_path):
    path = write_csv(tmp_path, "id,longitude,latitude\n", "sites.parquet")
    with pytest.raises(LayerValidationError, match=at(path) + ": cannot be read as a geographic layer"):
        read_layer(path)


def write_shapefile(tmp_path, *, crs=2154) -> list:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[LAMBERT_PARIS], crs=crs)
    frame.to_file(folder / "sites.shp")
    return sorted(folder.iterdir())


def zip_parts(tmp_path, parts, name="sites.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for part in parts:
            archive.write(part, part.name)
    return path


def test_zipped_shapefile_without_prj(tmp_path):
    parts = [p for p in write_shapefile(tmp_path) if p.suffix != ".prj"]
    path = zip_parts(tmp_path, parts)
    with pytest.raises(
        CRSError, match=re.escape(str(path)) + r" has no CRS; add the \.prj file of 'sites\.shp'"
    ):
        read_layer(path)


def test_shapefile_without_prj(tmp_path):
    parts = write_shapefile(tmp_path)
    next(p for p in parts if p.suffix == ".prj").unlink()
    path = tmp_path / "shp" / "sites.shp"
    with pytest.raises(CRSError, match=re.escape(str(path)) + r" has no CRS; add the \.prj file"):
        read_layer(path)


def test_shapefile_without_shx(tmp_path):
    parts = write_shapefile(tmp_path)
    next(p for p in parts if p.suffix == ".shx").unlink()
    path = tmp_path / "shp" / "sites.shp"
    with pytest.raises(LayerValidationError, match=at(path) + r": cannot be read .*\.shx"):
        read_layer(path)


def test_zip_without_shapefile(tmp_path):
    csv = write_csv(tmp_path, "longitude,latitude\n2.35,48.85\n")
    path = zip_parts(tmp_path, [csv])
    with pytest.raises(
        LayerValidationError, match=at(path) + r": holds no shapefile \(\.shp\); it holds: sites\.csv"
    ):
        read_layer(path)


def test_zip_that_is_not_a_zip(tmp_path):
    path = write_csv(tmp_path, "longitude,latitude\n2.35,48.85\n", "sites.zip")
    with pytest.raises(LayerValidationError, match=at(path) + ": is not a zip archive"):
        read_layer(path)


def test_zip_with_two_shapefiles_and_no_layer(tmp_path):
    parts = write_shapefile(tmp_path)
    renamed = []
    for part in parts:
        copy = part.with_name("other" + part.suffix)
        copy.write_bytes(part.read_bytes())
        renamed.append(copy)
    path = zip_parts(tmp_path, parts + renamed)
    with pytest.raises(
        LayerValidationError, match=at(path) + r": holds 2 shapefiles \(.*\); choose one with layer="
    ):
        read_layer(path)


def test_multi_layer_gpkg_without_layer(tmp_path):
    path = tmp_path / "sites.gpkg"
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[LAMBERT_PARIS], crs=2154)
    frame.to_file(path, layer="postes")
    frame.to_file(path, layer="mairies")
    with pytest.raises(
        LayerValidationError, match=at(path) + r": holds 2 layers \(postes, mairies\); choose one with layer="
    ):
        read_layer(path)
    with pytest.raises(
        LayerValidationError, match=at(path) + ": has no layer 'gares'; layers: postes, mairies"
    ):
        read_layer(path, layer="gares")


def test_gpkg_that_is_not_a_gpkg(tmp_path):
    path = write_csv(tmp_path, "longitude,latitude\n2.35,48.85\n", "sites.gpkg")
    with pytest.raises(LayerValidationError, match=at(path) + ": cannot be read as a GeoPackage"):
        read_layer(path)


# --------------------------------------------------------------------------- geometries (counted, not errors)

BOWTIE = Polygon([(2.0, 48.0), (2.1, 48.1), (2.1, 48.0), (2.0, 48.1)])
SQUARE = Polygon([(2.0, 48.0), (2.1, 48.0), (2.1, 48.1), (2.0, 48.1)])


def test_invalid_polygon_is_repaired_and_counted(tmp_path):
    assert not BOWTIE.is_valid
    path = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"id": ["bow", "square"]}, geometry=[BOWTIE, SQUARE], crs=4326).to_file(path)
    zones = read_layer(path)
    report = report_of(zones)
    assert report.repaired_geometries == 1
    assert zones.geometry.is_valid.all()
    assert zones.geometry.iloc[0].area == pytest.approx(0.005)  # both triangles kept
    assert "1 invalid geometries repaired" in report.summary()


def test_empty_and_missing_geometries_are_dropped_and_counted(tmp_path):
    square = json.loads(gpd.GeoSeries([SQUARE]).to_json())["features"][0]["geometry"]
    path = write_geojson(
        tmp_path,
        feature(square, id="kept"),
        feature(None, id="null"),
        feature({"type": "Polygon", "coordinates": []}, id="empty"),
    )
    zones = read_layer(path, id_column="id")
    assert list(zones["id"]) == ["kept"]
    assert report_of(zones).dropped == {"missing or empty geometry": 2}


def test_only_empty_geometries_is_an_empty_layer(tmp_path):
    path = write_geojson(tmp_path, feature(None, id="a"), feature(None, id="b"))
    with pytest.raises(
        LayerValidationError,
        match=at(path) + r": no rows left .*'missing or empty geometry': 2",
    ):
        read_layer(path)
