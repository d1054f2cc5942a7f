"""The app's *What binds* section: the tight constraint groups, and what one more of each resource buys.

Thin: :func:`coverage.plan.binding.binding_constraints` reads the groups from the
plan's tables (at once); :func:`coverage.scenario.marginal.what_binds` measures the
marginal values by re-solving, on request, and the result is kept for the settings
it was measured on.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.errors import translate_text
from coverage.plan.binding import binding_constraints
from coverage.scenario.marginal import what_binds
from coverage.scenario.run import ScenarioRun


def binding_section(run: ScenarioRun, key: str) -> None:
    """Draw the section for ``run``; ``key`` identifies its settings (the scenario as JSON)."""
    st.subheader(_("What binds"))
    groups = binding_constraints(run.plan, run.sites)
    if not groups:
        st.caption(_("This model has no constraint group to report."))
        return
    st.dataframe(
        pd.DataFrame(
            {
                _("constraint"): [_(b.group) for b in groups],
                _("applies to"): [translate_text(b.subject) for b in groups],
                _("use against its limit"): [translate_text(b.detail) for b in groups],
                _("tight"): [_("yes") if b.tight else "" for b in groups],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    measured = st.session_state.get("marginal")
    if measured is None or measured[0] != key:
        if st.button(
            _("Measure what one more buys"),
            key="measure_marginal",
            help=_(
                "solve again once per resource: one more advisor per partner, slot per site, site, "
                "km of radius"
            ),
        ):
            with st.spinner(_("Solving again once per resource...")):
                measured = (key, what_binds(run))
            st.session_state["marginal"] = measured
        else:
            return
    analysis = measured[1]
    for marginal in analysis.marginal:
        st.markdown(f"- {marginal.line()}")
    if analysis.note:
        st.caption(translate_text(analysis.note))
