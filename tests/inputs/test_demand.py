from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from coverage.data.layers._common import report_of
from coverage.errors import LayerValidationError
from coverage.inputs.demand import DEMAND_COLUMNS, build_demand, demand_from_file


@pytest.fixture()
def communes():
    return gpd.GeoDataFrame(
        {
            "insee_com": ["31555", "31001"],
            "name": ["Toulouse", "Agassac"],
            "dep": ["31", "31"],
            "population": [1_000, 100],
            "rural_approx": [False, True],
            "point_lon": [1.44, 0.88],
            "point_lat": [43.6, 43.37],
        },
        geometry=[box(1.35, 43.53, 1.51, 43.67), box(0.86, 43.35, 0.9, 43.39)],
        crs=4326,
    )


def test_need_is_population_times_rate_times_multipliers(communes):
    units = build_demand(communes, illectronisme_rate=0.2, rural_multiplier=2.0)
    assert units["need"].tolist() == pytest.approx([200.0, 40.0])
    assert units["unit_id"].tolist() == ["com:31555", "com:31001"]
    assert units["rural"].tolist() == [False, True]


def test_qpv_population_is_split_out_of_its_commune(communes):
    demography = pd.DataFrame(
        {
            "qpv_id": ["QP031001", "QP031002"],
            "name": ["Mirail", "Nowhere"],
            "population": [300.0, 50.0],
            "insee_com": ["31555", ""],
            "matched": [True, False],
        }
    )
    polygons = gpd.GeoDataFrame({"qpv_id": ["QP031001"]}, geometry=[box(1.39, 43.57, 1.41, 43.59)], crs=4326)
    units = build_demand(
        communes, illectronisme_rate=0.1, qpv_multiplier=3.0, qpv_demography=demography, qpv_polygons=polygons
    ).set_index("unit_id")
    assert units.loc["com:31555", "population"] == 700
    assert units.loc["qpv:QP031001", "population"] == 300
    assert units.loc["qpv:QP031001", "need"] == pytest.approx(300 * 0.1 * 3.0)
    assert units.loc["qpv:QP031001"].geometry.x == pytest.approx(1.40, abs=0.011)
    assert units["population"].sum() == 1_100  # nothing lost, nothing counted twice
    assert any(
        "1 QPV of the demography file matched no commune" in n for n in report_of(units.reset_index()).notes
    )


def test_fragility_raises_need_where_more_fragile(communes, tmp_path):
    from coverage.data.layers.fragility import read_fragility_index

    path = tmp_path / "fragilite_communes.csv"
    path.write_text(
        "code_commune,nom_com,n_iris,population,ACCES A L'INFORMATION,"
        "ACCÈS AUX INTERFACES NUMERIQUES,COMPETENCES ADMINISTATIVES,"
        "COMPÉTENCES NUMÉRIQUES / SCOLAIRES,GLOBAL ACCES,GLOBAL COMPETENCES,SCORE GLOBAL\n"
        "31555,Toulouse,1,1000,1,1,1,1,1,1,150\n31001,Agassac,1,100,1,1,1,1,1,1,40\n",
        encoding="utf-8",
    )
    fragility = read_fragility_index(path)
    units = build_demand(
        communes, illectronisme_rate=0.1, rural_multiplier=1.0, fragility=fragility, fragility_clip=(0.5, 2.0)
    )
    assert units["need"].tolist() == pytest.approx([1_000 * 0.1 * 1.5, 100 * 0.1 * 0.5])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"illectronisme_rate": 17}, "illectronisme_rate is a share: at most 1"),
        ({"qpv_multiplier": -1}, "qpv_multiplier must be >= 0"),
    ],
)
def test_bad_settings_are_explained(communes, kwargs, message):
    with pytest.raises(LayerValidationError, match=message):
        build_demand(communes, **kwargs)


def test_negative_population_names_the_commune(communes):
    communes.loc[1, "population"] = -5
    with pytest.raises(LayerValidationError, match=r"row 2, column 'population'.*31001"):
        build_demand(communes)


def test_national_demand_on_embedded_data():
    units = build_demand()
    assert len(units) > 34_800
    total = units["population"].sum()
    assert units["need"].sum() == pytest.approx(
        (units["population"] * 0.17 * np.where(units["rural"], 1.2, 1.0)).sum()
    )
    assert 66e6 < total < 67e6


def test_real_qpv_units(sources):
    from coverage.data.layers.qpv import read_qpv_demography

    demography = read_qpv_demography(sources / "qpv/qpv2015_demographie_insee_DEMO_2022.csv")
    units = build_demand(qpv_demography=demography)
    qpv = units[units["qpv"]]
    assert len(qpv) > 1_200
    assert units["population"].sum() == pytest.approx(build_demand()["population"].sum())


# --------------------------------------------------------------------------- demand_from_file


def _write_units(tmp_path, text, name="units.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demand_from_a_csv_has_the_build_demand_columns(tmp_path):
    path = _write_units(
        tmp_path,
        "id;label;people;lon;lat;in_qpv\ng;Guéret;120;1,8717;46,1714;oui\nl;;30.5;1.2611;45.8336;0\n",
    )
    units = demand_from_file(
        path,
        id_column="id",
        need_column="people",
        name_column="label",
        qpv_column="in_qpv",
        lon="lon",
        lat="lat",
    )
    assert list(units.columns) == DEMAND_COLUMNS == list(build_demand().columns)
    assert units["unit_id"].tolist() == ["g", "l"]
    assert units["name"].tolist() == ["Guéret", "l"]  # an empty name falls back to the id
    assert units["need"].tolist() == [120.0, 30.5]
    assert units["dep"].tolist() == ["23", "87"]
    assert units["insee_com"].tolist() == ["23096", "87085"]
    assert units["qpv"].tolist() == [True, False]
    assert units.crs.to_epsg() == 4326


def test_demand_polygons_are_taken_at_their_representative_point(tmp_path):
    frame = gpd.GeoDataFrame(
        {"unit_id": ["a"], "need": [10.0]}, geometry=[box(1.86, 46.16, 1.88, 46.18)], crs=4326
    ).to_crs(2154)
    frame.to_file(tmp_path / "units.gpkg", engine="pyogrio")
    units = demand_from_file(tmp_path / "units.gpkg")
    assert units["dep"].tolist() == ["23"] and units.geom_type.tolist() == ["Point"]
    assert units.geometry.iloc[0].within(box(1.86, 46.16, 1.88, 46.18))


def test_bad_need_names_the_file_row_and_column(tmp_path):
    path = _write_units(
        tmp_path,
        "unit_id,pop,longitude,latitude\na,12,1.87,46.17\nb,,1.26,45.83\nc,-3,1.26,45.83\nd,many,1.26,45.83\n",
    )
    with pytest.raises(LayerValidationError) as caught:
        demand_from_file(path, need_column="pop")
    message = str(caught.value)
    assert "units.csv, row 2, column 'pop': need must be a number >= 0 (received '')" in message
    assert "row 3, column 'pop': need must be a number >= 0 (received '-3')" in message
    assert "row 4, column 'pop'" in message and "row 1," not in message
    with pytest.raises(LayerValidationError, match="column 'need' not found; the file has: unit_id, pop"):
        demand_from_file(path)


def test_units_outside_every_commune_are_named(tmp_path):
    path = _write_units(tmp_path, "unit_id,need,longitude,latitude\na,1,1.87,46.17\nsea,5,-3.0,47.0\n")
    with pytest.raises(
        LayerValidationError, match=r"row 2, column 'longitude/latitude': unit 'sea' .* outside every commune"
    ):
        demand_from_file(path)
