"""Stage 3, reach: the sparse (unit, site, distance) pairs that satisfy an access rule.

- :mod:`coverage.reach.pairs`: the :class:`Reach` record every model reads;
- :mod:`coverage.reach.rules`: the access rules (:class:`Radius`,
  :class:`ZoneRadius`, :class:`TravelTime`, :class:`TravelTimeMatrix`) and
  distance :class:`Decay`;
- :mod:`coverage.reach.layers`: :func:`build_reach` from demand and site
  GeoDataFrames, measured per territory in its metric CRS with a KD-tree,
  never as a dense matrix.
"""

from __future__ import annotations

from coverage.reach.layers import build_reach, reach_from_radius, reach_from_travel_times
from coverage.reach.pairs import Reach
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

__all__ = [
    "DEFAULT_SPEED_KMH",
    "ZONES",
    "Decay",
    "Radius",
    "Reach",
    "Rule",
    "TravelTime",
    "TravelTimeMatrix",
    "ZoneRadius",
    "build_reach",
    "reach_from_radius",
    "reach_from_travel_times",
    "read_travel_times",
]
