"""End to end in a real browser: `streamlit run` on a loopback port, driven by Playwright.

Uses the system's Chromium (Debian's `chromium` package, installed by `.ci/run`);
Playwright never downloads a browser here. Without Chromium the test is
skipped, except under CI (`CI` set), where it fails.

The test machine is offline: requests leaving the loopback are answered by the
test, Leaflet from Debian's `libjs-leaflet` (also installed by `.ci/run`) and
every other script or style sheet (plugins the map does not use) as empty, tiles
and fonts refused. streamlit-folium draws nothing when a script fails to load.
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
    from playwright.sync_api import Page, Route

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LEAFLET = Path("/usr/share/javascript/leaflet")


def _offline(route: Route) -> None:
    """Answer a request that leaves the loopback (see the module docstring)."""
    url = route.request.url
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if "leaflet" in url and name in ("leaflet.js", "leaflet.css") and (LEAFLET / name).is_file():
        route.fulfill(path=str(LEAFLET / name))
    elif name.endswith(".js"):
        route.fulfill(body="", content_type="text/javascript")
    elif name.endswith(".css"):
        route.fulfill(body="", content_type="text/css")
    else:
        route.abort()


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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _need_browser()
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    # as a planner starts it from the installed package
    command = [sys.executable, "-m", "coverage.cli", "app", "--address", "127.0.0.1"]
    command += ["--port", str(port), "--headless"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                pytest.fail(f"streamlit exited: {(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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


def test_the_map_loads_and_a_setting_changes_a_kpi(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route(lambda url: not url.startswith(server), _offline)
            page.goto(server, timeout=60_000)
            open_sites = page.locator('[data-testid="stMetric"]', has_text="Open sites")
            expect(open_sites.locator('[data-testid="stMetricValue"]')).to_have_text("12", timeout=90_000)
            leaflet = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
                ".leaflet-container"
            )
            expect(leaflet).to_be_visible(timeout=60_000)
            expect(
                page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
                .locator(".leaflet-interactive")
                .first
            ).to_be_attached(timeout=60_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=False)

            slider = page.get_by_role("slider", name="Sites to open")
            slider.focus()
            slider.press("ArrowRight")
            expect(open_sites.locator('[data-testid="stMetricValue"]')).to_have_text("13", timeout=60_000)
            assert "objective.max_sites=13" in page.url
            page.screenshot(path=str(tmp_path / "app-13.png"), full_page=False)
            page.get_by_role("tab", name="Export").click()
            _download(page, "Plan GeoPackage", tmp_path / "plan.gpkg")
            assert (tmp_path / "plan.gpkg").read_bytes()[:16] == b"SQLite format 3\x00"
            target = os.environ.get("COVERAGE_APP_SCREENSHOT")
            if target:
                shutil.copy(tmp_path / "app.png", target)
        finally:
            browser.close()
    assert (tmp_path / "app.png").stat().st_size > 10_000
