"""The app on a road_time scenario (the test road network): its inputs and the straight line vs road map."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app extra is not installed (pip install -e '.[app]')")
from streamlit.testing.v1 import AppTest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli.test_cli_roads import write_scenario  # noqa: E402
from coverage.app import PAGE  # noqa: E402
from coverage.app.roads import road_difference_layer  # noqa: E402
from coverage.scenario.access import compare_access  # noqa: E402
from coverage.scenario.loading import load_scenario  # noqa: E402
from coverage.scenario.run import run_scenario  # noqa: E402


def test_app_runs_a_road_time_scenario_and_shows_straight_line_vs_road(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = write_scenario(tmp_path)
    # the app copies an uploaded TOML elsewhere: make the scenario's paths absolute
    text = scenario.read_text(encoding="utf-8")
    for name in ("units.csv", "sites.csv", "grid.osm.pbf"):
        text = text.replace(f'"{name}"', f'"{tmp_path / name}"')
    scenario.write_text(text, encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.session_state["uploaded_toml"] = str(scenario)
    app.session_state["base"] = "uploaded TOML"
    app.session_state["restored"] = True  # no URL to restore the demo from
    # Uploaded scenarios are sandboxed: their files must lie in the session's upload folder.
    app.session_state["upload_dir"] = str(tmp_path)
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception, app.exception
    assert "Road travel time" in app.sidebar.radio(key="w:access.rule").options
    assert app.sidebar.number_input(key="w:access.rural").value == 10.0
    app.checkbox(key="roads_compare").check().run()
    assert not app.exception, app.exception
    captions = " ".join(c.value for c in app.caption)
    assert "Pairs gained by road" in captions and "by road" in captions


def test_road_difference_layer_marks_the_units_the_road_changes(tmp_path: Path) -> None:
    run = run_scenario(load_scenario(write_scenario(tmp_path), overrides=["access.rural=10.0"]))
    difference = compare_access(run)
    layer = road_difference_layer(difference, run)
    # straight line (10 min x 50 km/h / 1.3 = 6.4 km) reaches everything; by road in 10 min
    # A and B lose S1 (across the river): nobody is unreached, A and B change nearest site
    assert layer.layer_name == (
        "straight line vs road: 0 reached by road only, 0 reached in straight line only, "
        "2 nearest site changes"
    )
    assert len(layer._children) == 2
