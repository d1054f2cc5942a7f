"""Signals to a real ``coverage-plan`` subprocess (issue 13): the CBC child stops, temp files and
partial outputs go, the exit code is 128 + signal and one line says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

#: Enough departments and sites that CBC works for many seconds (stopped well before).
SLOW = """
name = "slow"
[territory]
departments = ["23","87","19","24","16","86","36","03","63","15","46","12","48","43","42","71"]
[demand]
illectronisme_rate = 0.17
use_fragility = false
[sites.mairie]
source = "town_halls"
partner = "mairie"
capacity = 1
[access]
rule = "radius"
metres = 10000.0
[objective]
model = "maximal_coverage"
max_sites = 150
[solver]
solver = "cbc"
time_limit = 120.0
"""


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "coverage.cli", "run", str(scenario), *args]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, temp


def _wait_for(condition, seconds: float = 240.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _solver_child(pid: int) -> psutil.Process | None:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    return next((c for c in children if "cbc" in c.name().lower()), None)


@pytest.mark.parametrize(
    ("signum", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_signal_during_the_solve_stops_cbc_and_removes_its_files(tmp_path, signum, code, name):
    process, temp = _start(tmp_path, "--out", str(tmp_path / "out"), "--no-map")
    try:
        assert _wait_for(lambda: _solver_child(process.pid) is not None or process.poll() is not None)
        cbc = _solver_child(process.pid)
        assert cbc is not None, f"the run ended before CBC started: {process.communicate()}"
        private = [p for p in temp.iterdir() if p.name.startswith("coverage-plan-")]
        assert len(private) == 1  # the command's own temporary folder
        assert _wait_for(lambda: any(private[0].glob("*.mps")), 30)  # CBC's model file lives there
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code
    assert f"stopped by {name}" in stderr and "Traceback" not in stderr
    assert not cbc.is_running() or cbc.status() == psutil.STATUS_ZOMBIE
    assert list(temp.iterdir()) == []  # .mps, .mst, .sol and the CBC log are gone with their folder
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*.tmp"))


def test_sigterm_while_writing_leaves_no_partial_output(tmp_path):
    process, temp = _start(tmp_path, "--out", str(tmp_path / "out"), "--set", "solver.time_limit=5")
    try:
        assert _wait_for(lambda: any(tmp_path.glob(".out.*.tmp")) or process.poll() is not None)
        assert process.poll() is None, f"the run ended before writing: {process.communicate()}"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    assert not list(tmp_path.glob(".out.*")), "a partial output folder was left behind"
    assert not (tmp_path / "out").exists()
    assert list(temp.iterdir()) == []


def test_sigterm_stops_the_batch_workers_and_their_solvers(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW, encoding="utf-8")
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\n"objective.max_sites" = [150, 151]\n', encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = [sys.executable, "-m", "coverage.cli", "batch", str(scenario), str(grid)]
    command += ["--out", str(tmp_path / "batch"), "--workers", "1"]
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert _wait_for(lambda: _solver_child(process.pid) is not None or process.poll() is not None)
        cbc = _solver_child(process.pid)
        assert cbc is not None, f"the batch ended before a worker's CBC started: {process.communicate()}"
        family = psutil.Process(process.pid).children(recursive=True)
        assert len(family) >= 2  # a worker process (and its nanny) and the CBC it started
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr
    gone = [not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in family]
    assert all(gone), "a worker or solver outlived the batch"
    assert list(temp.iterdir()) == []
    assert not list((tmp_path / "batch" / "cases").glob("*.json"))  # no case finished, none half-written


def test_the_interrupt_handlers_import_nothing_when_the_signal_comes():
    """A second Ctrl-C that came while the first handler imported psutil found it half-loaded.

    CI once printed "partially initialized module 'psutil' has no attribute 'Process'" and a
    traceback for `test_a_second_ctrl_c_aborts_as_before`: the modules whose code runs in the
    SIGINT handlers load psutil when they are imported, so no handler imports anything.
    """
    code = "import sys, coverage.cli.interrupts, coverage.models.live; print('psutil' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True"], done.stderr
