"""What binds a solved scenario, and what one more unit of each resource buys, by re-solving.

:func:`what_binds` takes a :class:`~coverage.scenario.run.ScenarioRun` and
reports

- the constraint groups of its plan with their use and limit
  (:func:`coverage.plan.binding.binding_constraints`, read from the plan's
  tables), the tight ones marked;
- the *marginal value* of one more unit of each resource the scenario has,
  measured exactly by solving the scenario again with that one change, on the
  same demand and candidate sites: one more advisor per partner, one more
  slot per site (site capacities and partners' ``max_slots_per_site`` + 1),
  one more site (``max_sites`` + 1), and 1 km more radius (1 minute more
  for travel-time rules; the reach is rebuilt). The value is the change of
  the plan's headline objective (need served, or need covered). Staffing's
  re-solves skip the distance tie-break, which does not change need served.

Re-solving is exact when both solves are proven optimal; a solve stopped at
its time limit makes the difference an estimate, and :attr:`Marginal.exact`
says so. LP duals are not used: on these integer models (whole advisors,
open-or-closed sites) they are not exact enough to explain a zero.

When one more unit buys nothing, :attr:`Marginal.reason` names the tight
group that holds the plan instead (for the founding case: La Poste's slots
already fill every office it may staff, one slot each).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from coverage.data.i18n import N_
from coverage.errors import InfeasibleScenarioError
from coverage.plan.analysis import Marginal, WhatBinds
from coverage.plan.binding import Binding, binding_constraints

if TYPE_CHECKING:
    from coverage.plan.plan import Plan
    from coverage.scenario.run import ScenarioRun
    from coverage.scenario.schema import Scenario

logger = logging.getLogger(__name__)

__all__ = ["what_binds"]


#: ``progress(done, total)`` while the re-solves run.
Steps = Callable[[int, int], None]


def what_binds(run: ScenarioRun, *, marginal: bool = True, progress: Steps | None = None) -> WhatBinds:
    """The tight constraint groups of ``run``'s plan and, with ``marginal``, what one more of each buys.

    Parameters
    ----------
    run
        A solved scenario (:func:`coverage.scenario.run.run_scenario`).
    marginal
        Re-solve once per resource (see the module docstring); without it only the
        groups are read from the plan's tables.
    progress
        Called as ``progress(done, total)`` before and after each re-solve.

    Examples
    --------
    The demo opens 12 town halls: the site count binds, and a 13th site reaches more need.

    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> from coverage.scenario.marginal import what_binds
    >>> run = run_scenario(load_scenario(shipped_scenario("demo")))
    >>> found = what_binds(run)
    >>> [b.group for b in found.tight]
    ['site count']
    >>> site = next(m for m in found.marginal if m.resource == "one more site")
    >>> site.gain > 0, site.exact, site.method
    (True, True, 're-solve')
    >>> print(site.line())  # doctest: +ELLIPSIS
    one more site: +... people in need within reach (re-solve, exact)
    """
    plan = run.plan
    binding = binding_constraints(plan, run.sites)
    if not marginal:
        return WhatBinds(binding, note=N_("marginal values not measured"))
    if plan.status not in ("optimal", "feasible") or plan.objective is None:
        note = N_("marginal values not measured: the plan is {message_status}")
        return WhatBinds(binding, note=note.format(message_status=plan.status))
    if plan.model == "staffing" and plan.constraints.target is not None:
        return WhatBinds(
            binding, note=N_("marginal values not measured: the plan minimises advisors for a target")
        )
    changes = _changes(run.scenario, plan)
    report = progress or (lambda done, total: None)
    found = []
    for done, (resource, subject, scenario, sites, radius) in enumerate(changes):
        report(done, len(changes))
        found.append(_measure(run, binding, resource, subject, scenario, sites, radius))
    report(len(changes), len(changes))
    return WhatBinds(binding, tuple(found))


Change = tuple[str, str, "Scenario", pd.DataFrame | None, bool]


def _changes(scenario: Scenario, plan: Plan) -> list[Change]:
    """``(resource, subject, changed scenario, changed sites or None, reach changes)`` per resource."""
    out: list[Change] = []
    objective = scenario.objective
    if plan.model == "staffing":
        for name, spec in scenario.partners.items():
            partners = {**scenario.partners, name: spec.model_copy(update={"advisors": spec.advisors + 1})}
            out.append(
                (
                    N_("one more advisor"),
                    name,
                    scenario.model_copy(update={"partners": partners}),
                    None,
                    False,
                )
            )
        wider = {
            name: spec
            if spec.max_slots_per_site is None
            else spec.model_copy(update={"max_slots_per_site": spec.max_slots_per_site + 1})
            for name, spec in scenario.partners.items()
        }
        out.append(
            (N_("one more slot per site"), "", scenario.model_copy(update={"partners": wider}), None, False)
        )
    if objective.model == "maximal_coverage" and objective.max_sites is not None:
        more = objective.model_copy(update={"max_sites": objective.max_sites + 1})
        out.append((N_("one more site"), "", scenario.model_copy(update={"objective": more}), None, False))
    access = _wider_access(scenario)
    if access is not None:
        resource, spec = access
        out.append((resource, "", scenario.model_copy(update={"access": spec}), None, True))
    return out


def _wider_access(scenario: Scenario) -> tuple[str, Any] | None:
    access = scenario.access
    if access.rule == "radius" and access.metres is not None:
        return N_("1 km more radius"), access.model_copy(update={"metres": access.metres + 1000.0})
    if access.rule == "zone_radius":
        zones = {z: getattr(access, z) + 1000.0 for z in ("qpv", "urban", "rural") if getattr(access, z)}
        return N_("1 km more radius"), access.model_copy(update=zones)
    if access.rule == "road_time":
        zones = {z: getattr(access, z) + 1.0 for z in ("qpv", "urban", "rural") if getattr(access, z)}
        return N_("1 min more travel time"), access.model_copy(update=zones)
    if access.rule in ("travel_time", "travel_time_matrix") and access.max_minutes is not None:
        return N_("1 min more travel time"), access.model_copy(
            update={"max_minutes": access.max_minutes + 1.0}
        )
    return None


def _measure(
    run: ScenarioRun,
    binding: Sequence[Binding],
    resource: str,
    subject: str,
    scenario: Scenario,
    sites: pd.DataFrame | None,
    reach_changes: bool,
) -> Marginal:
    from coverage.reach.layers import build_reach
    from coverage.scenario.run import solve_scenario

    plan = run.plan
    before = float(plan.objective or 0.0)
    unit = N_("people served") if plan.model == "staffing" else N_("people in need within reach")
    started = time.perf_counter()
    sites = run.sites if sites is None else sites
    if resource == "one more slot per site":
        sites = _one_more_slot(sites)
    reach = run.reach
    if reach_changes:
        reach = build_reach(run.demand, sites, scenario.to_access_rule(), decay=scenario.to_decay())
    try:
        again = solve_scenario(scenario, run.demand, sites, reach, tie_break=False)
    except InfeasibleScenarioError as exc:  # loosening a limit cannot do this; say so, don't crash
        logger.warning("%s (%s): the re-solve was infeasible: %s", resource, subject, exc)
        again = None
    seconds = time.perf_counter() - started
    if again is None or again.objective is None or again.status not in ("optimal", "feasible"):
        return Marginal(resource, subject, before, None, None, unit, N_("re-solve"), False, seconds)
    after = float(again.objective)
    gain = after - before
    exact = plan.status == again.status == "optimal"
    reason = _why_nothing(resource, subject, binding) if abs(gain) < 0.5 else ""
    return Marginal(resource, subject, before, after, gain, unit, N_("re-solve"), exact, seconds, reason)


def _one_more_slot(sites: pd.DataFrame) -> pd.DataFrame:
    wider = sites.copy()
    capacity = (
        pd.to_numeric(wider["capacity"], errors="coerce").fillna(0)
        if "capacity" in wider.columns
        else pd.Series(1, index=wider.index)
    )
    wider["capacity"] = (capacity + (capacity > 0)).astype("int64")
    return wider


def _why_nothing(resource: str, subject: str, binding: Sequence[Binding]) -> str:
    """The tight group that explains why one more ``resource`` buys nothing."""
    tight = {(b.group, b.subject): b for b in binding if b.tight}
    room = tight.get(("partner site room", subject))
    if resource == "one more advisor" and room is not None:
        return N_("the sites bind, not the advisors: {message}").format(message=room.detail)
    if tight.get(("need within reach", "all units")) is not None:
        return N_("every person in need within reach of the open sites is already served")
    staffed = [b.subject for b in binding if b.group == "partner advisors" and b.tight]
    if staffed and len(staffed) == sum(b.group == "partner advisors" for b in binding):
        return N_("the advisors bind: every slot of {partners} is staffed").format(
            partners=", ".join(staffed)
        )
    for group in ("site count", "budget", "partner advisors", "site capacity", "serving capacity"):
        held = [b for (g, _), b in tight.items() if g == group]
        if held:
            return N_("{message_group} binds: {message}").format(
                message_group=group, message="; ".join(b.detail for b in held[:3])
            )
    return N_("no tight group explains it: the plan is held by the combination of its limits")
