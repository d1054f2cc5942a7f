"""The app's tabs: map, numbers, compare and exports; every figure comes from the plan."""

from __future__ import annotations

import functools
import hashlib
import os
from typing import Literal

import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from coverage.app.assets import local_assets, tile_notice
from coverage.app.binding import binding_section
from coverage.app.report import committee_report
from coverage.app.session import compare_plans, export_csv_zip, export_gpkg, map_html
from coverage.app.trajectory import trajectory_section
from coverage.data.i18n import format_date, format_km, format_number, format_percent, get_language, language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.names import STATUSES, display_table, partner_name
from coverage.plan.map_image import map_image
from coverage.plan.maps import plan_map
from coverage.plan.plan import Plan
from coverage.scenario.compare import Comparison
from coverage.scenario.loading import dump_scenario
from coverage.scenario.output import repeatability_note
from coverage.scenario.run import ScenarioRun


def _km(metres: float) -> str:
    return format_km(metres)


def build_map(
    run: ScenarioRun,
    demand: gpd.GeoDataFrame | None,
    comparison: Comparison | None,
    *,
    tiles: str | None,
) -> folium.Map:
    """The plan's map with the demand upload and the comparison overlaid, built anew on every run.

    Never cached: streamlit-folium changes the map object it draws, so a map
    drawn a second time (a setting and back, a reload, a shared link) lost its
    layers (``geo_json_... is not defined``) and drew a frame of height 0.
    """
    m = plan_map(run.plan, candidates=run.sites, tiles=tiles)
    if demand is not None:
        folium.GeoJson(
            demand.to_crs(4326).assign(need=[format_number(v) for v in demand["need"]]),
            name=_("uploaded demand ({n})").format(n=format_number(len(demand))),
            marker=folium.CircleMarker(radius=3, color="#6a3d9a", fill=True, fill_opacity=0.7),
            tooltip=folium.GeoJsonTooltip(fields=["unit_id", "name", "need"]),
        ).add_to(m)
    if comparison is not None:
        _add_changes(m, comparison, run)
    _layer_control_last(m)
    if tiles is not None:
        tile_notice(m, _("The basemap cannot load (no network?): the department outlines are drawn."))
    return local_assets(m, base_url=_static_url())


def _layer_control_last(m: folium.Map) -> None:
    """Move the layer control after the layers added here.

    streamlit-folium runs the children's scripts in order: a control placed
    before a layer names a variable not yet defined, and the whole map fails
    (``Cannot read properties of undefined (reading 'setZIndex')``, frame height 0).
    """
    for name in [name for name, child in m._children.items() if isinstance(child, folium.LayerControl)]:
        control = m._children.pop(name)
        m.add_child(control, name=name)


def _static_url() -> str | None:
    """Where the server serves the package's static folder; None when it does not (Leaflet inline)."""
    if not st.get_option("server.enableStaticServing"):
        return None
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{prefix}/app/static" if prefix else "/app/static"


def tiles_setting() -> str | None:
    """The basemap: ``COVERAGE_TILES`` (a tile URL template, or ``none``), else OpenStreetMap."""
    chosen = os.environ.get("COVERAGE_TILES", "OpenStreetMap").strip()
    return None if chosen.lower() in ("", "none") else chosen


def _add_changes(m: folium.Map, comparison: Comparison, run: ScenarioRun) -> None:
    sites = run.sites.to_crs(4326).set_index(run.sites["site_id"].astype(str))
    pinned_sites = comparison.closed["site_id"].astype(str)
    for label, ids, colour in (
        (_("opened since the pinned plan"), comparison.opened["site_id"].astype(str), "#2ca02c"),
        (_("closed since the pinned plan"), pinned_sites, "#d62728"),
    ):
        layer = folium.FeatureGroup(name=f"{label} ({len(ids)})")
        for site_id in ids:
            if site_id in sites.index:
                point = sites.loc[site_id].geometry
                folium.CircleMarker(
                    (point.y, point.x),
                    radius=12,
                    color=colour,
                    weight=3,
                    dash_array="4",
                    fill=False,
                    tooltip=f"{label}: {site_id}",
                ).add_to(layer)
        layer.add_to(m)


def map_tab(
    run: ScenarioRun,
    key: str,
    demand: gpd.GeoDataFrame | None,
    comparison: Comparison | None,
    pinned: ScenarioRun | None,
    tiles: str | None = None,
) -> None:
    """The plan's map; ``key`` names the plan, ``pinned`` the plan ``comparison`` is made against."""
    del pinned  # the comparison carries what the map shows of it
    m = build_map(run, demand, comparison, tiles=tiles)
    st_folium(m, height=600, use_container_width=True, returned_objects=[], key=f"map-{key_hash(key)}")


def key_hash(key: str) -> str:
    """A short stable hash of a plan's key (component keys, file names)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def kpi_cards(run: ScenarioRun, pinned: Plan | None) -> None:
    plan = run.plan
    summary = plan.summary()
    before = pinned.summary() if pinned is not None else None

    def delta(name: str, scale: float = 1.0) -> str | None:
        if before is None or summary.get(name) is None or before.get(name) is None:
            return None
        change = (summary[name] - before[name]) / scale
        return ("+" if change > 0 else "") + format_number(change, 1)

    projection = plan.projection()
    cols = st.columns(4)
    reached = f"{format_number(plan.reached_need)} / {format_number(plan.total_need)}"
    cols[0].metric(
        _("People in need within reach"),
        reached,
        delta("reached_need"),
        help=_(
            "need of the units within reach of an open site, out of the total need "
            "(the target counts people helped: see the next card)"
        ),
    )
    if projection is not None:
        cols[1].metric(
            _("People helped by {date}").format(date=format_date(projection.date)),
            format_number(projection.people)
            + ("" if projection.target is None else f" / {format_number(projection.target)}"),
            help=_(
                "people accompanied by the date, out of the target (min of need served and the "
                "slots' serving capacity)"
            ),
        )
    else:
        cols[1].metric(
            _("Share of need served"), format_percent(plan.served_share), delta("served_share", 0.01)
        )
    cols[2].metric(_("Open sites"), format_number(len(plan.open_site_ids)), delta("open_sites"))
    cols[3].metric(_("Shared sites"), format_number(summary["shared_sites"]), delta("shared_sites"))
    cols = st.columns(4)
    counts = plan.department_counts()
    if counts is not None:
        cols[0].metric(
            _("Departments with an open site"),
            f"{counts.with_open_site} / {counts.with_need}",
            help=_(
                "{served} departments with need served, {outside} of them only from sites across a border"
            ).format(served=counts.served, outside=counts.served_from_outside)
            + (
                _("; without population data (not counted): {deps}").format(
                    deps=", ".join(counts.without_population)
                )
                if counts.without_population
                else ""
            ),
        )
    cols[1].metric(
        _("Mean distance"), _km(plan.mean_distance), delta("mean_distance", 1000.0), delta_color="inverse"
    )
    cols[2].metric(
        _("Worst distance"), _km(plan.worst_distance), delta("worst_distance", 1000.0), delta_color="inverse"
    )
    gap = plan.gap
    cols[3].metric(
        _("Solve status"),
        _("stopped by the planner") if plan.stopped else _(STATUSES.get(plan.status, plan.status)),
        None if gap is None else _("gap {gap}").format(gap=format_percent(gap, 2)),
        delta_color="off",
    )
    note = repeatability_note(plan.status, gap, deterministic=run.scenario.solver.deterministic)
    if plan.stopped:  # the planner stopped the solver: this plan, its gap and the bound no plan beats
        note = _("You stopped the solver at this plan: gap {gap} to the bound {bound}, which no plan beats")
        note = note.format(gap=format_percent(gap, 2), bound=format_number(plan.bound))
    if note:
        st.info(note[0].upper() + note[1:] + ".")
    partners = plan.kpis("partner")
    if len(partners) and partners["advisors_available"].sum() > 0:
        st.caption(
            _("Advisors used per partner:")
            + " "
            + ", ".join(
                _("{partner} {used} of {available}").format(
                    partner=partner_name(str(row.partner)),
                    used=format_number(row.advisors),
                    available=format_number(row.advisors_available),
                )
                for row in partners.itertuples()
            )
        )


def numbers_tab(run: ScenarioRun, key: str) -> None:
    plan = run.plan
    trajectory_section(plan)
    binding_section(run, key)
    tables: list[tuple[str, Literal["department", "partner", "zone"]]] = [
        (_("By department"), "department"),
        (_("By partner"), "partner"),
        (_("By zone"), "zone"),
    ]
    for title, by in tables:
        if by == "department" and "dep" not in plan.units.columns:
            continue
        st.subheader(title)
        st.dataframe(display_table(plan.kpis(by)), hide_index=True, width="stretch")
    st.subheader(_("Open sites"))
    st.dataframe(display_table(plan.sites), hide_index=True, width="stretch")
    st.subheader(_("Explanations: priority units left unreached"))
    st.dataframe(display_table(plan.explanations), hide_index=True, width="stretch")
    st.caption(
        _(
            "Solver {solver}, status {status}, objective {objective}, bound {bound}, gap {gap}; {timings}"
        ).format(
            solver=plan.solver,
            status=_("stopped by the planner") if plan.stopped else _(STATUSES.get(plan.status, plan.status)),
            objective=format_number(plan.objective, 2),
            bound=format_number(plan.bound, 2),
            gap=format_percent(plan.gap, 2),
            timings=", ".join(
                _("{phase} {seconds} s").format(phase=_(phase), seconds=format_number(seconds, 1))
                for phase, seconds in run.timings.items()
            ),
        )
    )


def compare_tab(run: ScenarioRun) -> Comparison | None:
    cols = st.columns(2)
    if cols[0].button(_("Pin this plan"), help=_("keep it to compare with the next settings")):
        st.session_state["pinned"] = run
    if cols[1].button(_("Unpin")) and "pinned" in st.session_state:
        del st.session_state["pinned"]
    pinned: ScenarioRun | None = st.session_state.get("pinned")
    if pinned is None:
        st.info(_("Pin the current plan, change the settings, and the differences show here and on the map."))
        return None
    comparison = compare_plans(pinned.plan, run.plan)
    st.subheader(_("Headline: current minus pinned"))
    st.dataframe(display_table(comparison.headline), hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.subheader(_("Sites opened ({n})").format(n=len(comparison.opened)))
    left.dataframe(display_table(comparison.opened), hide_index=True, width="stretch")
    right.subheader(_("Sites closed ({n})").format(n=len(comparison.closed)))
    right.dataframe(display_table(comparison.closed), hide_index=True, width="stretch")
    if len(comparison.departments):
        st.subheader(_("By department"))
        st.dataframe(display_table(comparison.departments), hide_index=True, width="stretch")
    return comparison


def export_tab(run: ScenarioRun) -> None:
    """Downloads; the plan files are made when their button is pressed (deferred; no rerun)."""
    name = run.scenario.name
    toml = dump_scenario(run.scenario)
    st.download_button(
        _("Scenario TOML (runs with coverage-plan run FILE)"),
        toml,
        f"{name}.toml",
        mime="application/toml",
        on_click="ignore",
    )
    plan, sites = run.plan, run.sites
    st.download_button(
        _("Plan GeoPackage"),
        functools.partial(export_gpkg, plan),
        f"{name}.gpkg",
        mime="application/geopackage+sqlite3",
        on_click="ignore",
    )
    st.download_button(
        _("Plan CSV tables (zip)"),
        functools.partial(export_csv_zip, plan),
        f"{name}-csv.zip",
        mime="application/zip",
        on_click="ignore",
    )
    lang = get_language()  # the files are made when pressed, outside this run: in this run's language

    def map_page() -> str:
        with language(lang):
            return map_html(local_assets(plan_map(plan, candidates=sites)))

    def report_page() -> str:
        with language(lang):
            return committee_report(
                name=name,
                summary=plan.summary(),
                departments=plan.kpis("department") if "dep" in plan.units.columns else None,
                partners=plan.kpis("partner"),
                scenario_toml=toml,
                map_page=map_html(plan_map(plan, candidates=sites)),
                map_png=map_image(
                    plan.units, plan.sites, plan.kpis("department") if "dep" in plan.units.columns else None
                ),
            )

    st.download_button(
        _("Committee report (one HTML file)"),
        report_page,
        name + "-" + _("report") + ".html",
        mime="text/html",
        on_click="ignore",
        type="primary",
    )
    st.download_button(
        _("HTML map (opens offline)"),
        map_page,
        f"{name}-map.html",
        mime="text/html",
        on_click="ignore",
    )
    st.code(toml, language="toml")
