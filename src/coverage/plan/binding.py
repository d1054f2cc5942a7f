"""What binds in a solved plan: each constraint group's use against its limit, from the plan's tables.

:func:`binding_constraints` reads a :class:`~coverage.plan.plan.Plan` (and,
when given, the candidate sites it was chosen from) and says, group by group,
how much of each limit the plan uses and whether it is *tight* (used up to
its limit, within the verifier's tolerance). A tight group is a candidate for
what holds the plan back; whether loosening it buys anything is measured by
re-solving (:mod:`coverage.scenario.marginal`).

The groups, for the models that have them:

``partner advisors``
    Slots a partner staffs against its ``advisors x slots_per_advisor``.
``partner site room``
    The same slots against the most the sites it may staff can hold: the sum,
    over candidate sites whose owner it may use (the sharing matrix), of
    ``min(capacity, max_slots_per_site)``. When this room is no larger than the
    partner's slots, the *sites* bind before the advisors: La Poste's 400
    offices with one slot each hold 400 slots, all its 100 advisors x 4.
``site capacity``
    Open sites whose slots fill their capacity.
``serving capacity``
    Staffed sites that serve all their slots can serve over the months of work.
``need within reach``
    Need served against the need of the units within reach of an open site
    (staffing): tight when every reached person is served, so more advisors
    at the same sites serve no one more.
``site count``, ``budget``, ``target``
    Open sites against ``max_sites`` (or exactly ``p``), site costs against the
    budget, need served against the target.
``department minimum sites`` / ``department maximum sites``
    Departments whose open-site count sits on its quota.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.inputs.rules import quota

if TYPE_CHECKING:
    from coverage.plan.plan import Plan

__all__ = ["Binding", "binding_constraints", "partner_site_room"]


@dataclass(frozen=True)
class Binding:
    """One constraint group (or one of its members) and how much of its limit the plan uses.

    Attributes
    ----------
    group
        The constraint group (``'partner advisors'``, ``'site count'``, ...).
    subject
        What it applies to: a partner, a department, ``'open sites'``, ``'all sites'``.
    used, limit
        The plan's figure and the limit (for counts of tight members, ``used`` of ``limit``).
    unit
        What both count (``'slots'``, ``'sites'``, ``'people'``, ``'cost'``).
    tight
        ``used`` is at its limit (within ``1e-3 + 1e-6 x |limit|``).
    detail
        The figures in words.
    """

    group: str
    subject: str
    used: float
    limit: float
    unit: str
    tight: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def _tight(used: float, limit: float) -> bool:
    return used >= limit - (1e-3 + 1e-6 * abs(limit))


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-6 or abs(value) >= 100 else f"{value:,.2f}"


def binding_constraints(plan: Plan, candidates: pd.DataFrame | None = None) -> tuple[Binding, ...]:
    """Every constraint group of ``plan``'s model with its use and limit, tight ones marked.

    Parameters
    ----------
    plan
        A solved plan.
    candidates
        The candidate sites the plan was chosen from (``site_id``, optional
        ``partner`` owner and ``capacity``); needed for ``partner site room``,
        which is left out without it.

    Returns
    -------
    tuple of Binding
        In the order of the module docstring's groups; a group the model does not
        have is left out.

    Examples
    --------
    One advisor (5 people a month, 12 months: 60 people) and two one-slot sites in reach of a
    unit of need 1,000: the advisor, not the sites or the need, holds the plan back.

    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Partner
    >>> from coverage.plan.binding import binding_constraints
    >>> demand = pd.DataFrame({"unit_id": ["u1"], "need": [1000.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    >>> reach = Reach.from_dense(["u1"], ["s1", "s2"], [[500, 800]], max_distance=5000)
    >>> plan = staffing(demand, sites, reach, [Partner("laposte", advisors=1, people_per_slot_month=5.0)],
    ...                 months=12)
    >>> for b in binding_constraints(plan, sites):
    ...     print(f"{b.group}: {b.detail} -> {'tight' if b.tight else 'slack'}")
    partner advisors: laposte: 1 of 1 slots staffed (1 of 1 advisors x 1) -> tight
    partner site room: laposte: 1 slots staffed; the 2 candidate sites it may staff hold 2 of its slots ...
    site capacity: 1 of 1 staffed sites fill their slot capacity -> tight
    serving capacity: 1 of 1 staffed sites serve all their slots can in 12 months -> tight
    need within reach: 60 of the 1,000 need within reach of an open site served -> slack
    """
    found: list[Binding] = []
    if plan.months is not None:
        found += _partners(plan, candidates)
        found += _sites(plan)
        found += _reach(plan)
    found += _model(plan)
    found += _departments(plan)
    return tuple(found)


def partner_site_room(
    candidates: pd.DataFrame, partner_name: str, max_slots_per_site: int | None, plan: Plan
) -> tuple[int, int]:
    """``(sites, slots)``: candidate sites ``partner_name`` may staff and the most slots they hold.

    A site counts when it is not closed and its owner (``partner`` column; any
    owner without it) is the partner or one the sharing matrix lets it use; it
    holds ``min(capacity, max_slots_per_site)`` of the partner's slots
    (``capacity`` 1 without the column).

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Partner
    >>> from coverage.plan.binding import partner_site_room
    >>> sites = pd.DataFrame({"site_id": ["a", "b", "c"], "partner": ["laposte", "laposte", "sos"],
    ...                       "capacity": [2, 3, 1]})
    >>> demand = pd.DataFrame({"unit_id": ["u"], "need": [10.0]})
    >>> reach = Reach.from_dense(["u"], ["a", "b", "c"], [[1, 1, 1]], max_distance=5)
    >>> plan = staffing(demand, sites, reach, [Partner("laposte", advisors=1)])
    >>> partner_site_room(sites, "laposte", 1, plan)  # sos's premises are not shared
    (2, 2)
    >>> partner_site_room(sites, "laposte", None, plan)
    (2, 5)
    """
    usable = ~candidates["site_id"].astype(str).isin(set(plan.constraints.closed))
    if "partner" in candidates.columns:
        sharing = plan.constraints.sharing
        owners = candidates["partner"].astype(str)
        if sharing is None:
            allowed = owners == partner_name
        else:
            allowed = owners.map(lambda owner: sharing.may_use(partner_name, owner)).astype(bool)
        usable &= allowed
    capacity = (
        pd.to_numeric(candidates["capacity"], errors="coerce").fillna(0).astype(np.int64)
        if "capacity" in candidates.columns
        else pd.Series(1, index=candidates.index, dtype=np.int64)
    )
    held = capacity if max_slots_per_site is None else np.minimum(capacity, max_slots_per_site)
    held = held[usable & (capacity > 0)]
    return int(len(held)), int(held.sum())


def _partners(plan: Plan, candidates: pd.DataFrame | None) -> list[Binding]:
    by_partner = plan.slots.groupby("partner")["slots"].sum()
    out = []
    for partner in plan.partners:
        used = float(by_partner.get(partner.name, 0))
        advisors = used / partner.slots_per_advisor
        out.append(
            Binding(
                N_("partner advisors"),
                partner.name,
                used,
                float(partner.slots),
                "slots",
                _tight(used, partner.slots),
                f"{partner.name}: "
                + N_(
                    "{num_used} of {num_slots} slots staffed "
                    "({num_advisors} of {num_all} advisors x {num_per})"
                ).format(
                    num_used=_figure(used),
                    num_slots=f"{partner.slots:,}",
                    num_advisors=_figure(advisors),
                    num_all=f"{partner.advisors:,}",
                    num_per=partner.slots_per_advisor,
                ),
            )
        )
        if candidates is not None:
            sites, room = partner_site_room(candidates, partner.name, partner.max_slots_per_site, plan)
            room_text = (
                N_(
                    "{num_used} slots staffed; the {num_sites} candidate sites it may staff hold {num_room} "
                    "of its slots (site capacity each)"
                )
                if partner.max_slots_per_site is None
                else N_(
                    "{num_used} slots staffed; the {num_sites} candidate sites it may staff hold {num_room} "
                    "of its slots (site capacity, at most {num_max} each)"
                )
            )
            out.append(
                Binding(
                    N_("partner site room"),
                    partner.name,
                    used,
                    float(room),
                    "slots",
                    _tight(used, room),
                    f"{partner.name}: "
                    + room_text.format(
                        num_used=_figure(used),
                        num_sites=f"{sites:,}",
                        num_room=f"{room:,}",
                        num_max=partner.max_slots_per_site,
                    ),
                )
            )
    return out


def _count(group: str, subject: str, flags: Iterable[bool], unit: str, what: str) -> Binding:
    flags = list(flags)
    tight, total = sum(flags), len(flags)
    return Binding(
        group,
        subject,
        float(tight),
        float(total),
        unit,
        total > 0 and tight == total,
        what.format(num_tight=f"{tight:,}", num_total=f"{total:,}"),
    )


def _sites(plan: Plan) -> list[Binding]:
    sites, slots = plan.sites, plan.slots
    staffed = sites[sites["slots"] > 0] if "slots" in sites.columns else sites.iloc[:0]
    capacity = staffed["capacity"] if "capacity" in staffed.columns else pd.Series(1, index=staffed.index)
    at_capacity = (staffed["slots"] >= capacity).tolist()
    rates = {p.name: p.people_per_slot_month for p in plan.partners}
    people = (
        (slots["slots"] * slots["partner"].map(rates) * float(plan.months or 0))
        .groupby(slots["site_id"])
        .sum()
    )
    served = staffed.set_index("site_id")["served"]
    full = [_tight(float(served[s]), float(people.get(s, 0.0))) for s in served.index]
    return [
        _count(
            N_("site capacity"),
            N_("all sites"),
            at_capacity,
            "sites",
            N_("{num_tight} of {num_total} staffed sites fill their slot capacity"),
        ),
        _count(
            N_("serving capacity"),
            N_("all sites"),
            full,
            "sites",
            N_(
                "{num_tight} of {num_total} staffed sites serve all their slots can in {num_months} months"
            ).replace("{num_months}", f"{plan.months:g}"),
        ),
    ]


def _reach(plan: Plan) -> list[Binding]:
    units = plan.units
    reached = units["reached"].to_numpy(dtype=bool)
    need = float(units["need"].to_numpy(dtype=np.float64)[reached].sum())
    served = float(units["served"].sum())
    return [
        Binding(
            N_("need within reach"),
            N_("all units"),
            served,
            need,
            "people",
            _tight(served, need),
            N_("{num_served} of the {num_need} need within reach of an open site served").format(
                num_served=_figure(served), num_need=_figure(need)
            ),
        )
    ]


def _model(plan: Plan) -> list[Binding]:
    c = plan.constraints
    opened = float(len(plan.sites))
    out = []
    limit = c.max_sites if c.max_sites is not None else c.exact_sites
    if limit is not None:
        out.append(
            Binding(
                N_("site count"),
                N_("open sites"),
                opened,
                float(limit),
                "sites",
                _tight(opened, limit),
                N_("{num_open} of at most {num_limit} sites open").format(
                    num_open=f"{opened:,.0f}", num_limit=f"{limit:,}"
                ),
            )
        )
    if c.budget is not None and "cost" in plan.sites.columns:
        cost = float(pd.to_numeric(plan.sites["cost"], errors="coerce").fillna(0.0).sum())
        out.append(
            Binding(
                N_("budget"),
                N_("open sites"),
                cost,
                float(c.budget),
                "cost",
                _tight(cost, c.budget),
                N_("site costs {num_cost} of a budget of {num_budget}").format(
                    num_cost=_figure(cost), num_budget=_figure(c.budget)
                ),
            )
        )
    if c.target is not None:
        served = plan.served_need
        out.append(
            Binding(
                N_("target"),
                N_("need served"),
                served,
                float(c.target),
                "people",
                served <= c.target + (1e-3 + 1e-6 * abs(c.target)),
                N_("{num_served} need served for a target of {num_target}").format(
                    num_served=_figure(served), num_target=_figure(c.target)
                ),
            )
        )
    return out


def _departments(plan: Plan) -> list[Binding]:
    c = plan.constraints
    if "dep" not in plan.sites.columns or not c.site_departments:
        return []
    counts = plan.sites["dep"].astype(str).value_counts()
    out = []
    for group, value, over in (
        (N_("department minimum sites"), c.rules.min_sites, False),
        (N_("department maximum sites"), c.rules.max_sites, True),
    ):
        if value is None:
            continue
        for dep, bound in quota(value, list(c.site_departments)).items():
            used = float(counts.get(dep, 0))
            tight = used >= bound if over else used <= bound
            out.append(
                Binding(
                    group,
                    N_("department {dep}").format(dep=dep),
                    used,
                    float(bound),
                    "sites",
                    tight,
                    N_("department {dep}").format(dep=dep)
                    + ": "
                    + (
                        N_("{num_used} open sites, at most {num_bound}")
                        if over
                        else N_("{num_used} open sites, at least {num_bound}")
                    ).format(num_used=f"{used:,.0f}", num_bound=f"{bound:g}"),
                )
            )
    return out
