"""What a plan was asked to respect: the constraints its model was solved under.

A model of :mod:`coverage.models` records them on the plan it returns
(:attr:`coverage.plan.Plan.constraints`), so that
:func:`coverage.plan.verify.verify_plan` can re-check the plan from its own
tables, without the model. The partners' budgets, per-site limits and
minimums travel on the plan's :class:`~coverage.inputs.partners.Partner`
records; site capacities and costs on its sites table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coverage.inputs.partners import Sharing
from coverage.inputs.rules import DepartmentRules

__all__ = ["Constraints"]


@dataclass(frozen=True)
class Constraints:
    """The constraints a plan's model was solved under.

    Parameters
    ----------
    max_sites, exact_sites
        At most (maximal coverage) or exactly (p-median, p-center) this many open sites.
    budget
        Most total ``cost`` (sites column) of the open sites.
    forced, closed
        Site ids forced open, and closed.
    rules
        Department rules.
    site_departments
        Departments a one-number site or advisor quota applies to (those with a usable
        candidate site).
    sharing
        Who may staff whose premises (staffing); None for models without partners.
    target
        Need the plan must serve (set cover with a target, fewest advisors).
    every_unit
        Every unit with need must be reached (set cover, p-median, p-center).
    capacity, fill_forced
        Capacitated p-median: the sites column of capacities each open site's
        assigned need stays within, and whether forced sites must be filled to it.

    Examples
    --------
    >>> from coverage.plan.constraints import Constraints
    >>> Constraints(max_sites=12, forced=("s1",)).max_sites
    12
    """

    max_sites: int | None = None
    exact_sites: int | None = None
    budget: float | None = None
    forced: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    rules: DepartmentRules = field(default_factory=DepartmentRules)
    site_departments: tuple[str, ...] = ()
    sharing: Sharing | None = None
    target: float | None = None
    every_unit: bool = False
    capacity: str | None = None
    fill_forced: bool = False
