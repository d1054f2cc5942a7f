"""Candidate sites: one schema for every partner layer, and their eligibility.

Every constructor returns the same site schema, so layers from several
partners combine with :func:`build_sites`:

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
geometry          point, EPSG:4326
================  ============================================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from coverage.data import territory
from coverage.data.layers._common import REPORT_ATTR, LoadReport, Problems, check_unique
from coverage.data.layers.communes import attach_communes
from coverage.errors import CRSError, LayerValidationError, Problem

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


def _site_frame(
    frame: gpd.GeoDataFrame,
    *,
    ids: pd.Series,
    names: pd.Series,
    partner: str | pd.Series,
    kind: str | pd.Series,
    capacity: int | pd.Series,
    source: str,
) -> gpd.GeoDataFrame:
    """The one core every constructor ends in."""
    if frame.crs is None:
        raise CRSError(f"layer '{source}' has no CRS; set it with GeoDataFrame.set_crs(4326)")
    capacity_values = pd.Series(capacity, index=frame.index)
    if (capacity_values < 0).any() or capacity_values.isna().any():
        bad = np.flatnonzero((capacity_values < 0) | capacity_values.isna())
        raise LayerValidationError(
            [
                Problem(source, "capacity must be a whole number >= 0", row=int(i) + 1, column="capacity")
                for i in bad
            ]
        )
    sites = gpd.GeoDataFrame(
        {
            "site_id": source + ":" + ids.astype(str).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "partner": pd.Series(partner, index=frame.index).astype(str).to_numpy(),
            "kind": pd.Series(kind, index=frame.index).astype(str).to_numpy(),
            "capacity": capacity_values.astype("int64").to_numpy(),
            "source": source,
            "insee_com": (frame["insee_com"].astype(str).to_numpy() if "insee_com" in frame else ""),
        },
        geometry=frame.geometry.to_crs(4326).to_numpy(),
        crs=4326,
    )
    sites.attrs[REPORT_ATTR] = frame.attrs.get(REPORT_ATTR) or LoadReport(source)
    return sites


def sites_from_laposte(
    points: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] = ("bureau",),
    capacity: int = 1,
    partner: str = "laposte",
) -> gpd.GeoDataFrame:
    """Sites from :func:`coverage.data.layers.laposte.read_laposte_points`, keeping ``kinds``."""
    kinds = list(kinds)
    chosen = points[points["kind"].isin(kinds)]
    return _site_frame(
        chosen,
        ids=chosen["site_id"],
        names=chosen["name"],
        partner=partner,
        kind=chosen["kind"],
        capacity=capacity,
        source="laposte",
    )


def sites_from_france_services(
    frame: gpd.GeoDataFrame, *, capacity: int = 1, partner: str = "france_services"
) -> gpd.GeoDataFrame:
    """Sites from a France Services reader; La Poste-hosted ones get partner ``laposte``."""
    owner = pd.Series(partner, index=frame.index).where(~frame["hosted_by_laposte"], "laposte")
    return _site_frame(
        frame,
        ids=frame["site_id"],
        names=frame["name"],
        partner=owner,
        kind="france_services",
        capacity=capacity,
        source="france_services",
    )


def sites_from_cnfs_structures(frame: gpd.GeoDataFrame, *, partner: str = "cnfs_host") -> gpd.GeoDataFrame:
    """Advisor host structures of 2021; capacity is their number of advisors."""
    return _site_frame(
        frame,
        ids=frame["structure_id"],
        names=frame["name"],
        partner=partner,
        kind="cnfs_" + frame["type"].astype(str),
        capacity=frame["advisors"].astype("int64"),
        source="cnfs2021",
    )


def sites_from_mediation_places(
    frame: gpd.GeoDataFrame, *, capacity: int = 1, default_partner: str = "mediation"
) -> gpd.GeoDataFrame:
    """Digital-inclusion places; partner detected from the name, else ``default_partner``."""
    partner = frame["partner"].where(frame["partner"].ne(""), default_partner)
    return _site_frame(
        frame,
        ids=frame["place_id"],
        names=frame["name"],
        partner=partner,
        kind="mediation",
        capacity=capacity,
        source="mediation",
    )


def sites_from_town_halls(
    communes: gpd.GeoDataFrame, *, capacity: int = 1, partner: str = "mairie"
) -> gpd.GeoDataFrame:
    """One site per commune at its town hall (at its representative point when unknown)."""
    has_hall = communes["town_hall_lon"].notna().to_numpy()
    lon = np.where(has_hall, communes["town_hall_lon"], communes["point_lon"])
    lat = np.where(has_hall, communes["town_hall_lat"], communes["point_lat"])
    points = gpd.GeoDataFrame(communes[["insee_com"]].copy(), geometry=gpd.points_from_xy(lon, lat), crs=4326)
    report = LoadReport("embedded town halls", rows_read=len(communes), rows_kept=len(communes))
    if (~has_hall).any():
        report.notes.append(
            f"{int((~has_hall).sum())} communes have no town-hall point: "
            "placed at the commune's representative point"
        )
    points.attrs[REPORT_ATTR] = report
    return _site_frame(
        points,
        ids=communes["insee_com"],
        names="Mairie " + communes["name"],
        partner=partner,
        kind="mairie",
        capacity=capacity,
        source="mairie",
    )


def sites_from_file(
    path: str | Path,
    *,
    partner: str,
    kind: str = "site",
    capacity: int | str = 1,
    id_column: str = "site_id",
    name_column: str = "name",
    columns: dict[str, str] | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Sites from any file :func:`coverage.data.layers.generic.read_layer` reads.

    ``capacity`` is a number for every site, or the name of a column.
    """
    from coverage.data.layers.generic import read_layer

    frame = read_layer(path, columns=columns, layer=layer, id_column=id_column)
    problems = Problems(str(path))
    if name_column not in frame.columns:
        frame[name_column] = frame[id_column].astype(str)
    if isinstance(capacity, str):
        if capacity not in frame.columns:
            problems.add(f"capacity column '{capacity}' not found", column=capacity)
            problems.raise_if_any()
        values = pd.to_numeric(frame[capacity], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        problems.add_rows(
            np.flatnonzero(bad) + 1,
            capacity,
            "capacity must be a whole number >= 0",
            values=list(frame[capacity][bad]),
        )
        problems.raise_if_any()
        capacity = values.astype("int64")
    return _site_frame(
        frame,
        ids=frame[id_column],
        names=frame[name_column],
        partner=partner,
        kind=kind,
        capacity=capacity,
        source=Path(path).stem,
    )


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
    sites = sites[SITE_COLUMNS].reset_index(drop=True)
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
