"""A scenario with access.rule = "road_time" on the test road network, run from the command line."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coverage.cli.main import main  # noqa: E402
from road_network import lonlat, write_grid  # noqa: E402


def write_scenario(folder: Path, *, extract: str = "grid.osm.pbf") -> Path:
    write_grid(folder / "grid.osm.pbf")
    units = [("A", 0, 2, 100), ("B", 1, 2, 100), ("C", 0, 3, 120)]
    rows = ["unit_id,name,need,longitude,latitude"]
    rows += [f"{u},{u},{need},{lonlat(x, y)[0]:.7f},{lonlat(x, y)[1]:.7f}" for u, x, y, need in units]
    (folder / "units.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sites = [("S1", 0, 3), ("S2", 4, 2)]
    rows = ["site_id,name,longitude,latitude"]
    rows += [f"{s},{s},{lonlat(x, y)[0]:.7f},{lonlat(x, y)[1]:.7f}" for s, x, y in sites]
    (folder / "sites.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = folder / "roads.toml"
    path.write_text(
        f"""
name = "roads"
[territory]
departments = ["23"]
[demand]
source = "units.csv"
[sites.hall]
source = "sites.csv"
[access]
rule = "road_time"
extract = "{extract}"
qpv = 10
urban = 10
rural = 10
[objective]
model = "maximal_coverage"
max_sites = 1
""",
        encoding="utf-8",
    )
    return path


def test_road_time_scenario_runs_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write_scenario(tmp_path)
    code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--no-map"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "access: within 10/10/10 min by road" in out
    assert "roads" in err and "routing" in err  # progress steps
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert "by road" in json.dumps(summary)
    open_sites = (tmp_path / "out" / "open_sites.csv").read_text(encoding="utf-8")
    assert "S2" in open_sites and "S1" not in open_sites  # by road the bridge side wins
    lock = (tmp_path / "out" / "scenario.lock.toml").read_text(encoding="utf-8")
    assert "grid.osm.pbf" in lock  # the extract is fingerprinted with the other files read
    # a second run reads the cached network and routed pairs, and gives the same plan
    code = main(["run", str(scenario), "--out", str(tmp_path / "again"), "--no-map"])
    capsys.readouterr()
    assert code == 0
    assert (tmp_path / "again" / "open_sites.csv").read_text(encoding="utf-8") == open_sites
    # the lock file reruns it, and refuses a changed extract
    locked = str(tmp_path / "out" / "scenario.lock.toml")
    assert main(["run", locked, "--out", str(tmp_path / "locked"), "--no-map"]) == 0
    write_grid(tmp_path / "grid.osm.pbf", drop_bridge=True)
    capsys.readouterr()
    assert main(["run", locked, "--out", str(tmp_path / "changed"), "--no-map"]) == 2
    assert "grid.osm.pbf" in capsys.readouterr().err
    # the straight-line radius picks S1, across the river
    code = main(
        [
            "run",
            str(scenario),
            "--set",
            'access.rule="radius"',
            "--set",
            "access.metres=1500",
            "--set",
            "access.extract=nothing",
            "--out",
            str(tmp_path / "circle"),
            "--no-map",
        ]
    )
    capsys.readouterr()
    assert code == 2  # extract does not apply to the radius rule: a clear input error


def test_roads_command_compares_with_the_straight_line(tmp_path: Path, capsys) -> None:
    scenario = write_scenario(tmp_path)
    code = main(["roads", str(scenario), "--radius-metres", "1500", "--out", str(tmp_path / "cmp")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert re.search(r"pairs gained by road\s+3\n", out)
    assert re.search(r"pairs lost by road\s+2\n", out)
    assert re.search(r"units whose nearest site changes\s+2 of 3\n", out)
    departments = (tmp_path / "cmp" / "departments.csv").read_text(encoding="utf-8").splitlines()
    assert departments[1].startswith("23,3,")


def test_missing_extract_is_a_clear_error(tmp_path: Path, capsys) -> None:
    scenario = write_scenario(tmp_path, extract="elsewhere.osm.pbf")
    code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--no-map"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "[access] extract:" in err and "elsewhere.osm.pbf does not exist" in err and "geofabrik" in err


def test_a_batch_case_varies_the_road_minutes(tmp_path: Path) -> None:
    from coverage.batch.run import run_case

    scenario = str(write_scenario(tmp_path))
    ten = run_case(scenario, [])
    five = run_case(scenario, ["access.qpv=5.0", "access.urban=5.0", "access.rural=5.0"])
    assert ten["status"] == "optimal" and five["status"] == "optimal", (ten["error"], five["error"])
    # 10 min: S2 by the bridge reaches A, B and C (320); 5 min: S1 reaches C (120), S2 only B (100)
    assert ten["reached_need"] == pytest.approx(320.0)
    assert five["reached_need"] == pytest.approx(120.0)
