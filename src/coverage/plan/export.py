"""Writing the tables of a solved plan to disk atomically.

The writers behind the exports of :class:`coverage.plan.plan.Plan`; the tables
themselves come from :mod:`coverage.plan.tables` and :mod:`coverage.plan.kpis`.

Files: a GeoPackage with one layer per table (KPIs and slots as *attribute
tables*, layers without geometry that GDAL writes and QGIS opens as tables);
one GeoJSON file per table in EPSG:4326 (``null`` geometries for non-spatial
tables); one CSV per table (geometry as WKT in the table's CRS); one Parquet
per table (GeoParquet when spatial); one JSON document. Each write goes to a
temporary folder beside the target, then :func:`os.replace`: a failure leaves
neither a partial file nor the temporary folder. Folder exports create the
folder when missing and move files in once every table is written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from coverage.errors import CRSError

logger = logging.getLogger(__name__)

__all__ = [
    "FORMULA_PREFIXES",
    "atomic_path",
    "formula_safe",
    "jsonable",
    "records",
    "require_geometry",
    "write_gpkg",
    "write_json",
    "write_tables",
]

Tables = Mapping[str, pd.DataFrame]

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula made plain text.

    A text cell starting with one of :data:`FORMULA_PREFIXES` gets a leading
    ``'`` (the spreadsheets' own "this is text" mark), so a site named
    ``=HYPERLINK("http://x", "click")`` is shown, not run, when the CSV is
    opened in Excel or LibreOffice. Numbers (negative ones included) are left
    as they are; every CSV the library writes goes through this.

    Examples
    --------
    >>> import pandas as pd
    >>> names = ["=HYPERLINK('http://x')", "Guéret", "-1+2", "@SUM(A1)"]
    >>> frame = pd.DataFrame({"name": names, "need": [-3.0, 1.0, 2.0, 4.0]})
    >>> formula_safe(frame)["name"].tolist()
    ["'=HYPERLINK('http://x')", 'Guéret', "'-1+2", "'@SUM(A1)"]
    >>> formula_safe(frame)["need"].tolist()
    [-3.0, 1.0, 2.0, 4.0]
    """
    out = pd.DataFrame(frame).copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = [
                "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v for v in values
            ]
    return out


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Raises
    ------
    FileNotFoundError
        When the folder of ``target`` does not exist (nothing is created).
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {target.parent} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        partial = workdir / target.name
        yield partial
        os.replace(partial, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def require_geometry(tables: Tables, names: tuple[str, ...], what: str) -> None:
    """Raise ValueError unless each of ``names`` is a GeoDataFrame, CRSError if it has no CRS."""
    for name in names:
        frame = tables[name]
        if not isinstance(frame, gpd.GeoDataFrame):
            raise ValueError(
                f"{what} needs geometry, but the plan's '{name}' table has none: build the plan from "
                "GeoDataFrames (demand and sites with a geometry column and a CRS), or export with "
                "to_csv, to_parquet or to_json"
            )
        if frame.crs is None:
            raise CRSError(
                f"{what}: the plan's '{name}' table has no CRS; set it on the input "
                "with GeoDataFrame.set_crs(4326)"
            )


def write_gpkg(tables: Tables, path: str | os.PathLike[str]) -> Path:
    """Write each table as a layer of one GeoPackage (attribute tables for non-spatial ones)."""
    target = Path(path)
    with atomic_path(target) as partial:
        for name, frame in tables.items():
            frame = frame.copy()
            frame.attrs = {}  # readers' load reports are not serialisable
            pyogrio.write_dataframe(frame, partial, layer=name, driver="GPKG")
    logger.info("wrote %d layers to %s", len(tables), target)
    return target


def write_tables(
    tables: Tables, folder: str | os.PathLike[str], suffix: Literal[".geojson", ".csv", ".parquet"]
) -> list[Path]:
    """Write ``<name><suffix>`` per table into ``folder`` (created when missing).

    GeoJSON in EPSG:4326 with null geometries for non-spatial tables; CSV with
    geometry as WKT; Parquet as GeoParquet for spatial tables. Every table is
    written into a temporary folder first, then each file is moved into place.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".plan-export.", suffix=".tmp", dir=folder))
    try:
        for name, frame in tables.items():
            frame = frame.copy()
            frame.attrs = {}
            spatial, partial = isinstance(frame, gpd.GeoDataFrame), workdir / f"{name}{suffix}"
            if suffix == ".geojson":
                pyogrio.write_dataframe(frame.to_crs(4326) if spatial else frame, partial, driver="GeoJSON")
            elif suffix == ".csv":
                formula_safe(pd.DataFrame(frame.to_wkt()) if spatial else frame).to_csv(partial, index=False)
            else:
                frame.to_parquet(partial, index=False)
        targets = [folder / f"{name}{suffix}" for name in tables]
        for target in targets:
            os.replace(workdir / target.name, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    logger.info("wrote %d %s tables to %s", len(targets), suffix, folder)
    return targets


def write_json(document: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a JSON-able mapping as UTF-8 JSON (strict: NaN is refused, use None)."""
    target = Path(path)
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    with atomic_path(target) as partial:
        partial.write_text(text + "\n", encoding="utf-8")
    return target


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a non-spatial table as JSON-able dicts (NaN -> None, numpy -> Python)."""
    plain = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return [{str(k): jsonable(v) for k, v in row.items()} for row in plain.to_dict(orient="records")]


def jsonable(value: Any) -> Any:
    """A value as JSON-able Python (dicts walked): NaN/NA -> None, numpy numbers -> int/float."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or (
        not isinstance(value, str | bytes) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
