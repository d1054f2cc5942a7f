"""The built wheel, in a clean virtual environment, runs the demo and the app from outside the checkout.

One wheel is built from the checkout and installed with its ``app`` extra in a
new virtual environment (dependencies from the package index, as a user gets
them). Every command then runs from a scratch folder, so nothing of the source
tree can stand in for the installed package.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COVERAGE_DATA_DIR")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding the wheel and its ``app`` extra."""
    work = tmp_path_factory.mktemp("wheel")
    wheels = work / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], work
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("coverage_planning-*.whl")
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], work)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[app]"], work)
    assert pip.returncode == 0, pip.stderr
    return venv / "bin"


def test_the_wheel_holds_the_app_and_the_geodata(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import json, coverage, coverage.app, coverage.data.embedded as e;"
        "print(json.dumps({'package': coverage.__file__, 'page': str(coverage.app.PAGE),"
        " 'exists': coverage.app.PAGE.exists(), 'geodata': str(e.geodata_dir()),"
        " 'version': coverage.__version__}));"
        "from coverage.app.assets import LEAFLET; from coverage.data.i18n import catalogue;"
        "print(json.dumps({'leaflet': all(p.is_file() for p in LEAFLET.values()),"
        " 'french': catalogue('fr').gettext('Map')}))"
    )
    done = _run([str(installed / "python"), "-c", probe], tmp_path)
    assert done.returncode == 0, done.stderr
    found, shipped = (json.loads(line) for line in done.stdout.splitlines())
    # the map's Leaflet and the French catalogue travel in the wheel (no CDN, no compile step)
    assert shipped == {"leaflet": True, "french": "Carte"}
    site = str(installed.parent / "lib")
    assert found["package"].startswith(site) and found["page"].startswith(site)  # not the checkout's src/
    assert found["exists"] and found["geodata"].startswith(site)
    assert found["version"] not in ("", "0+unknown")


def test_the_installed_command_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    done = _run([str(installed / "coverage-plan"), "run", "demo", "--out", "demo-run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^open sites +12 of 450 candidates$", done.stdout, re.M), done.stdout
    written = {p.name for p in (tmp_path / "demo-run").iterdir()}
    assert {"plan.gpkg", "map.html", "summary.json", "scenario.lock.toml"} <= written
    summary = json.loads((tmp_path / "demo-run" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["summary"]["status"], summary["summary"]["open_sites"]) == ("optimal", 12)


def test_the_installed_app_runs_under_apptest(installed: Path, tmp_path: Path) -> None:
    script = (
        "from streamlit.testing.v1 import AppTest\n"
        "from coverage.app import PAGE\n"
        "at = AppTest.from_file(str(PAGE), default_timeout=180).run()\n"
        "assert not at.exception, at.exception\n"
        "print({m.label: m.value for m in at.metric}['Lieux ouverts'])\n"  # French by default
    )
    done = _run([str(installed / "python"), "-c", script], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "12"


def test_coverage_plan_app_serves_the_app(installed: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(installed / "coverage-plan"), "app", "--address", "127.0.0.1", "--port", str(port)]
    log = (tmp_path / "app.log").open("w")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    process = subprocess.Popen([*command, "--headless"], cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        deadline, health = time.monotonic() + 90, ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    health = answer.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert health == "ok", (tmp_path / "app.log").read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200 and "<title>" in page.read().decode().lower()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
