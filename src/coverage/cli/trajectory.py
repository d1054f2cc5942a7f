"""What ``coverage-plan run`` and ``compare`` print about a rollout's trajectory.

The month the target is reached (or the shortfall at the end and the estimates of
:meth:`coverage.plan.trajectory.Trajectory.closing`), and two runs' cumulated people
month by month.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from coverage.cli.common import english, table
from coverage.data.i18n import format_number, format_percent, gettext_
from coverage.data.i18n.names import STATUSES

if TYPE_CHECKING:
    from coverage.plan.trajectory import Trajectory
    from coverage.scenario.compare import Comparison

__all__ = ["figure", "print_trajectory", "trajectory_rows"]


def figure(value: float | None) -> str:
    """A count with thousands separators (two decimals below 100), ``n/a`` for None or NaN."""
    if value is None or math.isnan(value):
        return gettext_("n/a")
    if not english():
        digits = 0 if abs(value) >= 100 else len(f"{value:.2f}".rstrip("0").partition(".")[2])
        return format_number(value, digits)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _blank(value: Any, show: Any, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(show(float(value)))
    return f"+{text}" if signed and float(value) > 0 else text


def trajectory_rows(trajectory: Trajectory) -> list[list[str]]:
    """The rollout's headline: the month the target is reached, or the shortfall and what closes it."""
    _ = gettext_
    end = trajectory.months[-1].strftime("%Y-%m")
    gap = (
        ""
        if trajectory.gap in (None, 0.0)
        else _(", gap {gap}").format(gap=format_percent(trajectory.gap, 2))
    )
    status = trajectory.status if english() else _(STATUSES.get(trajectory.status, trajectory.status))
    rows = [
        [
            _("rollout"),
            _("{status}{gap} in {seconds} s ({n} solves)").format(
                status=status,
                gap=gap,
                seconds=format_number(trajectory.solve_seconds, 1),
                n=len(trajectory.phases),
            ),
        ],
        [_("people accompanied by {month}").format(month=end), figure(trajectory.people_total)],
    ]
    month = trajectory.target_month
    if trajectory.target is None:
        return rows
    if month is not None:
        proof = (
            _("earliest possible on these sites")
            if trajectory.target_month_proven
            else _("not proven earliest")
        )
        rows.append([_("target reached"), f"{month:%Y-%m} ({figure(trajectory.target)}; {proof})"])
        return rows
    closing = trajectory.closing() or {}
    rows.append(
        [
            _("target shortfall"),
            _("{shortfall} of {target} by {month}").format(
                shortfall=figure(trajectory.shortfall), target=figure(trajectory.target), month=end
            ),
        ]
    )
    options = []
    if closing.get("extra_months") is not None:
        months = closing["extra_months"]
        pace = (
            _("+{n} months at the last month's pace")
            if months > 1
            else _("+{n} month at the last month's pace")
        )
        options.append(pace.format(n=months))
    advisors = closing.get("extra_advisors") or {}
    if advisors:
        more = _(" or +").join(
            (_("{n} {partner} advisors") if n > 1 else _("{n} {partner} advisor")).format(n=n, partner=p)
            for p, n in advisors.items()
        )
        options.append(_("or +{more} from the first month").format(more=more))
    if closing.get("rate_factor") is not None:
        options.append(
            _("or people per slot-month x{factor}").format(factor=format_number(closing["rate_factor"], 3))
        )
    if options:
        rows.append([_("to close it (estimates)"), "; ".join(options)])
    if (closing.get("need_left") or 0.0) < (trajectory.shortfall or 0.0):
        rows.append(
            [
                _("need left in reach"),
                _("{need}: more sites are needed").format(need=figure(closing["need_left"])),
            ]
        )
    return rows


def print_trajectory(comparison: Comparison) -> None:
    frame = comparison.trajectory
    if frame is None:
        return
    a, b = (month or "not reached" for month in comparison.target_months)
    print()
    print(f"Rollout: target reached in A {a}, in B {b}")
    step = max(1, len(frame) // 8)
    shown = frame.iloc[list(range(step - 1, len(frame), step)) + ([] if len(frame) % step == 0 else [-1])]
    rows = [
        [
            str(r.month),
            _blank(r.cumulative_a, figure),
            _blank(r.cumulative_b, figure),
            _blank(r.delta, figure, signed=True),
        ]
        for r in shown.itertuples(index=False)
    ]
    print(table(["month", "people A (cum.)", "people B (cum.)", "B - A"], rows, right=frozenset({1, 2, 3})))
