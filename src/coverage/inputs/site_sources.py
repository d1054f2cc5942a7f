"""Candidate sites from each source: La Poste, France Services, host structures, town halls, any file.

Every constructor ends in one core and returns the same site schema (see
:mod:`coverage.inputs.sites`), before communes and eligibility are attached
by :func:`coverage.inputs.sites.build_sites`. :func:`check_costs` reads a
site's cost of opening from a layer's column, for a scenario's budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data.i18n import N_
from coverage.data.layers._common import REPORT_ATTR, LoadReport, Problems, file_rows
from coverage.errors import CRSError, LayerValidationError, Problem

__all__ = [
    "check_costs",
    "sites_from_cnfs_structures",
    "sites_from_file",
    "sites_from_france_services",
    "sites_from_laposte",
    "sites_from_mediation_places",
    "sites_from_town_halls",
]


def _site_frame(
    frame: gpd.GeoDataFrame,
    *,
    ids: pd.Series,
    names: pd.Series,
    partner: str | pd.Series,
    kind: str | pd.Series,
    capacity: int | pd.Series,
    source: str,
) -> gpd.GeoDataFrame:
    """The one core every constructor ends in."""
    if frame.crs is None:
        raise CRSError(f"layer '{source}' has no CRS; set it with GeoDataFrame.set_crs(4326)")
    capacity_values = pd.Series(capacity, index=frame.index)
    if (capacity_values < 0).any() or capacity_values.isna().any():
        bad = np.flatnonzero((capacity_values < 0) | capacity_values.isna())
        raise LayerValidationError(
            [
                Problem(source, "capacity must be a whole number >= 0", row=int(i) + 1, column="capacity")
                for i in bad
            ]
        )
    sites = gpd.GeoDataFrame(
        {
            "site_id": source + ":" + ids.astype(str).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "partner": pd.Series(partner, index=frame.index).astype(str).to_numpy(),
            "kind": pd.Series(kind, index=frame.index).astype(str).to_numpy(),
            "capacity": capacity_values.astype("int64").to_numpy(),
            "source": source,
            "insee_com": (frame["insee_com"].astype(str).to_numpy() if "insee_com" in frame else ""),
        },
        geometry=frame.geometry.to_crs(4326).to_numpy(),
        crs=4326,
    )
    sites.attrs[REPORT_ATTR] = frame.attrs.get(REPORT_ATTR) or LoadReport(source)
    return sites


def sites_from_laposte(
    points: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] = ("bureau",),
    capacity: int = 1,
    partner: str = "laposte",
) -> gpd.GeoDataFrame:
    """Sites from :func:`coverage.data.layers.laposte.read_laposte_points`, keeping ``kinds``.

    Examples
    --------
    A two-row extract of La Poste's contact points: a post office and a communal agency.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_laposte_points
    >>> from coverage.inputs.sites import sites_from_laposte
    >>> header = (
    ...     "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Site_Acores_de_rattachement;"
    ...     "Adresse;Code_postal;Localité;Code_INSEE;Latitude;Longitude;Précision_du_géocodage"
    ... )
    >>> rows = [
    ...     "G001;GUERET BP;Bureau de Poste;;Rue;23000;GUERET;23096;46.17;1.87;Géocodé au numéro",
    ...     "A002;AHUN AP;Agence postale communale;G001;Place;23150;AHUN;23001;46.08;2.05;Géocodé au numéro",
    ... ]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "laposte_poincont2.csv"
    >>> _ = path.write_text("\\n".join([header, *rows]), encoding="utf-8")
    >>> points = read_laposte_points(path)
    >>> sites = sites_from_laposte(points)
    >>> sites["site_id"].tolist(), sites["partner"].tolist(), sites["kind"].tolist()
    (['laposte:G001'], ['laposte'], ['bureau'])
    >>> sites_from_laposte(points, kinds=["bureau", "agence_communale"])["site_id"].tolist()
    ['laposte:G001', 'laposte:A002']
    """
    kinds = list(kinds)
    chosen = points[points["kind"].isin(kinds)]
    return _site_frame(
        chosen,
        ids=chosen["site_id"],
        names=chosen["name"],
        partner=partner,
        kind=chosen["kind"],
        capacity=capacity,
        source="laposte",
    )


def sites_from_france_services(
    frame: gpd.GeoDataFrame, *, capacity: int = 1, partner: str = "france_services"
) -> gpd.GeoDataFrame:
    """Sites from a France Services reader; La Poste-hosted ones get partner ``laposte``.

    Examples
    --------
    Two France services of the 2024 list; the one in a post office belongs to La Poste.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_france_services_2024
    >>> from coverage.inputs.sites import sites_from_france_services
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "liste-fs.csv"
    >>> _ = path.write_text(
    ...     "id_fs,insee_dep,lib_fs,adresse,insee_com,code_postal,lib_com,"
    ...     "latitude,longitude,type_fs,format_fs\\n"
    ...     "fs1,23,France services de Bourganeuf,Place,23030,23400,Bourganeuf,45.95,1.76,Principal,Fixe\\n"
    ...     "fs2,23,France services La Poste d'Ahun,Rue,23001,23150,Ahun,46.08,2.05,Principal,Fixe\\n",
    ...     encoding="utf-8",
    ... )
    >>> sites = sites_from_france_services(read_france_services_2024(path))
    >>> sites["site_id"].tolist(), sites["partner"].tolist()
    (['france_services:fs1', 'france_services:fs2'], ['france_services', 'laposte'])
    """
    owner = pd.Series(partner, index=frame.index).where(~frame["hosted_by_laposte"], "laposte")
    return _site_frame(
        frame,
        ids=frame["site_id"],
        names=frame["name"],
        partner=owner,
        kind="france_services",
        capacity=capacity,
        source="france_services",
    )


def sites_from_cnfs_structures(frame: gpd.GeoDataFrame, *, partner: str = "cnfs_host") -> gpd.GeoDataFrame:
    """Advisor host structures of 2021; capacity is their number of advisors.

    Examples
    --------
    Two host structures of the 2021 list, a town hall with two advisors and an association with one:

    >>> import json, pathlib, tempfile
    >>> from coverage.data.layers import read_cnfs_structures_2021
    >>> from coverage.inputs.sites import sites_from_cnfs_structures
    >>> town_hall = dict(
    ...     id="1", raison_sociale="Mairie de Guéret", type="publique", nb_cnfs="2",
    ...     insee_com="23096", insee_dep="23", code_postal_bis="23000", zrr="non",
    ...     france_services="non", latitude="46.17", longitude="1.87", result_score="0.9",
    ...     adresse_absente="non",
    ... )
    >>> association = dict(town_hall, id="2", raison_sociale="Association Relais", type="privée",
    ...                    nb_cnfs="1", insee_com="23001", latitude="46.08", longitude="2.05")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cnfs_structures_2021.json"
    >>> _ = path.write_text(json.dumps([town_hall, association]), encoding="utf-8")
    >>> sites = sites_from_cnfs_structures(read_cnfs_structures_2021(path))
    >>> sites["site_id"].tolist(), sites["kind"].tolist(), sites["capacity"].tolist()
    (['cnfs2021:1', 'cnfs2021:2'], ['cnfs_publique', 'cnfs_privée'], [2, 1])
    """
    return _site_frame(
        frame,
        ids=frame["structure_id"],
        names=frame["name"],
        partner=partner,
        kind="cnfs_" + frame["type"].astype(str),
        capacity=frame["advisors"].astype("int64"),
        source="cnfs2021",
    )


def sites_from_mediation_places(
    frame: gpd.GeoDataFrame, *, capacity: int = 1, default_partner: str = "mediation"
) -> gpd.GeoDataFrame:
    """Digital-inclusion places; partner detected from the name, else ``default_partner``.

    Examples
    --------
    A Croix-Rouge permanence is recognised by its name; the others get ``default_partner``:

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_mediation_places
    >>> from coverage.inputs.sites import sites_from_mediation_places
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lieux_mediation.csv"
    >>> _ = path.write_text(
    ...     "id,nom,commune,code_postal,adresse,latitude,longitude,date_maj,labels_nationaux\\n"
    ...     "m1,Croix-Rouge française Guéret,Guéret,23000,Rue,46.17,1.87,2022-07-01,\\n"
    ...     "m2,Médiathèque d'Ahun,Ahun,23150,Place,46.08,2.05,2022-07-01,\\n",
    ...     encoding="utf-8",
    ... )
    >>> sites = sites_from_mediation_places(read_mediation_places(path))
    >>> sites["site_id"].tolist(), sites["partner"].tolist()
    (['mediation:m1', 'mediation:m2'], ['croix_rouge', 'mediation'])
    """
    partner = frame["partner"].where(frame["partner"].ne(""), default_partner)
    return _site_frame(
        frame,
        ids=frame["place_id"],
        names=frame["name"],
        partner=partner,
        kind="mediation",
        capacity=capacity,
        source="mediation",
    )


def sites_from_town_halls(
    communes: gpd.GeoDataFrame, *, capacity: int = 1, partner: str = "mairie"
) -> gpd.GeoDataFrame:
    """One site per commune at its town hall (at its representative point when unknown).

    Examples
    --------
    Every town hall of the Creuse as a candidate site:

    >>> import coverage
    >>> from coverage.inputs.sites import sites_from_town_halls
    >>> halls = sites_from_town_halls(coverage.load_communes(["23"]))
    >>> len(halls), halls["site_id"].iloc[0], halls["name"].iloc[0], halls["partner"].iloc[0]
    (255, 'mairie:23001', 'Mairie Ahun', 'mairie')
    """
    has_hall = communes["town_hall_lon"].notna().to_numpy()
    lon = np.where(has_hall, communes["town_hall_lon"], communes["point_lon"])
    lat = np.where(has_hall, communes["town_hall_lat"], communes["point_lat"])
    points = gpd.GeoDataFrame(communes[["insee_com"]].copy(), geometry=gpd.points_from_xy(lon, lat), crs=4326)
    report = LoadReport("embedded town halls", rows_read=len(communes), rows_kept=len(communes))
    if (~has_hall).any():
        report.notes.append(
            f"{int((~has_hall).sum())} communes have no town-hall point: "
            "placed at the commune's representative point"
        )
    points.attrs[REPORT_ATTR] = report
    return _site_frame(
        points,
        ids=communes["insee_com"],
        names="Mairie " + communes["name"],
        partner=partner,
        kind="mairie",
        capacity=capacity,
        source="mairie",
    )


def sites_from_file(
    path: str | Path,
    *,
    partner: str,
    kind: str = "site",
    capacity: int | str = 1,
    id_column: str = "site_id",
    name_column: str = "name",
    columns: dict[str, str] | None = None,
    layer: str | None = None,
    cost: str | None = None,
) -> gpd.GeoDataFrame:
    """Sites from any file :func:`coverage.data.layers.generic.read_layer` reads.

    ``capacity`` is a number for every site, or the name of a column. ``cost``
    names the column of each site's cost of opening (a number >= 0, French
    ``12 500,5`` accepted), kept as the ``cost`` column for a scenario's budget.

    Examples
    --------
    A partner's own list of premises, with the advisor slots each can host:

    >>> import pathlib, tempfile
    >>> from coverage.inputs.sites import sites_from_file
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "croix_rouge.csv"
    >>> _ = path.write_text(
    ...     "site_id,name,longitude,latitude,slots\\n"
    ...     "cr1,Croix-Rouge Guéret,1.87,46.17,2\\n"
    ...     "cr2,Croix-Rouge Aubusson,2.17,45.96,1\\n",
    ...     encoding="utf-8",
    ... )
    >>> sites = sites_from_file(path, partner="croix_rouge", kind="local", capacity="slots")
    >>> sites["site_id"].tolist(), sites["partner"].tolist(), sites["capacity"].tolist()
    (['croix_rouge:cr1', 'croix_rouge:cr2'], ['croix_rouge', 'croix_rouge'], [2, 1])

    The id prefix is the file's name (``croix_rouge``), not the partner. A cost column:

    >>> _ = path.write_text("site_id,longitude,latitude,prix\\ncr1,1.87,46.17,1200\\ncr2,2.17,45.96,-5\\n")
    >>> sites_from_file(path, partner="croix_rouge", cost="prix")
    Traceback (most recent call last):
    ...
    coverage.errors.LayerValidationError: 1 problem:
      .../croix_rouge.csv, row 2, column 'prix': a cost must be a number >= 0 (received '-5')
    """
    from coverage.data.layers.generic import read_layer

    frame = read_layer(path, columns=columns, layer=layer, id_column=id_column)
    problems = Problems(str(path))
    if name_column not in frame.columns:
        frame[name_column] = frame[id_column].astype(str)
    if isinstance(capacity, str):
        if capacity not in frame.columns:
            problems.add(f"capacity column '{capacity}' not found", column=capacity)
            problems.raise_if_any()
        values = pd.to_numeric(frame[capacity], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        problems.add_rows(
            file_rows(frame)[bad.to_numpy()],
            capacity,
            "capacity must be a whole number >= 0",
            values=list(frame[capacity][bad]),
        )
        problems.raise_if_any()
        capacity = values.astype("int64")
    costs = None if cost is None else check_costs(frame, cost, source=str(path))
    sites = _site_frame(
        frame,
        ids=frame[id_column],
        names=frame[name_column],
        partner=partner,
        kind=kind,
        capacity=capacity,
        source=Path(path).stem,
    )
    if costs is not None:
        sites["cost"] = costs
    return sites


def check_costs(
    frame: pd.DataFrame, column: str, *, source: str, named: str | None = None
) -> npt.NDArray[np.float64]:
    """Each site's cost from ``column``: numbers >= 0 (``12 500,5`` accepted), every bad cell named.

    ``source`` and ``named`` (the column's name in that file, when it was renamed) say where.

    Raises
    ------
    LayerValidationError
        The column is missing, or cells are not numbers >= 0 (file, row, column, value).

    Examples
    --------
    >>> import pandas as pd
    >>> check_costs(pd.DataFrame({"cost": ["1 200,5", "0"]}), "cost", source="sites.csv").tolist()
    [1200.5, 0.0]
    """
    problems = Problems(source)
    if column not in frame.columns:
        problems.add(
            N_("cost column '{column}' not found (columns: {present})").format(
                column=column, present=", ".join(str(c) for c in frame.columns if c != "geometry")
            ),
            column=column,
        )
        problems.raise_if_any()
    raw = frame[column]
    text = raw.astype(str).str.strip().str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    text = text.str.replace(",", ".", regex=False)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    problems.add_rows(
        file_rows(frame)[bad], named or column, N_("a cost must be a number >= 0"), values=list(raw[bad])
    )
    problems.raise_if_any()
    return values
