"""Readers of the official files and of any user file, with validation that explains.

Each reader returns a (Geo)DataFrame in a documented schema (ids as strings,
points and polygons in EPSG:4326) with a :class:`LoadReport` attached
(:func:`report_of`): rows read, kept, dropped and why, repaired geometries,
warnings. Bad input raises :class:`coverage.errors.LayerValidationError`
listing every problem with its file, row and column.
"""

from __future__ import annotations

from coverage.data.layers._common import LoadReport, report_of
from coverage.data.layers.cnfs import read_cnfs_structures_2021, read_mediation_places
from coverage.data.layers.communes import attach_communes
from coverage.data.layers.fragility import fragility_by_commune, read_fragility_index
from coverage.data.layers.france_services import read_france_services_2020, read_france_services_2024
from coverage.data.layers.generic import combine_layers, read_layer, read_points_csv
from coverage.data.layers.laposte import read_laposte_points
from coverage.data.layers.qpv import read_qpv_demography, read_qpv_polygons
from coverage.data.layers.rurality import read_density_grid, read_zrr

__all__ = [
    "LoadReport",
    "attach_communes",
    "combine_layers",
    "fragility_by_commune",
    "read_cnfs_structures_2021",
    "read_density_grid",
    "read_fragility_index",
    "read_france_services_2020",
    "read_france_services_2024",
    "read_laposte_points",
    "read_layer",
    "read_mediation_places",
    "read_points_csv",
    "read_qpv_demography",
    "read_qpv_polygons",
    "read_zrr",
    "report_of",
]
