"""The planners' map app: tune, see, compare and export coverage scenarios.

    coverage-plan app                      # installed: starts this script
    streamlit run apps/streamlit_app.py    # from a checkout

Thin by design: the settings are a scenario (:mod:`coverage.app.settings`),
the plan comes from :func:`coverage.app.session.resolve`, and the map,
tables, comparison and exports are library calls.
"""

from __future__ import annotations

import streamlit as st

from coverage.app.live import solve_live
from coverage.app.roads import roads_panel
from coverage.app.session import inputs_key, resolve
from coverage.app.settings import LANG_PARAM
from coverage.app.sidebar import sidebar
from coverage.app.uploads import uploads_tab
from coverage.app.views import compare_tab, export_tab, kpi_cards, map_tab, numbers_tab, tiles_setting
from coverage.data.i18n import LANGUAGES, get_language, set_language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.errors import frame_error
from coverage.errors import CoverageError, out_of_resources
from coverage.scenario.progress import Progress
from coverage.scenario.run import ScenarioRun
from coverage.scenario.schema import Scenario
from coverage.scenario.tables import is_path_like

#: A scenario above this many departments (or reading official files) solves on a button press only.
#: Embedded data and uploads only: the demo solves in about a second.
LIGHT_DEPARTMENTS = 10


@st.cache_resource(max_entries=4, show_spinner=False)
def _inputs_run(
    key: str, data_dir: str, _scenario: Scenario, _progress: Progress | None = None
) -> ScenarioRun:
    """A full run of the first scenario seen with these inputs (demand, sites, reach are reused)."""
    return resolve(_scenario, data_dir=data_dir or None, progress=_progress)


@st.cache_resource(max_entries=32, show_spinner=False)
def _solved(key: str, data_dir: str, _scenario: Scenario, _progress: Progress | None = None) -> ScenarioRun:
    base = _inputs_run(inputs_key(_scenario), data_dir, _scenario, _progress)
    if base.scenario == _scenario:
        return base
    if _progress is not None:
        _progress("solve", 0, 1)
    return resolve(_scenario, previous=base)


def _is_light(scenario: Scenario) -> bool:
    departments = scenario.departments()
    # town halls, or the planner's own uploaded layers (at most MAX_UPLOAD_BYTES each)
    embedded_only = all(
        layer.source == "town_halls" or is_path_like(layer.source) for layer in scenario.sites.values()
    )
    embedded_only &= not scenario.demand.use_fragility and scenario.demand.qpv_units == "none"
    embedded_only &= scenario.demand.rurality == "embedded"
    return embedded_only and departments is not None and len(departments) <= LIGHT_DEPARTMENTS


def _plan(scenario: Scenario) -> ScenarioRun | None:
    key = scenario.model_dump_json()
    data_dir = st.sidebar.text_input(
        _("Data folder (official files)"), key="data_dir", help=_("default: COVERAGE_DATA_DIR")
    )
    light = _is_light(scenario)
    if not light and st.session_state.get("solved_key") != key:
        st.info(_("This scenario reads official files or covers many departments: it solves on demand."))
        if not st.button(_("Solve"), type="primary"):
            return None
    try:  # in a worker thread: its phases, the solver's figures and a button to stop it
        run = solve_live(
            f"{data_dir}\n{key}", lambda progress: _solved(key, data_dir, scenario, progress), quiet=light
        )
    except (CoverageError, ValueError) as exc:
        st.error(_("The plan could not be made:") + f"\n\n{frame_error(str(exc))}")
        return None
    except Exception as exc:  # MemoryError, or pyarrow's and threading's words for it
        if not out_of_resources(exc):
            raise
        st.error(
            _(
                "The plan could not be made: the server ran out of memory. Plan fewer departments, "
                "fewer candidate sites or a shorter reach."
            )
        )
        return None
    st.session_state["solved_key"] = key
    if run.plan.stopped:  # kept for this setting until the planner asks for the whole solve
        again = _("Solve again without stopping")
        if st.button(again, key="solve_again", help=_("Forget the stopped plan and solve to the end.")):
            _solved.clear(key, data_dir, scenario)
            _inputs_run.clear(inputs_key(scenario), data_dir, scenario)  # it may hold the stopped run
            st.rerun()
    return run


def _language() -> None:
    """The session's language: the URL's ``lang`` on a first run, then the switch (French by default)."""
    if "lang" not in st.session_state:
        asked = st.query_params.get(LANG_PARAM, "fr")
        st.session_state["lang"] = asked if asked in LANGUAGES else "fr"
    set_language(st.session_state["lang"])


def main() -> None:
    _language()
    st.set_page_config(page_title=_("Coverage planning"), layout="wide")
    st.title(_("Coverage planning"))
    view = sidebar({**st.session_state.get("site_layer", {}), **st.session_state.get("demand_layer", {})})
    # the map is drawn only while its tab is open: a map drawn in a hidden tab has a frame of height 0
    names = [_("Map"), _("Numbers"), _("Compare"), _("Your data"), _("Export")]
    try:
        tabs = st.tabs(names, key=f"tab-{get_language()}", on_change="rerun")
    except TypeError:  # Streamlit before lazy tabs: every tab is drawn
        tabs = st.tabs(names)
    with tabs[3]:
        uploads_tab()
    if view.scenario is None:
        st.error(_("These settings are not a valid scenario:") + f"\n\n{frame_error(str(view.error))}")
        return
    st.caption(view.scenario.description or view.scenario.name)
    run = _plan(view.scenario)
    if run is None:
        return
    key = run.scenario.model_dump_json()
    with tabs[2]:
        comparison = compare_tab(run)
    pinned: ScenarioRun | None = st.session_state.get("pinned")
    with tabs[0]:
        kpi_cards(run, None if pinned is None else pinned.plan)
        if getattr(tabs[0], "open", None) is not False:
            map_tab(run, key, st.session_state.get("demand"), comparison, pinned, tiles_setting())
            roads_panel(run)
    with tabs[1]:
        numbers_tab(run, key)
    with tabs[4]:
        export_tab(run)


if __name__ == "__main__":  # streamlit runs this file as __main__
    main()
