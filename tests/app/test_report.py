"""The committee report: coverage-plan report RUN_DIR and the app's Export tab, one French HTML file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coverage.cli.main import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "demo"
    assert main(["run", "demo", "--out", str(folder)]) == 0
    return folder


def test_the_report_of_a_run_is_one_french_file_that_needs_no_network(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    assert '<html lang="fr">' in page
    assert "Plan de couverture : demo" in page and "Couverture maximale" in page
    assert re.search(r"Lieux ouverts<b>12</b>", page)
    assert re.search(r"Part du besoin servie<b>85,2\xa0%</b>", page)
    assert "Par département" in page and "Par partenaire" in page and "Mairies" in page
    assert "Hypothèses du scénario" in page and "objective.max_sites" in page
    assert "optimal" in page
    # the map is inline with its Leaflet: nothing to fetch but basemap tiles
    assert "<iframe srcdoc=" in page and "data:text/javascript;base64," in page
    assert not re.search(r'(src|href)="https?://', page.replace("&quot;", '"'))


def test_binding_constraints_are_listed_when_the_summary_has_them(run_dir: Path, tmp_path: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary["binding"] = ["sites to open: 12 of 12 used"]
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["--lang", "en", "report", str(run_dir), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "What binds" in page and "sites to open: 12 of 12 used" in page
    assert "Coverage plan: demo" in page


def test_a_folder_without_a_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no summary.json" in capsys.readouterr().err
