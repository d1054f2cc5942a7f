"""Capacitated staffing with partner sharing: who staffs which site, and whom they serve.

The model is written out in :mod:`coverage.models.location`'s docstring. In short:
integer advisor slots ``t[p, j]`` for each partner ``p`` allowed in the
premises of site ``j``'s owner; a site opens when it has a slot and holds at
most its capacity; each partner holds at most ``advisors x
slots_per_advisor`` slots; need served ``x[i, j]`` flows from units to open
sites in reach, at most the unit's need and at most what the site's slots
serve over the months of work.

Objectives:

- ``'max_served'``: the most need served, then (second solve, served held)
  the least need-weighted distance;
- ``'min_advisors'``: the fewest advisors (whole advisors per partner) that
  serve ``target`` need.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.inputs.partners import Horizon, Partner, Sharing
from coverage.inputs.rollout import Rollout
from coverage.inputs.rules import DepartmentRules
from coverage.models.instance import Instance, prepare
from coverage.models.solver import SolverOptions
from coverage.models.solving import solve_model
from coverage.models.staffing_checks import check_partners, check_staffing
from coverage.models.staffing_fast import proven_plan
from coverage.models.staffing_greedy import greedy_start, slot_bounds
from coverage.models.staffing_model import staffing_builder
from coverage.plan.plan import Plan
from coverage.reach.pairs import Reach

__all__ = ["FAST_STAFFING_PAIRS", "HIGHS_STAFFING_PAIRS", "staffing"]


def staffing(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    reach: Reach,
    partners: Sequence[Partner],
    *,
    sharing: Sharing | None = None,
    horizon: Horizon | None = None,
    months: float | None = None,
    objective: Literal["max_served", "min_advisors"] = "max_served",
    target: float | None = None,
    rules: DepartmentRules | None = None,
    forced: Iterable[str] = (),
    closed: Iterable[str] = (),
    budget: float | None = None,
    tie_break: bool = True,
    options: SolverOptions | None = None,
    rollout: Rollout | None = None,
    method: Literal["auto", "mip", "greedy_bound"] = "auto",
) -> Plan:
    """Place partners' advisors on sites to serve the most need (or a target with the fewest advisors).

    Parameters
    ----------
    demand
        Frame with ``unit_id`` and ``need``.
    sites
        Frame with ``site_id``; ``partner`` (owner of the premises; without
        it every partner may use every site), ``capacity`` (advisor slots,
        default 1), ``dep`` for department rules, ``cost`` with ``budget``.
    reach
        Pairs within the access rule.
    partners
        The partners and their advisors.
    sharing
        Who may work in whose premises (default: each partner at home only).
    horizon, months
        Months of work: ``months`` if given, else ``horizon.months``, else 1
        (need served per month). The horizon also dates the plan's projection.
    objective, target
        ``'max_served'``, or ``'min_advisors'`` with the ``target`` need to serve.
    tie_break
        With ``'max_served'``, a second solve that keeps the need served and
        minimises the need-weighted distance (the default); without it the first
        optimum found is kept (one solve: what re-solves that only compare need
        served use, see :mod:`coverage.scenario.marginal`).
    rules, forced, closed, budget, options
        As in :func:`coverage.models.location.maximal_coverage`; advisor quotas count
        slots / slots per advisor. With ``solver='auto'``, models of
        :data:`HIGHS_STAFFING_PAIRS` unit-site pairs or more go to HiGHS.
    method
        How ``'max_served'`` is solved: ``'mip'``, the MIP (with a greedy plan as its
        warm start and floor); ``'greedy_bound'``, first a greedy plan that an upper
        bound proves optimal (:mod:`coverage.models.staffing_fast`), the MIP only when
        no bound proves it; ``'auto'`` (default), ``'greedy_bound'`` from
        :data:`FAST_STAFFING_PAIRS` unit-site pairs, ``'mip'`` below.
        :attr:`~coverage.plan.plan.Plan.method` says which method gave the plan.
    rollout
        Training waves, ramp-up and attrition: the solved plan is then phased over the
        months (:func:`coverage.models.rollout.rollout_plan`, against ``horizon.target``)
        and carries its :attr:`~coverage.plan.plan.Plan.trajectory`.

    Examples
    --------
    Three demand units and three candidate sites (one advisor slot each, the default
    capacity); a unit is in reach of a site within 5 km. Two advisors each help 5 people a
    month, 60 in a year: one at ``s1`` serves 60 of u1, one at ``s2`` serves u2 (50) and 10
    of u3, the nearer of the units left.

    >>> import pandas as pd
    >>> from coverage import Reach, staffing
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "need": [100.0, 50.0, 30.0]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"]})
    >>> metres = [
    ...     [500, 4500, 9000],  # u1: s1 and s2 within 5 km
    ...     [8000, 2000, 7000],  # u2: s2 only
    ...     [9000, 4000, 500],  # u3: s2 and s3
    ... ]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=5000)
    >>> from coverage.inputs.partners import Partner
    >>> advisors = [Partner("laposte", advisors=2, people_per_slot_month=5.0)]
    >>> plan = staffing(demand, sites, reach, advisors, months=12)
    >>> plan.status, plan.open_site_ids, round(plan.served_need)
    ('optimal', ('s1', 's2'), 120)
    >>> plan.units["served"].round().tolist()
    [60.0, 50.0, 10.0]
    >>> plan.slots["slots"].tolist()
    [1, 1]

    The same, proven by a greedy plan that serves as much as the advisors can (120)
    rather than by the MIP:

    >>> fast = staffing(demand, sites, reach, advisors, months=12, method="greedy_bound")
    >>> fast.status, fast.method, round(fast.served_need), round(fast.bound)
    ('optimal', 'greedy_bound', 120, 120)
    """
    inst = prepare(demand, sites, reach, forced=forced, closed=closed, budget=budget, rules=rules)
    rules = rules or DepartmentRules()
    partners = check_partners(partners)
    sharing = sharing or Sharing.none()
    work_months = months if months is not None else horizon.months if horizon is not None else 1.0
    if work_months <= 0:
        raise ValueError(f"months of work must be > 0, got {work_months}")
    if method not in ("auto", "mip", "greedy_bound"):
        raise ValueError(f"method must be 'auto', 'mip' or 'greedy_bound', got {method!r}")
    if objective not in ("max_served", "min_advisors"):
        raise ValueError(f"objective must be 'max_served' or 'min_advisors', got {objective!r}")
    if objective == "min_advisors" and target is None:
        raise ValueError("objective 'min_advisors' needs a target (need to serve)")
    owners = _owners(inst)
    capacity = _capacity(inst)
    every_owner = set(inst.sites["partner"].astype(str)) if "partner" in inst.sites.columns else set()
    allowed = _allowed(partners, owners, sharing, every_owner)
    check_staffing(inst, partners, allowed, capacity, work_months, target, rules)
    bounds = slot_bounds(partners, _full(allowed, len(partners), inst.n_model_sites), capacity)
    limits = inst.constraints(rules, sharing=sharing, target=target)
    start = None
    if objective == "max_served":
        started = time.perf_counter()
        build_seconds = inst.timer()()
        start = greedy_start(inst, partners, bounds, capacity, work_months, rules)
        fast = method == "greedy_bound" or (method == "auto" and len(inst.cols) >= FAST_STAFFING_PAIRS)
        if start is not None and fast:
            proven = proven_plan(
                inst,
                partners,
                bounds,
                capacity,
                start,
                work_months,
                rules=rules,
                tie_break=tie_break,
                horizon=horizon,
                constraints=limits,
                build_seconds=build_seconds,
                started=started,
            )
            if proven is not None:
                return _rolled_out(proven, inst, rollout, horizon, options)
    builder = staffing_builder(
        inst, partners, allowed, capacity, work_months, objective, target, rules, tie_break, start
    )
    options = options or SolverOptions()
    if options.solver == "auto" and len(inst.cols) >= HIGHS_STAFFING_PAIRS:
        options = replace(options, solver="highs")
    plan = solve_model(
        "staffing", inst, builder, options, partners=partners, horizon=horizon, constraints=limits
    )
    return _rolled_out(plan, inst, rollout, horizon, options)


def _rolled_out(
    plan: Plan,
    inst: Instance,
    rollout: Rollout | None,
    horizon: Horizon | None,
    options: SolverOptions | None,
) -> Plan:
    """``plan`` phased over the months by ``rollout`` (unchanged without one or without a solution)."""
    if rollout is None or plan.status not in ("optimal", "feasible"):
        return plan
    from coverage.models.rollout import rollout_plan

    target = horizon.target if horizon is not None else None
    return replace(plan, trajectory=rollout_plan(plan, inst.reach, rollout, target=target, options=options))


def _full(allowed: npt.NDArray[np.bool_], n_partners: int, n_sites: int) -> npt.NDArray[np.bool_]:
    """``allowed``, or every partner at every site where sites have no owners."""
    return np.ones((n_partners, n_sites), dtype=bool) if allowed.shape[1] == 0 else allowed


#: Unit-site pairs from which ``solver='auto'`` solves staffing with HiGHS rather than CBC.
#: Measured: the founding case (17,191 pairs) solves in 4-5.5 s with CBC and 11 s with
#: HiGHS; national-4000 (156,199 pairs) has no CBC incumbent after 300 s, while HiGHS
#: proves the first phase optimal in 64 s. Sizes in between were not measured.
HIGHS_STAFFING_PAIRS = 50_000

#: Unit-site pairs from which ``method='auto'`` tries the greedy plan proven by a bound
#: before the MIP. Measured: national staffing of the founding case's partners (800,987
#: pairs) is proven in about a second this way; the MIP returned no plan in 900 s (CBC).
FAST_STAFFING_PAIRS = 50_000


def _owners(inst: Instance) -> npt.NDArray[np.object_] | None:
    if "partner" not in inst.sites.columns:
        return None
    return inst.sites["partner"].astype(str).to_numpy(dtype=object)[inst.model_sites]


def _capacity(inst: Instance) -> npt.NDArray[np.int64]:
    if "capacity" not in inst.sites.columns:
        return np.ones(inst.n_model_sites, dtype=np.int64)
    raw = pd.to_numeric(inst.sites["capacity"], errors="coerce")
    bad = raw.isna() | (raw < 0) | (raw != np.floor(raw))
    if bad.any():
        shown = ", ".join(inst.sites["site_id"][bad].head(5))
        raise ValueError(f"sites 'capacity' must be whole numbers of slots >= 0; not so for {shown}")
    return raw.to_numpy(dtype=np.int64)[inst.model_sites]


def _allowed(
    partners: Sequence[Partner],
    owners: npt.NDArray[np.object_] | None,
    sharing: Sharing,
    every_owner: set[str],
) -> npt.NDArray[np.bool_]:
    """``allowed[p, j]``: partner ``p`` may staff model site ``j``.

    The sharing matrix may name any partner or any owner of an input site.
    """
    known = {p.name for p in partners} | every_owner
    unknown = sorted(sharing.names() - known)
    if unknown:
        raise ValueError(
            f"the sharing matrix names unknown partners: {', '.join(unknown)}; "
            f"partners and site owners are: {', '.join(sorted(known))}"
        )
    if owners is None:
        return np.ones((len(partners), 0), dtype=bool)
    rows = []
    for partner in partners:
        owners_ok = [o for o in set(owners.tolist()) if sharing.may_use(partner.name, o)]
        rows.append(np.isin(owners, owners_ok))
    return np.vstack(rows)
