"""Staffing's checks before any solve: partner names, forced sites, minimums, targets, rules.

Each problem found is named with its numbers in one
:class:`~coverage.errors.InfeasibleScenarioError` (or a ``ValueError`` for bad
partner lists) before a model is built.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from coverage.errors import InfeasibleScenarioError
from coverage.inputs.partners import Partner
from coverage.inputs.rules import DepartmentRules
from coverage.models.instance import Instance
from coverage.models.rules import check_department_rules

__all__ = ["check_partners", "check_staffing"]


def check_partners(partners: Sequence[Partner]) -> tuple[Partner, ...]:
    """The partners as a tuple; a ``ValueError`` when there are none or a name repeats."""
    partners = tuple(partners)
    if not partners:
        raise ValueError("staffing needs at least one partner")
    names = [p.name for p in partners]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"partner names must be unique; repeated: {', '.join(repeated)}")
    return partners


def check_staffing(
    inst: Instance,
    partners: Sequence[Partner],
    allowed: npt.NDArray[np.bool_],
    capacity: npt.NDArray[np.int64],
    months: float,
    target: float | None,
    rules: DepartmentRules,
) -> None:
    """Raise :class:`~coverage.errors.InfeasibleScenarioError` naming every problem the data show."""
    full = np.ones((len(partners), inst.n_model_sites), dtype=bool) if allowed.shape[1] == 0 else allowed
    forced = inst.model_forced
    problems = []
    nobody = np.flatnonzero(forced & ~full.any(axis=0))
    if len(nobody):
        ids = ", ".join(inst.sites["site_id"].iloc[inst.model_sites[nobody]].head(5))
        problems.append(f"forced sites: no partner may staff {ids} (check the sharing matrix)")
    closed_forced = np.flatnonzero(forced & (capacity == 0))
    if len(closed_forced):
        ids = ", ".join(inst.sites["site_id"].iloc[inst.model_sites[closed_forced]].head(5))
        problems.append(f"forced sites: {ids} have capacity 0")
    slots_for_forced = sum(p.slots for k, p in enumerate(partners) if (full[k] & forced).any())
    if int(forced.sum()) > slots_for_forced:
        problems.append(
            f"forced sites need {int(forced.sum())} slots, partners allowed there have {slots_for_forced}"
        )
    for k, partner in enumerate(partners):
        may_staff = int((full[k] & (capacity > 0)).sum())
        if partner.min_sites > may_staff:
            problems.append(
                f"partner minimum sites: {partner.name} must staff at least {partner.min_sites} sites "
                f"but may staff {may_staff} (check the sharing matrix and the site capacities)"
            )
    if target is not None:
        coverable = float(inst.need[inst.row_units].sum())
        serve_max = months * sum(p.slots * p.people_per_slot_month for p in partners)
        if target > coverable:
            problems.append(f"target: {target:,.0f} need to serve but sites in reach reach {coverable:,.0f}")
        if target > serve_max:
            problems.append(
                f"target: {target:,.0f} need to serve but all partners' slots serve at most {serve_max:,.0f} "
                f"in {months:g} months"
            )
    if problems:
        raise InfeasibleScenarioError("; ".join(problems))
    per_site = float(capacity.max(initial=0)) / min(p.slots_per_advisor for p in partners)
    check_department_rules(
        rules,
        site_dep=inst.site_dep,
        usable=inst.usable,
        forced=inst.forced,
        max_sites=None,
        advisor_capacity=per_site,
    )
