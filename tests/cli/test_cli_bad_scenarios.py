"""``coverage-plan run`` on bad scenario files: exit code 2 and a message naming the file and the key.

Most cases run in-process through :func:`coverage.cli.main`; a few go through a
real subprocess to prove that no traceback reaches the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from coverage.cli import main
from coverage.cli.common import EXIT_BAD_INPUT

SITES_CSV = "site_id,name,longitude,latitude\ns1,Gueret,1.8717,46.1714\ns2,Limoges,1.2611,45.8336\n"
BASE = 'name = "bad"\n[territory]\ndepartments = ["23"]\n'


@dataclass(frozen=True)
class Case:
    """A scenario ``bad.toml`` (plus other files), extra CLI arguments and the expected message parts."""

    toml: str
    expected: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    scenario: str = "bad.toml"


CASES = {
    "unknown key, did you mean": Case(
        BASE + "[partners.laposte]\nadvisor = 3\n",
        ("bad.toml", "unknown key `partners.laposte.advisor`", "did you mean `advisors`?"),
    ),
    "wrong type": Case(
        BASE + '[objective]\nmax_sites = "12"\n', ("bad.toml", "`objective.max_sites`", "'12'")
    ),
    "missing scenario file": Case("", ("nowhere.toml", "does not exist"), scenario="nowhere.toml"),
    "missing extends file": Case(
        'extends = "base.toml"\n' + BASE, ("bad.toml", "`extends`", "base.toml", "does not exist")
    ),
    "extends cycle": Case(
        'extends = "other.toml"\n' + BASE,
        ("bad.toml", "`extends` cycle", "other.toml"),
        files={"other.toml": 'extends = "bad.toml"\n'},
    ),
    "invalid TOML": Case(BASE + "[objective\nmodel = 1\n", ("bad.toml", "invalid TOML", "line 4")),
    "negative advisors": Case(
        BASE + "[partners.laposte]\nadvisors = -1\n",
        ("bad.toml", "`partners.laposte.advisors`", "greater than or equal to 0", "-1"),
    ),
    "sharing names an unknown partner": Case(
        BASE + "[partners.mairie]\nadvisors = 2\n[sharing]\nmairie = ['laposte']\n",
        ("bad.toml", "`sharing.mairie`", "unknown partner `laposte`"),
    ),
    "horizon until before start": Case(
        BASE + "[horizon]\nstart = 2023-01-01\nuntil = 2022-01-01\n",
        ("bad.toml", "`horizon.until`", "must come after start"),
    ),
    "unknown site source": Case(
        BASE + "[sites.poste]\nsource = 'laposte'\n",
        ("bad.toml", "`sites.poste.source`", "unknown site source 'laposte'", "laposte_points"),
    ),
    "missing site CSV file": Case(
        BASE + "[sites.own]\nsource = 'missing.csv'\n", ("[sites.own]", "missing.csv", "does not exist")
    ),
    "bad department code": Case(
        'name = "bad"\n[territory]\ndepartments = ["23", "99"]\n',
        ("bad.toml", "`territory.departments`", "invalid department code '99'"),
    ),
    "p missing for p_median": Case(
        BASE + "[objective]\nmodel = 'p_median'\n", ("bad.toml", "`objective.p`", "needs p")
    ),
    "key of another access rule": Case(
        BASE + "[access]\nrule = 'radius'\nrural = 15000.0\n",
        ("bad.toml", "`access`", "`rural` does not apply to rule 'radius'"),
    ),
    "bad --set syntax": Case(
        BASE, ("bad override", "objective.max_sites", "KEY.PATH=VALUE"), args=("--set", "objective.max_sites")
    ),
    "unknown objective model": Case(
        BASE + "[objective]\nmodel = 'max_cover'\n", ("bad.toml", "`objective.model`", "'max_cover'")
    ),
    "min_share above 1": Case(
        BASE + "[rules]\nmin_share = 1.5\n", ("bad.toml", "`rules.min_share`", "share in [0, 1]", "1.5")
    ),
    "site CSV with a bad coordinate": Case(
        BASE + "[sites.own]\nsource = 'sites.csv'\n",
        ("sites.csv", "row 2", "latitude", "abc"),
        files={"sites.csv": SITES_CSV.replace("45.8336", "abc")},
    ),
    "no data folder for an official source": Case(
        BASE + "[sites.poste]\nsource = 'laposte_points'\n",
        ("laposte_points", "no data folder set", "--data-dir"),
    ),
    "--set naming an unknown key": Case(
        BASE,
        ("--set objective.max_site=3", "did you mean `max_sites`?"),
        args=("--set", "objective.max_site=3"),
    ),
}


def _write(folder: Path, case: Case) -> Path:
    if case.toml:
        (folder / "bad.toml").write_text(case.toml, encoding="utf-8")
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / case.scenario


@pytest.fixture(autouse=True)
def _no_data_dir(monkeypatch):
    monkeypatch.delenv("COVERAGE_DATA_DIR", raising=False)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_scenario_exits_2_naming_file_and_key(case, tmp_path, capsys):
    scenario = _write(tmp_path, case)
    code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--no-map", *case.args])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT, err
    assert err.count("error:") == 1
    for part in case.expected:
        assert part in err, f"{part!r} not in:\n{err}"
    assert not (tmp_path / "out").exists()


def test_at_least_fifteen_kinds():
    assert len(CASES) >= 15


@pytest.mark.parametrize(
    "name", ["extends cycle", "invalid TOML", "site CSV with a bad coordinate", "bad --set syntax"]
)
def test_no_traceback_reaches_the_terminal(name, tmp_path):
    case = CASES[name]
    scenario = _write(tmp_path, case)
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "run", str(scenario), "--no-map", *case.args],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error: ") == 1
    for part in case.expected:
        assert part in result.stderr
    assert not (tmp_path / "runs").exists()
