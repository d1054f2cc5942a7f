"""An independent check of a solved plan: every constraint of its model, re-read from its tables.

:func:`verify_plan` shares no code with the model builders of
:mod:`coverage.models`: it reads the plan's own tables (units, open sites,
slots, flows, KPIs), its partners and the :class:`~coverage.plan.constraints.Constraints`
the model recorded, and recomputes each limit with pandas. A plan that passes
is one whose figures a planner can sign: no partner over budget, no site over
its capacity or serving more than its slots serve, no breach of the sharing
matrix, no unit served above its need, department rules, forced and closed
sites held, and every KPI total equal to the sum of its table.

The staffing checks (partners, sites, units) are here; the model's limits, the
department rules and the KPI totals are in :mod:`coverage.plan.verify_model`.

Figures are compared with a tolerance of ``1e-3 + 1e-6 x |limit|`` (solver
tolerances and the rounding of flows to 1e-4 person).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.errors import PlanVerificationError
from coverage.plan.verify_model import department_violations, kpi_violations, model_violations
from coverage.plan.verify_rollout import verify_trajectory
from coverage.plan.violation import Violation, above, at_site, below, figure, kept, slack

if TYPE_CHECKING:
    from coverage.plan.plan import Plan

__all__ = ["Violation", "check_plan", "verify_plan"]


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
    found += model_violations(plan)
    found += department_violations(plan)
    found += kpi_violations(plan)
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


def _rates(plan: Plan) -> dict[str, float]:
    return {p.name: float(p.people_per_slot_month) for p in plan.partners}


def _partners(plan: Plan) -> list[Violation]:
    slots = plan.slots
    known = {p.name: p for p in plan.partners}
    out: list[Violation | None] = []
    for name in sorted(set(slots["partner"]) - set(known)):
        out.append(
            Violation(
                N_("partners"), name, 1, 0, f"{name}: " + N_("staffs sites but is not a partner of the plan")
            )
        )
    by_partner = slots.groupby("partner")["slots"].sum()
    per_site = slots.groupby(["partner", "site_id"])["slots"].sum()
    for name, partner in known.items():
        used = float(by_partner.get(name, 0))
        out.append(
            above(
                N_("partner budget"),
                name,
                used,
                partner.slots,
                N_("slots staffed {num_value}, above the limit {num_limit}"),
            )
        )
        out.append(
            below(
                N_("partner minimum advisors"),
                name,
                used,
                partner.min_advisors * partner.slots_per_advisor,
                N_("slots staffed {num_value}, below the minimum {num_limit}"),
            )
        )
        staffed = int((per_site.loc[name] > 0).sum()) if name in per_site.index.get_level_values(0) else 0
        out.append(
            below(
                N_("partner minimum sites"),
                name,
                staffed,
                partner.min_sites,
                N_("sites staffed {num_value}, below the minimum {num_limit}"),
            )
        )
        if partner.max_slots_per_site is not None and name in per_site.index.get_level_values(0):
            worst = per_site.loc[name]
            for site_id in worst[worst > partner.max_slots_per_site].index:
                out.append(
                    above(
                        N_("slots per site"),
                        at_site(name, site_id),
                        float(worst[site_id]),
                        partner.max_slots_per_site,
                        N_("slots {num_value}, above the limit {num_limit}"),
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
                        N_("sharing"),
                        at_site(row.partner, row.site_id),
                        row.slots,
                        0,
                        N_(
                            "{partner} staffs {num_slots} slots at {site_id}, premises of {owner}, "
                            "which the sharing matrix does not allow"
                        ).format(partner=row.partner, num_slots=row.slots, site_id=row.site_id, owner=owner),
                    )
                )
    return kept(out)


def _sites(plan: Plan) -> list[Violation]:
    sites, slots = plan.sites, plan.slots
    out: list[Violation | None] = []
    open_ids = set(sites["site_id"])
    for site_id in sorted(set(slots["site_id"]) - open_ids):
        out.append(
            Violation(N_("open sites"), site_id, 1, 0, f"{site_id}: " + N_("has slots but is not open"))
        )
    total = slots.groupby("site_id")["slots"].sum()
    if len(slots):
        capacity = (
            sites.set_index("site_id")["capacity"]
            if "capacity" in sites.columns
            else pd.Series(1, index=sites["site_id"])
        )
        for site_id, used in total.items():
            if site_id in capacity.index:
                out.append(
                    above(
                        N_("site capacity"),
                        site_id,
                        float(used),
                        float(capacity[site_id]),
                        N_("slots {num_value}, above the limit {num_limit}"),
                    )
                )
    flows = plan.flows
    served_at = sites.set_index("site_id")["served"]
    if plan.months is not None:
        rates = _rates(plan)
        people = (slots["slots"] * slots["partner"].map(rates) * plan.months).groupby(slots["site_id"]).sum()
        for site_id, served in served_at.items():
            out.append(
                above(
                    N_("site serving capacity"),
                    site_id,
                    float(served),
                    float(people.get(site_id, 0.0)),
                    N_(
                        "need served (slots serve {num_months} months) {num_value}, "
                        "above the limit {num_limit}"
                    ),
                    num_months=f"{plan.months:g}",
                )
            )
        flow_at = flows.groupby("site_id")["served"].sum()
        for site_id in sorted(set(flow_at.index) - open_ids):
            out.append(
                Violation(
                    N_("flows"),
                    site_id,
                    float(flow_at[site_id]),
                    0,
                    f"{site_id}: " + N_("flows go to a closed site"),
                )
            )
        for site_id, served in served_at.items():
            flow = float(flow_at.get(site_id, 0.0))
            if abs(flow - served) > slack(served):
                out.append(
                    Violation(
                        N_("site table"),
                        site_id,
                        float(served),
                        flow,
                        f"{site_id}: "
                        + N_("need served {num_served} but its flows sum to {num_flow}").format(
                            num_served=figure(served), num_flow=figure(flow)
                        ),
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
                out.append(
                    above(
                        N_("partner serving capacity"),
                        partner.name,
                        value,
                        limit,
                        N_("need served {num_value}, above the limit {num_limit}"),
                    )
                )
    return kept(out)


def _units(plan: Plan) -> list[Violation]:
    units = plan.units
    need = units["need"].to_numpy(dtype=np.float64)
    served = units["served"].to_numpy(dtype=np.float64)
    ids = units["unit_id"].astype(str).to_numpy()
    out: list[Violation | None] = []
    for k in np.flatnonzero(served > need + 1e-3 + 1e-6 * need):
        out.append(
            Violation(
                N_("unit need"),
                ids[k],
                served[k],
                need[k],
                f"{ids[k]}: "
                + N_("served {num_served} above its need {num_need}").format(
                    num_served=figure(served[k]), num_need=figure(need[k])
                ),
            )
        )
    for k in np.flatnonzero(served < -1e-9):
        out.append(
            Violation(
                N_("unit need"),
                ids[k],
                served[k],
                0,
                f"{ids[k]}: " + N_("served {num_served} is negative").format(num_served=figure(served[k])),
            )
        )
    reached = units["reached"].to_numpy(dtype=bool)
    for k in np.flatnonzero(~reached & (served > 1e-3)):
        out.append(
            Violation(
                N_("reach"),
                ids[k],
                served[k],
                0,
                f"{ids[k]}: "
                + N_("served {num_served} but no open site within reach").format(
                    num_served=figure(served[k])
                ),
            )
        )
    if plan.months is not None:
        flows = plan.flows
        by_unit = flows.groupby("unit_id")["served"].sum().reindex(ids).fillna(0.0).to_numpy()
        for k in np.flatnonzero(np.abs(by_unit - served) > 1e-3 + 1e-6 * np.abs(served)):
            out.append(
                Violation(
                    N_("unit table"),
                    ids[k],
                    served[k],
                    by_unit[k],
                    f"{ids[k]}: "
                    + N_("served {num_served} but its flows sum to {num_flow}").format(
                        num_served=figure(served[k]), num_flow=figure(by_unit[k])
                    ),
                )
            )
    return kept(out)
