"""Candidate sites: one schema for every partner layer, and their eligibility.

Every constructor (in :mod:`coverage.inputs.site_sources`, re-exported here)
returns the same site schema, so layers from several partners combine with
:func:`build_sites`, which places them in communes and tags their eligibility:

================  ============================================================
column            meaning
================  ============================================================
site_id           ``'<source>:<id in the source>'``, unique across layers
name              site name
partner           partner owning the premises (``laposte``, ``croix_rouge``, ...)
kind              kind of premises (``bureau``, ``france_services``, ``mairie``...)
capacity          advisor slots the premises can host (int >= 0)
source            layer the site came from
insee_com, dep    current commune and department (see :func:`attach_communes`)
commune_match     ``code``, ``spatial`` or ``none``
in_qpv            inside a QPV polygon (needs QPV polygons)
near_qpv          within ``qpv_distance_m`` of a QPV polygon (needs QPV polygons)
qpv_commune       its commune hosts at least one QPV (from polygons or demography)
rural             rural commune (density grid when given, else the density
                  approximation of the embedded communes)
eligible          ``near_qpv or rural``; without polygons ``qpv_commune or rural``
cost              only when a layer read a cost column (``sites_from_file(cost=...)``)
geometry          point, EPSG:4326
================  ============================================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.data import territory
from coverage.data.layers._common import REPORT_ATTR, LoadReport, Problems, check_unique
from coverage.data.layers.communes import attach_communes
from coverage.errors import LayerValidationError, Problem

# The constructors live in site_sources; they are re-exported here, where callers and docs import them.
from coverage.inputs.site_sources import (
    check_costs,  # noqa: F401 (re-exported: its public path before the split)
    sites_from_cnfs_structures,
    sites_from_file,
    sites_from_france_services,
    sites_from_laposte,
    sites_from_mediation_places,
    sites_from_town_halls,
)

logger = logging.getLogger(__name__)

__all__ = [
    "SITE_COLUMNS",
    "build_sites",
    "sites_from_cnfs_structures",
    "sites_from_file",
    "sites_from_france_services",
    "sites_from_laposte",
    "sites_from_mediation_places",
    "sites_from_town_halls",
]

SITE_COLUMNS = [
    "site_id",
    "name",
    "partner",
    "kind",
    "capacity",
    "source",
    "insee_com",
    "dep",
    "commune_match",
    "in_qpv",
    "near_qpv",
    "qpv_commune",
    "rural",
    "eligible",
    "geometry",
]


def build_sites(
    layers: Iterable[gpd.GeoDataFrame],
    *,
    communes: gpd.GeoDataFrame | None = None,
    qpv_polygons: gpd.GeoDataFrame | None = None,
    qpv_communes: Iterable[str] | None = None,
    density_grid: pd.DataFrame | None = None,
    qpv_distance_m: float = 1_000.0,
) -> gpd.GeoDataFrame:
    """Combine site layers, place them in communes and tag their eligibility.

    Parameters
    ----------
    layers
        Frames from the ``sites_from_*`` constructors.
    communes
        Commune polygons (embedded ones by default).
    qpv_polygons
        From :func:`coverage.data.layers.qpv.read_qpv_polygons`: gives ``in_qpv`` and ``near_qpv``.
    qpv_communes
        INSEE codes of communes hosting a QPV (for example the matched codes of
        :func:`coverage.data.layers.qpv.read_qpv_demography`), used where polygons are absent.
    density_grid
        From :func:`coverage.data.layers.rurality.read_density_grid`: rural = classes 5-7.
        Without it, the embedded density approximation is used (and noted).
    qpv_distance_m
        "Near a QPV" distance.

    Returns
    -------
    geopandas.GeoDataFrame
        The site schema above; a load report lists what was matched how.

    Examples
    --------
    The town halls of the Creuse as candidates. Without QPV polygons or a QPV list, a site is
    eligible when its commune is rural: every town hall but Guéret's and Boussac's. Naming
    Guéret as a QPV host makes its town hall eligible too.

    >>> import coverage
    >>> from coverage.inputs.sites import sites_from_town_halls
    >>> creuse = coverage.load_communes(["23"])
    >>> sites = coverage.build_sites([sites_from_town_halls(creuse)], communes=creuse)
    >>> len(sites), int(sites["eligible"].sum())
    (255, 253)
    >>> sites = coverage.build_sites([sites_from_town_halls(creuse)], communes=creuse, qpv_communes=["23096"])
    >>> int(sites["eligible"].sum()), sites.set_index("site_id").loc["mairie:23096", "eligible"].item()
    (254, True)
    """
    frames = list(layers)
    if not frames:
        raise LayerValidationError(Problem("sites", "no site layer given; pass at least one"))
    if communes is None:
        from coverage.data.embedded import load_communes

        communes = load_communes()
    report = LoadReport("sites", rows_read=sum(len(f) for f in frames))
    sites = pd.concat(frames, ignore_index=True)
    problems = Problems("sites")
    check_unique(sites["site_id"], "site_id", problems)
    problems.raise_if_any()
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=4326)
    sites.attrs[REPORT_ATTR] = report
    sites = attach_communes(sites, communes=communes, id_column="site_id")
    unplaced = sites["commune_match"].eq("none")
    report.drop("outside the embedded communes (no commune found)", int(unplaced.sum()))
    sites = sites[~unplaced.to_numpy()].copy()

    sites["in_qpv"] = False
    sites["near_qpv"] = False
    hosts: set[str] = set(qpv_communes) if qpv_communes is not None else set()
    if qpv_polygons is not None and len(qpv_polygons):
        inside, near = _qpv_proximity(sites, qpv_polygons, qpv_distance_m)
        sites["in_qpv"], sites["near_qpv"] = inside, near
        hosts |= set(
            gpd.sjoin(
                communes[["insee_com", "geometry"]], qpv_polygons[["geometry"]], predicate="intersects"
            )["insee_com"]
        )
    sites["qpv_commune"] = sites["insee_com"].isin(hosts)

    sites["rural"] = rural_flags(sites["insee_com"], communes, density_grid, report)

    if qpv_polygons is not None and len(qpv_polygons):
        sites["eligible"] = sites["near_qpv"] | sites["rural"]
    else:
        sites["eligible"] = sites["qpv_commune"] | sites["rural"]
        report.notes.append("no QPV polygons: 'in or near a QPV' approximated by 'commune hosts a QPV'")
    extra = ["cost"] if "cost" in sites.columns else []  # a layer's own cost column, for a budget
    sites = sites[SITE_COLUMNS[:-1] + extra + SITE_COLUMNS[-1:]].reset_index(drop=True)
    report.rows_kept = len(sites)
    sites.attrs[REPORT_ATTR] = report
    logger.info(report.summary())
    return sites


def rural_flags(
    codes: pd.Series,
    communes: gpd.GeoDataFrame,
    density_grid: pd.DataFrame | None,
    report: LoadReport,
) -> npt.NDArray[np.bool_]:
    """Rural flag per commune code: INSEE grid classes 5-7, else the density approximation."""
    approx = codes.map(communes.set_index("insee_com")["rural_approx"]).fillna(False)
    if density_grid is None:
        report.notes.append("rural flag approximated from commune density (no density grid)")
        return approx.to_numpy(dtype=bool)
    grid = codes.map(density_grid.set_index("insee_com")["rural"])
    fallback = grid.isna()
    report.notes.append(
        f"rural flag from the INSEE density grid; {int(fallback.sum())} rows in communes "
        "missing from the grid use the density approximation"
    )
    return np.where(fallback, approx, grid.fillna(False)).astype(bool)


def _qpv_proximity(
    sites: gpd.GeoDataFrame, qpv: gpd.GeoDataFrame, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """``inside`` and ``within distance_m`` flags of each site, measured per territory."""
    inside = np.zeros(len(sites), dtype=bool)
    near = np.zeros(len(sites), dtype=bool)
    qpv_keys = territory.locate(
        *np.array([(p.x, p.y) for p in qpv.geometry.to_crs(4326).representative_point()]).T.reshape(2, -1)
    )
    for key, projected in territory.split_by_territory(sites):
        polygons = qpv[qpv_keys == key]
        if not len(polygons):
            continue
        tree = shapely.STRtree(polygons.geometry.to_crs(territory.metric_crs(key)).to_numpy())
        rows = sites.index.get_indexer(projected.index)
        points = projected.geometry.to_numpy()
        inside[rows[np.unique(tree.query(points, predicate="within")[0])]] = True
        near[rows[np.unique(tree.query(points, predicate="dwithin", distance=distance_m)[0])]] = True
    return inside, near
