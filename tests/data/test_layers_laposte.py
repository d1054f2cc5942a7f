from __future__ import annotations

import numpy as np
import pytest

from coverage.data.layers._common import report_of
from coverage.data.layers.laposte import read_laposte_points
from coverage.errors import LayerValidationError

HEADER = (
    "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Site_Acores_de_rattachement;"
    "Adresse;Complément_d_adresse;Lieu_dit;Code_postal;Localité;Code_INSEE;Pays;Latitude;"
    "Longitude;Précision_du_géocodage;Numéro_de_téléphone;latlong"
)


def write(tmp_path, *rows: str):
    path = tmp_path / "points.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_real_file_counts_match_sources_md(sources):
    points = read_laposte_points(sources / "laposte_points_contact/laposte_poincont2_2020-12.csv")
    report = report_of(points)
    assert report.rows_read == 17_716
    assert report.dropped["outside France: Monaco"] == 3
    foreign = sum(n for reason, n in report.dropped.items() if reason.startswith("outside France"))
    assert foreign == 10
    assert report.dropped["no coordinates"] == 13
    assert len(points) == 17_716 - 10 - 13
    assert points.crs.to_epsg() == 4326
    assert (points["kind"] == "relais_commercant").sum() == 3_072
    assert points["insee_com"].str.len().eq(5).all()
    assert points["dep"].str.startswith("97").sum() == 264
    assert points["site_id"].is_unique


def test_small_file_parses_schema(tmp_path):
    path = write(
        tmp_path,
        "01140A;LA SOUCHE AP;Agence postale communale;01143A;LE BOURG;;;07380;LA SOUCHE;07315;"
        "FRANCE;44.62868;4.201706;Géocodé au centre de la commune;3631;44.62868,4.201706",
        "M1;MONACO;Bureau de Poste;;RUE;;;98000;MONACO;99138;MONACO;43.73;7.42;Géocodé au numéro;;",
    )
    points = read_laposte_points(path)
    assert list(points["site_id"]) == ["01140A"]
    row = points.iloc[0]
    assert (row["kind"], row["dep"], row["insee_com"], row["geocoding"]) == (
        "agence_communale",
        "07",
        "07315",
        "commune",
    )
    assert bool(row["approximate"])
    assert np.isclose(row.geometry.x, 4.201706) and np.isclose(row.geometry.y, 44.62868)
    assert report_of(points).dropped == {"outside France: Monaco": 1}


def test_swapped_coordinates_name_the_row(tmp_path):
    path = write(
        tmp_path,
        "A;X;Bureau de Poste;;R;;;07380;L;07315;FRANCE;44.6;4.2;Géocodé au numéro;;",
        "B;Y;Bureau de Poste;;R;;;07380;L;07315;FRANCE;4.2;44.6;Géocodé au numéro;;",
    )
    with pytest.raises(LayerValidationError, match=r"row 2.*swapped"):
        read_laposte_points(path)
