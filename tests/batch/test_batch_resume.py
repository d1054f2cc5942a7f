"""Issue 13: a batch resumes a case only for the same case on the same data, from a case file
whose checksum and bounds hold; batches solve deterministically by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coverage.batch.resume import resume_problem
from coverage.batch.run import run_batch
from coverage.scenario.run import shipped_scenario

SITES = "site_id;name;longitude;latitude\n" + "\n".join(
    f"s{i};site {i};{1.5 + 0.05 * i:.4f};{46.0 + 0.01 * (i % 7):.4f}" for i in range(20)
)


@pytest.fixture()
def batch(tmp_path) -> tuple[Path, Path, Path]:
    (tmp_path / "sites.csv").write_text(SITES + "\n", encoding="utf-8")
    scenario = tmp_path / "mine.toml"
    scenario.write_text(
        f'extends = "{shipped_scenario("demo").as_posix()}"\nname = "mine"\n'
        '[sites.mine]\nsource = "sites.csv"\npartner = "asso"\n',
        encoding="utf-8",
    )
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\n"objective.max_sites" = [2, 3]\n', encoding="utf-8")
    return scenario, grid, tmp_path / "out"


def _run(scenario: Path, grid: Path, out: Path):
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        return run_batch(scenario, grid, out, client=client)


def test_resume_reruns_every_case_after_a_data_change(batch):
    scenario, grid, out = batch
    first = _run(scenario, grid, out)
    assert first.resumed == 0 and first.ok
    again = _run(scenario, grid, out)
    assert again.resumed == 2  # nothing changed: both reused
    lines = (scenario.parent / "sites.csv").read_text(encoding="utf-8").splitlines()
    (scenario.parent / "sites.csv").write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")  # 20 -> 3
    cut = _run(scenario, grid, out)
    assert cut.resumed == 0
    assert set(cut.discarded.values()) == {"it holds the result of another scenario or other data"}
    candidates = json.loads((out / "cases" / f"{cut.summary['case_id'][0]}.json").read_text())
    assert candidates["checksum"] and candidates["open_sites"] == 2


def test_an_edited_case_file_is_run_again_not_summarised(batch):
    scenario, grid, out = batch
    first = _run(scenario, grid, out)
    case_id = first.summary["case_id"][0]
    path = out / "cases" / f"{case_id}.json"
    record = json.loads(path.read_text())
    true_served = record["served_need"]
    record["served_need"] = 123_456_789.0
    path.write_text(json.dumps(record))
    rerun = _run(scenario, grid, out)
    assert rerun.resumed == 1
    assert "checksum does not match" in rerun.discarded[case_id]
    assert rerun.summary.loc[rerun.summary["case_id"] == case_id, "served_need"].iloc[0] == pytest.approx(
        true_served
    )


def test_bounds_are_checked_even_with_a_valid_checksum():
    from coverage.batch.resume import seal

    record = seal({"scenario": "k", "status": "optimal", "served_need": 10.0, "reached_need": 8.0,
                   "total_need": 100.0, "served_share": 0.1, "open_sites": 1})  # fmt: skip
    assert "above reached_need" in resume_problem(record, "k")
    record = seal({**record, "reached_need": 200.0, "served_need": 10.0})
    assert "above total_need" in resume_problem(record, "k")
    record = seal({**record, "reached_need": 50.0, "status": "made-up"})
    assert resume_problem(record, "k") == "unknown status 'made-up'"


def test_batches_are_deterministic_by_default(batch):
    scenario, grid, out = batch
    result = _run(scenario, grid, out)
    record = json.loads((out / "cases" / f"{result.summary['case_id'][0]}.json").read_text())
    assert record["overrides"][0] == "solver.deterministic=true"
