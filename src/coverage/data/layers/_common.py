"""Shared machinery of the readers: reading tables, checking them, reporting.

Every reader follows the same steps: read the raw table with every column as
text, check the columns it needs, parse numbers and coordinates while
collecting every problem, raise one :class:`~coverage.errors.LayerValidationError`
when something is wrong with the values the user supplied, and drop (with a
count and a reason in the :class:`LoadReport`) the rows that the file's known
quirks make unusable.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
import logging
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data import territory
from coverage.data.i18n import N_
from coverage.errors import CRSError, LayerValidationError, MissingDataError, Problem

logger = logging.getLogger("coverage.data.layers")

REPORT_ATTR = "load_report"


@dataclass
class LoadReport:
    """What a reader did to a file: rows read, kept, dropped and why, warnings.

    Readers attach it to their result (``frame.attrs["load_report"]``, see
    :func:`report_of`) and log its summary.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    repaired_geometries: int = 0
    notes: list[str] = field(default_factory=list)
    #: The file's own 1-based data-row (or feature) number of every kept row, in order.
    file_rows: tuple[int, ...] = field(default=(), repr=False)

    def drop(self, reason: str, count: int) -> None:
        """Count ``count`` rows dropped for ``reason``."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def warn(self, problems: Iterable[Problem]) -> None:
        self.warnings.extend(problems)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def summary(self) -> str:
        parts = [f"{self.source}: {self.rows_read} rows read, {self.rows_kept} kept"]
        parts += [f"{n} dropped ({reason})" for reason, n in self.dropped.items()]
        if self.repaired_geometries:
            parts.append(f"{self.repaired_geometries} invalid geometries repaired")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warnings")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "repaired_geometries": self.repaired_geometries,
            "warnings": [str(w) for w in self.warnings],
            "notes": list(self.notes),
        }


def report_of(frame: pd.DataFrame) -> LoadReport:
    """The :class:`LoadReport` a reader attached to ``frame``.

    Raises
    ------
    KeyError
        ``frame`` carries no load report (it was not made by a reader).

    Examples
    --------
    A CSV of three sites, one of them without coordinates: the report tells what the reader did.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_points_csv, report_of
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = path.write_text(
    ...     "id;name;longitude;latitude\\nS1;Guéret;1.87;46.17\\nS2;Ahun;2.01;46.09\\nS3;Bourganeuf;;\\n",
    ...     encoding="utf-8",
    ... )
    >>> report = report_of(read_points_csv(path))
    >>> report.rows_read, report.rows_kept, report.dropped
    (3, 2, {'no coordinates': 1})
    >>> import pandas as pd
    >>> report_of(pd.DataFrame())
    Traceback (most recent call last):
    ...
    KeyError: 'this frame carries no load report (it was not made by a reader)'
    """
    try:
        report = frame.attrs[REPORT_ATTR]
    except KeyError:
        raise KeyError("this frame carries no load report (it was not made by a reader)") from None
    assert isinstance(report, LoadReport)
    return report


def finish(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Attach ``report`` to ``frame``, log it, and fail on an empty layer."""
    report.rows_kept = len(frame)
    if len(frame) == 0:
        raise LayerValidationError(
            Problem(
                report.source,
                f"no rows left after filtering ({report.rows_read} read; dropped: "
                f"{report.dropped or 'none'}); check that the file is the expected one",
            )
        )
    if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1:
        report.file_rows = report.file_rows if len(report.file_rows) == len(frame) else ()
    else:  # rows were dropped: keep the file's numbers before renumbering
        report.file_rows = tuple(int(r) for r in row_numbers(frame))
    frame = frame.reset_index(drop=True)
    frame.attrs[REPORT_ATTR] = report
    logger.info(report.summary())
    for warning in report.warnings[:20]:
        logger.warning(str(warning))
    if len(report.warnings) > 20:
        logger.warning("%s: %d more warnings", report.source, len(report.warnings) - 20)
    return frame


class Problems:
    """Collects problems of one source, then raises them all at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []

    def add(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.items.append(Problem(self.source, message, row=row, column=column))

    def add_rows(
        self,
        rows: Sequence[int] | npt.NDArray[np.int64],
        column: str | None,
        message: str,
        *,
        values: Sequence[object] = (),
    ) -> None:
        """Add one problem per row; ``values`` are shown as what was received."""
        for i, row in enumerate(rows):
            if i < len(values):
                text = N_("{message} (received {value})").format(message=message, value=repr(values[i]))
            else:
                text = message
            self.add(text, row=int(row), column=column)

    def raise_if_any(self) -> None:
        if self.items:
            raise LayerValidationError(self.items)


# --------------------------------------------------------------------------- reading


def check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise MissingDataError(f"{path}: " + N_("file not found; check the path (or the data directory)"))
    if path.is_dir():
        raise MissingDataError(f"{path}: is a folder, a file was expected")
    if path.stat().st_size == 0:
        raise LayerValidationError(Problem(str(path), "the file is empty"))
    return path


def read_text_table(path: str | Path, *, sep: str | None = None) -> pd.DataFrame:
    """Read a delimited text file with every column as text (``''`` when empty).

    ``sep=None`` sniffs ``;``, ``,`` or tab from the header line.
    """
    path = check_path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"not UTF-8 text (byte {exc.start}); re-save the file as UTF-8")
        ) from None
    if sep is None:
        counts = {s: header.count(s) for s in (";", ",", "\t")}
        sep = max(counts, key=lambda s: counts[s])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = _read_csv(path, sep)
        for caught_warning in caught:
            if issubclass(caught_warning.category, pd.errors.ParserWarning):
                logger.warning("%s: rows with more fields than the header (a trailing '%s'?)", path, sep)
            else:
                warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    except UnicodeDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"not UTF-8 text (byte {exc.start}); re-save the file as UTF-8")
        ) from None
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"line {line.group(1)}" if line else "somewhere"
        raise LayerValidationError(
            Problem(
                str(path),
                f"cannot be parsed as '{sep}'-separated text at {where}: {exc}; "
                "check for unbalanced quotes or a wrong number of fields",
            )
        ) from None
    except pd.errors.EmptyDataError:
        raise LayerValidationError(Problem(str(path), "the file has no header line")) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_last_row(path, sep, frame)
    return frame


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    return pd.read_csv(
        path,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        skipinitialspace=False,
        index_col=False,  # a trailing separator must not turn the first column into the index
    )


_DECIMAL = re.compile(r"^\s*[+-]?\d+(?:[.,](\d*))?\s*$")


def _check_last_row(path: Path, sep: str, frame: pd.DataFrame) -> None:
    """A file cut short ends mid-line: refuse it, naming the row (and the column when a number was cut).

    Two signs, both only when the file does not end with a line break: the last
    row has fewer fields than the header, or its last field is a number with
    fewer decimals than that column has in every other row (``9.5`` where the
    others read ``9.5432``). A complete file can end without a line break; the
    message says to add one when the row is whole.
    """
    n_rows, n_columns = len(frame), len(frame.columns)
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65_536))
        tail = handle.read()
    if not n_rows or not tail or tail.endswith((b"\n", b"\r")):
        return
    last = tail.splitlines()[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last], delimiter=sep), [])
    if len(fields) < n_columns:
        raise LayerValidationError(
            Problem(
                str(path),
                f"the last row has {len(fields)} of the {n_columns} fields of the header and the file "
                "ends in the middle of a line: it looks cut short; copy or download it again",
                row=n_rows,
            )
        )
    if len(fields) != n_columns or n_rows < 3:
        return
    column = frame.columns[-1]
    cut = _decimals(str(frame[column].iloc[-1]))
    others = [_decimals(value) for value in frame[column].iloc[:-1].astype(str) if value.strip()]
    if cut is None or len(others) < 2 or None in others or cut >= min(others):  # type: ignore[type-var]
        return
    raise LayerValidationError(
        Problem(
            str(path),
            f"the file ends in the middle of a line and the last value '{frame[column].iloc[-1]}' has "
            f"{cut} decimals where every other row has at least {min(others)}: the file looks cut short; "
            "copy or download it again (if this row is complete, end the file with a line break)",
            row=n_rows,
            column=str(column),
        )
    )


def _decimals(text: str) -> int | None:
    """Digits after the decimal mark of a number written as text (0 for an integer); None if not a number."""
    match = _DECIMAL.match(text)
    if match is None:
        return None
    return len(match.group(1) or "")


def load_json(path: Path) -> object:
    """Parse a JSON file, naming the file and the place of a syntax error."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"not UTF-8 text (byte {exc.start}); re-save the file as UTF-8")
        ) from None
    except json.JSONDecodeError as exc:
        raise LayerValidationError(
            Problem(str(path), f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        ) from None


def read_json_records(path: str | Path) -> pd.DataFrame:
    """Read a JSON array of flat objects, every value as text (``''`` when absent)."""
    path = check_path(path)
    data = load_json(path)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LayerValidationError(Problem(str(path), "expected a JSON array of objects ([{...}, {...}])"))
    frame = pd.DataFrame.from_records(data)
    return frame.map(as_text) if len(frame) else frame


def as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- checking


def require_columns(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    """Raise one error listing every missing column, with the closest present name."""
    problems = Problems(source)
    present = [str(c) for c in frame.columns]
    for column in columns:
        if column not in present:
            close = difflib.get_close_matches(column, present, n=1, cutoff=0.6)
            listed = ", ".join(present[:12]) + (", ..." if len(present) > 12 else "")
            if close:
                text = N_("missing column '{column}'; did you mean '{close}'? (columns present: {present})")
            else:
                text = N_("missing column '{column}' (columns present: {present})")
            problems.add(
                text.format(column=column, close=close[0] if close else "", present=listed), column=column
            )
    if problems.items and len(present) == 1 and any(s in present[0] for s in (";", ",", "\t")):
        problems.add(N_("the whole header is one column: is the separator right?"))
    problems.raise_if_any()


_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_numbers(
    values: pd.Series,
    column: str,
    problems: Problems,
    *,
    french: bool = False,
    allow_missing: bool = True,
    people: bool = False,
) -> npt.NDArray[np.float64]:
    """Parse text to floats, adding a problem for every unparsable cell.

    ``french=True`` accepts ``'6 490'`` and ``'55,3'`` (spaces, no-break spaces
    and narrow no-break spaces as thousands separators, comma as decimal mark).
    Missing cells become NaN, or a problem when ``allow_missing`` is false.
    ``people=True`` (a population or a need) refuses values below 0 or above
    :data:`MAX_PEOPLE`, where they are read (``'-1 200'`` is not -1200 people).
    """
    text = values.astype(str).str.strip()
    if french:
        text = text.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
    missing = text.eq("") | text.str.lower().isin(["nan", "null", "none", "na", "n/a"])
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    bad = np.isnan(numbers) & ~missing.to_numpy()
    bad |= np.isinf(numbers)
    if bad.any():
        text = (
            N_("not a number (French format like '6 490' or '55,3' is expected)")
            if french
            else N_("not a number")
        )
        problems.add_rows(row_numbers(values)[bad], column, text, values=list(values[bad]))
    if not allow_missing and missing.any():
        problems.add_rows(row_numbers(values)[missing.to_numpy()], column, N_("value is missing"))
    numbers[bad] = np.nan
    if people:
        check_people(numbers, values, column, problems)
    return numbers


#: More people than France has: no population or need of one row may exceed it.
MAX_PEOPLE = 1e8


def check_people(
    numbers: npt.NDArray[np.float64], values: pd.Series, column: str, problems: Problems
) -> npt.NDArray[np.bool_]:
    """Add a problem for each count of people below 0 or above :data:`MAX_PEOPLE`; return that mask."""
    with np.errstate(invalid="ignore"):
        negative = numbers < 0
        huge = numbers > MAX_PEOPLE
    rows = row_numbers(values)
    problems.add_rows(
        rows[negative], column, "a number of people must be >= 0", values=list(values[negative])
    )
    problems.add_rows(
        rows[huge],
        column,
        f"a number of people above {MAX_PEOPLE:,.0f} (more than France's population); check the column",
        values=list(values[huge]),
    )
    return negative | huge


def row_numbers(frame: pd.Series | pd.DataFrame) -> npt.NDArray[np.int64]:
    """1-based data-row numbers of the rows of a frame read by this module."""
    return np.asarray(frame.index, dtype=np.int64) + 1


def file_rows(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The file's own 1-based row (or feature) number of each row of a layer a reader returned.

    A reader that dropped rows (no coordinates, empty geometry) renumbers the
    rows it keeps; problems found later must still name the row of the file.
    """
    report = frame.attrs.get(REPORT_ATTR)
    if isinstance(report, LoadReport) and len(report.file_rows) == len(frame):
        return np.asarray(report.file_rows, dtype=np.int64)
    return np.arange(len(frame), dtype=np.int64) + 1


def check_lonlat(
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    problems: Problems,
    *,
    columns: tuple[str, str],
) -> npt.NDArray[np.object_]:
    """Check coordinates fall in a French territory; return each row's territory.

    Rows with NaN coordinates are left to the caller (territory ``''``).
    A point that is in France once latitude and longitude are exchanged is
    reported as swapped.
    """
    found = territory.locate(lon, lat)
    present = ~(np.isnan(lon) | np.isnan(lat))
    outside = present & (found == "")
    if outside.any():
        swapped = territory.locate(lat, lon) != ""
        lon_col, lat_col = columns
        for i in np.flatnonzero(outside):
            if swapped[i]:
                message = N_(
                    "latitude and longitude look swapped ({lon_col}={lon}, {lat_col}={lat}); "
                    "exchange the '{lat_col}' and '{lon_col}' values"
                )
            else:
                message = N_(
                    "coordinates outside France ({lon_col}={lon}, {lat_col}={lat}); "
                    "expected WGS84 decimal degrees of a point in France"
                )
            message = message.format(lon_col=lon_col, lat_col=lat_col, lon=lon[i], lat=lat[i])
            problems.add(message, row=int(rows[i]), column=f"{lat_col}/{lon_col}")
    return found


def check_unique(values: pd.Series, column: str, problems: Problems) -> None:
    """Add a problem for every repeated, non-empty id."""
    text = values.astype(str)
    duplicated = text.duplicated(keep="first") & text.ne("")
    if duplicated.any():
        first_seen = {v: r for v, r in zip(text[::-1], row_numbers(values)[::-1], strict=True)}
        for row, value in zip(row_numbers(values)[duplicated.to_numpy()], text[duplicated], strict=True):
            problems.add(
                N_("duplicate id {value} (first seen at row {row}); ids must be unique").format(
                    value=repr(value), row=first_seen[value]
                ),
                row=int(row),
                column=column,
            )


_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def normalise_insee(values: pd.Series) -> pd.Series:
    """Zero-pad INSEE codes that lost their leading zero (``'1001'`` -> ``'01001'``); Corsica's old codes.

    Corsican communes written with the pre-1976 department ``20`` (``'20004'``)
    get their code of today, ``'2A004'`` or ``'2B004'`` (a commune's number is
    unique across the two departments); a ``20xxx`` code that is no Corsican
    commune is left as it is (and reported by the caller's checks).
    """
    text = values.astype(str).str.strip().str.upper()
    short = text.str.fullmatch(r"\d{4}")
    text = text.where(~short, "0" + text)
    old_corsica = text.str.fullmatch(r"20\d{3}")
    if old_corsica.any():
        corsica = _corsican_codes()
        text = text.where(~old_corsica, text.map(lambda code: corsica.get(code[2:], code)))
    return text


@functools.cache
def _corsican_codes() -> dict[str, str]:
    """Commune number -> ``'2Axxx'`` / ``'2Bxxx'``, from the embedded communes."""
    from coverage.data.embedded import load_communes

    codes = load_communes()["insee_com"]
    codes = codes[codes.str.match(r"2[AB]\d{3}$")]
    return {code[2:]: code for code in codes}


def check_insee(values: pd.Series, column: str, problems: Problems) -> None:
    """Add a problem for every non-empty value that is not an INSEE commune code."""
    text = values.astype(str)
    bad = text.ne("") & ~text.str.match(_INSEE)
    if bad.any():
        problems.add_rows(
            row_numbers(values)[bad.to_numpy()],
            column,
            "not an INSEE commune code (5 characters such as '01001' or '2A004')",
            values=list(values[bad]),
        )


def points_frame(
    frame: pd.DataFrame, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> gpd.GeoDataFrame:
    """A GeoDataFrame of points in EPSG:4326."""
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def french_department(code: str) -> str:
    """Normalise a department code: ``'1'`` -> ``'01'``, ``'2a'`` -> ``'2A'``, ``'971'`` kept."""
    code = str(code).strip().upper()
    if code.isdigit() and len(code) == 1:
        return "0" + code
    return code


def repair_geometries(frame: gpd.GeoDataFrame, report: LoadReport) -> gpd.GeoDataFrame:
    """Drop missing or empty geometries and repair invalid ones, counting both."""
    geometry = frame.geometry
    empty = geometry.isna() | geometry.is_empty
    report.drop("missing or empty geometry", int(empty.sum()))
    frame = frame[~empty.to_numpy()].copy()
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        report.repaired_geometries += int(invalid.sum())
        frame.loc[invalid, frame.geometry.name] = frame.geometry[invalid].make_valid()
    return frame


def insee_codes(values: pd.Series, column: str, problems: Problems, *, unique: bool = True) -> pd.Series:
    """Zero-padded INSEE codes; missing, malformed and (``unique``) repeated ones are problems."""
    codes = normalise_insee(values)
    missing = codes.eq("")
    if missing.any():
        problems.add_rows(row_numbers(values)[missing.to_numpy()], column, "INSEE code is missing")
    check_insee(codes, column, problems)
    if unique:
        check_unique(codes, column, problems)
    return codes


def check_crs_matches(frame: gpd.GeoDataFrame, source: str) -> None:
    """Raise CRSError when the declared CRS cannot be that of the coordinates."""
    if not len(frame):
        return
    x0, y0, x1, y1 = frame.total_bounds
    reach = f"x={max(abs(x0), abs(x1)):.3f}, y={max(abs(y0), abs(y1)):.3f}"
    beyond_degrees = max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90
    crs = frame.crs
    if crs.is_geographic and beyond_degrees:
        raise CRSError(
            f"{source}: "
            + N_(
                "the CRS does not match the coordinates: {crs} is in degrees but coordinates reach "
                "{reach}, which look like projected metres; set the right CRS with "
                "GeoDataFrame.set_crs(2154, allow_override=True) (Lambert-93, or the CRS the data "
                "was made in) and save the file again"
            ).format(crs=crs.to_string(), reach=reach)
        )
    if crs.is_projected and not beyond_degrees:
        raise CRSError(
            f"{source}: "
            + N_(
                "the CRS does not match the coordinates: {crs} is projected but coordinates only "
                "reach {reach}, which look like degrees; set it with "
                "GeoDataFrame.set_crs(4326, allow_override=True) and save the file again"
            ).format(crs=crs.to_string(), reach=reach)
        )
