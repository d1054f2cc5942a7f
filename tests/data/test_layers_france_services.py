from __future__ import annotations

import json

import numpy as np
import pytest

from coverage.data.layers._common import report_of
from coverage.data.layers.cnfs import read_cnfs_structures_2021, read_mediation_places
from coverage.data.layers.france_services import read_france_services_2020, read_france_services_2024
from coverage.errors import LayerValidationError

FS_COLUMNS = [
    "site_id",
    "name",
    "dep",
    "insee_com",
    "postcode",
    "city",
    "address",
    "type",
    "format",
    "hosted_by_laposte",
    "geometry",
]

FS_2024_HEADER = (
    "id_fs,insee_dep,lib_fs,adresse,complement_adresse,insee_com,code_postal,lib_com,latitude,"
    "longitude,mail,telephone,type_fs,format_fs"
)


def write_2024(tmp_path, *rows: str, header: str = FS_2024_HEADER):
    path = tmp_path / "fs.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def fs_2024_row(site_id="1", lat="46.45916", lon="5.083785", name="France services La Poste"):
    return (
        f'"{site_id}","01","{name}","22 Esplanade",,"01388","1560","Saint-Trivier",'
        f"{lat},{lon},,,Principal,Fixe"
    )


def feature(matricule=1, lat=46.105747, lon=5.825644, geometry=None, **properties):
    props = {
        "MATRICULE": matricule,
        "DEPARTEMENT": "1",
        "lib_france_services": "Valserhône",
        "ADRESSE": "5-9 Rue des Papetiers",
        "insee_com": "1033",
        "code_postal": "1200",
        "lib_com": "VALSERHÔNE",
        "LATITUDE": lat,
        "LONGITUDE": lon,
        "CONTACT.MAIL": "franceservices@ccpb01.fr",
        "FORMAT_FS": "Espace labellisé",
        "categorie": "FS",
    } | properties
    point = geometry if geometry is not None else [lon, lat]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": point}}


def write_json(tmp_path, data, name="data.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def structure(id_=1, **fields):
    record = {
        "id": id_,
        "raison_sociale": "COMMUNE DE CREST",
        "type": "publique",
        "nb_cnfs": 2,
        "insee_com": "26108",
        "insee_dep": "26",
        "code_postal_bis": "26400",
        "zrr": "non",
        "qpv": "oui",
        "france_services": "non renseigné",
        "latitude": 44.7284,
        "longitude": 5.0225,
        "result_score": 0.91,
        "adresse_absente": "non",
    }
    return record | fields


def place(id_="a1", nom="LA POSTE", **fields):
    record = {
        "id": id_,
        "nom": nom,
        "commune": "SAILLAGOUSE",
        "code_postal": "66800",
        "adresse": "PL OLIVA",
        "latitude": 42.4609,
        "longitude": 2.0408,
        "source": "conseiller-numerique",
        "date_maj": "2022-04-21",
        "labels_nationaux": "CNFS, France Services",
    }
    return record | fields


# --------------------------------------------------------------------------- real files


def test_france_services_2024_real_file(sources):
    sites = read_france_services_2024(sources / "france_services/liste-fs-20240801.csv")
    report = report_of(sites)
    assert (report.rows_read, len(sites), report.dropped) == (2_845, 2_845, {})
    assert list(sites.columns) == FS_COLUMNS
    assert sites.crs.to_epsg() == 4326
    assert sites["type"].value_counts().to_dict() == {"Principal": 2_721, "Antenne": 124}
    assert sites["format"].value_counts().to_dict() == {
        "Fixe": 2_400,
        "Multisites": 174,
        "Bus_équivalent": 134,
        "Fixe_antenne(s)": 108,
        "Itinérante": 29,
    }
    assert sites["hosted_by_laposte"].sum() == 409  # SOURCES.md: 409 lib_fs contain "La Poste"
    assert sites["site_id"].is_unique and sites["insee_com"].str.len().eq(5).all()
    assert set(sites["dep"].str.len()) == {2, 3} and "01" in set(sites["dep"])
    trivier = sites[sites["insee_com"] == "01388"].iloc[0]
    assert np.isclose(trivier.geometry.x, 5.083785)


def test_france_services_2020_real_file(sources):
    sites = read_france_services_2020(sources / "france_services/france_services_2020-12.geojson")
    report = report_of(sites)
    assert (report.rows_read, len(sites), report.dropped) == (908, 908, {})
    assert list(sites.columns) == FS_COLUMNS
    # categorie: FS 813 + FS itinerante 43 -> Principal; Antenne 42 + Antenne itinerante 10
    assert sites["type"].value_counts().to_dict() == {"Principal": 856, "Antenne": 52}
    assert sites["format"].value_counts().to_dict() == {"Espace labellisé": 856, "Antenne": 52}
    # SOURCES.md counts 131 "@laposte" contacts: 128 "@laposte.fr", 1 "@LAPOSTE.FR" and 3
    # "@laposte.net" (a public webmail, not La Poste-run); no La Poste name adds to those.
    assert sites["hosted_by_laposte"].sum() == 129
    assert sites["dep"].str.len().ge(2).all() and (sites["dep"] == "01").sum() > 0
    assert [w.row for w in report.warnings] == [731, 732]  # '2B14' and '2B10' emptied
    assert sites["insee_com"].str.len().isin([0, 5]).all()
    assert sites["postcode"].str.fullmatch(r"\d{5}").all()  # '3120' padded, '69860\xa0' stripped
    trivier = sites[sites["insee_com"] == "01388"].iloc[0]
    assert np.isclose(trivier.geometry.x, 5.83785)  # the known typo (5.083785 in 2024) is kept


def test_cnfs_structures_real_file(sources):
    path = sources / "france_services/cnfs_structures_2021.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert len(raw) == 1_450 and sum(r["nb_cnfs"] for r in raw) == 2_138
    assert sum(r.get("qpv") == "oui" for r in raw) == 658
    structures = read_cnfs_structures_2021(path)
    report = report_of(structures)
    assert report.rows_read == 1_450
    assert report.dropped == {
        "no address (adresse_absente == 'oui', anonymised rows included)": 7,
        "no coordinates": 12,
        "geocoder score result_score below 0.5": 52,
    }
    assert len(structures) == 1_379 and structures["advisors"].sum() == 2_033
    assert structures["geocode_score"].min() >= 0.5
    assert not structures["name"].eq("").any()  # the 7 anonymised rows had no address
    assert structures["structure_id"].is_unique and structures["dep"].str.len().isin([2, 3]).all()

    everything = read_cnfs_structures_2021(path, min_geocode_score=0.0)
    assert len(everything) == 1_450 - 7 - 12
    assert everything["advisors"].sum() == 2_138 - 9 - 17  # anonymised 9, no coordinates 17
    assert everything["qpv"].sum() == 658 - 5  # 5 qpv rows have no coordinates
    assert everything["type"].value_counts().to_dict() == {"publique": 1_016, "privée": 415}


def test_mediation_places_real_files(sources):
    places = read_mediation_places(sources / "france_services/lieux_mediation_numerique_cnfs_2022-07.json")
    assert len(places) == 2_733 and report_of(places).dropped == {}
    assert places["partner"].value_counts().to_dict() == {
        "": 2_579,
        "laposte": 87,
        "croix_rouge": 40,
        "groupe_sos": 27,
    }
    assert (places["updated"].min(), places["updated"].max()) == ("2022-04-15", "2022-07-06")
    assert len(report_of(places).warnings) == 3  # '380000', '020000', '30252Cedex'

    derived = read_mediation_places(
        sources / "laposte_programme/cnfs_permanences_laposte_croixrouge_groupesos_2022-07_DERIVED.csv"
    )
    assert derived["partner"].value_counts().to_dict() == {"laposte": 87, "croix_rouge": 40, "groupe_sos": 27}
    same = places.set_index("place_id").loc[derived["place_id"], "partner"]
    assert list(same) == list(derived["partner"])
    laposte = derived[derived["partner"] == "laposte"]
    assert laposte["postcode"].str[:2].nunique() == 45  # 45 départements by postcode prefix


# --------------------------------------------------------------------------- small files


def test_france_services_2024_small_file(tmp_path):
    sites = read_france_services_2024(
        write_2024(tmp_path, fs_2024_row(), fs_2024_row("2", lat="", lon="", name="Maison"))
    )
    assert list(sites.columns) == FS_COLUMNS and sites.crs.to_epsg() == 4326
    row = sites.iloc[0]
    assert (row["site_id"], row["dep"], row["insee_com"], row["postcode"], row["type"]) == (
        "1",
        "01",
        "01388",
        "01560",
        "Principal",
    )
    assert bool(row["hosted_by_laposte"])
    assert np.isclose(row.geometry.x, 5.083785) and np.isclose(row.geometry.y, 46.45916)
    assert report_of(sites).dropped == {"no coordinates": 1}


def test_france_services_2020_small_file(tmp_path):
    path = write_json(
        tmp_path,
        {
            "type": "FeatureCollection",
            "features": [
                feature(),
                feature(2, categorie="Antenne itinerante", lib_france_services="La Poste Ouessant"),
                feature(3, **{"CONTACT.MAIL": "MSAP.MAREUIL@LAPOSTE.FR"}),
                feature(4, **{"CONTACT.MAIL": "msap.gilley@laposte.net"}),
            ],
        },
        "fs.geojson",
    )
    sites = read_france_services_2020(path)
    assert list(sites["site_id"]) == ["1", "2", "3", "4"]
    assert list(sites["type"]) == ["Principal", "Antenne", "Principal", "Principal"]
    assert list(sites["hosted_by_laposte"]) == [False, True, True, False]
    assert (sites["dep"].iloc[0], sites["insee_com"].iloc[0], sites["postcode"].iloc[0]) == (
        "01",
        "01033",
        "01200",
    )


def test_cnfs_structures_small_file(tmp_path):
    path = write_json(
        tmp_path,
        [
            structure(),
            structure(2, raison_sociale="0", adresse_absente="oui", result_score=0.48),
            structure(3, raison_sociale="0", qpv="non", zrr="oui", france_services="oui"),
            structure(4, result_score=0.3),
        ],
    )
    structures = read_cnfs_structures_2021(path)
    assert list(structures["structure_id"]) == ["1", "3"]
    assert list(structures["name"]) == ["COMMUNE DE CREST", ""]  # anonymised, but with an address
    assert list(structures["qpv"]) == [True, False] and list(structures["zrr"]) == [False, True]
    assert list(structures["france_services"]) == [False, True]
    assert structures["advisors"].dtype == np.int64 and structures["advisors"].sum() == 4
    assert report_of(structures).dropped == {
        "no address (adresse_absente == 'oui', anonymised rows included)": 1,
        "geocoder score result_score below 0.5": 1,
    }
    assert len(read_cnfs_structures_2021(path, min_geocode_score=0.2)) == 3


def test_cnfs_structures_without_any_qpv_field(tmp_path):
    record = structure()
    del record["qpv"]
    structures = read_cnfs_structures_2021(write_json(tmp_path, [record]))
    assert not structures["qpv"].any()


def test_mediation_places_small_files(tmp_path):
    path = write_json(
        tmp_path,
        [
            place(),
            place("b", "Croix-Rouge française"),
            place("c", "croix rouge"),
            place("d", "Association l'espoir (Groupe SOS)"),
            place("e", "Maison des postes-frontières"),
        ],
    )
    places = read_mediation_places(path)
    assert list(places["partner"]) == ["laposte", "croix_rouge", "croix_rouge", "groupe_sos", ""]
    assert list(places.columns) == [
        "place_id",
        "name",
        "city",
        "postcode",
        "address",
        "partner",
        "labels",
        "updated",
        "geometry",
    ]
    assert (places["labels"].iloc[0], places["updated"].iloc[0]) == ("CNFS, France Services", "2022-04-21")

    csv = tmp_path / "derived.csv"
    csv.write_text(
        "id,nom,commune,code_postal,adresse,latitude,longitude,date_maj,"
        "labels_nationaux,partenaire_detecte\n"
        "x,LA POSTE,SAILLAGOUSE,66800,PL OLIVA,42.4609,2.0408,2022-04-21,CNFS,"
        "La Poste\n",
        encoding="utf-8",
    )
    assert list(read_mediation_places(csv)["partner"]) == ["laposte"]


# --------------------------------------------------------------------------- broken inputs


def test_missing_column_suggests_the_close_name(tmp_path):
    path = write_2024(tmp_path, fs_2024_row(), header=FS_2024_HEADER.replace("latitude", "latitud"))
    with pytest.raises(LayerValidationError, match=r"missing column 'latitude'; did you mean 'latitud'"):
        read_france_services_2024(path)


def test_unparsable_latitude_names_row_and_column(tmp_path):
    path = write_2024(tmp_path, fs_2024_row(), fs_2024_row("2", lat="46.5x"))
    with pytest.raises(
        LayerValidationError, match=r"row 2, column 'latitude': not a number \(received '46.5x'\)"
    ):
        read_france_services_2024(path)


def test_swapped_coordinates_and_bad_insee_are_listed_together(tmp_path):
    path = write_2024(
        tmp_path,
        fs_2024_row(),
        fs_2024_row("2", lat="5.083785", lon="46.45916"),
        fs_2024_row("3").replace('"01388"', '"1388X"'),
    )
    with pytest.raises(LayerValidationError, match=r"2 problems") as caught:
        read_france_services_2024(path)
    message = str(caught.value)
    assert "row 2, column 'latitude/longitude': latitude and longitude look swapped" in message
    assert "row 3, column 'insee_com': not an INSEE commune code" in message


def test_duplicate_matricule(tmp_path):
    path = write_json(
        tmp_path,
        {"type": "FeatureCollection", "features": [feature(7), feature(8), feature(7)]},
        "fs.geojson",
    )
    with pytest.raises(
        LayerValidationError, match=r"row 3, column 'MATRICULE': duplicate id '7' \(first seen at row 1"
    ):
        read_france_services_2020(path)


def test_2020_coordinates_must_agree_with_geometry(tmp_path):
    path = write_json(
        tmp_path,
        {
            "type": "FeatureCollection",
            "features": [feature(1), feature(2, geometry=[5.083785, 46.45916], lat=46.45916, lon=5.83785)],
        },
    )
    with pytest.raises(LayerValidationError, match=r"row 2, .*disagree with the point geometry"):
        read_france_services_2020(path)


def test_2020_not_a_feature_collection(tmp_path):
    with pytest.raises(LayerValidationError, match=r"expected a GeoJSON FeatureCollection"):
        read_france_services_2020(write_json(tmp_path, [feature()]))


def test_invalid_json(tmp_path):
    path = tmp_path / "cnfs.json"
    path.write_text('[{"id": 1,}]', encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"invalid JSON at line 1, column 11"):
        read_cnfs_structures_2021(path)


def test_json_that_is_not_an_array(tmp_path):
    with pytest.raises(LayerValidationError, match=r"expected a JSON array of objects"):
        read_mediation_places(write_json(tmp_path, {"places": [place()]}))


def test_negative_advisors_and_bad_score_and_flag(tmp_path):
    path = write_json(
        tmp_path, [structure(), structure(2, nb_cnfs=-1), structure(3, result_score=1.7, zrr="peut-être")]
    )
    with pytest.raises(LayerValidationError, match=r"3 problems") as caught:
        read_cnfs_structures_2021(path)
    message = str(caught.value)
    assert "row 2, column 'nb_cnfs': advisors must be a whole number >= 0" in message
    assert "row 3, column 'result_score': geocoder score must be between 0 and 1" in message
    assert "row 3, column 'zrr': unknown value" in message


def test_min_geocode_score_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"min_geocode_score must be between 0 and 1"):
        read_cnfs_structures_2021(write_json(tmp_path, [structure()]), min_geocode_score=50)


def test_derived_partner_must_agree_with_the_name(tmp_path):
    csv = tmp_path / "derived.csv"
    csv.write_text(
        "id,nom,commune,code_postal,adresse,latitude,longitude,date_maj,"
        "labels_nationaux,partenaire_detecte\n"
        "x,LA POSTE,A,66800,B,42.4609,2.0408,2022-04-21,CNFS,La Poste\n"
        "y,Mairie,A,66800,B,42.4609,2.0408,2022-04-21,CNFS,Croix-Rouge\n",
        encoding="utf-8",
    )
    with pytest.raises(
        LayerValidationError, match=r"row 2, column 'partenaire_detecte': partner 'Croix-Rouge' disag"
    ):
        read_mediation_places(csv)


def test_mediation_bad_date_and_missing_id(tmp_path):
    path = write_json(tmp_path, [place(), place("", date_maj="21/04/2022")])
    with pytest.raises(LayerValidationError, match=r"2 problems") as caught:
        read_mediation_places(path)
    assert "row 2, column 'id': id is missing" in str(caught.value)
    assert "row 2, column 'date_maj': not a date (YYYY-MM-DD expected)" in str(caught.value)
