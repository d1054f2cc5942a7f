"""A long solve in a real browser (issue 12, item 5): the status box shows the solver's best plan,
bound and gap as they come, "Arrêter au plan actuel" stops it, and the plan found so far is drawn,
labelled stopped with its gap, with no page error.

The scenario is the demo with the random units and sites of :func:`long_solve.long_scenario`
(uploaded layers, put in the server's upload store and named by the link): CBC takes about
100 s to prove it optimal, and finds its first plans within seconds.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_app_browser import Browser, _free_port, _need_browser, _stop, assert_map_drawn, metric

from long_solve import long_scenario

ROOT = Path(__file__).resolve().parents[2]
STOP = "Arrêter au plan actuel"
FIGURES = re.compile(
    r"Meilleur plan trouvé\s?: objectif [\d\s\u202f\xa0]+ · borne [\d\s\u202f\xa0]+ · écart [\d,]+"
)


def _layers(tmp: Path) -> dict[str, str]:
    """The long scenario's units and sites as the app's upload store keeps them; the link's settings."""
    import geopandas as gpd
    import pandas as pd

    folder = tmp / "scenario"
    folder.mkdir()
    long_scenario(folder)
    store = tmp / "coverage-app-uploads"
    store.mkdir()
    for name, kind in (("units", "demand-0123456789ab"), ("sites", "sites-0123456789abcdef")):
        frame = pd.read_csv(folder / f"{name}.csv")
        frame["name"] = frame.iloc[:, 0]
        points = gpd.points_from_xy(frame.pop("longitude"), frame.pop("latitude"))
        gpd.GeoDataFrame(frame, geometry=points, crs=4326).to_file(store / f"{kind}.geojson")
    settings = {
        "demand.source": "upload:demand-0123456789ab.geojson",
        "demand.qpv_units": "none",
        "sites.upload.source": "upload:sites-0123456789abcdef.geojson",
        "sites.upload.partner": "mairie",
    }
    link = {key: json.dumps(value) for key, value in settings.items()}
    link.update({"demand.use_fragility": "false", "sites.upload.capacity": "1", "objective.max_sites": "25"})
    link.update({"access.qpv": "8000", "access.urban": "8000", "access.rural": "8000"})
    link.update({"solver.time_limit": "600"})
    return {"scenario": "demo", **link}


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``streamlit run`` as ``coverage-plan app`` starts it, with its upload store in this test's folder.

    (``coverage-plan app`` gives the server a private temporary folder, where the layers could not
    be put beforehand.)
    """
    from coverage.cli.app import app_command

    _need_browser()
    tmp = tmp_path_factory.mktemp("app-long")
    link = _layers(tmp)
    port = _free_port()
    log = (tmp / "streamlit.log").open("w")
    command = app_command(port=port, address="127.0.0.1", headless=True)
    env = {**os.environ, "TMPDIR": str(tmp)}
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, (tmp / "streamlit.log").read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", link
    finally:
        _stop(process)


def test_a_long_solve_shows_its_figures_and_stops_at_the_current_plan(long_server):
    from playwright.sync_api import expect, sync_playwright

    url, link = long_server
    with sync_playwright() as p:
        app = Browser(p, url)
        try:
            page = app.page
            page.goto(f"{url}/?{urlencode(link)}")
            status = page.get_by_test_id("stExpander").filter(has_text="Résolution en cours")
            expect(status).to_be_visible(timeout=120_000)
            # the solver's figures, live, in French
            expect(status.get_by_text(FIGURES)).to_be_visible(timeout=120_000)
            shown = status.get_by_text(FIGURES).inner_text()
            status.get_by_role("button", name=STOP).click()
            # the plan found so far: drawn, labelled stopped with its gap
            expect(metric(page, "Statut")).to_have_text("arrêté par le planificateur", timeout=120_000)
            assert_map_drawn(app)
            note = page.get_by_test_id("stAlert").filter(has_text="Vous avez arrêté le solveur à ce plan")
            expect(note).to_be_visible()
            assert re.search(r"écart de [\d,]+\s?%", note.inner_text()), note.inner_text()
            assert FIGURES.search(shown), shown
            assert not app.errors, app.errors
        finally:
            app.close()
