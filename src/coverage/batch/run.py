"""Run many variants of one scenario on a Dask cluster, resumable, one result file per case.

A grid file (:mod:`coverage.batch.grid`) lists the cases: overrides of the
scenario. :func:`run_batch` checks every case against the scenario first (all
bad cases reported at once), then runs each remaining case as one task,
:func:`run_case` (``load_scenario`` + ``run_scenario`` in a worker, returning
a flat record), on a local ``distributed.LocalCluster`` (one process per
worker, one thread each), a scheduler address, or a client of yours.

Each result is written to ``OUT/cases/<case id>.json`` as soon as it arrives,
so an interrupted batch resumes where it stopped: a rerun skips the cases whose
file holds a result for the same case on the same data, with a valid checksum
and figures within their bounds (:mod:`coverage.batch.resume`), except
``"failed"`` ones with ``retry_failed``. Tasks are pure (they write nothing), so when a worker dies the
scheduler reruns its tasks elsewhere (up to ``distributed.scheduler.allowed-failures``
deaths per task, 3 by default; beyond that the case is recorded as failed).

Statuses: the plan's (``optimal``, ``feasible``, ``infeasible``, ``not_solved``,
...), ``"infeasible"`` also when the run raises
:class:`~coverage.errors.InfeasibleScenarioError`, ``"failed"`` for any other
error (its type and message are kept in ``error``).

At the end :mod:`coverage.batch.report` writes ``summary.parquet``,
``summary.csv`` (one row per case, in grid order, deterministic columns only),
``timings.csv``, ``pareto.png`` and ``report.md``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from coverage.batch.grid import Case, read_grid, validate_cases
from coverage.batch.resume import case_fingerprint, resume_problem, seal
from coverage.data.i18n import N_

if TYPE_CHECKING:
    from distributed import Client, Future

    from coverage.plan.plan import Plan

__all__ = ["OK_STATUSES", "BatchProgress", "BatchResult", "run_batch", "run_case"]

logger = logging.getLogger(__name__)

#: Statuses of a case that produced a usable plan.
OK_STATUSES = ("optimal", "feasible")

#: ``progress(done, failed, left)``: cases finished (any status, resumed ones included),
#: those of them without a usable plan, cases still to run.
BatchProgress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did and wrote.

    Attributes
    ----------
    out_dir
        The output folder.
    summary
        One row per case, in grid order (the content of ``summary.csv``).
    timings
        ``case, case_id, seconds, worker`` per case (``timings.csv``).
    frontier
        Rows of ``summary`` on the cost / served-need Pareto frontier.
    files
        Written files by name: ``summary_parquet``, ``summary_csv``, ``timings_csv``,
        ``pareto_png``, ``report_md``.
    resumed
        Cases whose result was read from a previous run.
    discarded
        Case id -> why its case file of a previous run was not reused (another
        scenario or other data, an edited or damaged file, figures out of bounds).
    """

    out_dir: Path
    summary: pd.DataFrame
    timings: pd.DataFrame
    frontier: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    resumed: int = 0
    discarded: dict[str, str] = field(default_factory=dict)

    @property
    def not_ok(self) -> pd.DataFrame:
        """Cases that failed or have no usable plan (infeasible, not solved)."""
        return self.summary[~self.summary["status"].isin(OK_STATUSES)]

    @property
    def ok(self) -> bool:
        """True when every case has a usable plan."""
        return self.not_ok.empty


def run_case(scenario_path: str, overrides: Sequence[str], data_dir: str | None = None) -> dict[str, Any]:
    """Load the scenario with ``overrides``, run it, return the flat result record (never raises).

    This is the task a worker runs; it writes nothing, so it can be rerun at will.

    Examples
    --------
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = str(shipped_scenario("demo"))
    >>> record = run_case(demo, ["objective.max_sites=5"])
    >>> record["status"], record["open_sites"], round(record["served_share"], 3)
    ('optimal', 5, 0.632)
    >>> record["error"] is None
    True

    A case that cannot run is recorded, not raised:

    >>> record = run_case(demo, ["objective.max_sites=0"])
    >>> record["status"], record["error"]
    ('failed', 'ScenarioError: ...greater than or equal to 1 (received 0)')
    """
    from coverage.errors import InfeasibleScenarioError
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.run import run_scenario

    start = time.perf_counter()
    record: dict[str, Any] = {"overrides": list(overrides)}
    try:
        run = run_scenario(load_scenario(scenario_path, overrides=overrides), data_dir=data_dir)
        record.update(_plan_record(run.plan, run.scenario.objective.model))
        record["error"] = None
    except InfeasibleScenarioError as exc:
        record.update(status="infeasible", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a batch records every failure and goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    record["seconds"] = time.perf_counter() - start
    record["worker"] = _worker_name()
    return record


def run_batch(
    scenario_path: str | Path,
    grid: str | Path | Sequence[Case],
    out_dir: str | Path,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    data_dir: str | Path | None = None,
    retry_failed: bool = False,
    progress: BatchProgress | None = None,
    deterministic: bool = True,
) -> BatchResult:
    """Run every case of ``grid`` on ``scenario_path``; write one file per case and the summaries.

    Parameters
    ----------
    scenario_path
        The scenario file the cases override.
    grid
        A grid file, or cases (:func:`coverage.batch.grid.read_grid`).
    out_dir
        Output folder (created); ``cases/<id>.json`` in it are reused by a rerun.
    client, scheduler, n_workers
        Run on ``client``; else connect to the ``scheduler`` address; else start a
        ``LocalCluster`` of ``n_workers`` processes (default: CPU count, at most
        one per case), one thread each, closed at the end.
    data_dir
        Folder of official files, passed to every run (default ``COVERAGE_DATA_DIR``).
    retry_failed
        Rerun the cases recorded as ``"failed"`` by a previous run.
    progress
        Called as ``progress(done, failed, left)`` once before the first task and after each case.
    deterministic
        Solve every case with ``solver.deterministic = true`` (one thread, a node
        limit instead of wall time), so a case gives the same plan on every run
        and machine load; a case that sets ``solver.deterministic`` itself wins.

    Returns
    -------
    BatchResult

    Raises
    ------
    ScenarioError
        Bad grid file, or cases the scenario refuses (every one listed).
    MissingDataError
        The scenario or grid file does not exist.

    Examples
    --------
    Two cases of the demo, on a Dask client in this process (no worker processes to start):

    >>> import pathlib, tempfile
    >>> from distributed import Client
    >>> from coverage.batch.grid import cases_from_mapping
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> cases = cases_from_mapping({"grid": {"objective.max_sites": [4, 8]}})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "batch"
    >>> with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
    ...     result = run_batch(demo, cases, out, client=client)
    >>> result.ok, result.summary["open_sites"].tolist()
    (True, [4, 8])
    >>> sorted(result.files)
    ['pareto_png', 'report_md', 'summary_csv', 'summary_parquet', 'timings_csv']

    A rerun finds every result in ``out/cases`` and starts no cluster:

    >>> run_batch(demo, cases, out).resumed
    2
    """
    from coverage.batch import report as batch_report
    from coverage.scenario.loading import load_scenario

    scenario_path = Path(scenario_path).resolve()
    source = str(grid) if isinstance(grid, str | Path) else "grid"
    cases = read_grid(grid) if isinstance(grid, str | Path) else list(grid)
    base = load_scenario(scenario_path)
    validate_cases(scenario_path, cases, source=source)
    hashes: dict[tuple[str, int, int], str] = {}
    fingerprints = {
        case.case_id: case_fingerprint(
            scenario_path, _effective(case, deterministic), data_dir, hashes=hashes
        )
        for case in cases
    }

    out = Path(out_dir)
    case_dir = out / "cases"
    case_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, dict[str, Any]] = {}
    discarded: dict[str, str] = {}
    for case in cases:
        previous, problem = _read_record(case_dir / f"{case.case_id}.json", fingerprints[case.case_id])
        if problem is not None:
            discarded[case.case_id] = problem
            logger.warning("case %s is run again: its case file %s", case.case_id, problem)
        elif previous is not None and (previous["status"] != "failed" or not retry_failed):
            records[case.case_id] = previous
    resumed = len(records)
    todo = [case for case in cases if case.case_id not in records]
    report = _Counter(len(cases), progress)
    for record in records.values():
        report.add(record)
    report.emit()
    logger.info("batch of %d cases: %d resumed, %d to run", len(cases), resumed, len(todo))

    if todo:
        folder = None if data_dir is None else str(Path(data_dir).resolve())
        with _connect(client, scheduler, n_workers or min(os.cpu_count() or 1, len(todo))) as active:
            futures = {
                active.submit(
                    run_case,
                    str(scenario_path),
                    _effective(case, deterministic),
                    folder,
                    key=f"coverage-case-{case.case_id}",
                ): case
                for case in todo
            }
            _collect(futures, case_dir, fingerprints, records, report)

    summary, timings, frontier, files = batch_report.write_outputs(
        out, cases, records, scenario=base.name, scenario_path=scenario_path
    )
    return BatchResult(out, summary, timings, frontier, files, resumed, discarded)


# --------------------------------------------------------------------------- helpers


def _effective(case: Case, deterministic: bool) -> list[str]:
    """The case's overrides, after ``solver.deterministic=true`` when the batch is deterministic."""
    own = any(text.split("=", 1)[0].strip() == "solver.deterministic" for text in case.overrides)
    return (
        list(case.overrides) if own or not deterministic else ["solver.deterministic=true", *case.overrides]
    )


def _plan_record(plan: Plan, model: str) -> dict[str, Any]:
    from coverage.plan.export import jsonable

    summary = plan.summary()
    record: dict[str, Any] = {
        "status": plan.status,
        "model": model,
        "objective": plan.objective,
        "gap": plan.gap,
        "served_need": plan.served_need,
        "reached_need": plan.reached_need,
        "total_need": plan.total_need,
        "served_share": plan.served_share,
        "open_sites": len(plan.open_site_ids),
    }
    if model == "staffing":
        partners = plan.kpis("partner")
        record["advisors"] = int(partners["advisors"].sum())
        pairs = zip(partners["partner"], partners["advisors"], strict=True)
        record["advisors_by_partner"] = {str(partner): int(count) for partner, count in pairs}
    projection = summary.get("projection")
    if projection is not None:
        record["projection_people"] = projection["people"]
        record["projection_target"] = projection["target"]
        record["projection_gap"] = projection["gap_to_target"]
    trajectory = summary.get("trajectory")
    if trajectory is not None:
        record["rollout_people"] = trajectory["people"]
        record["rollout_target_month"] = trajectory["target_month"]
        record["rollout_shortfall"] = trajectory["shortfall"]
    return dict(jsonable(record))


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _read_record(path: Path, fingerprint: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The record of a previous run and None, or None and why it is not reused (None: no file)."""
    if not path.exists():
        return None, None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, N_("cannot be read as JSON")
    problem = resume_problem(record, fingerprint)
    return (None, problem) if problem is not None else (record, None)


class _Counter:
    def __init__(self, total: int, progress: BatchProgress | None) -> None:
        self.total, self.done, self.failed, self.progress = total, 0, 0, progress

    def add(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.failed += record["status"] not in OK_STATUSES

    def emit(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.failed, self.total - self.done)


@contextmanager
def _connect(client: Client | None, scheduler: str | None, n_workers: int) -> Iterator[Client]:
    """The given client, else a new one on ``scheduler``, else on a new LocalCluster (closed after)."""
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler is not None:
        with Client(scheduler) as own:
            yield own
        return
    with (
        LocalCluster(
            n_workers=max(1, n_workers), threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as own,
    ):
        yield own


def _collect(
    futures: dict[Future, Case],
    case_dir: Path,
    fingerprints: Mapping[str, str | None],
    records: dict[str, dict[str, Any]],
    report: _Counter,
) -> None:
    """Write each result as it arrives (a task lost for good is recorded as failed)."""
    from distributed import as_completed

    from coverage.plan.export import write_json

    for future in as_completed(futures):
        case = futures[future]
        try:
            record = future.result()
        except Exception as exc:  # KilledWorker, cancelled, lost scheduler: record and go on
            record = {
                "overrides": case.overrides,
                "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": None,
                "worker": None,
            }
        future.release()
        record = seal({"case_id": case.case_id, "scenario": fingerprints[case.case_id], **record})
        write_json(record, case_dir / f"{case.case_id}.json")
        records[case.case_id] = record
        report.add(record)
        report.emit()
