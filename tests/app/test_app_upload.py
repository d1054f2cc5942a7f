"""coverage.app.upload: checks before reading, column mapping, the library's readers behind them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from coverage.app import upload_files
from coverage.app.settings import load_view
from coverage.app.upload import ColumnMapping, columns_of, read_demand_upload, read_sites_upload, save_upload
from coverage.errors import CRSError, LayerValidationError
from coverage.scenario.run import run_scenario, shipped_scenario

SITES_CSV = b"code;nom;lng;lat;places\nS1;Gueret;1,8717;46,1714;2\nS2;Limoges;1.2611;45.8336;1\n"


def test_too_large_files_are_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_files, "MAX_UPLOAD_BYTES", 10)  # the checks live there since the split
    with pytest.raises(LayerValidationError, match=r"sites.csv: file is 0.0 MB, above the 0 MB limit"):
        save_upload("sites.csv", SITES_CSV, tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["plan.pkl", "script.py", "data.parquet", "noext"])
def test_other_file_types_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(LayerValidationError, match="unsupported file type"):
        save_upload(name, b"\x80\x04K\x01.", tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_zip_without_a_shapefile_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("readme.txt", "hello")
    folder = tmp_path / "up"
    folder.mkdir()
    with pytest.raises(LayerValidationError, match="holds no shapefile"):
        save_upload("layer.zip", archive.read_bytes(), folder)
    with pytest.raises(LayerValidationError, match="holds no shapefile"):
        save_upload("broken.zip", b"not a zip", folder)
    assert not list(folder.iterdir())


def test_upload_names_cannot_leave_the_folder(tmp_path: Path) -> None:
    path = save_upload("../../etc/pass wd.csv", SITES_CSV, tmp_path)
    assert path.parent == tmp_path
    assert path.name == "pass_wd.csv"


def test_sites_from_a_csv_with_mapped_columns_join_a_scenario(tmp_path: Path) -> None:
    path = save_upload("mine.csv", SITES_CSV, tmp_path)
    assert columns_of(path) == ["code", "nom", "lng", "lat", "places"]
    mapping = ColumnMapping(id="code", name="nom", capacity="places", lon="lng", lat="lat")
    out = tmp_path / "mine-sites.geojson"
    sites = read_sites_upload(path, mapping, partner="mine", out=out)
    assert [site_id.rsplit(":", 1)[-1] for site_id in sites["site_id"]] == ["S1", "S2"]
    assert list(sites["capacity"]) == [2, 1]
    assert sites.crs is not None and sites.crs.to_epsg() == 4326
    assert sites.geometry.iloc[0].x == pytest.approx(1.8717)
    scenario = load_view(
        shipped_scenario("demo"),
        {"sites.upload.source": json.dumps(str(out)), "sites.upload.partner": '"mine"'},
    )
    run = run_scenario(scenario)
    assert set(run.sites.loc[run.sites["partner"] == "mine", "name"]) == {"Gueret", "Limoges"}


def test_bad_coordinates_are_reported_with_row_and_column(tmp_path: Path) -> None:
    path = save_upload("bad.csv", b"site_id,longitude,latitude\na,1.87,45.9\nb,45.9,1.87\n", tmp_path)
    with pytest.raises(LayerValidationError, match=r"bad.csv, row 2, column 'latitude/longitude'.*swapped"):
        read_sites_upload(path, ColumnMapping(id="site_id"), partner="p", out=tmp_path / "o.geojson")


def _points(crs: int | None = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"uid": ["u1", "u2"], "label": ["A", "B"], "pop": [120.0, -3.0]},
        geometry=[Point(1.87, 46.17), Point(1.26, 45.83)],
        crs=crs,
    )


def test_demand_with_a_negative_need_names_the_row(tmp_path: Path) -> None:
    _points().to_file(tmp_path / "d.gpkg", layer="units", engine="pyogrio")
    path = save_upload("d.gpkg", (tmp_path / "d.gpkg").read_bytes(), tmp_path / ".")
    assert columns_of(path) == ["uid", "label", "pop"]
    with pytest.raises(
        LayerValidationError, match=r"d.gpkg, row 2, column 'pop': need must be a number >= 0"
    ):
        read_demand_upload(path, ColumnMapping(id="uid", name="label", need="pop"))


def test_demand_from_a_zipped_shapefile(tmp_path: Path) -> None:
    frame = _points().assign(pop=[120.0, 30.0]).to_crs(2154)
    frame.to_file(tmp_path / "units.shp", engine="pyogrio")
    archive = tmp_path / "units.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in tmp_path.glob("units.*"):
            if part.suffix != ".zip":
                out.write(part, arcname=part.name)
    folder = tmp_path / "up"
    folder.mkdir()
    path = save_upload("units.zip", archive.read_bytes(), folder)
    demand = read_demand_upload(path, ColumnMapping(id="uid", name="label", need="pop"))
    assert list(demand.columns) == ["unit_id", "name", "need", "geometry"]
    assert list(demand["need"]) == [120.0, 30.0]
    assert demand.crs is not None and demand.crs.to_epsg() == 4326
    assert demand.geometry.iloc[0].x == pytest.approx(1.87, abs=1e-6)


def test_a_geojson_without_crs_is_named(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"uid": "u1", "pop": 1},
                    "geometry": {"type": "Point", "coordinates": [1.87, 46.17]},
                }
            ],
        }
    )
    path = save_upload("units.json", text.encode(), tmp_path)
    assert path.suffix == ".geojson"
    demand = read_demand_upload(path, ColumnMapping(id="uid", need="pop"))  # GeoJSON is WGS84 by definition
    assert list(demand["unit_id"]) == ["u1"]
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _points(crs=None).to_file(tmp_path / "nocrs.gpkg", engine="pyogrio")
    with pytest.raises(CRSError, match="has no CRS"):
        read_demand_upload(tmp_path / "nocrs.gpkg", ColumnMapping(id="uid", need="pop"))


def test_a_mapped_cost_column_is_each_sites_cost_and_bad_costs_name_the_uploaded_row(tmp_path: Path) -> None:
    data = (
        "code;nom;longitude;latitude;coût\n"
        "A;Limoges;1.2611;45.8336;1 200,5\n"
        "B;Guéret;1.8717;46.1703;gratuit\n"
    )
    path = save_upload("lieux.csv", data.encode("utf-8"), tmp_path)
    mapping = ColumnMapping(id="code", name="nom", cost="coût")
    with pytest.raises(LayerValidationError) as caught:
        read_sites_upload(path, mapping, partner="asso", out=tmp_path / "asso.geojson")
    assert f"{path}, row 2, column 'coût': a cost must be a number >= 0 (received 'gratuit')" in str(
        caught.value
    )
    good = save_upload("lieux2.csv", data.replace("gratuit", "800").encode("utf-8"), tmp_path)
    sites = read_sites_upload(good, mapping, partner="asso", out=tmp_path / "asso.geojson")
    assert sites["cost"].tolist() == [1200.5, 800.0]
    # the layer the scenario reads keeps the cost column: a budget counts it
    scenario = load_view(
        shipped_scenario("demo"),
        {
            "sites.upload.source": json.dumps(str(tmp_path / "asso.geojson")),
            "sites.upload.partner": '"asso"',
            "sites.upload.cost": '"cost"',
            "sites.mairie.cost": "5000",
            "objective.budget": "1000",
        },
        allowed_folders=[tmp_path],
    )
    run = run_scenario(scenario)
    assert set(run.plan.open_site_ids) == {
        "asso:B"
    }  # 800 fits a budget of 1,000; 1,200.5 or a town hall do not


def test_upload_refusals_read_in_french_with_the_file_named(tmp_path: Path) -> None:
    from coverage.data.i18n import language
    from coverage.data.i18n.errors import frame_error
    from coverage.errors import LayerValidationError

    shown = []
    for name, data in [("notes.txt", b"x"), ("empty.zip", b"PK\x05\x06" + b"\0" * 18)]:
        with pytest.raises(LayerValidationError) as caught:
            save_upload(name, data, tmp_path)
        with language("fr"):
            shown.append(frame_error(str(caught.value)))
    assert "notes.txt: type de fichier non pris en charge '.txt' ; déposez un fichier .csv" in shown[0]
    assert "empty.zip: le zip ne contient aucun shapefile" in shown[1]
