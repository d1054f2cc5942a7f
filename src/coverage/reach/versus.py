"""Two reaches side by side: straight line versus road (or any two rules on the same layers).

:func:`compare_reach` lists the pairs one rule keeps and the other does not
(``gained`` by the second, ``lost``), the units whose nearest site changes,
and the same counts per department. The usual call compares a straight-line
rule (``first``) with :class:`~coverage.reach.roads.RoadTime` (``second``):
"gained" pairs are reachable by road but outside the circle, "lost" pairs
inside the circle but too far by road (a valley, a river without a bridge).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage.reach.pairs import Reach

__all__ = ["ReachDifference", "compare_reach"]


@dataclass(frozen=True, eq=False)
class ReachDifference:
    """What changes from the ``first`` reach to the ``second``.

    Attributes
    ----------
    pairs
        One row per pair in either reach and not in both: ``unit_id``,
        ``site_id``, ``change`` (``'gained'``: in the second only, ``'lost'``:
        in the first only), ``first`` and ``second`` (the pair's distance or
        time in each, NaN where absent).
    units
        One row per unit: ``unit_id``, ``dep``, ``nearest_first`` and
        ``nearest_second`` (nearest site id, ``''`` when none),
        ``nearest_changed``, ``sites_first`` and ``sites_second`` (sites within reach).
    by_department
        Per department: ``units``, ``pairs_first``, ``pairs_second``,
        ``gained``, ``lost``, ``nearest_changed``, ``reached_first`` and
        ``reached_second`` (units with at least one site).
    first_rule, second_rule
        The two rules' descriptions; ``first_unit``, ``second_unit`` their units.
    """

    pairs: pd.DataFrame
    units: pd.DataFrame
    by_department: pd.DataFrame
    first_rule: str
    second_rule: str
    first_unit: str
    second_unit: str

    @property
    def gained(self) -> int:
        return int((self.pairs["change"] == "gained").sum())

    @property
    def lost(self) -> int:
        return int((self.pairs["change"] == "lost").sum())

    @property
    def nearest_changed(self) -> int:
        return int(self.units["nearest_changed"].sum())


def compare_reach(first: Reach, second: Reach, departments: pd.Series | None = None) -> ReachDifference:
    """Pairs gained and lost from ``first`` to ``second``, and units whose nearest site changes.

    Parameters
    ----------
    first, second
        Reaches over the same demand and site ids (in the same order).
    departments
        Department code of each demand unit (in ``first.demand_ids`` order); without it
        every unit counts in one department ``''``.

    Raises
    ------
    ValueError
        The two reaches do not have the same ids.

    Examples
    --------
    A circle of 2 km against road times: the road loses s1 (across a river) and gains s2
    (a fast road), so u1's nearest site changes:

    >>> import pandas as pd
    >>> from coverage.reach.pairs import Reach
    >>> from coverage.reach.versus import compare_reach
    >>> circle = Reach.from_arrays(["u1", "u2"], ["s1", "s2"], [0, 1], [0, 0], [900.0, 1500.0])
    >>> road = Reach.from_arrays(["u1", "u2"], ["s1", "s2"], [0, 1], [1, 0], [8.0, 12.0], unit="min")
    >>> difference = compare_reach(circle, road, departments=pd.Series(["23", "87"]))
    >>> difference.gained, difference.lost, difference.nearest_changed
    (1, 1, 1)
    >>> difference.units[["unit_id", "nearest_first", "nearest_second"]].values.tolist()
    [['u1', 's1', 's2'], ['u2', 's1', 's1']]
    >>> difference.by_department[["dep", "gained", "lost", "nearest_changed"]].values.tolist()
    [['23', 1, 1, 1], ['87', 0, 0, 0]]
    """
    if not (
        np.array_equal(first.demand_ids, second.demand_ids)
        and np.array_equal(first.site_ids, second.site_ids)
    ):
        raise ValueError("the two reaches must have the same demand and site ids, in the same order")
    n_sites = first.n_sites
    key_first = first.rows.astype(np.int64) * n_sites + first.cols
    key_second = second.rows.astype(np.int64) * n_sites + second.cols
    only_first = ~np.isin(key_first, key_second)
    only_second = ~np.isin(key_second, key_first)
    lost = pd.DataFrame(
        {
            "unit_id": first.demand_ids[first.rows[only_first]],
            "site_id": first.site_ids[first.cols[only_first]],
            "change": "lost",
            "first": first.dist[only_first],
            "second": np.nan,
        }
    )
    gained = pd.DataFrame(
        {
            "unit_id": second.demand_ids[second.rows[only_second]],
            "site_id": second.site_ids[second.cols[only_second]],
            "change": "gained",
            "first": np.nan,
            "second": second.dist[only_second],
        }
    )
    pairs = pd.concat([gained, lost], ignore_index=True).astype({"unit_id": str, "site_id": str})
    dep = (
        pd.Series([""] * first.n_demand)
        if departments is None
        else pd.Series(np.asarray(departments, dtype=object)).astype(str)
    )
    units = pd.DataFrame(
        {
            "unit_id": first.demand_ids.astype(str),
            "dep": dep.to_numpy(),
            "nearest_first": _nearest(first),
            "nearest_second": _nearest(second),
            "sites_first": first.sites_reaching(),
            "sites_second": second.sites_reaching(),
        }
    )
    units["nearest_changed"] = units["nearest_first"] != units["nearest_second"]
    unit_dep = dict(zip(units["unit_id"], units["dep"], strict=True))
    pairs["dep"] = pairs["unit_id"].map(unit_dep)
    grouped = units.groupby("dep", sort=True)
    by_department = pd.DataFrame(
        {
            "units": grouped.size(),
            "pairs_first": grouped["sites_first"].sum(),
            "pairs_second": grouped["sites_second"].sum(),
            "gained": pairs[pairs["change"] == "gained"].groupby("dep").size(),
            "lost": pairs[pairs["change"] == "lost"].groupby("dep").size(),
            "nearest_changed": grouped["nearest_changed"].sum(),
            "reached_first": grouped["sites_first"].apply(lambda s: int((s > 0).sum())),
            "reached_second": grouped["sites_second"].apply(lambda s: int((s > 0).sum())),
        }
    )
    by_department = by_department.fillna(0).astype(int).rename_axis("dep").reset_index()
    return ReachDifference(
        pairs=pairs,
        units=units,
        by_department=by_department,
        first_rule=first.rule,
        second_rule=second.rule,
        first_unit=first.unit,
        second_unit=second.unit,
    )


def _nearest(reach: Reach) -> np.ndarray:
    """Id of each unit's nearest site (pairs are sorted by row then distance), ``''`` when none."""
    nearest = np.full(reach.n_demand, "", dtype=object)
    if reach.n_pairs:
        first_of_row = np.r_[True, reach.rows[1:] != reach.rows[:-1]]
        nearest[reach.rows[first_of_row]] = reach.site_ids[reach.cols[first_of_row]]
    return nearest.astype(str)
