"""An independent check of a rollout's trajectory, from its own tables.

:func:`verify_trajectory` shares no code with :mod:`coverage.models.rollout`: it
re-derives each site's capacity per month from the waves on it
(:attr:`~coverage.plan.trajectory.Trajectory.cohorts`), their factors and the
partners' rates, and checks that

- people per unit and per site are never negative in a month (the cumulative never falls);
- people accompanied in a unit over the horizon never exceed its need x repeat visits;
- people at a site and partner in a month never exceed that month's capacity;
- no wave places more slots than it holds, no site and partner holds more wave slots
  than the static plan gave it;
- every month's people add up the same over units, over sites, and in the tables by
  partner, department and zone.

:func:`coverage.plan.verify.verify_plan` runs it on every plan that carries a trajectory.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.plan.trajectory import Trajectory
from coverage.plan.violation import Violation, at_site, figure

__all__ = ["verify_trajectory"]


def _slack(limit: float) -> float:
    return 1e-3 + 1e-6 * abs(limit)


def verify_trajectory(trajectory: Trajectory, static_slots: pd.DataFrame | None = None) -> list[Violation]:
    """Every rollout constraint the trajectory's tables break (empty: it holds).

    Parameters
    ----------
    trajectory
        The trajectory to check.
    static_slots
        The static plan's slots (``site_id``, ``partner``, ``slots``): waves on a site may
        not exceed them.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Horizon, Partner
    >>> from coverage.inputs.rollout import Rollout
    >>> demand = pd.DataFrame({"unit_id": ["u1"], "need": [25.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1"]})
    >>> reach = Reach.from_dense(["u1"], ["s1"], [[1]], max_distance=5)
    >>> horizon = Horizon(dt.date(2022, 1, 1), dt.date(2022, 3, 31))
    >>> rollout = Rollout(horizon.start, horizon.until)
    >>> plan = staffing(demand, sites, reach, [Partner("p", 1, people_per_slot_month=10.0)],
    ...                 horizon=horizon, rollout=rollout)
    >>> plan.trajectory.cumulative.tolist()  # the unit's need (25) is used up in March
    [10.0, 20.0, 25.0]
    >>> verify_trajectory(plan.trajectory, plan.slots)
    []
    """
    found: list[Violation] = []
    people, sites, units = trajectory.people, trajectory.sites, trajectory.units
    for frame, key in ((people, "unit_id"), (sites, "site_id")):
        for row in frame[frame["people"] < -1e-9].head(20).itertuples(index=False):
            found.append(
                Violation(
                    N_("cumulative never falls"),
                    str(getattr(row, key)),
                    float(row.people),
                    0.0,
                    f"{getattr(row, key)}: "
                    + N_("{num_people} people in month {num_month}, below 0").format(
                        num_people=figure(row.people), num_month=int(row.month) + 1
                    ),
                )
            )
    need = units.set_index("unit_id")["need"] * trajectory.repeat_visits
    per_unit = people.groupby("unit_id")["people"].sum()
    for unit_id, total in per_unit.items():
        limit = float(need.get(unit_id, 0.0))
        if total > limit + _slack(limit):
            found.append(
                Violation(
                    N_("unit need over the horizon"),
                    str(unit_id),
                    float(total),
                    limit,
                    f"{unit_id}: "
                    + N_(
                        "{num_people} people accompanied, above its need x repeat visits {num_limit}"
                    ).format(num_people=figure(total), num_limit=figure(limit)),
                )
            )
    found += _capacity(trajectory, sites)
    found += _waves(trajectory, static_slots)
    found += _totals(trajectory, people, sites)
    return found


def _capacity(trajectory: Trajectory, sites: pd.DataFrame) -> list[Violation]:
    out = []
    cohorts, factors = trajectory.cohorts, trajectory.factors
    rates = {p.name: p.people_per_slot_month for p in trajectory.partners}
    joined = cohorts.merge(factors[["partner", "wave", "month", "factor"]], on=["partner", "wave"])
    joined["capacity"] = joined["slots"] * joined["partner"].map(rates) * joined["factor"]
    derived = joined.groupby(["site_id", "partner", "month"])["capacity"].sum()
    keys = pd.MultiIndex.from_frame(sites[["site_id", "partner", "month"]])
    limit = derived.reindex(keys, fill_value=0.0).to_numpy()
    slack = 1e-3 + 1e-6 * np.abs(limit)
    capacity, served = sites["capacity"].to_numpy(), sites["people"].to_numpy()
    for k in np.flatnonzero(np.abs(capacity - limit) > slack)[:20]:
        site_id, partner, month = keys[k]
        out.append(
            Violation(
                N_("capacity per period"),
                at_site(partner, site_id),
                float(capacity[k]),
                float(limit[k]),
                N_(
                    "{partner} at {site_id}, month {num_month}: capacity {num_capacity} "
                    "but its waves serve {num_limit}"
                ).format(
                    partner=partner,
                    site_id=site_id,
                    num_month=month + 1,
                    num_capacity=figure(capacity[k]),
                    num_limit=figure(limit[k]),
                ),
            )
        )
    for k in np.flatnonzero(served > limit + slack)[:20]:
        site_id, partner, month = keys[k]
        out.append(
            Violation(
                N_("capacity per period"),
                at_site(partner, site_id),
                float(served[k]),
                float(limit[k]),
                N_(
                    "{partner} at {site_id}, month {num_month}: {num_people} people, "
                    "above its capacity {num_limit}"
                ).format(
                    partner=partner,
                    site_id=site_id,
                    num_month=month + 1,
                    num_people=figure(served[k]),
                    num_limit=figure(limit[k]),
                ),
            )
        )
    return out


def _waves(trajectory: Trajectory, static_slots: pd.DataFrame | None) -> list[Violation]:
    out = []
    cohorts = trajectory.cohorts
    held = trajectory.factors.groupby(["partner", "wave"])["slots"].first()
    for key, used in cohorts.groupby(["partner", "wave"])["slots"].sum().items():
        partner, wave = cast(tuple[str, str], key)
        limit = float(held.get((partner, wave), 0))
        if used > limit + 1e-9:
            out.append(
                Violation(
                    N_("wave slots"),
                    f"{partner} {wave}",
                    float(used),
                    limit,
                    N_("{partner} {wave}: {num_slots} slots placed, the wave holds {num_limit}").format(
                        partner=partner, wave=wave, num_slots=used, num_limit=f"{limit:g}"
                    ),
                )
            )
    if static_slots is not None:
        static = static_slots.groupby(["site_id", "partner"])["slots"].sum()
        for key, used in cohorts.groupby(["site_id", "partner"])["slots"].sum().items():
            site_id, partner = cast(tuple[str, str], key)
            limit = float(static.get((site_id, partner), 0))
            if used > limit + 1e-9:
                out.append(
                    Violation(
                        N_("wave slots"),
                        at_site(partner, site_id),
                        float(used),
                        limit,
                        N_(
                            "{partner} at {site_id}: waves place {num_slots} slots, "
                            "the plan gives it {num_limit}"
                        ).format(partner=partner, site_id=site_id, num_slots=used, num_limit=f"{limit:g}"),
                    )
                )
    return out


def _totals(trajectory: Trajectory, people: pd.DataFrame, sites: pd.DataFrame) -> list[Violation]:
    out = []
    n = len(trajectory.months)
    by_units = people.groupby("month")["people"].sum().reindex(range(n), fill_value=0.0).to_numpy()
    by_sites = sites.groupby("month")["people"].sum().reindex(range(n), fill_value=0.0).to_numpy()
    checks = [(N_("sites"), by_sites)]
    names = {
        "partner": N_("trajectory by partner"),
        "department": N_("trajectory by department"),
        "zone": N_("trajectory by zone"),
    }
    for by, name in names.items():
        if by == "department" and "dep" not in trajectory.units.columns:
            continue
        table = trajectory.table(by)
        checks.append((name, table.groupby("month", sort=True)["people"].sum().to_numpy()))
    for name, values in checks:
        for m in np.flatnonzero(~np.isclose(values, by_units, rtol=1e-9, atol=1e-4)):
            out.append(
                Violation(
                    N_("trajectory totals"),
                    name,
                    float(values[m]),
                    float(by_units[m]),
                    f"{name}: "
                    + N_("month {num_month} sums to {num_value}, the units to {num_units}").format(
                        num_month=m + 1, num_value=f"{values[m]:,.6g}", num_units=f"{by_units[m]:,.6g}"
                    ),
                )
            )
    total = float(by_units.sum())
    if not math.isclose(trajectory.people_total, total, rel_tol=1e-9, abs_tol=1e-4):
        out.append(
            Violation(
                N_("trajectory totals"),
                "people",
                trajectory.people_total,
                total,
                N_("cumulative total differs"),
            )
        )
    return out
