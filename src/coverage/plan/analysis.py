"""What binds a plan and what one more unit of each resource buys: the records of the analysis.

:func:`coverage.scenario.marginal.what_binds` measures them (by re-solving the
scenario); :mod:`coverage.scenario.output` writes them to ``summary.json``, the
command line prints them after the KPIs and the app shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from coverage.data.i18n import format_number, gettext_
from coverage.data.i18n.errors import translate_text
from coverage.plan.binding import Binding

__all__ = ["Marginal", "WhatBinds"]


@dataclass(frozen=True)
class Marginal:
    """What one more unit of a resource buys, measured by re-solving.

    Attributes
    ----------
    resource, subject
        ``'one more advisor'`` (subject: the partner), ``'one more slot per site'``,
        ``'one more site'``, ``'1 km more radius'`` or ``'1 min more travel time'``.
    before, after
        The headline objective (need served or covered) of the plan and of the re-solve
        (None when the re-solve found no plan).
    gain
        ``after - before``, in ``unit``.
    unit
        What the objective counts (``'people'``).
    method
        How it was measured (``'re-solve'``).
    exact
        Both solves were proven optimal.
    seconds
        Time the re-solve took.
    reason
        When the gain is nil, the tight group that holds the plan instead.
    """

    resource: str
    subject: str
    before: float
    after: float | None
    gain: float | None
    unit: str
    method: str
    exact: bool
    seconds: float
    reason: str = ""

    def line(self) -> str:
        """The finding in one line, in the language in use.

        Examples
        --------
        >>> from coverage.data.i18n import language
        >>> found = Marginal("one more site", "", 79688.7, 81860.2, 2171.5, "people in need within reach",
        ...                  "re-solve", True, 0.8)
        >>> found.line()
        'one more site: +2,172 people in need within reach (re-solve, exact)'
        >>> with language("fr"):
        ...     found.line()
        'un lieu de plus : +2\u202f172 personnes en besoin à portée (nouvelle résolution, exacte)'
        """
        who = f" ({self.subject})" if self.subject else ""
        resource = gettext_(self.resource) + who
        if self.gain is None:
            return gettext_("{resource}: not measured, the re-solve found no plan").format(resource=resource)
        quality = gettext_("exact") if self.exact else gettext_("estimate: a solve stopped at its time limit")
        gain = 0.0 if abs(self.gain) < 0.5 else self.gain  # no "-0" from solver noise
        text = gettext_("{resource}: {gain} {unit} ({method}, {quality})").format(
            resource=resource,
            gain=("-" if gain < 0 else "+") + format_number(abs(gain)),
            unit=gettext_(self.unit),
            method=gettext_(self.method),
            quality=quality,
        )
        return f"{text}; {translate_text(self.reason)}" if self.reason else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, with the one-line finding."""
        return {**asdict(self), "line": self.line()}


@dataclass(frozen=True)
class WhatBinds:
    """The constraint groups of a plan and the marginal values of its resources.

    Attributes
    ----------
    binding
        Every group with its use and limit (:func:`coverage.plan.binding.binding_constraints`).
    marginal
        One entry per resource re-solved (empty when they were not measured).
    note
        Why marginal values were not measured, when they were not.
    """

    binding: tuple[Binding, ...]
    marginal: tuple[Marginal, ...] = ()
    note: str = ""

    @property
    def tight(self) -> tuple[Binding, ...]:
        """The groups used up to their limit."""
        return tuple(b for b in self.binding if b.tight)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``summary.json``'s ``binding`` entry)."""
        return {
            "binding": [b.to_dict() for b in self.binding],
            "tight": [f"{b.group}: {b.detail}" for b in self.tight],
            "marginal": [m.to_dict() for m in self.marginal],
            "note": self.note,
        }
