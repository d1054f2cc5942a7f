"""La Poste contact points (``laposte_poincont2``): every post office, APC and RPC."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_insee,
    check_lonlat,
    check_path,
    check_unique,
    finish,
    normalise_insee,
    parse_numbers,
    points_frame,
    read_text_table,
    require_columns,
    row_numbers,
)
from coverage.data.territory import department_of

__all__ = ["FOREIGN_INSEE_CODES", "KINDS", "read_laposte_points"]

#: ``Caractéristique_du_site`` -> short kind used across the library.
KINDS = {
    "Bureau de Poste": "bureau",
    "Agence postale communale": "agence_communale",
    "Agence postale intercommunale": "agence_intercommunale",
    "Relais poste commerçant": "relais_commercant",
    "Relais poste commercant": "relais_commercant",
    "Agence postale militaire": "agence_militaire",
}

#: Codes of sites outside France: Monaco, Andorra, and the fake Andorran ``09920``.
FOREIGN_INSEE_CODES = {"99138": "Monaco", "99130": "Andorra", "09920": "Andorra (fake code 09920)"}

_PRECISION = {
    "Géocodé au numéro": "numero",
    "Géocodé au milieu d un îlot": "ilot",
    "Géocodé au milieu d'un îlot": "ilot",
    "Géocodé au milieu de la rue": "rue",
    "Géocodé au centre de la commune": "commune",
}

_REQUIRED = [
    "#Identifiant_du_site",
    "Libellé_du_site",
    "Caractéristique_du_site",
    "Site_Acores_de_rattachement",
    "Adresse",
    "Code_postal",
    "Localité",
    "Code_INSEE",
    "Latitude",
    "Longitude",
    "Précision_du_géocodage",
]


def read_laposte_points(path: str | Path) -> gpd.GeoDataFrame:
    """Read La Poste's contact-point list (``laposte_poincont2``, ``;``-separated CSV).

    Rows without coordinates and sites outside France (:data:`FOREIGN_INSEE_CODES`)
    are dropped and counted in the load report.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with columns ``site_id, name, kind, kind_label,
        parent_site_id, address, postcode, city, insee_com, dep,
        geocoding, approximate, geometry``. ``geocoding`` is ``numero``,
        ``ilot``, ``rue`` or ``commune``; ``approximate`` is true for sites placed
        at the commune centre.

    Raises
    ------
    LayerValidationError
        Missing columns, unknown site kinds, unparsable or out-of-France
        coordinates, bad INSEE codes, duplicate site ids (all listed at once).

    Examples
    --------
    Three contact points: a post office, a communal agency placed at the commune centre, and a Monaco office.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_laposte_points, report_of
    >>> header = (
    ...     "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Site_Acores_de_rattachement;"
    ...     "Adresse;Code_postal;Localité;Code_INSEE;Latitude;Longitude;Précision_du_géocodage"
    ... )
    >>> rows = [
    ...     "G001;GUERET BP;Bureau de Poste;;Rue;23000;GUERET;23096;46.17;1.87;Géocodé au numéro",
    ...     "A002;AHUN AP;Agence postale communale;G001;Place;23150;AHUN;23001;46.08;2.05;"
    ...     "Géocodé au centre de la commune",
    ...     "M003;MONACO BP;Bureau de Poste;;Quai;98000;MONACO;99138;43.73;7.42;Géocodé au numéro",
    ... ]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "laposte_poincont2.csv"
    >>> _ = path.write_text("\\n".join([header, *rows]), encoding="utf-8")
    >>> points = read_laposte_points(path)
    >>> points["site_id"].tolist(), points["kind"].tolist(), points["approximate"].tolist()
    (['G001', 'A002'], ['bureau', 'agence_communale'], [False, True])
    >>> points["parent_site_id"].tolist(), points["dep"].tolist()
    (['', 'G001'], ['23', '23'])
    >>> report_of(points).dropped
    {'outside France: Monaco': 1}
    """
    source = str(check_path(path))
    raw = read_text_table(path, sep=";")
    require_columns(raw, _REQUIRED, source)
    report = LoadReport(source, rows_read=len(raw))
    problems = Problems(source)

    site_id = raw["#Identifiant_du_site"].str.strip()
    missing_id = site_id.eq("")
    problems.add_rows(row_numbers(raw)[missing_id.to_numpy()], "#Identifiant_du_site", "site id is missing")
    check_unique(site_id, "#Identifiant_du_site", problems)

    kind_label = raw["Caractéristique_du_site"].str.strip()
    unknown_kind = ~kind_label.isin(list(KINDS))
    if unknown_kind.any():
        problems.add_rows(
            row_numbers(raw)[unknown_kind.to_numpy()],
            "Caractéristique_du_site",
            f"unknown site kind; expected one of {sorted(set(KINDS))}",
            values=list(kind_label[unknown_kind]),
        )

    insee = normalise_insee(raw["Code_INSEE"])
    foreign = insee.isin(list(FOREIGN_INSEE_CODES)).to_numpy()
    check_insee(insee.where(~foreign, ""), "Code_INSEE", problems)

    lat = parse_numbers(raw["Latitude"], "Latitude", problems)
    lon = parse_numbers(raw["Longitude"], "Longitude", problems)
    no_coordinates = np.isnan(lat) | np.isnan(lon)
    check_lonlat(
        np.where(foreign, np.nan, lon),
        np.where(foreign, np.nan, lat),
        row_numbers(raw),
        problems,
        columns=("Longitude", "Latitude"),
    )
    problems.raise_if_any()

    for code, country in FOREIGN_INSEE_CODES.items():
        report.drop(f"outside France: {country}", int((insee == code).sum()))
    report.drop("no coordinates", int((no_coordinates & ~foreign).sum()))
    keep = ~foreign & ~no_coordinates

    precision = raw["Précision_du_géocodage"].str.strip().map(_PRECISION).fillna("inconnue")
    frame = pd.DataFrame(
        {
            "site_id": site_id,
            "name": raw["Libellé_du_site"].str.strip(),
            "kind": kind_label.map(KINDS),
            "kind_label": kind_label,
            "parent_site_id": raw["Site_Acores_de_rattachement"].str.strip(),
            "address": raw["Adresse"].str.strip(),
            "postcode": raw["Code_postal"].str.strip().str.zfill(5),
            "city": raw["Localité"].str.strip(),
            "insee_com": insee,
            "dep": insee.map(department_of),
            "geocoding": precision,
            "approximate": precision.eq("commune"),
        }
    )
    result = points_frame(frame[keep], lon[keep], lat[keep])
    return finish(result, report)
