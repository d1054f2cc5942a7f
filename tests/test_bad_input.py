"""The bad-input suite: broken files written here, each failing with the right
error class and a message that names the place (file, row, column).

A few cases are not errors (invalid polygons repaired, empty geometries
dropped): those assert the counts in the load report.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from coverage.errors import CRSError, LayerValidationError, MissingDataError
from coverage.layers._common import report_of
from coverage.layers.generic import read_layer, read_points_csv
from coverage.layers.laposte import read_laposte_points


def at(path, row: int | None = None, column: str | None = None) -> str:
    """Regex of the place a problem names, as Problem.__str__ writes it."""
    where = [str(path)]
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return re.escape(", ".join(where))


# --------------------------------------------------------------------------- La Poste

LAPOSTE_HEADER = (
    "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Site_Acores_de_rattachement;"
    "Adresse;Complément_d_adresse;Lieu_dit;Code_postal;Localité;Code_INSEE;Pays;Latitude;"
    "Longitude;Précision_du_géocodage;Numéro_de_téléphone;latlong"
)
GOOD_ROW = "A;LA SOUCHE;Bureau de Poste;;BOURG;;;07380;LA SOUCHE;07315;FRANCE;44.6;4.2;Géocodé au numéro;;"


LAPOSTE_FIELDS = {
    "id": "#Identifiant_du_site",
    "kind": "Caractéristique_du_site",
    "insee": "Code_INSEE",
    "lat": "Latitude",
    "lon": "Longitude",
}


def laposte_row(**changes: str) -> str:
    """GOOD_ROW with some fields (short names of LAPOSTE_FIELDS) changed."""
    fields = dict(zip(LAPOSTE_HEADER.split(";"), GOOD_ROW.split(";"), strict=True))
    fields.update({LAPOSTE_FIELDS[key]: value for key, value in changes.items()})
    return ";".join(fields.values())


def write_laposte(tmp_path, *rows: str, header: str = LAPOSTE_HEADER):
    path = tmp_path / "laposte_poincont2.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_laposte_good_row_is_read(tmp_path):
    # The baseline every broken variant below departs from.
    assert len(read_laposte_points(write_laposte(tmp_path, GOOD_ROW))) == 1


def test_laposte_missing_column(tmp_path):
    header = LAPOSTE_HEADER.replace("Code_INSEE;", "")
    path = write_laposte(tmp_path, GOOD_ROW.replace("07315;", ""), header=header)
    with pytest.raises(LayerValidationError, match=at(path, column="Code_INSEE") + ": missing"):
        read_laposte_points(path)


def test_laposte_misspelt_column_suggests_the_right_one(tmp_path):
    path = write_laposte(tmp_path, GOOD_ROW, header=LAPOSTE_HEADER.replace("Latitude", "Lattitude"))
    with pytest.raises(
        LayerValidationError,
        match=at(path, column="Latitude") + r": missing column 'Latitude'; did you mean 'Lattitude'",
    ):
        read_laposte_points(path)


def test_laposte_wrong_separator(tmp_path):
    path = write_laposte(tmp_path, GOOD_ROW.replace(";", ","), header=LAPOSTE_HEADER.replace(";", ","))
    with pytest.raises(LayerValidationError, match=at(path) + ": the whole header is one column"):
        read_laposte_points(path)


def test_laposte_not_utf8(tmp_path):
    path = tmp_path / "laposte_poincont2.csv"
    path.write_bytes(("\n".join([LAPOSTE_HEADER, GOOD_ROW]) + "\n").encode("cp1252"))
    with pytest.raises(LayerValidationError, match=at(path) + r": not UTF-8 text \(byte \d+\)"):
        read_laposte_points(path)


def test_laposte_header_only_is_an_empty_layer(tmp_path):
    path = write_laposte(tmp_path)
    with pytest.raises(LayerValidationError, match=at(path) + ": no rows left after filtering"):
        read_laposte_points(path)


def test_laposte_unbalanced_quote(tmp_path):
    path = write_laposte(tmp_path, laposte_row(id='"A'), GOOD_ROW.replace("A;", "B;", 1))
    with pytest.raises(LayerValidationError, match=at(path) + r": cannot be parsed .*unbalanced quotes"):
        read_laposte_points(path)


@pytest.mark.parametrize(
    ("change", "row", "column", "message"),
    [
        ({"lat": "44,6N"}, 2, "Latitude", r"not a number \(received '44,6N'\)"),
        ({"lat": "4.2", "lon": "44.6"}, 2, "Latitude/Longitude", "latitude and longitude look swapped"),
        ({"lat": "45.0", "lon": "-30.0"}, 2, "Latitude/Longitude", "coordinates outside France"),  # Atlantic
        ({"lat": "14.7", "lon": "-17.4"}, 2, "Latitude/Longitude", "coordinates outside France"),  # Dakar
        ({"lat": "6862000", "lon": "652000"}, 2, "Latitude/Longitude", "coordinates outside France"),  # L93
        ({"id": "A"}, 2, "#Identifiant_du_site", r"duplicate id 'A' \(first seen at row 1\)"),
        ({"id": ""}, 2, "#Identifiant_du_site", "site id is missing"),
        ({"insee": "7315X"}, 2, "Code_INSEE", "not an INSEE commune code"),
        ({"kind": "Bureau de Tabac"}, 2, "Caractéristique_du_site", "unknown site kind"),
    ],
    ids=[
        "latitude",
        "swapped",
        "atlantic",
        "africa",
        "lambert93",
        "duplicate-id",
        "empty-id",
        "insee",
        "kind",
    ],
)
def test_laposte_bad_value_names_row_and_column(tmp_path, change, row, column, message):
    bad = laposte_row(**{"id": "B", **change})
    path = write_laposte(tmp_path, GOOD_ROW, bad)
    with pytest.raises(LayerValidationError, match=at(path, row, column) + ": " + message):
        read_laposte_points(path)


def test_laposte_every_problem_is_listed_at_once(tmp_path):
    path = write_laposte(
        tmp_path, laposte_row(lat="x"), laposte_row(id="B"), laposte_row(id="C", kind="Kiosque")
    )
    with pytest.raises(LayerValidationError, match=r"^2 problems") as caught:
        read_laposte_points(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (3, "Caractéristique_du_site"),
        (1, "Latitude"),
    ]


# --------------------------------------------------------------------------- generic CSV


def write_csv(tmp_path, text: str, name: str = "sites.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_missing_coordinate_columns_says_how_to_name_them(tmp_path):
    path = write_csv(tmp_path, "id,x,y\n1,2.35,48.85\n")
    with pytest.raises(
        LayerValidationError, match=at(path, column="longitude") + ": missing column 'longitude'"
    ) as caught:
        read_points_csv(path)
    assert "lon=... and lat=..." in str(caught.value)


def test_csv_misspelt_column_suggests_the_right_one(tmp_path):
    path = write_csv(tmp_path, "id,longitude,Latitude\n1,2.35,48.85\n")
    with pytest.raises(LayerValidationError, match=r"did you mean 'Latitude'") as caught:
        read_layer(path)
    assert re.search(at(path, column="latitude") + ": missing", str(caught.value))


def test_csv_unknown_separator_leaves_one_column(tmp_path):
    path = write_csv(tmp_path, "id|longitude|latitude\n1|2.35|48.85\n")
    with pytest.raises(
        LayerValidationError,
        match=at(path, column="longitude") + r": missing .*did you mean 'id\|longitude\|latitude'",
    ):
        read_layer(path)


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_bytes("nom;longitude;latitude\nSaint-Étienne;4,39;45,43\n".encode("latin-1"))
    with pytest.raises(LayerValidationError, match=at(path) + ": not UTF-8 text"):
        read_layer(path)


def test_csv_empty_file(tmp_path):
    path = write_csv(tmp_path, "")
    with pytest.raises(LayerValidationError, match=at(path) + ": the file is empty"):
        read_layer(path)


def test_csv_header_only_is_an_empty_layer(tmp_path):
    path = write_csv(tmp_path, "id,longitude,latitude\n")
    with pytest.raises(LayerValidationError, match=at(path) + r": no rows left after filtering \(0 read"):
        read_layer(path)


def test_csv_all_rows_without_coordinates_is_an_empty_layer(tmp_path):
    path = write_csv(tmp_path, "id,longitude,latitude\n1,,\n2,2.35,\n")
    with pytest.raises(
        LayerValidationError,
        match=at(path) + r": no rows left after filtering \(2 read; dropped: .*'no coordinates': 2",
    ):
        read_layer(path)


def test_csv_unbalanced_quote(tmp_path):
    path = write_csv(tmp_path, 'id,longitude,latitude\n"1,2.35,48.85\n2,4.83,45.76\n')
    with pytest.raises(LayerValidationError, match=at(path) + r": cannot be parsed as ',"):
        read_layer(path)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("2,2.35,48.85N", "latitude", r"not a number \(received '48.85N'\)"),
        ("2,abc,48.85", "longitude", r"not a number \(received 'abc'\)"),
        ("2,48.85,2.35", "latitude/longitude", "latitude and longitude look swapped"),
        ("2,-30.0,45.0", "latitude/longitude", "coordinates outside France"),  # Atlantic
        ("2,3.06,36.75", "latitude/longitude", "coordinates outside France"),  # Algiers
        ("2,652000,6862000", "latitude/longitude", "coordinates look like projected metres"),
    ],
    ids=["latitude", "longitude", "swapped", "atlantic", "africa", "lambert93"],
)
def test_csv_bad_coordinates_name_row_and_columns(tmp_path, line, column, message):
    path = write_csv(tmp_path, f"id,longitude,latitude\n1,2.35,48.85\n{line}\n")
    with pytest.raises(LayerValidationError, match=at(path, 2, column) + ": " + message):
        read_layer(path)


@pytest.mark.parametrize(
    ("second_id", "message"),
    [("a", r"duplicate id 'a' \(first seen at row 1\)"), ("  ", "id is missing")],
    ids=["duplicate", "empty"],
)
def test_csv_bad_ids(tmp_path, second_id, message):
    path = write_csv(tmp_path, f"ref,longitude,latitude\na,2.35,48.85\n{second_id},4.83,45.76\n")
    with pytest.raises(LayerValidationError, match=at(path, 2, "ref") + ": " + message):
        read_layer(path, id_column="ref")


def test_csv_id_column_absent(tmp_path):
    path = write_csv(tmp_path, "ref,longitude,latitude\na,2.35,48.85\n")
    with pytest.raises(
        LayerValidationError, match=at(path, column="refs") + ": missing column 'refs'; did you mean 'ref'"
    ):
        read_layer(path, id_column="refs")


def test_csv_mapping_names_a_missing_column(tmp_path):
    path = write_csv(tmp_path, "nom,longitude,latitude\nParis,2.35,48.85\n")
    with pytest.raises(
        LayerValidationError, match=at(path, column="Nom") + ": missing column 'Nom'; did you mean 'nom'"
    ):
        read_layer(path, columns={"Nom": "name"})


def test_csv_mapping_would_overwrite_a_column(tmp_path):
    path = write_csv(tmp_path, "nom,name,longitude,latitude\nParis,P,2.35,48.85\n")
    with pytest.raises(LayerValidationError, match=at(path, column="nom") + ": renaming 'nom' to 'name'"):
        read_layer(path, columns={"nom": "name"})


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


def without_crs_warning(write) -> None:
    """Write a layer with no CRS; pyogrio warns about that on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        write()


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


# --------------------------------------------------------------------------- other official readers


def test_density_grid_bad_class_and_code(tmp_path):
    rurality = pytest.importorskip("coverage.layers.rurality")
    path = write_csv(
        tmp_path,
        "CODGEO,LIBGEO,DENS,LIBDENS,PMUN21,P1,P2,P3,P4,P5,P6,P7\n"
        "01001,A,6,,832,0,0,0,0,0,0,0\n01002,B,9,,832,0,0,0,0,0,0,0\n1003X,C,6,,83,0,0,0,0,0,0,0\n",
    )
    with pytest.raises(
        LayerValidationError, match=at(path, 2, "DENS") + ": density class must be an integer from 1 to 7"
    ) as caught:
        rurality.read_density_grid(path)
    assert re.search(at(path, 3, "CODGEO") + ": not an INSEE commune code", str(caught.value))


def test_zrr_unknown_class_and_duplicate_commune(tmp_path):
    rurality = pytest.importorskip("coverage.layers.rurality")
    path = write_csv(
        tmp_path, "CODGEO,LIBGEO,ZRR_SIMP,ZONAGE_ZRR\n01001,A,X - truc,C\n01001,B,C - Classée,C\n"
    )
    with pytest.raises(LayerValidationError, match=at(path, 1, "ZRR_SIMP") + ": unknown ZRR class") as caught:
        rurality.read_zrr(path)
    assert re.search(at(path, 2, "CODGEO") + r": duplicate id '01001'", str(caught.value))


def test_fragility_file_without_code_column(tmp_path):
    fragility = pytest.importorskip("coverage.layers.fragility")
    path = write_csv(tmp_path, "code,nom\n01001,A\n")
    with pytest.raises(LayerValidationError, match=at(path) + ": neither a 'code_iris' column"):
        fragility.read_fragility_index(path)


QPV_2024 = {
    "code_qp": ["QP075001"],
    "lib_qp": ["Quartier"],
    "insee_com": ["75056"],
    "lib_com": ["Paris"],
    "insee_dep": ["75"],
    "lib_dep": ["Paris"],
}


def test_qpv_polygons_without_crs(tmp_path):
    qpv = pytest.importorskip("coverage.layers.qpv")
    path = tmp_path / "qpv.gpkg"
    frame = gpd.GeoDataFrame(QPV_2024, geometry=[SQUARE])
    without_crs_warning(lambda: frame.to_file(path))
    with pytest.raises(CRSError, match=re.escape(str(path)) + ": the file has no CRS"):
        qpv.read_qpv_polygons(path)


def test_qpv_points_instead_of_polygons(tmp_path):
    qpv = pytest.importorskip("coverage.layers.qpv")
    path = tmp_path / "qpv.gpkg"
    gpd.GeoDataFrame(QPV_2024, geometry=[Point(2.35, 48.85)], crs=4326).to_file(path)
    with pytest.raises(LayerValidationError, match=at(path, 1, "geometry") + ": not a polygon"):
        qpv.read_qpv_polygons(path)


FS_HEADER = (
    "id_fs,insee_dep,lib_fs,adresse,insee_com,code_postal,lib_com,latitude,longitude,type_fs,format_fs"
)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2,75,FS B,rue,75056,75001,Paris,48.85,2.35,Satellite,Fixe", "type_fs", "unknown value"),
        ("2,75,FS B,rue,75056,75001,Paris,2.35,48.85,Principal,Fixe", "latitude/longitude", "look swapped"),
        ("1,75,FS B,rue,75056,75001,Paris,48.85,2.35,Principal,Fixe", "id_fs", "duplicate id '1'"),
    ],
    ids=["type", "swapped", "duplicate-id"],
)
def test_france_services_2024_bad_rows(tmp_path, row, column, message):
    france_services = pytest.importorskip("coverage.layers.france_services")
    good = "1,75,FS Paris,rue,75056,75001,Paris,48.85,2.35,Principal,Fixe"
    path = write_csv(tmp_path, f"{FS_HEADER}\n{good}\n{row}\n")
    with pytest.raises(LayerValidationError, match=at(path, 2, column) + ": .*" + message):
        france_services.read_france_services_2024(path)
