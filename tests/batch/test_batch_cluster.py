"""Batches on a real LocalCluster (2 worker processes): results, resume, failures, a killed worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from coverage.batch.grid import Case, read_grid
from coverage.batch.run import BatchResult, run_batch
from coverage.cli import main
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario

distributed = pytest.importorskip("distributed")

DEMO = shipped_scenario("demo")
GRID = """
[grid]
"objective.max_sites" = { start = 4, stop = 10, step = 2 }
"access.rural" = [10000.0, 15000.0]
"""


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def demo_batch(client, tmp_path_factory) -> tuple[Path, BatchResult]:
    folder = tmp_path_factory.mktemp("batch")
    grid = folder / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    seen: list[tuple[int, int, int]] = []
    result = run_batch(DEMO, grid, folder / "out", client=client, progress=lambda *c: seen.append(c))
    assert seen[0] == (0, 0, 8) and seen[-1] == (8, 0, 0) and len(seen) == 9
    return grid, result


def test_every_case_is_present_with_the_values_of_a_direct_run(demo_batch):
    grid, result = demo_batch
    summary = result.summary
    assert summary["objective.max_sites"].tolist() == [4, 4, 6, 6, 8, 8, 10, 10]
    assert summary["access.rural"].tolist() == [10000.0, 15000.0] * 4
    assert (summary["status"] == "optimal").all() and result.ok
    assert summary["open_sites"].tolist() == summary["objective.max_sites"].tolist()
    # a wider rural radius reaches more with the same number of sites
    assert (summary["served_need"].to_numpy()[1::2] > summary["served_need"].to_numpy()[0::2]).all()
    direct = run_scenario(load_scenario(DEMO, overrides=["objective.max_sites=6", "access.rural=15000.0"]))
    row = summary[summary["label"] == "max_sites=6, rural=15000.0"].iloc[0]
    assert row["served_need"] == pytest.approx(direct.plan.served_need, rel=1e-9)
    assert row["reached_need"] == pytest.approx(direct.plan.reached_need, rel=1e-9)
    out = result.out_dir
    assert sorted(p.stem for p in (out / "cases").glob("*.json")) == sorted(summary["case_id"])
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), summary)
    assert (out / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert result.frontier["case"].tolist() == [2, 4, 6, 8]  # the 15 km cases dominate
    assert "- with a plan: 8" in (out / "report.md").read_text(encoding="utf-8")


def test_an_interrupted_batch_resumed_gives_the_uninterrupted_summary(demo_batch, client, tmp_path):
    grid, full = demo_batch
    out = tmp_path / "out"
    shutil.copytree(full.out_dir / "cases", out / "cases")
    lost = full.summary["case_id"].tolist()[2:5]
    for case_id in lost:
        (out / "cases" / f"{case_id}.json").unlink()
    kept = out / "cases" / f"{full.summary['case_id'][0]}.json"
    before = kept.stat().st_mtime_ns
    resumed = run_batch(DEMO, grid, out, client=client)
    assert resumed.resumed == 5
    assert kept.stat().st_mtime_ns == before
    pd.testing.assert_frame_equal(resumed.summary, full.summary)
    assert (out / "summary.csv").read_bytes() == (full.out_dir / "summary.csv").read_bytes()


def test_a_failing_case_is_recorded_and_the_cli_exits_1(client, tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        '[[cases]]\n"objective.max_sites" = 5\n\n'
        '[[cases]]\nname = "too many"\n"objective.max_sites" = 1\n'
        '"objective.forced" = ["mairie:23096", "mairie:87085"]\n\n'
        '[[cases]]\nname = "no file"\n"sites.mairie.source" = "no-such-sites.csv"\n\n'
        '[[cases]]\n"objective.max_sites" = 7\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["batch", str(DEMO), str(grid), "--out", str(out), "--scheduler", client.scheduler.address])
    captured = capsys.readouterr()
    assert code == 1
    assert "done 4/4, failed 2, left 0" in captured.out
    assert "case 2 (too many): infeasible: InfeasibleScenarioError: forced sites" in captured.err
    assert "case 3 (no file): failed: MissingDataError: 1 data file is missing" in captured.err
    summary = pd.read_csv(out / "summary.csv")
    assert summary["status"].tolist() == ["optimal", "infeasible", "failed", "optimal"]
    no_file = read_grid(grid)[2]
    record = json.loads((out / "cases" / f"{no_file.case_id}.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed" and "no-such-sites.csv" in record["error"]
    # a rerun keeps everything; --retry-failed reruns the failed case only (infeasible is an answer)
    assert run_batch(DEMO, grid, out, client=client).resumed == 4
    assert run_batch(DEMO, grid, out, client=client, retry_failed=True).resumed == 3


def test_the_cli_script_writes_the_summary_chart_and_report(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\n"objective.max_sites" = [3, 5]\n', encoding="utf-8")
    script = Path(sys.executable).parent / "coverage-plan"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "coverage.cli"]
    result = subprocess.run(
        [*command, "batch", "demo", "grid.toml", "--workers", "2", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "done 2/2, failed 0, left 0" in result.stdout
    assert "max_sites=5" in result.stdout
    for name in ("summary.csv", "summary.parquet", "pareto.png", "report.md"):
        assert (tmp_path / "out" / name).is_file()
        assert f"out/{name}" in result.stdout


def test_a_killed_worker_loses_no_case(client, tmp_path):
    cases = [Case(i, {"objective.max_sites": 3 + i}) for i in range(16)]
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[1]]
    killed_with_left: list[int] = []

    def kill_once(done: int, failed: int, left: int) -> None:
        if done >= 1 and not killed_with_left:
            os.kill(victim, signal.SIGKILL)
            killed_with_left.append(left)

    result = run_batch(DEMO, cases, tmp_path / "out", client=client, progress=kill_once)
    assert killed_with_left and killed_with_left[0] >= 8  # killed mid-run
    assert result.summary["status"].tolist() == ["optimal"] * 16
    served = result.summary["served_need"].to_numpy()
    assert (served[1:] >= served[:-1] - 1e-6).all()  # one more site never serves less
    assert len(set(result.timings["worker"])) >= 2
    client.wait_for_workers(2, timeout=60)
