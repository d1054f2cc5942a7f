"""Generic readers for any sites or demand file a user brings.

:func:`read_layer` opens CSV (longitude/latitude columns), GeoJSON, GeoPackage,
(Geo)Parquet and shapefiles (plain or zipped), and returns EPSG:4326 features
with a :class:`~coverage.data.layers._common.LoadReport` attached. Every path goes
through the same checks: the CRS is known and matches the coordinates, column
renames are applied, ids are unique, invalid geometries are repaired and empty
ones dropped (both counted). :func:`combine_layers` stacks several frames after
bringing them to EPSG:4326.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from coverage.data.i18n import N_
from coverage.data.layers._common import (
    LoadReport,
    Problems,
    as_text,
    check_crs_matches,
    check_lonlat,
    check_path,
    check_unique,
    finish,
    parse_numbers,
    points_frame,
    read_text_table,
    repair_geometries,
    require_columns,
    row_numbers,
)
from coverage.data.layers.limits import MAX_LAYER_ROWS, check_rows
from coverage.errors import CRSError, LayerValidationError, Problem, out_of_resources

__all__ = ["SUFFIXES", "combine_layers", "read_layer", "read_points_csv"]

#: File suffixes :func:`read_layer` understands, and what it reads them as.
SUFFIXES = {
    ".csv": "CSV with longitude/latitude columns",
    ".txt": "CSV with longitude/latitude columns",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".shp": "shapefile",
    ".zip": "zipped shapefile",
}

_SET_CRS_FIX = N_(
    "set it with GeoDataFrame.set_crs(...) (for example set_crs(2154) for Lambert-93 "
    "metres, set_crs(4326) for degrees) and save the file again"
)


def read_points_csv(
    path: str | Path,
    *,
    lon: str = "longitude",
    lat: str = "latitude",
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV of points given by WGS84 longitude and latitude columns.

    Parameters
    ----------
    path
        The CSV file (UTF-8; ``;``, ``,`` or tab separated).
    lon, lat
        Names of the coordinate columns in the file. Decimal commas are accepted.
    columns
        Renames ``{column in the file: library column}`` applied to the other columns.
    sep
        The separator; sniffed from the header when ``None``.
    id_column
        A column (file or library name) whose values must be present and unique;
        kept as text.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with every other column as text. Rows with no
        coordinates are dropped and counted in the load report.

    Raises
    ------
    LayerValidationError
        Missing columns, unparsable coordinates, coordinates outside France,
        swapped or in metres, missing or duplicate ids (all listed at once).

    Examples
    --------
    A ``;``-separated file with French decimal commas and its own names for the coordinate columns.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_points_csv, report_of
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mairies.csv"
    >>> _ = path.write_text(
    ...     "code;nom;lon;lat\\n23096;Guéret;1,866;46,158\\n23001;Ahun;2,013;46,092\\n23030;Bourganeuf;;\\n",
    ...     encoding="utf-8",
    ... )
    >>> sites = read_points_csv(path, lon="lon", lat="lat", columns={"nom": "name"}, id_column="code")
    >>> sites["code"].tolist(), sites["name"].tolist(), sites.geometry.x.tolist()
    (['23096', '23001'], ['Guéret', 'Ahun'], [1.866, 2.013])
    >>> report_of(sites).dropped
    {'no coordinates': 1}
    """
    source = str(check_path(path))
    raw = read_text_table(path, sep=sep)
    try:
        require_columns(raw, [lon, lat], source)
    except LayerValidationError as exc:
        hint = Problem(source, "name the coordinate columns of the file with lon=... and lat=...")
        raise LayerValidationError([*exc.problems, hint]) from None
    report = LoadReport(source, rows_read=len(raw))
    problems = Problems(source)
    mapping, id_source = _check_columns(raw, columns, id_column, problems)

    lon_values = parse_numbers(raw[lon].str.replace(",", ".", regex=False), lon, problems)
    lat_values = parse_numbers(raw[lat].str.replace(",", ".", regex=False), lat, problems)
    rows = row_numbers(raw)
    metres = (np.abs(lon_values) > 180) | (np.abs(lat_values) > 90)
    for i in np.flatnonzero(metres):
        problems.add(
            N_(
                "coordinates look like projected metres ({lon}={lon_value}, {lat}={lat_value}), not "
                "degrees; convert them to WGS84 degrees (EPSG:4326), or save the file with its CRS as "
                "GeoPackage and use read_layer"
            ).format(lon=lon, lat=lat, lon_value=lon_values[i], lat_value=lat_values[i]),
            row=int(rows[i]),
            column=f"{lat}/{lon}",
        )
    check_lonlat(
        np.where(metres, np.nan, lon_values),
        np.where(metres, np.nan, lat_values),
        rows,
        problems,
        columns=(lon, lat),
    )
    problems.raise_if_any()

    no_coordinates = np.isnan(lon_values) | np.isnan(lat_values)
    report.drop("no coordinates", int(no_coordinates.sum()))
    keep = ~no_coordinates
    frame = raw.drop(columns=[lon, lat])
    if id_source is not None:
        frame[id_source] = frame[id_source].str.strip()
    frame = frame.rename(columns=mapping)
    result = points_frame(frame[keep], lon_values[keep], lat_values[keep])
    return finish(result, report)


def read_layer(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    layer: str | None = None,
    id_column: str | None = None,
    lon: str = "longitude",
    lat: str = "latitude",
    max_rows: int | None = MAX_LAYER_ROWS,
) -> gpd.GeoDataFrame:
    """Read a sites or demand layer from any supported file, in EPSG:4326.

    The reader is chosen from the suffix (see :data:`SUFFIXES`): CSV and TXT go
    to :func:`read_points_csv`; GeoJSON, GeoPackage, shapefiles (``.shp`` or a
    ``.zip`` holding one) and GeoParquet are read with their CRS and reprojected.

    Parameters
    ----------
    path
        The file.
    columns
        Renames ``{column in the file: library column}``.
    layer
        Layer of a multi-layer GeoPackage, or shapefile of a zip holding several.
    id_column
        A column (file or library name) whose values must be present and unique;
        kept as text.
    lon, lat
        Coordinate columns, for CSV files only.
    max_rows
        Refuse a file of more rows or features (counted before it is read;
        None: no limit).

    Raises
    ------
    MissingDataError
        The path does not exist or is a folder.
    LimitExceededError
        The file holds more than ``max_rows`` rows or features.
    LayerValidationError
        Unsupported suffix, unreadable file, bad columns or ids, several layers
        and no ``layer``, or nothing left after dropping empty geometries.
    CRSError
        The file has no CRS, or its coordinates do not match it.

    Examples
    --------
    A GeoPackage in Lambert-93 metres comes back in WGS84 degrees, with a column renamed.

    >>> import pathlib, tempfile
    >>> import geopandas as gpd
    >>> from coverage.data.layers import read_layer
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sites.gpkg"
    >>> gpd.GeoDataFrame(
    ...     {"code": ["S1", "S2"], "nom": ["Guéret", "Ahun"]},
    ...     geometry=gpd.points_from_xy([1.866, 2.013], [46.158, 46.092]),
    ...     crs=4326,
    ... ).to_crs(2154).to_file(path)
    >>> sites = read_layer(path, columns={"nom": "name"}, id_column="code")
    >>> sites.crs.to_epsg(), sites["name"].tolist(), sites.geometry.x.round(3).tolist()
    (4326, ['Guéret', 'Ahun'], [1.866, 2.013])
    """
    checked = check_path(path)
    source = str(checked)
    suffix = checked.suffix.lower()
    if suffix not in SUFFIXES:
        supported = ", ".join(f"{s} ({kind})" for s, kind in SUFFIXES.items())
        raise LayerValidationError(
            Problem(source, f"unsupported file type '{checked.suffix}'; supported: {supported}")
        )
    if layer is not None and suffix not in (".gpkg", ".zip"):
        raise LayerValidationError(Problem(source, "layer= only applies to .gpkg and .zip files"))
    if suffix in (".csv", ".txt"):
        check_rows(checked, max_rows)
        return read_points_csv(checked, lon=lon, lat=lat, columns=columns, id_column=id_column)

    no_crs_fix = _SET_CRS_FIX
    if suffix in (".parquet", ".geoparquet"):
        check_rows(checked, max_rows)
        frame = _open(source, lambda: gpd.read_parquet(checked, use_threads=False))
    elif suffix == ".zip":
        inner = _shapefile_in_zip(checked, layer)
        check_rows(checked, max_rows, layer=inner)
        frame = _open(source, lambda: gpd.read_file(f"zip://{checked}!{inner}", engine="pyogrio"))
    else:
        if suffix == ".gpkg":
            layer = _gpkg_layer(checked, layer)
        elif suffix == ".shp":
            no_crs_fix = "add the .prj file next to the .shp (it holds the CRS)"
        check_rows(checked, max_rows, layer=layer)
        frame = _open(source, lambda: gpd.read_file(checked, layer=layer, engine="pyogrio"))
    if frame.crs is None:
        raise CRSError(N_("{source} has no CRS; {message_fix}").format(source=source, message_fix=no_crs_fix))
    return _prepare(frame, source, columns=columns, id_column=id_column)


def combine_layers(
    frames: Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame],
) -> gpd.GeoDataFrame:
    """Stack several layers (a list, or ``{name: layer}`` for clearer messages) in EPSG:4326.

    Each frame is reprojected first; columns missing from some frames are left
    empty. A frame without a CRS raises :class:`CRSError` (there is no telling
    where its coordinates are); only empty frames raise LayerValidationError.

    Examples
    --------
    Post offices in degrees and town halls in Lambert-93 metres, stacked in degrees.

    >>> import geopandas as gpd
    >>> from coverage.data.layers import combine_layers, report_of
    >>> offices = gpd.GeoDataFrame(
    ...     {"site_id": ["laposte:G001"]}, geometry=gpd.points_from_xy([1.866], [46.158]), crs=4326
    ... )
    >>> halls = gpd.GeoDataFrame(
    ...     {"site_id": ["mairie:23001"], "capacity": [2]},
    ...     geometry=gpd.points_from_xy([2.013], [46.092]),
    ...     crs=4326,
    ... ).to_crs(2154)
    >>> sites = combine_layers({"offices": offices, "halls": halls})
    >>> sites["site_id"].tolist(), sites.crs.to_epsg(), sites.geometry.x.round(3).tolist()
    (['laposte:G001', 'mairie:23001'], 4326, [1.866, 2.013])
    >>> report_of(sites).notes
    ["1 rows from 'offices'", "1 rows from 'halls'"]
    """
    if isinstance(frames, Mapping):
        named = dict(frames)
    else:
        named = {f"frame {i}": frame for i, frame in enumerate(frames, start=1)}
    parts = []
    for name, frame in named.items():
        if frame.crs is None:
            raise CRSError(f"layer '{name}' has no CRS; {_SET_CRS_FIX}")
        parts.append(frame.to_crs(4326))
    source = f"combined layers ({', '.join(named)})"
    report = LoadReport(source, rows_read=sum(len(p) for p in parts))
    report.notes += [f"{len(part)} rows from '{name}'" for name, part in zip(named, parts, strict=True)]
    non_empty = [part for part in parts if len(part)]
    if not non_empty:
        raise LayerValidationError(Problem(source, "nothing to combine: every layer is empty"))
    for part in non_empty:
        part.attrs.clear()  # their load reports describe the parts, not the whole
    combined = gpd.GeoDataFrame(pd.concat(non_empty, ignore_index=True), crs=4326)
    return finish(combined, report)


# --------------------------------------------------------------------------- helpers


def _open(source: str, reader: Callable[[], object]) -> gpd.GeoDataFrame:
    """Call ``reader()``, turning a reader's failure into a LayerValidationError."""
    try:
        frame = reader()
    except (RuntimeError, OSError, ValueError) as exc:
        if out_of_resources(exc):
            raise
        message = str(exc).split("; It might help")[0].strip()
        raise LayerValidationError(
            Problem(source, f"cannot be read as a geographic layer: {message}")
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise LayerValidationError(Problem(source, "holds no geometry column"))
    return frame


def _gpkg_layer(path: Path, layer: str | None) -> str:
    try:
        listed = pyogrio.list_layers(path)
    except (RuntimeError, OSError) as exc:
        if out_of_resources(exc):
            raise
        raise LayerValidationError(Problem(str(path), f"cannot be read as a GeoPackage: {exc}")) from None
    names = [str(name) for name, geometry_type in listed if geometry_type is not None]
    return _choose(str(path), "layer", names, layer)


def _shapefile_in_zip(path: Path, layer: str | None) -> str:
    source = str(path)
    if not zipfile.is_zipfile(path):
        raise LayerValidationError(Problem(source, "is not a zip archive"))
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
    shapefiles = {PurePosixPath(m).stem: m for m in members if m.lower().endswith(".shp")}
    if not shapefiles:
        listed = ", ".join(members[:10]) or "nothing"
        raise LayerValidationError(Problem(source, f"holds no shapefile (.shp); it holds: {listed}"))
    inner = shapefiles[_choose(source, "shapefile", list(shapefiles), layer)]
    if inner[:-4].lower() + ".prj" not in {m.lower() for m in members}:
        raise CRSError(
            N_("{source} has no CRS; add the .prj file of '{inner}' to the zip (it holds the CRS)").format(
                source=source, inner=inner
            )
        )
    return inner


def _choose(source: str, kind: str, names: list[str], layer: str | None) -> str:
    """The layer named ``layer``, or the only one; else an error listing them."""
    if layer in names or (layer is None and len(names) == 1):
        return layer or names[0]
    listed = ", ".join(names) or "none"
    if layer is not None:
        raise LayerValidationError(Problem(source, f"has no {kind} '{layer}'; {kind}s: {listed}"))
    if not names:
        raise LayerValidationError(Problem(source, f"holds no {kind} with geometries"))
    raise LayerValidationError(
        Problem(source, f"holds {len(names)} {kind}s ({listed}); choose one with layer=...")
    )


def _prepare(
    frame: gpd.GeoDataFrame, source: str, *, columns: Mapping[str, str] | None, id_column: str | None
) -> gpd.GeoDataFrame:
    """Checks shared by every vector format, then reprojection to EPSG:4326."""
    frame = frame.reset_index(drop=True)
    report = LoadReport(source, rows_read=len(frame))
    problems = Problems(source)
    mapping, id_source = _check_columns(frame, columns, id_column, problems)
    problems.raise_if_any()
    if id_source is not None:
        frame[id_source] = frame[id_source].map(as_text).str.strip()
    _check_finite_coordinates(frame, problems)
    problems.raise_if_any()
    frame = repair_geometries(frame, report)
    check_crs_matches(frame, source)
    frame = frame.to_crs(4326) if len(frame) else frame
    return finish(frame.rename(columns=mapping), report)


def _check_finite_coordinates(frame: gpd.GeoDataFrame, problems: Problems) -> None:
    """A feature with a NaN or infinite coordinate is a problem (GEOS cannot repair it)."""
    import shapely

    geometry = frame.geometry.array
    coordinates, owners = shapely.get_coordinates(geometry, include_z=False, return_index=True)
    if not len(coordinates):
        return
    bad = np.unique(owners[~np.isfinite(coordinates).all(axis=1)])
    problems.add_rows(
        row_numbers(frame)[bad],
        frame.geometry.name,
        "a coordinate is not a number (NaN or infinite); fix or remove this feature",
    )


def _check_columns(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None,
    id_column: str | None,
    problems: Problems,
) -> tuple[dict[str, str], str | None]:
    """Check renamed columns and ids; return the renames and the file's id column.

    ``id_column`` may be given by its file or library name; its values must be
    present and unique.
    """
    mapping = dict(columns or {})
    id_source = None
    if id_column is not None:
        reverse = {new: old for old, new in mapping.items()}
        id_source = id_column if id_column in mapping else reverse.get(id_column, id_column)
    try:
        require_columns(frame, [*mapping, *([id_source] if id_source else [])], problems.source)
    except LayerValidationError as exc:
        problems.items.extend(exc.problems)
        return mapping, None
    kept = set(frame.columns) - set(mapping)
    for old, new in mapping.items():
        if new in kept:
            problems.add(
                f"renaming '{old}' to '{new}' would overwrite the file's own '{new}' column; "
                "rename or drop one of them",
                column=old,
            )
    if id_source is not None:
        ids = frame[id_source].map(as_text).str.strip()
        problems.add_rows(row_numbers(frame)[ids.eq("").to_numpy()], id_source, "id is missing")
        check_unique(ids, id_source, problems)
    return mapping, id_source
