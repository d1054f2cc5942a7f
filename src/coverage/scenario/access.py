"""A scenario's road reach against its straight-line counterpart.

:func:`compare_access` takes a run of a scenario with ``access.rule =
"road_time"`` and compares its reach with a straight-line rule on the same
demand units and sites (:func:`coverage.reach.versus.compare_reach`): by
default :meth:`coverage.reach.roads.RoadTime.straight_line`, the radius per
zone the same minutes give with the ``travel_time`` rule's estimate.
"""

from __future__ import annotations

from coverage.errors import ScenarioError
from coverage.reach.layers import build_reach
from coverage.reach.roads import RoadTime
from coverage.reach.rules import Rule
from coverage.reach.versus import ReachDifference, compare_reach
from coverage.scenario.run import ScenarioRun

__all__ = ["compare_access"]


def compare_access(run: ScenarioRun, *, straight: Rule | None = None) -> ReachDifference:
    """Straight line (first) versus road (second) on the demand units and sites of ``run``.

    Parameters
    ----------
    run
        A run of a scenario whose access rule is ``road_time``
        (:func:`coverage.scenario.run.run_scenario`).
    straight
        The straight-line rule; default the road rule's
        :meth:`~coverage.reach.roads.RoadTime.straight_line`.

    Raises
    ------
    ScenarioError
        The scenario's access rule is not ``road_time``.

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> compare_access(run)
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: comparing straight line and road needs access.rule = "road_time" ...
    """
    rule = run.scenario.to_access_rule()
    if not isinstance(rule, RoadTime):
        raise ScenarioError(
            'comparing straight line and road needs access.rule = "road_time" and access.extract '
            f"(this scenario's rule is {run.scenario.access.rule!r}); "
            "e.g. --set access.rule=road_time --set access.extract=region.osm.pbf"
        )
    first = build_reach(run.demand, run.sites, straight if straight is not None else rule.straight_line())
    departments = run.demand["dep"] if "dep" in run.demand.columns else None
    return compare_reach(first, run.reach, departments)
