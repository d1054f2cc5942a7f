"""Interactive maps of a solved plan (folium / Leaflet).

:func:`plan_map` draws, on one :class:`folium.Map`, the departments of the
plan's territory shaded by the share of need served (or reached), the
candidate sites, the open sites coloured by partner and sized by slots, and
the priority units (QPV and rural) left unreached, each in its own layer with
tooltips. Layers are reprojected to EPSG:4326 here, at the map boundary, and
point layers without per-feature styling go in one GeoJSON blob each, which
keeps the HTML light.

Every text that reaches a tooltip or a legend is HTML-escaped here (Leaflet
writes tooltip values into the page as HTML): a name such as
``<img src=x onerror=...>`` in an uploaded file shows as text and never runs.
"""

from __future__ import annotations

import html
import logging
import math
from typing import Any, Literal

import folium
import geopandas as gpd
import pandas as pd
from branca.colormap import LinearColormap
from branca.element import MacroElement
from jinja2 import Template

from coverage.data.embedded import load_departments
from coverage.data.i18n import format_number, format_percent
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.names import column_name, partner_name
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["PARTNER_COLOURS", "plan_map"]

#: Colours given to partners in sorted name order (cycled beyond ten).
PARTNER_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#d62728",
)


def plan_map(
    plan: Plan,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    shade: Literal["served", "reached"] = "served",
    m: folium.Map | None = None,
    tolerance: float = 0.005,
    max_candidates: int = 5_000,
    max_unreached: int = 2_000,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """Map a plan: departments by share of need, candidate and open sites, unreached priority units.

    Parameters
    ----------
    plan
        A plan whose units and sites have geometry and a CRS (every plan of
        :func:`coverage.scenario.run.run_scenario` has).
    candidates
        Every candidate site (``ScenarioRun.sites``), drawn as small grey dots;
        left out when None.
    shade
        Shade the departments by the share of their need ``'served'`` or ``'reached'``.
    m
        A map to add the layers to (a new one, fitted to the territory, when None).
    tolerance
        Simplification tolerance of the department outlines, in degrees.
    max_candidates, max_unreached
        Draw at most this many candidate sites and unreached units (the
        largest-need units first); the rest are counted in the layer name.
    tiles
        The basemap (a folium tile name or URL template); None draws no
        basemap, only the department outlines (a map that needs no network).

    Returns
    -------
    folium.Map
        With a layer control and a legend (share colour scale, partner colours).

    Raises
    ------
    ValueError
        ``shade`` is neither ``'served'`` nor ``'reached'``, or the plan's
        demand has no ``dep`` column.

    Examples
    --------
    Five town halls of the Creuse opened to cover the most need within 10 km, mapped with
    every candidate, and saved as a web page to open in a browser:

    >>> import pathlib, tempfile
    >>> import coverage
    >>> from coverage.inputs.sites import sites_from_town_halls
    >>> from coverage.plan.maps import plan_map
    >>> from coverage.reach.rules import Radius
    >>> creuse = coverage.load_communes(["23"])
    >>> demand = coverage.build_demand(creuse)
    >>> sites = coverage.build_sites([sites_from_town_halls(creuse)], communes=creuse)
    >>> reach = coverage.build_reach(demand, sites, Radius(10_000))
    >>> plan = coverage.maximal_coverage(demand, sites, reach, max_sites=5)
    >>> m = plan_map(plan, candidates=sites)
    >>> type(m).__name__
    'Map'
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.html"
    >>> m.save(path)
    >>> path.stat().st_size > 0
    True
    """
    if shade not in ("served", "reached"):
        raise ValueError(f"shade must be 'served' or 'reached', got {shade!r}")
    departments = _departments(plan, shade, tolerance)
    if m is None:
        m = folium.Map(tiles=tiles, control_scale=True)
        # mainland France framed when the territory has it: overseas departments are one click away
        mainland = departments[~departments["dep"].astype(str).str.startswith("97")]
        framed = mainland if len(mainland) else departments
        if len(framed):
            west, south, east, north = framed.total_bounds
            m.fit_bounds([[south, west], [north, east]])
        overseas = departments[departments["dep"].astype(str).str.startswith("97")]
        if len(mainland) and len(overseas):
            _add_places(m, mainland, overseas)
    scale = LinearColormap(
        ["#f7fbff", "#6baed6", "#08306b"],
        vmin=0.0,
        vmax=1.0,
        caption=_("share of need served") if shade == "served" else _("share of need reached"),
    )
    _add_departments(m, departments, scale)
    if candidates is not None:
        _add_candidates(m, candidates, plan, max_candidates)
    colours = _partner_colours(plan)
    _add_open_sites(m, plan, colours)
    _add_unreached(m, plan, max_unreached)
    _add_colour_scale(m, scale)
    _add_partner_legend(m, colours)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


# --------------------------------------------------------------------------- layers


def _departments(plan: Plan, shade: str, tolerance: float) -> gpd.GeoDataFrame:
    kpis = plan.kpis("department")
    kpis["share_shown"] = kpis["share"] if shade == "served" else kpis["need_reached"] / kpis["need"]
    outlines = load_departments()
    outlines = outlines[outlines["dep"].isin(kpis["dep"])][["dep", "name", "geometry"]]
    outlines = outlines.to_crs(4326)
    outlines["geometry"] = outlines.simplify(tolerance, preserve_topology=True)
    columns = ["dep", "need", "need_reached", "need_served", "share_shown"]
    columns += [c for c in ("open_sites", "advisors") if c in kpis.columns]
    return outlines.merge(kpis[columns], on="dep", how="left")


def _alias(field: str) -> str:
    return column_name("share" if field == "share_text" else field)


def _add_departments(m: folium.Map, departments: gpd.GeoDataFrame, scale: LinearColormap) -> None:
    shown = departments.copy()
    shown["share_text"] = [_percent(v) for v in shown["share_shown"]]
    for column in ("need", "need_reached", "need_served"):
        shown[column] = [format_number(v) for v in shown[column]]
    fields = ["dep", "name", "need", "need_reached", "need_served", "share_text"]
    fields += [c for c in ("open_sites", "advisors") if c in shown.columns]
    shown = _escaped(shown[[*fields, "share_shown", "geometry"]], fields)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        share = feature["properties"]["share_shown"]
        fill = "#dddddd" if share is None or math.isnan(share) else scale(share)
        return {"fillColor": fill, "color": "#444444", "weight": 1, "fillOpacity": 0.55}

    folium.GeoJson(
        shown,
        name=_("departments"),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[_alias(f) for f in fields]),
    ).add_to(m)


def _add_candidates(m: folium.Map, candidates: gpd.GeoDataFrame, plan: Plan, limit: int) -> None:
    closed = candidates[~candidates["site_id"].astype(str).isin(plan.open_site_ids)]
    name = _("candidate sites ({n})").format(n=format_number(len(closed)))
    if len(closed) > limit:
        name = _("candidate sites (first {limit} of {n})").format(
            limit=format_number(limit), n=format_number(len(closed))
        )
        closed = closed.iloc[:limit]
    fields = [c for c in ("site_id", "name", "partner", "kind") if c in closed.columns]
    points = _escaped(_points(closed[[*fields, "geometry"]]), fields)
    folium.GeoJson(
        points,
        name=name,
        marker=folium.CircleMarker(radius=2, color="#888888", weight=1, fill=True, fill_opacity=0.6),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[_alias(f) for f in fields]),
        show=len(points) <= 2_000,
    ).add_to(m)


def _add_open_sites(m: folium.Map, plan: Plan, colours: dict[str, str]) -> None:
    sites = _points(plan.sites)
    main_partner = _main_partner(plan)
    layer = folium.FeatureGroup(name=_("open sites ({n})").format(n=format_number(len(sites))))
    for row in sites.itertuples(index=False):
        site_id = str(row.site_id)
        partner = main_partner.get(site_id, str(getattr(row, "partner", "")))
        slots = int(getattr(row, "slots", 0) or 0)
        shared = bool(getattr(row, "shared", False))
        lines = [
            f"<b>{html.escape(str(getattr(row, 'name', site_id)))}</b> ({html.escape(site_id)})",
            f"partner: {html.escape(partner)}",
            f"need served: {float(getattr(row, 'served', 0.0)):,.0f}",
        ]
        if slots:
            lines.append(f"slots: {slots}, advisors: {float(getattr(row, 'advisors', 0.0)):g}")
        if shared:
            lines.append("shared between partners")
        folium.CircleMarker(
            location=(row.geometry.y, row.geometry.x),
            radius=6 + 2 * math.sqrt(slots),
            color="#000000" if shared else colours.get(partner, "#333333"),
            weight=3 if shared else 1,
            fill=True,
            fill_color=colours.get(partner, "#333333"),
            fill_opacity=0.85,
            tooltip=folium.Tooltip("<br>".join(lines)),
        ).add_to(layer)
    layer.add_to(m)


def _add_unreached(m: folium.Map, plan: Plan, limit: int) -> None:
    unreached = plan.explanations
    if not isinstance(unreached, gpd.GeoDataFrame) or not len(unreached):
        return
    name = _("unreached QPV / rural units ({n})").format(n=format_number(len(unreached)))
    if len(unreached) > limit and "dep" in unreached.columns:
        _add_unreached_by_department(m, unreached, name)
        return
    if len(unreached) > limit:
        name = _("unreached QPV / rural units (largest {limit} of {n})").format(
            limit=format_number(limit), n=format_number(len(unreached))
        )
        unreached = unreached.iloc[:limit]
    shown = unreached[[c for c in ("unit_id", "name", "dep", "need", "reason") if c in unreached.columns]]
    shown = shown.assign(need=[format_number(v) for v in unreached["need"]], geometry=unreached.geometry)
    if "reason" in shown.columns:
        shown = shown.assign(reason=[_(str(r)) for r in shown["reason"]])
    fields = [c for c in shown.columns if c != "geometry"]
    points = _escaped(_points(gpd.GeoDataFrame(shown, geometry="geometry", crs=unreached.crs)), fields)
    folium.GeoJson(
        points,
        name=name,
        marker=folium.CircleMarker(radius=3, color="#d62728", weight=1, fill=True, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[_alias(c) for c in fields]),
    ).add_to(m)


def _add_unreached_by_department(m: folium.Map, unreached: gpd.GeoDataFrame, name: str) -> None:
    """Every unreached unit counted, one circle per department (area by need) instead of sampled dots."""
    points = _points(unreached[["dep", "need", "geometry"]])
    frame = pd.DataFrame(
        {
            "dep": points["dep"].astype(str),
            "need": points["need"],
            "x": points.geometry.x,
            "y": points.geometry.y,
        }
    )
    groups = frame.groupby("dep").agg(
        units=("need", "size"), need=("need", "sum"), x=("x", "mean"), y=("y", "mean")
    )
    largest = float(groups["need"].max()) or 1.0
    layer = folium.FeatureGroup(name=_("{name}, by department").format(name=name))
    for dep, row in groups.iterrows():
        tip = _("department {dep}: {units} unreached units, need {need}").format(
            dep=html.escape(str(dep)), units=format_number(row["units"]), need=format_number(row["need"])
        )
        folium.CircleMarker(
            location=(row["y"], row["x"]),
            radius=4 + 16 * math.sqrt(float(row["need"]) / largest),
            color="#d62728",
            weight=1,
            fill=True,
            fill_opacity=0.5,
            tooltip=tip,
        ).add_to(layer)
    layer.add_to(m)


class _Places(MacroElement):
    """Links that frame mainland France or one overseas department (a Leaflet control)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map) {
            var box = L.control({position: "topleft"});
            box.onAdd = function() {
                var div = L.DomUtil.create("div", "coverage-places");
                div.style.cssText = "background:white;padding:4px 6px;border:1px solid #999;"
                    + "font:12px sans-serif";
                L.DomEvent.disableClickPropagation(div);
                {{ this.places|tojson }}.forEach(function(place) {
                    var link = L.DomUtil.create("a", "", div);
                    link.href = "#";
                    link.textContent = place[0];
                    link.style.cssText = "display:block";
                    L.DomEvent.on(link, "click", function(event) {
                        L.DomEvent.preventDefault(event);
                        map.fitBounds(place[1]);
                    });
                });
                return div;
            };
            box.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, places: list[tuple[str, list[list[float]]]]) -> None:
        super().__init__()
        self._name = "Places"
        self.places = places


def _add_places(m: folium.Map, mainland: gpd.GeoDataFrame, overseas: gpd.GeoDataFrame) -> None:
    def bounds(frame: gpd.GeoDataFrame) -> list[list[float]]:
        west, south, east, north = (float(v) for v in frame.total_bounds)
        return [[south, west], [north, east]]

    places = [(_("Mainland France"), bounds(mainland))]
    places += [
        (str(row["name"]), bounds(overseas[overseas["dep"] == row["dep"]])) for _i, row in overseas.iterrows()
    ]
    _Places(places).add_to(m)


def _add_colour_scale(m: folium.Map, scale: LinearColormap) -> None:
    """The departments' colour scale as plain HTML.

    branca's own scale is drawn with d3, fetched from d3js.org: offline it
    fails, and streamlit-folium then draws no map at all.
    """
    stops = ", ".join(scale.rgb_hex_str(scale.vmin + (scale.vmax - scale.vmin) * i / 4) for i in range(5))
    legend = (
        '<div style="position:fixed;top:12px;left:60px;z-index:9999;background:white;'
        'padding:4px 8px;border:1px solid #999;font:12px sans-serif">'
        f"{html.escape(scale.caption)}<br>"
        '<span style="display:inline-block;width:160px;height:10px;'
        f'background:linear-gradient(to right, {stops})"></span><br>'
        f"{format_percent(scale.vmin, 0)}"
        f'<span style="float:right">{format_percent(scale.vmax, 0)}</span></div>'
    )
    m.get_root().html.add_child(folium.Element(legend))  # type: ignore[attr-defined]


def _add_partner_legend(m: folium.Map, colours: dict[str, str]) -> None:
    title, shared = _("open sites by partner"), _("shared site")
    unreached = _("unreached QPV / rural unit")
    rows = "".join(
        f'<div><span style="background:{colour};width:10px;height:10px;display:inline-block;'
        f'border-radius:5px;margin-right:4px"></span>{html.escape(partner_name(partner))}</div>'
        for partner, colour in colours.items()
    )
    legend = (
        '<div style="position:fixed;bottom:24px;left:12px;z-index:9999;background:white;'
        'padding:6px 8px;border:1px solid #999;font:12px sans-serif">'
        f"<b>{html.escape(title)}</b>{rows}"
        '<div><span style="border:3px solid black;width:6px;height:6px;display:inline-block;'
        f'border-radius:5px;margin-right:4px"></span>{html.escape(shared)}</div>'
        '<div><span style="background:#d62728;width:6px;height:6px;display:inline-block;'
        'border-radius:3px;margin-right:4px"></span>'
        f"{html.escape(unreached)}</div></div>"
    )
    m.get_root().html.add_child(folium.Element(legend))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- helpers


def _main_partner(plan: Plan) -> dict[str, str]:
    """Site id -> the partner with the most slots there (staffing plans)."""
    slots = plan.slots
    if not len(slots):
        return {}
    top = slots.sort_values(["site_id", "slots", "partner"], ascending=[True, False, True])
    return dict(top.drop_duplicates("site_id")[["site_id", "partner"]].itertuples(index=False, name=None))


def _partner_colours(plan: Plan) -> dict[str, str]:
    names = set(plan.slots["partner"].astype(str))
    sites = plan.sites
    if "partner" in sites.columns:
        names |= set(sites["partner"].dropna().astype(str))
    return {name: PARTNER_COLOURS[i % len(PARTNER_COLOURS)] for i, name in enumerate(sorted(names))}


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 with representative points for any non-point geometry."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise ValueError("plan_map needs geometry with a CRS on the plan's units and sites")
    out = frame.to_crs(4326)
    if not (out.geom_type == "Point").all():
        out = out.set_geometry(out.representative_point())
    return out


def _escaped(frame: gpd.GeoDataFrame, fields: list[str]) -> gpd.GeoDataFrame:
    """``frame`` with the text of ``fields`` HTML-escaped (numbers are left as they are)."""
    out = frame.copy()
    for field in fields:
        column = out[field]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[field] = [v if v is None or isinstance(v, float) else html.escape(str(v)) for v in column]
    return out


def _percent(share: float) -> str:
    return format_percent(share)
