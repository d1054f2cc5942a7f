"""The bad-input suite: broken files written here, each failing with the right
error class and a message that names the place (file, row, column).

A few cases are not errors (invalid polygons repaired, empty geometries
dropped): those assert the counts in the load report.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from conftest import at, without_crs_warning, write_csv
from coverage.data.layers.generic import read_layer, read_points_csv
from coverage.data.layers.laposte import read_laposte_points
from coverage.errors import CRSError, LayerValidationError

SQUARE = Polygon([(2.0, 48.0), (2.1, 48.0), (2.1, 48.1), (2.0, 48.1)])

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


# --------------------------------------------------------------------------- other official readers


def test_density_grid_bad_class_and_code(tmp_path):
    rurality = pytest.importorskip("coverage.data.layers.rurality")
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
    rurality = pytest.importorskip("coverage.data.layers.rurality")
    path = write_csv(
        tmp_path, "CODGEO,LIBGEO,ZRR_SIMP,ZONAGE_ZRR\n01001,A,X - truc,C\n01001,B,C - Classée,C\n"
    )
    with pytest.raises(LayerValidationError, match=at(path, 1, "ZRR_SIMP") + ": unknown ZRR class") as caught:
        rurality.read_zrr(path)
    assert re.search(at(path, 2, "CODGEO") + r": duplicate id '01001'", str(caught.value))


def test_fragility_file_without_code_column(tmp_path):
    fragility = pytest.importorskip("coverage.data.layers.fragility")
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
    qpv = pytest.importorskip("coverage.data.layers.qpv")
    path = tmp_path / "qpv.gpkg"
    frame = gpd.GeoDataFrame(QPV_2024, geometry=[SQUARE])
    without_crs_warning(lambda: frame.to_file(path))
    with pytest.raises(CRSError, match=re.escape(str(path)) + ": the file has no CRS"):
        qpv.read_qpv_polygons(path)


def test_qpv_points_instead_of_polygons(tmp_path):
    qpv = pytest.importorskip("coverage.data.layers.qpv")
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
    france_services = pytest.importorskip("coverage.data.layers.france_services")
    good = "1,75,FS Paris,rue,75056,75001,Paris,48.85,2.35,Principal,Fixe"
    path = write_csv(tmp_path, f"{FS_HEADER}\n{good}\n{row}\n")
    with pytest.raises(LayerValidationError, match=at(path, 2, column) + ": .*" + message):
        france_services.read_france_services_2024(path)
