"""One constraint a plan breaks: what :mod:`coverage.plan.verify` and
:mod:`coverage.plan.verify_rollout` report."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation"]


@dataclass(frozen=True)
class Violation:
    """One constraint a plan breaks.

    Attributes
    ----------
    check
        The constraint group (``'partner budget'``, ``'site capacity'``, ...).
    subject
        What breaks it: a partner, a site id, a unit id, a department, a KPI.
    value, limit
        The plan's figure and the limit it breaks.
    message
        The two in words.
    """

    check: str
    subject: str
    value: float
    limit: float
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"
