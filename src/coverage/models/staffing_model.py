"""The staffing model written for PuLP: variables, rows and the warm start.

:func:`staffing_builder` returns the :class:`~coverage.models.solving.Builder`
that :func:`coverage.models.staffing.staffing` hands to
:func:`~coverage.models.solving.solve_model`; the model itself is written
out in :mod:`coverage.models.location`'s docstring.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pulp

from coverage.inputs.partners import Partner
from coverage.inputs.rules import DepartmentRules
from coverage.models.formulation import binaries, column_expressions, continuous, expression, row_expressions
from coverage.models.instance import Instance
from coverage.models.rules import add_department_rules
from coverage.models.solver import values
from coverage.models.solving import Builder, Readout, by_department, common_rows
from coverage.models.staffing_greedy import StaffingStart

__all__ = ["staffing_builder"]


def _slot_bound(partner: Partner, capacity: int) -> int:
    """Most slots ``partner`` may put at one site of ``capacity`` slots."""
    bound = min(capacity, partner.slots)
    return bound if partner.max_slots_per_site is None else min(bound, partner.max_slots_per_site)


def _minimum_sites(
    problem: pulp.LpProblem,
    partners: Sequence[Partner],
    t: Sequence[pulp.LpVariable],
    slot_partner: npt.NDArray[np.int64],
) -> None:
    """``sum_j u_pj >= min_sites_p`` with binaries ``u_pj <= t_pj``: a site counts once it has a slot of p."""
    for p, partner in enumerate(partners):
        if not partner.min_sites:
            continue
        members = np.flatnonzero(slot_partner == p).tolist()
        staffs = [problem.add_variable(f"u_{p}_{k}", cat=pulp.LpBinary) for k in members]
        for u, k in zip(staffs, members, strict=True):
            problem.addConstraint(pulp.LpConstraint(u - t[k], pulp.LpConstraintLE, f"staffs_{p}_{k}", 0))
        problem.addConstraint(
            pulp.LpConstraint(pulp.lpSum(staffs), pulp.LpConstraintGE, f"sites_{p}", partner.min_sites)
        )


def staffing_builder(
    inst: Instance,
    partners: Sequence[Partner],
    allowed: npt.NDArray[np.bool_],
    capacity: npt.NDArray[np.int64],
    months: float,
    objective: str,
    target: float | None,
    rules: DepartmentRules,
    tie_break: bool = True,
    start: StaffingStart | None = None,
) -> Builder:
    """The PuLP model of staffing for :func:`~coverage.models.solving.solve_model`.

    ``allowed[p, j]``: partner ``p`` may staff site ``j`` (an empty second axis:
    everywhere); ``capacity``: slots per site; ``months``: months of work.
    With ``objective='max_served'`` and ``tie_break``, a second solve holds the
    need served and minimises the need-weighted distance. ``start`` is the
    greedy plan handed to the solver as its warm start.
    """
    n_sites = inst.n_model_sites
    full = np.ones((len(partners), n_sites), dtype=bool) if allowed.shape[1] == 0 else allowed
    slot_partner, slot_site = np.nonzero(full & (capacity > 0)[None, :])
    two_phase = objective == "max_served" and tie_break
    state: dict[str, object] = {"two_phase": two_phase, "floor": None, "report": "first"}
    per_slot = np.array([p.people_per_slot_month for p in partners]) * months
    per_advisor = np.array([1.0 / p.slots_per_advisor for p in partners])
    pair_rows = inst.pair_rows

    def build(skip: frozenset[str]) -> tuple[pulp.LpProblem, dict[str, str], object]:
        second = state["floor"] is not None
        sense = pulp.LpMinimize if objective == "min_advisors" or second else pulp.LpMaximize
        problem = pulp.LpProblem("staffing", sense)
        groups: dict[str, str] = {}
        y = binaries(problem, "y", n_sites)
        t = [
            problem.add_variable(
                f"t_{p}_{j}",
                lowBound=0,
                upBound=_slot_bound(partners[p], int(capacity[j])),
                cat=pulp.LpInteger,
            )
            for p, j in zip(slot_partner.tolist(), slot_site.tolist(), strict=True)
        ]
        x = continuous(problem, "x", len(inst.cols))
        slots_at = column_expressions(t, np.arange(len(t)), slot_site, n_sites)
        served_at = column_expressions(x, np.arange(len(x)), inst.cols, n_sites)
        people_at = column_expressions(t, np.arange(len(t)), slot_site, n_sites, per_slot[slot_partner])
        advisors_at = column_expressions(t, np.arange(len(t)), slot_site, n_sites, per_advisor[slot_partner])
        for j in range(n_sites):
            problem.addConstraint(
                pulp.LpConstraint(slots_at[j] - int(capacity[j]) * y[j], pulp.LpConstraintLE, f"cap_{j}", 0)
            )
            problem.addConstraint(
                pulp.LpConstraint(slots_at[j] - y[j], pulp.LpConstraintGE, f"staffed_{j}", 0)
            )
            problem.addConstraint(
                pulp.LpConstraint(served_at[j] - people_at[j], pulp.LpConstraintLE, f"serve_{j}", 0)
            )
        row_need = inst.row_need.tolist()  # a property computing the whole array: once, not per row
        for k, row in enumerate(row_expressions(x, inst.indptr, np.arange(len(inst.cols)))):
            problem.addConstraint(pulp.LpConstraint(row, pulp.LpConstraintLE, f"need_{k}", row_need[k]))
        by_partner = column_expressions(t, np.arange(len(t)), slot_partner, len(partners))
        if "partner advisors" not in skip:
            for p, partner in enumerate(partners):
                problem.addConstraint(
                    pulp.LpConstraint(by_partner[p], pulp.LpConstraintLE, f"budget_{p}", partner.slots)
                )
            groups["partner advisors"] = "partner advisors: " + ", ".join(
                f"{p.name} {p.advisors} advisors x {p.slots_per_advisor} slots" for p in partners
            )
        if "partner minimum advisors" not in skip and any(p.min_advisors for p in partners):
            for p, partner in enumerate(partners):
                if partner.min_advisors:
                    floor = partner.min_advisors * partner.slots_per_advisor
                    problem.addConstraint(
                        pulp.LpConstraint(by_partner[p], pulp.LpConstraintGE, f"floor_{p}", floor)
                    )
            groups["partner minimum advisors"] = "partner minimum advisors: " + ", ".join(
                f"{p.name} at least {p.min_advisors}" for p in partners if p.min_advisors
            )
        if "partner minimum sites" not in skip and any(p.min_sites for p in partners):
            _minimum_sites(problem, partners, t, slot_partner)
            groups["partner minimum sites"] = "partner minimum sites: " + ", ".join(
                f"{p.name} at least {p.min_sites}" for p in partners if p.min_sites
            )
        served = pulp.lpSum(x)
        if objective == "min_advisors":
            whole = [
                problem.add_variable(f"a_{p}", lowBound=0, upBound=partner.advisors, cat=pulp.LpInteger)
                for p, partner in enumerate(partners)
            ]
            for p, partner in enumerate(partners):
                problem.addConstraint(
                    pulp.LpConstraint(
                        partner.slots_per_advisor * whole[p] - by_partner[p],
                        pulp.LpConstraintGE,
                        f"whole_{p}",
                        0,
                    )
                )
            problem.setObjective(pulp.lpSum(whole))
            if "target" not in skip:
                problem += served >= float(target or 0.0), "target"
                groups["target"] = f"target: {target:,.0f} need served"
        elif second:
            floor = float(state["floor"])  # type: ignore[arg-type]
            problem += served >= floor - max(1e-6, 1e-9 * abs(floor)), "served_held"
            problem.setObjective(expression(x, inst.dist.tolist()))
        else:
            problem.setObjective(served)
        common_rows(problem, inst, y, skip, groups)
        served_by_dep = by_department(x, np.ones(len(x)), inst.unit_dep_of_rows(pair_rows))
        groups.update(
            add_department_rules(
                problem,
                rules,
                open_vars=y,
                site_dep=inst.model_site_dep,
                advisors=advisors_at,
                served_by_dep=served_by_dep,
                need_by_dep=inst.need_by_dep,
                skip=skip,
            )
        )

        if start is not None and (not second or start.served >= float(state["floor"]) - 1e-6):  # type: ignore[arg-type]
            state["warm"] = _warm(start, y, t, x, slot_partner, slot_site)

        def read() -> Readout:
            slot_values = np.rint(values(t)).astype(np.int64)
            # Solver noise (49.999999 for 50 people, -1e-12) is rounded away: need is in people.
            flow = np.maximum(np.round(values(x), 4), 0.0)
            used = slot_values > 0
            slots = pd.DataFrame(
                {
                    "site_id": inst.sites["site_id"].to_numpy()[inst.model_sites[slot_site[used]]],
                    "partner": [partners[p].name for p in slot_partner[used]],
                    "slots": slot_values[used],
                }
            )
            return Readout(values(y), slots=slots, flow=flow, months=months)

        return problem, groups, read

    build.state = state  # type: ignore[attr-defined]
    return build  # type: ignore[return-value]


def _warm(
    start: StaffingStart,
    y: Sequence[pulp.LpVariable],
    t: Sequence[pulp.LpVariable],
    x: Sequence[pulp.LpVariable],
    slot_partner: npt.NDArray[np.int64],
    slot_site: npt.NDArray[np.int64],
) -> list[tuple[pulp.LpVariable, float]]:
    """The greedy plan as ``(variable, value)`` pairs for the solver's warm start."""
    opened = start.open.astype(float).tolist()
    slots = start.slots[slot_partner, slot_site].astype(float).tolist()
    return [
        *zip(y, opened, strict=True),
        *zip(t, slots, strict=True),
        *zip(x, start.flow.tolist(), strict=True),
    ]
