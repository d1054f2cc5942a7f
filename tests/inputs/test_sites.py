from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage.data.layers._common import report_of
from coverage.data.layers.communes import attach_communes
from coverage.errors import CRSError, LayerValidationError
from coverage.inputs.sites import SITE_COLUMNS, build_sites, sites_from_laposte, sites_from_town_halls


@pytest.fixture()
def communes():
    """Two made-up square communes in Lambert-93-sized degrees near Lyon."""
    frame = gpd.GeoDataFrame(
        {
            "insee_com": ["69001", "69002"],
            "name": ["Urbaine", "Rurale"],
            "dep": ["69", "69"],
            "population": [50_000, 300],
            "rural_approx": [False, True],
            "point_lon": [4.85, 4.95],
            "point_lat": [45.75, 45.75],
            "town_hall_lon": [4.851, None],
            "town_hall_lat": [45.751, None],
        },
        geometry=[box(4.8, 45.7, 4.9, 45.8), box(4.9, 45.7, 5.0, 45.8)],
        crs=4326,
    )
    return frame


def points(rows, crs=4326):
    return gpd.GeoDataFrame(
        {
            "site_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "insee_com": [r[2] for r in rows],
        },
        geometry=[Point(r[3], r[4]) for r in rows],
        crs=crs,
    )


def test_attach_by_code_then_by_location_and_reports_far_points(communes):
    layer = points(
        [
            ("A", "bureau", "69001", 4.85, 45.75),  # code matches
            ("B", "bureau", "69999", 4.95, 45.75),  # old code: placed by location in 69002
            ("C", "bureau", "69001", 4.99, 45.79),  # code 69001 but lies in 69002, ~7 km away
            ("D", "bureau", "", 2.35, 48.85),  # Paris: no commune here
        ]
    )
    attached = attach_communes(layer, communes=communes, id_column="site_id", far_m=5_000)
    assert list(attached["insee_com"]) == ["69001", "69002", "69001", ""]
    assert list(attached["commune_match"]) == ["code", "spatial", "code", "none"]
    assert attached["insee_com_stated"].tolist() == ["69001", "69999", "69001", ""]
    warnings = [str(w) for w in report_of(attached).warnings]
    assert any("C lies" in w and "69001" in w for w in warnings)
    assert any(w.startswith("points") and "D: no commune found" in w for w in warnings)
    assert 6_000 < attached.loc[2, "distance_to_commune_m"] < 8_000


def test_town_hall_sites_fall_back_to_commune_point(communes):
    sites = sites_from_town_halls(communes)
    assert list(sites["site_id"]) == ["mairie:69001", "mairie:69002"]
    assert sites.geometry.iloc[0].x == pytest.approx(4.851)
    assert sites.geometry.iloc[1].x == pytest.approx(4.95)
    assert "1 communes have no town-hall point" in report_of(sites).notes[0]


def test_build_sites_tags_eligibility_from_qpv_polygons(communes):
    post = sites_from_laposte(
        points(
            [
                ("P1", "bureau", "69001", 4.85, 45.75),  # inside the QPV
                ("P2", "bureau", "69001", 4.862, 45.75),  # ~ 700 m east of the QPV edge
                ("P3", "bureau", "69001", 4.81, 45.71),  # far from it, urban commune
                ("P4", "relais_commercant", "69001", 4.82, 45.72),
            ]
        )
    )
    halls = sites_from_town_halls(communes)
    qpv = gpd.GeoDataFrame({"qpv_id": ["QP069001"]}, geometry=[box(4.845, 45.745, 4.853, 45.755)], crs=4326)
    sites = build_sites([post, halls], communes=communes, qpv_polygons=qpv, qpv_distance_m=1_000)
    assert list(sites.columns) == SITE_COLUMNS
    by_id = sites.set_index("site_id")
    assert len(sites) == 5  # P4 is not a bureau
    assert by_id.loc["laposte:P1", ["in_qpv", "near_qpv", "eligible"]].tolist() == [True, True, True]
    assert by_id.loc["laposte:P2", ["in_qpv", "near_qpv", "eligible"]].tolist() == [False, True, True]
    assert by_id.loc["laposte:P3", ["in_qpv", "near_qpv", "eligible"]].tolist() == [False, False, False]
    assert by_id.loc["mairie:69002", ["rural", "eligible"]].tolist() == [True, True]
    assert by_id["qpv_commune"].tolist() == [True, True, True, True, False]


def test_density_grid_overrides_the_approximation(communes):
    halls = sites_from_town_halls(communes)
    grid = pd.DataFrame({"insee_com": ["69001"], "rural": [True]})
    sites = build_sites([halls], communes=communes, density_grid=grid)
    assert sites["rural"].tolist() == [True, True]  # 69002 falls back to the approximation
    assert any("1 rows in communes missing from the grid" in n for n in report_of(sites).notes)


def test_duplicate_site_ids_across_layers_are_an_error(communes):
    halls = sites_from_town_halls(communes)
    with pytest.raises(LayerValidationError, match=r"row 3, column 'site_id'.*duplicate id 'mairie:69001'"):
        build_sites([halls, halls], communes=communes)


def test_layer_without_crs_is_an_error(communes):
    layer = points([("A", "bureau", "69001", 4.85, 45.75)], crs=None)
    with pytest.raises(CRSError, match="has no CRS"):
        sites_from_laposte(layer)


def test_real_laposte_sites(sources):
    from coverage.data.layers.laposte import read_laposte_points

    raw = read_laposte_points(sources / "laposte_points_contact/laposte_poincont2_2020-12.csv")
    sites = build_sites([sites_from_laposte(raw)])
    assert 7_700 < len(sites) <= 7_763
    assert sites["site_id"].is_unique
    assert sites["dep"].ne("").all()
    assert 0.3 < sites["eligible"].mean() < 0.9


def test_qpv_communes_may_be_a_series(communes):
    """The README passes ``qpv.loc[qpv['matched'], 'insee_com']``: a Series, not a list."""
    halls = sites_from_town_halls(communes)
    sites = build_sites([halls], communes=communes, qpv_communes=pd.Series(["69001"]))
    assert sites["qpv_commune"].tolist() == [True, False]
    assert sites["eligible"].tolist() == [True, True]  # 69002 is rural
