"""The documentation site builds with ``mkdocs build --strict``: every page, every API page, no warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_site_builds_strict(tmp_path: Path) -> None:
    if os.environ.get("CI") is None:
        pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
        pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    for page in ("index", "getting-started/index", "models/index", "api/models/index", "api/data/index"):
        assert (site / f"{page}.html").exists() or (site / page.replace("/index", "") / "index.html").exists()
    models = (site / "models" / "index.html").read_text(encoding="utf-8")
    assert "Maximal coverage" in models and ":math:" not in models and ":func:" not in models
    api = (site / "api" / "models" / "index.html").read_text(encoding="utf-8")
    assert "maximal_coverage" in api and "staffing" in api
    # the README's sections arrive through snippets, not as literal include lines
    assert "--8&lt;--" not in (site / "getting-started" / "index.html").read_text(encoding="utf-8")
