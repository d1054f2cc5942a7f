"""Department rules: the planner's record of quotas, departments served and fair shares.

An input of every model, like the partners: :mod:`coverage.models.rules`
checks a record against the data and turns it into rows of a model, and
:mod:`coverage.plan.verify` re-checks a solved plan against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DepartmentRules", "PerDepartment", "quota"]

PerDepartment = int | float | Mapping[str, int | float] | None


@dataclass(frozen=True)
class DepartmentRules:
    """Rules that hold department by department.

    Each quota is one number for every department, or a mapping from
    department code to number (departments left out have no quota).

    Parameters
    ----------
    min_sites, max_sites
        Open sites per department.
    min_advisors, max_advisors
        Advisors per department (staffing model: slots / slots per advisor).
    serve_exactly
        Exactly this many departments get at least one open site (the
        founding case: 57).
    min_share
        Minimum share (0-1) of each department's need that must be served.
    maximise_min_share
        Maximise the smallest department share first, then the total
        (lexicographic). Departments that no candidate reaches are left out.
    """

    min_sites: PerDepartment = None
    max_sites: PerDepartment = None
    min_advisors: PerDepartment = None
    max_advisors: PerDepartment = None
    serve_exactly: int | None = None
    min_share: PerDepartment = None
    maximise_min_share: bool = False

    def __post_init__(self) -> None:
        for name in ("min_sites", "max_sites", "min_advisors", "max_advisors", "min_share"):
            value = getattr(self, name)
            numbers = value.values() if isinstance(value, Mapping) else [] if value is None else [value]
            for number in numbers:
                if not np.isfinite(float(number)) or float(number) < 0:
                    raise ValueError(f"department rule {name} must be >= 0, got {number}")
                if name == "min_share" and float(number) > 1:
                    raise ValueError(f"department rule min_share is a share in [0, 1], got {number}")
        if self.serve_exactly is not None and self.serve_exactly < 0:
            raise ValueError(f"serve_exactly must be >= 0, got {self.serve_exactly}")

    @property
    def needs_unit_departments(self) -> bool:
        return self.min_share is not None or self.maximise_min_share

    @property
    def is_empty(self) -> bool:
        return self == DepartmentRules()


def quota(value: PerDepartment, departments: Sequence[str]) -> dict[str, float]:
    """The quota of each department in ``departments`` that has one."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(d): float(v) for d, v in value.items()}
    return {d: float(value) for d in departments}
