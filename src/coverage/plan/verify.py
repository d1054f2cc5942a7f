"""An independent check of a solved plan: every constraint of its model, re-read from its tables.

:func:`verify_plan` shares no code with the model builders of
:mod:`coverage.models`: it reads the plan's own tables (units, open sites,
slots, flows, KPIs), its partners and the :class:`~coverage.plan.constraints.Constraints`
the model recorded, and recomputes each limit with pandas. A plan that passes
is one whose figures a planner can sign: no partner over budget, no site over
its capacity or serving more than its slots serve, no breach of the sharing
matrix, no unit served above its need, department rules, forced and closed
sites held, and every KPI total equal to the sum of its table.

Figures are compared with a tolerance of ``1e-3 + 1e-6 x |limit|`` (solver
tolerances and the rounding of flows to 1e-4 person).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coverage.errors import PlanVerificationError
from coverage.inputs.rules import quota
from coverage.plan.verify_rollout import verify_trajectory
from coverage.plan.violation import Violation

if TYPE_CHECKING:
    from coverage.plan.plan import Plan

__all__ = ["Violation", "check_plan", "verify_plan"]


def _slack(limit: float) -> float:
    return 1e-3 + 1e-6 * abs(limit)


def verify_plan(plan: Plan) -> list[Violation]:
    """Every constraint of the plan's model that its tables break (empty: the plan holds).

    Checks, from the plan's tables only: slots and advisors per partner
    (budget, minimums, slots per site), site capacities, the sharing matrix,
    served need per unit (at most its need, only when reached, equal to its
    flows), served need per site and per partner (at most what their slots
    serve over the months of work), the site count, budget, forced and closed
    sites, department rules, the target, and that every KPI table sums to the
    plan's totals; with a rollout, its trajectory too
    (:func:`coverage.plan.verify_rollout.verify_trajectory`).

    Examples
    --------
    A staffed plan holds; the same tables with one unit served above its need do not.

    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> from coverage.inputs.partners import Partner
    >>> from coverage.plan.verify import verify_plan
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [100.0, 50.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    >>> metres = [[500, 9000], [9000, 800]]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> advisors = [Partner("laposte", advisors=1, people_per_slot_month=5.0)]
    >>> plan = staffing(demand, sites, reach, advisors, months=12)
    >>> verify_plan(plan)
    []
    """
    found: list[Violation] = []
    found += _partners(plan)
    found += _sites(plan)
    found += _units(plan)
    found += _model(plan)
    found += _departments(plan)
    found += _kpis(plan)
    if plan.trajectory is not None:
        found += verify_trajectory(plan.trajectory, plan.slots)
    return found


def check_plan(plan: Plan) -> Plan:
    """The plan itself when :func:`verify_plan` finds nothing; else raise.

    Raises
    ------
    PlanVerificationError
        The plan breaks constraints of its model; the violations are listed.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach, maximal_coverage
    >>> from coverage.plan.verify import check_plan
    >>> demand = pd.DataFrame({"unit_id": ["u1"], "need": [10.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1"]})
    >>> reach = Reach.from_dense(["u1"], ["s1"], [[10]], max_distance=100)
    >>> plan = maximal_coverage(demand, sites, reach, max_sites=1)
    >>> check_plan(plan) is plan
    True
    """
    violations = verify_plan(plan)
    if violations:
        raise PlanVerificationError(violations)
    return plan


def _over(check: str, subject: str, value: float, limit: float, what: str) -> Violation | None:
    if value > limit + _slack(limit):
        return Violation(
            check, subject, value, limit, f"{subject}: {what} {value:,.4g}, above the limit {limit:,.4g}"
        )
    return None


def _under(check: str, subject: str, value: float, limit: float, what: str) -> Violation | None:
    if value < limit - _slack(limit):
        return Violation(
            check, subject, value, limit, f"{subject}: {what} {value:,.4g}, below the minimum {limit:,.4g}"
        )
    return None


def _kept(items: Iterable[Violation | None]) -> list[Violation]:
    return [v for v in items if v is not None]


def _rates(plan: Plan) -> dict[str, float]:
    return {p.name: float(p.people_per_slot_month) for p in plan.partners}


def _partners(plan: Plan) -> list[Violation]:
    slots = plan.slots
    known = {p.name: p for p in plan.partners}
    out: list[Violation | None] = []
    for name in sorted(set(slots["partner"]) - set(known)):
        out.append(
            Violation("partners", name, 1, 0, f"{name}: staffs sites but is not a partner of the plan")
        )
    by_partner = slots.groupby("partner")["slots"].sum()
    per_site = slots.groupby(["partner", "site_id"])["slots"].sum()
    for name, partner in known.items():
        used = float(by_partner.get(name, 0))
        out.append(_over("partner budget", name, used, partner.slots, "slots staffed"))
        out.append(
            _under(
                "partner minimum advisors",
                name,
                used,
                partner.min_advisors * partner.slots_per_advisor,
                "slots staffed",
            )
        )
        staffed = int((per_site.loc[name] > 0).sum()) if name in per_site.index.get_level_values(0) else 0
        out.append(_under("partner minimum sites", name, staffed, partner.min_sites, "sites staffed"))
        if partner.max_slots_per_site is not None and name in per_site.index.get_level_values(0):
            worst = per_site.loc[name]
            for site_id in worst[worst > partner.max_slots_per_site].index:
                out.append(
                    _over(
                        "slots per site",
                        f"{name} at {site_id}",
                        float(worst[site_id]),
                        partner.max_slots_per_site,
                        "slots",
                    )
                )
    sharing = plan.constraints.sharing
    owners = plan.sites.set_index("site_id")["partner"] if "partner" in plan.sites.columns else None
    if sharing is not None and owners is not None:
        for row in slots.itertuples(index=False):
            owner = owners.get(row.site_id)
            if owner is not None and not pd.isna(owner) and not sharing.may_use(row.partner, str(owner)):
                out.append(
                    Violation(
                        "sharing",
                        f"{row.partner} at {row.site_id}",
                        row.slots,
                        0,
                        f"{row.partner} staffs {row.slots} slots at {row.site_id}, premises of {owner}, "
                        "which the sharing matrix does not allow",
                    )
                )
    return _kept(out)


def _sites(plan: Plan) -> list[Violation]:
    sites, slots = plan.sites, plan.slots
    out: list[Violation | None] = []
    open_ids = set(sites["site_id"])
    for site_id in sorted(set(slots["site_id"]) - open_ids):
        out.append(Violation("open sites", site_id, 1, 0, f"{site_id}: has slots but is not open"))
    total = slots.groupby("site_id")["slots"].sum()
    if len(slots):
        capacity = (
            sites.set_index("site_id")["capacity"]
            if "capacity" in sites.columns
            else pd.Series(1, index=sites["site_id"])
        )
        for site_id, used in total.items():
            if site_id in capacity.index:
                out.append(_over("site capacity", site_id, float(used), float(capacity[site_id]), "slots"))
    flows = plan.flows
    served_at = sites.set_index("site_id")["served"]
    if plan.months is not None:
        rates = _rates(plan)
        people = (slots["slots"] * slots["partner"].map(rates) * plan.months).groupby(slots["site_id"]).sum()
        for site_id, served in served_at.items():
            out.append(
                _over(
                    "site serving capacity",
                    site_id,
                    float(served),
                    float(people.get(site_id, 0.0)),
                    f"need served (slots serve {plan.months:g} months)",
                )
            )
        flow_at = flows.groupby("site_id")["served"].sum()
        for site_id in sorted(set(flow_at.index) - open_ids):
            out.append(
                Violation(
                    "flows", site_id, float(flow_at[site_id]), 0, f"{site_id}: flows go to a closed site"
                )
            )
        for site_id, served in served_at.items():
            flow = float(flow_at.get(site_id, 0.0))
            if abs(flow - served) > _slack(served):
                out.append(
                    Violation(
                        "site table",
                        site_id,
                        float(served),
                        flow,
                        f"{site_id}: need served {served:,.4g} but its flows sum to {flow:,.4g}",
                    )
                )
        # Per partner: what its share of each site's served need adds up to, against its slots.
        for partner in plan.partners:
            column = f"served_{partner.name}"
            if column in sites.columns:
                value = float(sites[column].sum())
                limit = (
                    float(slots.loc[slots["partner"] == partner.name, "slots"].sum())
                    * partner.people_per_slot_month
                    * plan.months
                )
                out.append(_over("partner serving capacity", partner.name, value, limit, "need served"))
    return _kept(out)


def _units(plan: Plan) -> list[Violation]:
    units = plan.units
    need = units["need"].to_numpy(dtype=np.float64)
    served = units["served"].to_numpy(dtype=np.float64)
    ids = units["unit_id"].astype(str).to_numpy()
    out: list[Violation | None] = []
    for k in np.flatnonzero(served > need + 1e-3 + 1e-6 * need):
        out.append(
            Violation(
                "unit need",
                ids[k],
                served[k],
                need[k],
                f"{ids[k]}: served {served[k]:,.4g} above its need {need[k]:,.4g}",
            )
        )
    for k in np.flatnonzero(served < -1e-9):
        out.append(
            Violation("unit need", ids[k], served[k], 0, f"{ids[k]}: served {served[k]:,.4g} is negative")
        )
    reached = units["reached"].to_numpy(dtype=bool)
    for k in np.flatnonzero(~reached & (served > 1e-3)):
        out.append(
            Violation(
                "reach",
                ids[k],
                served[k],
                0,
                f"{ids[k]}: served {served[k]:,.4g} but no open site within reach",
            )
        )
    if plan.months is not None:
        flows = plan.flows
        by_unit = flows.groupby("unit_id")["served"].sum().reindex(ids).fillna(0.0).to_numpy()
        for k in np.flatnonzero(np.abs(by_unit - served) > 1e-3 + 1e-6 * np.abs(served)):
            out.append(
                Violation(
                    "unit table",
                    ids[k],
                    served[k],
                    by_unit[k],
                    f"{ids[k]}: served {served[k]:,.4g} but its flows sum to {by_unit[k]:,.4g}",
                )
            )
    return _kept(out)


def _model(plan: Plan) -> list[Violation]:
    c = plan.constraints
    sites = plan.sites
    opened = len(sites)
    out: list[Violation | None] = []
    if c.max_sites is not None:
        out.append(_over("site count", "open sites", opened, c.max_sites, "open sites"))
    if c.exact_sites is not None and opened != c.exact_sites:
        out.append(
            Violation(
                "site count",
                "open sites",
                opened,
                c.exact_sites,
                f"open sites: {opened}, not exactly {c.exact_sites}",
            )
        )
    if c.budget is not None:
        cost = float(sites["cost"].sum()) if "cost" in sites.columns else float(opened)
        out.append(_over("budget", "open sites", cost, c.budget, "total cost"))
    open_ids = set(sites["site_id"].astype(str))
    for site_id in c.forced:
        if site_id not in open_ids:
            out.append(Violation("forced sites", site_id, 0, 1, f"{site_id}: forced open but closed"))
    for site_id in c.closed:
        if site_id in open_ids:
            out.append(
                Violation("closed sites", site_id, 1, 0, f"{site_id}: closed by the scenario but open")
            )
    if c.target is not None:
        out.append(_under("target", "need served", plan.served_need, c.target, "need served"))
    if c.capacity is not None:
        out += _capacities(plan, c.capacity, c.fill_forced)
    if c.every_unit:
        units = plan.units
        missed = units[(units["need"] > 0) & ~units["reached"].astype(bool)]
        for unit_id in missed["unit_id"].astype(str).head(20):
            out.append(
                Violation(
                    "every unit reached", unit_id, 0, 1, f"{unit_id}: has need but no open site within reach"
                )
            )
    return _kept(out)


def _capacities(plan: Plan, column: str, fill_forced: bool) -> list[Violation | None]:
    """Capacitated plans: each unit with need wholly at one open site, each site within capacity."""
    out: list[Violation | None] = []
    units, sites = plan.units, plan.sites
    open_ids = set(sites["site_id"].astype(str))
    assigned = units["assigned_site"] if "assigned_site" in units.columns else pd.Series(None, units.index)
    for _, unit in units[units["need"] > 0].iterrows():
        site = assigned[unit.name]
        if site is None or (isinstance(site, float) and np.isnan(site)) or str(site) not in open_ids:
            out.append(
                Violation(
                    "assignment",
                    str(unit["unit_id"]),
                    0,
                    1,
                    f"{unit['unit_id']}: not assigned to an open site",
                )
            )
        elif abs(float(unit["served"]) - float(unit["need"])) > _slack(float(unit["need"])):
            out.append(
                Violation(
                    "assignment",
                    str(unit["unit_id"]),
                    float(unit["served"]),
                    float(unit["need"]),
                    f"{unit['unit_id']}: served {unit['served']:,.4g} at {site}, "
                    f"not its whole need {unit['need']:,.4g}",
                )
            )
    need = units["need"].to_numpy(dtype=np.float64)
    load = pd.Series(need, index=assigned.astype(str)).groupby(level=0).sum()
    forced = set(plan.constraints.forced)
    for _, site in sites.iterrows():
        site_id, limit = str(site["site_id"]), float(site[column])
        used = float(load.get(site_id, 0.0))
        out.append(_over("site capacity", site_id, used, limit, "need assigned"))
        if fill_forced and site_id in forced:
            out.append(_under("forced site filled", site_id, used, limit, "need assigned"))
    return out


def _departments(plan: Plan) -> list[Violation]:
    rules = plan.constraints.rules
    if rules.is_empty:
        return []
    sites, units = plan.sites, plan.units
    site_dep = sites["dep"].astype(str) if "dep" in sites.columns else pd.Series("", index=sites.index)
    open_by_dep = site_dep.value_counts()
    advisors_by_dep = sites["advisors"].groupby(site_dep).sum() if len(sites) else pd.Series(dtype=float)
    deps = sorted(set(plan.constraints.site_departments) | set(open_by_dep.index))
    out: list[Violation | None] = []
    for name, value, series, what in (
        ("department minimum sites", rules.min_sites, open_by_dep, "open sites"),
        ("department maximum sites", rules.max_sites, open_by_dep, "open sites"),
        ("department minimum advisors", rules.min_advisors, advisors_by_dep, "advisors"),
        ("department maximum advisors", rules.max_advisors, advisors_by_dep, "advisors"),
    ):
        for dep, bound in quota(value, deps).items():
            figure = float(series.get(dep, 0))
            check = _under if "minimum" in name else _over
            out.append(check(name, f"department {dep}", figure, bound, what))
    if rules.serve_exactly is not None:
        served = len(open_by_dep)
        if served != rules.serve_exactly:
            out.append(
                Violation(
                    "departments served",
                    "departments",
                    served,
                    rules.serve_exactly,
                    f"{served} departments have an open site, not exactly {rules.serve_exactly}",
                )
            )
    if rules.min_share is not None and "dep" in units.columns:
        per_dep = units.groupby(units["dep"].astype(str))[["need", "served"]].sum()
        for dep, share in quota(rules.min_share, list(per_dep.index)).items():
            if dep in per_dep.index and per_dep.loc[dep, "need"] > 0:
                need = float(per_dep.loc[dep, "need"])
                out.append(
                    _under(
                        "department minimum share",
                        f"department {dep}",
                        float(per_dep.loc[dep, "served"]),
                        share * need,
                        "need served",
                    )
                )
    return _kept(out)


def _kpis(plan: Plan) -> list[Violation]:
    out: list[Violation | None] = []
    total, served = plan.total_need, plan.served_need

    def same(table: str, column: str, value: float, expected: float) -> None:
        if not (math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-6)):
            out.append(
                Violation(
                    "KPI totals",
                    f"{table}.{column}",
                    value,
                    expected,
                    f"{table}: {column} sums to {value:,.6g}, the plan's total is {expected:,.6g}",
                )
            )

    zone = plan.kpis("zone")
    same("kpis_zone", "need", float(zone["need"].sum()), total)
    same("kpis_zone", "need_served", float(zone["need_served"].sum()), served)
    same("kpis_zone", "need_reached", float(zone["need_reached"].sum()), plan.reached_need)
    if "dep" in plan.units.columns:
        dep = plan.kpis("department")
        same("kpis_department", "need", float(dep["need"].sum()), total)
        same("kpis_department", "need_served", float(dep["need_served"].sum()), served)
        if "open_sites" in dep.columns:
            same("kpis_department", "open_sites", float(dep["open_sites"].sum()), len(plan.sites))
    partner = plan.kpis("partner")
    sites = plan.sites
    no_owner = sites["partner"].isna() if "partner" in sites.columns else pd.Series(True, index=sites.index)
    unattributed = float(sites.loc[(sites["slots"] == 0) & no_owner, "served"].sum())
    same("kpis_partner", "need_served", float(partner["need_served"].sum()) + unattributed, served)
    same("kpis_partner", "slots", float(partner["slots"].sum()), float(plan.slots["slots"].sum()))
    same("sites", "served", float(sites["served"].sum()), served)
    return _kept(out)
