"""Shared plan test data: a hand-made solution on seven units and four sites along one line.

Sites (x in metres east of a Lambert-93 origin, owner, department)::

    s1 x=0 poste 75 | s2 x=12 poste 75 | s3 x=30 sos 92 | s4 x=100 sos 92 (closed)

Units (x, need, department, zone), reach radius 15 m::

    u1  2  10  75 qpv    s1 2, s2 10        -> nearest open s1 at 2
    u2  9  20  75 urban  s2 3, s1 9         -> s2 at 3 (served 15 of 20)
    u3 28  30  92 rural  s3 2 (s2 is 16)    -> s3 at 2, reached by s3 only
    u4 60  40  92 rural  nothing within 15  -> unreached, no candidate in reach
    u5 85  45  92 qpv    s4 15 (closed)     -> unreached, candidate s4 in reach
    u6 -50  0  75 rural  nothing            -> unreached, but no need
    u7 -5   7  75 urban  s1 5 (s2 is 17)    -> s1 at 5, reached by s1 only (served 5 of 7)

Slots: s1 poste 1; s2 poste 1 + sos 1; s3 poste 2 (poste in sos premises).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.inputs.partners import Horizon, Partner
from coverage.plan import Plan, Solution
from coverage.reach.pairs import Reach

X0, Y0 = 650_000.0, 6_860_000.0
UNITS = {  # id: (x, need, dep, qpv, rural, served)
    "u1": (2, 10.0, "75", True, False, 10.0),
    "u2": (9, 20.0, "75", False, False, 15.0),
    "u3": (28, 30.0, "92", False, True, 30.0),
    "u4": (60, 40.0, "92", False, True, 0.0),
    "u5": (85, 45.0, "92", True, False, 0.0),
    "u6": (-50, 0.0, "75", False, True, 0.0),
    "u7": (-5, 7.0, "75", False, False, 5.0),
}
SITES = {
    "s1": (0, "poste", "75"),
    "s2": (12, "poste", "75"),
    "s3": (30, "sos", "92"),
    "s4": (100, "sos", "92"),
}
PARTNERS = [
    Partner("poste", advisors=2, slots_per_advisor=3, people_per_slot_month=10.0),
    Partner("sos", advisors=1, slots_per_advisor=1, people_per_slot_month=40.0),
]
HORIZON = Horizon(dt.date(2022, 1, 1), dt.date(2023, 12, 31), target=1000.0)
SLOTS = pd.DataFrame(
    {
        "site_id": ["s1", "s2", "s2", "s3"],
        "partner": ["poste", "poste", "sos", "poste"],
        "slots": [1, 1, 1, 2],
    }
)


def make_reach() -> Reach:
    ux = np.array([v[0] for v in UNITS.values()], float)
    sx = np.array([v[0] for v in SITES.values()], float)
    return Reach.from_points(
        list(UNITS),
        np.c_[X0 + ux, np.full(len(ux), Y0)],
        list(SITES),
        np.c_[X0 + sx, np.full(len(sx), Y0)],
        radius=15.0,
    )


def make_frames(geometry: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(UNITS)[::-1]  # any row order: the plan aligns by id
    demand = pd.DataFrame(
        {
            "unit_id": ids,
            "name": [f"Unit {i}" for i in ids],
            "dep": [UNITS[i][2] for i in ids],
            "need": [UNITS[i][1] for i in ids],
            "qpv": [UNITS[i][3] for i in ids],
            "rural": [UNITS[i][4] for i in ids],
        }
    )
    sites = pd.DataFrame(
        {
            "site_id": ["s9", *SITES],
            "partner": ["sos", *[v[1] for v in SITES.values()]],
            "dep": ["92", *[v[2] for v in SITES.values()]],
        }
    )  # s9 is outside the reach
    if geometry:
        demand = gpd.GeoDataFrame(
            demand, geometry=gpd.points_from_xy([X0 + UNITS[i][0] for i in ids], [Y0] * len(ids)), crs=2154
        )
        sites = gpd.GeoDataFrame(
            sites,
            geometry=gpd.points_from_xy([X0 + 500, *[X0 + v[0] for v in SITES.values()]], [Y0] * 5),
            crs=2154,
        )
    return demand, sites


def make_solution(**changes) -> Solution:
    fields = dict(
        model="staffing",
        status="optimal",
        objective=60.0,
        bound=60.0,
        sense="max",
        solver="cbc",
        build_seconds=0.5,
        solve_seconds=1.5,
        open_sites=np.array([True, True, True, False]),
        served=np.array([v[5] for v in UNITS.values()]),
        slots=SLOTS,
    )
    fields.update(changes)
    return Solution(**fields)


def make_plan(geometry: bool = False, **changes) -> Plan:
    demand, sites = make_frames(geometry)
    return Plan.from_solution(
        make_solution(**changes),
        demand=demand,
        sites=sites,
        reach=make_reach(),
        partners=PARTNERS,
        horizon=HORIZON,
    )


def by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key)
