"""The app's hook for road travel times: the ``road_time`` rule's settings and the straight-line-vs-road map.

Kept apart from the sidebar and the tabs: :mod:`coverage.app.sidebar` asks
:func:`road_rules` whether to offer ``road_time`` (only for a scenario whose
file sets it, since it needs an extract) and :data:`ROAD_FIELDS` for its
inputs; :mod:`coverage.app.page` calls :func:`roads_panel` under the map. The
comparison is :func:`coverage.scenario.access.compare_access`; the layer is
:func:`road_difference_layer`, plain folium.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium

from coverage.reach.versus import ReachDifference
from coverage.scenario.run import ScenarioRun

__all__ = ["ROAD_FIELDS", "road_difference_layer", "road_rules", "roads_panel"]

#: The sidebar inputs of the ``road_time`` rule: (key under ``access``, label, default).
ROAD_FIELDS: Mapping[str, list[tuple[str, str, float]]] = {
    "road_time": [
        ("qpv", "QPV: longest drive (min)", 10.0),
        ("urban", "Urban: longest drive (min)", 15.0),
        ("rural", "Rural: longest drive (min)", 20.0),
    ]
}

_COLOURS = {
    "reached by road only": "#2ca02c",
    "reached in straight line only": "#d62728",
    "nearest site changes": "#ff7f0e",
}


def road_rules(defaults: Mapping[str, object]) -> list[str]:
    """``['road_time']`` when the scenario's own file sets that rule (it names the extract), else ``[]``.

    Examples
    --------
    >>> road_rules({"access.rule": "road_time"}), road_rules({"access.rule": "zone_radius"})
    (['road_time'], [])
    """
    return ["road_time"] if defaults.get("access.rule") == "road_time" else []


def road_difference_layer(difference: ReachDifference, run: ScenarioRun) -> folium.FeatureGroup:
    """A map layer of the units the road changes: reached by one rule only, or with another nearest site.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage.reach.pairs import Reach
    >>> from coverage.reach.versus import compare_reach
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> difference = compare_reach(run.reach, run.reach.within(2000))  # a stand-in for the road
    >>> layer = road_difference_layer(difference, run)
    >>> layer.layer_name.startswith("straight line vs road:")
    True
    """
    units = difference.units.set_index("unit_id")
    points = (
        run.demand.to_crs(4326).set_index(run.demand["unit_id"].astype(str)).geometry.representative_point()
    )
    first, second = units["sites_first"] > 0, units["sites_second"] > 0
    kinds = {
        "reached by road only": units.index[second & ~first],
        "reached in straight line only": units.index[first & ~second],
        "nearest site changes": units.index[first & second & units["nearest_changed"]],
    }
    counts = ", ".join(f"{len(ids):,} {kind}" for kind, ids in kinds.items())
    layer = folium.FeatureGroup(name=f"straight line vs road: {counts}")
    for kind, ids in kinds.items():
        for unit in ids:
            row = units.loc[unit]
            tip = (
                f"{unit}: {kind}; nearest site {row['nearest_first'] or 'none'} in straight line, "
                f"{row['nearest_second'] or 'none'} by road"
            )
            folium.CircleMarker(
                location=(points[unit].y, points[unit].x),
                radius=4,
                color=_COLOURS[kind],
                fill=True,
                fill_opacity=0.8,
                tooltip=tip,
            ).add_to(layer)
    return layer


def roads_panel(run: ScenarioRun) -> None:
    """Under the map: an option to show straight line vs road, with its map and department table."""
    if run.scenario.access.rule != "road_time":
        return
    import streamlit as st

    if not st.checkbox("Show straight line vs road", key="roads_compare"):
        return
    from streamlit_folium import st_folium

    from coverage.scenario.access import compare_access

    difference = compare_access(run)
    st.caption(
        f"Straight line: {difference.first_rule}. Road: {difference.second_rule}. "
        f"Pairs gained by road {difference.gained:,}, lost {difference.lost:,}; "
        f"units whose nearest site changes {difference.nearest_changed:,}."
    )
    from coverage.plan.maps import plan_map

    m = plan_map(run.plan, candidates=run.sites)
    road_difference_layer(difference, run).add_to(m)
    st_folium(m, height=450, use_container_width=True, returned_objects=[], key="roads_map")
    st.dataframe(difference.by_department, hide_index=True)
