"""``coverage-plan report RUN_DIR``: the committee report of a run, one HTML file (French by default).

coverage-plan report runs/demo                 # writes runs/demo/report.html, in French
coverage-plan --lang en report runs/demo --out demo-report.html
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_report_command"]


def add_report_command(commands: Any) -> None:
    """Add ``report`` to the ``coverage-plan`` subparsers."""
    report = commands.add_parser(
        "report",
        help="write the committee report of a run folder (one HTML file, French unless --lang en)",
        description="Write a one-file HTML report of a run folder written by 'coverage-plan run': key "
        "figures, a map picture (it prints) and the interactive map (both inline: the file opens offline), "
        "departments and partners, the scenario's assumptions, binding constraints, status and gap. "
        "French unless the global --lang says otherwise; print it to PDF from a browser.",
    )
    report.add_argument("run_dir", type=Path, help="a folder written by 'coverage-plan run'")
    report.add_argument("--out", type=Path, help="the HTML file to write (default RUN_DIR/report.html)")
    report.set_defaults(run=_report)


def _report(args: argparse.Namespace) -> int:
    from coverage.app.report import report_from_run
    from coverage.data.i18n import language

    with language(args.lang or "fr"):
        page = report_from_run(args.run_dir)
    out = args.out or args.run_dir / "report.html"
    out.write_text(page, encoding="utf-8")
    print(out)
    return 0
