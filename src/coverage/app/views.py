"""The app's tabs: map, numbers, compare and exports; every figure comes from the plan."""

from __future__ import annotations

import functools
import math
from typing import Literal

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from coverage.app.binding import binding_section
from coverage.app.session import compare_plans, export_csv_zip, export_gpkg, map_html
from coverage.app.trajectory import trajectory_section
from coverage.plan.maps import plan_map
from coverage.plan.plan import Plan
from coverage.scenario.compare import Comparison
from coverage.scenario.loading import dump_scenario
from coverage.scenario.output import repeatability_note
from coverage.scenario.run import ScenarioRun


def _km(metres: float) -> str:
    return "n/a" if metres is None or math.isnan(metres) else f"{metres / 1000:.1f} km"


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_map(
    key: str, _run: ScenarioRun, _extra: tuple[gpd.GeoDataFrame | None, Comparison | None]
) -> folium.Map:
    """The plan's map, built once per plan (``key``), with the demand upload and the comparison overlaid."""
    m = plan_map(_run.plan, candidates=_run.sites)
    demand, comparison = _extra
    if demand is not None:
        folium.GeoJson(
            demand.to_crs(4326).assign(need=[f"{v:,.0f}" for v in demand["need"]]),
            name=f"uploaded demand ({len(demand):,})",
            marker=folium.CircleMarker(radius=3, color="#6a3d9a", fill=True, fill_opacity=0.7),
            tooltip=folium.GeoJsonTooltip(fields=["unit_id", "name", "need"]),
        ).add_to(m)
    if comparison is not None:
        _add_changes(m, comparison, _run)
    return m


def _add_changes(m: folium.Map, comparison: Comparison, run: ScenarioRun) -> None:
    sites = run.sites.to_crs(4326).set_index(run.sites["site_id"].astype(str))
    pinned_sites = comparison.closed["site_id"].astype(str)
    for label, ids, colour in (
        ("opened since the pinned plan", comparison.opened["site_id"].astype(str), "#2ca02c"),
        ("closed since the pinned plan", pinned_sites, "#d62728"),
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
) -> None:
    """The plan's map; ``key`` names the plan, ``pinned`` the plan ``comparison`` is made against."""
    demand_key = "" if demand is None else f"{len(demand)}:{demand['need'].sum()}:{demand['unit_id'].iloc[0]}"
    pinned_key = "" if pinned is None or comparison is None else pinned.scenario.model_dump_json()
    m = cached_map(f"{key}|{demand_key}|{pinned_key}", run, (demand, comparison))
    st_folium(m, height=600, use_container_width=True, returned_objects=[], key="map")


def kpi_cards(run: ScenarioRun, pinned: Plan | None) -> None:
    plan = run.plan
    summary = plan.summary()
    before = pinned.summary() if pinned is not None else None

    def delta(name: str, scale: float = 1.0) -> str | None:
        if before is None or summary.get(name) is None or before.get(name) is None:
            return None
        return f"{(summary[name] - before[name]) / scale:+,.1f}"

    projection = plan.projection()
    cols = st.columns(4)
    reached = f"{plan.reached_need:,.0f} / {plan.total_need:,.0f}"
    cols[0].metric(
        "People in need within reach",
        reached,
        delta("reached_need"),
        help="need of the units within reach of an open site, out of the total need "
        "(the target counts people helped: see the next card)",
    )
    if projection is not None:
        cols[1].metric(
            f"People helped by {projection.date}",
            f"{projection.people:,.0f}"
            + ("" if projection.target is None else f" / {projection.target:,.0f}"),
            help="people accompanied by the date, out of the target (min of need served and the "
            "slots' serving capacity)",
        )
    else:
        cols[1].metric("Share of need served", f"{plan.served_share:.1%}", delta("served_share", 0.01))
    cols[2].metric("Open sites", f"{len(plan.open_site_ids)}", delta("open_sites"))
    cols[3].metric("Shared sites", f"{summary['shared_sites']}", delta("shared_sites"))
    cols = st.columns(4)
    counts = plan.department_counts()
    if counts is not None:
        cols[0].metric(
            "Departments with an open site",
            f"{counts.with_open_site} / {counts.with_need}",
            help=f"{counts.served} departments with need served, {counts.served_from_outside} of them "
            "only from sites across a border"
            + (
                f"; without population data (not counted): {', '.join(counts.without_population)}"
                if counts.without_population
                else ""
            ),
        )
    cols[1].metric(
        "Mean distance", _km(plan.mean_distance), delta("mean_distance", 1000.0), delta_color="inverse"
    )
    cols[2].metric(
        "Worst distance", _km(plan.worst_distance), delta("worst_distance", 1000.0), delta_color="inverse"
    )
    gap = plan.gap
    cols[3].metric("Solve status", plan.status, None if gap is None else f"gap {gap:.2%}", delta_color="off")
    note = repeatability_note(plan.status, gap, deterministic=run.scenario.solver.deterministic)
    if note:
        st.info(note[0].upper() + note[1:] + ".")
    partners = plan.kpis("partner")
    if len(partners) and partners["advisors_available"].sum() > 0:
        st.caption(
            "Advisors used per partner: "
            + ", ".join(
                f"{row.partner} {row.advisors:g} of {row.advisors_available:g}"
                for row in partners.itertuples()
            )
        )


def numbers_tab(run: ScenarioRun, key: str) -> None:
    plan = run.plan
    binding_section(run, key)
    trajectory_section(plan)
    tables: list[tuple[str, Literal["department", "partner", "zone"]]] = [
        ("By department", "department"),
        ("By partner", "partner"),
        ("By zone", "zone"),
    ]
    for title, by in tables:
        if by == "department" and "dep" not in plan.units.columns:
            continue
        st.subheader(title)
        st.dataframe(plan.kpis(by), hide_index=True, width="stretch")
    st.subheader("Open sites")
    st.dataframe(pd.DataFrame(plan.sites.drop(columns="geometry")), hide_index=True, width="stretch")
    st.subheader("Explanations: priority units left unreached")
    explanations = plan.explanations
    st.dataframe(
        pd.DataFrame(explanations.drop(columns="geometry", errors="ignore")), hide_index=True, width="stretch"
    )
    st.caption(
        f"Solver {plan.solver}, status {plan.status}, objective {plan.objective}, "
        f"bound {plan.bound}, gap {plan.gap}; timings {dict(run.timings)}"
    )


def compare_tab(run: ScenarioRun) -> Comparison | None:
    cols = st.columns(2)
    if cols[0].button("Pin this plan", help="keep it to compare with the next settings"):
        st.session_state["pinned"] = run
    if cols[1].button("Unpin") and "pinned" in st.session_state:
        del st.session_state["pinned"]
    pinned: ScenarioRun | None = st.session_state.get("pinned")
    if pinned is None:
        st.info("Pin the current plan, change the settings, and the differences show here and on the map.")
        return None
    comparison = compare_plans(pinned.plan, run.plan)
    st.subheader("Headline: current minus pinned")
    st.dataframe(comparison.headline, hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.subheader(f"Sites opened ({len(comparison.opened)})")
    left.dataframe(comparison.opened, hide_index=True, width="stretch")
    right.subheader(f"Sites closed ({len(comparison.closed)})")
    right.dataframe(comparison.closed, hide_index=True, width="stretch")
    if len(comparison.departments):
        st.subheader("By department")
        st.dataframe(comparison.departments, hide_index=True, width="stretch")
    return comparison


def export_tab(run: ScenarioRun) -> None:
    """Downloads; the plan files are made when their button is pressed (deferred; no rerun)."""
    name = run.scenario.name
    toml = dump_scenario(run.scenario)
    st.download_button(
        "Scenario TOML (runs with coverage-plan run FILE)",
        toml,
        f"{name}.toml",
        mime="application/toml",
        on_click="ignore",
    )
    plan, sites = run.plan, run.sites
    st.download_button(
        "Plan GeoPackage",
        functools.partial(export_gpkg, plan),
        f"{name}.gpkg",
        mime="application/geopackage+sqlite3",
        on_click="ignore",
    )
    st.download_button(
        "Plan CSV tables (zip)",
        functools.partial(export_csv_zip, plan),
        f"{name}-csv.zip",
        mime="application/zip",
        on_click="ignore",
    )
    st.download_button(
        "HTML map",
        lambda: map_html(plan_map(plan, candidates=sites)),
        f"{name}-map.html",
        mime="text/html",
        on_click="ignore",
    )
    st.code(toml, language="toml")
