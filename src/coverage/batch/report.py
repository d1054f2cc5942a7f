"""Summaries of a batch (see :mod:`coverage.batch.run`): tables, Pareto frontier, chart, report.

:func:`summary_frame` puts the case records in grid order with deterministic
columns only (a resumed batch gives the same table as an uninterrupted one);
timings go to :func:`timings_frame`. The cost of a case is its total advisors
for the staffing model, its open sites otherwise; :func:`pareto_frontier`
keeps the cases no other case beats on both cost and served need.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.batch.grid import Case, short_keys
from coverage.plan.export import atomic_path, formula_safe
from coverage.scenario.loading import toml_value

__all__ = ["pareto_frontier", "summary_frame", "timings_frame", "write_outputs", "write_pareto_png"]

_OK = ("optimal", "feasible")
_RESULT_COLUMNS = (
    "status",
    "model",
    "objective",
    "gap",
    "served_need",
    "reached_need",
    "total_need",
    "served_share",
    "open_sites",
    "advisors",
)
_TAIL_COLUMNS = (
    "cost",
    "cost_kind",
    "projection_people",
    "projection_target",
    "projection_gap",
    "rollout_people",
    "rollout_target_month",
    "rollout_shortfall",
    "error",
)


def summary_frame(cases: Sequence[Case], records: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per case in grid order: ``case, case_id, label``, one column per override key,
    the results, ``advisors_<partner>``, ``cost``, ``cost_kind``, projection, rollout (people by
    the end, month the target is reached ``YYYY-MM``, shortfall) and ``error``."""
    names = short_keys(cases)
    keys = list(dict.fromkeys(k for case in cases for k in case.values))
    partners = sorted({p for r in records.values() for p in (r.get("advisors_by_partner") or {})})
    rows = []
    for case in cases:
        record = records[case.case_id]
        row: dict[str, Any] = {"case": case.index + 1, "case_id": case.case_id, "label": case.label(names)}
        for key in keys:
            value = case.values.get(key)
            row[key] = value if value is None or isinstance(value, int | float | str) else toml_value(value)
        row.update({column: record.get(column) for column in _RESULT_COLUMNS})
        by_partner = record.get("advisors_by_partner") or {}
        row.update({f"advisors_{p}": by_partner.get(p) for p in partners})
        staffing = record.get("model") == "staffing"
        row["cost"] = record.get("advisors") if staffing else record.get("open_sites")
        row["cost_kind"] = None if record.get("model") is None else "advisors" if staffing else "open sites"
        row.update({column: record.get(column) for column in _TAIL_COLUMNS[2:]})
        rows.append(row)
    columns = ["case", "case_id", "label", *keys, *_RESULT_COLUMNS]
    columns += [f"advisors_{p}" for p in partners] + list(_TAIL_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns)
    integers = [k for k in keys if all(_is_int(c.values.get(k)) for c in cases if k in c.values)]
    for column in ("open_sites", "advisors", "cost", *integers, *(f"advisors_{p}" for p in partners)):
        frame[column] = frame[column].astype("Int64")
    for column in (
        "projection_people",
        "projection_target",
        "projection_gap",
        "rollout_people",
        "rollout_shortfall",
    ):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def timings_frame(cases: Sequence[Case], records: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """``case, case_id, seconds, worker`` in grid order (these differ from run to run)."""
    rows = [
        {
            "case": case.index + 1,
            "case_id": case.case_id,
            "seconds": records[case.case_id].get("seconds"),
            "worker": records[case.case_id].get("worker"),
        }
        for case in cases
    ]
    return pd.DataFrame(rows, columns=["case", "case_id", "seconds", "worker"])


def pareto_frontier(summary: pd.DataFrame) -> pd.DataFrame:
    """Cases with a usable plan that no other beats: lower or equal cost and more served need.

    Sorted by cost; among equal (cost, served need) the first case of the grid is kept.
    """
    usable = summary[summary["status"].isin(_OK) & summary["cost"].notna()]
    ordered = usable.sort_values(
        ["cost", "served_need", "case"], ascending=[True, False, True], kind="stable"
    )
    keep = []
    best = -math.inf
    for index, served in ordered["served_need"].items():
        if served > best + 1e-9 * max(1.0, abs(best) if math.isfinite(best) else 1.0):
            keep.append(index)
            best = served
    return ordered.loc[keep]


def write_pareto_png(summary: pd.DataFrame, frontier: pd.DataFrame, path: str | Path, *, title: str) -> Path:
    """Cost against served need, frontier highlighted (matplotlib, Agg backend; atomic)."""
    from matplotlib.figure import Figure

    usable = summary[summary["status"].isin(_OK) & summary["cost"].notna()]
    kinds = sorted(set(usable["cost_kind"].dropna())) or ["open sites"]
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    axes.scatter(usable["cost"], usable["served_need"], color="0.65", s=18, label="case")
    axes.plot(frontier["cost"], frontier["served_need"], "o-", color="tab:red", ms=5, label="Pareto frontier")
    if len(frontier) <= 15:
        for _, row in frontier.iterrows():
            axes.annotate(
                str(row["label"]), (row["cost"], row["served_need"]), fontsize=7,
                xytext=(4, -10), textcoords="offset points",
            )  # fmt: skip
    axes.set_xlabel(" / ".join(kinds))
    axes.set_ylabel("served need (people)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    target = Path(path)
    with atomic_path(target) as partial:
        figure.savefig(partial, format="png", dpi=110)
    return target


def write_outputs(
    out: Path,
    cases: Sequence[Case],
    records: Mapping[str, Mapping[str, Any]],
    *,
    scenario: str,
    scenario_path: Path,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Path]]:
    """Write the summaries of a finished batch; return summary, timings, frontier and the files."""
    summary = summary_frame(cases, records)
    timings = timings_frame(cases, records)
    frontier = pareto_frontier(summary)
    files = {
        "summary_parquet": out / "summary.parquet",
        "summary_csv": out / "summary.csv",
        "timings_csv": out / "timings.csv",
        "pareto_png": out / "pareto.png",
        "report_md": out / "report.md",
    }
    with atomic_path(files["summary_parquet"]) as partial:
        summary.to_parquet(partial, index=False)
    with atomic_path(files["summary_csv"]) as partial:
        formula_safe(summary).to_csv(partial, index=False)
    with atomic_path(files["timings_csv"]) as partial:
        formula_safe(timings).to_csv(partial, index=False)
    write_pareto_png(summary, frontier, files["pareto_png"], title=f"{scenario}: {len(cases)} cases")
    text = report_text(summary, frontier, scenario=scenario, scenario_path=scenario_path)
    with atomic_path(files["report_md"]) as partial:
        partial.write_text(text, encoding="utf-8")
    return summary, timings, frontier, files


def report_text(summary: pd.DataFrame, frontier: pd.DataFrame, *, scenario: str, scenario_path: Path) -> str:
    """``report.md``: counts, best case, frontier table, failures with their errors.

    Scenario names, labels and error messages are HTML-escaped: a Markdown
    viewer renders raw HTML, and a grid value may hold any text.
    """
    ok = summary[summary["status"].isin(_OK)]
    bad = summary[~summary["status"].isin(_OK)]
    lines = [
        f"# Batch report: {html.escape(scenario)}",
        "",
        f"Scenario file: `{scenario_path}`",
        "",
        f"- cases: {len(summary)}",
        f"- with a plan: {len(ok)}",
        f"- failed or infeasible: {len(bad)}",
        "",
        "## Best case",
        "",
    ]
    if ok.empty:
        lines.append("No case has a plan.")
    else:
        best = ok.sort_values(["served_need", "cost", "case"], ascending=[False, True, True]).iloc[0]
        lines.append(
            f"Case {best['case']} ({html.escape(str(best['label']))}, id `{best['case_id']}`): served need "
            f"{best['served_need']:,.0f} ({100 * best['served_share']:.1f} %), "
            f"cost {best['cost']} {best['cost_kind']}, status {best['status']}."
        )
    lines += ["", "## Pareto frontier (cost against served need)", ""]
    rows = [
        [str(r["case"]), html.escape(str(r["label"])), f"{r['cost']} {r['cost_kind']}",
         f"{r['served_need']:,.0f}", f"{100 * r['served_share']:.1f} %"]
        for _, r in frontier.iterrows()
    ]  # fmt: skip
    lines += _markdown(["case", "label", "cost", "served need", "share"], rows) if rows else ["None."]
    lines += ["", "## Failures", ""]
    if bad.empty:
        lines.append("None.")
    for _, row in bad.iterrows():
        error = html.escape(str(row["error"] or "no error message").replace("\n", " "))
        label = html.escape(str(row["label"]))
        lines.append(f"- case {row['case']} ({label}, id `{row['case_id']}`): {row['status']}: {error}")
    return "\n".join(lines) + "\n"


def _markdown(headers: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(headers), "|" + "---|" * len(headers), *map(line, rows)]
