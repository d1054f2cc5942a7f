"""Conseillers numériques: the 2021 host structures and the 2022 permanences
(lieux de médiation numérique) with their national partner."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_insee,
    check_path,
    finish,
    french_department,
    normalise_insee,
    parse_numbers,
    points_frame,
    read_json_records,
    read_text_table,
    require_columns,
    row_numbers,
)
from coverage.data.layers._points import (
    check_allowed,
    check_ids,
    finish_points,
    normalise_postcode,
    parse_coordinates,
    parse_flag,
)
from coverage.errors import Problem

__all__ = ["PARTNER_PATTERNS", "read_cnfs_structures_2021", "read_mediation_places"]

#: Partner key -> case-insensitive pattern matched on a place name (first match wins).
PARTNER_PATTERNS = {
    "laposte": re.compile(r"\bposte\b", re.IGNORECASE),
    "croix_rouge": re.compile(r"croix[ -]rouge", re.IGNORECASE),
    "groupe_sos": re.compile(r"groupe sos", re.IGNORECASE),
}

#: ``partenaire_detecte`` of the derived CSV -> partner key.
_PARTNER_LABELS = {"La Poste": "laposte", "Croix-Rouge": "croix_rouge", "Groupe SOS": "groupe_sos"}


def read_cnfs_structures_2021(path: str | Path, *, min_geocode_score: float = 0.5) -> gpd.GeoDataFrame:
    """Read the 2021 CnFS host structures (``cnfs_structures_2021.json``, a JSON array).

    Dropped and counted in the load report, in this order: rows without an
    address (``adresse_absente == 'oui'``, which covers the anonymised rows
    geocoded to a placeholder), rows without coordinates, and rows whose
    geocoder score ``result_score`` is below ``min_geocode_score`` (a missing
    score on a row with coordinates is kept). An anonymised row that has an
    address (``raison_sociale`` ``'0'``) is kept with an empty name.

    Parameters
    ----------
    path
        The JSON file.
    min_geocode_score
        Lowest BAN geocoder score kept, between 0 and 1.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with columns ``structure_id`` (``id``), ``name``
        (``raison_sociale``), ``type`` (``'publique'`` or ``'privée'``),
        ``advisors`` (int, ``nb_cnfs``), ``insee_com``, ``dep`` (``insee_dep``),
        ``postcode`` (``code_postal_bis``), ``qpv``, ``zrr``, ``france_services``
        (bools: the flag is ``'oui'``; an absent ``qpv`` and a ``'non renseigné'``
        ``france_services`` are false), ``geocode_score`` (float) and ``geometry``.

    Raises
    ------
    LayerValidationError
        Invalid JSON, missing fields, missing or duplicate ids, unknown types or
        flags, advisor counts that are not whole numbers >= 0, scores outside
        [0, 1], bad INSEE codes, unparsable or out-of-France coordinates.

    Examples
    --------
    Three host structures: one kept, one without an address, one badly geocoded.

    >>> import json, pathlib, tempfile
    >>> from coverage.data.layers import read_cnfs_structures_2021, report_of
    >>> def structure(key, name, address_missing, score):
    ...     return {
    ...         "id": key, "raison_sociale": name, "type": "publique", "nb_cnfs": 2, "insee_com": "23096",
    ...         "insee_dep": "23", "code_postal_bis": "23000", "zrr": "oui", "qpv": "oui",
    ...         "france_services": "non", "latitude": 46.17, "longitude": 1.87, "result_score": score,
    ...         "adresse_absente": address_missing,
    ...     }
    >>> rows = [structure(1, "MAIRIE DE GUERET", "non", 0.97), structure(2, "0", "oui", 0.3),
    ...         structure(3, "CC CREUSE SUD OUEST", "non", 0.21)]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cnfs_structures_2021.json"
    >>> _ = path.write_text(json.dumps(rows), encoding="utf-8")
    >>> structures = read_cnfs_structures_2021(path)
    >>> structures["structure_id"].tolist(), structures["advisors"].tolist(), structures["zrr"].tolist()
    (['1'], [2], [True])
    >>> report_of(structures).dropped
    {"no address (adresse_absente == 'oui', anonymised rows included)": 1,
     'geocoder score result_score below 0.5': 1}
    """
    if not 0.0 <= min_geocode_score <= 1.0:
        raise ValueError(f"min_geocode_score must be between 0 and 1, got {min_geocode_score}")
    source = str(check_path(path))
    raw = read_json_records(path)
    require_columns(
        raw,
        [
            "id",
            "raison_sociale",
            "type",
            "nb_cnfs",
            "insee_com",
            "insee_dep",
            "code_postal_bis",
            "zrr",
            "france_services",
            "latitude",
            "longitude",
            "result_score",
            "adresse_absente",
        ],
        source,
    )
    if "qpv" not in raw.columns:
        raw = raw.assign(qpv="")
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    rows = row_numbers(raw)

    structure_id = raw["id"].str.strip()
    check_ids(structure_id, "id", problems)
    check_allowed(raw["type"].str.strip(), "type", {"publique", "privée"}, problems)
    advisors = parse_numbers(raw["nb_cnfs"], "nb_cnfs", problems, allow_missing=False)
    bad = ~np.isnan(advisors) & ((advisors < 0) | (advisors != np.round(advisors)))
    problems.add_rows(
        rows[bad].tolist(),
        "nb_cnfs",
        "advisors must be a whole number >= 0",
        values=list(raw["nb_cnfs"][bad]),
    )
    score = parse_numbers(raw["result_score"], "result_score", problems)
    bad = ~np.isnan(score) & ((score < 0) | (score > 1))
    problems.add_rows(
        rows[bad].tolist(),
        "result_score",
        "geocoder score must be between 0 and 1",
        values=list(raw["result_score"][bad]),
    )
    flags = {
        column: parse_flag(raw[column], column, problems, allowed)
        for column, allowed in [
            ("qpv", {"oui", "non", ""}),
            ("zrr", {"oui", "non", ""}),
            ("france_services", {"oui", "non", "non renseigné", ""}),
            ("adresse_absente", {"oui", "non", ""}),
        ]
    }
    insee = normalise_insee(raw["insee_com"])
    check_insee(insee, "insee_com", problems)
    lat, lon, no_coordinates = parse_coordinates(raw, problems, lat_col="latitude", lon_col="longitude")
    problems.raise_if_any()

    no_address = flags["adresse_absente"].to_numpy()
    report.drop("no address (adresse_absente == 'oui', anonymised rows included)", int(no_address.sum()))
    no_coordinates &= ~no_address
    report.drop("no coordinates", int(no_coordinates.sum()))
    low_score = (score < min_geocode_score) & ~no_address & ~no_coordinates
    report.drop(f"geocoder score result_score below {min_geocode_score}", int(low_score.sum()))
    keep = ~(no_address | no_coordinates | low_score)

    name = raw["raison_sociale"].str.strip()
    frame = pd.DataFrame(
        {
            "structure_id": structure_id,
            "name": name.where(name.ne("0"), ""),
            "type": raw["type"].str.strip(),
            "advisors": np.nan_to_num(advisors).astype(np.int64),
            "insee_com": insee,
            "dep": raw["insee_dep"].map(french_department),
            "postcode": normalise_postcode(raw["code_postal_bis"]),
            "qpv": flags["qpv"],
            "zrr": flags["zrr"],
            "france_services": flags["france_services"],
            "geocode_score": score,
        }
    )
    return finish(points_frame(frame[keep], lon[keep], lat[keep]), report)


# --------------------------------------------------------------------------- mediation places


def read_mediation_places(path: str | Path) -> gpd.GeoDataFrame:
    """Read CnFS permanences (lieux de médiation numérique), JSON array or derived CSV.

    ``.json`` files are read as a JSON array
    (``lieux_mediation_numerique_cnfs_2022-07.json``); other files as
    delimited text, such as the derived
    ``cnfs_permanences_laposte_croixrouge_groupesos_2022-07_DERIVED.csv``. When
    the file has a ``partenaire_detecte`` column, it must agree with the
    partner detected here. Rows without coordinates are dropped and counted;
    postcodes that are not 5 digits (``'30252Cedex'``) are kept with a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with columns ``place_id`` (``id``), ``name`` (``nom``),
        ``city`` (``commune``, free text), ``postcode``, ``address``,
        ``partner`` (``'laposte'``, ``'croix_rouge'``, ``'groupe_sos'`` or
        ``''``, from :data:`PARTNER_PATTERNS` on the name), ``labels``
        (``labels_nationaux``, comma-separated), ``updated`` (``date_maj``,
        ``YYYY-MM-DD`` text) and ``geometry``.

    Raises
    ------
    LayerValidationError
        Invalid JSON, missing columns, missing or duplicate ids, unparsable
        dates, partner labels that disagree with the names, unparsable or
        out-of-France coordinates (all listed at once).

    Examples
    --------
    Two permanences of conseillers numériques; the partner is read from the name.

    >>> import json, pathlib, tempfile
    >>> from coverage.data.layers import read_mediation_places
    >>> def place(id, name, city, postcode, lat, lon):
    ...     return {
    ...         "id": id, "nom": name, "commune": city, "code_postal": postcode, "adresse": "PL OLIVA",
    ...         "latitude": lat, "longitude": lon, "date_maj": "2022-04-21", "labels_nationaux": "CNFS",
    ...     }
    >>> rows = [place("6261a", "LA POSTE", "SAILLAGOUSE", "66800", 42.4609, 2.0408),
    ...         place("6259b", "La plateforme emploi", "Valence", "26000", 44.915262, 4.885069)]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lieux_mediation_numerique.json"
    >>> _ = path.write_text(json.dumps(rows), encoding="utf-8")
    >>> places = read_mediation_places(path)
    >>> places["place_id"].tolist(), places["partner"].tolist()
    (['6261a', '6259b'], ['laposte', ''])
    """
    source = str(check_path(path))
    raw = read_json_records(path) if Path(path).suffix.lower() == ".json" else read_text_table(path)
    require_columns(
        raw,
        [
            "id",
            "nom",
            "commune",
            "code_postal",
            "adresse",
            "latitude",
            "longitude",
            "date_maj",
            "labels_nationaux",
        ],
        source,
    )
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    rows = row_numbers(raw)
    place_id = raw["id"].str.strip()
    check_ids(place_id, "id", problems)

    name = raw["nom"].str.strip()
    partner = pd.Series("", index=raw.index, dtype=object)
    for key, pattern in reversed(PARTNER_PATTERNS.items()):
        partner = partner.mask(name.str.contains(pattern), key)
    if "partenaire_detecte" in raw.columns:
        label = raw["partenaire_detecte"].str.strip()
        labels = {**_PARTNER_LABELS, "": ""}
        check_allowed(label, "partenaire_detecte", set(labels), problems)
        known = label.isin(list(labels))
        for i in np.flatnonzero((known & label.map(labels).ne(partner)).to_numpy()):
            problems.add(
                f"partner {label.iloc[i]!r} disagrees with the name {name.iloc[i]!r}, which gives "
                f"{partner.iloc[i] or 'no partner'!r}; fix the label or the name",
                row=int(rows[i]),
                column="partenaire_detecte",
            )
    updated = raw["date_maj"].str.strip()
    bad = updated.ne("") & pd.to_datetime(updated, format="%Y-%m-%d", errors="coerce").isna()
    problems.add_rows(
        rows[bad.to_numpy()], "date_maj", "not a date (YYYY-MM-DD expected)", values=list(updated[bad])
    )
    postcode = normalise_postcode(raw["code_postal"])
    odd = ~postcode.str.fullmatch(r"\d{5}")
    report.warn(
        Problem(source, f"postcode is not 5 digits (received {value!r})", row=int(row), column="code_postal")
        for row, value in zip(rows[odd.to_numpy()], postcode[odd], strict=True)
    )
    frame = pd.DataFrame(
        {
            "place_id": place_id,
            "name": name,
            "city": raw["commune"].str.strip(),
            "postcode": postcode,
            "address": raw["adresse"].str.strip(),
            "partner": partner.astype(str),
            "labels": raw["labels_nationaux"].str.strip(),
            "updated": updated,
        }
    )
    return finish_points(raw, frame, problems, report, lat_col="latitude", lon_col="longitude")


# --------------------------------------------------------------------------- helpers
