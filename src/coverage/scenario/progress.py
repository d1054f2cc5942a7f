"""The phases of a scenario run, and the progress callback that reports them.

:func:`coverage.scenario.run.run_scenario` calls ``progress(phase, done, total)``
when a phase starts (``done=0``) and after each of its steps; the CLI turns the
calls into progress lines and the app into a status box.
"""

from __future__ import annotations

from collections.abc import Callable

from coverage.scenario.schema import Scenario

__all__ = ["PHASES", "Progress", "phases"]

#: The phases of a run, in order, as reported to the ``progress`` callback
#: (``shortlist`` only when a site layer has a ``shortlist``).
PHASES = ("load", "demand", "sites", "shortlist", "reach", "solve", "plan")

#: ``progress(phase, done, total)``: called when a phase starts (``done=0``) and after each step.
Progress = Callable[[str, int, int], None]


def phases(scenario: Scenario) -> tuple[str, ...]:
    """The phases :func:`run_scenario` reports for ``scenario``, in order."""
    shortlist = any(layer.shortlist is not None for layer in scenario.sites.values())
    return tuple(phase for phase in PHASES if shortlist or phase != "shortlist")
