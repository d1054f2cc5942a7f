"""Size limits of layers, stated and checked before a file is read.

:func:`count_rows` counts the rows of a file cheaply (newlines of a text
table, the feature count GDAL keeps for a vector layer, the row count of a
Parquet file's metadata) and :func:`check_rows` refuses a file above a limit
with a :class:`~coverage.errors.LimitExceededError` that names the file, the
count and the limit, before anything loads the file into memory.
"""

from __future__ import annotations

from pathlib import Path

from coverage.data.i18n import N_
from coverage.errors import LayerValidationError, LimitExceededError, Problem, out_of_resources

__all__ = ["MAX_LAYER_ROWS", "check_rows", "count_rows"]

#: Most rows (or features) a layer read by :func:`coverage.data.layers.read_layer` may hold.
#: France has about 35,000 communes and 50,000 IRIS; two million leaves room for any grid
#: of units while keeping the reach and the model within a machine's memory.
MAX_LAYER_ROWS = 2_000_000


def count_rows(path: str | Path, *, layer: str | None = None) -> int:
    """Rows of a text table (lines after the header) or features of a vector layer, without reading it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = path.write_text("site_id;longitude;latitude\\nA;1.87;46.17\\nB;2.17;45.96\\n", encoding="utf-8")
    >>> count_rows(path)
    2
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        lines, last = 0, b"\n"
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"  # a last line without its newline
        return max(0, lines - 1)
    if suffix in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
            if out_of_resources(exc):
                raise
            raise LayerValidationError(Problem(str(path), f"cannot read the file: {exc}")) from None
    import pyogrio

    location = str(path)
    if suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            shapefiles = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        inner = layer if layer in shapefiles else (shapefiles[0] if shapefiles else "")
        location, layer = f"zip://{path}!{inner}", None
    try:
        count = int(pyogrio.read_info(location, layer=layer, force_feature_count=True)["features"])
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        if out_of_resources(exc):
            raise
        raise LayerValidationError(Problem(str(path), f"cannot read the file: {exc}")) from None
    return max(0, count)


def check_rows(path: str | Path, limit: int | None, *, layer: str | None = None, what: str = "rows") -> int:
    """The row count of ``path``; :class:`LimitExceededError` when it is above ``limit`` (None: no limit).

    -1 when the file cannot be counted (its reader then reports why).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = path.write_text("site_id;longitude;latitude\\nA;1.87;46.17\\nB;2.17;45.96\\n", encoding="utf-8")
    >>> check_rows(path, 1)
    Traceback (most recent call last):
    ...
    coverage.errors.LimitExceededError: .../sites.csv: 2 rows, above the limit of 1; ...
    """
    try:
        count = count_rows(path, layer=layer)
    except LayerValidationError:
        return -1  # unreadable: the reader says why, in its own words
    if limit is not None and count > limit:
        raise LimitExceededError(
            f"{path}: "
            + N_(
                "{num_count} {message_what}, above the limit of {num_limit}; keep only the rows of the "
                "territory you plan (or aggregate the units), then read the file again"
            ).format(num_count=f"{count:,}", message_what=what, num_limit=f"{limit:,}")
        )
    return count
