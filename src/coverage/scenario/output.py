"""The output folder of a scenario run, written atomically.

:func:`write_run` writes, for one :class:`~coverage.scenario.run.ScenarioRun`:

- ``plan.gpkg``: every table of the plan, one layer each;
- ``kpis_department.csv``, ``kpis_partner.csv``, ``kpis_zone.csv``;
- ``open_sites.csv``: the open sites, with ``longitude`` and ``latitude``;
- ``map.html``: :func:`coverage.plan.maps.plan_map` (unless ``with_map=False``);
- ``trajectory.csv`` and ``trajectory.png``: with a ``[rollout]``, people accompanied per
  month and cumulated (total, per partner, department and zone) and its chart against
  the target (:mod:`coverage.plan.trajectory`, labels in ``lang``);
- ``summary.json``: the plan summary, the KPI tables, the timings and the projection;
- ``scenario.lock.toml``: the resolved scenario and its ``[lock]`` table, which
  reruns the identical plan (:mod:`coverage.scenario.lock`).

The files are built in a temporary folder beside the target, which is then
renamed onto it: a failure leaves no half-written run. An existing non-empty
target is refused unless ``force=True``, and even then only a folder a run
wrote (it holds the :data:`RUN_MARKER` file) is replaced, as a whole.
:func:`read_run` reads a folder back for :mod:`coverage.scenario.compare`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from coverage.data.i18n import format_percent
from coverage.data.i18n import gettext_ as _
from coverage.plan.export import formula_safe, jsonable, records, write_json
from coverage.scenario.loading import dump_scenario
from coverage.scenario.lock import LOCK_FILE, Lock
from coverage.scenario.run_files import (
    KPI_TABLES,
    ROLLOUT_FILES,
    RUN_FILES,
    RUN_MARKER,
    WRITE_ORDER,
    RunOutput,
    read_run,
)

if TYPE_CHECKING:
    from coverage.scenario.run import ScenarioRun

logger = logging.getLogger(__name__)

__all__ = [
    "KPI_TABLES",
    "ROLLOUT_FILES",
    "RUN_FILES",
    "RunOutput",
    "RUN_MARKER",
    "check_out_folder",
    "default_run_folder",
    "open_sites_frame",
    "read_run",
    "repeatability_note",
    "run_summary",
    "safe_folder_name",
    "write_run",
]


def default_run_folder(name: str, *, root: str | Path = ".", now: dt.datetime | None = None) -> Path:
    """``<root>/runs/<name>-<YYYYmmdd-HHMMSS>`` (local time), with ``-2``, ``-3``... if taken.

    ``name`` is made a plain folder name first (:func:`safe_folder_name`): a
    scenario named ``"../../x"`` or ``"/etc"`` still writes inside ``<root>/runs``.

    Examples
    --------
    >>> import datetime as dt
    >>> when = dt.datetime(2024, 5, 1, 12, 0, 0)
    >>> default_run_folder("../../etc/cron.d", root="/srv/plans", now=when).as_posix()
    '/srv/plans/runs/etc_cron.d-20240501-120000'
    """
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / "runs" / f"{safe_folder_name(name)}-{stamp}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def safe_folder_name(name: str) -> str:
    """``name`` as one plain folder name: letters, digits, ``.``, ``_`` and ``-`` only, at most 80.

    Examples
    --------
    >>> safe_folder_name("../../x"), safe_folder_name("/abs/path"), safe_folder_name("Creuse 2024")
    ('x', 'abs_path', 'Creuse_2024')
    >>> safe_folder_name("..")
    'run'
    """
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    text = re.sub(r"_{2,}", "_", re.sub(r"\.{2,}", "_", text)).strip("._-")[:80]
    return text or "run"


def check_out_folder(folder: str | Path, *, force: bool = False) -> None:
    """Check, before any work, that a run can be written to ``folder``.

    Refused: a file; a non-empty folder unless ``force``; with ``force``, a
    non-empty folder that a run did not write (no :data:`RUN_MARKER` file in
    it: ``--force`` never deletes a folder of other files), the current
    folder or one above it; a folder whose nearest existing parent is not
    writable.

    Raises
    ------
    FileExistsError
        With what to do instead.
    PermissionError
        The folder cannot be created or written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_out_folder(folder, force=True)
    Traceback (most recent call last):
    ...
    FileExistsError: output folder ... was not written by 'coverage-plan run' (it has no .coverage-run ...
    >>> check_out_folder(folder / "new-run")  # a new folder is fine
    """
    folder = Path(folder)
    resolved = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"output {folder} is a file, not a folder; choose another --out")
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            raise FileExistsError(
                f"output folder {folder} exists and is not empty; choose another --out, "
                "or pass --force to replace it"
            )
        if not (folder / RUN_MARKER).is_file():
            raise FileExistsError(
                f"output folder {folder} was not written by 'coverage-plan run' (it has no {RUN_MARKER} "
                "marker), so --force does not replace it; choose another --out, a new or empty folder"
            )
        cwd = Path.cwd().resolve()
        if resolved == cwd or resolved in cwd.parents:
            raise FileExistsError(
                f"output folder {folder} is the current folder or holds it; --force cannot replace it; "
                "choose a folder beside it"
            )
    existing = next((p for p in (resolved, *resolved.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(
            f"cannot write the output folder {folder}: {existing} is not a writable folder; "
            "choose another --out"
        )


def repeatability_note(
    status: str, gap: float | None, *, deterministic: bool, stopped: bool = False
) -> str | None:
    """What to say of a plan stopped at a limit before it was proven optimal (None: nothing to say).

    Examples
    --------
    >>> repeatability_note("optimal", 0.0, deterministic=False) is None
    True
    >>> print(repeatability_note("feasible", 0.0123, deterministic=False, stopped=True))
    the planner stopped the solver at this plan with a gap of 1.23% before it was proven optimal: ...
    >>> print(repeatability_note("feasible", 0.0123, deterministic=False))
    the solver stopped at its time limit with a gap of 1.23% before proving this plan optimal: another
    run may give a different plan ... set solver.deterministic = true ...
    """
    if status != "feasible":
        return None
    gap_text = "" if gap is None else _(" with a gap of {gap}").format(gap=format_percent(gap, 2))
    if stopped:
        return _(
            "the planner stopped the solver at this plan{gap_text} before it was proven optimal: "
            "no plan can do better than its bound; solve again without stopping for the optimum"
        ).format(gap_text=gap_text)
    if deterministic:
        return _(
            "the solver stopped at its node limit{gap_text} before proving this plan optimal; the "
            "limit counts work, not time, so a rerun of this scenario gives the same plan"
        ).format(gap_text=gap_text)
    return _(
        "the solver stopped at its time limit{gap_text} before proving this plan optimal: another "
        "run may give a different plan (how far it gets depends on the machine's load); for a "
        "repeatable plan set solver.deterministic = true (one thread, a node limit instead of wall time)"
    ).format(gap_text=gap_text)


def run_summary(run: ScenarioRun) -> dict[str, Any]:
    """``summary.json``: scenario name, plan summary, KPI tables, timings, projection, files, binding.

    ``binding`` is the run's :attr:`~coverage.scenario.run.ScenarioRun.analysis` (what binds and
    the marginal values), or None when it was not measured.
    """
    plan = run.plan
    projection = plan.projection()
    return {
        "scenario": {"name": run.scenario.name, "description": run.scenario.description},
        "summary": plan.summary(),
        "repeatable": plan.status != "feasible" or (run.scenario.solver.deterministic and not plan.stopped),
        "note": repeatability_note(
            plan.status, plan.gap, deterministic=run.scenario.solver.deterministic, stopped=plan.stopped
        ),
        "kpis": {by: records(plan.kpis(by)) for by in KPI_TABLES},
        "timings": {phase: round(seconds, 4) for phase, seconds in run.timings.items()},
        "projection": None if projection is None else jsonable(projection.to_dict()),
        "files": [{"path": str(p), "sha256": h, "size": size} for p, h, size in run.files],
        "binding": None if run.analysis is None else jsonable(run.analysis.to_dict()),
    }


def write_run(
    run: ScenarioRun,
    folder: str | Path,
    *,
    force: bool = False,
    with_map: bool = True,
    data_dir: str | Path | None = None,
    lang: Literal["en", "fr"] = "en",
) -> list[Path]:
    """Write the output folder of ``run`` atomically (see the module docstring).

    Parameters
    ----------
    run
        The result of :func:`coverage.scenario.run.run_scenario`.
    folder
        The run folder; its parent folders are created.
    force
        Replace an existing non-empty folder.
    with_map
        Write ``map.html``.
    data_dir
        The data folder the run read official files from, recorded in the lock.
    lang
        Language of the trajectory chart's labels (``'en'`` or ``'fr'``).

    Returns
    -------
    list of pathlib.Path
        The files written, in :data:`RUN_FILES` order (with :data:`ROLLOUT_FILES` before
        ``summary.json`` for a plan with a rollout).

    Raises
    ------
    FileExistsError
        ``folder`` is a file, or a non-empty folder and ``force`` is false.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "runs" / "demo-5"
    >>> [path.name for path in write_run(run, folder)]
    ['plan.gpkg', 'kpis_department.csv', 'kpis_partner.csv', 'kpis_zone.csv',
     'open_sites.csv', 'map.html', 'summary.json', 'scenario.lock.toml']

    A folder that holds a run is replaced only with ``force=True``:

    >>> write_run(run, folder)
    Traceback (most recent call last):
    ...
    FileExistsError: output folder ... exists and is not empty; choose another --out, or pass --force ...
    >>> len(write_run(run, folder, force=True, with_map=False))
    7
    """
    folder = Path(folder).resolve()
    check_out_folder(folder, force=force)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        _write_files(run, work, with_map=with_map, data_dir=data_dir, lang=lang)
        names = [name for name in WRITE_ORDER if (work / name).exists()]
        _swap(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("wrote run %s to %s", run.scenario.name, folder)
    return [folder / name for name in names]


def _write_files(
    run: ScenarioRun, work: Path, *, with_map: bool, data_dir: str | Path | None, lang: Literal["en", "fr"]
) -> None:
    plan = run.plan
    plan.to_gpkg(work / "plan.gpkg")
    for by in KPI_TABLES:
        formula_safe(plan.kpis(by)).to_csv(work / f"kpis_{by}.csv", index=False)
    formula_safe(open_sites_frame(plan.sites)).to_csv(work / "open_sites.csv", index=False)
    if with_map:
        from coverage.plan.maps import plan_map

        plan_map(plan, candidates=run.sites).save(str(work / "map.html"))
    if plan.trajectory is not None:
        from coverage.plan.trajectory_chart import trajectory_chart

        plan.trajectory.to_csv(work / "trajectory.csv")
        trajectory_chart(plan.trajectory, work / "trajectory.png", lang=lang)
    write_json(run_summary(run), work / "summary.json")
    lock = Lock.from_run(run, data_dir=data_dir)
    (work / LOCK_FILE).write_text(dump_scenario(run.scenario, lock=lock), encoding="utf-8")
    (work / RUN_MARKER).write_text(
        "written by coverage-plan run; 'coverage-plan run --force' may replace this folder\n",
        encoding="utf-8",
    )


def open_sites_frame(sites: pd.DataFrame) -> pd.DataFrame:
    """The open sites without geometry, with WGS84 ``longitude`` and ``latitude`` columns."""
    if not isinstance(sites, gpd.GeoDataFrame) or sites.crs is None:
        return pd.DataFrame(sites).drop(columns="geometry", errors="ignore")
    points = sites.to_crs(4326).geometry.representative_point()
    out = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    out["longitude"] = points.x.round(6).to_numpy()
    out["latitude"] = points.y.round(6).to_numpy()
    return out


def _swap(work: Path, folder: Path) -> None:
    """Rename ``work`` onto ``folder``, moving an existing ``folder`` aside first."""
    if not folder.exists():
        os.rename(work, folder)
        return
    old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(folder, old)
    try:
        os.rename(work, folder)
    except OSError:
        os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
