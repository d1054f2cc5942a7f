"""Plan KPIs by department, partner and zone, and the projection over the horizon."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from coverage.inputs.partners import Partner
from coverage.plan import Plan, Solution
from coverage.reach.pairs import Reach
from plan_helpers import (
    HORIZON,
    PARTNERS,
    SLOTS,
    by,
    make_frames,
    make_plan,
    make_reach,
    make_solution,
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan()


# -- KPIs ---------------------------------------------------------------------------


def test_kpis_by_department(plan):
    kpi = by(plan.kpis("department"), "dep")
    assert list(kpi.index) == ["75", "92"]
    assert kpi["units"].tolist() == [4, 3] and kpi["units_reached"].tolist() == [3, 1]
    assert kpi["need"].tolist() == [37.0, 115.0] and kpi["need_reached"].tolist() == [37.0, 30.0]
    assert kpi["need_served"].tolist() == [30.0, 30.0]
    assert kpi["share"].tolist() == pytest.approx([30 / 37, 30 / 115])
    assert kpi["open_sites"].tolist() == [2, 1] and kpi["slots"].tolist() == [3, 2]
    assert kpi["advisors"].tolist() == pytest.approx([5 / 3, 2 / 3])
    assert kpi["shared_sites"].tolist() == [1, 1]
    assert kpi["mean_distance"].tolist() == pytest.approx([115 / 37, 2.0])
    assert kpi["worst_distance"].tolist() == [5.0, 2.0]


def test_kpis_by_partner(plan):
    kpi = by(plan.kpis("partner"), "partner")
    assert list(kpi.index) == ["poste", "sos"]
    assert kpi["slots"].tolist() == [4, 1] and kpi["advisors"].tolist() == [2, 1]  # ceil(4 / 3)
    assert kpi["slots_available"].tolist() == [6, 1] and kpi["advisors_available"].tolist() == [2, 1]
    assert kpi["sites_staffed"].tolist() == [3, 1] and kpi["shared_sites"].tolist() == [2, 1]
    assert kpi["open_sites_owned"].tolist() == [2, 1]
    # s2 serves 15 with one poste slot (10 people a month) and one sos slot (40): by serving
    # capacity, 15 x 10 / 50 = 3 to poste and 12 to sos. Poste: s1 15 + 3 + s3 30 (in sos premises).
    assert kpi["need_served"].tolist() == [48.0, 12.0]
    assert kpi["share"].tolist() == pytest.approx([48 / 152, 12 / 152])
    # At the premises: poste owns s1 and s2 (15 + 15), sos owns s3 (30), whoever staffs them.
    assert kpi["need_served_at_premises"].tolist() == [30.0, 30.0]
    assert kpi["people_capacity"].tolist() == [4 * 10 * 24, 1 * 40 * 24]


def test_partner_kpi_without_slots_credits_the_owner():
    plan = make_plan(model="maximal_coverage", slots=SLOTS.iloc[:0])
    kpi = by(plan.kpis("partner"), "partner")
    assert kpi["slots"].tolist() == [0, 0] and kpi["need_served"].tolist() == [30.0, 30.0]
    assert plan.sites["shared"].tolist() == [False, False, False] and plan.projection() is None


def test_kpis_by_zone(plan):
    kpi = by(plan.kpis("zone"), "zone")
    assert list(kpi.index) == ["qpv", "rural", "urban"]
    assert kpi["need"].tolist() == [55.0, 70.0, 27.0]
    assert kpi["need_reached"].tolist() == [10.0, 30.0, 27.0]
    assert kpi["need_served"].tolist() == [10.0, 30.0, 20.0]
    assert kpi["share"].tolist() == pytest.approx([10 / 55, 30 / 70, 20 / 27])
    assert kpi["mean_distance"].tolist() == pytest.approx([2.0, 2.0, 95 / 27])
    assert kpi["units"].tolist() == [2, 3, 2]


def test_zones_when_flags_are_missing():
    demand, sites = make_frames(False)
    solution, reach = make_solution(), make_reach()
    only_qpv = Plan.from_solution(
        solution, demand=demand.drop(columns="rural"), sites=sites, reach=reach, partners=PARTNERS
    )
    assert by(only_qpv.kpis("zone"), "zone")["need"].to_dict() == {"qpv": 55.0, "other": 97.0}
    none = Plan.from_solution(
        solution, demand=demand.drop(columns=["qpv", "rural"]), sites=sites, reach=reach, partners=PARTNERS
    )
    assert none.kpis("zone")["zone"].tolist() == ["all"] and none.explanations.empty


def test_department_kpi_needs_dep():
    demand, sites = make_frames(False)
    plan = Plan.from_solution(
        make_solution(), demand=demand.drop(columns="dep"), sites=sites, reach=make_reach(), partners=PARTNERS
    )
    with pytest.raises(ValueError, match="needs a 'dep' column in the demand"):
        plan.kpis("department")
    assert "kpi_department" not in plan.tables()
    with pytest.raises(ValueError, match="takes 'department', 'partner' or 'zone'"):
        plan.kpis("commune")  # type: ignore[arg-type]


# -- projection -----------------------------------------------------------------------


def test_projection_two_slots_forty_people_two_years():
    reach = Reach.from_dense(["a"], ["x"], [[1.0]])
    solution = Solution(
        "staffing",
        "optimal",
        5000.0,
        5000.0,
        "max",
        "cbc",
        0,
        0,
        np.array([True]),
        np.array([5000.0]),
        pd.DataFrame({"site_id": ["x"], "partner": ["p"], "slots": [2]}),
    )
    plan = Plan.from_solution(
        solution,
        demand=pd.DataFrame({"unit_id": ["a"], "need": [6000.0]}),
        sites=pd.DataFrame({"site_id": ["x"], "partner": ["p"]}),
        reach=reach,
        partners=[Partner("p", 2)],
        horizon=HORIZON,
    )
    projection = plan.projection()
    assert projection is not None
    assert projection.months == 24.0 and projection.capacity == 2 * 40 * 24 == 1920.0
    assert projection.people == 1920.0  # capacity binds below the 5000 served
    assert projection.target == 1000.0 and projection.gap_to_target == -920.0
    assert projection.target_share == pytest.approx(1.92)


def test_projection_by_date(plan):
    full = plan.projection()
    assert full is not None and full.capacity == 4 * 10 * 24 + 40 * 24
    assert full.people == 60.0 and full.gap_to_target == 940.0  # served need binds
    assert dict(full.capacity_by_partner) == {"poste": 960.0, "sos": 960.0}
    half_month = plan.projection("2022-01-15")
    assert half_month is not None and half_month.people == pytest.approx(80 * 15 / 30.4375)
    before = plan.projection(dt.date(2021, 6, 1))
    assert before is not None and before.people == 0.0 and before.months == 0.0


def test_projection_needs_a_horizon():
    demand, sites = make_frames(False)
    plan = Plan.from_solution(
        make_solution(), demand=demand, sites=sites, reach=make_reach(), partners=PARTNERS
    )
    assert plan.projection() is None and plan.summary()["projection"] is None
