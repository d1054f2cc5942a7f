"""The trajectory chart: people accompanied, cumulated month by month, against the target line.

:func:`trajectory_chart` draws a :class:`~coverage.plan.trajectory.Trajectory` with
matplotlib (its object API, no pyplot state: safe in the app and in batch
workers), in English or French (``lang``), and writes it as PNG when given a path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from coverage.plan.export import atomic_path
from coverage.plan.trajectory import Trajectory

__all__ = ["LABELS", "month_label", "trajectory_chart"]

#: Chart texts by language.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "People accompanied, cumulated by month",
        "people": "people accompanied (cumulated)",
        "month": "month",
        "target": "target {target}",
        "total": "all partners",
        "reached": "target reached in {month}",
        "shortfall": "shortfall at the end: {gap}",
        "monthly": "people per month",
    },
    "fr": {
        "title": "Personnes accompagnées, cumul mensuel",
        "people": "personnes accompagnées (cumul)",
        "month": "mois",
        "target": "objectif {target}",
        "total": "tous partenaires",
        "reached": "objectif atteint en {month}",
        "shortfall": "manque à la fin : {gap}",
        "monthly": "personnes par mois",
    },
}


def _number(value: float, lang: str) -> str:
    text = f"{value:,.0f}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def month_label(month: object, lang: str) -> str:
    """A month as the language writes it: ``2025-03`` in English, ``03/2025`` in French.

    Examples
    --------
    >>> import datetime as dt
    >>> month_label(dt.date(2025, 3, 1), "fr"), month_label(dt.date(2025, 3, 1), "en")
    ('03/2025', '2025-03')
    """
    if not hasattr(month, "strftime"):
        return str(month)
    return month.strftime("%m/%Y" if lang == "fr" else "%Y-%m")


def _partner(name: str, lang: str) -> str:
    from coverage.data.i18n import language
    from coverage.data.i18n.names import partner_name

    with language(lang):
        return partner_name(name)


def trajectory_chart(
    trajectory: Trajectory,
    path: str | os.PathLike[str] | None = None,
    *,
    lang: Literal["en", "fr"] = "en",
    by_partner: bool = True,
) -> Figure:
    """Cumulated people per month (total, and per partner), the target as a line.

    Parameters
    ----------
    trajectory
        The rollout's trajectory.
    path
        Write the chart there as PNG (atomic) when given.
    lang
        ``'en'`` or ``'fr'``: titles, axes and legend (French numbers with thin spaces).
    by_partner
        Also draw one curve per partner.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Horizon, Partner
    >>> from coverage.inputs.rollout import Rollout
    >>> demand = pd.DataFrame({"unit_id": ["u1"], "need": [100.0]})
    >>> reach = Reach.from_dense(["u1"], ["s1"], [[1]], max_distance=5)
    >>> horizon = Horizon(dt.date(2022, 1, 1), dt.date(2022, 6, 30), target=40.0)
    >>> plan = staffing(demand, pd.DataFrame({"site_id": ["s1"]}), reach,
    ...                 [Partner("p", 1, people_per_slot_month=10.0)],
    ...                 horizon=horizon, rollout=Rollout(horizon.start, horizon.until, ramp=(0.5,)))
    >>> figure = trajectory_chart(plan.trajectory, lang="fr")
    >>> figure.axes[0].get_title()
    'Personnes accompagnées, cumul mensuel'
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()][:2]
    ['tous partenaires', 'objectif 40']
    """
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {', '.join(LABELS)}, got {lang!r}")
    text = LABELS[lang]
    figure = Figure(figsize=(9, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    months = list(range(len(trajectory.months)))
    labels = [month_label(m, lang) for m in trajectory.months]
    axes.plot(months, trajectory.cumulative, color="#1f3d7a", linewidth=2.5, label=text["total"])
    if by_partner and len(trajectory.partners) > 1:
        table = trajectory.table("partner")
        for partner, rows in table.groupby("partner", sort=True):
            axes.plot(
                months, rows["cumulative"].to_numpy(), linewidth=1.2, label=_partner(str(partner), lang)
            )
    target = trajectory.target
    if target is not None:
        axes.axhline(
            target, color="#c0392b", linestyle="--", label=text["target"].format(target=_number(target, lang))
        )
        month = trajectory.target_month
        if month is not None:
            note = text["reached"].format(month=month_label(month, lang))
        else:
            note = text["shortfall"].format(gap=_number(trajectory.shortfall or 0.0, lang))
        axes.annotate(
            note,
            xy=(0.01, 0.98),
            xycoords="axes fraction",
            va="top",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999999"},
        )
    step = max(1, len(months) // 12)
    axes.set_xticks(months[::step], labels[::step], rotation=45, ha="right")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _number(value, lang)))
    axes.set_title(text["title"])
    axes.set_xlabel(text["month"])
    axes.set_ylabel(text["people"])
    axes.grid(alpha=0.3)
    top = max(float(trajectory.cumulative.max(initial=0.0)), target or 0.0)
    axes.set_ylim(0, top * 1.18 if top > 0 else 1.0)
    axes.legend(loc="upper left", bbox_to_anchor=(0.0, 0.9))
    if path is not None:
        with atomic_path(Path(path)) as partial:
            figure.savefig(partial, format="png")
    return figure
