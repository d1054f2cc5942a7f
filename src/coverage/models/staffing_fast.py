"""Staffing proven optimal without the MIP: a greedy plan that meets an upper bound.

National staffing has one served-need variable per unit-site pair (800,000
for the founding case's partners over every eligible site), and its MIP takes
minutes. Its structure makes most of that work needless: the need served is
bounded by what the partners' slots serve (:func:`~coverage.models.staffing_greedy.served_bound`)
and, tighter, by the LP relaxation of the model with the site-opening
variables and the side rules (budget, forced sites, department rules)
dropped (:func:`lp_bound`): a flow LP on sparse arrays given to HiGHS
(highspy through SciPy), not one PuLP object per variable. When the greedy
plan of :func:`~coverage.models.staffing_greedy.greedy_start` serves as much
as a bound (relative gap <= :data:`PROOF_GAP`), it is optimal: the plan says
so, with the bound, and names the method ``'greedy_bound'``.

Ties (the second objective of ``'max_served'``, the least need-weighted
distance) are then ordered for the chosen slots: a transportation LP
(:func:`nearest_flows`) sends each site's people to the nearest need it can
serve while keeping the need served. The slots themselves are the greedy's,
not proven the nearest possible: only the need served is proven optimal.

When no bound is met, :func:`coverage.models.staffing.staffing` solves the MIP
with the greedy plan as its warm start and floor, so a plan never serves less
than the greedy would.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from coverage.inputs.partners import Horizon, Partner
from coverage.inputs.rules import DepartmentRules, quota
from coverage.models.instance import Instance
from coverage.models.solver import SolveResult
from coverage.models.staffing_greedy import StaffingStart, served_bound
from coverage.plan.constraints import Constraints
from coverage.plan.plan import Plan

logger = logging.getLogger(__name__)

__all__ = ["PROOF_GAP", "lp_bound", "nearest_flows", "proven_plan"]

#: Relative gap at which a greedy plan counts as proven optimal (the issue's 1e-4 goal).
PROOF_GAP = 1e-4


def _within(served: float, bound: float) -> bool:
    return bound - served <= PROOF_GAP * max(1.0, abs(bound))


def lp_bound(
    inst: Instance,
    partners: Sequence[Partner],
    bounds: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.int64],
    months: float,
    rules: DepartmentRules | None = None,
) -> float | None:
    """The LP relaxation's need served (None if HiGHS fails).

    Columns: flow per pair, slots per allowed (partner, site), site opening
    ``y`` in [0, 1] (1 where forced). Rows: need per unit, people per site,
    slots per site (at most ``c_j y_j``), slots per partner, the budget over
    ``y``, and the departments' maximum sites and advisors. The MIP's other
    rows (minimums) are dropped: dropping rows only raises the optimum, so
    the value bounds every plan.
    """
    n_pairs, n_sites, n_rows = len(inst.cols), inst.n_model_sites, len(inst.row_units)
    if n_pairs == 0 or not bounds.any():
        return 0.0
    sp_p, sp_j = np.nonzero(bounds)
    n_t = len(sp_p)
    width = n_pairs + n_t + n_sites
    t_col = n_pairs + np.arange(n_t)
    y_col = n_pairs + n_t + np.arange(n_sites)
    per_slot = np.array([p.people_per_slot_month for p in partners]) * months
    per_advisor = np.array([1.0 / p.slots_per_advisor for p in partners])

    def rows(values: np.ndarray, row: np.ndarray, col: np.ndarray, count: int) -> sp.csr_matrix:
        return sp.csr_matrix((values, (row, col)), shape=(count, width))

    blocks = [
        rows(np.ones(n_pairs), inst.pair_rows, np.arange(n_pairs), n_rows),  # need_i
        rows(  # people_j: sum_i x_ij - sum_p v_p t_pj <= 0
            np.concatenate([np.ones(n_pairs), -per_slot[sp_p]]),
            np.concatenate([inst.cols, sp_j]),
            np.concatenate([np.arange(n_pairs), t_col]),
            n_sites,
        ),
        rows(  # capacity_j: sum_p t_pj - c_j y_j <= 0
            np.concatenate([np.ones(n_t), -capacity.astype(np.float64)]),
            np.concatenate([sp_j, np.arange(n_sites)]),
            np.concatenate([t_col, y_col]),
            n_sites,
        ),
        rows(np.ones(n_t), sp_p, t_col, len(partners)),  # slots_p
    ]
    rhs = [inst.row_need, np.zeros(2 * n_sites), np.array([p.slots for p in partners], dtype=float)]
    if inst.budget is not None:
        blocks.append(rows(inst.model_cost, np.zeros(n_sites, dtype=np.int64), y_col, 1))
        rhs.append(np.array([inst.budget]))
    rules = rules or DepartmentRules()
    dep = inst.model_site_dep
    for value, on_t in ((rules.max_sites, False), (rules.max_advisors, True)):
        for name, most in sorted(quota(value, sorted(set(dep.tolist()))).items()):
            if on_t:
                members = np.flatnonzero(dep[sp_j] == name)
                blocks.append(
                    rows(per_advisor[sp_p[members]], np.zeros(len(members), np.int64), t_col[members], 1)
                )
            else:
                members = np.flatnonzero(dep == name)
                blocks.append(
                    rows(np.ones(len(members)), np.zeros(len(members), np.int64), y_col[members], 1)
                )
            rhs.append(np.array([most]))
    cost = np.concatenate([-np.ones(n_pairs), np.zeros(n_t + n_sites)])
    lower = np.concatenate([np.zeros(n_pairs + n_t), inst.model_forced.astype(np.float64)])
    upper = np.concatenate(
        [np.full(n_pairs, np.inf), bounds[sp_p, sp_j].astype(np.float64), np.ones(n_sites)]
    )
    result = linprog(
        cost,
        A_ub=sp.vstack(blocks, format="csr"),
        b_ub=np.concatenate(rhs),
        bounds=np.column_stack([lower, upper]),
    )
    if result.status != 0:
        logger.warning("staffing LP bound: HiGHS ended with '%s'", result.message)
        return None
    return float(-result.fun)


def nearest_flows(
    inst: Instance, start: StaffingStart, per_slot: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The start's flows re-sent to the nearest need, its slots kept (transportation LP).

    Only pairs at the start's open sites take part; the LP serves the most need
    those slots can (at least the start's), then the least need-weighted
    distance. Returns the start's own flows when HiGHS fails or finds nothing
    nearer.
    """
    open_sites = start.open
    keep = np.flatnonzero(open_sites[inst.cols])
    if len(keep) == 0:
        return start.flow
    people = (start.slots * per_slot[:, None]).sum(axis=0)
    rows, row_index = np.unique(inst.pair_rows[keep], return_inverse=True)
    sites, site_index = np.unique(inst.cols[keep], return_inverse=True)
    k = len(keep)
    served = start.served
    a_ub = sp.vstack(
        [
            sp.csr_matrix((np.ones(k), (row_index, np.arange(k))), shape=(len(rows), k)),
            sp.csr_matrix((np.ones(k), (site_index, np.arange(k))), shape=(len(sites), k)),
        ],
        format="csr",
    )
    b_ub = np.concatenate([inst.row_need[rows], people[sites]])
    # Most flow first, then the least distance: each person served earns more than any
    # distance costs. Without a row holding the need served the LP stays a network LP
    # (1 s instead of 19 s on national-4000); the need served is checked below.
    dist = inst.dist[keep]
    reward = 10.0 * float(dist.max(initial=0.0)) + 1.0
    result = linprog(dist - reward, A_ub=a_ub, b_ub=b_ub, bounds=(0, None))
    if result.status != 0:
        logger.warning("staffing ties: HiGHS ended with '%s'; the greedy's flows are kept", result.message)
        return start.flow
    flow = np.zeros(len(inst.cols))
    flow[keep] = np.round(np.maximum(result.x, 0.0), 4)
    tolerance = 1e-6 * max(1.0, served)
    if flow.sum() < served - tolerance:
        return start.flow
    if flow.sum() <= served + tolerance and flow @ inst.dist > start.flow @ inst.dist:
        return start.flow
    return flow


def proven_plan(
    inst: Instance,
    partners: Sequence[Partner],
    bounds: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.int64],
    start: StaffingStart,
    months: float,
    *,
    rules: DepartmentRules | None = None,
    tie_break: bool,
    horizon: Horizon | None,
    constraints: Constraints,
    build_seconds: float,
    started: float,
) -> Plan | None:
    """The greedy plan, proven optimal by a bound; None when no bound proves it.

    ``started`` is the :func:`time.perf_counter` reading when the greedy began
    (its time counts as solving).
    """
    per_slot = np.array([p.people_per_slot_month for p in partners]) * months
    bound = served_bound(inst, partners, bounds, months)
    method = "greedy_bound"
    if not _within(start.served, bound) or tie_break:
        # The most need the greedy's slots serve, then the least distance.
        start = replace(start, flow=nearest_flows(inst, start, per_slot))
    served = start.served
    if not _within(served, bound):
        lp = lp_bound(inst, partners, bounds, capacity, months, rules)
        if lp is None or not _within(served, lp):
            logger.info("staffing: greedy serves %.1f, bounds %.1f and %s: no proof", served, bound, lp)
            return None
        bound, method = lp, "greedy_lp_bound"
    flow = start.flow
    site_of, partner_of = np.nonzero(start.slots.T)
    slots = pd.DataFrame(
        {
            "site_id": inst.sites["site_id"].to_numpy()[inst.model_sites[site_of]],
            "partner": [partners[p].name for p in partner_of],
            "slots": start.slots[partner_of, site_of],
        }
    )
    result = SolveResult("optimal", float(flow.sum()), max(bound, float(flow.sum())), 0.0, "greedy")
    solution = inst.solution(
        "staffing",
        result,
        start.open,
        build_seconds=build_seconds,
        solve_seconds=time.perf_counter() - started,
        sense="max",
        slots=slots,
        flow=flow,
        months=months,
        method=method,
    )
    return Plan.from_solution(
        solution,
        demand=inst.demand,
        sites=inst.sites,
        reach=inst.reach,
        partners=partners,
        horizon=horizon,
        constraints=constraints,
    )
