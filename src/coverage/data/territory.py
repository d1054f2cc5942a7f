"""Territories of France and the metric CRS to measure each one in.

France spans oceans: a distance between a Réunion site and a mainland commune
means nothing in any single planar CRS. Every metric computation therefore
goes through :func:`metric_crs` for one territory at a time:

========== ======================== =============================
territory  departments              metric CRS
========== ======================== =============================
metropole  01..95 with 2A, 2B       RGF93 / Lambert-93 (EPSG:2154)
971        Guadeloupe               RGAF09 / UTM 20N (EPSG:5490)
972        Martinique               RGAF09 / UTM 20N (EPSG:5490)
973        Guyane                   RGFG95 / UTM 22N (EPSG:2972)
974        La Réunion               RGR92 / UTM 40S (EPSG:2975)
975        Saint-Pierre-et-Miquelon RGSPM06 / UTM 21N (EPSG:4467)
976        Mayotte                  RGM04 / UTM 38S (EPSG:4471)
977, 978   Saint-Barthélemy, -Martin RGAF09 / UTM 20N (EPSG:5490)
========== ======================== =============================

The bounding boxes below (lon/lat, with a small margin) are used to check that
coordinates fall in France and to spot swapped latitude and longitude.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyproj

from coverage.data.i18n import N_
from coverage.errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "BOUNDS",
    "METROPOLE",
    "department_of",
    "locate",
    "metric_crs",
    "split_by_territory",
    "territory_of_department",
]

METROPOLE = "metropole"

#: lon_min, lat_min, lon_max, lat_max of each territory, with a margin.
BOUNDS: dict[str, tuple[float, float, float, float]] = {
    METROPOLE: (-5.3, 41.3, 9.7, 51.15),
    "971": (-61.9, 15.8, -60.95, 16.55),
    "972": (-61.25, 14.35, -60.8, 14.9),
    "973": (-54.65, 2.05, -51.5, 5.85),
    "974": (55.2, -21.42, 55.86, -20.85),
    "975": (-56.45, 46.7, -56.1, 47.15),
    "976": (44.95, -13.05, 45.35, -12.6),
    "977": (-62.96, 17.85, -62.76, 17.98),
    "978": (-63.16, 18.0, -62.95, 18.13),
}

_METRIC_EPSG = {
    METROPOLE: 2154,
    "971": 5490,
    "972": 5490,
    "973": 2972,
    "974": 2975,
    "975": 4467,
    "976": 4471,
    "977": 5490,
    "978": 5490,
}


def department_of(insee_code: str) -> str:
    """Department code of an INSEE commune code (``'2A004'`` -> ``'2A'``).

    Overseas communes (``97xxx``) belong to three-character departments.

    Examples
    --------
    >>> from coverage.data.territory import department_of
    >>> department_of("23096"), department_of("2A004"), department_of("97411")
    ('23', '2A', '974')
    """
    code = str(insee_code).strip()
    return code[:3] if code.startswith("97") else code[:2]


def territory_of_department(department: str) -> str:
    """Territory key of a department code: ``'metropole'`` or the overseas code.

    Raises
    ------
    CRSError
        An overseas code (``97x``) the library does not know.

    Examples
    --------
    >>> from coverage.data.territory import territory_of_department
    >>> territory_of_department("23"), territory_of_department("2B"), territory_of_department("974")
    ('metropole', 'metropole', '974')
    """
    department = str(department).strip()
    if department.startswith("97"):
        if department not in _METRIC_EPSG:
            raise CRSError(
                f"unknown overseas department '{department}'; "
                f"known: {', '.join(k for k in _METRIC_EPSG if k != METROPOLE)}"
            )
        return department
    return METROPOLE


def metric_crs(territory: str) -> pyproj.CRS:
    """Metric CRS to measure distances and areas in one territory.

    Parameters
    ----------
    territory
        ``'metropole'``, an overseas department code (``'974'``), or any
        mainland department code (which maps to ``'metropole'``).

    Examples
    --------
    Lambert-93 on the mainland, RGR92 / UTM 40S in La Réunion:

    >>> from coverage.data.territory import metric_crs
    >>> metric_crs("metropole").to_epsg(), metric_crs("23").to_epsg(), metric_crs("974").to_epsg()
    (2154, 2154, 2975)
    """
    key = territory if territory in _METRIC_EPSG else territory_of_department(territory)
    return pyproj.CRS.from_epsg(_METRIC_EPSG[key])


def locate(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Territory key of each lon/lat point, ``''`` where it falls in none.

    Examples
    --------
    Paris, Saint-Denis de La Réunion, and a point in the Gulf of Guinea:

    >>> from coverage.data.territory import locate
    >>> locate([2.35, 55.45, 0.0], [48.85, -20.88, 0.0]).tolist()
    ['metropole', '974', '']
    """
    lon_arr = np.asarray(lon, dtype=np.float64)
    lat_arr = np.asarray(lat, dtype=np.float64)
    found = np.full(lon_arr.shape, "", dtype=object)
    for territory, (x0, y0, x1, y1) in BOUNDS.items():
        inside = (lon_arr >= x0) & (lon_arr <= x1) & (lat_arr >= y0) & (lat_arr <= y1)
        found[inside & (found == "")] = territory
    return found


def split_by_territory(
    frame: gpd.GeoDataFrame, *, department_column: str = "dep"
) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    """Yield ``(territory, rows projected to its metric CRS)`` for each territory.

    The territory comes from ``department_column`` when the frame has it,
    else from where each geometry's representative point lies.

    Raises
    ------
    CRSError
        The frame has no CRS, or a geometry lies in no known territory.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from coverage.data.territory import split_by_territory
    >>> frame = gpd.GeoDataFrame(
    ...     {"dep": ["23", "974", "75"]},
    ...     geometry=[Point(1.87, 46.17), Point(55.45, -20.88), Point(2.35, 48.85)],
    ...     crs=4326,
    ... )
    >>> [(territory, len(rows), rows.crs.to_epsg()) for territory, rows in split_by_territory(frame)]
    [('974', 1, 2975), ('metropole', 2, 2154)]
    """
    if frame.crs is None:
        raise CRSError("the layer has no CRS; set it with GeoDataFrame.set_crs(4326)")
    if department_column in frame.columns:
        keys = np.array(
            [territory_of_department(d) for d in frame[department_column].astype(str)], dtype=object
        )
    else:
        points = frame.geometry.to_crs(4326).representative_point()
        keys = locate(points.x.to_numpy(), points.y.to_numpy())
        if (keys == "").any():
            report = frame.attrs.get("load_report")
            source = getattr(report, "source", None) or "the layer"
            numbers = list(getattr(report, "file_rows", ())) or list(range(1, len(frame) + 1))
            if len(numbers) != len(frame):
                numbers = list(range(1, len(frame) + 1))
            outside = [numbers[i] for i in np.flatnonzero(keys == "")]
            shown = ", ".join(str(r) for r in outside[:10]) + (", ..." if len(outside) > 10 else "")
            raise CRSError(
                f"{source}: "
                + N_(
                    "{num_count} geometries lie outside every French territory (rows or features "
                    "{rows}); check the coordinates and the CRS of the layer"
                ).format(num_count=str(len(outside)), rows=shown)
            )
    for territory in sorted(set(keys)):
        yield territory, frame[keys == territory].to_crs(metric_crs(territory))
