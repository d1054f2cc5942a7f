"""Point-layer helpers shared by the France services and CnFS readers."""

from __future__ import annotations

import contextlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    as_text,
    check_lonlat,
    check_path,
    check_unique,
    finish,
    load_json,
    parse_numbers,
    points_frame,
    row_numbers,
)
from coverage.errors import LayerValidationError, Problem


def read_point_features(
    path: str | Path,
) -> tuple[pd.DataFrame, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Properties of a GeoJSON FeatureCollection as text, and each point's lon and lat."""
    path = check_path(path)
    data = load_json(path)
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


def finish_points(
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
    lat, lon, missing = parse_coordinates(raw, problems, lat_col=lat_col, lon_col=lon_col, fallback=fallback)
    problems.raise_if_any()
    report.drop("no coordinates", int(missing.sum()))
    return finish(points_frame(frame[~missing], lon[~missing], lat[~missing]), report)


def parse_coordinates(
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
                row=int(rows[i]),
                column=f"{lat_col}/{lon_col}",
            )
        empty = raw[lat_col].str.strip().eq("") & raw[lon_col].str.strip().eq("")
        lat = np.where(empty, geometry_lat, lat)
        lon = np.where(empty, geometry_lon, lon)
    check_lonlat(lon, lat, rows, problems, columns=(lon_col, lat_col))
    return lat, lon, np.isnan(lat) | np.isnan(lon)


def check_ids(ids: pd.Series, column: str, problems: Problems) -> None:
    problems.add_rows(row_numbers(ids)[ids.eq("").to_numpy()], column, "id is missing")
    check_unique(ids, column, problems)


def check_allowed(values: pd.Series, column: str, allowed: set[str], problems: Problems) -> None:
    unknown = ~values.isin(list(allowed))
    problems.add_rows(
        row_numbers(values)[unknown.to_numpy()],
        column,
        f"unknown value; expected one of {sorted(allowed)}",
        values=list(values[unknown]),
    )


def parse_flag(values: pd.Series, column: str, problems: Problems, allowed: set[str]) -> pd.Series:
    """``'oui'`` -> True after checking every value is one of ``allowed``."""
    text = values.str.strip().str.lower()
    check_allowed(text, column, allowed, problems)
    return text.eq("oui")


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Strip postcodes (no-break spaces included) and zero-pad 4-digit ones."""
    text = values.astype(str).str.strip()
    return text.where(~text.str.fullmatch(r"\d{4}"), "0" + text)
