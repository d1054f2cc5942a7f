"""What binds a scenario and what one more unit of each resource buys, checked by solving again by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.scenario.loading import load_scenario
from coverage.scenario.marginal import what_binds
from coverage.scenario.run import run_scenario, shipped_scenario

OFFICES = """
name = "offices"

[territory]
departments = ["23"]

[sites.mairie]
source = "town_halls"
partner = "mairie"
capacity = 2
shortlist = 3

[partners.mairie]
advisors = 1
slots_per_advisor = 4
people_per_slot_month = 40.0
max_slots_per_site = 1

[access]
rule = "zone_radius"

[objective]
model = "staffing"

[horizon]
start = 2022-01-01
until = 2023-12-31
"""


def _run(tmp_path: Path, overrides: tuple[str, ...] = ()):
    path = tmp_path / "offices.toml"
    path.write_text(OFFICES, encoding="utf-8")
    return run_scenario(load_scenario(path, overrides=overrides))


def _marginal(found, resource, subject=""):
    return next(m for m in found.marginal if m.resource == resource and m.subject == subject)


def test_a_rotating_advisor_is_held_by_its_three_offices(tmp_path: Path) -> None:
    """4 slots, one per office, 3 offices: a second advisor adds nothing; 2 slots per office add one."""
    run = _run(tmp_path)
    assert run.plan.served_need == pytest.approx(3 * 40 * 24)
    found = what_binds(run)
    assert {(b.group, b.subject) for b in found.tight} >= {("partner site room", "mairie")}
    advisor = _marginal(found, "one more advisor", "mairie")
    assert advisor.gain == pytest.approx(0.0, abs=1e-6) and advisor.exact
    assert advisor.reason.startswith("the sites bind, not the advisors: mairie: 3 slots staffed")
    slot = _marginal(found, "one more slot per site")
    assert slot.gain == pytest.approx(40 * 24)  # the advisor's 4th slot finds an office
    assert slot.after == pytest.approx(4 * 40 * 24)
    # The same figures by hand: the scenario solved again with the change.
    by_hand = _run(tmp_path, ("partners.mairie.advisors=2",))
    assert by_hand.plan.served_need == pytest.approx(advisor.after)


def test_advisors_bind_when_sites_are_plenty(tmp_path: Path) -> None:
    run = _run(tmp_path, ("partners.mairie.slots_per_advisor=1", "sites.mairie.shortlist=5"))
    found = what_binds(run)
    advisor = _marginal(found, "one more advisor", "mairie")
    assert advisor.gain == pytest.approx(40 * 24)
    radius = _marginal(found, "1 km more radius")
    assert radius.gain == pytest.approx(0.0, abs=1e-6)
    assert radius.reason == "the advisors bind: every slot of mairie is staffed"
    assert advisor.line() == "one more advisor (mairie): +960 people served (re-solve, exact)"


def test_the_demo_site_count_and_radius_against_solves_by_hand() -> None:
    demo = shipped_scenario("demo")
    run = run_scenario(load_scenario(demo))
    found = what_binds(run)
    assert [b.group for b in found.tight] == ["site count"]
    more = run_scenario(load_scenario(demo, overrides=["objective.max_sites=13"]))
    assert _marginal(found, "one more site").gain == pytest.approx(more.plan.objective - run.plan.objective)
    wider = run_scenario(
        load_scenario(demo, overrides=["access.qpv=2000.0", "access.urban=6000.0", "access.rural=16000.0"])
    )
    radius = _marginal(found, "1 km more radius")
    assert radius.gain == pytest.approx(wider.plan.objective - run.plan.objective)
    assert radius.gain > 0


def test_without_marginal_values_only_the_tables_are_read() -> None:
    run = run_scenario(load_scenario(shipped_scenario("demo")))
    found = what_binds(run, marginal=False)
    assert found.marginal == () and found.note == "marginal values not measured"
    assert found.to_dict()["tight"] == ["site count: 12 of at most 12 sites open"]
