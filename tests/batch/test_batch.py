"""Batch grids, case records, frontier and report, without a cluster (see test_batch_cluster.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from coverage.batch.grid import Case, cases_from_mapping, read_grid, validate_cases
from coverage.batch.report import pareto_frontier, report_text, summary_frame
from coverage.batch.run import run_case
from coverage.cli import main
from coverage.errors import MissingDataError, ScenarioError
from coverage.scenario.loading import parse_override, toml_value
from coverage.scenario.run import shipped_scenario

DEMO = shipped_scenario("demo")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_is_the_product_of_ranges_and_lists_then_the_explicit_cases(tmp_path):
    grid = _write(
        tmp_path / "grid.toml",
        '[grid]\n"objective.max_sites" = { start = 4, stop = 10, step = 3 }\n'
        "access.rural = [10000.0, 15000.0]\n\n"
        '[[cases]]\nname = "wide"\n"objective.max_sites" = 20\n',
    )
    cases = read_grid(grid)
    assert [dict(c.values) for c in cases] == [
        {"objective.max_sites": 4, "access.rural": 10000.0},
        {"objective.max_sites": 4, "access.rural": 15000.0},
        {"objective.max_sites": 7, "access.rural": 10000.0},
        {"objective.max_sites": 7, "access.rural": 15000.0},
        {"objective.max_sites": 10, "access.rural": 10000.0},
        {"objective.max_sites": 10, "access.rural": 15000.0},
        {"objective.max_sites": 20},
    ]
    assert [c.index for c in cases] == list(range(7))
    assert cases[-1].label() == "wide"
    assert cases[0].overrides == ["objective.max_sites=4", "access.rural=10000.0"]


def test_float_ranges_include_the_stop_without_rounding_noise():
    (case_list) = cases_from_mapping(
        {"grid": {"demand.illectronisme_rate": {"start": 0.1, "stop": 0.3, "step": 0.1}}}
    )
    assert [c.values["demand.illectronisme_rate"] for c in case_list] == [0.1, 0.2, 0.3]


def test_case_id_depends_on_the_overrides_only():
    one = Case(0, {"a.b": 1, "c.d": "x"})
    same = Case(5, {"c.d": "x", "a.b": 1}, name="named")
    other = Case(0, {"a.b": 2, "c.d": "x"})
    assert one.case_id == same.case_id
    assert one.case_id != other.case_id
    assert len(one.case_id) == 12


@pytest.mark.parametrize(
    "value", [3, -2.5, 10000.0, True, 'text with "quotes" and é', [1, 2], ["23", "87"], dt.date(2023, 6, 30)]
)
def test_override_literals_read_back_as_the_same_value(value):
    assert parse_override(f"a.b={toml_value(value)}") == (("a", "b"), value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            '[grid]\n"access.rural" = { start = 5, stop = 1 }\n',
            r"grid.toml: `grid.access.rural`: range .* use a step < 0",
        ),
        ('[grid]\n"access.rural" = { start = 1, stop = 5, step = 0 }\n', r"empty or endless"),
        (
            '[grid]\n"access.rural" = { start = "a", stop = 5 }\n',
            r"range bounds must be numbers; received start = 'a'",
        ),
        ('[grid]\n"access.rural" = []\n', r"`grid.access.rural`: empty list"),
        ('[grids]\n"access.rural" = [1.0]\n', r"unknown table\(s\) `grids`"),
        ("", r"no cases"),
        ('[[cases]]\n"access.rural" = 1.0\n[[cases]]\n"access.rural" = 1.0\n', r"case 2 .* repeats case 1"),
        ("[grid\n", r"invalid TOML"),
    ],
)
def test_bad_grid_files_name_the_file_and_key(tmp_path, text, match):
    with pytest.raises(ScenarioError, match=match):
        read_grid(_write(tmp_path / "grid.toml", text))


def test_missing_grid_file():
    with pytest.raises(MissingDataError, match="grid file .*nowhere.toml does not exist"):
        read_grid("nowhere.toml")


def test_every_bad_case_is_reported_at_once_grouped_by_problem():
    cases = cases_from_mapping({"grid": {"access.rurall": [1.0, 2.0], "objective.max_sites": [0, 5]}})
    with pytest.raises(ScenarioError) as caught:
        validate_cases(DEMO, cases, source="g.toml")
    lines = caught.value.problems
    assert lines[0].startswith("g.toml: access.rurall: unknown key `access.rurall`; did you mean `rural`?")
    assert "[case 1 (rurall=1.0, max_sites=0); 2 (rurall=1.0, max_sites=5); 3 " in lines[0]
    assert lines[1] == (
        "g.toml: objective.max_sites: `objective.max_sites`: Input should be greater than or equal to 1 "
        "(received 0) [case 1 (rurall=1.0, max_sites=0); 3 (rurall=2.0, max_sites=0)]"
    )


def test_cli_bad_grid_exits_2_with_the_message(tmp_path, capsys):
    grid = _write(tmp_path / "grid.toml", '[grid]\n"access.rurall" = [10000.0]\n')
    assert main(["batch", "demo", str(grid), "--out", str(tmp_path / "out")]) == 2
    assert "did you mean `rural`?" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    bad_range = _write(
        tmp_path / "range.toml", '[grid]\n"access.rural" = { start = 1, stop = 3, step = -1 }\n'
    )
    assert main(["batch", "demo", str(bad_range)]) == 2
    assert "range.toml: `grid.access.rural`: range" in capsys.readouterr().err
    assert main(["batch", "nosuchscenario", str(grid)]) == 2
    assert "no shipped scenario 'nosuchscenario.toml'" in capsys.readouterr().err


def test_run_case_records_failures_with_their_type_and_goes_on():
    # (max_sites above the candidates was used here: it is an upper bound that does not bind, issue 13)
    infeasible = run_case(
        str(DEMO), ["objective.max_sites=1", 'objective.forced=["mairie:23096","mairie:87085"]']
    )
    assert infeasible["status"] == "infeasible"
    assert infeasible["error"].startswith("InfeasibleScenarioError: forced sites: 2 sites are forced open")
    failed = run_case(str(DEMO), ['sites.mairie.source="no-such-sites.csv"'])
    assert failed["status"] == "failed"
    assert failed["error"].startswith("MissingDataError:") and "no-such-sites.csv" in failed["error"]


def test_run_case_of_a_staffing_variant_counts_advisors_and_the_projection():
    record = run_case(
        str(DEMO),
        ['objective.model="staffing"', "partners.mairie.advisors=3", "horizon.target=5000.0"],
    )
    assert record["status"] == "optimal", record["error"]
    assert record["advisors"] == 3 and record["advisors_by_partner"] == {"mairie": 3}
    # 3 advisors x 1 slot x 40 people a month x 24 months = 2880 people at most
    assert record["projection_people"] == pytest.approx(2880.0)
    assert record["projection_target"] == 5000.0
    assert record["projection_gap"] == pytest.approx(2120.0)


def _records() -> tuple[list[Case], dict[str, dict[str, object]]]:
    cases = [Case(i, {"objective.max_sites": n}) for i, n in enumerate([4, 6, 8, 10])]
    cases.append(Case(4, {"objective.max_sites": 3}, name="dominated"))
    served = [40.0, 55.0, 55.0, 70.0, 30.0]
    records: dict[str, dict[str, object]] = {}
    for case, need in zip(cases, served, strict=True):
        records[case.case_id] = {
            "status": "optimal", "model": "maximal_coverage", "objective": need, "gap": 0.0,
            "served_need": need, "reached_need": need, "total_need": 100.0, "served_share": need / 100,
            "open_sites": case.values["objective.max_sites"], "error": None,
        }  # fmt: skip
    records[cases[3].case_id] = {"status": "failed", "error": "ValueError: boom"}
    return cases, records


def test_summary_is_in_grid_order_and_the_frontier_keeps_undominated_plans():
    cases, records = _records()
    summary = summary_frame(cases, records)
    assert list(summary["case"]) == [1, 2, 3, 4, 5]
    assert list(summary.columns[:4]) == ["case", "case_id", "label", "objective.max_sites"]
    assert "seconds" not in summary.columns
    assert summary["cost"].tolist()[:3] == [4, 6, 8] and pd.isna(summary["cost"][3])
    frontier = pareto_frontier(summary)
    # 3 sites -> 30, 4 -> 40, 6 -> 55; 8 sites serve no more than 6 (dominated); 10 failed
    assert frontier["case"].tolist() == [5, 1, 2]
    text = report_text(summary, frontier, scenario="demo", scenario_path=DEMO)
    assert "- failed or infeasible: 1" in text
    assert "Case 2 (max_sites=6, id" in text  # best: most served, then fewest sites
    assert "- case 4 (max_sites=10, id" in text and "failed: ValueError: boom" in text
