from __future__ import annotations

import numpy as np
import pytest

from coverage.data.layers._common import report_of
from coverage.data.layers.fragility import SCORE_COLUMNS, fragility_by_commune, read_fragility_index
from coverage.errors import LayerValidationError

SCORES = ",".join(
    [
        "ACCES A L'INFORMATION",
        "ACCÈS AUX INTERFACES NUMERIQUES",
        "COMPETENCES ADMINISTATIVES",
        "COMPÉTENCES NUMÉRIQUES / SCOLAIRES",
        "GLOBAL ACCES",
        "GLOBAL COMPETENCES",
    ]
)
IRIS_HEADER = (
    f"code_iris,nom_com,nom_iris,Classement de SCORE GLOBAL region 1,{SCORES},Population,SCORE GLOBAL "
)
COMMUNE_HEADER = f"code_commune,nom_com,n_iris,population,{SCORES},SCORE GLOBAL"
FOLDER = "fragilite_numerique"


def write(tmp_path, header: str, *rows: str):
    path = tmp_path / "fragility.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_real_iris_file(sources):
    path = sources / FOLDER / "mednum_indice_fragilite_numerique_iris_2020.csv"
    iris = read_fragility_index(path)
    assert len(iris) == 49_427
    assert set(iris["level"]) == {"iris"}
    assert iris["code"].str.len().eq(9).all() and iris["code"].is_unique
    assert (iris["insee_com"] == iris["code"].str[:5]).all()
    assert iris["insee_com"].str[:2].isin(["2A", "2B"]).sum() == 404
    assert iris["population"].sum() == pytest.approx(65.7e6, rel=0.01)
    assert "0 rows without a global score" in report_of(iris).notes


def test_real_commune_file_and_aggregation_agree(sources):
    folder = sources / FOLDER
    communes = read_fragility_index(folder / "mednum_indice_fragilite_numerique_communes_2020_DERIVED.csv")
    assert len(communes) == 35_328
    assert set(communes["level"]) == {"commune"}
    assert communes["score_global"].isna().sum() == 6
    assert "6 rows without a global score" in report_of(communes).notes
    assert communes.loc[communes["score_global"].isna(), "population"].eq(0).all()

    aggregated = fragility_by_commune(
        read_fragility_index(folder / "mednum_indice_fragilite_numerique_iris_2020.csv")
    )
    assert len(aggregated) == 35_328
    merged = aggregated.merge(communes, on="code", suffixes=("", "_file"))
    assert len(merged) == 35_328
    for score in SCORE_COLUMNS.values():
        # the DERIVED file is rounded to one decimal
        np.testing.assert_allclose(merged[score], merged[f"{score}_file"], atol=0.051)
    assert fragility_by_commune(communes) is communes


def test_small_iris_file_by_hand(tmp_path):
    path = write(
        tmp_path,
        IRIS_HEADER,
        "10010000,Abergement,Abergement,1,10,20,30,40,50,60,100,80",
        "010040101,Ambérieu,Centre,2,110,120,130,140,150,160,300,120",
        "010040102,Ambérieu,Gare,3,210,220,230,240,250,260,100,",
    )
    iris = read_fragility_index(path)
    assert list(iris["code"]) == ["010010000", "010040101", "010040102"]
    assert list(iris["insee_com"]) == ["01001", "01004", "01004"]
    assert list(iris["name"]) == ["Abergement", "Centre", "Gare"]
    assert iris["score_global"].isna().tolist() == [False, False, True]
    assert "1 rows without a global score" in report_of(iris).notes

    communes = fragility_by_commune(iris)
    assert list(communes["code"]) == ["01001", "01004"]
    row = communes.set_index("code").loc["01004"]
    assert row["level"] == "commune" and row["name"] == "Ambérieu"
    assert row["population"] == 400
    assert row["access_information"] == pytest.approx((110 * 300 + 210 * 100) / 400)  # 135
    assert row["score_global"] == pytest.approx(120)  # the IRIS without a score is left out


def test_unparsable_score_names_row_and_column(tmp_path):
    path = write(
        tmp_path,
        COMMUNE_HEADER,
        "01001,A,1,767,53,104,75,91,70,86,78",
        "01002,B,1,243,63,cent,65,77,78,73,75",
    )
    with pytest.raises(
        LayerValidationError,
        match=r"row 2, column 'ACCÈS AUX INTERFACES NUMERIQUES': not a number \(received 'cent'\)",
    ):
        read_fragility_index(path)


def test_duplicate_iris_code_is_an_error(tmp_path):
    path = write(
        tmp_path,
        IRIS_HEADER,
        "010010000,A,A,1,10,20,30,40,50,60,100,80",
        "010010000,A,A,1,10,20,30,40,50,60,100,80",
    )
    with pytest.raises(LayerValidationError, match=r"row 2.*duplicate id '010010000'"):
        read_fragility_index(path)


def test_unknown_layout_and_missing_column(tmp_path):
    path = write(tmp_path, "code,nom,score", "01001,A,3")
    with pytest.raises(LayerValidationError, match=r"neither a 'code_iris' column"):
        read_fragility_index(path)
    header = COMMUNE_HEADER.replace("SCORE GLOBAL", "SCORE_GLOBAL")
    path = write(tmp_path, header, "01001,A,1,7,1,1,1,1,1,1,1")
    with pytest.raises(
        LayerValidationError, match=r"missing column 'SCORE GLOBAL'; did you mean 'SCORE_GLOBAL'"
    ):
        read_fragility_index(path)


def test_negative_population_is_an_error(tmp_path):
    path = write(tmp_path, COMMUNE_HEADER, "01001,A,1,-5,53,104,75,91,70,86,78")
    with pytest.raises(LayerValidationError, match=r"row 1, column 'population': .*negative"):
        read_fragility_index(path)
