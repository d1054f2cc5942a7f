"""Issue 13, security: script payloads in every text field never run, CSV exports neutralise
formulas, uploaded scenarios are sandboxed, run folder names stay in runs/, --force needs a marker."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage.app.upload import (
    MAX_UPLOAD_FEATURES,
    ColumnMapping,
    read_sites_upload,
    save_upload,
)
from coverage.errors import LayerValidationError, LimitExceededError, ScenarioError
from coverage.plan.export import formula_safe
from coverage.plan.maps import plan_map
from coverage.scenario.loading import load_scenario
from coverage.scenario.output import check_out_folder, default_run_folder, write_run
from coverage.scenario.run import run_scenario, shipped_scenario

PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The demo with an uploaded site layer whose names and ids carry a script and a formula."""
    folder = tmp_path_factory.mktemp("hostile")
    rows = [
        f"h1;{PAYLOAD};1.8717;46.1703",
        f"h2;{FORMULA};2.1686;45.9563",
        "h3;<script>document.title='pwned'</script>;1.2611;45.8336",
    ]
    csv = ("code;nom;longitude;latitude\n" + "\n".join(rows) + "\n").encode()
    path = save_upload("hostile.csv", csv, folder)
    out = folder / "hostile-sites.geojson"
    read_sites_upload(path, ColumnMapping(id="code", name="nom"), partner=PAYLOAD, out=out)
    scenario = load_scenario(
        shipped_scenario("demo"),
        overrides=[
            f"sites.upload.source={json.dumps(str(out))}",
            f"sites.upload.partner={json.dumps(PAYLOAD)}",
            "objective.max_sites=3",
        ],
    )
    return run_scenario(scenario)


def test_map_escapes_every_text_of_every_layer(hostile_run, tmp_path):
    m = plan_map(hostile_run.plan, candidates=hostile_run.sites)
    page = m.get_root().render()
    assert "<img src=x" not in page and "<script>document.title" not in page
    # shown as text in the hover boxes (the GeoJSON blob writes & as \u0026)
    assert "\\u0026lt;img src=x onerror=" in page or "&lt;img src=x onerror=" in page


def test_no_payload_runs_in_chromium(hostile_run, tmp_path):
    """Open map.html in Chromium, hover every marker: the page title never changes."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not (LEAFLET / "leaflet.js").is_file() or not shutil.which("chromium"):
        pytest.skip("needs Debian's chromium and libjs-leaflet")
    m = plan_map(hostile_run.plan, candidates=hostile_run.sites)
    page_path = tmp_path / "map.html"
    m.save(str(page_path))
    with playwright.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "chromium")
        except Exception as exc:  # no browser on this machine
            pytest.skip(f"chromium cannot start: {exc}")
        page = browser.new_page()
        page.route(lambda url: not url.startswith("file:"), _offline)
        page.goto(page_path.as_uri())
        page.wait_for_timeout(500)
        texts = page.evaluate(_OPEN_EVERY_TOOLTIP)
        page.wait_for_timeout(500)  # an <img onerror> would have fired by now
        title = page.title()
        browser.close()
    assert title != "pwned"
    assert any("<img src=x" in text for text in texts)  # the payload shows as plain text


LEAFLET = Path("/usr/share/javascript/leaflet")


def _offline(route) -> None:
    """Leaflet from Debian's libjs-leaflet; other scripts and styles empty; nothing from the network."""
    name = route.request.url.split("?")[0].rsplit("/", 1)[-1]
    if name in ("leaflet.js", "leaflet.css") and (LEAFLET / name).is_file():
        route.fulfill(path=str(LEAFLET / name))
    elif name.endswith(".js"):
        route.fulfill(body="", content_type="text/javascript")
    elif name.endswith(".css"):
        route.fulfill(body="", content_type="text/css")
    else:
        route.abort()


#: Hover every marker of every Leaflet map of the page (events propagate to the GeoJSON layers'
#: tooltips) and return the text of each tooltip shown.
_OPEN_EVERY_TOOLTIP = """() => {
  const texts = [];
  const grab = () => document.querySelectorAll('.leaflet-tooltip').forEach(t => texts.push(t.innerText));
  for (const key of Object.keys(window)) {
    const map = window[key];
    if (!(map instanceof L.Map)) continue;
    map.eachLayer(layer => {
      if (!layer.getLatLng) return;
      layer.fire('mouseover', {latlng: layer.getLatLng()}, true);
      if (layer.getTooltip && layer.getTooltip()) layer.openTooltip();
      grab();
      layer.fire('mouseout', {latlng: layer.getLatLng()}, true);
      if (layer.getTooltip && layer.getTooltip()) layer.closeTooltip();
    });
  }
  return texts;
}"""


def test_csv_exports_neutralise_formulas(hostile_run, tmp_path):
    folder = tmp_path / "run"
    write_run(hostile_run, folder, with_map=False)
    sites = pd.read_csv(folder / "open_sites.csv", dtype=str)
    cells = sites.to_numpy().ravel().tolist()
    assert not [c for c in cells if isinstance(c, str) and c.startswith(("=", "+", "@", "\t", "\r"))]
    exported = hostile_run.plan.to_csv(tmp_path / "plan")
    text = "".join(Path(p).read_text(encoding="utf-8") for p in exported)
    assert FORMULA not in text.replace("'" + FORMULA, "")  # only in its neutralised form
    frame = formula_safe(
        pd.DataFrame({"a": ["-2+3", "\tcmd", "\rx", "+1", "@a", "ok"], "n": [-1, 2, 3, 4, 5, 6]})
    )
    assert frame["a"].tolist() == ["'-2+3", "'\tcmd", "'\rx", "'+1", "'@a", "ok"]
    assert frame["n"].tolist() == [-1, 2, 3, 4, 5, 6]


def test_batch_report_escapes_labels(tmp_path):
    from coverage.batch.report import report_text

    summary = pd.DataFrame(
        [{"case": 1, "case_id": "x", "label": PAYLOAD, "status": "failed", "error": "<b>boom</b>",
          "served_need": 0.0, "served_share": 0.0, "cost": None, "cost_kind": "open sites"}]
    )  # fmt: skip
    text = report_text(summary, summary.iloc[0:0], scenario="<script>x</script>", scenario_path=tmp_path)
    assert "<img" not in text and "<script>" not in text and "<b>" not in text


@pytest.mark.parametrize(
    "override",
    [
        'demand.source="/etc/passwd"',
        'demand.source="../../../../etc/passwd.csv"',
        'sites.evil.source="/etc/hosts.csv"',
        'access.table="/etc/shadow"',
    ],
)
def test_sandboxed_scenario_reads_nothing_outside(tmp_path, override):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    path = uploads / "uploaded-scenario.toml"
    path.write_text('name = "x"\n[objective]\nmax_sites = 3\n', encoding="utf-8")
    overrides = [override]
    if override.startswith("sites.evil"):
        overrides.append('sites.evil.partner="p"')
    if override.startswith("access.table"):
        overrides.append('access.rule="travel_time"')
    with pytest.raises(ScenarioError, match="is outside the folders this scenario may read") as caught:
        load_scenario(path, overrides=overrides, allowed_folders=[uploads])
    assert "root:" not in str(caught.value)  # nothing of the file is echoed


def test_sandboxed_extends_outside_is_refused_before_reading(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "secret-token-123"\n', encoding="utf-8")
    path = uploads / "up.toml"
    path.write_text(f'extends = "{secret.as_posix()}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="`extends`: .* is outside") as caught:
        load_scenario(path, allowed_folders=[uploads])
    assert "secret-token-123" not in str(caught.value)
    inside = uploads / "base.toml"
    inside.write_text('name = "base"\n', encoding="utf-8")
    path.write_text('extends = "base.toml"\n', encoding="utf-8")
    assert load_scenario(path, allowed_folders=[uploads]).name == "base"


def test_app_views_are_sandboxed(tmp_path):
    from coverage.app.settings import load_view, sandbox_folders

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    path = uploads / "uploaded-scenario.toml"
    path.write_text('name = "x"\n[demand]\nsource = "/etc/passwd"\nneed_column = "a"\nid_column = "b"\n')
    with pytest.raises(ScenarioError, match="outside"):
        load_view(path, {}, allowed_folders=sandbox_folders(uploads))
    with pytest.raises(ScenarioError, match="outside"):  # a shared link's override, on a shipped scenario
        load_view(shipped_scenario("demo"), {"demand.source": '"/etc/passwd"'}, allowed_folders=[uploads])


@pytest.mark.parametrize(
    ("name", "folder"),
    [("../../x", "x"), ("/abs/path", "abs_path"), ("..", "run"), ("a/../../b", "a_b")],
)
def test_run_folder_names_stay_inside_runs(tmp_path, name, folder):
    out = default_run_folder(name, root=tmp_path)
    assert out.parent == tmp_path / "runs"
    assert re.fullmatch(rf"{re.escape(folder)}-\d{{8}}-\d{{6}}", out.name)


def test_cli_scenario_name_cannot_escape_runs(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'extends = "{shipped_scenario("demo").as_posix()}"\nname = "../../escaped"\n'
        "[objective]\nmax_sites = 2\n",
        encoding="utf-8",
    )
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    result = subprocess.run(
        [*_cli(), "run", str(scenario), "--no-map"], cwd=work, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    made = list((work / "runs").iterdir())
    assert len(made) == 1 and made[0].name.startswith("escaped-")
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("escaped*"))


def test_force_replaces_only_a_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not written by 'coverage-plan run'"):
        check_out_folder(Path("."), force=True)
    result = subprocess.run(
        [*_cli(), "run", "demo", "--set", "objective.max_sites=2", "--out", ".", "--force", "--no-map"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not written by 'coverage-plan run'" in result.stderr
    assert "[1/" not in result.stderr  # refused before any work
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_unwritable_out_is_found_before_the_solve(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(PermissionError, match="not a writable folder"):
            check_out_folder(locked / "run")
    finally:
        locked.chmod(0o700)


def test_unwritable_out_cli_message(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = subprocess.run(
        [*_cli(), "run", "demo", "--out", str(target / "run"), "--no-map"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is not a writable folder" in result.stderr and "[1/" not in result.stderr


def _cli() -> list[str]:
    import sys

    return [sys.executable, "-m", "coverage.cli"]


# --------------------------------------------------------------------------- upload limits


def test_zip_bomb_is_refused_from_its_directory_and_deleted(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("points.shp", b"\0" * (210 * 1024 * 1024))  # compresses to a few hundred kB
        zf.writestr("points.dbf", b"")
        zf.writestr("points.shx", b"")
        zf.writestr("points.prj", b"")
    data = archive.read_bytes()
    assert len(data) < 2 * 1024 * 1024
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with pytest.raises(
        LimitExceededError, match=r"bomb.zip: unzipped, the files hold 210 MiB, above the 200 MiB"
    ):
        save_upload("bomb.zip", data, uploads)
    assert list(uploads.iterdir()) == []


def test_upload_with_too_many_features_is_refused_before_reading(tmp_path):
    n = MAX_UPLOAD_FEATURES + 1
    points = gpd.GeoDataFrame(
        {"code": [f"p{i}" for i in range(n)]},
        geometry=gpd.points_from_xy([1.87 + (i % 100) * 1e-4 for i in range(n)], [46.17] * n),
        crs=4326,
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    points.to_file(shp / "points.shp", engine="pyogrio")
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in shp.iterdir():
            zf.write(part, part.name)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with pytest.raises(LimitExceededError, match=rf"many.zip: {n:,} rows or features, above the limit of"):
        save_upload("many.zip", archive.read_bytes(), uploads)
    assert list(uploads.iterdir()) == []


def test_layer_rows_limit_and_nan_coordinate(tmp_path):
    from coverage.data.layers import read_layer

    csv = tmp_path / "sites.csv"
    csv.write_text("id;longitude;latitude\na;1.87;46.17\nb;2.17;45.96\nc;1.26;45.83\n", encoding="utf-8")
    with pytest.raises(LimitExceededError, match=r"sites.csv: 3 rows, above the limit of 2"):
        read_layer(csv, max_rows=2)
    nan = tmp_path / "units.geojson"
    nan.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[1.87,46.17]}},'
        '{"type":"Feature","properties":{"id":"b"},"geometry":{"type":"Point","coordinates":[NaN,46.17]}}]}'
    )
    with pytest.raises(
        LayerValidationError, match=r"units.geojson, row 2, column 'geometry': a coordinate is not"
    ):
        read_layer(nan)


def test_reach_pairs_are_counted_before_they_are_built():
    import numpy as np

    from coverage.reach.pairs import pairs_within

    xy = np.random.default_rng(0).uniform(0, 1000, size=(300, 2))
    with pytest.raises(LimitExceededError, match=r"the reach would hold 90,000 unit-site pairs"):
        pairs_within(xy, xy, np.full(300, 5000.0), max_pairs=10_000)
    rows, _, _ = pairs_within(xy, xy, np.full(300, 5000.0), max_pairs=90_000)
    assert len(rows) == 90_000
