"""Compare two run folders: sites opened and closed, KPI deltas.

:func:`compare_runs` reads two folders written by
:func:`coverage.scenario.output.write_run` (``summary.json``, ``open_sites.csv``,
``kpis_*.csv``) and returns a :class:`Comparison`: B relative to A, so
``opened`` lists the sites open in B and not in A, and every delta is
``B - A``. Runs with a rollout are also compared month by month (people
accompanied, cumulated) and by the month each reaches its target.
:meth:`Comparison.to_frame` gives one long table for a CSV file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coverage.scenario.output import RunOutput, read_run

__all__ = ["DEPARTMENT_METRICS", "HEADLINE_METRICS", "PARTNER_METRICS", "Comparison", "compare_runs"]

#: Figures of ``summary.json`` compared.
HEADLINE_METRICS = (
    "objective",
    "open_sites",
    "advisors",
    "total_need",
    "reached_need",
    "served_need",
    "served_share",
    "mean_distance",
    "worst_distance",
)
#: Columns of ``kpis_department.csv`` compared.
DEPARTMENT_METRICS = ("need_reached", "need_served", "share", "open_sites", "advisors", "mean_distance")
#: Columns of ``kpis_partner.csv`` compared.
PARTNER_METRICS = ("advisors", "slots", "sites_staffed", "open_sites_owned", "need_served", "share")

_SITE_COLUMNS = ("site_id", "name", "partner", "dep")


@dataclass(frozen=True)
class Comparison:
    """Run B relative to run A.

    Attributes
    ----------
    a, b
        The run folders.
    opened, closed
        Sites open in B and not in A, and in A and not in B (``site_id``,
        ``name``, ``partner``, ``dep`` when the runs have them).
    headline
        One row per figure of :data:`HEADLINE_METRICS`: ``metric``, ``a``, ``b``, ``delta``.
    distance_unit
        Unit of the runs' distances (``'m'``, ``'min'``...) when both runs use the same one,
        else ``''`` (their distances are not comparable and the deltas say so by NaN).
    trajectory
        With a rollout in both runs: ``month``, ``cumulative_a``, ``cumulative_b``,
        ``delta`` (people accompanied by the end of each month, all partners); else None.
    target_months
        The month (``YYYY-MM``) each run reaches its target, None where it does not.
    departments, partners
        Per department (partner): ``<metric>_a``, ``<metric>_b``, ``<metric>_delta``
        for each of :data:`DEPARTMENT_METRICS` (:data:`PARTNER_METRICS`) that
        both runs have; a department or partner in one run only has NaN for the other.
    """

    a: Path
    b: Path
    opened: pd.DataFrame
    closed: pd.DataFrame
    headline: pd.DataFrame
    departments: pd.DataFrame
    partners: pd.DataFrame
    distance_unit: str = ""
    trajectory: pd.DataFrame | None = None
    target_months: tuple[str | None, str | None] = (None, None)

    def to_frame(self) -> pd.DataFrame:
        """One long table: ``section``, ``key``, ``metric``, ``a``, ``b``, ``delta``.

        Sections: ``site`` (metric ``opened`` or ``closed``), ``headline``,
        ``department``, ``partner`` and, with rollouts, ``trajectory`` (key: the month,
        metric ``cumulative``).
        """
        parts = [
            pd.DataFrame({"section": "site", "key": frame["site_id"], "metric": change}).assign(
                a=np.nan, b=np.nan, delta=np.nan
            )
            for change, frame in (("opened", self.opened), ("closed", self.closed))
        ]
        parts.append(self.headline.assign(section="headline", key=""))
        parts.append(_long(self.departments, "dep", "department"))
        parts.append(_long(self.partners, "partner", "partner"))
        if self.trajectory is not None:
            frame = self.trajectory
            parts.append(
                pd.DataFrame(
                    {
                        "section": "trajectory",
                        "key": frame["month"],
                        "metric": "cumulative",
                        "a": frame["cumulative_a"],
                        "b": frame["cumulative_b"],
                        "delta": frame["delta"],
                    }
                )
            )
        columns = ["section", "key", "metric", "a", "b", "delta"]
        return pd.concat([p[columns] for p in parts if len(p)], ignore_index=True)


def compare_runs(a: str | Path | RunOutput, b: str | Path | RunOutput) -> Comparison:
    """Compare run B with run A (folders, or runs read with :func:`~coverage.scenario.output.read_run`).

    Raises
    ------
    MissingDataError
        A folder is not a run folder (the missing files are named).

    Examples
    --------
    Two runs of the demo, with 5 and 6 sites:

    >>> import pathlib, tempfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.output import write_run
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> demo, folder = shipped_scenario("demo"), pathlib.Path(tempfile.mkdtemp())
    >>> for sites in (5, 6):
    ...     run = run_scenario(load_scenario(demo, overrides=[f"objective.max_sites={sites}"]))
    ...     _ = write_run(run, folder / f"demo-{sites}", with_map=False)
    >>> comparison = compare_runs(folder / "demo-5", folder / "demo-6")
    >>> comparison.a.name, comparison.b.name
    ('demo-5', 'demo-6')
    >>> headline = comparison.headline.set_index("metric")
    >>> float(headline.loc["open_sites", "delta"]), round(float(headline.loc["served_share", "delta"]), 3)
    (1.0, 0.044)
    >>> len(comparison.opened) - len(comparison.closed), list(comparison.opened.columns)
    (1, ['site_id', 'name', 'partner', 'dep'])
    >>> sorted(set(comparison.to_frame()["section"]))
    ['department', 'headline', 'partner', 'site']
    """
    run_a = a if isinstance(a, RunOutput) else read_run(a)
    run_b = b if isinstance(b, RunOutput) else read_run(b)
    ids_a = set(run_a.open_sites["site_id"])
    ids_b = set(run_b.open_sites["site_id"])
    unit_a = str(run_a.summary["summary"].get("distance_unit") or "")
    unit_b = str(run_b.summary["summary"].get("distance_unit") or "")
    headline = _headline(run_a.summary["summary"], run_b.summary["summary"])
    if unit_a != unit_b:  # metres against minutes: no delta
        headline.loc[headline["metric"].str.endswith("distance"), "delta"] = np.nan
    return Comparison(
        a=run_a.folder,
        b=run_b.folder,
        opened=_sites(run_b.open_sites, ids_b - ids_a),
        closed=_sites(run_a.open_sites, ids_a - ids_b),
        headline=headline,
        departments=_deltas(run_a.kpis["department"], run_b.kpis["department"], "dep", DEPARTMENT_METRICS),
        partners=_deltas(run_a.kpis["partner"], run_b.kpis["partner"], "partner", PARTNER_METRICS),
        distance_unit=unit_a if unit_a == unit_b else "",
        trajectory=_trajectory(run_a.trajectory, run_b.trajectory),
        target_months=(_target_month(run_a.summary), _target_month(run_b.summary)),
    )


def _target_month(summary: dict[str, object]) -> str | None:
    headline = summary.get("summary")
    trajectory = headline.get("trajectory") if isinstance(headline, dict) else None
    month = trajectory.get("target_month") if isinstance(trajectory, dict) else None
    return str(month) if month else None


def _trajectory(a: pd.DataFrame | None, b: pd.DataFrame | None) -> pd.DataFrame | None:
    """Cumulated people per month of two runs (their ``total`` rows), B - A."""
    if a is None or b is None:
        return None
    totals = [t[t["level"] == "total"][["month", "cumulative"]] for t in (a, b)]
    merged = totals[0].merge(totals[1], on="month", how="outer", suffixes=("_a", "_b"))
    merged["delta"] = merged["cumulative_b"] - merged["cumulative_a"]
    return merged.sort_values("month").reset_index(drop=True)


def _sites(open_sites: pd.DataFrame, ids: set[str]) -> pd.DataFrame:
    columns = [c for c in _SITE_COLUMNS if c in open_sites.columns]
    chosen = open_sites[open_sites["site_id"].isin(ids)][columns]
    return chosen.sort_values("site_id").reset_index(drop=True)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return float("nan")
    return float(value)


def _headline(a: dict[str, object], b: dict[str, object]) -> pd.DataFrame:
    rows = [(m, _number(a.get(m)), _number(b.get(m))) for m in HEADLINE_METRICS if m in a or m in b]
    frame = pd.DataFrame(rows, columns=["metric", "a", "b"])
    frame["delta"] = frame["b"] - frame["a"]
    return frame


def _deltas(a: pd.DataFrame, b: pd.DataFrame, key: str, metrics: tuple[str, ...]) -> pd.DataFrame:
    shared = [m for m in metrics if m in a.columns and m in b.columns]
    merged = a[[key, *shared]].merge(b[[key, *shared]], on=key, how="outer", suffixes=("_a", "_b"))
    out = merged[[key]].copy()
    for metric in shared:
        out[f"{metric}_a"] = pd.to_numeric(merged[f"{metric}_a"], errors="coerce")
        out[f"{metric}_b"] = pd.to_numeric(merged[f"{metric}_b"], errors="coerce")
        out[f"{metric}_delta"] = out[f"{metric}_b"] - out[f"{metric}_a"]
    return out.sort_values(key).reset_index(drop=True)


def _long(frame: pd.DataFrame, key: str, section: str) -> pd.DataFrame:
    metrics = [c.removesuffix("_delta") for c in frame.columns if c.endswith("_delta")]
    rows = [
        {
            "section": section,
            "key": row[key],
            "metric": metric,
            "a": row[f"{metric}_a"],
            "b": row[f"{metric}_b"],
            "delta": row[f"{metric}_delta"],
        }
        for _, row in frame.iterrows()
        for metric in metrics
    ]
    return pd.DataFrame(rows, columns=["section", "key", "metric", "a", "b", "delta"])
