"""Reading text files: delimited tables and JSON records, every value as text, each problem located.

Split from :mod:`coverage.data.layers._common`, which re-exports these names.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.errors import LayerValidationError, MissingDataError, Problem

logger = logging.getLogger("coverage.data.layers")


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
