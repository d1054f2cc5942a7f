"""Shared machinery of the readers: reading tables, checking them, reporting.

Every reader follows the same steps: read the raw table with every column as
text, check the columns it needs, parse numbers and coordinates while
collecting every problem, raise one :class:`~coverage.errors.LayerValidationError`
when something is wrong with the values the user supplied, and drop (with a
count and a reason in the :class:`LoadReport`) the rows that the file's known
quirks make unusable.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data import territory
from coverage.data.i18n import N_
from coverage.data.layers.report import (  # noqa: F401 (re-exported: the readers import them from here)
    REPORT_ATTR,
    LoadReport,
    file_rows,
    finish,
    report_of,
    row_numbers,
)
from coverage.data.layers.text_files import (  # noqa: F401 (re-exported: the readers import them from here)
    as_text,
    check_path,
    load_json,
    read_json_records,
    read_text_table,
)
from coverage.errors import CRSError, LayerValidationError, Problem

logger = logging.getLogger("coverage.data.layers")


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
