"""The verifier's list of broken constraints in French: every line, with its ids and figures kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from coverage.cli.main import EXIT_PLANNING_FAILED, main
from coverage.data.i18n import language
from coverage.data.i18n.errors import frame_error
from coverage.errors import PlanVerificationError
from coverage.inputs.rules import DepartmentRules
from coverage.plan.verify import check_plan
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario

NNBSP = "\u202f"


@pytest.fixture(scope="module")
def broken() -> tuple[str, PlanVerificationError]:
    """A real demo plan whose record asks what its tables do not hold: the verifier names each breach."""
    plan = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"])).plan
    closed = str(plan.sites["site_id"].iloc[0])
    limits = dataclasses.replace(
        plan.constraints,
        forced=("mairie:00000",),
        closed=(closed,),
        max_sites=3,
        target=1e9,
        rules=DepartmentRules(min_sites={"23": 40}),
    )
    with pytest.raises(PlanVerificationError) as info:
        check_plan(dataclasses.replace(plan, constraints=limits))
    return closed, info.value


def test_each_broken_constraint_reads_in_french_with_its_ids_and_figures(
    broken: tuple[str, PlanVerificationError],
) -> None:
    closed, error = broken
    english = str(error)
    with language("fr"):
        french = frame_error(english)
    lines = french.splitlines()
    # the count after a colon: "1 contraintes" would be wrong French, and the catalogue has no plurals
    assert lines[0] == f"contraintes de son modèle que le plan enfreint : {len(error.violations)}"
    assert "  nombre de lieux: lieux ouverts: lieux ouverts 5, au-dessus de la limite 3" in lines
    assert "  lieux imposés: mairie:00000: imposé ouvert mais fermé" in lines
    assert f"  lieux fermés: {closed}: fermé par le scénario mais ouvert" in lines
    target = [line for line in lines if line.startswith("  cible: besoin servi: besoin servi ")]
    assert len(target) == 1 and target[0].endswith(f"en dessous du minimum 1{NNBSP}000{NNBSP}000{NNBSP}000")
    assert (
        "  minimum de lieux par département: département 23: lieux ouverts 1, en dessous du minimum 40"
        in lines
    )
    # English stays as made: the same lines, the same ids and figures
    assert "  site count: open sites: open sites 5, above the limit 3" in english.splitlines()
    assert "  forced sites: mairie:00000: forced open but closed" in english.splitlines()
    assert "1,000,000,000" in english and "e+" not in english
    assert len(lines) == len(english.splitlines())


def test_the_cli_lists_the_broken_constraints_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import coverage.scenario.run as scenario_run

    solve = scenario_run._solve

    def with_a_broken_record(*args, **kwargs):
        plan = solve(*args, **kwargs)
        limits = dataclasses.replace(plan.constraints, forced=("not-opened",), max_sites=3)
        return dataclasses.replace(plan, constraints=limits)

    monkeypatch.setattr(scenario_run, "_solve", with_a_broken_record)
    out = tmp_path / "run"
    assert main(["--lang", "fr", "run", "demo", "--out", str(out), "--no-map"]) == EXIT_PLANNING_FAILED
    err = capsys.readouterr().err
    assert "échec de la planification : le plan résolu enfreint des contraintes de son modèle (2)" in err
    assert "  nombre de lieux: lieux ouverts: lieux ouverts 12, au-dessus de la limite 3" in err
    assert "  lieux imposés: not-opened: imposé ouvert mais fermé" in err
    assert not out.exists() or not any(out.iterdir())


def test_a_broken_rollout_trajectory_reads_in_french() -> None:
    """A real rollout plan whose trajectory tables were edited: the rollout checks in French too."""
    import datetime as dt

    import pandas as pd

    from coverage import Reach, staffing
    from coverage.inputs.partners import Horizon, Partner
    from coverage.inputs.rollout import Rollout

    demand = pd.DataFrame({"unit_id": ["u1"], "need": [25.0]})
    sites = pd.DataFrame({"site_id": ["s1"]})
    reach = Reach.from_dense(["u1"], ["s1"], [[1]], max_distance=5)
    horizon = Horizon(dt.date(2022, 1, 1), dt.date(2022, 3, 31))
    partners = [Partner("p", 1, people_per_slot_month=10.0)]
    plan = staffing(
        demand, sites, reach, partners, horizon=horizon, rollout=Rollout(horizon.start, horizon.until)
    )
    people = plan.trajectory.people.copy()
    people.loc[0, "people"] = -1.5
    cohorts = plan.trajectory.cohorts.copy()
    cohorts["slots"] = 2
    trajectory = dataclasses.replace(plan.trajectory, _people=people, _cohorts=cohorts)
    with pytest.raises(PlanVerificationError) as info:
        check_plan(dataclasses.replace(plan, trajectory=trajectory))
    with language("fr"):
        lines = frame_error(str(info.value)).splitlines()
    assert "  le cumul ne baisse jamais: u1: -1,5 personnes au mois 1, en dessous de 0" in lines
    assert "  créneaux des vagues: p à s1 : les vagues placent 2 créneaux, le plan lui en donne 1" in lines
    capacity = [
        line for line in lines if line.startswith("  capacité par période: p à s1, mois 1 : capacité ")
    ]
    assert capacity and capacity[0].endswith("mais ses vagues servent 20")
    assert not [line for line in lines[1:] if " people" in line or "slots" in line]  # no English left
