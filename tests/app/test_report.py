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


def test_the_report_has_a_map_picture_and_every_figure_equals_the_runs(tmp_path: Path) -> None:
    """Re-derive each card, department and partner figure from summary.json and the CSV tables."""
    run_dir = tmp_path / "demo"
    assert main(["run", "demo", "--out", str(run_dir), "--no-map"]) == 0  # in English: the report translates
    import base64
    import html as html_lib

    import pandas as pd

    from coverage.app.report import report_from_run
    from coverage.data.i18n import format_km, format_number, format_percent, language
    from coverage.data.i18n.names import partner_name

    with language("fr"):
        page = report_from_run(run_dir)
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["summary"]
        cards = dict(re.findall(r'<div class="kpi">([^<]*)<b>([^<]*)</b></div>', page))
        cards = {html_lib.unescape(k): html_lib.unescape(v) for k, v in cards.items()}
        assert cards["Personnes en besoin à portée"] == (
            f"{format_number(summary['reached_need'])} / {format_number(summary['total_need'])}"
        )
        assert cards["Part du besoin servie"] == format_percent(summary["served_share"])
        assert cards["Lieux ouverts"] == format_number(summary["open_sites"])
        assert cards["Distance moyenne"] == format_km(summary["mean_distance"])
        assert cards["Distance maximale"] == format_km(summary["worst_distance"])
        assert cards["Statut de la résolution"].startswith("optimal")
        assert format_percent(summary["gap"], 2) in cards["Statut de la résolution"]
        cells = [html_lib.unescape(c) for c in re.findall(r"<td(?: class=n)?>([^<]*)</td>", page)]
        for row in pd.read_csv(run_dir / "kpis_department.csv", dtype={"dep": str}).itertuples():
            assert row.dep in cells and format_number(row.need_served) in cells
        for row in pd.read_csv(run_dir / "kpis_partner.csv").itertuples():
            assert partner_name(row.partner) in cells and format_number(row.need_served) in cells
    # What binds, from summary.json's record, in French
    assert "nombre de lieux" in page and "12 lieux ouverts sur 12 au plus" in page
    assert "un lieu de plus : +" in page
    # the map is a picture inside the file: it prints and needs no network
    picture = re.search(r'<img class="map" alt="Carte" src="data:image/png;base64,([^"]+)">', page)
    assert picture is not None
    assert base64.b64decode(picture.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
