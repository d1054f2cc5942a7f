"""Model behaviour on hand-checked instances: results, edge cases, determinism, time limits, staffing.

Small hand-made instances (model_inputs.py); bad arguments and explained
infeasibility live in test_model.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coverage.errors import InfeasibleScenarioError
from coverage.inputs.partners import Partner, Sharing
from coverage.models.location import SolverOptions, maximal_coverage, p_center, p_median, set_cover
from coverage.reach.pairs import Reach
from coverage.reach.rules import Decay
from model_inputs import INF, SOLVERS, dense, frames, line_instance


@pytest.fixture()
def line():
    """Three units and three sites on a line; radius 5: s0 reaches u0, s1 reaches u0-u1, s2 reaches u2."""
    return line_instance()


# -- results on hand-checked instances -------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_maximal_coverage_hand_checked(solver, line):
    demand, sites, reach = line
    plan = maximal_coverage(demand, sites, reach, max_sites=1, options=SolverOptions(solver=solver))
    # s1 covers u0 + u1 = 30, s2 covers u2 = 30: a tie; either way 30.
    assert plan.objective == pytest.approx(30)
    plan = maximal_coverage(demand, sites, reach, max_sites=2, options=SolverOptions(solver=solver))
    assert plan.open_site_ids == ("s1", "s2")
    assert plan.objective == pytest.approx(60)
    assert plan.served_share == pytest.approx(1.0)
    plan = maximal_coverage(demand, sites, reach, max_sites=2, budget=3, options=SolverOptions(solver=solver))
    # Costs 1, 2, 3 and budget 3: s1, s2 or s0 + s1 each cover 30; s1 + s2 (60) costs 5.
    assert plan.open_site_ids in {("s1",), ("s2",), ("s0", "s1")}
    assert plan.objective == pytest.approx(30)
    plan = maximal_coverage(demand, sites, reach, max_sites=2, budget=5, options=SolverOptions(solver=solver))
    assert plan.objective == pytest.approx(60)


@pytest.mark.parametrize("solver", SOLVERS)
def test_maximal_coverage_with_decay_counts_partial_coverage(solver):
    demand, sites = frames([100, 100], ["s0", "s1"])
    reach = dense(demand, sites, [[0, 5], [5, INF]], radius=10).with_decay(Decay("linear", scale=10))
    plan = maximal_coverage(demand, sites, reach, max_sites=1, options=SolverOptions(solver=solver))
    # s0: 100 x 1 + 100 x 0.5 = 150; s1: 100 x 0.5 = 50.
    assert plan.open_site_ids == ("s0",)
    assert plan.objective == pytest.approx(150)
    assert plan.units.set_index("unit_id").loc[["u0", "u1"], "served"].tolist() == pytest.approx([100, 50])


# -- edge cases: empty objectives, padding to p, decay cover, sharing, unsolved ---------


@pytest.mark.parametrize("solver", SOLVERS)
def test_empty_objective_is_zero(solver):
    """No unit with need in reach: the optimum is 0, not None."""
    demand, sites = frames([0, 5], ["s0", "s1"])
    reach = dense(demand, sites, [[1, 1], [INF, INF]])
    plan = maximal_coverage(demand, sites, reach, max_sites=1, options=SolverOptions(solver=solver))
    assert plan.status == "optimal"
    assert plan.objective == 0.0
    assert plan.bound == 0.0
    assert plan.gap == 0.0
    cover = set_cover(demand.assign(need=[0, 0]), sites, reach, options=SolverOptions(solver=solver))
    assert cover.objective == 0.0
    assert cover.open_site_ids == ()


@pytest.mark.parametrize("model", [p_median, p_center])
def test_p_sites_open_even_when_fewer_reach_need(model):
    """Exactly p sites are asked for; a site that serves nobody may still be one of them."""
    demand, sites = frames([5, 0], ["s0", "s1", "s2"])
    reach = dense(demand, sites, [[2, INF, INF], [1, 1, 1]])
    plan = model(demand, sites, reach, p=2)
    assert plan.status == "optimal"
    assert len(plan.open_site_ids) == 2
    assert "s0" in plan.open_site_ids
    assert plan.objective == pytest.approx(10 if model is p_median else 2)


@pytest.mark.parametrize("solver", SOLVERS)
def test_set_cover_with_decay_covers_every_unit(solver):
    """With a distance decay, set cover must still open a site in reach of every unit with need."""
    demand, sites = frames([5, 3], ["s0", "s1"])
    reach = dense(demand, sites, [[1, INF], [INF, 2]]).with_decay(Decay("linear", scale=10))
    plan = set_cover(demand, sites, reach, options=SolverOptions(solver=solver))
    assert plan.objective == pytest.approx(2)
    assert plan.open_site_ids == ("s0", "s1")
    assert plan.units["reached"].all()


# -- determinism and time limits -------------------------------------------------


def random_instance(seed: int, n: int = 3000, m: int = 400, radius: float = 4000.0):
    rng = np.random.default_rng(seed)
    units = [f"u{i}" for i in range(n)]
    site_ids = [f"s{j}" for j in range(m)]
    reach = Reach.from_points(
        units, rng.uniform(0, 50_000, (n, 2)), site_ids, rng.uniform(0, 50_000, (m, 2)), radius=radius
    )
    demand = pd.DataFrame({"unit_id": units, "need": rng.integers(1, 100, n).astype(float)})
    return demand, pd.DataFrame({"site_id": site_ids}), reach


@pytest.mark.parametrize("solver", SOLVERS)
def test_solving_twice_gives_the_same_plan(solver):
    demand, sites, reach = random_instance(3, n=400, m=60, radius=6000)
    # Ties on purpose: every site twice (same reach).
    twin = pd.DataFrame({"site_id": [*sites["site_id"], *[f"{s}b" for s in sites["site_id"]]]})
    doubled = Reach.from_arrays(
        reach.demand_ids,
        twin["site_id"],
        np.r_[reach.rows, reach.rows],
        np.r_[reach.cols, reach.cols + len(sites)],
        np.r_[reach.dist, reach.dist],
    )
    options = SolverOptions(solver=solver)
    first = maximal_coverage(demand, twin, doubled, max_sites=8, options=options)
    second = maximal_coverage(demand, twin, doubled, max_sites=8, options=options)
    assert first.open_site_ids == second.open_site_ids
    assert first.objective == second.objective
    assert first.units["served"].tolist() == second.units["served"].tolist()
    median_a = p_median(
        demand.iloc[:80],
        sites,
        Reach.from_dense(
            demand["unit_id"][:80],
            sites["site_id"],
            np.where(reach.matrix("dist").toarray()[:80] > 0, reach.matrix("dist").toarray()[:80], 1e6),
        ),
        p=5,
        options=options,
    )
    median_b = p_median(
        demand.iloc[:80],
        sites,
        Reach.from_dense(
            demand["unit_id"][:80],
            sites["site_id"],
            np.where(reach.matrix("dist").toarray()[:80] > 0, reach.matrix("dist").toarray()[:80], 1e6),
        ),
        p=5,
        options=options,
    )
    assert median_a.open_site_ids == median_b.open_site_ids
    assert median_a.objective == median_b.objective


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limited_solve_reports_an_honest_status(solver):
    demand, sites, reach = random_instance(7)
    plan = maximal_coverage(
        demand, sites, reach, max_sites=40, options=SolverOptions(solver=solver, time_limit=0.5)
    )
    assert plan.status in ("optimal", "feasible")
    assert plan.objective is not None
    assert plan.served_need == pytest.approx(plan.objective)
    assert len(plan.open_site_ids) <= 40
    if plan.status == "feasible":
        assert plan.bound is not None
        assert plan.bound >= plan.objective - 1e-6  # maximisation: the bound lies above
        assert plan.gap == pytest.approx((plan.bound - plan.objective) / plan.objective)
    else:
        assert plan.gap == 0.0
    assert plan.solve_seconds < 30


@pytest.mark.parametrize("solver", SOLVERS)
def test_tiny_time_limit_never_raises_infeasible(solver):
    """Running out of time is not infeasibility: a plan comes back with an honest status."""
    demand, sites, reach = random_instance(7)
    plan = maximal_coverage(
        demand, sites, reach, max_sites=40, options=SolverOptions(solver=solver, time_limit=0.01)
    )
    assert plan.status in ("optimal", "feasible", "not_solved")
    if plan.status in ("optimal", "feasible"):
        assert plan.bound is None or plan.bound >= plan.objective - 1e-6


# -- staffing ---------------------------------------------------------------------


@pytest.fixture()
def staffed():
    demand, sites = frames(
        [50, 30, 0], ["s0", "s1", "s2"], owner=["poste", "sos", "mairie"], capacity=[1, 2, 1]
    )
    reach = dense(demand, sites, [[1, 5, INF], [INF, 2, INF], [INF, INF, 1]])
    return demand, sites, reach


def test_staffing_serves_what_the_slots_allow(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    poste = Partner("poste", advisors=1, people_per_slot_month=10)
    plan = staffing(demand, sites, reach, [poste], months=2)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(20)
    assert plan.served_need == pytest.approx(20)
    assert plan.open_site_ids == ("s0",)
    assert plan.slots.to_dict("records") == [{"site_id": "s0", "partner": "poste", "slots": 1}]
    # With sharing, poste may also work at sos premises (capacity 2) and serve u0 and u1 there.
    shared = staffing(
        demand,
        sites,
        reach,
        [Partner("poste", advisors=3, people_per_slot_month=10)],
        sharing=Sharing.from_pairs([("poste", "sos")]),
        months=2,
    )
    assert shared.objective == pytest.approx(60)
    assert set(shared.slots["site_id"]) == {"s0", "s1"}


def test_staffing_reports_a_maximisation(staffed):
    """max_served reports need served (first objective): its sense is 'max', not the tie-break's 'min'."""
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    plan = staffing(demand, sites, reach, [Partner("poste", advisors=1, people_per_slot_month=10)], months=2)
    assert plan.sense == "max"


def test_staffing_min_advisors(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    partners = [Partner("poste", advisors=3, people_per_slot_month=10)]
    plan = staffing(
        demand,
        sites,
        reach,
        partners,
        sharing=Sharing.from_pairs([("poste", "sos")]),
        months=2,
        objective="min_advisors",
        target=35,
    )
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(2)
    assert plan.served_need >= 35 - 1e-6


def test_staffing_without_need_in_reach_serves_nobody(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    plan = staffing(demand.assign(need=0.0), sites, reach, [Partner("poste", advisors=1)], months=1)
    assert plan.status == "optimal"
    assert plan.served_need == 0
    assert plan.objective == 0.0


def test_sharing_may_name_an_owner_without_need(staffed):
    """The town hall's site reaches nobody with need; naming its owner in the sharing matrix is fine."""
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    plan = staffing(
        demand,
        sites,
        reach,
        [Partner("poste", advisors=1, people_per_slot_month=10)],
        sharing=Sharing.from_pairs([("poste", "mairie")]),
        months=2,
    )
    assert plan.objective == pytest.approx(20)


def test_sharing_with_an_unknown_partner_is_refused(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    with pytest.raises(ValueError, match="unknown partners: croix-rouge"):
        staffing(
            demand,
            sites,
            reach,
            [Partner("poste", advisors=1)],
            sharing=Sharing.from_pairs([("poste", "croix-rouge")]),
        )


def test_staffing_forced_site_nobody_may_staff(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    with pytest.raises(InfeasibleScenarioError, match=r"forced sites: no partner may staff s1"):
        staffing(demand, sites, reach, [Partner("poste", advisors=2)], forced=["s1"])


def test_staffing_target_above_slots_is_explained(staffed):
    from coverage.models.staffing import staffing

    demand, sites, reach = staffed
    with pytest.raises(InfeasibleScenarioError, match=r"target: 70 .* at most 20 in 2 months"):
        staffing(
            demand,
            sites,
            reach,
            [Partner("poste", advisors=1, people_per_slot_month=10)],
            months=2,
            objective="min_advisors",
            target=70,
        )
