"""The app's rollout view: people accompanied month by month against the target line.

Shown under the numbers tab when the plan carries a
:class:`~coverage.plan.trajectory.Trajectory` (a staffing scenario with a
``[rollout]`` table). Every figure comes from the trajectory; the chart is
:func:`coverage.plan.trajectory_chart.trajectory_chart`; texts, numbers and
months are in the language in use (the catalogue and Babel).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from coverage.data.i18n import format_number, get_language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.names import STATUSES
from coverage.plan.plan import Plan
from coverage.plan.trajectory_chart import month_label, trajectory_chart

__all__ = ["trajectory_section"]


def trajectory_section(plan: Plan) -> None:
    """Headline cards, the cumulative curve against the target and the monthly table (nothing
    without a trajectory)."""
    trajectory = plan.trajectory
    if trajectory is None:
        return
    lang = get_language()
    st.subheader(_("Rollout over time"))
    end = month_label(trajectory.months[-1], lang)
    cards = st.columns(3)
    cards[0].metric(
        _("People accompanied by {month}").format(month=end), format_number(trajectory.people_total)
    )
    month = trajectory.target_month
    if trajectory.target is not None:
        reached = _("not reached") if month is None else month_label(month, lang)
        cards[1].metric(_("Target reached"), reached)
        if trajectory.shortfall is not None:
            cards[2].metric(_("Shortfall at the end"), format_number(trajectory.shortfall))
    st.pyplot(trajectory_chart(trajectory, lang=lang), clear_figure=False)  # type: ignore[arg-type]
    st.caption(
        _("Rollout solve: {status} in {seconds} s ({solves} solves)").format(
            status=_(STATUSES.get(trajectory.status, trajectory.status)),
            seconds=format_number(trajectory.solve_seconds, 1),
            solves=len(trajectory.phases),
        )
    )
    with st.expander(_("Month by month")):
        table = pd.DataFrame(trajectory.table())
        names = {"month": _("Month"), "people": _("People accompanied"), "cumulative": _("Cumulated")}
        if "month" in table.columns:
            table["month"] = [
                month_label(
                    dt.date.fromisoformat(f"{m}-01") if isinstance(m, str) and len(m) == 7 else m, lang
                )
                for m in table["month"]
            ]
        for column in ("people", "cumulative"):
            if column in table.columns:
                table[column] = [format_number(float(v)) for v in table[column]]
        st.dataframe(table.rename(columns=names), hide_index=True, width="stretch")
