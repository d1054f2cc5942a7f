"""People accompanied by a date: a plan's slots over the months of its horizon, against its target.

The helper behind :meth:`coverage.plan.plan.Plan.projection`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from coverage.inputs.partners import Horizon, Partner, months_between

__all__ = ["Projection", "project"]


@dataclass(frozen=True)
class Projection:
    """People accompanied by ``date``: ``people = min(served_need, capacity)``.

    ``capacity`` (and ``capacity_by_partner``) is ``slots x people_per_slot_month x months``
    over the ``months`` from the horizon's start; ``gap_to_target`` is ``target - people``
    (negative: target exceeded), None without a target.
    """

    date: dt.date
    months: float
    capacity: float
    capacity_by_partner: tuple[tuple[str, float], ...]
    served_need: float
    people: float
    target: float | None
    gap_to_target: float | None

    @property
    def target_share(self) -> float | None:
        """``people / target`` (None without a positive target)."""
        return self.people / self.target if self.target else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the date as ISO text)."""
        return {
            "date": self.date.isoformat(),
            "months": self.months,
            "capacity": self.capacity,
            "capacity_by_partner": dict(self.capacity_by_partner),
            "served_need": self.served_need,
            "people": self.people,
            "target": self.target,
            "gap_to_target": self.gap_to_target,
            "target_share": self.target_share,
        }


def project(
    slots: pd.DataFrame,
    served_need: float,
    horizon: Horizon | None,
    partners: Sequence[Partner],
    date: dt.date | str | None,
) -> Projection | None:
    """People accompanied by ``date`` (see :meth:`coverage.plan.Plan.projection`)."""
    if horizon is None or slots.empty:
        return None
    when = horizon.until if date is None else (dt.date.fromisoformat(date) if isinstance(date, str) else date)
    months = months_between(horizon.start, when)
    rate = {p.name: p.people_per_slot_month for p in partners}
    used = slots.groupby("partner", sort=True)["slots"].sum()
    by_partner = tuple((str(p), float(s * rate[p] * months)) for p, s in used.items())
    capacity = float(sum(c for _, c in by_partner))
    people = min(served_need, capacity)
    target = None if horizon.target is None else float(horizon.target)
    return Projection(
        date=when,
        months=months,
        capacity=capacity,
        capacity_by_partner=by_partner,
        served_need=served_need,
        people=people,
        target=target,
        gap_to_target=None if target is None else target - people,
    )
