"""``coverage-plan run`` on a real terminal (a pseudo-terminal): the solver's figures on the progress
line, the first Ctrl-C stops the solve at its best plan, a second aborts (issue 12, item 5)."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coverage.cli.progress import STOPPING
from long_solve import long_scenario


class Terminal:
    """``coverage-plan`` with stdin and stderr on a pseudo-terminal, in its own session like a shell job."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        master, slave = pty.openpty()
        self.master = master
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coverage.cli", *args],
            cwd=tmp_path,
            stdin=slave,
            stderr=slave,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.screen += chunk.decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, seconds: float = 240.0) -> re.Match[str] | None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.process.poll() is None:
            found = re.search(pattern, self.screen)
            if found:
                return found
            time.sleep(0.1)
        return re.search(pattern, self.screen)

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group (CBC too)."""
        os.killpg(self.process.pid, signal.SIGINT)

    def finish(self, seconds: float = 240.0) -> tuple[int, str]:
        stdout, _ = self.process.communicate(timeout=seconds)
        self._reader.join(5)
        os.close(self.master)
        return self.process.returncode, stdout

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()
            os.close(self.master)


@pytest.fixture
def terminal_run(tmp_path):
    runs: list[Terminal] = []

    def start(*args: str) -> Terminal:
        runs.append(Terminal(tmp_path, "run", str(long_scenario(tmp_path)), *args))
        return runs[-1]

    yield start
    for run in runs:
        run.kill()


def test_the_first_ctrl_c_stops_at_the_best_plan_and_writes_it_labelled(tmp_path, terminal_run):
    out = tmp_path / "out"
    run = terminal_run("--out", str(out), "--no-map", "--marginal", "off")
    # the progress line shows the solver's figures as it finds them
    shown = run.wait_for(r"solve \.\.\. \d+ s · best [\d,]+ · bound [\d,]+ · gap \d+\.\d ?%")
    assert shown, run.screen
    run.ctrl_c()
    code, stdout = run.finish()
    assert STOPPING in run.screen
    assert code == 0, run.screen + stdout
    assert re.search(r"status\s+feasible \(stopped by the planner\)", stdout), stdout
    assert re.search(r"gap\s+\d+\.\d ?%", stdout) and re.search(r"bound\s+[\d,]+", stdout)
    assert "note: the planner stopped the solver at this plan with a gap of" in stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["summary"]
    assert summary["stopped_by_planner"] is True and summary["status"] == "feasible"
    assert summary["bound"] > summary["objective"] > 0 and summary["gap"] > 0


def test_a_second_ctrl_c_aborts_as_before(tmp_path, terminal_run):
    out = tmp_path / "out"
    run = terminal_run("--out", str(out), "--no-map", "--marginal", "off")
    assert run.wait_for(r"solve \.\.\. \d+ s"), run.screen
    run.ctrl_c()
    assert run.wait_for(re.escape(STOPPING)), run.screen
    run.ctrl_c()
    code, stdout = run.finish()
    assert code == 130, run.screen + stdout
    assert "stopped by SIGINT" in run.screen or "SIGINT" in run.screen
    assert not out.exists() or not any(out.iterdir())


def test_off_a_terminal_the_solve_shows_no_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "run", "demo", "--out", str(tmp_path / "out"), "--no-map"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "[5/6] solve done in" in result.stderr
    assert "best" not in result.stderr and "\r" not in result.stderr
