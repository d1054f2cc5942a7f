"""End to end in a real browser: `streamlit run` on a loopback port, driven by Playwright.

Uses the system's Chromium (Debian's `chromium` package, installed by `.ci/run`);
Playwright never downloads a browser here. Without Chromium the test is
skipped, except under CI (`CI` set), where it fails.

The test machine is offline, like an intranet that blocks public CDNs: the map's
Leaflet comes from the package (``coverage.app.assets``), requests leaving the
loopback are refused and recorded, and the offline test asserts there are none.

Each test asserts what a planner sees: the map's frame has a non-zero height,
features are drawn, and the page reports no error (``geo_json_... is not
defined`` was the error of a map drawn a second time).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Locator, Page, Playwright, Route

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LEAFLET = Path("/usr/share/javascript/leaflet")


def _need_browser() -> None:
    missing = []
    if CHROMIUM is None:
        missing.append("no chromium on PATH (apt-get install chromium)")
    if not (LEAFLET / "leaflet.js").is_file():
        missing.append(f"no {LEAFLET / 'leaflet.js'} (apt-get install libjs-leaflet)")
    if missing:
        reason = "; ".join(missing) + ": the browser test needs them, and .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    pytest.importorskip("streamlit", reason="the app extra is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# what the planner reads (the app's default language is French)
OPEN_SITES = "Lieux ouverts"
SITES_TO_OPEN = "Lieux à ouvrir"
MAP_TAB, COMPARE_TAB, DATA_TAB, EXPORT_TAB = "Carte", "Comparer", "Vos données", "Exporter"
PIN = "Épingler ce plan"
OPENED_SINCE = "Lieux ouverts en plus"
READ_LAYER = "Lire cette couche"
UPLOAD_DONE = "lieux candidats ajoutés"
CANDIDATES = "lieux candidats"
#: Columns the app guesses by their names, and the one the planner maps (no name says it is a capacity)
UPLOAD_GUESSED = {"Colonne identifiant": "code", "Colonne longitude": "X", "Colonne latitude": "Y"}
UPLOAD_MAPPING = {"Colonne capacité (créneaux)": "places"}
GPKG, HTML_MAP = "Plan en GeoPackage", "Carte HTML (s’ouvre hors ligne)"
REPORT = "Rapport pour le comité (un fichier HTML)"


def _start(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, Path]:
    _need_browser()
    port = _free_port()
    log_path = tmp / "streamlit.log"
    log = log_path.open("w")
    # as a planner starts it from the installed package
    command = [sys.executable, "-m", "coverage.cli", "app", "--address", "127.0.0.1"]
    command += ["--port", str(port), "--headless"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}", log_path
        if process.poll() is not None:
            pytest.fail(f"streamlit exited: {log_path.read_text()}")
        time.sleep(0.2)
    process.terminate()
    pytest.fail(f"streamlit did not listen within 60 s: {log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with its default basemap (OpenStreetMap), which the offline machine cannot load."""
    process, url, _ = _start(tmp_path_factory.mktemp("app"), {})
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def tile_free_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app set for an intranet without a tile server (``COVERAGE_TILES=none``)."""
    process, url, _ = _start(tmp_path_factory.mktemp("app-tile-free"), {"COVERAGE_TILES": "none"})
    try:
        yield url
    finally:
        _stop(process)


class Browser:
    """One page of the app, with every request leaving the loopback refused and recorded."""

    def __init__(self, playwright: Playwright, server: str) -> None:
        self.server = server
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM)
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route(lambda url: url.startswith("http") and not url.startswith(server), self._refuse)
        self.page = self.new_page()

    def _refuse(self, route: Route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # refused tiles are expected offline; any other error is a defect
        if message.type == "error" and "net::ERR_FAILED" not in message.text:
            self.errors.append(f"console: {message.text}")

    def close(self) -> None:
        self.browser.close()


@pytest.fixture
def app(server: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = Browser(p, server)
        try:
            yield browser
        finally:
            browser.close()


MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def metric(page: Page, label: str) -> Locator:
    return page.locator('[data-testid="stMetric"]', has_text=label).locator('[data-testid="stMetricValue"]')


def assert_map_drawn(app: Browser, page: Page | None = None, *, at_least: int = 1) -> None:
    """The map's frame is visible with a non-zero height, draws features, and the page has no error."""
    from playwright.sync_api import expect

    page = page or app.page
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=90_000)
    frame = page.locator(MAP_FRAME)
    expect(frame).to_have_count(1, timeout=60_000)
    inside = page.frame_locator(MAP_FRAME)
    expect(inside.locator(".leaflet-container")).to_be_visible(timeout=60_000)
    expect(inside.locator(".leaflet-interactive").nth(at_least - 1)).to_be_attached(timeout=60_000)
    # the frame and the map inside have a height (a broken map left a frame of height 0)
    boxes: tuple[object, object] = (None, None)
    for _ in range(60):  # a rerun may be replacing the map: look again for up to 30 s
        if frame.count() != 1:  # the rerun's new map is drawn beside the old one for a moment
            page.wait_for_timeout(500)
            continue
        boxes = (frame.bounding_box(), inside.locator(".leaflet-container").bounding_box())
        if all(box is not None and box["height"] > 100 for box in boxes):  # type: ignore[index]
            break
        page.wait_for_timeout(500)
    else:
        pytest.fail(f"map frame and container boxes {boxes}")
    assert not app.errors, app.errors


def open_tab(page: Page, name: str) -> None:
    """Open a tab and wait for the run it starts (a tab draws its content when opened)."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=90_000)


def set_sites(page: Page, label: str, count: int) -> None:
    """Move the "sites to open" slider to ``count`` with the keyboard, as a planner would."""
    from playwright.sync_api import expect

    slider = page.get_by_role("slider", name=label)
    current = int(slider.input_value())
    slider.focus()
    for _ in range(abs(count - current)):
        slider.press("ArrowRight" if count > current else "ArrowLeft")
    expect(slider).to_have_value(str(count), timeout=30_000)


def _download(page: Page, label: str, path: Path) -> None:
    """Press a download button once the app has finished its run, and save the file.

    A button drawn by an earlier run names a file that the next run has
    replaced; pressed then, nothing downloads, so the press is repeated.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    button = page.get_by_role("button", name=label)
    for _ in range(3):
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)
        expect(button).to_be_visible(timeout=30_000)
        try:
            with page.expect_download(timeout=20_000) as download:
                button.click()
        except PlaywrightTimeout:
            continue
        download.value.save_as(path)
        return
    pytest.fail(f"pressing {label!r} three times downloaded nothing")


def test_the_map_draws_on_first_load_a_change_and_back_and_a_reload(app: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = app.page
    started = time.monotonic()
    page.goto(app.server, timeout=60_000)
    expect(metric(page, OPEN_SITES)).to_have_text("12", timeout=90_000)
    assert_map_drawn(app)
    first_map = time.monotonic() - started
    # the basemap cannot load offline: the planner is told, the outlines are drawn
    notice = page.frame_locator(MAP_FRAME).locator(".coverage-tile-notice")
    expect(notice).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "app.png"), full_page=False)

    timings = []
    for count in (13, 12, 13):  # 12 -> 13 solves, back to 12 and 13 redraw plans already seen
        started = time.monotonic()
        set_sites(page, SITES_TO_OPEN, count)
        expect(metric(page, OPEN_SITES)).to_have_text(str(count), timeout=60_000)
        assert f"objective.max_sites={count}" in page.url or count == 12
        assert_map_drawn(app)
        timings.append(f"{count} sites {time.monotonic() - started:.1f} s")
    page.reload()
    expect(metric(page, OPEN_SITES)).to_have_text("13", timeout=90_000)
    assert_map_drawn(app)
    print(f"\nfirst map {first_map:.1f} s; re-solve and redraw: {', '.join(timings)}")
    target = os.environ.get("COVERAGE_APP_SCREENSHOT")
    if target:
        shutil.copy(tmp_path / "app.png", target)
    assert (tmp_path / "app.png").stat().st_size > 10_000


def test_a_shared_link_draws_in_a_new_page(app: Browser) -> None:
    from playwright.sync_api import expect

    link = f"{app.server}/?scenario=demo&objective.max_sites=7"
    for _ in range(2):  # a second new page shows the same plan: drawn again, not lost
        page = app.new_page()
        page.goto(link, timeout=60_000)
        expect(metric(page, OPEN_SITES)).to_have_text("7", timeout=90_000)
        assert_map_drawn(app, page)
        page.close()


def test_pin_then_change_draws_the_comparison(app: Browser) -> None:
    from playwright.sync_api import expect

    page = app.page
    page.goto(f"{app.server}/?scenario=demo&objective.max_sites=9", timeout=60_000)
    expect(metric(page, OPEN_SITES)).to_have_text("9", timeout=90_000)
    assert_map_drawn(app)
    open_tab(page, COMPARE_TAB)
    page.get_by_role("button", name=PIN).click()
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)
    set_sites(page, SITES_TO_OPEN, 11)
    expect(metric(page, OPEN_SITES)).to_have_text("11", timeout=60_000)
    expect(page.get_by_text(OPENED_SINCE, exact=False).first).to_be_visible(timeout=60_000)
    open_tab(page, MAP_TAB)
    assert_map_drawn(app)
    # the pinned plan's new sites are ringed on the map
    changes = page.frame_locator(MAP_FRAME).locator(".leaflet-control-layers-overlays")
    expect(changes).to_contain_text("(2)", timeout=30_000)
    set_sites(page, SITES_TO_OPEN, 9)  # back to the pinned plan's settings
    expect(metric(page, OPEN_SITES)).to_have_text("9", timeout=60_000)
    assert_map_drawn(app)


def test_an_uploaded_site_layer_with_mapped_columns_is_solved_and_drawn(app: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    csv = tmp_path / "mes-sites.csv"
    # Excel's Windows-1252, a capacity column, and names a guess cannot place for sure
    rows = [
        "code,libellé,X,Y,places",
        "A1,Guéret centre,1.8716,46.1714,3",
        "A2,Limoges gare,1.2679,45.8360,2",
    ]
    csv.write_bytes("\n".join(rows).encode("cp1252"))
    page = app.page
    page.goto(app.server, timeout=60_000)
    expect(metric(page, OPEN_SITES)).to_have_text("12", timeout=90_000)
    open_tab(page, DATA_TAB)
    page.get_by_test_id("stTabs").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page.get_by_text("Windows-1252", exact=False).first).to_be_visible(timeout=30_000)
    for label, column in UPLOAD_GUESSED.items():
        expect(page.get_by_role("combobox", name=label)).to_have_value(column)
    for label, column in UPLOAD_MAPPING.items():
        expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)
        box = page.get_by_role("combobox", name=label)
        box.click()
        page.get_by_role("option", name=column, exact=True).click()
        expect(box).to_have_value(column)
    page.get_by_role("button", name=READ_LAYER).click()
    expect(page.get_by_text(UPLOAD_DONE, exact=False).first).to_be_visible(timeout=60_000)
    open_tab(page, MAP_TAB)
    assert_map_drawn(app)
    layers = page.frame_locator(MAP_FRAME).locator(".leaflet-control-layers-overlays")
    expect(layers).to_contain_text(CANDIDATES, timeout=30_000)


def test_exports_download_and_the_map_file_needs_no_cdn(app: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = app.page
    page.goto(app.server, timeout=60_000)
    expect(metric(page, OPEN_SITES)).to_have_text("12", timeout=90_000)
    open_tab(page, EXPORT_TAB)
    _download(page, GPKG, tmp_path / "plan.gpkg")
    assert (tmp_path / "plan.gpkg").read_bytes()[:16] == b"SQLite format 3\x00"
    _download(page, HTML_MAP, tmp_path / "map.html")
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "cdn" not in html.lower() and "data:text/javascript;base64," in html
    open_tab(page, MAP_TAB)
    assert_map_drawn(app)
    # the exported map opens on its own, offline
    other = app.new_page()
    other.goto((tmp_path / "map.html").as_uri())
    expect(other.locator(".leaflet-interactive").first).to_be_attached(timeout=30_000)
    # so does the committee report, in French, with its map inline
    open_tab(page, EXPORT_TAB)
    _download(page, REPORT, tmp_path / "report.html")
    report = app.new_page()
    report.goto((tmp_path / "report.html").as_uri())
    expect(report.get_by_text("Plan de couverture : demo")).to_be_visible()
    inline_map = report.frame_locator("iframe")
    expect(inline_map.locator(".leaflet-interactive").first).to_be_attached(timeout=30_000)
    assert not app.errors, app.errors


def test_offline_without_tiles_no_request_leaves_the_loopback(tile_free_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        app = Browser(p, tile_free_server)
        try:
            page = app.page
            page.goto(tile_free_server, timeout=60_000)
            expect(metric(page, OPEN_SITES)).to_have_text("12", timeout=90_000)
            assert_map_drawn(app)
            expect(page.frame_locator(MAP_FRAME).locator(".leaflet-tile")).to_have_count(0)
            page.wait_for_timeout(2_000)
            assert app.outside == [], app.outside
        finally:
            app.close()
