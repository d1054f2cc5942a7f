"""The tables of a solved rollout phase, month by month (the rollout model's readout).

:func:`trajectory_tables` turns the solution of :mod:`coverage.models.rollout` (wave
slots per slot entry, people per merged unit group, site and period) into a
:class:`~coverage.plan.trajectory.Trajectory`: capacity and people per staffed
site, partner and month (people front-loaded inside each period, split between a
site's partners by their capacity there), people per unit and month (a group's
people split back to its units in proportion to need), the waves on each site and
their factors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coverage.inputs.rollout import Rollout
from coverage.models.solver import SolveResult
from coverage.plan.trajectory import Trajectory

__all__ = ["trajectory_tables"]


def trajectory_tables(
    data: Any,
    solved: Any,
    rollout: Rollout,
    target: float | None,
    headline: SolveResult,
    phases: list[tuple[str, SolveResult]],
    *,
    proven: bool,
) -> Trajectory:
    """The :class:`Trajectory` of a solved phase (nothing staffed when it has no solution).

    ``data`` and ``solved`` are the rollout model's sets and solved phase
    (:mod:`coverage.models.rollout`'s ``_Data`` and ``_Solved``).
    """
    months = rollout.months
    n_months, n_sites = len(months), len(data.site_ids)
    solved_ok = solved.result.status in ("optimal", "feasible") and len(solved.blocks) > 0
    slots = solved.slots if solved_ok else np.zeros(len(data.pair_entry))
    factors = data.factors
    # Capacity per slot entry (site, partner) and month.
    entry_capacity = np.zeros((len(data.entry_slots), n_months))
    for k in range(len(data.pair_entry)):
        entry_capacity[data.pair_entry[k]] += slots[k] * data.rate[k] * factors[data.pair_cohort[k]]
    site_capacity = np.zeros((n_sites, n_months))
    np.add.at(site_capacity, data.entry_site, entry_capacity)
    group_people = np.zeros((len(data.group_need), n_months))
    site_people = np.zeros((n_sites, n_months))
    if solved_ok:
        _, site_people = data.site_months(solved)
        flow = solved.flow.reshape(len(data.group_sites), len(solved.blocks))
        group_of_pair = np.repeat(np.arange(len(data.group_need)), np.diff(data.group_indptr))
        for b, (a, e) in enumerate(solved.blocks):
            to_site = np.bincount(data.group_sites, weights=flow[:, b], minlength=n_sites)
            share = np.divide(
                flow[:, b],
                to_site[data.group_sites],
                out=np.zeros(len(flow)),
                where=to_site[data.group_sites] > 0,
            )
            for m in range(a, e):
                pair_people = share * site_people[data.group_sites, m]
                group_people[:, m] = np.bincount(
                    group_of_pair, weights=pair_people, minlength=len(data.group_need)
                )
    units = data.units
    need = units["need"].to_numpy()
    in_group = np.flatnonzero(data.unit_group >= 0)
    group_total = np.bincount(
        data.unit_group[in_group], weights=need[in_group], minlength=len(data.group_need)
    )
    weight = need[in_group] / np.where(
        group_total[data.unit_group[in_group]] > 0, group_total[data.unit_group[in_group]], 1.0
    )
    unit_people = group_people[data.unit_group[in_group]] * weight[:, None]
    rows, cols = np.nonzero(unit_people > 1e-9)
    people = pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy()[in_group[rows]],
            "month": cols.astype(np.int64),
            "people": unit_people[rows, cols],
        }
    )
    share = np.divide(
        entry_capacity,
        site_capacity[data.entry_site],
        out=np.zeros_like(entry_capacity),
        where=site_capacity[data.entry_site] > 0,
    )
    entry_people = share * site_people[data.entry_site]
    n_entries = len(data.entry_slots)
    sites = pd.DataFrame(
        {
            "site_id": np.repeat(data.site_ids[data.entry_site], n_months),
            "partner": np.repeat(np.array(data.entry_partner, dtype=object), n_months),
            "month": np.tile(np.arange(n_months), n_entries),
            "capacity": entry_capacity.reshape(-1),
            "people": entry_people.reshape(-1),
        }
    )
    used = slots > 0
    cohorts = pd.DataFrame(
        {
            "site_id": data.site_ids[data.entry_site[data.pair_entry[used]]],
            "partner": [data.entry_partner[e] for e in data.pair_entry[used]],
            "wave": [data.cohorts[c].wave for c in data.pair_cohort[used]],
            "start": [data.cohorts[c].start.strftime("%Y-%m") for c in data.pair_cohort[used]],
            "slots": slots[used].astype(np.int64),
        }
    )
    factor_rows = [
        (c.partner, c.wave, c.slots, m, float(c.factor[m])) for c in data.cohorts for m in range(n_months)
    ]
    return Trajectory(
        months=months,
        target=target,
        repeat_visits=rollout.repeat_visits,
        partners=tuple(data.plan.partners),
        status=headline.status,
        objective=solved.end if solved_ok else None,
        bound=headline.bound,
        solver=headline.solver,
        solve_seconds=float(sum(r.seconds for _, r in phases)),
        target_month_proven=proven,
        phases=tuple((name, r.status, round(r.seconds, 3)) for name, r in phases),
        _units=units,
        _people=people,
        _sites=sites,
        _cohorts=cohorts,
        _factors=pd.DataFrame(factor_rows, columns=["partner", "wave", "slots", "month", "factor"]),
    )
