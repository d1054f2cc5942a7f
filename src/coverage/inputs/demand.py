"""Demand units: where the people in need of digital help live.

One unit per commune, plus one unit per QPV (priority neighbourhood) whose
population is split out of its host commune. For each unit::

    need = population x illectronisme_rate x fragility_factor x zone_multiplier

- ``illectronisme_rate``: share of people unable to use digital tools
  (INSEE: about 17 % of people aged 15+ in 2019);
- ``fragility_factor``: the Mednum fragility score of the commune / 100,
  clipped to ``fragility_clip`` (1 where the index is absent or not used);
- ``zone_multiplier``: ``qpv_multiplier`` for QPV units, ``rural_multiplier``
  for units in rural communes, 1 otherwise. These are scenario assumptions.

Output columns: ``unit_id`` (``com:<insee>`` or ``qpv:<code>``), ``kind``
(``commune`` / ``qpv``), ``insee_com``, ``dep``, ``name``, ``population``,
``qpv``, ``rural``, ``fragility_score``, ``need``, ``geometry`` (point,
EPSG:4326: the commune's representative point, the QPV polygon's
representative point where polygons are given, else the host commune's).

:func:`demand_from_file` gives the same columns for units a user brings (a
scenario's ``demand.source``): their need is taken as the file states it, and
each unit is placed in its commune and department by location.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.data.layers._common import MAX_PEOPLE, REPORT_ATTR, LoadReport, Problems, file_rows
from coverage.errors import LayerValidationError, Problem
from coverage.inputs.sites import rural_flags

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_ILLECTRONISME_RATE", "DEMAND_COLUMNS", "build_demand", "demand_from_file"]

DEFAULT_ILLECTRONISME_RATE = 0.17

#: Columns of every demand frame, in order.
DEMAND_COLUMNS = [
    "unit_id",
    "kind",
    "insee_com",
    "dep",
    "name",
    "population",
    "qpv",
    "rural",
    "fragility_score",
    "need",
    "geometry",
]

_TRUE = {"1", "true", "yes", "oui", "vrai", "y", "t"}
_FALSE = {"0", "false", "no", "non", "faux", "n", "f", ""}


def build_demand(
    communes: gpd.GeoDataFrame | None = None,
    *,
    illectronisme_rate: float = DEFAULT_ILLECTRONISME_RATE,
    qpv_multiplier: float = 1.5,
    rural_multiplier: float = 1.2,
    fragility: pd.DataFrame | None = None,
    fragility_clip: tuple[float, float] = (0.5, 2.0),
    density_grid: pd.DataFrame | None = None,
    qpv_demography: pd.DataFrame | None = None,
    qpv_polygons: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Build demand units from communes and the optional official layers.

    Parameters
    ----------
    communes
        Embedded communes (:func:`coverage.data.embedded.load_communes`), possibly
        filtered to some departments; all of them by default.
    illectronisme_rate, qpv_multiplier, rural_multiplier
        See the module docstring. Must be >= 0 (the rate <= 1).
    fragility
        :func:`coverage.data.layers.fragility.read_fragility_index` frame (commune or
        IRIS level; IRIS is aggregated to communes).
    density_grid
        :func:`coverage.data.layers.rurality.read_density_grid` frame; without it the
        rural flag is the embedded density approximation.
    qpv_demography
        :func:`coverage.data.layers.qpv.read_qpv_demography` frame: one unit per
        matched QPV of the chosen communes.
    qpv_polygons
        :func:`coverage.data.layers.qpv.read_qpv_polygons` frame: QPV units placed at
        their polygon's representative point.

    Examples
    --------
    The Creuse (department 23) from the embedded communes: one unit per commune.
    Guéret is urban and has no fragility score, so its need is its population x 17 %.

    >>> import coverage
    >>> creuse = coverage.load_communes(["23"])
    >>> demand = coverage.build_demand(creuse)
    >>> len(demand), int(demand["rural"].sum())
    (255, 253)
    >>> gueret = demand.set_index("unit_id").loc["com:23096"]
    >>> str(gueret["name"]), int(gueret["population"]), round(float(gueret["need"]), 2)
    ('Guéret', 13161, 2237.37)
    >>> round(demand["need"].sum())
    23712
    """
    problems = [
        Problem("demand settings", f"{name} must be >= 0 (received {value})", column=name)
        for name, value in [
            ("illectronisme_rate", illectronisme_rate),
            ("qpv_multiplier", qpv_multiplier),
            ("rural_multiplier", rural_multiplier),
        ]
        if not value >= 0
    ]
    if illectronisme_rate > 1:
        problems.append(
            Problem(
                "demand settings",
                "illectronisme_rate is a share: at most 1 "
                f"(received {illectronisme_rate}); write 0.17 for 17 %",
                column="illectronisme_rate",
            )
        )
    if problems:
        raise LayerValidationError(problems)
    if communes is None:
        from coverage.data.embedded import load_communes

        communes = load_communes()
    report = LoadReport("demand", rows_read=len(communes))
    communes = communes.reset_index(drop=True)
    if (communes["population"] < 0).any():
        bad = np.flatnonzero(communes["population"] < 0)
        raise LayerValidationError(
            [
                Problem(
                    "communes",
                    f"negative population ({communes['population'][i]}) for commune "
                    f"{communes['insee_com'][i]}",
                    row=int(i) + 1,
                    column="population",
                )
                for i in bad
            ]
        )

    population = communes["population"].astype("float64").to_numpy(copy=True)
    qpv_units = _qpv_units(communes, qpv_demography, qpv_polygons, report)
    if len(qpv_units):
        split = qpv_units.groupby("insee_com")["population"].sum()
        taken = communes["insee_com"].map(split).fillna(0.0).to_numpy()
        over = taken > population
        for i in np.flatnonzero(over):
            report.warn(
                [
                    Problem(
                        "qpv demography",
                        f"QPV population {taken[i]:.0f} exceeds the "
                        f"population {population[i]:.0f} of commune "
                        f"{communes['insee_com'][i]} (vintages differ); its QPV units "
                        "are scaled down to the commune's population",
                    )
                ]
            )
        # Keep the total population: a commune never gives more than it has.
        scale = np.where(over, population / np.where(taken > 0, taken, 1.0), 1.0)
        scale_by_code = pd.Series(scale, index=communes["insee_com"].to_numpy())
        qpv_units["population"] *= qpv_units["insee_com"].map(scale_by_code).to_numpy()
        population = np.maximum(population - taken, 0.0)

    commune_units = gpd.GeoDataFrame(
        {
            "unit_id": "com:" + communes["insee_com"],
            "kind": "commune",
            "insee_com": communes["insee_com"],
            "dep": communes["dep"],
            "name": communes["name"],
            "population": population,
            "qpv": False,
        },
        geometry=gpd.points_from_xy(communes["point_lon"], communes["point_lat"]),
        crs=4326,
    )
    units = pd.concat([commune_units, qpv_units], ignore_index=True) if len(qpv_units) else commune_units
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=4326)
    units["rural"] = rural_flags(units["insee_com"], communes, density_grid, report)
    units["fragility_score"] = _fragility_scores(units["insee_com"], fragility, report)

    factor = np.clip(units["fragility_score"].to_numpy() / 100.0, *fragility_clip)
    factor = np.where(np.isnan(factor), 1.0, factor)
    zone = np.where(units["qpv"], qpv_multiplier, np.where(units["rural"], rural_multiplier, 1.0))
    units["need"] = units["population"].to_numpy() * illectronisme_rate * factor * zone
    units = units[DEMAND_COLUMNS]
    report.rows_kept = len(units)
    report.notes.append(
        f"{len(units)} units ({int(units['qpv'].sum())} QPV), population "
        f"{units['population'].sum():,.0f}, need {units['need'].sum():,.0f}"
    )
    units.attrs[REPORT_ATTR] = report
    logger.info(report.summary())
    return units


def demand_from_file(
    path: str | Path,
    *,
    id_column: str = "unit_id",
    need_column: str = "need",
    name_column: str | None = "name",
    qpv_column: str | None = None,
    lon: str = "longitude",
    lat: str = "latitude",
    layer: str | None = None,
    communes: gpd.GeoDataFrame | None = None,
    density_grid: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Demand units from a file a user brings, in the columns of :func:`build_demand`.

    The file is anything :func:`coverage.data.layers.generic.read_layer` reads: a CSV
    with ``lon``/``lat`` columns, GeoJSON, GeoPackage (``layer``), a shapefile or
    a zipped one. Points are the units' places; polygons and lines are taken at
    their representative point. Each unit is placed in the commune containing
    it (or the nearest within 1 km) of ``communes`` (all embedded communes by
    default), which gives ``insee_com`` and ``dep``.

    Parameters
    ----------
    id_column
        Unique id of each unit (becomes ``unit_id``).
    need_column
        People in need (a number >= 0), taken as is: the rate and multipliers of
        :func:`build_demand` do not apply.
    name_column
        Unit names; the id when None or absent.
    qpv_column
        Optional flag (``1``/``0``, ``true``/``false``, ``yes``/``no``): the unit
        lies in a QPV; False for every unit without it.
    density_grid
        As for :func:`build_demand`: the rural flag of the unit's commune.

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id, kind`` (``"file"``), ``insee_com, dep, name, population``
        (NaN), ``qpv, rural, fragility_score`` (NaN), ``need, geometry``
        (points, EPSG:4326), with a load report.

    Raises
    ------
    LayerValidationError
        Missing columns, a need that is missing, not a number or negative, a
        bad QPV flag, a unit outside every commune: each named with the file,
        row and column; and every problem of ``read_layer``.

    Examples
    --------
    Two units of a local survey, with the need counted by the team on the ground:

    >>> import pathlib, tempfile
    >>> import coverage
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demand.csv"
    >>> _ = path.write_text(
    ...     "unit_id,name,need,longitude,latitude\\n"
    ...     "gueret-centre,Guéret centre,120,1.87,46.17\\n"
    ...     "ahun,Ahun,35,2.05,46.08\\n",
    ...     encoding="utf-8",
    ... )
    >>> demand = coverage.demand_from_file(path, communes=coverage.load_communes(["23"]))
    >>> demand["unit_id"].tolist(), demand["insee_com"].tolist()
    (['gueret-centre', 'ahun'], ['23096', '23001'])
    >>> demand["need"].tolist(), demand["rural"].tolist()
    ([120.0, 35.0], [False, True])
    """
    from coverage.data.layers.communes import attach_communes
    from coverage.data.layers.generic import read_layer

    source = str(path)
    frame = read_layer(path, layer=layer, id_column=id_column, lon=lon, lat=lat)
    problems = Problems(source)
    wanted = [need_column, *([qpv_column] if qpv_column else [])]
    for column in wanted:
        if column not in frame.columns:
            listed = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            problems.add(f"column '{column}' not found; the file has: {listed}", column=column)
    problems.raise_if_any()
    rows = file_rows(frame)
    raw_need = frame[need_column]
    text = raw_need.astype(str).str.strip().str.replace(",", ".", regex=False)
    need = pd.to_numeric(text.where(raw_need.notna(), ""), errors="coerce").astype("float64")
    bad = (need.isna() | (need < 0) | ~np.isfinite(need)).to_numpy()
    problems.add_rows(
        rows[bad], need_column, "need must be a number >= 0", values=[_shown(v) for v in raw_need[bad]]
    )
    huge = ~bad & (need > MAX_PEOPLE).to_numpy()
    problems.add_rows(
        rows[huge],
        need_column,
        f"need above {MAX_PEOPLE:,.0f} people (more than France's population); check the column",
        values=[_shown(v) for v in raw_need[huge]],
    )
    qpv = np.zeros(len(frame), dtype=bool)
    if qpv_column:
        flags = frame[qpv_column].map(lambda v: "" if v is None or v != v else str(v).strip().lower())
        unknown = ~flags.isin(_TRUE | _FALSE).to_numpy()
        problems.add_rows(
            rows[unknown],
            qpv_column,
            "QPV flag must be 1/0, true/false or yes/no",
            values=list(frame[qpv_column][unknown]),
        )
        qpv = flags.isin(_TRUE).to_numpy()
    problems.raise_if_any()

    if communes is None:
        from coverage.data.embedded import load_communes

        communes = load_communes()
    report = frame.attrs.get(REPORT_ATTR) or LoadReport(source, rows_read=len(frame))
    not_points = ~frame.geometry.geom_type.eq("Point").to_numpy()
    points = frame.geometry.copy()
    if not_points.any():
        points[not_points] = frame.geometry[not_points].representative_point()
        report.notes.append(f"{int(not_points.sum())} units taken at their shape's representative point")
    ids = frame[id_column].astype(str).str.strip()
    located = gpd.GeoDataFrame({"unit_id": ids.to_numpy()}, geometry=points.to_numpy(), crs=4326)
    located.attrs[REPORT_ATTR] = LoadReport(source)
    located = attach_communes(located, communes=communes, id_column="unit_id")
    outside = located["commune_match"].eq("none").to_numpy()
    for i in np.flatnonzero(outside):
        point = located.geometry.iloc[i]
        problems.add(
            f"unit {ids.iloc[i]!r} at ({point.x:.5f}, {point.y:.5f}) lies outside every commune "
            "of the embedded geography; check its coordinates (longitude first) or remove it",
            row=int(rows[i]),
            column=f"{lon}/{lat}" if Path(source).suffix.lower() in (".csv", ".txt") else "geometry",
        )
    problems.raise_if_any()

    if name_column and name_column in frame.columns:
        names = frame[name_column].map(lambda v: "" if v is None or v != v else str(v).strip())
        names = names.where(names.ne(""), ids)
    else:
        names = ids
    units = gpd.GeoDataFrame(
        {
            "unit_id": ids.to_numpy(),
            "kind": "file",
            "insee_com": located["insee_com"].astype(str).to_numpy(),
            "dep": located["dep"].astype(str).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "population": np.nan,
            "qpv": qpv,
        },
        geometry=located.geometry.to_numpy(),
        crs=4326,
    )
    units["rural"] = rural_flags(units["insee_com"], communes, density_grid, report)
    units["fragility_score"] = np.nan
    units["need"] = need.to_numpy()
    units = units[DEMAND_COLUMNS]
    report.rows_kept = len(units)
    report.notes.append(
        f"{len(units)} units from {Path(source).name} ({int(units['qpv'].sum())} QPV), "
        f"need {units['need'].sum():,.0f}"
    )
    units.attrs[REPORT_ATTR] = report
    logger.info(report.summary())
    return units


def _shown(value: object) -> object:
    """A received value as shown in a message (a missing one as '')."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _qpv_units(
    communes: gpd.GeoDataFrame,
    demography: pd.DataFrame | None,
    polygons: gpd.GeoDataFrame | None,
    report: LoadReport,
) -> gpd.GeoDataFrame:
    empty = gpd.GeoDataFrame(
        {"unit_id": [], "kind": [], "insee_com": [], "dep": [], "name": [], "population": [], "qpv": []},
        geometry=[],
        crs=4326,
    )
    if demography is None:
        return empty
    rows = demography[demography["matched"] & demography["insee_com"].isin(communes["insee_com"])]
    rows = rows[rows["population"].notna() & (rows["population"] > 0)]
    unmatched = int((~demography["matched"]).sum())
    if unmatched:
        report.notes.append(f"{unmatched} QPV of the demography file matched no commune: left out")
    if not len(rows):
        return empty
    host = communes.set_index("insee_com")
    lon = rows["insee_com"].map(host["point_lon"]).to_numpy(copy=True)
    lat = rows["insee_com"].map(host["point_lat"]).to_numpy(copy=True)
    if polygons is not None and len(polygons):
        points = polygons.set_index("qpv_id").geometry.to_crs(4326).representative_point()
        has = rows["qpv_id"].isin(points.index).to_numpy()
        lon[has] = points.reindex(rows["qpv_id"][has]).x.to_numpy()
        lat[has] = points.reindex(rows["qpv_id"][has]).y.to_numpy()
        report.notes.append(
            f"{int(has.sum())} QPV units at their polygon, {int((~has).sum())} at their commune's point"
        )
    return gpd.GeoDataFrame(
        {
            "unit_id": "qpv:" + rows["qpv_id"].to_numpy(),
            "kind": "qpv",
            "insee_com": rows["insee_com"].to_numpy(),
            "dep": rows["insee_com"].map(host["dep"]).to_numpy(),
            "name": rows["name"].to_numpy(),
            "population": rows["population"].astype("float64").to_numpy(),
            "qpv": True,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def _fragility_scores(codes: pd.Series, fragility: pd.DataFrame | None, report: LoadReport) -> np.ndarray:
    if fragility is None:
        return np.full(len(codes), np.nan)
    from coverage.data.layers.fragility import fragility_by_commune

    by_commune = fragility_by_commune(fragility).set_index("insee_com")["score_global"]
    scores = codes.map(by_commune).to_numpy(dtype=np.float64)
    missing = int(np.isnan(scores).sum())
    if missing:
        report.notes.append(
            f"{missing} units have no fragility score (code not in the index vintage or null score): factor 1"
        )
    return scores
