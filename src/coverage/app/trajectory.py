"""The app's rollout view: people accompanied month by month against the target line.

Shown under the numbers tab when the plan carries a
:class:`~coverage.plan.trajectory.Trajectory` (a staffing scenario with a
``[rollout]`` table). Every figure comes from the trajectory; the chart is
:func:`coverage.plan.trajectory_chart.trajectory_chart`, in English or French.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from coverage.plan.plan import Plan
from coverage.plan.trajectory_chart import LABELS, trajectory_chart

__all__ = ["trajectory_section"]

_TEXT = {
    "en": {
        "title": "Rollout over time",
        "people": "People accompanied by {month}",
        "reached": "Target reached",
        "not_reached": "not reached",
        "shortfall": "Shortfall at the end",
        "solve": "Rollout solve: {status} in {seconds:.1f} s ({solves} solves)",
        "table": "Month by month",
    },
    "fr": {
        "title": "Déploiement dans le temps",
        "people": "Personnes accompagnées fin {month}",
        "reached": "Objectif atteint",
        "not_reached": "non atteint",
        "shortfall": "Manque à la fin",
        "solve": "Calcul du déploiement : {status} en {seconds:.1f} s ({solves} résolutions)",
        "table": "Mois par mois",
    },
}


def trajectory_section(plan: Plan, *, lang: Literal["en", "fr"] = "en") -> None:
    """Headline cards, the cumulative curve against the target and the monthly table (nothing
    without a trajectory)."""
    trajectory = plan.trajectory
    if trajectory is None:
        return
    text = _TEXT[lang if lang in LABELS else "en"]
    st.subheader(text["title"])
    end = trajectory.months[-1].strftime("%Y-%m")
    cards = st.columns(3)
    cards[0].metric(text["people"].format(month=end), f"{trajectory.people_total:,.0f}")
    month = trajectory.target_month
    if trajectory.target is not None:
        cards[1].metric(text["reached"], text["not_reached"] if month is None else month.strftime("%Y-%m"))
        if trajectory.shortfall is not None:
            cards[2].metric(text["shortfall"], f"{trajectory.shortfall:,.0f}")
    st.pyplot(trajectory_chart(trajectory, lang=lang), clear_figure=False)
    st.caption(
        text["solve"].format(
            status=trajectory.status, seconds=trajectory.solve_seconds, solves=len(trajectory.phases)
        )
    )
    with st.expander(text["table"]):
        st.dataframe(pd.DataFrame(trajectory.table()), hide_index=True, width="stretch")
