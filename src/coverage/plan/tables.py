"""Joining a model's raw solution back to its demand units and candidate sites.

:meth:`coverage.plan.plan.Plan.from_solution` calls :func:`join_solution`, which
derives, without Python loops over pairs:

- per unit: ``served``, ``reached``, ``open_sites_in_reach``,
  ``nearest_open_site`` and ``distance`` (nearest open site *within reach*,
  None / NaN when none), plus ``assigned_site`` and ``assigned_distance``
  when the model assigns units;
- per open site: ``slots``, ``slots_<partner>``, ``advisors`` (advisor
  equivalents: a slot of a partner whose advisors rotate over 4 sites counts
  0.25), ``shared`` (staffed by a partner other than the owner, or by 2+
  partners), ``need_in_reach``, ``served`` and ``unique_need``: the *need*
  (not the served need) of the units only this open site reaches, i.e. the
  need that closing it would leave out of reach;
- with the months of work of a staffing model: ``people_capacity`` (what the
  site's slots serve: sum over partners of slots x people per slot-month x
  months) and ``served_<partner>``;
- per (unit, site) pair with served need, for flow models: the ``flows`` table.

Need served at a site is the model's own figure: for flow models (staffing)
the sum of the flows the solver sent there; for models that assign units
(p-median, p-center), the served need of the units assigned to it; for
coverage models, which decide no flow, the served need of the units whose
nearest open site it is.

Need served at a shared site is attributed to its partners in proportion to
their serving capacity there, slots x people per slot-month: two La Poste
slots at 10 people a month and one Croix-Rouge slot at 40 split 600 people
served as 20 : 40, i.e. 200 and 400. As the flow at a site never exceeds
its capacity, neither does any partner's share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from coverage.inputs.partners import Partner
    from coverage.plan.solution import Solution
    from coverage.reach.pairs import Reach

__all__ = [
    "align",
    "check_assignment",
    "flow_table",
    "geometry_last",
    "ids_or_none",
    "join_solution",
    "nearest_open",
    "pair_distance",
    "site_sums",
    "staffing",
]

Index = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def join_solution(
    solution: Solution,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    partners: Sequence[Partner],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, npt.NDArray[np.intp]]:
    """Per-unit table, candidate sites and open-site table (reach order), open site indexes.

    Raises ValueError as :meth:`coverage.plan.plan.Plan.from_solution` documents.
    """
    n, m = reach.n_demand, reach.n_sites
    if len(solution.open_sites) != m or len(solution.served) != n:
        raise ValueError(
            f"the solution has {len(solution.open_sites)} sites and "
            f"{len(solution.served)} units; the reach has {m} sites and {n} units"
        )
    units = align(demand, "unit_id", reach.demand_ids, "demand", exact=True)
    candidates = align(sites, "site_id", reach.site_ids, "sites", exact=False)
    if "need" not in units.columns:
        raise ValueError("'demand' has no 'need' column")
    need = units["need"].to_numpy(dtype=np.float64)
    if not np.isfinite(need).all():
        raise ValueError("'demand' has missing or infinite need values; fill them (0 for none)")
    is_open, served = solution.open_sites, solution.served

    nearest, distance, open_in_reach = nearest_open(reach, is_open)
    units["served"] = served
    units["reached"] = open_in_reach > 0
    units["open_sites_in_reach"] = open_in_reach
    units["nearest_open_site"] = ids_or_none(reach.site_ids, nearest)
    units["distance"] = distance
    serving = nearest
    if solution.assignment is not None:
        serving = check_assignment(solution.assignment, is_open)
        units["assigned_site"] = ids_or_none(reach.site_ids, serving)
        units["assigned_distance"] = pair_distance(reach, serving)

    # Per site: need within reach, need served there, need only this open site reaches.
    opened = np.flatnonzero(is_open)
    per_site = staffing(solution.slots, candidates, reach.site_ids, is_open, partners)
    per_site["need_in_reach"] = site_sums(reach.cols, need[reach.rows], m)
    if solution.flow is not None:
        if len(solution.flow) != len(reach.rows):
            raise ValueError(
                f"the solution has {len(solution.flow)} flows; the reach has {len(reach.rows)} pairs"
            )
        if (solution.flow[~is_open[reach.cols]] > 0).any():
            raise ValueError("the solution sends flow to closed sites")
        per_site["served"] = site_sums(reach.cols, solution.flow, m)
    else:
        per_site["served"] = site_sums(serving, served, m, serving >= 0)
    per_site.update(attribute(per_site, partners, solution.months))
    per_site["unique_need"] = site_sums(nearest, need, m, open_in_reach == 1)
    table = candidates.iloc[opened].reset_index(drop=True)
    for column, values in per_site.items():
        table[column] = values[opened]
    return units, candidates, table, opened


def attribute(
    per_site: dict[str, npt.NDArray[Any]], partners: Sequence[Any], months: float | None
) -> dict[str, npt.NDArray[Any]]:
    """``served_<partner>`` per site, and ``people_capacity`` when ``months`` is known.

    A site's served need goes to its partners in proportion to slots x people per
    slot-month (see the module docstring); at a site without slots it goes to no partner.
    ``people_capacity`` is slots x people per slot-month x ``months``, summed over partners.
    """
    served = per_site["served"]
    rate = np.zeros(len(served))
    per_month = {}
    for partner in partners:
        per_month[partner.name] = per_site[f"slots_{partner.name}"] * float(partner.people_per_slot_month)
        rate = rate + per_month[partner.name]
    share = np.divide(served, rate, out=np.zeros(len(served)), where=rate > 0)
    out: dict[str, npt.NDArray[Any]] = {f"served_{name}": per_month[name] * share for name in per_month}
    if months is not None:
        out["people_capacity"] = rate * months
    return out


def flow_table(solution: Solution, reach: Reach) -> pd.DataFrame:
    """The model's flows: ``unit_id``, ``site_id``, ``served``, ``distance``, one row per pair served.

    Empty (same columns) for models without flows.
    """
    flow = solution.flow
    chosen = np.flatnonzero(flow > 0) if flow is not None else np.empty(0, np.int64)
    return pd.DataFrame(
        {
            "unit_id": reach.demand_ids[reach.rows[chosen]].astype(object),
            "site_id": reach.site_ids[reach.cols[chosen]].astype(object),
            "served": (flow[chosen] if flow is not None else np.empty(0)).astype(np.float64),
            "distance": reach.dist[chosen].astype(np.float64),
        }
    )


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
