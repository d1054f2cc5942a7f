"""Attach points to the communes of the embedded geography.

Commune codes change between vintages (mergers every year since 2016), so a
site's code is first looked up among the embedded communes; when it is not
there (or missing), the site is placed by a spatial join on the commune
polygons, then by the nearest commune within ``snap_m`` (simplified polygons
lose a few metres at their edges). Every row matched spatially or not at all
is reported, and so is every point lying far from the commune its code names.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.data import territory
from coverage.data.layers._common import REPORT_ATTR, LoadReport, file_rows
from coverage.errors import CRSError, Problem

__all__ = ["attach_communes"]


def attach_communes(
    points: gpd.GeoDataFrame,
    *,
    communes: gpd.GeoDataFrame | None = None,
    code_column: str = "insee_com",
    far_m: float = 5_000.0,
    snap_m: float = 1_000.0,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Give each point the current INSEE code and department of its commune.

    Parameters
    ----------
    points
        Point layer in any CRS, with the stated commune code in ``code_column``
        (may be empty or from an older vintage).
    communes
        Commune polygons (``insee_com, dep, geometry``); the embedded ones by default.
    far_m
        A point farther than this from the commune its code names is reported
        (not dropped: the code or the coordinates may be wrong).
    snap_m
        Points outside every commune polygon are given the nearest commune
        within this distance.
    id_column
        Column used to name points in the report (default: the row number).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``insee_com`` and ``dep`` set to the current commune, the
        original code in ``insee_com_stated``, ``commune_match`` (``code``,
        ``spatial`` or ``none``) and ``distance_to_commune_m`` (to the stated
        commune, NaN when the code is unknown). Warnings go to the frame's
        load report.

    Examples
    --------
    Three sites in the Creuse: a right code, a missing one, and a code naming a commune 20 km away.

    >>> import coverage
    >>> import geopandas as gpd
    >>> from coverage.data.layers import attach_communes, report_of
    >>> points = gpd.GeoDataFrame(
    ...     {"site_id": ["gueret", "ahun", "bourganeuf"], "insee_com": ["23096", "", "23096"]},
    ...     geometry=gpd.points_from_xy([1.866, 2.013, 1.742], [46.158, 46.092, 45.947]),
    ...     crs=4326,
    ... )
    >>> placed = attach_communes(points, communes=coverage.load_communes(["23"]), id_column="site_id")
    >>> placed["insee_com"].tolist(), placed["commune_match"].tolist()
    (['23096', '23001', '23096'], ['code', 'spatial', 'code'])
    >>> print(report_of(placed).warnings[0])
    points, column 'insee_com': bourganeuf lies 20.8 km from commune 23096 named by its code;
    check its coordinates or its code
    """
    if points.crs is None:
        raise CRSError("the point layer has no CRS; set it with GeoDataFrame.set_crs(4326)")
    if communes is None:
        from coverage.data.embedded import load_communes

        communes = load_communes()
    report: LoadReport = points.attrs.get(REPORT_ATTR) or LoadReport("points")
    result = points.to_crs(4326) if points.crs.to_epsg() != 4326 else points.copy()
    stated = (
        result[code_column].astype(str).fillna("")
        if code_column in result.columns
        else pd.Series("", index=result.index)
    )
    result["insee_com_stated"] = stated.to_numpy()
    names = (
        result[id_column].astype(str).to_numpy()
        if id_column
        else np.array([f"row {r}" for r in file_rows(result)], dtype=object)  # the file's own rows
    )

    by_code = communes.set_index("insee_com")
    known = stated.isin(by_code.index).to_numpy()
    code = np.where(known, stated.to_numpy(), "").astype(object)
    match = np.where(known, "code", "none").astype(object)

    distance = np.full(len(result), np.nan)
    if known.any():
        distance[known] = _distances(result.geometry[known], by_code.loc[stated[known]])
        far = np.flatnonzero(known & (distance > far_m))
        report.warn(
            Problem(
                report.source,
                f"{names[i]} lies {distance[i] / 1000:.1f} km from commune {stated.iloc[i]} "
                "named by its code; check its coordinates or its code",
                column=code_column,
            )
            for i in far
        )

    unknown = np.flatnonzero(~known)
    if len(unknown):
        found = _spatial_codes(result.geometry.iloc[unknown], communes, snap_m)
        hit = found != ""
        code[unknown[hit]] = found[hit]
        match[unknown[hit]] = "spatial"
        report.notes.append(
            f"{int(hit.sum())} points placed in their commune by location "
            f"(code absent or not in the embedded vintage)"
        )
        report.warn(
            Problem(
                report.source,
                f"{names[i]}: no commune found for code {stated.iloc[i]!r} nor within "
                f"{snap_m:.0f} m of the point",
                column=code_column,
            )
            for i in unknown[~hit]
        )

    result["insee_com"] = code
    result["dep"] = by_code["dep"].reindex(code).fillna("").to_numpy()
    result["commune_match"] = match
    result["distance_to_commune_m"] = distance
    result.attrs[REPORT_ATTR] = report
    return result


def _distances(points: gpd.GeoSeries, communes: gpd.GeoDataFrame) -> np.ndarray:
    """Metric distance from each point to its own commune polygon, per territory."""
    out = np.full(len(points), np.nan)
    deps = communes["dep"].to_numpy()
    keys = np.array([territory.territory_of_department(d) for d in deps], dtype=object)
    for key in np.unique(keys):
        rows = keys == key
        crs = territory.metric_crs(key)
        a = points[rows].to_crs(crs).to_numpy()
        b = communes.geometry[rows].to_crs(crs).to_numpy()
        out[rows] = shapely.distance(a, b)
    return out


def _spatial_codes(points: gpd.GeoSeries, communes: gpd.GeoDataFrame, snap_m: float) -> np.ndarray:
    """INSEE code of the commune containing (or nearest within ``snap_m`` of) each point."""
    frame = gpd.GeoDataFrame(geometry=points.to_numpy(), crs=points.crs).reset_index(drop=True)
    joined = gpd.sjoin(frame, communes[["insee_com", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    codes = joined["insee_com"].fillna("").to_numpy().astype(object)
    missing = np.flatnonzero(codes == "")
    for key, projected in territory.split_by_territory(frame.iloc[missing]) if len(missing) else []:
        near = gpd.sjoin_nearest(
            projected,
            communes[["insee_com", "geometry"]].to_crs(territory.metric_crs(key)),
            max_distance=snap_m,
            how="left",
        )
        near = near[~near.index.duplicated(keep="first")]
        codes[near.index.to_numpy()] = near["insee_com"].fillna("").to_numpy()
    return codes
