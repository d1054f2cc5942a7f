"""What a reader did to a file: the load report it attaches to its result, and the file's row numbers.

Every reader ends in :func:`finish`, which attaches a :class:`LoadReport`
(rows read, kept, dropped and why, repaired geometries, warnings) to the frame
and logs it; :func:`report_of` reads it back. A reader that drops rows keeps the
file's own row numbers in the report, so problems found later name the row of
the file (:func:`file_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.errors import LayerValidationError, Problem

logger = logging.getLogger("coverage.data.layers")

__all__ = ["REPORT_ATTR", "LoadReport", "file_rows", "finish", "report_of", "row_numbers"]

#: The key of :attr:`pandas.DataFrame.attrs` under which a reader attaches its :class:`LoadReport`.
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
