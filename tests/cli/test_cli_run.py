"""``coverage-plan run`` and ``coverage-plan compare`` end to end on the demo scenario."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from coverage.cli import main
from coverage.cli.common import EXIT_BAD_INPUT, EXIT_OK, EXIT_PLANNING_FAILED
from coverage.scenario.output import RUN_FILES, RUN_MARKER

SITES_CSV = (
    "site_id,name,longitude,latitude\n"
    "s1,Gueret,1.8717,46.1714\n"
    "s2,Limoges,1.2611,45.8336\n"
    "s3,Aubusson,2.1683,45.9558\n"
)
CSV_SCENARIO = """\
name = "csv-sites"
[territory]
departments = ["23", "87"]
[sites.own]
source = "sites.csv"
[objective]
model = "maximal_coverage"
max_sites = 2
"""


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False,
    )  # fmt: skip


def _row(stdout: str, first_cell: str) -> list[str]:
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{stdout}")


@pytest.fixture(autouse=True)
def _no_data_dir(monkeypatch):
    monkeypatch.delenv("COVERAGE_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The demo run through a real subprocess, into the default folder under its cwd."""
    cwd = tmp_path_factory.mktemp("demo")
    result = run_module("run", "demo", cwd=cwd)
    folders = list((cwd / "runs").glob("demo-*"))
    return (folders[0] if folders else cwd / "runs" / "missing"), result


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    """The demo with 8 sites, run in-process."""
    folder = tmp_path_factory.mktemp("small") / "out"
    assert main(["run", "demo", "--set", "objective.max_sites=8", "--out", str(folder)]) == EXIT_OK
    return folder


def test_run_demo_prints_kpis_and_writes_every_file(demo_run):
    folder, result = demo_run
    assert result.returncode == EXIT_OK, result.stderr
    assert "Traceback" not in result.stderr
    assert re.fullmatch(r"demo-\d{8}-\d{6}", folder.name)
    assert _row(result.stdout, "status")[1] == "optimal"
    assert _row(result.stdout, "open sites")[1] == "12 of 450 candidates"
    assert _row(result.stdout, "departments with an open site")[1] == "2 of 2 with need"
    assert (
        _row(result.stdout, "departments with need served")[1]
        == "2 of 2 with need (0 only from sites across a border)"
    )
    served = _row(result.stdout, "need served")[1]
    assert re.fullmatch(r"[\d,]+ \(\d+\.\d %\)", served)
    assert _row(result.stdout, "87")[0] == "87"  # the department table
    assert f"Output: runs/{folder.name}" in result.stdout
    for phase in ("load", "demand", "sites", "reach", "solve", "plan"):
        assert re.search(rf"{phase} done in \d+\.\d\d s", result.stderr), result.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted([*RUN_FILES, RUN_MARKER])  # marker: issue 13


def test_run_prints_what_binds_and_what_one_more_buys(demo_run):
    folder, result = demo_run
    after = result.stdout.split("What binds", 1)[1]
    assert _row(after, "site count")[1] == "12 of at most 12 sites open"
    site = re.search(
        r"^one more site: \+([\d,]+) people in need within reach \(re-solve, exact\)$", after, re.M
    )
    radius = re.search(r"^1 km more radius: \+([\d,]+) people", after, re.M)
    assert site and radius, after
    binding = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["binding"]
    assert binding["tight"] == ["site count: 12 of at most 12 sites open"]
    by_resource = {m["resource"]: m for m in binding["marginal"]}
    assert by_resource["one more site"]["gain"] == pytest.approx(
        float(site.group(1).replace(",", "")), abs=0.5
    )
    assert by_resource["one more site"]["method"] == "re-solve" and by_resource["one more site"]["exact"]


def test_run_marginal_off_reports_the_tight_groups_only(tmp_path):
    out = tmp_path / "out"
    result = run_module("run", "demo", "--marginal", "off", "--out", str(out), cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert "marginal values not measured" in result.stdout
    assert "one more site" not in result.stdout
    binding = json.loads((out / "summary.json").read_text(encoding="utf-8"))["binding"]
    assert binding["marginal"] == [] and binding["tight"] == ["site count: 12 of at most 12 sites open"]


def test_run_outputs_are_consistent(demo_run):
    folder, _ = demo_run
    layers = {name for name, _ in pyogrio.list_layers(folder / "plan.gpkg")}
    assert {"sites", "units", "kpi_department", "kpi_partner", "kpi_zone", "explanations"} <= layers
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["name"] == "demo"
    assert summary["summary"]["status"] == "optimal"
    assert summary["summary"]["open_sites"] == 12
    assert set(summary["timings"]) >= {"load", "solve"}
    open_sites = pd.read_csv(folder / "open_sites.csv")
    assert len(open_sites) == 12
    assert open_sites["longitude"].between(0.5, 2.7).all()
    departments = pd.read_csv(folder / "kpis_department.csv", dtype={"dep": str})
    assert departments["need_served"].sum() == pytest.approx(summary["summary"]["served_need"])
    page = (folder / "map.html").read_text(encoding="utf-8")
    assert page.count("L.circleMarker(") == 12  # one per open site; the rest are GeoJSON layers
    assert "candidate sites" in page and "unreached QPV / rural units" in page
    lock = (folder / "scenario.lock.toml").read_text(encoding="utf-8")
    assert "[lock]" in lock and "[lock.solver]" in lock and 'name = "cbc"' in lock


def test_lock_file_reruns_the_identical_plan(demo_run, tmp_path, capsys):
    folder, _ = demo_run
    again = tmp_path / "again"
    assert main(["run", str(folder / "scenario.lock.toml"), "--out", str(again), "--no-map"]) == EXIT_OK
    first = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["summary"]
    second = json.loads((again / "summary.json").read_text(encoding="utf-8"))["summary"]
    for key in ("status", "objective", "served_need", "open_sites"):
        assert second[key] == first[key]
    sites_a = pd.read_csv(folder / "open_sites.csv")["site_id"]
    sites_b = pd.read_csv(again / "open_sites.csv")["site_id"]
    assert sorted(sites_a) == sorted(sites_b)
    assert not (again / "map.html").exists()
    # the lock of the rerun holds the same scenario
    body = [(f / "scenario.lock.toml").read_text().split("[lock]")[0] for f in (folder, again)]
    assert body[0] == body[1]


def test_changed_data_file_refuses_the_lock(tmp_path, capsys):
    (tmp_path / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    (tmp_path / "csv.toml").write_text(CSV_SCENARIO, encoding="utf-8")
    out = tmp_path / "first"
    assert main(["run", str(tmp_path / "csv.toml"), "--out", str(out), "--no-map"]) == EXIT_OK
    lock = out / "scenario.lock.toml"
    assert 'key = "file:own"' in lock.read_text()
    assert main(["run", str(lock), "--out", str(tmp_path / "same"), "--no-map"]) == EXIT_OK
    capsys.readouterr()

    (tmp_path / "sites.csv").write_text(SITES_CSV + "s4,Bourganeuf,1.7547,45.9531\n", encoding="utf-8")
    code = main(["run", str(lock), "--out", str(tmp_path / "second"), "--no-map"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert str(tmp_path / "sites.csv") in err and "expected sha256" in err and "found" in err
    assert "--ignore-lock-hashes" in err
    assert not (tmp_path / "second").exists()

    code = main(["run", str(lock), "--out", str(tmp_path / "third"), "--no-map", "--ignore-lock-hashes"])
    out_err = capsys.readouterr()
    assert code == EXIT_OK
    assert "warning: locked file" in out_err.err
    assert _row(out_err.out, "open sites")[1] == "2 of 4 candidates"

    (tmp_path / "sites.csv").unlink()
    code = main(["run", str(lock), "--out", str(tmp_path / "fourth"), "--no-map"])
    assert code == EXIT_BAD_INPUT
    assert "is missing" in capsys.readouterr().err


def test_compare_two_runs(demo_run, small_run, tmp_path, capsys):
    folder, _ = demo_run
    assert main(["compare", str(folder), str(small_run)]) == EXIT_OK
    out = capsys.readouterr().out
    opened = int(re.search(r"Sites opened in B: (\d+)", out).group(1))
    closed = int(re.search(r"Sites closed in B: (\d+)", out).group(1))
    assert closed - opened == 12 - 8
    assert _row(out, "open_sites")[1:] == ["12", "8", "-4"]
    assert _row(out, "23")[0] == "23" and "Partners (B - A)" in out
    share = _row(out, "served_share")  # shares in %, their difference in percentage points
    a, b = (float(v.removesuffix(" %")) for v in share[1:3])
    assert share[3].endswith(" pp") and share[3].startswith("-")
    assert abs(float(share[3].removesuffix(" pp")) - (b - a)) <= 0.1 + 1e-9  # each side rounded
    assert _row(out, "mean_distance (m)")[0] == "mean_distance (m)"
    written = small_run / f"compare_{folder.name}.csv"
    table = pd.read_csv(written)
    assert (table["section"] == "site").sum() == opened + closed
    assert set(table["section"]) == {"site", "headline", "department", "partner"}

    target = tmp_path / "cmp.csv"
    assert main(["compare", str(small_run), str(folder), "--csv", str(target)]) == EXIT_OK
    reverse = pd.read_csv(target)
    assert set(reverse.query("metric == 'opened'")["key"]) == set(table.query("metric == 'closed'")["key"])


def test_compare_refuses_a_folder_that_is_not_a_run(small_run, tmp_path, capsys):
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    assert main(["compare", str(small_run), str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{tmp_path} is not a run folder" in err and "open_sites.csv" in err


def test_existing_output_folder_is_refused_unless_forced(small_run, tmp_path, capsys):
    code = main(["run", "demo", "--out", str(small_run), "--no-map"])
    assert code == EXIT_BAD_INPUT
    assert "exists and is not empty" in capsys.readouterr().err
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "old.txt").write_text("old")
    # --force replaces only a folder a run wrote (issue 13): this one is refused and kept
    assert main(["run", "demo", "--out", str(copy), "--no-map", "--force"]) == EXIT_BAD_INPUT
    assert "not written by 'coverage-plan run'" in capsys.readouterr().err
    assert (copy / "old.txt").read_text() == "old"
    rerun = tmp_path / "rerun"
    assert main(["run", "demo", "--out", str(rerun), "--no-map"]) == EXIT_OK
    (rerun / "old.txt").write_text("old")
    assert main(["run", "demo", "--out", str(rerun), "--no-map", "--force"]) == EXIT_OK
    assert not (rerun / "old.txt").exists() and (rerun / "summary.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_infeasible_scenario_exits_1_with_the_explanation(tmp_path):
    result = run_module("run", "demo", "--set", "rules.serve_exactly=3", cwd=tmp_path)
    assert result.returncode == EXIT_PLANNING_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    assert "planning failed: department rules cannot be met" in result.stderr
    assert "3 departments must be served but only 2 have an eligible site" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_unknown_shipped_scenario_names_the_shipped_ones(capsys):
    assert main(["run", "demox"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "no scenario file 'demox'" in err and "shipped: " in err and "demo" in err


def test_help_lists_run_and_compare(capsys):
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "run" in out and "compare" in out
    assert main(["run", "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    for option in ("--set", "--data-dir", "--out", "--no-map", "--force", "--ignore-lock-hashes"):
        assert option in out


def test_run_with_a_demand_file_solves_on_its_units_and_locks_it(tmp_path, capsys):
    (tmp_path / "units.csv").write_text(
        "code,people,longitude,latitude\ng,1200,1.8717,46.1714\nl,3000,1.2611,45.8336\n", encoding="utf-8"
    )
    (tmp_path / "s.toml").write_text(
        'name = "own-demand"\n[territory]\ndepartments = ["23", "87"]\n'
        '[demand]\nsource = "units.csv"\nid_column = "code"\nneed_column = "people"\n'
        '[sites.mairie]\nsource = "town_halls"\n[access]\nrule = "zone_radius"\n[objective]\nmax_sites = 1\n',
        encoding="utf-8",
    )
    out = tmp_path / "run"
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "--no-map"]) == EXIT_OK
    stdout = capsys.readouterr().out
    assert _row(stdout, "need (people)")[1] == "4,200"
    assert json.loads((out / "summary.json").read_text())["summary"]["reached_need"] == 3000.0
    lock = (out / "scenario.lock.toml").read_text()
    assert 'key = "file:demand"' in lock and 'need_column = "people"' in lock
    again = ["run", str(out / "scenario.lock.toml"), "--out", str(tmp_path / "again"), "--no-map"]
    assert main(again) == EXIT_OK


def test_run_refuses_to_write_a_plan_that_breaks_its_constraints(tmp_path, capsys, monkeypatch):
    """A real demo plan whose record says a site was forced open that is not: exit 1, nothing written."""
    import dataclasses

    import coverage.scenario.run as scenario_run

    solve = scenario_run._solve

    def with_a_broken_record(*args, **kwargs):
        plan = solve(*args, **kwargs)
        limits = dataclasses.replace(plan.constraints, forced=("not-opened",), max_sites=3)
        return dataclasses.replace(plan, constraints=limits)

    monkeypatch.setattr(scenario_run, "_solve", with_a_broken_record)
    out = tmp_path / "run"
    assert main(["run", "demo", "--out", str(out), "--no-map"]) == EXIT_PLANNING_FAILED
    err = capsys.readouterr().err
    assert "the solved plan breaks 2 of its model's constraints, so nothing was written" in err
    assert "site count: open sites: open sites 12, above the limit 3" in err
    assert not out.exists() or not any(out.iterdir())


def test_on_a_terminal_the_phase_under_way_ticks_with_a_bar_and_its_seconds() -> None:
    import io
    import time

    from coverage.cli.run import _PhasePrinter

    stream = io.StringIO()
    printer = _PhasePrinter(("load", "demand", "solve"), live=True, stream=stream)
    printer("load", 0, 1)
    printer("load", 1, 1)
    printer("solve", 0, 1)
    deadline = time.monotonic() + 30
    while "solve ... " not in stream.getvalue().split("[3/3] solve ...")[-1] and time.monotonic() < deadline:
        time.sleep(0.1)  # a long phase: its line is redrawn every second
    printer("solve", 1, 1)
    text = stream.getvalue()
    assert re.search(r"\r\[3/3\] \[##-\] solve \.\.\. \d+ s", text), text
    assert re.search(r"\r\[3/3\] solve done in \d+\.\d\d s\n$", text), text
    time.sleep(1.2)
    assert stream.getvalue() == text  # the ticking stopped with the phase


def test_run_names_the_method_and_bound_of_a_shortlist(tmp_path, capsys):
    """Issue 16: the shortlist line says how it was proven (served departments: HiGHS) and its bound."""
    code = main(
        [
            "run", "demo", "--no-map", "--marginal", "off", "--out", str(tmp_path / "out"),
            "--set", "sites.mairie.shortlist=20", "--set", "sites.mairie.shortlist_departments=2",
        ]
    )  # fmt: skip
    assert code == EXIT_OK
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith("shortlist [sites.mairie]"))
    assert re.search(
        r"20 sites reaching [\d,]+ need \(optimal, gap 0\.00%, bound [\d,]+; method served_departments\)",
        line,
    )
