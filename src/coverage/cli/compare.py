"""The ``compare`` command of ``coverage-plan`` (registered by :mod:`coverage.cli.main`).

    coverage-plan compare RUN_A RUN_B [--csv FILE]

Thin: the figures come from :mod:`coverage.scenario.compare`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from coverage.cli.common import EXIT_OK, english, percent, points, table
from coverage.cli.trajectory import figure as _figure
from coverage.cli.trajectory import print_trajectory
from coverage.data.i18n import N_
from coverage.data.i18n import gettext_ as _

if TYPE_CHECKING:
    from coverage.scenario.compare import Comparison

__all__ = ["add_compare_command"]


def add_compare_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``coverage-plan compare``."""
    compare = commands.add_parser(
        "compare",
        help="compare two run folders: sites opened and closed, KPI deltas (B - A)",
        description="Compare run B with run A (two output folders of 'coverage-plan run').",
    )
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run folder")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    compare.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="write the comparison here (default: RUN_B/compare_<RUN_A name>.csv)",
    )
    compare.set_defaults(run=_compare)


# --------------------------------------------------------------------------- compare


def _compare(args: argparse.Namespace) -> int:
    from coverage.plan.export import atomic_path, formula_safe
    from coverage.scenario.compare import compare_runs

    comparison = compare_runs(args.run_a, args.run_b)
    print(f"A: {comparison.a}")
    print(f"B: {comparison.b}")
    print()
    print(table([_("figure"), "A", "B", "B - A"], _headline_rows(comparison), right=frozenset({1, 2, 3})))
    _print_sites(N_("Sites opened in B"), comparison.opened)
    _print_sites(N_("Sites closed in B"), comparison.closed)
    _print_deltas(N_("Departments"), comparison.departments, "dep", ("need_served", "share", "open_sites"))
    _print_deltas(N_("Partners"), comparison.partners, "partner", ("advisors", "need_served", "share"))
    print_trajectory(comparison)
    target = args.csv if args.csv is not None else comparison.b / f"compare_{comparison.a.name}.csv"
    with atomic_path(target) as partial:
        formula_safe(comparison.to_frame()).to_csv(partial, index=False)
    print()
    print(_("Comparison written to {path}").format(path=target))
    return EXIT_OK


def _headline_rows(comparison: Comparison) -> list[list[str]]:
    rows = []
    unit = comparison.distance_unit
    for metric, a, b, delta in comparison.headline.itertuples(index=False):
        if metric.endswith("share"):
            label = metric if english() else _metric(metric)
            rows.append([label, _nan(a, percent), _nan(b, percent), _nan(delta, points, signed=True)])
            continue
        label = metric if english() else _metric(metric)
        label = f"{label} ({unit})" if metric.endswith("distance") and unit and "(" not in label else label
        rows.append([label, _nan(a, _figure), _nan(b, _figure), _nan(delta, _figure, signed=True)])
    return rows


def _print_sites(title: str, sites: pd.DataFrame) -> None:
    print()
    print(f"{_(title)}: {len(sites)}")
    if len(sites):
        columns = list(sites.columns) if english() else [_metric(c) for c in sites.columns]
        print(table(columns, [[_cell(v) for v in row] for row in sites.itertuples(index=False)]))


def _print_deltas(title: str, frame: pd.DataFrame, key: str, metrics: tuple[str, ...]) -> None:
    shown = [m for m in metrics if f"{m}_delta" in frame.columns]
    if not len(frame) or not shown:
        return
    moved = pd.Series(False, index=frame.index)
    for metric in shown:
        a, b = (pd.to_numeric(frame[f"{metric}_{side}"], errors="coerce") for side in ("a", "b"))
        moved |= ((b - a).abs() > 1e-9) | (a.isna() != b.isna())
    changed = frame[moved]
    print()
    if changed.empty:
        print(f"{_(title)} (B - A): " + _("no change in any of {n}").format(n=len(frame)))
        return
    same = len(frame) - len(changed)
    note = (
        ", " + _("the {n} that changed ({same} unchanged; all in the CSV)").format(n=len(changed), same=same)
        if same
        else ""
    )
    print(f"{_(title)} (B - A){note}")
    headers = [key]
    for metric in shown:
        label = metric if english() else _metric(metric)
        headers += [f"{label} A", f"{label} B", _("delta")]
    rows = []
    for _index, row in changed.iterrows():
        cells = [str(row[key])]
        for metric in shown:
            share = metric == "share"
            cells += [
                _nan(row[f"{metric}_a"], percent if share else _figure),
                _nan(row[f"{metric}_b"], percent if share else _figure),
                _nan(row[f"{metric}_delta"], points if share else _figure, signed=True),
            ]
        rows.append(cells)
    print(table(headers, rows, right=frozenset(range(1, len(headers)))))


# --------------------------------------------------------------------------- formatting


_METRICS = {
    "objective": N_("objective"),
    "total_need": N_("need (people)"),
    "reached_need": N_("need reached"),
    "served_need": N_("need served"),
    "served_share": N_("share served"),
}


def _metric(metric: str) -> str:
    """A compared figure's name in the language in use."""
    from coverage.data.i18n.names import column_name

    return _(_METRICS[metric]) if metric in _METRICS else column_name(metric)


def _nan(value: Any, show: Any, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(show(float(value)))
    return f"+{text}" if signed and float(value) > 0 else text


def _cell(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
