"""One constraint a plan breaks: what :mod:`coverage.plan.verify` and
:mod:`coverage.plan.verify_rollout` report, and the words of a figure above or below its limit.

A violation's message is made in English from a template marked with
:func:`coverage.data.i18n.N_` (numbers in fields named ``num_...``), so the
command line and the app show it in French through
:func:`coverage.data.i18n.errors.translate_text`, subject and figures kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coverage.data.i18n import N_

__all__ = ["Violation", "above", "at_site", "below", "figure", "kept", "slack"]


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


def at_site(partner: str, site_id: str) -> str:
    """The subject of a breach by one partner at one site, from a marked template (so it reads in French).

    Examples
    --------
    >>> at_site("laposte", "75056-3")
    'laposte at site 75056-3'
    """
    return N_("{partner} at site {site_id}").format(partner=partner, site_id=site_id)


def slack(limit: float) -> float:
    """How far a figure may pass ``limit`` before it breaks it: solver tolerances, flows rounded to 1e-4.

    Examples
    --------
    >>> slack(0.0), slack(1_000_000.0)
    (0.001, 1.001)
    """
    return 1e-3 + 1e-6 * abs(limit)


def figure(value: float) -> str:
    """A plan's figure in a message: four significant digits, whole numbers from 10,000 (never ``1e+04``).

    Examples
    --------
    >>> figure(5), figure(2.71828), figure(59180.4), figure(1e9)
    ('5', '2.718', '59,180', '1,000,000,000')
    """
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def above(
    check: str, subject: str, value: float, limit: float, template: str, **fields: str
) -> Violation | None:
    """A violation when ``value`` passes the upper ``limit`` (beyond :func:`slack`), else ``None``.

    ``template`` is a marked English text with the fields ``{num_value}`` and ``{num_limit}``,
    and any others given in ``fields``.

    Examples
    --------
    >>> from coverage.data.i18n import N_
    >>> template = N_("slots staffed {num_value}, above the limit {num_limit}")
    >>> print(above("partner budget", "laposte", 5, 4, template))
    partner budget: laposte: slots staffed 5, above the limit 4
    >>> above("partner budget", "laposte", 4.0005, 4, "{num_value} > {num_limit}") is None
    True
    """
    if value > limit + slack(limit):
        text = template.format(num_value=figure(value), num_limit=figure(limit), **fields)
        return Violation(check, subject, value, limit, f"{subject}: {text}")
    return None


def below(
    check: str, subject: str, value: float, limit: float, template: str, **fields: str
) -> Violation | None:
    """A violation when ``value`` falls short of the lower ``limit`` (beyond :func:`slack`), else ``None``.

    Examples
    --------
    >>> from coverage.data.i18n import N_
    >>> template = N_("need served {num_value}, below the minimum {num_limit}")
    >>> print(below("target", "need served", 90, 100, template))
    target: need served: need served 90, below the minimum 100
    """
    if value < limit - slack(limit):
        text = template.format(num_value=figure(value), num_limit=figure(limit), **fields)
        return Violation(check, subject, value, limit, f"{subject}: {text}")
    return None


def kept(items: Iterable[Violation | None]) -> list[Violation]:
    """The violations among ``items`` (the ``None`` of a limit held left out).

    Examples
    --------
    >>> over = above("budget", "open sites", 3, 2, "cost {num_value}, above the limit {num_limit}")
    >>> found = kept([None, over])
    >>> [str(v) for v in found]
    ['budget: open sites: cost 3, above the limit 2']
    """
    return [v for v in items if v is not None]
