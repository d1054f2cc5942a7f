"""The files of a run folder: their names, and the folder read back.

:func:`coverage.scenario.output.write_run` writes the files named here
(:data:`RUN_FILES`, and :data:`ROLLOUT_FILES` with a rollout);
:func:`read_run` reads a folder back (its summary and CSV tables) for
:mod:`coverage.scenario.compare` and the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from coverage.errors import MissingDataError
from coverage.scenario.lock import LOCK_FILE

__all__ = ["KPI_TABLES", "ROLLOUT_FILES", "RUN_FILES", "RUN_MARKER", "RunOutput", "read_run"]

#: The KPI tables written as ``kpis_<by>.csv``.
KPI_TABLES: tuple[Literal["department", "partner", "zone"], ...] = ("department", "partner", "zone")

#: Every file of a run folder (``map.html`` is left out with ``with_map=False``).
RUN_FILES = (
    "plan.gpkg",
    *(f"kpis_{by}.csv" for by in KPI_TABLES),
    "open_sites.csv",
    "map.html",
    "summary.json",
    LOCK_FILE,
)

#: The marker file of a run folder: ``--force`` replaces only a folder holding it.
RUN_MARKER = ".coverage-run"
#: Files written on top of :data:`RUN_FILES` when the plan has a rollout (before ``summary.json``).
ROLLOUT_FILES = ("trajectory.csv", "trajectory.png")

#: Every file a run may write, in the order :func:`~coverage.scenario.output.write_run` lists them.
WRITE_ORDER = (
    *RUN_FILES[: RUN_FILES.index("summary.json")],
    *ROLLOUT_FILES,
    *RUN_FILES[RUN_FILES.index("summary.json") :],
)

#: Files :func:`read_run` needs.
_NEEDED = ("summary.json", "open_sites.csv", *(f"kpis_{by}.csv" for by in KPI_TABLES))


@dataclass(frozen=True)
class RunOutput:
    """A run folder read back: ``summary.json`` and the CSV tables."""

    folder: Path
    summary: dict[str, Any]
    open_sites: pd.DataFrame
    kpis: dict[str, pd.DataFrame]
    #: ``trajectory.csv`` of a run with a rollout, else None.
    trajectory: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.folder.name


def read_run(folder: str | Path) -> RunOutput:
    """Read a folder written by :func:`~coverage.scenario.output.write_run`.

    Raises
    ------
    MissingDataError
        ``folder`` is not a run folder (every missing file is named).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.output import write_run
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "demo-5"
    >>> _ = write_run(run, folder, with_map=False)
    >>> output = read_run(folder)
    >>> output.name, output.summary["summary"]["open_sites"], len(output.open_sites)
    ('demo-5', 5, 5)
    >>> sorted(output.kpis), list(output.kpis["department"]["dep"])
    (['department', 'partner', 'zone'], ['23', '87'])
    >>> read_run(folder.parent)
    Traceback (most recent call last):
    ...
    coverage.errors.MissingDataError: ... is not a run folder of 'coverage-plan run': ...
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingDataError(f"{folder} is not a folder; expected the output folder of 'coverage-plan run'")
    absent = [name for name in _NEEDED if not (folder / name).is_file()]
    if absent:
        raise MissingDataError(
            f"{folder} is not a run folder of 'coverage-plan run': missing {', '.join(absent)}"
        )
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingDataError(f"{folder / 'summary.json'} is not valid JSON: {exc}") from None
    if not isinstance(summary, dict) or "summary" not in summary:
        raise MissingDataError(f"{folder / 'summary.json'} is not the summary of a run (no 'summary' key)")
    ids = {"site_id": str, "dep": str, "partner": str, "zone": str}
    tables = {name: _read_table(folder / f"{name}.csv", ids) for name in _KEYS}
    return RunOutput(
        folder=folder,
        summary=summary,
        open_sites=tables["open_sites"],
        kpis={by: tables[f"kpis_{by}"] for by in KPI_TABLES},
        trajectory=(
            pd.read_csv(folder / "trajectory.csv", dtype={"key": str, "month": str}, keep_default_na=False)
            if (folder / "trajectory.csv").is_file()
            else None
        ),
    )


#: The key column each CSV of a run folder must hold.
_KEYS = {"open_sites": "site_id", "kpis_department": "dep", "kpis_partner": "partner", "kpis_zone": "zone"}


def _read_table(path: Path, ids: dict[str, type]) -> pd.DataFrame:
    """One CSV of a run folder, with its key column checked."""
    try:
        frame = pd.read_csv(path, dtype=ids)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MissingDataError(f"{path} cannot be read as the CSV of a run: {exc}") from None
    key = _KEYS[path.stem]
    if key not in frame.columns and not (path.stem == "open_sites" and frame.empty):
        raise MissingDataError(
            f"{path} has no '{key}' column, so it is not a table written by 'coverage-plan run'; "
            "restore it from the run, or run the scenario again"
        )
    return frame
