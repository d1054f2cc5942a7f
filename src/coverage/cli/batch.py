"""``coverage-plan batch SCENARIO GRID``: run a grid of scenario variants on a Dask cluster.

Thin: :func:`coverage.batch.run.run_batch` does the work; this prints its progress,
the summary table and the files written. Exit codes: 0 every case has a plan,
1 some cases failed or are infeasible (listed), 2 bad input (grid file, unknown
key, missing file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coverage.data.i18n import N_

__all__ = ["add_batch_command"]


def add_batch_command(commands: Any) -> None:
    """Register ``batch`` on the subparsers action of ``coverage-plan``."""
    batch = commands.add_parser(
        "batch",
        help="run a grid of scenario variants on a Dask cluster (resumable)",
        description="Run every case of GRID (a TOML file of overrides) on SCENARIO; one result file "
        "per case under OUT/cases, then summary.parquet/.csv, pareto.png and report.md. "
        "A rerun skips the cases already done.",
    )
    batch.add_argument("scenario", metavar="SCENARIO", help="scenario file, or a shipped name (demo)")
    batch.add_argument("grid", metavar="GRID", type=Path, help="grid file: [grid] and/or [[cases]]")
    batch.add_argument("--out", type=Path, help="output folder (default: batch-<scenario>-<grid>)")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: CPU count)")
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use this Dask scheduler, e.g. tcp://host:8786 (not with --workers)",
    )
    batch.add_argument("--data-dir", type=Path, help="folder of official files (default: $COVERAGE_DATA_DIR)")
    batch.add_argument("--retry-failed", action="store_true", help="rerun the cases that failed before")
    batch.add_argument(
        "--wall-clock",
        action="store_true",
        help="solve with the scenario's own solver settings (time limit, threads) instead of the "
        "default deterministic ones (one thread, a node limit), which give the same plans on every run",
    )
    batch.set_defaults(run=_batch)


def _scenario_path(text: str) -> Path:
    from coverage.scenario.run import shipped_scenario

    path = Path(text)
    if path.is_file():
        return path
    if path.suffix in ("", ".toml") and len(path.parts) == 1:
        return shipped_scenario(text)
    return path  # load_scenario names it in its message


#: The batch's output files as the summary names them (``summary_csv`` is "summary csv").
_FILES = (N_("summary parquet"), N_("summary csv"), N_("timings csv"), N_("pareto png"), N_("report md"))


def _batch(args: argparse.Namespace) -> int:
    from coverage.batch.run import run_batch
    from coverage.cli.common import (
        EXIT_BAD_INPUT,
        EXIT_OK,
        EXIT_PLANNING_FAILED,
        count,
        english,
        percent,
        table,
    )
    from coverage.data.i18n import gettext_ as _
    from coverage.data.i18n.errors import translate_text
    from coverage.data.i18n.names import STATUSES

    if args.workers is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = _scenario_path(args.scenario)
    out = args.out or Path(f"batch-{scenario.stem}-{args.grid.stem}")

    def progress(done: int, failed: int, left: int) -> None:
        text = _("done {done}/{total}, failed {failed}, left {left}")
        print(text.format(done=done, total=done + left, failed=failed, left=left), flush=True)

    result = run_batch(
        scenario,
        args.grid,
        out,
        scheduler=args.scheduler,
        n_workers=args.workers,
        data_dir=args.data_dir,
        retry_failed=args.retry_failed,
        progress=progress,
        deterministic=not args.wall_clock,
    )
    summary = result.summary
    rows = [
        [
            str(row["case"]),
            str(row["label"]),
            str(row["status"]) if english() else _(STATUSES.get(str(row["status"]), str(row["status"]))),
            _cell(row["served_need"], "{:,.0f}") if english() else _number(row["served_need"], count),
            _cell(row["served_share"] * 100, "{:.1f} %")
            if english()
            else _number(row["served_share"], percent),
            _cell(row["cost"], "{} " + (str(row["cost_kind"]) if english() else _(str(row["cost_kind"])))),
        ]
        for row in summary.to_dict(orient="records")
    ]
    print()
    headers = [_("case"), _("label"), _("status"), _("served need"), _("share"), _("cost")]
    print(table(headers, rows))
    print()
    if result.resumed:
        print(
            _("{n} of {total} cases resumed from {folder}").format(
                n=result.resumed, total=len(summary), folder=out / "cases"
            )
        )
    for case_id, reason in result.discarded.items():
        print(
            _("case {case} run again: its earlier case file {reason}").format(
                case=case_id, reason=translate_text(reason)
            )
        )
    for name, path in result.files.items():
        print(f"{_(name.replace('_', ' '))}: {path}")
    bad = result.not_ok
    if bad.empty:
        return EXIT_OK
    print(_("{n} of {total} cases have no plan:").format(n=len(bad), total=len(summary)), file=sys.stderr)
    for row in bad.to_dict(orient="records"):
        error = translate_text(" ".join(_cell(row["error"], "{}").split())) or _("no error message")
        line = _("case {case} ({label}): {status}: {error}")
        status = str(row["status"]) if english() else _(STATUSES.get(str(row["status"]), str(row["status"])))
        print(
            "  " + line.format(case=row["case"], label=row["label"], status=status, error=error),
            file=sys.stderr,
        )
    if (bad["status"] == "failed").any():
        print(_("rerun with --retry-failed to retry the failed cases"), file=sys.stderr)
    return EXIT_PLANNING_FAILED


def _number(value: Any, show: Any) -> str:
    import pandas as pd

    return (
        "" if value is None or pd.isna(value) else show(round(value) if show.__name__ == "count" else value)
    )


def _cell(value: Any, template: str) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else template.format(value)
