"""What binds a plan, read from its tables: hand-checked instances."""

from __future__ import annotations

import pytest

from coverage import maximal_coverage, staffing
from coverage.inputs.partners import Partner, Sharing
from coverage.plan.binding import binding_constraints
from model_inputs import dense, frames


def by_group(plan, candidates=None):
    return {(b.group, b.subject): b for b in binding_constraints(plan, candidates)}


def test_rotating_advisors_are_held_by_the_offices_not_their_number():
    """One advisor rotates over 4 slots, at most one per office, but only 3 offices: the offices bind.

    Three units of need 1,000 each, one office each within reach; 10 people a slot-month, 12 months.
    """
    demand, sites = frames([1000, 1000, 1000], ["o1", "o2", "o3"], owner=["poste"] * 3, capacity=[2, 2, 2])
    reach = dense(demand, sites, [[1, 99, 99], [99, 1, 99], [99, 99, 1]], radius=10)
    rotating = Partner(
        "poste", advisors=1, slots_per_advisor=4, people_per_slot_month=10.0, max_slots_per_site=1
    )
    plan = staffing(demand, sites, reach, [rotating], months=12)
    found = by_group(plan, sites)
    advisors = found[("partner advisors", "poste")]
    assert (advisors.used, advisors.limit, advisors.tight) == (3, 4, False)
    room = found[("partner site room", "poste")]
    assert (room.used, room.limit, room.tight) == (3, 3, True)
    assert (
        "the 3 candidate sites it may staff hold 3 of its slots (site capacity, at most 1 each)"
        in room.detail
    )
    reach_row = found[("need within reach", "all units")]
    assert (reach_row.used, reach_row.limit, reach_row.tight) == (360, 3000, False)  # 3 slots x 10 x 12
    # Each office holds 1 of its 2 slots: none is at capacity.
    assert found[("site capacity", "all sites")].tight is False
    assert found[("serving capacity", "all sites")].tight is True


def test_site_room_counts_only_premises_the_sharing_matrix_allows():
    demand, sites = frames([500, 500], ["p1", "c1"], owner=["poste", "croix"])
    reach = dense(demand, sites, [[1, 99], [99, 1]], radius=10)
    partners = [Partner("croix", advisors=3, people_per_slot_month=1.0)]
    alone = staffing(demand, sites, reach, partners, months=1)
    shared = staffing(
        demand, sites, reach, partners, months=1, sharing=Sharing({"croix": frozenset({"poste"})})
    )
    assert by_group(alone, sites)[("partner site room", "croix")].limit == 1
    assert by_group(shared, sites)[("partner site room", "croix")].limit == 2
    # Closed sites hold no slot.
    closed = staffing(
        demand,
        sites,
        reach,
        partners,
        months=1,
        sharing=Sharing({"croix": frozenset({"poste"})}),
        closed=["p1"],
    )
    assert by_group(closed, sites)[("partner site room", "croix")].limit == 1


def test_every_reached_person_served_means_reach_binds():
    demand, sites = frames([30, 20], ["s1", "s2"])
    reach = dense(demand, sites, [[1, 99], [99, 1]], radius=10)
    plan = staffing(
        demand, sites, reach, [Partner("poste", advisors=5, people_per_slot_month=100.0)], months=1
    )
    found = by_group(plan)
    assert found[("need within reach", "all units")].tight
    assert not found[("partner advisors", "poste")].tight  # 2 of 5 advisors are enough
    assert ("partner site room", "poste") not in found  # needs the candidates


def test_coverage_site_count_and_budget():
    demand, sites = frames([10, 20, 30], ["s0", "s1", "s2"], cost=[1, 2, 3])
    reach = dense(demand, sites, [[0, 4, 20], [9, 1, 12], [20, 11, 2]], radius=5)
    counted = by_group(maximal_coverage(demand, sites, reach, max_sites=2))
    assert counted[("site count", "open sites")].tight
    assert ("budget", "open sites") not in counted
    budgeted = by_group(maximal_coverage(demand, sites, reach, max_sites=3, budget=4))
    budget = budgeted[("budget", "open sites")]
    assert budget.limit == 4 and budget.used == pytest.approx(4)  # s0 + s2 cover 40: cost 1 + 3
    assert budget.tight and not budgeted[("site count", "open sites")].tight
