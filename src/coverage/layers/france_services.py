"""France services sites (2024 and 2020, one schema), the 2021 CnFS host structures
and the CnFS permanences (lieux de médiation numérique) with their national partner."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import LayerValidationError, Problem
from coverage.layers._common import (
    LoadReport,
    Problems,
    as_text,
    check_insee,
    check_lonlat,
    check_path,
    check_unique,
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

__all__ = [
    "PARTNER_PATTERNS",
    "read_cnfs_structures_2021",
    "read_france_services_2020",
    "read_france_services_2024",
    "read_mediation_places",
]

#: Partner key -> case-insensitive pattern matched on a place name (first match wins).
PARTNER_PATTERNS = {
    "laposte": re.compile(r"\bposte\b", re.IGNORECASE),
    "croix_rouge": re.compile(r"croix[ -]rouge", re.IGNORECASE),
    "groupe_sos": re.compile(r"groupe sos", re.IGNORECASE),
}

#: ``partenaire_detecte`` of the derived CSV -> partner key.
_PARTNER_LABELS = {"La Poste": "laposte", "Croix-Rouge": "croix_rouge", "Groupe SOS": "groupe_sos"}

#: ``categorie`` of the 2020 layer -> ``type_fs`` of the 2024 list.
_CATEGORY_TYPES = {
    "FS": "Principal",
    "FS itinerante": "Principal",
    "Antenne": "Antenne",
    "Antenne itinerante": "Antenne",
}

_CORSICA_TRUNCATED = re.compile(r"^2[AB]\d{2}$")


# --------------------------------------------------------------------------- France services


def read_france_services_2024(path: str | Path) -> gpd.GeoDataFrame:
    """Read ANCT's list of France services (``liste-fs-20240801.csv``, ``,``-separated).

    Rows without coordinates are dropped and counted in the load report.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with columns ``site_id`` (``id_fs``), ``name``
        (``lib_fs``), ``dep`` (``insee_dep``, zero-padded), ``insee_com``,
        ``postcode``, ``city``, ``address``, ``type`` (``'Principal'`` or
        ``'Antenne'``), ``format`` (``format_fs``: ``Fixe``, ``Multisites``,
        ``Bus_équivalent``, ...), ``hosted_by_laposte`` (``lib_fs`` contains
        "La Poste", any case) and ``geometry``. Ids and codes are text.

    Raises
    ------
    LayerValidationError
        Missing columns, missing or duplicate ids, unknown ``type_fs``, bad
        INSEE codes, unparsable or out-of-France coordinates (all listed at once).
    """
    source = str(check_path(path))
    raw = read_text_table(path, sep=",")
    require_columns(raw, ["id_fs", "insee_dep", "lib_fs", "adresse", "insee_com", "code_postal",
                          "lib_com", "latitude", "longitude", "type_fs", "format_fs"], source)
    problems = Problems(source)
    kinds = raw["type_fs"].str.strip()
    _check_allowed(kinds, "type_fs", {"Principal", "Antenne"}, problems)
    frame = _france_services_frame(
        raw, problems,
        columns=dict(site_id="id_fs", name="lib_fs", dep="insee_dep", insee_com="insee_com",
                     postcode="code_postal", city="lib_com", address="adresse", format="format_fs"),
        kinds=kinds,
    )
    frame["hosted_by_laposte"] = frame["name"].str.contains("la poste", case=False, regex=False)
    return _finish_points(raw, frame, problems, LoadReport(source, rows_read=len(raw)),
                          lat_col="latitude", lon_col="longitude")


def read_france_services_2020(path: str | Path) -> gpd.GeoDataFrame:
    """Read ANCT's 2020 France services map layer (``france_services_2020-12.geojson``).

    The points come from the ``LATITUDE``/``LONGITUDE`` properties (the point
    geometry when they are empty), which must agree with the geometry.
    ``categorie`` is mapped to the 2024 types (``FS`` and ``FS itinerante``
    -> ``'Principal'``, ``Antenne*`` -> ``'Antenne'``). Two Corsican INSEE
    codes of the file are truncated (``'2B14'``): they are emptied, with a
    warning in the load report. Rows without coordinates are dropped and counted.

    Returns
    -------
    geopandas.GeoDataFrame
        The schema of :func:`read_france_services_2024`: ``site_id``
        (``MATRICULE``), ``name`` (``lib_france_services``), ``dep``
        (``DEPARTEMENT``, zero-padded), ``insee_com``, ``postcode``, ``city``,
        ``address``, ``type``, ``format`` (``FORMAT_FS``: ``'Espace labellisé'``
        or ``'Antenne'`` in this vintage), ``hosted_by_laposte`` (the
        ``CONTACT.MAIL`` ends with ``@laposte.fr`` or the name contains
        "La Poste", any case) and ``geometry``.

    Raises
    ------
    LayerValidationError
        Invalid JSON or not a FeatureCollection, missing properties, missing or
        duplicate ids, unknown ``categorie``, bad INSEE codes, unparsable,
        out-of-France or geometry-disagreeing coordinates (all listed at once).
    """
    source = str(check_path(path))
    raw, geometry_lon, geometry_lat = _read_point_features(path)
    require_columns(raw, ["MATRICULE", "DEPARTEMENT", "lib_france_services", "ADRESSE",
                          "insee_com", "code_postal", "lib_com", "LATITUDE", "LONGITUDE",
                          "CONTACT.MAIL", "FORMAT_FS", "categorie"], source)
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    category = raw["categorie"].str.strip()
    _check_allowed(category, "categorie", set(_CATEGORY_TYPES), problems)
    insee = normalise_insee(raw["insee_com"])
    truncated = insee.str.match(_CORSICA_TRUNCATED)
    report.warn(
        Problem(source, f"truncated Corsican INSEE code {code!r} emptied", row=int(row),
                column="insee_com")
        for row, code in zip(row_numbers(raw)[truncated.to_numpy()], insee[truncated], strict=True)
    )
    raw = raw.assign(insee_com=insee.where(~truncated, ""))
    frame = _france_services_frame(
        raw, problems,
        columns=dict(site_id="MATRICULE", name="lib_france_services", dep="DEPARTEMENT",
                     insee_com="insee_com", postcode="code_postal", city="lib_com",
                     address="ADRESSE", format="FORMAT_FS"),
        kinds=category.map(_CATEGORY_TYPES).fillna(""),
    )
    mail = raw["CONTACT.MAIL"].str.strip().str.lower()
    frame["hosted_by_laposte"] = mail.str.endswith("@laposte.fr") | frame["name"].str.contains(
        "la poste", case=False, regex=False
    )
    return _finish_points(raw, frame, problems, report, lat_col="LATITUDE", lon_col="LONGITUDE",
                          fallback=(geometry_lon, geometry_lat))


def _france_services_frame(
    raw: pd.DataFrame, problems: Problems, *, columns: dict[str, str], kinds: pd.Series
) -> pd.DataFrame:
    """The shared France services columns, checking ids and INSEE codes."""
    site_id = raw[columns["site_id"]].str.strip()
    _check_ids(site_id, columns["site_id"], problems)
    insee = normalise_insee(raw[columns["insee_com"]])
    check_insee(insee, columns["insee_com"], problems)
    frame = pd.DataFrame({key: raw[column].str.strip() for key, column in columns.items()})
    frame["site_id"] = site_id
    frame["dep"] = frame["dep"].map(french_department)
    frame["insee_com"] = insee
    frame["postcode"] = _postcode(frame["postcode"])
    frame["type"] = kinds
    return frame[["site_id", "name", "dep", "insee_com", "postcode", "city", "address", "type",
                  "format"]]


# --------------------------------------------------------------------------- CnFS


def read_cnfs_structures_2021(
    path: str | Path, *, min_geocode_score: float = 0.5
) -> gpd.GeoDataFrame:
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
        flags, advisor counts that are not positive integers, scores outside
        [0, 1], bad INSEE codes, unparsable or out-of-France coordinates.
    """
    if not 0.0 <= min_geocode_score <= 1.0:
        raise ValueError(f"min_geocode_score must be between 0 and 1, got {min_geocode_score}")
    source = str(check_path(path))
    raw = read_json_records(path)
    require_columns(raw, ["id", "raison_sociale", "type", "nb_cnfs", "insee_com", "insee_dep",
                          "code_postal_bis", "zrr", "france_services", "latitude", "longitude",
                          "result_score", "adresse_absente"], source)
    if "qpv" not in raw.columns:
        raw = raw.assign(qpv="")
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    rows = row_numbers(raw)

    structure_id = raw["id"].str.strip()
    _check_ids(structure_id, "id", problems)
    _check_allowed(raw["type"].str.strip(), "type", {"publique", "privée"}, problems)
    advisors = parse_numbers(raw["nb_cnfs"], "nb_cnfs", problems, allow_missing=False)
    bad = ~np.isnan(advisors) & ((advisors < 0) | (advisors != np.round(advisors)))
    problems.add_rows(rows[bad].tolist(), "nb_cnfs", "advisors must be a whole number >= 0",
                      values=list(raw["nb_cnfs"][bad]))
    score = parse_numbers(raw["result_score"], "result_score", problems)
    bad = ~np.isnan(score) & ((score < 0) | (score > 1))
    problems.add_rows(rows[bad].tolist(), "result_score", "geocoder score must be between 0 and 1",
                      values=list(raw["result_score"][bad]))
    flags = {
        column: _flag(raw[column], column, problems, allowed)
        for column, allowed in [("qpv", {"oui", "non", ""}), ("zrr", {"oui", "non", ""}),
                                ("france_services", {"oui", "non", "non renseigné", ""}),
                                ("adresse_absente", {"oui", "non", ""})]
    }
    insee = normalise_insee(raw["insee_com"])
    check_insee(insee, "insee_com", problems)
    lat, lon, no_coordinates = _coordinates(raw, problems, lat_col="latitude", lon_col="longitude")
    problems.raise_if_any()

    no_address = flags["adresse_absente"].to_numpy()
    report.drop("no address (adresse_absente == 'oui', anonymised rows included)",
                int(no_address.sum()))
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
            "postcode": _postcode(raw["code_postal_bis"]),
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
    """
    source = str(check_path(path))
    raw = read_json_records(path) if Path(path).suffix.lower() == ".json" else read_text_table(path)
    require_columns(raw, ["id", "nom", "commune", "code_postal", "adresse", "latitude",
                          "longitude", "date_maj", "labels_nationaux"], source)
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    rows = row_numbers(raw)
    place_id = raw["id"].str.strip()
    _check_ids(place_id, "id", problems)

    name = raw["nom"].str.strip()
    partner = pd.Series("", index=raw.index, dtype=object)
    for key, pattern in reversed(PARTNER_PATTERNS.items()):
        partner = partner.mask(name.str.contains(pattern), key)
    if "partenaire_detecte" in raw.columns:
        label = raw["partenaire_detecte"].str.strip()
        labels = {**_PARTNER_LABELS, "": ""}
        _check_allowed(label, "partenaire_detecte", set(labels), problems)
        known = label.isin(list(labels))
        for i in np.flatnonzero((known & label.map(labels).ne(partner)).to_numpy()):
            problems.add(
                f"partner {label.iloc[i]!r} disagrees with the name {name.iloc[i]!r}, which gives "
                f"{partner.iloc[i] or 'no partner'!r}; fix the label or the name",
                row=int(rows[i]), column="partenaire_detecte",
            )
    updated = raw["date_maj"].str.strip()
    bad = updated.ne("") & pd.to_datetime(updated, format="%Y-%m-%d", errors="coerce").isna()
    problems.add_rows(rows[bad.to_numpy()], "date_maj", "not a date (YYYY-MM-DD expected)",
                      values=list(updated[bad]))
    postcode = _postcode(raw["code_postal"])
    odd = ~postcode.str.fullmatch(r"\d{5}")
    report.warn(Problem(source, f"postcode is not 5 digits (received {value!r})", row=int(row),
                        column="code_postal")
                for row, value in zip(rows[odd.to_numpy()], postcode[odd], strict=True))
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
    return _finish_points(raw, frame, problems, report, lat_col="latitude", lon_col="longitude")


# --------------------------------------------------------------------------- helpers


def _read_point_features(
    path: str | Path,
) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Properties of a GeoJSON FeatureCollection as text, and each point's lon and lat."""
    path = check_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"not UTF-8 text (byte {exc.start}); re-save the file as UTF-8")
        ) from None
    except json.JSONDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        ) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and isinstance(f.get("properties"), dict) for f in features
    ):
        raise LayerValidationError(
            Problem(str(path), "expected a GeoJSON FeatureCollection of features with properties")
        )
    lonlat = np.full((len(features), 2), np.nan)
    for i, feature in enumerate(features):
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            with contextlib.suppress(TypeError, ValueError):
                lonlat[i] = [float(coordinates[0]), float(coordinates[1])]
    frame = pd.DataFrame.from_records([f["properties"] for f in features])
    frame = frame.map(as_text) if len(frame) else frame
    return frame, lonlat[:, 0], lonlat[:, 1]


def _finish_points(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    problems: Problems,
    report: LoadReport,
    *,
    lat_col: str,
    lon_col: str,
    fallback: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> gpd.GeoDataFrame:
    """Parse and check coordinates, raise the collected problems, drop rows without points."""
    lat, lon, missing = _coordinates(raw, problems, lat_col=lat_col, lon_col=lon_col,
                                     fallback=fallback)
    problems.raise_if_any()
    report.drop("no coordinates", int(missing.sum()))
    return finish(points_frame(frame[~missing], lon[~missing], lat[~missing]), report)


def _coordinates(
    raw: pd.DataFrame,
    problems: Problems,
    *,
    lat_col: str,
    lon_col: str,
    fallback: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Latitude, longitude and the missing mask; problems for bad or foreign points."""
    lat = parse_numbers(raw[lat_col], lat_col, problems)
    lon = parse_numbers(raw[lon_col], lon_col, problems)
    rows = row_numbers(raw)
    if fallback is not None:
        geometry_lon, geometry_lat = fallback
        both = ~np.isnan(lat + lon + geometry_lon + geometry_lat)
        far = both & ((np.abs(lat - geometry_lat) > 1e-5) | (np.abs(lon - geometry_lon) > 1e-5))
        for i in np.flatnonzero(far):
            problems.add(
                f"{lat_col}/{lon_col} ({lat[i]}, {lon[i]}) disagree with the point geometry "
                f"({geometry_lat[i]}, {geometry_lon[i]}); fix one of them",
                row=int(rows[i]), column=f"{lat_col}/{lon_col}",
            )
        empty = raw[lat_col].str.strip().eq("") & raw[lon_col].str.strip().eq("")
        lat = np.where(empty, geometry_lat, lat)
        lon = np.where(empty, geometry_lon, lon)
    check_lonlat(lon, lat, rows, problems, columns=(lon_col, lat_col))
    return lat, lon, np.isnan(lat) | np.isnan(lon)


def _check_ids(ids: pd.Series, column: str, problems: Problems) -> None:
    problems.add_rows(row_numbers(ids)[ids.eq("").to_numpy()], column, "id is missing")
    check_unique(ids, column, problems)


def _check_allowed(values: pd.Series, column: str, allowed: set[str], problems: Problems) -> None:
    unknown = ~values.isin(list(allowed))
    problems.add_rows(
        row_numbers(values)[unknown.to_numpy()], column,
        f"unknown value; expected one of {sorted(allowed)}", values=list(values[unknown]),
    )


def _flag(values: pd.Series, column: str, problems: Problems, allowed: set[str]) -> pd.Series:
    """``'oui'`` -> True after checking every value is one of ``allowed``."""
    text = values.str.strip().str.lower()
    _check_allowed(text, column, allowed, problems)
    return text.eq("oui")


def _postcode(values: pd.Series) -> pd.Series:
    """Strip postcodes (no-break spaces included) and zero-pad 4-digit ones."""
    text = values.astype(str).str.strip()
    return text.where(~text.str.fullmatch(r"\d{4}"), "0" + text)
