"""Uploads of the map app: file checks, column mapping, reading through the library's readers.

An upload is checked and saved by :mod:`coverage.app.upload_files` (re-exported
here) before anything reads it: its size (at most
:data:`MAX_UPLOAD_BYTES`), its type (:data:`UPLOAD_SUFFIXES`; a zip must
hold a shapefile), a zip's unzipped size (at most :data:`MAX_UNZIPPED_BYTES`,
from the zip's directory, nothing extracted) and its rows or features (at most
:data:`MAX_UPLOAD_FEATURES`, counted without reading the layer); a refused
file is deleted at once. It is then saved under a fresh name in a folder of the
caller's and read only by :func:`coverage.data.layers.read_layer` (pyogrio and
pandas: nothing is executed or unpickled). Problems are raised as
:class:`~coverage.errors.LayerValidationError`, whose message names the file,
rows and columns.

:func:`read_sites_upload` returns candidate sites in the library's schema and
writes them as a GeoJSON file a scenario can name as a site layer
(``[sites.<layer>] source = "<path>"``), so the run and the exported scenario
TOML read the same sites. :func:`read_demand_upload` reads demand units the
same way, and :func:`save_demand_layer` writes them as the GeoJSON file of a
scenario's ``demand.source``: the solve then uses them instead of the demand
built from the communes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from coverage.app.upload_files import (
    ENCODINGS,  # noqa: F401 (re-exported: its public path before the split)
    MAX_UNZIPPED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FEATURES,
    UPLOAD_SUFFIXES,
    UPLOADS_ENV,  # noqa: F401 (re-exported: the app command sets it)
    detect_encoding,
    save_upload,
    store_layer,
    upload_store,
)
from coverage.data.i18n import N_
from coverage.errors import LayerValidationError, Problem

__all__ = [
    "MAX_UNZIPPED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_FEATURES",
    "UPLOAD_SUFFIXES",
    "ColumnMapping",
    "columns_of",
    "detect_encoding",
    "read_demand_upload",
    "read_sites_upload",
    "save_demand_layer",
    "save_upload",
    "store_layer",
    "upload_store",
]


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of an uploaded file holds what.

    ``id`` is required; ``name``, ``capacity`` and ``cost`` (sites) and
    ``need`` (demand) are optional; ``lon`` and ``lat`` apply to CSV files only.
    """

    id: str
    name: str | None = None
    capacity: str | None = None
    cost: str | None = None
    need: str | None = None
    lon: str = "longitude"
    lat: str = "latitude"


def columns_of(path: str | Path) -> list[str]:
    """Column names of an upload saved by :func:`save_upload` (for the column-mapping step).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = (
    ...     "code;nom;longitude;latitude;personnes\\n"
    ...     "LIM-1;Limoges centre;1.2611;45.8336;1200\\n"
    ...     "GUE-1;Guéret gare;1.8717;46.1703;450\\n"
    ... ).encode()
    >>> columns_of(save_upload("lieux.csv", data, folder))
    ['code', 'nom', 'longitude', 'latitude', 'personnes']
    """
    path = Path(path)
    if path.suffix == ".csv":
        from coverage.data.layers._common import read_text_table

        return list(read_text_table(path).columns)
    from pyogrio import read_info

    location = str(path)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            inner = next(n for n in archive.namelist() if n.lower().endswith(".shp"))
        location = f"zip://{path}!{inner}"
    try:
        return [str(field) for field in read_info(location)["fields"]]
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise LayerValidationError(
            Problem(path.name, N_("cannot read the file: {message}").format(message=exc))
        ) from None


def _renames(mapping: ColumnMapping, targets: Mapping[str, str | None]) -> dict[str, str]:
    return {source: target for target, source in targets.items() if source and source != target}


def read_sites_upload(
    path: str | Path, mapping: ColumnMapping, *, partner: str, out: str | Path
) -> gpd.GeoDataFrame:
    """Candidate sites from an upload, also written to ``out`` (GeoJSON) for a scenario's site layer.

    Raises
    ------
    LayerValidationError, CRSError
        From :func:`coverage.data.layers.read_layer` and :func:`coverage.inputs.sites.sites_from_file`.

    Examples
    --------
    Two places of an association, from a CSV with its own column names:

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = (
    ...     "code;nom;longitude;latitude;personnes\\n"
    ...     "LIM-1;Limoges centre;1.2611;45.8336;1200\\n"
    ...     "GUE-1;Guéret gare;1.8717;46.1703;450\\n"
    ... ).encode()
    >>> path = save_upload("lieux.csv", data, folder)
    >>> mapping = ColumnMapping(id="code", name="nom")
    >>> sites = read_sites_upload(path, mapping, partner="asso", out=folder / "asso.geojson")
    >>> sites["site_id"].tolist(), sites["name"].tolist()
    (['asso:LIM-1', 'asso:GUE-1'], ['Limoges centre', 'Guéret gare'])
    >>> sites["partner"].tolist(), sites["capacity"].tolist()
    (['asso', 'asso'], [1, 1])
    >>> (folder / "asso.geojson").is_file()  # the file a scenario's site layer names
    True
    """
    from coverage.data.layers import read_layer
    from coverage.inputs.site_sources import sites_from_file

    targets = {
        "site_id": mapping.id,
        "name": mapping.name,
        "capacity": mapping.capacity,
        "cost": mapping.cost,
    }
    renames = _renames(mapping, targets)
    frame = read_layer(path, columns=renames, id_column="site_id", lon=mapping.lon, lat=mapping.lat)
    keep = [c for c in ("site_id", "name", "capacity", "cost") if c in frame.columns]
    if mapping.cost is not None:  # each bad cost named by the uploaded file's row, before it is rewritten
        from coverage.inputs.site_sources import check_costs

        check_costs(frame, "cost", source=str(path), named=mapping.cost)
    out = Path(out)
    frame[[*keep, "geometry"]].to_file(out, driver="GeoJSON", engine="pyogrio")
    capacity: int | str = "capacity" if "capacity" in frame.columns else 1
    cost = "cost" if mapping.cost is not None else None
    return sites_from_file(out, partner=partner, kind=out.stem, capacity=capacity, cost=cost)


def read_demand_upload(path: str | Path, mapping: ColumnMapping) -> gpd.GeoDataFrame:
    """Demand units from an upload: ``unit_id``, ``name``, ``need`` (a number >= 0) and geometry.

    Read by :func:`coverage.inputs.demand.demand_from_file`, the reader a scenario's
    ``demand.source`` goes through: polygons are taken at their representative
    point, and every unit must lie in a commune.

    Raises
    ------
    LayerValidationError
        The need column is missing or holds values that are not numbers >= 0,
        units lie outside every commune (every row named), and every problem of
        :func:`coverage.data.layers.read_layer`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = (
    ...     "code;nom;longitude;latitude;personnes\\n"
    ...     "LIM-1;Limoges centre;1.2611;45.8336;1200\\n"
    ...     "GUE-1;Guéret gare;1.8717;46.1703;450\\n"
    ... ).encode()
    >>> path = save_upload("besoins.csv", data, folder)
    >>> units = read_demand_upload(path, ColumnMapping(id="code", name="nom", need="personnes"))
    >>> list(units.columns)
    ['unit_id', 'name', 'need', 'geometry']
    >>> units["unit_id"].tolist(), units["need"].tolist()
    (['LIM-1', 'GUE-1'], [1200.0, 450.0])
    >>> read_demand_upload(path, ColumnMapping(id="code"))
    Traceback (most recent call last):
    ...
    coverage.errors.LayerValidationError: 1 problem:
      besoins.csv: choose the column that holds the need
    """
    from coverage.inputs.demand import demand_from_file

    if mapping.need is None:
        raise LayerValidationError(Problem(Path(path).name, N_("choose the column that holds the need")))
    units = demand_from_file(
        path,
        id_column=mapping.id,
        need_column=mapping.need,
        name_column=mapping.name,
        lon=mapping.lon,
        lat=mapping.lat,
    )
    return units[["unit_id", "name", "need", "geometry"]]


def save_demand_layer(units: gpd.GeoDataFrame, folder: str | Path) -> dict[str, str]:
    """Write uploaded demand units as GeoJSON; return the scenario overrides that solve with them.

    ``units`` come from :func:`read_demand_upload`. The file is named after its
    content's SHA-256 (a new upload never reuses the cached inputs of an older
    one). The overrides (``KEY.PATH -> TOML value``) set ``demand.source`` to
    the file, and ``demand.qpv_units = "none"`` and ``demand.use_fragility =
    false``, which apply to the communes' units only.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = (
    ...     "code;nom;longitude;latitude;personnes\\n"
    ...     "LIM-1;Limoges centre;1.2611;45.8336;1200\\n"
    ...     "GUE-1;Guéret gare;1.8717;46.1703;450\\n"
    ... ).encode()
    >>> path = save_upload("besoins.csv", data, folder)
    >>> units = read_demand_upload(path, ColumnMapping(id="code", name="nom", need="personnes"))
    >>> overrides = save_demand_layer(units, folder)
    >>> sorted(overrides)
    ['demand.qpv_units', 'demand.source', 'demand.use_fragility']
    >>> overrides["demand.source"]
    '"...demand-....geojson"'

    The demo solved on these two units instead of the communes:

    >>> from coverage.app.settings import load_view
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = run_scenario(load_view(shipped_scenario("demo"), overrides))
    >>> len(run.demand), run.plan.total_need
    (2, 1650.0)
    """
    import hashlib
    import json

    text = units[["unit_id", "name", "need", "geometry"]].to_crs(4326).to_json(drop_id=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    out = Path(folder) / f"demand-{digest}.geojson"
    out.write_text(text, encoding="utf-8")
    return {
        "demand.source": json.dumps(str(out.resolve())),
        "demand.qpv_units": json.dumps("none"),
        "demand.use_fragility": "false",
    }
