"""The plan verifier: it passes solved plans and names every constraint a broken table breaks.

The instance is worked out by hand. One La Poste office ``s1`` (capacity 2) and
one Croix-Rouge site ``s2`` (capacity 1); one advisor each; La Poste's slot serves
10 people a month, Croix-Rouge's 40; Croix-Rouge may work in La Poste's premises.
Unit ``u1`` (need 1,000) reaches ``s1`` only. Over 12 months the best plan puts both
advisors at ``s1``: 120 + 480 = 600 people served there, attributed by serving
capacity 10 : 40, i.e. 120 to La Poste and 480 to Croix-Rouge.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from coverage import Reach, staffing
from coverage.data.i18n import language
from coverage.data.i18n.errors import frame_error
from coverage.errors import InfeasibleScenarioError, PlanVerificationError
from coverage.inputs.partners import Partner, Sharing
from coverage.plan.verify import check_plan, verify_plan

PARTNERS = [
    Partner("laposte", advisors=1, people_per_slot_month=10.0),
    Partner("croix_rouge", advisors=1, people_per_slot_month=40.0),
]
SHARING = Sharing.from_pairs([("croix_rouge", "laposte")])


@pytest.fixture(scope="module")
def plan():
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [1000.0, 0.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "partner": ["laposte", "croix_rouge"], "capacity": [2, 1]})
    reach = Reach.from_dense(
        demand["unit_id"], sites["site_id"], [[100, 9000], [9000, 100]], max_distance=5000
    )
    return staffing(demand, sites, reach, PARTNERS, sharing=SHARING, months=12)


def test_partner_attribution_by_serving_capacity(plan):
    assert plan.open_site_ids == ("s1",)
    site = plan.sites.set_index("site_id").loc["s1"]
    assert site["served"] == pytest.approx(600)
    assert site["people_capacity"] == pytest.approx(600)
    assert site["served_laposte"] == pytest.approx(120) and site["served_croix_rouge"] == pytest.approx(480)
    kpi = plan.kpis("partner").set_index("partner")
    assert kpi.loc["laposte", "need_served"] == pytest.approx(120)
    assert kpi.loc["croix_rouge", "need_served"] == pytest.approx(480)
    assert kpi.loc["laposte", "need_served_at_premises"] == pytest.approx(600)
    assert kpi.loc["croix_rouge", "need_served_at_premises"] == 0
    assert (kpi["need_served"] <= kpi["people_capacity"] + 1e-6).all()
    flows = plan.flows
    assert flows[["unit_id", "site_id"]].values.tolist() == [["u1", "s1"]]
    assert flows["served"].tolist() == pytest.approx([600])


def test_a_solved_plan_passes(plan):
    assert verify_plan(plan) == []
    assert check_plan(plan) is plan


def broken(plan, **tables):
    return dataclasses.replace(plan, **{f"_{k}": v for k, v in tables.items()})


def checks(plan):
    return {(v.check, v.subject) for v in verify_plan(plan)}


def test_partner_over_budget_is_named(plan):
    slots = plan.slots
    slots.loc[slots["partner"] == "laposte", "slots"] = 2
    assert ("partner budget", "laposte") in checks(broken(plan, slots=slots))


def test_site_over_capacity_is_named(plan):
    sites = plan.sites
    sites["capacity"] = 1
    found = verify_plan(broken(plan, sites=sites))
    assert [(v.check, v.subject, v.value, v.limit) for v in found] == [("site capacity", "s1", 2.0, 1.0)]
    assert "s1: slots 2, above the limit 1" in str(found[0])


def test_sharing_breach_is_named(plan):
    strict = dataclasses.replace(
        plan, constraints=dataclasses.replace(plan.constraints, sharing=Sharing.none())
    )
    found = verify_plan(strict)
    assert [(v.check, v.subject) for v in found] == [("sharing", "croix_rouge at site s1")]
    assert "premises of laposte" in found[0].message


def test_a_breach_at_a_site_reads_in_french_subject_included(plan):
    slots = plan.slots
    slots.loc[slots["partner"] == "laposte", "slots"] = 2
    capped = (dataclasses.replace(PARTNERS[0], max_slots_per_site=1), PARTNERS[1])
    with pytest.raises(PlanVerificationError) as info:
        check_plan(dataclasses.replace(broken(plan, slots=slots), partners=capped))
    assert ("slots per site", "laposte at site s1") in {(v.check, v.subject) for v in info.value.violations}
    with language("fr"):
        lines = frame_error(str(info.value)).splitlines()
    per_site = [line for line in lines if "laposte au lieu s1" in line]
    assert len(per_site) == 1, lines
    assert per_site[0].endswith(": laposte au lieu s1: créneaux 2, au-dessus de la limite 1"), per_site
    assert not any(" at " in line for line in lines), lines


def test_served_above_need_and_capacity_is_named(plan):
    units = plan.units
    units.loc[units["unit_id"] == "u1", "served"] = 1200.0
    sites = plan.sites
    sites["served"] = 1200.0
    found = checks(broken(plan, units=units, sites=sites))
    assert ("unit need", "u1") in found
    assert ("site serving capacity", "s1") in found
    assert ("site table", "s1") in found and ("unit table", "u1") in found  # flows still say 600


def test_model_limits_are_named(plan):
    limits = dataclasses.replace(plan.constraints, forced=("s2",), max_sites=0, target=700.0)
    found = checks(dataclasses.replace(plan, constraints=limits))
    assert found == {("forced sites", "s2"), ("site count", "open sites"), ("target", "need served")}


def test_kpi_totals_must_match_the_tables(plan):
    sites = plan.sites
    sites["served_laposte"] = 0.0  # partner attribution no longer sums to the served need
    assert ("KPI totals", "kpis_partner.need_served") in checks(broken(plan, sites=sites))


def test_check_plan_raises_with_the_violations(plan):
    slots = plan.slots
    slots["slots"] = 5
    with pytest.raises(PlanVerificationError, match="partner budget: laposte: slots staffed 5") as info:
        check_plan(broken(plan, slots=slots))
    assert len(info.value.violations) >= 2


def test_a_partner_minimum_keeps_the_slower_partner_in_a_fewest_advisors_plan():
    """With 480 people to serve, Croix-Rouge's one slot (480 a year) suffices alone; a
    La Poste minimum of one advisor keeps La Poste's slot too, and the verifier checks it."""
    demand = pd.DataFrame({"unit_id": ["u1"], "need": [1000.0]})
    sites = pd.DataFrame({"site_id": ["s1"], "partner": ["laposte"], "capacity": [2]})
    reach = Reach.from_dense(demand["unit_id"], sites["site_id"], [[100]], max_distance=5000)
    free = staffing(
        demand, sites, reach, PARTNERS, sharing=SHARING, months=12, objective="min_advisors", target=480
    )
    assert free.slots["partner"].tolist() == ["croix_rouge"]
    kept = [dataclasses.replace(PARTNERS[0], min_advisors=1), PARTNERS[1]]
    plan = staffing(
        demand, sites, reach, kept, sharing=SHARING, months=12, objective="min_advisors", target=480
    )
    assert sorted(plan.slots["partner"]) == ["croix_rouge", "laposte"] or plan.slots["partner"].tolist() == [
        "laposte"
    ]
    assert "laposte" in set(plan.slots["partner"]) and verify_plan(plan) == []
    assert ("partner minimum advisors", "laposte") in checks(dataclasses.replace(free, partners=tuple(kept)))


def test_a_partner_minimum_of_sites_spreads_its_slots():
    """u1 (need 1,000) is reached by s1 only (2 slots), u2 (need 10) by s2 only: the most need served
    puts both slots at s1 (80 people a month); keeping two sites costs 30 of them (40 + 10)."""
    demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [1000.0, 10.0]})
    sites = pd.DataFrame({"site_id": ["s1", "s2"], "capacity": [2, 1]})
    reach = Reach.from_dense(
        demand["unit_id"], sites["site_id"], [[100, 9000], [9000, 100]], max_distance=5000
    )
    poste = Partner("laposte", advisors=2, people_per_slot_month=40.0)
    packed = staffing(demand, sites, reach, [poste], months=1)
    assert packed.served_need == pytest.approx(80) and packed.open_site_ids == ("s1",)
    spread = staffing(demand, sites, reach, [dataclasses.replace(poste, min_sites=2)], months=1)
    assert spread.served_need == pytest.approx(50) and sorted(spread.open_site_ids) == ["s1", "s2"]
    assert verify_plan(spread) == []
    kept = dataclasses.replace(packed, partners=(dataclasses.replace(poste, min_sites=2),))
    assert ("partner minimum sites", "laposte") in checks(kept)
    with pytest.raises(InfeasibleScenarioError, match="laposte must staff at least 2 sites but may staff 1"):
        staffing(demand, sites, reach, [dataclasses.replace(poste, min_sites=2)], months=1, closed=["s2"])


def test_a_partner_minimum_of_sites_is_at_most_its_slots():
    with pytest.raises(ValueError, match="min_sites must be between 0 and its 2 slots"):
        Partner("laposte", advisors=2, min_sites=3)
