"""France services sites, 2024 list and 2020 layer, in one schema."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_insee,
    check_path,
    french_department,
    normalise_insee,
    read_text_table,
    require_columns,
    row_numbers,
)
from coverage.data.layers._points import (
    check_allowed,
    check_ids,
    finish_points,
    normalise_postcode,
    read_point_features,
)
from coverage.errors import Problem

__all__ = ["read_france_services_2020", "read_france_services_2024"]

#: ``categorie`` of the 2020 layer -> ``type_fs`` of the 2024 list.
_CATEGORY_TYPES = {
    "FS": "Principal",
    "FS itinerante": "Principal",
    "Antenne": "Antenne",
    "Antenne itinerante": "Antenne",
}

_CORSICA_TRUNCATED = re.compile(r"^2[AB]\d{2}$")


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

    Examples
    --------
    Two France services of the 2024 list, one in a post office; an antenna without coordinates is dropped.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_france_services_2024, report_of
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "liste-fs-20240801.csv"
    >>> _ = path.write_text(
    ...     "id_fs,insee_dep,lib_fs,adresse,insee_com,code_postal,lib_com,"
    ...     "latitude,longitude,type_fs,format_fs\\n"
    ...     "fs1,23,France services de Bourganeuf,Place,23030,23400,Bourganeuf,45.95,1.76,Principal,Fixe\\n"
    ...     "fs2,23,France services La Poste d'Ahun,Rue,23001,23150,Ahun,46.08,2.05,Principal,Fixe\\n"
    ...     "fs3,1,France services de Nantua,Rue,01269,01130,Nantua,,,Antenne,Fixe_antenne(s)\\n",
    ...     encoding="utf-8",
    ... )
    >>> services = read_france_services_2024(path)
    >>> services["site_id"].tolist(), services["hosted_by_laposte"].tolist()
    (['fs1', 'fs2'], [False, True])
    >>> report_of(services).dropped
    {'no coordinates': 1}
    """
    source = str(check_path(path))
    raw = read_text_table(path, sep=",")
    require_columns(
        raw,
        [
            "id_fs",
            "insee_dep",
            "lib_fs",
            "adresse",
            "insee_com",
            "code_postal",
            "lib_com",
            "latitude",
            "longitude",
            "type_fs",
            "format_fs",
        ],
        source,
    )
    problems = Problems(source)
    kinds = raw["type_fs"].str.strip()
    check_allowed(kinds, "type_fs", {"Principal", "Antenne"}, problems)
    frame = _france_services_frame(
        raw,
        problems,
        columns=dict(
            site_id="id_fs",
            name="lib_fs",
            dep="insee_dep",
            insee_com="insee_com",
            postcode="code_postal",
            city="lib_com",
            address="adresse",
            format="format_fs",
        ),
        kinds=kinds,
    )
    frame["hosted_by_laposte"] = frame["name"].str.contains("la poste", case=False, regex=False)
    return finish_points(
        raw, frame, problems, LoadReport(source, rows_read=len(raw)), lat_col="latitude", lon_col="longitude"
    )


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

    Examples
    --------
    Two points of the 2020 layer: ``DEPARTEMENT`` ``'1'`` is zero-padded and ``categorie`` is mapped.

    >>> import json, pathlib, tempfile
    >>> from coverage.data.layers import read_france_services_2020
    >>> def feature(number, dep, name, insee, lat, lon, mail, category):
    ...     properties = {
    ...         "MATRICULE": number, "DEPARTEMENT": dep, "lib_france_services": name, "ADRESSE": "Rue",
    ...         "insee_com": insee, "code_postal": insee, "lib_com": name.upper(), "LATITUDE": lat,
    ...         "LONGITUDE": lon, "CONTACT.MAIL": mail, "FORMAT_FS": "Espace labellisé",
    ...         "categorie": category,
    ...     }
    ...     return {"type": "Feature", "properties": properties,
    ...             "geometry": {"type": "Point", "coordinates": [lon, lat]}}
    >>> layer = {"type": "FeatureCollection", "features": [
    ...     feature(1, "1", "Valserhône", "01033", 46.105747, 5.825644, "franceservices@ccpb01.fr", "FS"),
    ...     feature(2, "23", "Ahun", "23001", 46.08, 2.05, "ahun@laposte.fr", "Antenne"),
    ... ]}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "france_services_2020-12.geojson"
    >>> _ = path.write_text(json.dumps(layer), encoding="utf-8")
    >>> services = read_france_services_2020(path)
    >>> services["site_id"].tolist(), services["dep"].tolist(), services["type"].tolist()
    (['1', '2'], ['01', '23'], ['Principal', 'Antenne'])
    >>> services["hosted_by_laposte"].tolist()
    [False, True]
    """
    source = str(check_path(path))
    raw, geometry_lon, geometry_lat = read_point_features(path)
    require_columns(
        raw,
        [
            "MATRICULE",
            "DEPARTEMENT",
            "lib_france_services",
            "ADRESSE",
            "insee_com",
            "code_postal",
            "lib_com",
            "LATITUDE",
            "LONGITUDE",
            "CONTACT.MAIL",
            "FORMAT_FS",
            "categorie",
        ],
        source,
    )
    problems = Problems(source)
    report = LoadReport(source, rows_read=len(raw))
    category = raw["categorie"].str.strip()
    check_allowed(category, "categorie", set(_CATEGORY_TYPES), problems)
    insee = normalise_insee(raw["insee_com"])
    truncated = insee.str.match(_CORSICA_TRUNCATED)
    report.warn(
        Problem(source, f"truncated Corsican INSEE code {code!r} emptied", row=int(row), column="insee_com")
        for row, code in zip(row_numbers(raw)[truncated.to_numpy()], insee[truncated], strict=True)
    )
    raw = raw.assign(insee_com=insee.where(~truncated, ""))
    frame = _france_services_frame(
        raw,
        problems,
        columns=dict(
            site_id="MATRICULE",
            name="lib_france_services",
            dep="DEPARTEMENT",
            insee_com="insee_com",
            postcode="code_postal",
            city="lib_com",
            address="ADRESSE",
            format="FORMAT_FS",
        ),
        kinds=category.map(_CATEGORY_TYPES).fillna(""),
    )
    mail = raw["CONTACT.MAIL"].str.strip().str.lower()
    frame["hosted_by_laposte"] = mail.str.endswith("@laposte.fr") | frame["name"].str.contains(
        "la poste", case=False, regex=False
    )
    return finish_points(
        raw,
        frame,
        problems,
        report,
        lat_col="LATITUDE",
        lon_col="LONGITUDE",
        fallback=(geometry_lon, geometry_lat),
    )


def _france_services_frame(
    raw: pd.DataFrame, problems: Problems, *, columns: dict[str, str], kinds: pd.Series
) -> pd.DataFrame:
    """The shared France services columns, checking ids and INSEE codes."""
    site_id = raw[columns["site_id"]].str.strip()
    check_ids(site_id, columns["site_id"], problems)
    insee = normalise_insee(raw[columns["insee_com"]])
    check_insee(insee, columns["insee_com"], problems)
    frame = pd.DataFrame({key: raw[column].str.strip() for key, column in columns.items()})
    frame["site_id"] = site_id
    frame["dep"] = frame["dep"].map(french_department)
    frame["insee_com"] = insee
    frame["postcode"] = normalise_postcode(frame["postcode"])
    frame["type"] = kinds
    return frame[["site_id", "name", "dep", "insee_com", "postcode", "city", "address", "type", "format"]]


# --------------------------------------------------------------------------- CnFS
