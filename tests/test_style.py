"""Lint and formatting: ``ruff check`` and ``ruff format --check`` pass on the whole tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREE = ["src", "tests", "benchmarks", "scripts", "apps", "docs"]


def _ruff() -> list[str]:
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        return [str(ruff)]
    if shutil.which("ruff"):
        return ["ruff"]
    if os.environ.get("CI"):
        pytest.fail("ruff is not installed (it comes with the dev extra)")
    pytest.skip("ruff is not installed (pip install -e '.[dev]')")


@pytest.mark.parametrize("check", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(check: list[str]) -> None:
    done = subprocess.run([*_ruff(), *check, *TREE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
