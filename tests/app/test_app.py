"""The Streamlit app, driven headless with streamlit.testing.v1.AppTest on the embedded demo."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app extra is not installed (pip install -e '.[app]')")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coverage.app import PAGE  # noqa: E402


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the app's upload folders
    # Streamlit runs the script as sys.modules["__main__"] and leaves it there: put pytest's back,
    # or processes spawned later (Dask's workers) would run the app as their main module.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params["lang"] = "en"  # these tests read the English labels (French is the default)
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def within_reach(kpis: dict[str, str]) -> float:
    """The need within reach of the card "within reach / total need"."""
    reached, total = kpis["People in need within reach"].split(" / ")
    assert float(total.replace(",", "")) >= float(reached.replace(",", ""))
    return float(reached.replace(",", ""))


def test_starts_on_the_embedded_demo(app: AppTest) -> None:
    app.run()
    assert not app.exception
    kpis = metrics(app)
    assert kpis["Open sites"] == "12"
    assert kpis["Departments with an open site"] == "2 / 2"
    assert kpis["Solve status"] == "optimal"
    assert app.query_params["scenario"] == "demo"


def test_more_sites_and_resolve_change_the_kpis_and_the_url(app: AppTest) -> None:
    app.run()
    before = metrics(app)
    app.sidebar.slider(key="w:objective.max_sites").set_value(20).run()
    after = metrics(app)
    assert not app.exception
    assert after["Open sites"] == "20"
    reached_before = within_reach(before)
    reached_after = within_reach(after)
    assert reached_after > reached_before
    assert app.query_params["objective.max_sites"] == "20"


def test_query_parameters_restore_a_view(app: AppTest) -> None:
    app.query_params["scenario"] = "demo"
    app.query_params["objective.max_sites"] = "5"
    app.query_params["access.rural"] = "20000.0"
    app.run()
    assert not app.exception
    assert app.sidebar.slider(key="w:objective.max_sites").value == 5
    assert app.sidebar.number_input(key="w:access.rural").value == 20000.0
    assert metrics(app)["Open sites"] == "5"


def test_a_bad_link_is_reported_and_the_demo_still_runs(app: AppTest) -> None:
    app.query_params["objective.max_sitez"] = "5"
    app.run()
    assert not app.exception
    warning = " ".join(w.value for w in app.sidebar.warning)
    assert "max_sitez" in warning
    assert metrics(app)["Open sites"] == "12"


def test_a_bad_upload_shows_the_library_message_and_no_traceback(app: AppTest) -> None:
    app.run()
    app.file_uploader(key="layer_upload").set_value(
        ("sites.csv", b"site_id,longitude,latitude\na,1.87,45.9\nb,45.9,1.87\n", "text/csv")
    ).run()
    app.button(key="read_layer").click().run()
    assert not app.exception
    errors = " ".join(e.value for e in app.error)
    assert "sites.csv, row 2" in errors
    assert "swapped" in errors
    assert "Traceback" not in errors


def test_an_upload_of_the_wrong_type_is_refused(app: AppTest) -> None:
    app.run()
    app.file_uploader(key="layer_upload").set_value(
        ("evil.pkl", b"\x80\x04K\x01.", "application/octet-stream")
    ).run()
    assert not app.exception
    assert "unsupported file type '.pkl'" in " ".join(e.value for e in app.error)


def test_pinning_then_changing_settings_shows_sites_opened(app: AppTest) -> None:
    app.run()
    next(b for b in app.button if b.label == "Pin this plan").click().run()
    app.sidebar.slider(key="w:objective.max_sites").set_value(14).run()
    assert not app.exception
    opened = next(s for s in app.subheader if s.value.startswith("Sites opened"))
    assert opened.value != "Sites opened (0)"
    assert any(m.delta == "+2.0" for m in app.metric if m.label == "Open sites")


def test_an_uploaded_site_layer_joins_the_plan_and_the_url(app: AppTest) -> None:
    app.run()
    csv = b"code;nom;lng;lat\nS1;Gueret centre;1,8717;46,1714\nS2;Limoges centre;1.2611;45.8336\n"
    app.file_uploader(key="layer_upload").set_value(("mine.csv", csv, "text/csv")).run()
    assert app.selectbox(key="map_id").value == "code"
    assert app.selectbox(key="map_lon").value == "lng"
    app.button(key="read_layer").click().run()
    assert not app.exception
    assert "2 candidate sites added" in " ".join(s.value for s in app.success)
    assert app.query_params["sites.upload.partner"] == '"my_sites"'
    assert metrics(app)["Open sites"] == "12"


def test_a_link_names_an_upload_by_its_hash_and_says_when_this_server_lacks_it(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app.run()
    csv = b"code;nom;lng;lat;places\nS1;Gueret centre;1.8717;46.1714;3\nS2;Limoges centre;1.2611;45.8336;2\n"
    app.file_uploader(key="layer_upload").set_value(("mine.csv", csv, "text/csv")).run()
    app.selectbox(key="map_capacity").set_value("places")
    app.button(key="read_layer").click().run()
    assert not app.exception
    link = dict(app.query_params)
    assert "sites.upload.source" in link, (link, [e.value for e in app.error], [w.value for w in app.warning])
    source = link["sites.upload.source"]
    assert re.fullmatch(r'"upload:sites-[0-9a-f]{16}\.geojson"', source), source
    assert str(tmp_path) not in " ".join(link.values())  # no server path in the link
    assert link["sites.upload.capacity"] == '"capacity"'  # the mapped column is kept

    # the same link in a new session of this server: the layer is back in the plan
    again = AppTest.from_file(str(PAGE), default_timeout=60)
    for key, value in link.items():
        again.query_params[key] = value
    again.run()
    assert not again.exception and not again.warning
    assert again.query_params["sites.upload.source"] == source

    # on a server without that upload: said, and the rest of the link applies
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    other = AppTest.from_file(str(PAGE), default_timeout=60)
    for key, value in {**link, "objective.max_sites": "7"}.items():
        other.query_params[key] = value
    other.run()
    assert not other.exception
    warned = " ".join(w.value for w in other.sidebar.warning)
    assert "not on this server" in warned and "sites-" in warned
    assert metrics(other)["Open sites"] == "7"


def test_heavy_scenarios_solve_on_a_button_press_only(app: AppTest) -> None:
    app.run()
    app.sidebar.selectbox(key="base").set_value("laposte-2021").run()
    assert not app.exception
    assert any(b.label == "Solve" for b in app.button)
    assert not app.metric
    assert app.query_params["scenario"] == "laposte-2021"


def test_settings_the_library_refuses_are_shown_as_its_message(app: AppTest) -> None:
    app.run()
    app.sidebar.selectbox(key="w:objective.model").set_value("staffing").run()
    assert not app.exception
    assert "model 'staffing' needs at least one [partners.<name>] table" in " ".join(
        e.value for e in app.error
    )


def test_exports_are_offered(app: AppTest) -> None:
    app.run()
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == [
        "Scenario TOML (runs with coverage-plan run FILE)",
        "Plan GeoPackage",
        "Plan CSV tables (zip)",
        "Committee report (one HTML file)",
        "HTML map (opens offline)",
    ]
    assert "max_sites = 12" in app.code[0].value


def test_an_uploaded_demand_layer_is_solved_on_and_can_be_removed(app: AppTest) -> None:
    app.run()
    built = metrics(app)["People in need within reach"]
    app.radio(key="upload_kind").set_value("demand").run()
    csv = b"code;people;x;y\nu1;120;1,87;46,17\nu2;30;1.26;45.83\nu3;1000;2.35;48.85\n"
    app.file_uploader(key="layer_upload").set_value(("units.csv", csv, "text/csv")).run()
    assert app.selectbox(key="map_id").value == "code"
    app.selectbox(key="map_need").set_value("people")
    assert app.selectbox(key="map_lon").value == "x"
    app.button(key="read_layer").click().run()
    assert not app.exception
    assert "3 demand units, need 1,150" in " ".join(s.value for s in app.success)
    # Paris (u3) is outside the demo's departments: u1 and u2 are kept, both within reach
    assert metrics(app)["People in need within reach"] == "150 / 150"
    assert app.query_params["demand.source"].endswith('.geojson"')
    assert "source = " in app.code[0].value and "[demand]" in app.code[0].value
    app.button(key="remove_demand").click().run()
    assert not app.exception
    assert metrics(app)["People in need within reach"] == built
    assert "demand.source" not in app.query_params


def test_an_uploaded_scenario_with_problems_shows_them_all(app: AppTest) -> None:
    app.run()
    text = (
        b'name = "mine"\n[territory]\ndepartments = ["23"]\n'
        b'[objective]\nmax_sitez = 3\n[access]\nrule = "fast"\n'
    )
    app.sidebar.file_uploader(key="toml_upload").set_value(("mine.toml", text, "application/toml")).run()
    assert not app.exception
    errors = " ".join(e.value for e in app.error)
    assert "max_sitez" in errors
    assert "did you mean `max_sites`?" in errors
    assert "fast" in errors
    assert "Traceback" not in errors


def test_an_uploaded_scenario_is_solved(app: AppTest) -> None:
    app.run()
    text = b'name = "mine"\n[territory]\ndepartments = ["23"]\n[objective]\nmax_sites = 3\n'
    app.sidebar.file_uploader(key="toml_upload").set_value(("mine.toml", text, "application/toml")).run()
    assert not app.exception
    assert app.sidebar.selectbox(key="base").value == "uploaded TOML"
    assert metrics(app)["Open sites"] == "3"
    assert metrics(app)["Departments with an open site"] == "1 / 1"


def test_the_solve_button_reports_missing_official_files(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COVERAGE_DATA_DIR", str(tmp_path))
    app.run()
    app.sidebar.selectbox(key="base").set_value("laposte-2021").run()
    next(b for b in app.button if b.label == "Solve").click().run()
    assert not app.exception
    errors = " ".join(e.value for e in app.error)
    assert "data files are missing" in errors
    assert "laposte_points" in errors


def test_the_numbers_tab_says_what_binds_and_measures_one_more_on_request(app: AppTest) -> None:
    app.run()
    frames = [f.value for f in app.dataframe]
    binding = next(f for f in frames if "constraint" in f.columns)
    tight = binding[binding["tight"] == "yes"]
    assert tight["constraint"].tolist() == ["site count"]
    assert tight["use against its limit"].tolist() == ["12 of at most 12 sites open"]
    app.button(key="measure_marginal").click().run()
    assert not app.exception
    lines = [m.value for m in app.markdown if m.value.startswith("- one more site: +")]
    assert len(lines) == 1 and lines[0].endswith("people in need within reach (re-solve, exact)")
    app.run()  # kept for the same settings, not measured again
    assert any(m.value.startswith("- 1 km more radius: +") for m in app.markdown)


ROLLOUT = b"""\
name = "rollout"
[territory]
departments = ["23"]
[sites.mairie]
source = "town_halls"
[partners.mairie]
advisors = 4
people_per_slot_month = 40.0
[objective]
model = "staffing"
[horizon]
start = 2022-01-01
until = 2022-12-31
target = 1500.0
[rollout]
ramp_months = 2
[rollout.partners.mairie.waves.first]
start = "2022-01"
advisors = 2
[rollout.partners.mairie.waves.second]
start = "2022-04"
advisors = 2
"""


def test_a_scenario_with_a_rollout_shows_its_curve_and_target_month(app: AppTest) -> None:
    app.run()
    app.sidebar.file_uploader(key="toml_upload").set_value(
        ("rollout.toml", ROLLOUT, "application/toml")
    ).run()
    assert not app.exception
    cards = metrics(app)
    # 1,520 people by December (see tests/scenario/test_scenario_rollout.py), 1,360 by November.
    assert cards["People accompanied by 2022-12"] == "1,520"
    assert cards["Target reached"] == "2022-12"
    assert any("Rollout solve: optimal" in c.value for c in app.caption)
    assert app.subheader[0].value == "Rollout over time"


def test_forced_and_closed_sites_and_a_budget_are_settings_of_the_app(app: AppTest) -> None:
    app.run()
    app.sidebar.text_input(key="w:objective.forced").set_value("mairie:23096").run()
    app.sidebar.text_input(key="w:objective.closed").set_value("mairie:87086, mairie:23024").run()
    assert not app.exception
    assert app.query_params["objective.forced"] == '["mairie:23096"]'
    assert app.query_params["objective.closed"] == '["mairie:87086", "mairie:23024"]'
    assert metrics(app)["Open sites"] == "12"
    open_ids = next(set(t.value["Site"]) for t in app.dataframe if "Served" in t.value.columns)
    assert "mairie:23096" in open_ids and not {"mairie:87086", "mairie:23024"} & open_ids
    app.sidebar.text_input(key="w:objective.forced").set_value("mairie:2309").run()
    errors = " ".join(e.value for e in app.error)
    assert "objective.forced names 1 site id that is not a candidate site: 'mairie:2309'" in errors


def test_a_long_solve_shows_its_phases_and_the_time_elapsed(app: AppTest) -> None:
    # twelve departments: above the app's light limit, so it solves on a press, with a status box
    departments = '["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]'
    app.query_params["territory.departments"] = departments
    app.run()
    assert not app.metric
    next(b for b in app.button if b.label == "Solve").click().run(timeout=300)
    assert not app.exception
    labels = [status.label for status in app.status]
    assert any(re.fullmatch(r"Done in [\d.,]+ s", label) for label in labels), labels
    written = " ".join(m.value for m in app.markdown)
    for phase in ("load", "demand", "sites", "reach", "solve", "plan"):
        assert f"{phase}..." in written
    assert metrics(app)["Departments with an open site"].endswith("/ 12")


@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00binary\x00scenario", b"name = 'x'\n[objective\n", "é".encode("latin-1")]
)
def test_an_uploaded_scenario_that_is_not_toml_is_a_message(app: AppTest, tmp_path: Path, content) -> None:
    """Issue 13: a binary or non-UTF-8 scenario in the sidebar was a UnicodeDecodeError traceback."""
    path = tmp_path / "uploaded-scenario.toml"
    path.write_bytes(content)
    app.session_state["uploaded_toml"] = str(path)
    app.session_state["base"] = "uploaded TOML"
    app.session_state["restored"] = True
    app.session_state["upload_dir"] = str(tmp_path)
    app.run()
    assert not app.exception, app.exception
    shown = " ".join(e.value for e in app.error)
    assert "The scenario file has problems" in shown and "uploaded-scenario.toml" in shown
