from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from coverage.errors import MissingDataError, ScenarioError
from coverage.plan import maps
from coverage.scenario.loading import dump_scenario, load_scenario
from coverage.scenario.lock import LOCK_FILE, Lock, read_lock
from coverage.scenario.output import RUN_FILES, default_run_folder, read_run, run_summary, write_run
from coverage.scenario.run import run_scenario, shipped_scenario


@pytest.fixture(scope="module")
def demo():
    return run_scenario(load_scenario(shipped_scenario("demo")))


def test_write_run_writes_every_file_and_reads_back(demo, tmp_path):
    written = write_run(demo, tmp_path / "runs" / "one")
    assert [p.name for p in written] == list(RUN_FILES)
    back = read_run(tmp_path / "runs" / "one")
    assert back.name == "one"
    assert back.summary["summary"]["open_sites"] == len(demo.plan.open_site_ids) == len(back.open_sites)
    assert set(back.open_sites["site_id"]) == set(demo.plan.open_site_ids)
    assert list(back.kpis["department"]["dep"]) == ["23", "87"]


def test_write_run_without_map(demo, tmp_path):
    written = write_run(demo, tmp_path / "out", with_map=False)
    assert "map.html" not in [p.name for p in written]
    assert not (tmp_path / "out" / "map.html").exists()


def test_a_failed_write_leaves_nothing(demo, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("map failed")

    monkeypatch.setattr(maps, "plan_map", broken)
    with pytest.raises(RuntimeError, match="map failed"):
        write_run(demo, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_existing_targets(demo, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        write_run(demo, tmp_path / "file", with_map=False)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty.*--force"):
        write_run(demo, full, with_map=False)
    assert (full / "keep.txt").exists()
    # --force replaces only a folder a run wrote (issue 13): a folder of other files is kept
    with pytest.raises(FileExistsError, match=r"not written by 'coverage-plan run'.*\.coverage-run"):
        write_run(demo, full, with_map=False, force=True)
    assert (full / "keep.txt").read_text() == "x"
    earlier = tmp_path / "earlier"
    write_run(demo, earlier, with_map=False)
    (earlier / "note.txt").write_text("old")
    write_run(demo, earlier, with_map=False, force=True)
    assert not (earlier / "note.txt").exists() and (earlier / "summary.json").exists()
    shutil.rmtree(earlier)
    empty = tmp_path / "empty"
    empty.mkdir()
    write_run(demo, empty, with_map=False)
    assert (empty / "summary.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file", "full"]


def test_default_run_folder_is_stamped_and_unique(tmp_path):
    now = dt.datetime(2025, 3, 4, 5, 6, 7)
    first = default_run_folder("demo", root=tmp_path, now=now)
    assert first == tmp_path / "runs" / "demo-20250304-050607"
    first.mkdir(parents=True)
    assert default_run_folder("demo", root=tmp_path, now=now).name == "demo-20250304-050607-2"


def test_summary_is_strict_json(demo):
    summary = run_summary(demo)
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["kpis"]["zone"][0]["zone"] in ("rural", "urban")
    assert summary["projection"] is None  # no partners: no slots to project


def test_lock_file_round_trips_and_is_stripped(demo, tmp_path):
    lock = Lock.from_run(demo)
    path = tmp_path / LOCK_FILE
    path.write_text(dump_scenario(demo.scenario, lock=lock), encoding="utf-8")
    assert read_lock(path) == lock
    assert load_scenario(path) == demo.scenario
    assert lock.solver.name == demo.plan.solver
    assert lock.files == [] and lock.mismatches() == []


def test_invalid_lock_table_names_the_key(demo, tmp_path):
    path = tmp_path / LOCK_FILE
    text = dump_scenario(demo.scenario, lock=Lock.from_run(demo))
    text += '\n[[lock.files]]\npath = "x.csv"\nsha256 = "nothex"\nsize = 3\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"`lock\.files\.0\.sha256`"):
        load_scenario(path)


def test_read_run_refuses_other_folders(tmp_path):
    with pytest.raises(MissingDataError, match="is not a folder"):
        read_run(tmp_path / "absent")
    with pytest.raises(MissingDataError, match="missing summary.json, open_sites.csv"):
        read_run(tmp_path)
