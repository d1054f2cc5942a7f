"""The rollout model on instances worked out by hand: waves, ramp-up, saturation, target month."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from coverage.data.i18n import language
from coverage.data.i18n.errors import translate_text
from coverage.inputs.partners import Horizon, Partner
from coverage.inputs.rollout import PartnerRollout, Rollout, Wave, linear_ramp, month_starts
from coverage.models.staffing import staffing
from coverage.plan.verify import verify_plan
from coverage.plan.verify_rollout import verify_trajectory
from coverage.reach.pairs import Reach

JAN, FEB, MAR = dt.date(2022, 1, 1), dt.date(2022, 2, 1), dt.date(2022, 3, 1)
QUARTER = Horizon(JAN, dt.date(2022, 3, 31))


def _two_by_two(target: float | None):
    """u1 (need 30) reaches s1 only, u2 (need 100) reaches s2 only; two advisors of 20 people a month.

    One advisor starts in January, the other in February; each works at half the rate in
    its first month (ramp 0.5). Per slot, the January wave serves 10, 20, 20 (50 in all) and
    the February wave 0, 10, 20 (30 in all).

    - January wave at s1, February wave at s2: s1 serves min(50, 30) = 30, s2 30: 60.
    - January wave at s2, February wave at s1: s2 serves 50, s1 min(30, 30) = 30: 80, the best.

    Month by month: January 10 (u2), February 20 (u2) + 10 (u1) = 30, March 20 + 20 = 40;
    cumulated 10, 40, 80. By the end of January at most 10 people can be accompanied (only
    the January wave works, at half rate), by the end of February 40 (either placement).
    """
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [30.0, 100.0], "dep": ["23", "87"]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[1, 9], [9, 1]], max_distance=5)
    team = [Partner("p", advisors=2, people_per_slot_month=20.0)]
    waves = (Wave(JAN, 1, "january"), Wave(FEB, 1, "february"))
    rollout = Rollout(JAN, QUARTER.until, {"p": PartnerRollout(waves)}, ramp=(0.5,))
    horizon = dataclasses.replace(QUARTER, target=target)
    return staffing(demand, sites, reach, team, horizon=horizon, rollout=rollout)


def test_hand_checked_trajectory_and_target_month() -> None:
    plan = _two_by_two(target=40.0)
    trajectory = plan.trajectory
    assert trajectory is not None and trajectory.status == "optimal" and trajectory.gap == 0.0
    assert trajectory.monthly().tolist() == pytest.approx([10.0, 30.0, 40.0])
    assert trajectory.cumulative.tolist() == pytest.approx([10.0, 40.0, 80.0])
    assert trajectory.target_month == FEB and trajectory.target_month_proven
    assert trajectory.shortfall is None and trajectory.closing() is None
    waves = trajectory.cohorts.set_index("wave")["site_id"].to_dict()
    assert waves == {"january": "s2", "february": "s1"}
    per_unit = trajectory.people.groupby("unit_id")["people"].sum()
    assert per_unit.to_dict() == pytest.approx({"u1": 30.0, "u2": 50.0})  # u1's need is used up
    by_dep = trajectory.table("department").pivot(index="month", columns="dep", values="cumulative")
    assert by_dep["23"].tolist() == pytest.approx([0.0, 10.0, 30.0])
    assert by_dep["87"].tolist() == pytest.approx([10.0, 30.0, 50.0])
    assert verify_plan(plan) == []


def test_target_month_moves_with_the_target_and_a_shortfall_is_explained() -> None:
    # 41 cannot be reached by February (at most 40): March.
    assert _two_by_two(target=41.0).trajectory.target_month == MAR
    # 81 is more than the 80 any placement reaches: a shortfall of 1.
    short = _two_by_two(target=81.0).trajectory
    assert short.target_month is None and short.shortfall == pytest.approx(1.0)
    closing = short.closing()
    assert closing["extra_months"] == 1  # March's pace, 40 a month
    assert closing["extra_advisors"] == {"p": 1}  # ceil(1 / (20 x 3))
    assert closing["rate_factor"] == pytest.approx(81.0 / 80.0)
    assert short.summary()["shortfall"] == pytest.approx(1.0)


def test_without_a_target_the_most_people_by_the_end() -> None:
    trajectory = _two_by_two(target=None).trajectory
    assert trajectory.people_total == pytest.approx(80.0)
    assert trajectory.target_month is None and trajectory.shortfall is None


def test_saturation_a_small_unit_stops_contributing_once_its_need_is_used_up() -> None:
    # One site of 10 people a month and one unit of need 15: 10, then 5, then nothing.
    demand = pd.DataFrame({"unit_id": ["small"], "need": [15.0]})
    reach = Reach.from_dense(["small"], ["big"], [[1]], max_distance=5)
    plan = staffing(
        demand,
        pd.DataFrame({"site_id": ["big"]}),
        reach,
        [Partner("p", 1, people_per_slot_month=10.0)],
        horizon=QUARTER,
        rollout=Rollout(JAN, QUARTER.until),
    )
    assert plan.trajectory.monthly().tolist() == pytest.approx([10.0, 5.0, 0.0])
    assert plan.trajectory.cumulative.tolist() == pytest.approx([10.0, 15.0, 15.0])
    # Next to a large unit, the small one still never gives more than its 15 people (units with
    # the same sites in reach are interchangeable in the model: people go to them by need).
    demand = pd.DataFrame({"unit_id": ["small", "large"], "need": [15.0, 1000.0]})
    reach = Reach.from_dense(demand["unit_id"], ["big"], [[1], [2]], max_distance=5)
    plan = staffing(
        demand,
        pd.DataFrame({"site_id": ["big"]}),
        reach,
        [Partner("p", 1, people_per_slot_month=100.0)],
        horizon=QUARTER,
        rollout=Rollout(JAN, QUARTER.until),
    )
    per_unit = plan.trajectory.people.groupby("unit_id")["people"].sum()
    assert per_unit["small"] <= 15.0 + 1e-6 and per_unit.sum() == pytest.approx(300.0)
    assert plan.trajectory.monthly().tolist() == pytest.approx([100.0, 100.0, 100.0])
    assert verify_plan(plan) == []


def test_repeat_visits_raise_the_saturation_bound() -> None:
    demand = pd.DataFrame({"unit_id": ["small"], "need": [15.0]})
    reach = Reach.from_dense(["small"], ["big"], [[1]], max_distance=5)
    plan = staffing(
        demand,
        pd.DataFrame({"site_id": ["big"]}),
        reach,
        [Partner("p", 1, people_per_slot_month=10.0)],
        horizon=QUARTER,
        rollout=Rollout(JAN, QUARTER.until, repeat_visits=2.0),
    )
    assert plan.trajectory.cumulative.tolist() == pytest.approx([10.0, 20.0, 30.0])
    assert verify_plan(plan) == []


def test_a_plan_without_rollout_is_the_static_plan() -> None:
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [30.0, 100.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"]})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[1, 9], [9, 1]], max_distance=5)
    team = [Partner("p", advisors=2, people_per_slot_month=20.0)]
    static = staffing(demand, sites, reach, team, horizon=QUARTER)
    phased = staffing(demand, sites, reach, team, horizon=QUARTER, rollout=Rollout(JAN, QUARTER.until))
    assert static.trajectory is None and static.summary()["trajectory"] is None
    assert static.served_need == phased.served_need
    pd.testing.assert_frame_equal(static.slots, phased.slots)
    # Everyone starting on day one without ramp: the static capacity, month by month.
    assert phased.trajectory.cumulative.tolist() == pytest.approx([40.0, 70.0, 90.0])


def test_factors_of_ramp_and_attrition_by_hand() -> None:
    team = [Partner("p", advisors=1)]
    months = dt.date(2022, 3, 31)

    def factor(**kw):
        rollout = Rollout(JAN, months, {"p": PartnerRollout(ramp=(0.5,), **kw)})
        return rollout.cohorts(team)[0].factor.tolist()

    assert factor() == [0.5, 1.0, 1.0]
    assert factor(attrition=0.1, replacement=False) == pytest.approx([0.5, 0.9, 0.81])
    # Replaced leavers ramp up again: month 2 = 0.9 x 1 + 0.1 x 0.5; month 3 = 0.81 + 0.09 + 0.1 x 0.5.
    assert factor(attrition=0.1, replacement=True) == pytest.approx([0.5, 0.95, 0.95])
    assert linear_ramp(3) == (0.25, 0.5, 0.75)
    assert len(month_starts(dt.date(2022, 1, 1), dt.date(2023, 12, 31))) == 24


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Rollout(JAN, QUARTER.until, {"p": PartnerRollout((Wave(dt.date(2022, 5, 1), 1),))}),
            "outside",
        ),
        (lambda: Rollout(JAN, QUARTER.until, ramp=(1.5,)), "ramp shares"),
        (lambda: PartnerRollout(attrition=1.0), "attrition"),
        (lambda: Rollout(JAN, QUARTER.until, repeat_visits=0), "repeat_visits"),
        (lambda: Rollout(JAN, QUARTER.until, {"q": PartnerRollout()}).cohorts([Partner("p", 1)]), "unknown"),
        (
            lambda: Rollout(JAN, QUARTER.until, {"p": PartnerRollout((Wave(JAN, 3),))}).cohorts(
                [Partner("p", 2)]
            ),
            "hold 3 advisors, more than its 2",
        ),
    ],
)
def test_bad_rollouts_are_named(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_the_verifier_catches_broken_trajectories() -> None:
    plan = _two_by_two(target=40.0)
    good = plan.trajectory
    assert verify_trajectory(good, plan.slots) == []

    def broken(**tables):
        return verify_trajectory(dataclasses.replace(good, **tables), plan.slots)

    people = good.people
    over = people.copy()
    over.loc[over["unit_id"] == "u1", "people"] += 5.0
    assert {v.check for v in broken(_people=over)} >= {"unit need over the horizon", "trajectory totals"}
    with language("fr"):  # each total named in French, "trajectory by partner" included
        totals = [translate_text(str(v)) for v in broken(_people=over) if v.check == "trajectory totals"]
    by_partner = "totaux de la trajectoire: trajectoire par partenaire: le mois "
    assert any(line.startswith(by_partner) for line in totals), totals
    assert not any("trajectory" in line for line in totals), totals
    falling = people.copy()
    falling.loc[0, "people"] = -1.0
    assert "cumulative never falls" in {v.check for v in broken(_people=falling)}
    sites = good.sites
    sites.loc[0, "people"] = sites.loc[0, "capacity"] + 7.0
    assert "capacity per period" in {v.check for v in broken(_sites=sites)}
    cohorts = good.cohorts
    cohorts["slots"] = 2
    found = {v.check for v in broken(_cohorts=cohorts)}
    assert "wave slots" in found and "capacity per period" in found


def test_trajectory_tables_add_up() -> None:
    trajectory = _two_by_two(target=40.0).trajectory
    long = trajectory.long_table()
    assert set(long["level"]) == {"total", "partner", "department", "zone"}
    for level, rows in long.groupby("level"):
        ends = rows[rows["month"] == "2022-03"]["cumulative"].sum()
        assert math.isclose(ends, 80.0), level
    assert np.all(np.diff(trajectory.cumulative) >= 0)
