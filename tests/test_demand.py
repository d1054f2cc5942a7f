from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from coverage.demand import build_demand
from coverage.errors import LayerValidationError
from coverage.layers._common import report_of


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
    demography = pd.DataFrame({
        "qpv_id": ["QP031001", "QP031002"], "name": ["Mirail", "Nowhere"],
        "population": [300.0, 50.0], "insee_com": ["31555", ""], "matched": [True, False],
    })
    polygons = gpd.GeoDataFrame({"qpv_id": ["QP031001"]},
                                geometry=[box(1.39, 43.57, 1.41, 43.59)], crs=4326)
    units = build_demand(communes, illectronisme_rate=0.1, qpv_multiplier=3.0,
                         qpv_demography=demography, qpv_polygons=polygons).set_index("unit_id")
    assert units.loc["com:31555", "population"] == 700
    assert units.loc["qpv:QP031001", "population"] == 300
    assert units.loc["qpv:QP031001", "need"] == pytest.approx(300 * 0.1 * 3.0)
    assert units.loc["qpv:QP031001"].geometry.x == pytest.approx(1.40, abs=0.011)
    assert units["population"].sum() == 1_100  # nothing lost, nothing counted twice
    assert any("1 QPV of the demography file matched no commune" in n
               for n in report_of(units.reset_index()).notes)


def test_fragility_raises_need_where_more_fragile(communes, tmp_path):
    from coverage.layers.fragility import read_fragility_index

    path = tmp_path / "fragilite_communes.csv"
    path.write_text(
        "code_commune,nom_com,n_iris,population,ACCES A L'INFORMATION,"
        "ACCÈS AUX INTERFACES NUMERIQUES,COMPETENCES ADMINISTATIVES,"
        "COMPÉTENCES NUMÉRIQUES / SCOLAIRES,GLOBAL ACCES,GLOBAL COMPETENCES,SCORE GLOBAL\n"
        "31555,Toulouse,1,1000,1,1,1,1,1,1,150\n31001,Agassac,1,100,1,1,1,1,1,1,40\n",
        encoding="utf-8",
    )
    fragility = read_fragility_index(path)
    units = build_demand(communes, illectronisme_rate=0.1, rural_multiplier=1.0,
                         fragility=fragility, fragility_clip=(0.5, 2.0))
    assert units["need"].tolist() == pytest.approx([1_000 * 0.1 * 1.5, 100 * 0.1 * 0.5])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"illectronisme_rate": 17}, "illectronisme_rate is a share: at most 1"),
    ({"qpv_multiplier": -1}, "qpv_multiplier must be >= 0"),
])
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
        (units["population"] * 0.17 * np.where(units["rural"], 1.2, 1.0)).sum())
    assert 66e6 < total < 67e6


def test_real_qpv_units(sources):
    from coverage.layers.qpv import read_qpv_demography

    demography = read_qpv_demography(sources / "qpv/qpv2015_demographie_insee_DEMO_2022.csv")
    units = build_demand(qpv_demography=demography)
    qpv = units[units["qpv"]]
    assert len(qpv) > 1_200
    assert units["population"].sum() == pytest.approx(build_demand()["population"].sum())
