"""Tables of a solved plan, and writing them to disk atomically.

The helpers behind :class:`coverage.plan.Plan`, kept apart so that each module
reads in one sitting: joining a solution to units and sites, KPI tables,
explanations of unreached priority units, writers.

KPI tables (:meth:`coverage.plan.Plan.kpis`): shares are need served / need
(NaN without need); distances are need-weighted means and maxima over reached
units, in the reach's unit.

- ``department``: ``units``, ``units_reached``, ``need``, ``need_reached``,
  ``need_served``, ``share`` by demand ``dep`` (``'unknown'`` where missing);
  ``open_sites``, ``slots``, ``advisors`` (advisor equivalents),
  ``shared_sites`` by site ``dep`` (left out when the sites have none);
- ``zone``: the same unit columns by zone (``qpv``, ``rural``, ``urban``);
- ``partner``: ``advisors_available``, ``slots_available``, ``slots``,
  ``advisors`` (``ceil(slots / slots_per_advisor)``), ``sites_staffed``,
  ``shared_sites``, ``open_sites_owned``, ``need_served`` (split by slots,
  or to the owner at open sites without slots), ``share`` (of the total
  need), ``people_capacity`` (slots x people per slot-month x horizon months).

Files: a GeoPackage with one layer per table (KPIs and slots as *attribute
tables*, layers without geometry that GDAL writes and QGIS opens as tables);
one GeoJSON file per table in EPSG:4326 (``null`` geometries for non-spatial
tables); one CSV per table (geometry as WKT in the table's CRS); one Parquet
per table (GeoParquet when spatial); one JSON document. Each write goes to a
temporary folder beside the target, then :func:`os.replace`: a failure leaves
neither a partial file nor the temporary folder. Folder exports create the
folder when missing and move files in once every table is written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
from scipy.spatial import cKDTree

from coverage.errors import CRSError
from coverage.territory import split_by_territory

logger = logging.getLogger(__name__)

__all__ = [
    "atomic_path",
    "explain_unreached",
    "kpi_department",
    "kpi_partner",
    "kpi_zone",
    "require_geometry",
    "write_gpkg",
    "write_json",
    "write_tables",
    "zone_of",
]

Tables = Mapping[str, pd.DataFrame]
Index = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


# -- joining a solution to units and sites ------------------------------------


def align(
    frame: pd.DataFrame, column: str, ids: npt.NDArray[np.object_], what: str, *, exact: bool
) -> pd.DataFrame:
    """Rows of ``frame`` in the order of ``ids`` (matched on ``column`` as text), index 0..len-1."""
    if column not in frame.columns:
        raise ValueError(f"'{what}' has no '{column}' column")
    keys = frame[column].astype(str)
    repeated = keys[keys.duplicated()].unique()
    if len(repeated):
        raise ValueError(f"'{what}' repeats {column} values: {', '.join(map(str, repeated[:10]))}")
    position = pd.Index(keys.to_numpy(dtype=object)).get_indexer(ids)
    if (position < 0).any():
        lost = ids[position < 0]
        raise ValueError(
            f"{len(lost)} {column} values of the reach are not in '{what}': {', '.join(map(str, lost[:10]))}"
        )
    if exact and len(frame) != len(ids):
        extra = sorted(set(keys) - set(ids))
        raise ValueError(
            f"'{what}' has {len(extra)} {column} values the reach lacks: "
            f"{', '.join(extra[:10])}; build the reach from the same frame"
        )
    out = frame.iloc[position].reset_index(drop=True)
    out[column] = ids
    out.attrs = {}
    return out


def nearest_open(reach: Any, is_open: npt.NDArray[np.bool_]) -> tuple[Index, Floats, Index]:
    """Index of and distance to each unit's nearest open site within reach (-1 / NaN), open count.

    Pairs are sorted by row then distance, so the first open pair of a row is its nearest.
    """
    pair_open = is_open[reach.cols]
    rows, cols, dist = reach.rows[pair_open], reach.cols[pair_open], reach.dist[pair_open]
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.empty(0, np.int64)
    nearest = np.full(reach.n_demand, -1, dtype=np.int64)
    nearest[rows[first]] = cols[first]
    distance = np.full(reach.n_demand, np.nan)
    distance[rows[first]] = dist[first]
    return nearest, distance, np.bincount(rows, minlength=reach.n_demand).astype(np.int64)


def site_sums(
    site: npt.NDArray[np.integer[Any]], values: Floats, m: int, where: npt.NDArray[np.bool_] | None = None
) -> Floats:
    """Sum of ``values`` per site index (``where`` selects the entries)."""
    if where is not None:
        site, values = site[where], values[where]
    return np.bincount(site, weights=values, minlength=m).astype(np.float64)


def check_assignment(assignment: Index, is_open: npt.NDArray[np.bool_]) -> Index:
    """The model's assignment, checked: one index in -1..m-1 per unit, open sites only."""
    m = len(is_open)
    if assignment.min(initial=0) < -1 or assignment.max(initial=0) >= m:
        raise ValueError(f"assignment holds site indexes outside -1..{m - 1}")
    closed = (assignment >= 0) & ~is_open[np.maximum(assignment, 0)]
    if closed.any():
        raise ValueError(f"{int(closed.sum())} units are assigned to closed sites")
    return assignment


def ids_or_none(ids: npt.NDArray[np.object_], index: Index) -> pd.Series:
    """Site id at each index, None where the index is -1."""
    out = np.full(len(index), None, dtype=object)
    out[index >= 0] = ids[index[index >= 0]]
    return pd.Series(out, dtype=object)


def pair_distance(reach: Any, site: Index) -> Floats:
    """Reach distance of each (unit, ``site[unit]``) pair; NaN for -1 or a pair out of reach."""
    keys = reach.rows.astype(np.int64) * reach.n_sites + reach.cols
    order = np.argsort(keys, kind="stable")
    wanted = np.arange(reach.n_demand, dtype=np.int64) * reach.n_sites + site
    at = np.minimum(np.searchsorted(keys, wanted, sorter=order), max(len(keys) - 1, 0))
    out = np.full(reach.n_demand, np.nan)
    if len(keys):
        found = (site >= 0) & (keys[order[at]] == wanted)
        out[found] = reach.dist[order[at[found]]]
    return out


def staffing(
    slots: pd.DataFrame,
    sites: pd.DataFrame,
    site_ids: npt.NDArray[np.object_],
    is_open: npt.NDArray[np.bool_],
    partners: Sequence[Any],
) -> dict[str, npt.NDArray[Any]]:
    """Per-site columns ``slots``, ``slots_<partner>``, ``advisors``, ``shared`` (reach order).

    ``advisors`` counts advisor equivalents (slots / ``slots_per_advisor``); ``shared`` is true
    when a partner other than the owner (``partner`` column of ``sites``) or 2+ partners staff it.
    """
    names = [p.name for p in partners]
    unknown = sorted(set(slots["partner"]) - set(names))
    if unknown:
        raise ValueError(
            f"slots name partners without a Partner record: {', '.join(unknown)}; pass them in 'partners'"
        )
    site = pd.Index(site_ids).get_indexer(slots["site_id"].to_numpy(dtype=object))
    if (site < 0).any():
        raise ValueError(f"slots at sites outside the reach: {', '.join(slots['site_id'][site < 0][:10])}")
    if (~is_open[site]).any():
        raise ValueError(f"slots at closed sites: {', '.join(slots['site_id'][~is_open[site]][:10])}")
    matrix = np.zeros((len(site_ids), len(names)), dtype=np.int64)
    partner = pd.Index(names).get_indexer(slots["partner"].to_numpy(dtype=object))
    np.add.at(matrix, (site, partner), slots["slots"].to_numpy(dtype=np.int64))
    owner = (
        sites["partner"].astype(object).where(sites["partner"].notna(), None).to_numpy()
        if "partner" in sites.columns
        else np.full(len(site_ids), None, dtype=object)
    )
    staffed = matrix > 0
    foreign = staffed & (np.asarray(names, dtype=object)[None, :] != owner[:, None])
    foreign &= pd.notna(owner)[:, None]
    per_advisor = np.array([p.slots_per_advisor for p in partners], dtype=np.float64)
    columns: dict[str, npt.NDArray[Any]] = {"slots": matrix.sum(axis=1)}
    columns.update({f"slots_{name}": matrix[:, k] for k, name in enumerate(names)})
    columns["advisors"] = (matrix / per_advisor[None, :]).sum(axis=1) if names else np.zeros(len(site_ids))
    columns["shared"] = (staffed.sum(axis=1) >= 2) | foreign.any(axis=1)
    return columns


def geometry_last(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its geometry column last (readers expect it there) and no ``attrs``."""
    if isinstance(frame, gpd.GeoDataFrame):
        name = frame.geometry.name
        frame = frame[[c for c in frame.columns if c != name] + [name]]
    frame.attrs = {}
    return frame


# -- KPIs and explanations ---------------------------------------------------

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
    dist = units["distance"].to_numpy(dtype=np.float64)
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
            "code of each unit (coverage.territory.department_of(insee_code))"
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
    staffed["need_served"] = staffed["served"] * staffed["slots"] / staffed["site_slots"]
    per = staffed.groupby("partner").agg(
        slots=("slots", "sum"),
        sites_staffed=("site_id", "nunique"),
        shared_sites=("shared", "sum"),
        need_served=("need_served", "sum"),
    )
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
    out["need_served"] = per["need_served"].reindex(names).fillna(0.0) + unstaffed.groupby("owner")[
        "served"
    ].sum().reindex(names).fillna(0.0)
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


# -- files --------------------------------------------------------------------


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Raises
    ------
    FileNotFoundError
        When the folder of ``target`` does not exist (nothing is created).
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {target.parent} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        partial = workdir / target.name
        yield partial
        os.replace(partial, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def require_geometry(tables: Tables, names: tuple[str, ...], what: str) -> None:
    """Raise ValueError unless each of ``names`` is a GeoDataFrame, CRSError if it has no CRS."""
    for name in names:
        frame = tables[name]
        if not isinstance(frame, gpd.GeoDataFrame):
            raise ValueError(
                f"{what} needs geometry, but the plan's '{name}' table has none: build the plan from "
                "GeoDataFrames (demand and sites with a geometry column and a CRS), or export with "
                "to_csv, to_parquet or to_json"
            )
        if frame.crs is None:
            raise CRSError(
                f"{what}: the plan's '{name}' table has no CRS; set it on the input "
                "with GeoDataFrame.set_crs(4326)"
            )


def write_gpkg(tables: Tables, path: str | os.PathLike[str]) -> Path:
    """Write each table as a layer of one GeoPackage (attribute tables for non-spatial ones)."""
    target = Path(path)
    with atomic_path(target) as partial:
        for name, frame in tables.items():
            frame = frame.copy()
            frame.attrs = {}  # readers' load reports are not serialisable
            pyogrio.write_dataframe(frame, partial, layer=name, driver="GPKG")
    logger.info("wrote %d layers to %s", len(tables), target)
    return target


def write_tables(
    tables: Tables, folder: str | os.PathLike[str], suffix: Literal[".geojson", ".csv", ".parquet"]
) -> list[Path]:
    """Write ``<name><suffix>`` per table into ``folder`` (created when missing).

    GeoJSON in EPSG:4326 with null geometries for non-spatial tables; CSV with
    geometry as WKT; Parquet as GeoParquet for spatial tables. Every table is
    written into a temporary folder first, then each file is moved into place.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".plan-export.", suffix=".tmp", dir=folder))
    try:
        for name, frame in tables.items():
            frame = frame.copy()
            frame.attrs = {}
            spatial, partial = isinstance(frame, gpd.GeoDataFrame), workdir / f"{name}{suffix}"
            if suffix == ".geojson":
                pyogrio.write_dataframe(frame.to_crs(4326) if spatial else frame, partial, driver="GeoJSON")
            elif suffix == ".csv":
                (pd.DataFrame(frame.to_wkt()) if spatial else frame).to_csv(partial, index=False)
            else:
                frame.to_parquet(partial, index=False)
        targets = [folder / f"{name}{suffix}" for name in tables]
        for target in targets:
            os.replace(workdir / target.name, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    logger.info("wrote %d %s tables to %s", len(targets), suffix, folder)
    return targets


def write_json(document: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a JSON-able mapping as UTF-8 JSON (strict: NaN is refused, use None)."""
    target = Path(path)
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    with atomic_path(target) as partial:
        partial.write_text(text + "\n", encoding="utf-8")
    return target


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a non-spatial table as JSON-able dicts (NaN -> None, numpy -> Python)."""
    plain = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return [{str(k): jsonable(v) for k, v in row.items()} for row in plain.to_dict(orient="records")]


def jsonable(value: Any) -> Any:
    """A value as JSON-able Python (dicts walked): NaN/NA -> None, numpy numbers -> int/float."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or (
        not isinstance(value, str | bytes) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
