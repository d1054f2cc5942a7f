"""The plan as a still picture (PNG), for the committee report: it opens offline, prints and mails.

Drawn with matplotlib (a dependency already) from the plan's own tables: the
departments shaded by the share of their need served, the open sites and the
units left out of reach. Mainland France is framed when the plan has units there
(the overseas departments keep their figures in the tables). Labels are in the
language in use.
"""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd

from coverage.data.i18n import format_percent
from coverage.data.i18n import gettext_ as _

__all__ = ["map_image"]


def map_image(
    units: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    departments: pd.DataFrame | None = None,
    *,
    width_inches: float = 8.0,
    dpi: int = 110,
) -> bytes:
    """A PNG of the plan: departments by share served, open sites, units out of reach.

    Parameters
    ----------
    units, sites
        ``Plan.units`` and ``Plan.sites`` (or the ``units`` and ``sites`` layers of
        ``plan.gpkg``), with point geometry and a CRS.
    departments
        ``Plan.kpis("department")`` (``dep``, ``share``); the outlines are shaded by it.

    Examples
    --------
    >>> from coverage.app.session import resolve
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> plan = resolve(load_scenario(shipped_scenario("demo"))).plan
    >>> png = map_image(plan.units, plan.sites, plan.kpis("department"))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from coverage.data.embedded import load_departments

    units = units.to_crs(4326)
    sites = sites.to_crs(4326)
    deps = units["dep"].astype(str) if "dep" in units.columns else pd.Series("", index=units.index)
    mainland = ~deps.str.startswith("97")
    framed = units[mainland] if mainland.any() else units
    figure = Figure(figsize=(width_inches, width_inches * 0.8), dpi=dpi)
    ax = figure.add_subplot()
    outlines = load_departments()
    outlines = outlines[outlines["dep"].isin(set(deps))]
    if len(outlines):
        shares = departments.set_index("dep")["share"] if departments is not None else pd.Series(dtype=float)
        outlines = outlines.assign(share=outlines["dep"].map(shares).astype(float))
        outlines.plot(
            ax=ax,
            column="share",
            cmap="YlGn",
            vmin=0.0,
            vmax=1.0,
            edgecolor="#555555",
            linewidth=0.6,
            legend=True,
            legend_kwds={"label": _("Share of need served"), "shrink": 0.6},
            missing_kwds={"color": "#eeeeee"},
        )
        from matplotlib.ticker import FuncFormatter

        scale = figure.axes[-1]  # the colour bar geopandas added
        scale.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: format_percent(value, 0)))
    out_of_reach = units[~units["reached"].astype(bool) & (units["need"] > 0)]
    if len(out_of_reach):
        ax.scatter(
            out_of_reach.geometry.x, out_of_reach.geometry.y, s=4, c="#d62728", label=_("Unreached units")
        )
    if len(sites):
        ax.scatter(
            sites.geometry.x,
            sites.geometry.y,
            s=36,
            c="#ff7f0e",
            edgecolors="black",
            linewidths=0.8,
            label=_("Open sites") + f" ({len(sites)})",
            zorder=3,
        )
    if len(framed):
        x0, y0, x1, y1 = framed.total_bounds
        pad = max(x1 - x0, y1 - y0, 0.2) * 0.05
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect(1.45)  # degrees of longitude are shorter than of latitude at French latitudes
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
