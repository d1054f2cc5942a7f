"""Stage 3, reach: the sparse (unit, site, distance) pairs that satisfy an access rule.

- :mod:`coverage.reach.pairs`: the :class:`Reach` record every model reads;
- :mod:`coverage.reach.rules`: the access rules (:class:`Radius`,
  :class:`ZoneRadius`, :class:`TravelTime`, :class:`TravelTimeMatrix`) and
  distance :class:`Decay`;
- :mod:`coverage.reach.layers`: :func:`build_reach` from demand and site
  GeoDataFrames, measured per territory in its metric CRS with a KD-tree,
  never as a dense matrix;
- :mod:`coverage.reach.osm`, :mod:`coverage.reach.roads` and
  :mod:`coverage.reach.routing`: the :class:`RoadTime` rule, drive times on an
  OpenStreetMap road network (:func:`load_road_network`, cached) by bounded Dijkstra;
- :mod:`coverage.reach.versus`: :func:`compare_reach`, two rules side by side
  (straight line versus road).
"""

from __future__ import annotations

from coverage.reach.layers import build_reach, reach_by_road, reach_from_radius, reach_from_travel_times
from coverage.reach.osm import SPEED_KMH, parse_maxspeed
from coverage.reach.pairs import Reach
from coverage.reach.roads import RoadNetwork, RoadSettings, RoadTime, load_road_network
from coverage.reach.routing import RoadReach
from coverage.reach.rules import (
    DEFAULT_SPEED_KMH,
    ZONES,
    Decay,
    Radius,
    Rule,
    TravelTime,
    TravelTimeMatrix,
    ZoneRadius,
    read_travel_times,
)
from coverage.reach.versus import ReachDifference, compare_reach

__all__ = [
    "DEFAULT_SPEED_KMH",
    "ZONES",
    "Decay",
    "Radius",
    "Reach",
    "ReachDifference",
    "RoadNetwork",
    "RoadReach",
    "RoadSettings",
    "RoadTime",
    "Rule",
    "SPEED_KMH",
    "TravelTime",
    "TravelTimeMatrix",
    "ZoneRadius",
    "build_reach",
    "compare_reach",
    "load_road_network",
    "parse_maxspeed",
    "reach_by_road",
    "reach_from_radius",
    "reach_from_travel_times",
    "read_travel_times",
]
