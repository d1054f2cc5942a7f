"""The ``[rollout]`` table end to end: keys, runs, output files, compare, CLI, batches, founding case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from coverage.batch.grid import cases_from_mapping, validate_cases
from coverage.batch.report import summary_frame
from coverage.batch.run import run_case
from coverage.cli import main
from coverage.errors import ScenarioError
from coverage.plan.verify import verify_plan
from coverage.scenario.compare import compare_runs
from coverage.scenario.loading import load_scenario
from coverage.scenario.output import read_run, write_run
from coverage.scenario.run import run_scenario, shipped_scenario

# Creuse's town halls, 4 advisors of 40 people a month: 2 start in January, 2 in April, each
# at 1/3 then 2/3 of the rate in their first two months (ramp_months = 2). By hand, per month:
# January 80/3, February 160/3, March 80, April 80 + 80/3, May 80 + 160/3, then 160 a month:
# 26.67 + 53.33 + 80 + 106.67 + 133.33 = 400 by May, + 7 x 160 = 1,520 by December
# (Creuse's need within 10 km of four town halls is far larger: the slots are the limit).
ROLLOUT = """\
name = "rollout-creuse"

[territory]
departments = ["23"]

[sites.mairie]
source = "town_halls"

[partners.mairie]
advisors = 4
people_per_slot_month = 40.0

[objective]
model = "staffing"

[horizon]
start = 2022-01-01
until = 2022-12-31
target = 1500.0

[rollout]
ramp_months = 2

[rollout.partners.mairie.waves.first]
start = "2022-01"
advisors = 2

[rollout.partners.mairie.waves.second]
start = 2022-04-01
advisors = 2
"""
BY_HAND = [80 / 3, 80.0, 160.0, 160 + 320 / 3, 400.0] + [400.0 + 160 * k for k in range(1, 8)]


def _scenario(tmp_path: Path, text: str = ROLLOUT, overrides: tuple[str, ...] = ()):
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, overrides=overrides)


def test_rollout_table_becomes_waves_and_a_ramp(tmp_path: Path) -> None:
    rollout = _scenario(tmp_path).to_rollout()
    assert rollout.n_months == 12 and rollout.ramp == pytest.approx((1 / 3, 2 / 3))
    waves = rollout.partners["mairie"].waves
    assert [(w.name, w.start, w.advisors) for w in waves] == [
        ("first", dt.date(2022, 1, 1), 2),
        ("second", dt.date(2022, 4, 1), 2),
    ]
    assert load_scenario(shipped_scenario("demo")).to_rollout() is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ('rollout.partners.mairie.waves.second.start="2023-02"', "outside the horizon 2022-01 to 2022-12"),
        ("rollout.partners.mairie.waves.second.advisors=3", "the waves hold 5 advisors, more than the 4"),
        ("rollout.partners.poste.attrition=0.1", "unknown partner `poste`"),
        ("rollout.ramp=[0.5]", "not both"),
        ('rollout.partners.mairie.waves.first.start="january"', "not a month"),
        ("rollout.partners.mairie.waves.first.strat=1", "did you mean `start`"),
        ('objective.model="maximal_coverage"', "a rollout phases a staffing plan"),
        ("rollout.partners.mairie.attrition=1.5", "rollout.partners.mairie.attrition"),
    ],
)
def test_bad_rollout_keys_are_named(tmp_path: Path, override: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        _scenario(tmp_path, overrides=(override,))


def test_run_with_rollout_writes_the_trajectory_and_compare_compares_it(tmp_path: Path) -> None:
    run = run_scenario(_scenario(tmp_path))
    trajectory = run.plan.trajectory
    assert trajectory.status == "optimal"
    assert trajectory.cumulative.tolist() == pytest.approx(BY_HAND)
    assert trajectory.target_month == dt.date(2022, 12, 1)  # 1,360 by November, 1,520 by December
    assert verify_plan(run.plan) == []
    folder = tmp_path / "april"
    names = [p.name for p in write_run(run, folder, with_map=False, lang="fr")]
    assert "trajectory.csv" in names and "trajectory.png" in names
    table = pd.read_csv(folder / "trajectory.csv", keep_default_na=False)
    total = table[table["level"] == "total"]
    assert total["cumulative"].tolist() == pytest.approx(BY_HAND)
    assert set(table["level"]) == {"total", "partner", "department", "zone"}
    assert (folder / "trajectory.png").read_bytes()[:4] == b"\x89PNG"
    # The lock file keeps the rollout: rerunning it phases the same waves.
    assert load_scenario(folder / "scenario.lock.toml").to_rollout() == run.scenario.to_rollout()
    # The second wave three months later: 3 x 2 x 40 fewer people by the end, target missed.
    later = run_scenario(
        _scenario(tmp_path, overrides=('rollout.partners.mairie.waves.second.start="2022-07"',))
    )
    assert later.plan.trajectory.people_total == pytest.approx(1520 - 240)
    assert later.plan.trajectory.shortfall == pytest.approx(1500 - 1280)
    write_run(later, tmp_path / "july", with_map=False)
    comparison = compare_runs(folder, tmp_path / "july")
    assert comparison.target_months == ("2022-12", None)
    assert comparison.trajectory["delta"].iloc[-1] == pytest.approx(-240)
    assert (comparison.trajectory["delta"] <= 1e-6).all()
    assert "trajectory" in set(comparison.to_frame()["section"])
    assert read_run(folder).trajectory is not None


def test_a_scenario_without_rollout_writes_no_trajectory(tmp_path: Path) -> None:
    text = ROLLOUT.split("[rollout]")[0]
    run = run_scenario(_scenario(tmp_path, text))
    assert run.plan.trajectory is None
    names = [p.name for p in write_run(run, tmp_path / "static", with_map=False)]
    assert "trajectory.csv" not in names and "trajectory.png" not in names
    assert read_run(tmp_path / "static").trajectory is None


def test_cli_prints_the_target_month_or_the_shortfall(tmp_path: Path, capsys) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(ROLLOUT, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "a"), "--no-map", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    # run --lang fr: the chart and the whole printout in French (the CLI is translated since issue 12)
    assert "cible atteinte" in out and "2022-12 (1\u202f500; au plus tôt sur ces lieux)" in out
    late = ["--set", "rollout.partners.mairie.waves.second.start=2022-10-01"]
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--no-map", *late]) == 0
    out = capsys.readouterr().out
    assert "target shortfall" in out and "to close it (estimates)" in out
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "Rollout: target reached in A 2022-12, in B not reached" in out


def test_wave_start_ramp_and_wave_size_are_grid_keys(tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(ROLLOUT, encoding="utf-8")
    cases = cases_from_mapping(
        {
            "grid": {
                "rollout.partners.mairie.waves.second.start": [dt.date(2022, 4, 1), dt.date(2022, 7, 1)],
                "rollout.ramp_months": [0, 2],
                "rollout.partners.mairie.waves.second.advisors": [1, 2],
            }
        }
    )
    assert len(cases) == 8
    validate_cases(path, cases)
    records = {case.case_id: run_case(str(path), case.overrides) for case in cases[:2]}
    summary = summary_frame(cases[:2], records)
    # Without a ramp: the first wave 2 x 40 x 12 = 960; an April wave of 1 advisor 40 x 9 = 360
    # (1,320, short of 1,500), of 2 advisors 720 (1,680: 240 by March, then 160 a month, 1,520
    # by November).
    assert summary["rollout_people"].tolist() == pytest.approx([1320.0, 1680.0])
    assert summary["rollout_target_month"].fillna("").tolist() == ["", "2022-11"]
    assert summary["rollout_shortfall"].tolist()[0] == pytest.approx(180.0)


@pytest.mark.shared_data
def test_founding_case_with_two_waves_of_la_poste_advisors(sources: Path, tmp_path: Path) -> None:
    text = (
        f'extends = "{shipped_scenario("laposte-2021").as_posix()}"\n'
        "[rollout]\nramp_months = 3\n"
        '[rollout.partners.laposte.waves.january]\nstart = "2022-01"\nadvisors = 50\n'
        '[rollout.partners.laposte.waves.april]\nstart = "2022-04"\nadvisors = 50\n'
    )
    scenario = _scenario(tmp_path, text, overrides=("solver.time_limit=20",))
    run = run_scenario(scenario, data_dir=sources)
    plan, trajectory = run.plan, run.plan.trajectory
    assert plan.status in ("optimal", "feasible") and trajectory.status in ("optimal", "feasible")
    assert verify_plan(plan) == []
    # January: 50 La Poste advisors x 4 slots x 10, 80 x 40 and 100 x 40, all at a quarter of the rate.
    assert trajectory.monthly()[0] == pytest.approx(0.25 * (50 * 4 * 10 + 80 * 40 + 100 * 40))
    # From July every wave works at the steady rate: 100 x 40 + 80 x 40 + 100 x 40 a month at most.
    assert trajectory.monthly()[6:].max() <= 11_200 + 1e-3
    assert trajectory.people_total <= plan.served_need + 1e-3
    waves = trajectory.cohorts.groupby(["partner", "wave"])["slots"].sum().to_dict()
    assert waves[("laposte", "january")] <= 200 and waves[("laposte", "april")] <= 200
    if trajectory.target_month is None:
        assert trajectory.shortfall == pytest.approx(320_000 - trajectory.people_total)
    assert len(trajectory.table("department")["dep"].unique()) >= 57
