from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from coverage.data.layers._common import report_of
from coverage.data.layers.qpv import (
    normalise_commune_name,
    qpv_department,
    read_qpv_demography,
    read_qpv_polygons,
)
from coverage.errors import CRSError, LayerValidationError

DEMO_HEADER = "CODGEO;LIBGEO;POP_MUN;POP_COM_QP;POP_COM;LIB_COM;TX_F"
# the same square in WGS84, a bow tie (self-intersecting) and a second square
SQUARE = [[2.30, 48.85], [2.31, 48.85], [2.31, 48.86], [2.30, 48.86], [2.30, 48.85]]
BOWTIE = [[2.40, 48.80], [2.41, 48.81], [2.41, 48.80], [2.40, 48.81], [2.40, 48.80]]


def geojson(tmp_path, features: list[tuple[dict, list]], name: str = "qpv.geojson"):
    path = tmp_path / name
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for props, ring in features
        ],
    }
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def qpv2024(code: str, insee: str = "75118", dep: str = "75") -> dict:
    return {
        "code_qp": code,
        "lib_qp": f"Quartier {code}",
        "insee_com": insee,
        "lib_com": "Paris",
        "insee_dep": dep,
        "lib_dep": "Paris",
    }


def demography(tmp_path, *rows: str):
    path = tmp_path / "DEMO_2022.csv"
    path.write_text("\n".join([DEMO_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


COMMUNES = pd.DataFrame(
    {
        "insee_com": ["75056", "06029", "06030", "97101", "59452", "69096", "2A004"],
        "name": ["Paris", "Cannes", "Cannet", "Abymes", "Ostricourt", "Grigny-sur-Rhône", "Ajaccio"],
        "dep": ["75", "06", "06", "971", "59", "69", "2A"],
        "population": [2_100_000, 73_000, 41_000, 53_000, 5_000, 9_000, 71_000],
    }
)


# --------------------------------------------------------------------------- polygons


def test_real_occitanie_polygons(sources):
    qpv = read_qpv_polygons(sources / "qpv/qpv2015_occitanie_hackaviz2021.geojson")
    report = report_of(qpv)
    assert len(qpv) == 105 and qpv["qpv_id"].is_unique
    assert qpv.crs.to_epsg() == 4326
    assert report.repaired_geometries == 32  # coordinates rounded to 4 decimals
    assert qpv.is_valid.all()
    assert set(qpv.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(qpv["list_vintage"]) == {"2015"}
    assert qpv["insee_com"].str.len().eq(5).all()
    assert "09" in set(qpv["dep"]) and len(set(qpv["dep"])) == 12
    assert any("2015 hackaviz" in note for note in report.notes)


def test_2024_layout_and_repaired_bowtie(tmp_path):
    path = geojson(tmp_path, [(qpv2024("QN07501M"), SQUARE), (qpv2024("QN07502M"), BOWTIE)])
    qpv = read_qpv_polygons(path)
    assert list(qpv.columns) == [
        "qpv_id",
        "name",
        "insee_com",
        "commune_name",
        "dep",
        "list_vintage",
        "geometry",
    ]
    assert list(qpv["list_vintage"]) == ["2024", "2024"]
    assert qpv.iloc[0][["insee_com", "dep"]].tolist() == ["75118", "75"]
    assert report_of(qpv).repaired_geometries == 1
    assert qpv.geometry.iloc[1].geom_type == "MultiPolygon" and qpv.is_valid.all()
    assert qpv.geometry.iloc[1].area == pytest.approx(2 * 0.01 * 0.005 / 2)


def test_lambert93_geopackage_is_reprojected(tmp_path):
    frame = gpd.GeoDataFrame(
        {"CODE_QP": ["QP02A001"], "NOM_QP": ["Les Salines"], "COMMUNE_QP": ["Ajaccio"]},
        geometry=[box(1_175_000, 6_100_000, 1_176_000, 6_101_000)],
        crs=2154,
    )
    frame.to_file(tmp_path / "qpv.gpkg", engine="pyogrio")
    qpv = read_qpv_polygons(tmp_path / "qpv.gpkg")
    assert qpv.crs.to_epsg() == 4326
    assert qpv.iloc[0][["qpv_id", "insee_com", "dep", "list_vintage"]].tolist() == [
        "QP02A001",
        "",
        "2A",
        "2015",
    ]
    x, y = qpv.geometry.iloc[0].centroid.coords[0]
    assert 8.5 < x < 9.0 and 41.8 < y < 42.1  # Ajaccio
    assert any("reprojected" in note for note in report_of(qpv).notes)


def test_shapefile_without_crs_raises_crs_error(tmp_path):
    frame = gpd.GeoDataFrame(
        {"CODE_QP": ["QP075001"], "NOM_QP": ["A"], "COMMUNE_QP": ["Paris"]},
        geometry=[Polygon(SQUARE)],
        crs=4326,
    )
    frame.to_file(tmp_path / "qpv.shp", engine="pyogrio")
    (tmp_path / "qpv.prj").unlink()
    with pytest.raises(CRSError, match=r"has no CRS.*set_crs"):
        read_qpv_polygons(tmp_path / "qpv.shp")


def test_duplicate_qpv_code_is_an_error(tmp_path):
    path = geojson(tmp_path, [(qpv2024("QN07501M"), SQUARE), (qpv2024("QN07501M"), SQUARE)])
    with pytest.raises(LayerValidationError, match=r"row 2, column 'code_qp': duplicate id"):
        read_qpv_polygons(path)


def test_unknown_layout_lists_missing_columns_of_the_closest(tmp_path):
    props = qpv2024("QN07501M")
    props["libelle_qp"] = props.pop("lib_qp")
    path = geojson(tmp_path, [(props, SQUARE)])
    with pytest.raises(LayerValidationError, match=r"closest layout: official 2024.*missing column 'lib_qp'"):
        read_qpv_polygons(path)


def test_empty_feature_collection_is_an_error(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(LayerValidationError, match="the file has no features"):
        read_qpv_polygons(path)


# --------------------------------------------------------------------------- demography


def test_real_demography(sources):
    qpv = read_qpv_demography(sources / "qpv/qpv2015_demographie_insee_DEMO_2022.csv")
    report = report_of(qpv)
    # SOURCES.md says 1,399 rows; the file holds 1,400 distinct QPV codes
    assert len(qpv) == 1_400 and qpv["qpv_id"].is_unique
    assert qpv["dep"].str.startswith("97").sum() == 104
    assert qpv["population"].sum() == 5_189_952
    assert qpv["matched"].mean() > 0.99
    unmatched = {w.message.split("'")[1] for w in report.warnings}
    assert unmatched == {"Pierrefitte-sur-Seine"}  # merged into Saint-Denis in 2025
    assert {w.column for w in report.warnings} == {"LIB_COM"}
    paris = qpv[qpv["commune_names"].str.startswith("Paris ")]
    assert len(paris) > 0 and set(paris["insee_com"]) == {"75056"}
    assert (qpv["insee_com"] == "").sum() == 1


def test_small_demography_by_hand(tmp_path):
    path = demography(
        tmp_path,
        "QP075001;La Chapelle;6\u202f490;8 416;41 248;"
        "Paris 18e Arrondissement, Paris 19e Arrondissement;55,3",
        "QP006003;Ranguin;4 743;;;Cannes, Le Cannet;",
        "QP971001;Raizet;;;;Les Abymes;",
        "QP062001;Cité 10;1 000;;;Ostricourt, Évin-Malmaison;",
        "QP069001;Vallon;2 000;;;Grigny;",
        "QP02A001;Salines;1 500;;;;",
    )
    qpv = read_qpv_demography(path, communes=COMMUNES)
    assert list(qpv.columns) == [
        "qpv_id",
        "name",
        "dep",
        "population",
        "commune_names",
        "insee_com",
        "insee_coms",
        "matched",
    ]
    assert list(qpv["dep"]) == ["75", "06", "971", "62", "69", "2A"]
    assert qpv["population"].iloc[:2].tolist() == [6490.0, 4743.0]
    assert pd.isna(qpv["population"].iloc[2])
    assert list(qpv["insee_com"]) == ["75056", "06029", "97101", "59452", "69096", ""]
    assert qpv["insee_coms"].iloc[1] == "06029,06030"
    assert list(qpv["matched"]) == [True, True, True, False, True, False]
    report = report_of(qpv)
    assert [(w.row, w.column) for w in report.warnings] == [(4, "LIB_COM"), (6, "LIB_COM")]
    assert "Évin-Malmaison" in report.warnings[0].message
    assert any("'Grigny' (department 69) -> 69096" in note for note in report.notes)


def test_unparsable_french_number_names_row_and_column(tmp_path):
    path = demography(tmp_path, "QP075001;A;6 490;;;Paris;", "QP075002;B;6.490,5x;;;Paris;")
    with pytest.raises(LayerValidationError, match=r"row 2, column 'POP_MUN': not a number \(French format"):
        read_qpv_demography(path, communes=COMMUNES)


def test_bad_and_duplicate_qpv_codes(tmp_path):
    path = demography(tmp_path, "QP075001;A;1;;;Paris;", "QP075001;B;2;;;Paris;", "75001;C;3;;;Paris;")
    with pytest.raises(LayerValidationError, match=r"2 problems") as caught:
        read_qpv_demography(path, communes=COMMUNES)
    assert "row 2, column 'CODGEO': duplicate id 'QP075001'" in str(caught.value)
    assert "row 3, column 'CODGEO': not a QPV code" in str(caught.value)


def test_missing_lib_com_column(tmp_path):
    path = tmp_path / "DEMO.csv"
    path.write_text("CODGEO;LIBGEO;POP_MUN;LIBCOM\nQP075001;A;1;Paris\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"missing column 'LIB_COM'; did you mean"):
        read_qpv_demography(path, communes=COMMUNES)


@pytest.mark.parametrize(
    ("code", "dep"), [("QP001001", "01"), ("QP02A001", "2A"), ("QP971001", "971"), ("X", "")]
)
def test_qpv_department(code, dep):
    assert qpv_department(code) == dep


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("L'Abergement-Clémenciat", "Abergement-Clémenciat"),
        ("St-Étienne-du-Rouvray", "Saint-Étienne-du-Rouvray"),
        ("Mons-en-Barœul", "MONS EN BAROEUL"),
        ("Marseille 15e Arrondissement", "Marseille"),
        ("Le Pré-Saint-Gervais", "Pré Saint Gervais"),
    ],
)
def test_normalise_commune_name(left, right):
    assert normalise_commune_name(left) == normalise_commune_name(right)


def test_geojson_in_metres_without_crs_member_is_a_crs_error(tmp_path):
    """GDAL labels a GeoJSON without 'crs' as EPSG:4326: metre coordinates must not pass."""
    from coverage.data.layers.qpv import read_qpv_polygons
    from coverage.errors import CRSError

    square = [[652000, 6862000], [653000, 6862000], [653000, 6863000], [652000, 6862000]]
    path = tmp_path / "qpv_l93.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"code_qp": "QP075001", "lib_qp": "Q", "insee_com": "75056", "lib_com": "Paris", '
        '"insee_dep": "75", "lib_dep": "Paris"}, "geometry": {"type": "Polygon", '
        f'"coordinates": [{square}]}}}}]}}',
        encoding="utf-8",
    )
    with pytest.raises(CRSError, match=r"qpv_l93.geojson: the CRS does not match the coordinates"):
        read_qpv_polygons(path)


def test_negative_population_is_refused_where_read(tmp_path):
    """Issue 13: '-1 200' was read as -1200 people."""
    path = demography(tmp_path, "QP075001;A;6 490;;;Paris;", "QP075002;B;-1 200;;;Paris;")
    with pytest.raises(
        LayerValidationError,
        match=r"row 2, column 'POP_MUN': a number of people must be >= 0 \(received '-1 200'\)",
    ):
        read_qpv_demography(path, communes=COMMUNES)
