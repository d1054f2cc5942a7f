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
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.errors import LayerValidationError, Problem
from coverage.layers._common import REPORT_ATTR, LoadReport
from coverage.sites import rural_flags

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_ILLECTRONISME_RATE", "build_demand"]

DEFAULT_ILLECTRONISME_RATE = 0.17


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
        Embedded communes (:func:`coverage.embedded.load_communes`), possibly
        filtered to some departments; all of them by default.
    illectronisme_rate, qpv_multiplier, rural_multiplier
        See the module docstring. Must be >= 0 (the rate <= 1).
    fragility
        :func:`coverage.layers.fragility.read_fragility_index` frame (commune or
        IRIS level; IRIS is aggregated to communes).
    density_grid
        :func:`coverage.layers.rurality.read_density_grid` frame; without it the
        rural flag is the embedded density approximation.
    qpv_demography
        :func:`coverage.layers.qpv.read_qpv_demography` frame: one unit per
        matched QPV of the chosen communes.
    qpv_polygons
        :func:`coverage.layers.qpv.read_qpv_polygons` frame: QPV units placed at
        their polygon's representative point.
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
        from coverage.embedded import load_communes

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
    units = units[
        [
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
    ]
    report.rows_kept = len(units)
    report.notes.append(
        f"{len(units)} units ({int(units['qpv'].sum())} QPV), population "
        f"{units['population'].sum():,.0f}, need {units['need'].sum():,.0f}"
    )
    units.attrs[REPORT_ATTR] = report
    logger.info(report.summary())
    return units


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
    from coverage.layers.fragility import fragility_by_commune

    by_commune = fragility_by_commune(fragility).set_index("insee_com")["score_global"]
    scores = codes.map(by_commune).to_numpy(dtype=np.float64)
    missing = int(np.isnan(scores).sum())
    if missing:
        report.notes.append(
            f"{missing} units have no fragility score (code not in the index vintage or null score): factor 1"
        )
    return scores
