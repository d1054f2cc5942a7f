"""Issue 13: errors at the right place (the file's own rows, after dropped rows), damaged files
refused (a cut last row, a trailing separator, out-of-range needs), Corsican codes normalised."""

from __future__ import annotations

import pandas as pd
import pytest

from coverage.data.layers._common import normalise_insee, read_text_table
from coverage.data.layers.generic import read_layer
from coverage.errors import CRSError, LayerValidationError
from coverage.inputs.demand import demand_from_file
from coverage.inputs.sites import sites_from_file


def test_row_numbers_are_the_files_after_a_dropped_row(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "site_id;name;longitude;latitude;slots\n"
        "A;Guéret;1.8717;46.1703;1\n"
        "B;no coordinates;;;1\n"
        "C;Aubusson;2.1686;45.9563;1\n"
        "D;Boussac;2.2225;46.3494;x\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"sites.csv, row 4, column 'slots': capacity must be"):
        sites_from_file(path, partner="asso", capacity="slots")


def test_demand_need_row_is_the_files_after_a_dropped_row(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "id;need;longitude;latitude\na;10;1.8717;46.1703\nb;10;;\nc;1e308;2.1686;45.9563\nd;-3;2.2225;46.3494\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError) as caught:
        demand_from_file(path, id_column="id", need_column="need")
    text = str(caught.value)
    assert "units.csv, row 3, column 'need': need above 100,000,000 people" in text  # 1e308
    assert "units.csv, row 4, column 'need': need must be a number >= 0 (received '-3')" in text


def test_trailing_separator_does_not_shift_columns(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "site_id;name;longitude;latitude\nA;Guéret;1.8717;46.1703;\nB;Aubusson;2.1686;45.9563;\n",
        encoding="utf-8",
    )
    frame = read_text_table(path)
    assert frame["site_id"].tolist() == ["A", "B"] and frame["latitude"].tolist() == ["46.1703", "45.9563"]
    sites = read_layer(path, id_column="site_id")
    assert sites["name"].tolist() == ["Guéret", "Aubusson"]
    assert sites.geometry.x.round(4).tolist() == [1.8717, 2.1686]


def test_file_cut_in_its_last_row_is_refused(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_bytes(b"site_id;name;latitude;longitude\nA;Gueret;46.1703;1.8717\nB;Aubusson;45.9")
    with pytest.raises(LayerValidationError, match=r"sites.csv, row 2: the last row has 3 of the 4 fields"):
        read_layer(path, id_column="site_id")
    path.write_bytes(b"site_id;name;latitude;longitude\nA;Gueret;46.1703;1.8717\nB;Aubusson;45.9563;2.16")
    assert len(read_layer(path, id_column="site_id", lon="longitude", lat="latitude")) == 2  # complete


def test_file_cut_inside_its_last_number_is_refused(tmp_path):
    """Issue 13: every field present, but the last longitude cut from 2.1686 to 2.1."""
    path = tmp_path / "sites.csv"
    rows = "site_id;name;latitude;longitude\nA;Gueret;46.1703;1.8717\nB;Aubusson;45.9563;2.1686\n"
    path.write_bytes((rows + "C;Bourganeuf;45.9526;1.7").encode())
    with pytest.raises(
        LayerValidationError,
        match=r"sites.csv, row 3, column 'longitude': the file ends in the middle of a line and the last "
        r"value '1.7' has 1 decimals where every other row has at least 4",
    ):
        read_layer(path, id_column="site_id")
    path.write_bytes((rows + "C;Bourganeuf;45.9526;1.7\n").encode())  # the planner confirms the row
    assert read_layer(path, id_column="site_id").geometry.x.round(4).tolist() == [1.8717, 2.1686, 1.7]
    path.write_bytes((rows + "C;Bourganeuf;45.9526;1.7545").encode())  # whole, without a line break
    assert len(read_layer(path, id_column="site_id")) == 3


def test_corsican_codes_of_department_20_are_normalised():
    codes = normalise_insee(pd.Series(["20004", "20033", "2a004", "20999", "1001"]))
    assert codes.tolist() == ["2A004", "2B033", "2A004", "20999", "01001"]


def test_geometries_outside_france_name_layer_and_rows(tmp_path):
    from coverage.data.territory import split_by_territory

    path = tmp_path / "units.csv"
    path.write_text("id;longitude;latitude\na;1.87;46.17\nb;;\nc;-40.0;30.0\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"row 3"):
        read_layer(path)  # the reader already names it
    import geopandas as gpd
    from shapely.geometry import Point

    from coverage.data.layers._common import REPORT_ATTR, LoadReport

    frame = gpd.GeoDataFrame({"id": ["a", "c"]}, geometry=[Point(1.87, 46.17), Point(-40, 30)], crs=4326)
    frame.attrs[REPORT_ATTR] = LoadReport("units.csv", file_rows=(1, 3))
    with pytest.raises(
        CRSError, match=r"units.csv: 1 geometries lie outside every French territory \(rows or features 3\)"
    ):
        list(split_by_territory(frame))


def test_commune_warnings_name_the_files_row_after_a_dropped_row(tmp_path):
    """Issue 13: a Creuse code with coordinates elsewhere was named by its position, not its row."""
    from coverage.data.embedded import load_communes
    from coverage.data.layers import attach_communes, report_of

    path = tmp_path / "points.csv"
    path.write_text(
        "insee_com;longitude;latitude\n23096;1.866;46.158\n23001;;\n23001;2.013;46.092\n23096;1.742;45.947\n",
        encoding="utf-8",
    )
    points = read_layer(path)
    placed = attach_communes(points, communes=load_communes(["23"]))
    warnings = [str(w) for w in report_of(placed).warnings]
    assert any(
        w.startswith(f"{path}, column 'insee_com': row 4 lies 20.8 km from commune 23096") for w in warnings
    ), warnings
