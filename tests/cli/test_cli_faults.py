"""Issue 13: the tracebacks a reviewer found become located messages (CLI and app readers)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coverage.errors import LayerValidationError, ScenarioError
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import shipped_scenario

DEMO = shipped_scenario("demo").as_posix()
NAN_GEOJSON = (
    '{"type":"FeatureCollection","features":['
    '{"type":"Feature","properties":{"unit_id":"a","need":10},"geometry":{"type":"Point","coordinates":[1.87,46.17]}},'
    '{"type":"Feature","properties":{"unit_id":"b","need":10},"geometry":{"type":"Point","coordinates":[NaN,46.17]}}]}'
)


def _cli(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "coverage.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_binary_scenario_file(tmp_path):
    (tmp_path / "bin.toml").write_bytes(b'name = "x"\n\xff\xfe\x00\x01binary')
    result = _cli("run", "bin.toml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bin.toml: not a UTF-8 text file (byte 0xff at offset 11)" in result.stderr
    # the app's sidebar reads an uploaded scenario with load_scenario and shows CoverageErrors
    with pytest.raises(ScenarioError, match="not a UTF-8 text file"):
        load_scenario(tmp_path / "bin.toml", allowed_folders=[tmp_path])


def test_geojson_with_a_nan_coordinate(tmp_path):
    (tmp_path / "units.geojson").write_text(NAN_GEOJSON, encoding="utf-8")
    demand = '[demand]\nsource = "units.geojson"\nneed_column = "need"\nid_column = "unit_id"\n'
    (tmp_path / "nan.toml").write_text(f'extends = "{DEMO}"\n{demand}', encoding="utf-8")
    result = _cli("run", "nan.toml", "--no-map", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "units.geojson, row 2, column 'geometry': a coordinate is not a number" in result.stderr


def test_app_upload_of_a_geojson_with_a_nan_coordinate(tmp_path):
    from coverage.app.upload import ColumnMapping, read_demand_upload, save_upload

    path = save_upload("units.geojson", NAN_GEOJSON.encode(), tmp_path)
    with pytest.raises(LayerValidationError, match=r"row 2, column 'geometry': a coordinate is not a number"):
        read_demand_upload(path, ColumnMapping(id="unit_id", need="need"))


def test_compare_on_a_kpi_csv_without_dep(tmp_path):
    for name in ("a", "b"):
        assert (
            _cli(
                "run", "demo", "--set", "objective.max_sites=2", "--out", name, "--no-map", cwd=tmp_path
            ).returncode
            == 0
        )
    summary = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert summary["repeatable"] is True and summary["note"] is None  # an optimal plan: nothing to say
    kpis = tmp_path / "b" / "kpis_department.csv"
    kpis.write_text(kpis.read_text().replace("dep,", "departement,", 1))
    result = _cli("compare", "a", "b", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "kpis_department.csv has no 'dep' column" in result.stderr


def test_lock_file_with_its_file_records_removed_is_refused(tmp_path):
    (tmp_path / "sites.csv").write_text("site_id;name;longitude;latitude\nA;Guéret;1.8717;46.1703\n")
    (tmp_path / "mine.toml").write_text(
        f'extends = "{DEMO}"\n[sites.mine]\nsource = "sites.csv"\npartner = "asso"\n', encoding="utf-8"
    )
    assert _cli("run", "mine.toml", "--out", "first", "--no-map", cwd=tmp_path).returncode == 0
    lock = tmp_path / "first" / "scenario.lock.toml"
    text = lock.read_text(encoding="utf-8")
    assert "[[lock.files]]" in text
    lock.write_text(text[: text.index("[[lock.files]]")], encoding="utf-8")  # hashes removed
    result = _cli("run", str(lock), "--out", "second", "--no-map", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "`mine` reads" in result.stderr and "which the lock does not record" in result.stderr
    assert not (tmp_path / "second").exists()


def test_out_of_memory_is_a_readable_message(tmp_path):
    """A real allocation failure: the process's address space is capped before the reach is built."""
    (tmp_path / "big.toml").write_text(
        textwrap.dedent(
            """
            name = "big"
            [territory]
            departments = "all"
            [demand]
            use_fragility = false
            [sites.mairie]
            source = "town_halls"
            partner = "mairie"
            [access]
            rule = "radius"
            metres = 40000.0
            [objective]
            model = "maximal_coverage"
            max_sites = 100
            """
        ),
        encoding="utf-8",
    )
    script = textwrap.dedent(
        """
        import resource, sys
        import psutil
        import coverage.models.location, coverage.reach.layers, coverage.scenario.run
        from coverage.cli.main import main
        limit = psutil.Process().memory_info().vms + 800 * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
        sys.exit(main(["run", "big.toml", "--no-map", "--out", "out"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error: out of memory" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("headroom_mb", [20, 50])
def test_a_tight_memory_cap_at_the_first_read_is_a_message_not_a_hang(tmp_path, headroom_mb):
    """Issue 13: with little room left, pyarrow's scanner raised ``ArrowException: Failed to launch
    worker thread`` (50 MB) or waited forever on its thread pool, deaf to SIGTERM (20 MB)."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        import psutil
        import coverage.models.location, coverage.reach.layers, coverage.scenario.run
        from coverage.cli.main import main
        limit = psutil.Process().memory_info().vms + {headroom_mb} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
        sys.exit(main(["run", "demo", "--no-map", "--out", "out", "--marginal", "off"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error: out of memory" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_resource_exhaustion_is_recognised_in_every_library_s_words():
    import pyarrow as pa

    from coverage.errors import out_of_resources

    assert out_of_resources(pa.ArrowException("Unknown error: Failed to launch worker thread: x"))
    assert out_of_resources(OSError(12, "Cannot allocate memory"))
    assert not out_of_resources(pa.ArrowInvalid("Parquet magic bytes not found in footer"))
    assert not out_of_resources(OSError(2, "No such file or directory"))


def test_plan_stopped_at_a_time_limit_says_it_may_differ(tmp_path):
    from coverage.scenario.output import repeatability_note

    assert "another run may give a different plan" in repeatability_note(
        "feasible", 0.01, deterministic=False
    )
    assert "a rerun of this scenario gives the same plan" in repeatability_note(
        "feasible", 0.01, deterministic=True
    )


def test_deterministic_option_gives_the_same_plan_twice(tmp_path):
    from coverage.scenario.run import run_scenario

    overrides = [
        "solver.deterministic=true",
        "solver.node_limit=5",
        "objective.max_sites=30",
        'solver.solver="cbc"',
    ]
    scenario = load_scenario(shipped_scenario("demo"), overrides=overrides)
    options = scenario.to_solver_options()
    assert (options.threads, options.time_limit, options.node_limit) == (1, None, 5)
    plans = [run_scenario(scenario).plan for _ in range(2)]
    assert plans[0].open_site_ids == plans[1].open_site_ids
    assert plans[0].objective == plans[1].objective
