from __future__ import annotations

import numpy as np
import pytest

from coverage.data.layers._common import report_of
from coverage.data.layers.rurality import read_density_grid, read_zrr
from coverage.errors import LayerValidationError, MissingDataError

GRID_HEADER = "CODGEO,LIBGEO,DENS,LIBDENS,PMUN21,P1,P2,P3,P4,P5,P6,P7"
ZRR_HEADER = "CODGEO,LIBGEO,ZRR_SIMP,ZONAGE_ZRR"


def write(tmp_path, header: str, *rows: str, name: str = "layer.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_real_density_grid_counts_match_sources_md(sources):
    grid = read_density_grid(sources / "rurality/grille_densite_7_niveaux_2024.csv")
    assert len(grid) == 34_935
    counts = grid["density_class"].value_counts().to_dict()
    assert counts == {1: 773, 2: 545, 3: 901, 4: 1_973, 5: 5_104, 6: 18_380, 7: 7_259}
    assert grid["rural"].sum() == 5_104 + 18_380 + 7_259
    assert grid["insee_com"].str.len().eq(5).all() and grid["insee_com"].is_unique
    assert grid["insee_com"].str[:2].isin(["2A", "2B"]).any()
    assert grid["insee_com"].str[:3].isin(["971", "972", "973", "974", "976"]).sum() > 100
    assert grid.loc[grid["density_class"] == 5, "density_label"].eq("Bourgs ruraux").all()
    assert report_of(grid).rows_read == 34_935


def test_real_zrr_counts_match_sources_md(sources):
    zrr = read_zrr(sources / "rurality/zrr_communes_cog2021.csv")
    assert len(zrr) == 34_965
    assert zrr["zrr"].value_counts().to_dict() == {"C": 17_694, "NC": 17_235, "P": 36}
    assert zrr["in_zrr"].sum() == 17_694 + 36
    # 'A' (sortante bénéficiant) communes are counted as 'C' in ZRR_SIMP
    assert set(zrr.loc[zrr["zrr_detail"] == "A", "zrr"]) == {"C"}
    assert zrr["insee_com"].is_unique


def test_small_density_grid_by_hand(tmp_path):
    path = write(
        tmp_path,
        GRID_HEADER,
        "1001,L'Abergement-Clémenciat,6,Rural à habitat dispersé,832,0,0,0,0,0,78.6,21.4",
        "2A004,Ajaccio,2,Centres urbains intermédiaires,71361,0,100,0,0,0,0,0",
        "97411,Saint-Denis,1,Grands centres urbains,153810,100,0,0,0,0,0,0",
    )
    grid = read_density_grid(path)
    assert list(grid["insee_com"]) == ["01001", "2A004", "97411"]
    assert list(grid["density_class"]) == [6, 2, 1]
    assert list(grid["rural"]) == [True, False, False]
    assert np.allclose(grid["population"], [832, 71361, 153810])
    assert list(grid.columns) == [
        "insee_com",
        "name",
        "density_class",
        "density_label",
        "rural",
        "population",
    ]


def test_small_zrr_by_hand(tmp_path):
    path = write(
        tmp_path,
        ZRR_HEADER,
        "01001,A,NC - Commune non classée,NC - Commune non classée",
        "01003,B,C - Classée en ZRR,A - Commune sortante en 2017 continuant de bénéficier",
        "01004,C,P - Commune partiellement classée en ZRR,PM - Commune fusionnée",
    )
    zrr = read_zrr(path)
    assert list(zrr["zrr"]) == ["NC", "C", "P"]
    assert list(zrr["zrr_detail"]) == ["NC", "A", "PM"]
    assert list(zrr["in_zrr"]) == [False, True, True]


def test_density_class_out_of_range_names_the_row(tmp_path):
    path = write(
        tmp_path,
        GRID_HEADER,
        "01001,A,6,Rural,832,0,0,0,0,0,78.6,21.4",
        "01002,B,9,Rural,267,0,0,0,0,0,88,12",
        "01004,C,deux,Centres,100,0,0,0,0,0,88,12",
    )
    with pytest.raises(LayerValidationError, match=r"2 problems") as caught:
        read_density_grid(path)
    message = str(caught.value)
    assert "row 2, column 'DENS'" in message and "received '9'" in message
    assert "row 3, column 'DENS'" in message and "'deux'" in message


def test_unparsable_population_and_bad_code_are_listed_together(tmp_path):
    path = write(
        tmp_path,
        GRID_HEADER,
        "01001,A,6,Rural,8x2,0,0,0,0,0,78.6,21.4",
        "ABCDE,B,6,Rural,267,0,0,0,0,0,88,12",
    )
    with pytest.raises(LayerValidationError, match=r"row 1, column 'PMUN21': not a number"):
        read_density_grid(path)
    with pytest.raises(LayerValidationError, match=r"row 2, column 'CODGEO': not an INSEE"):
        read_density_grid(path)


def test_duplicate_commune_code_is_an_error(tmp_path):
    path = write(
        tmp_path,
        ZRR_HEADER,
        "01001,A,C - Classée en ZRR,C - Commune classée en ZRR",
        "1001,A bis,C - Classée en ZRR,C - Commune classée en ZRR",
    )
    with pytest.raises(LayerValidationError, match=r"row 2.*duplicate id '01001'.*row 1"):
        read_zrr(path)


def test_unknown_zrr_code_is_an_error(tmp_path):
    path = write(
        tmp_path,
        ZRR_HEADER,
        "01001,A,C - Classée en ZRR,C - Commune classée en ZRR",
        "01002,B,FRR - France ruralités revitalisation,FRR",
    )
    with pytest.raises(LayerValidationError, match=r"row 2, column 'ZRR_SIMP': unknown ZRR class"):
        read_zrr(path)


def test_missing_column_suggests_the_close_name(tmp_path):
    path = write(tmp_path, "CODGEO,LIBGEO,DENS,LIBDENS,PMUN_21", "01001,A,6,Rural,832")
    with pytest.raises(LayerValidationError, match=r"missing column 'PMUN21'; did you mean 'PMUN_"):
        read_density_grid(path)


def test_empty_and_absent_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="the file is empty"):
        read_zrr(empty)
    header_only = write(tmp_path, ZRR_HEADER, name="header.csv")
    with pytest.raises(LayerValidationError, match="no rows left"):
        read_zrr(header_only)
    with pytest.raises(MissingDataError, match="file not found"):
        read_zrr(tmp_path / "absent.csv")
