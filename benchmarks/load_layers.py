"""Time every reader on the real official files: median of N runs, rows, per-row cost.

    python benchmarks/load_layers.py [--data-dir ../shared/geodata-sources] [--runs 5]

Prints one row per layer: rows read, rows kept, median and min seconds, and
microseconds per row. The machine is shared and noisy: quote medians.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from coverage.data.layers import (
    read_cnfs_structures_2021,
    read_density_grid,
    read_fragility_index,
    read_france_services_2020,
    read_france_services_2024,
    read_laposte_points,
    read_mediation_places,
    read_qpv_demography,
    read_qpv_polygons,
    read_zrr,
    report_of,
)
from coverage.inputs.demand import build_demand
from coverage.inputs.sites import (
    build_sites,
    sites_from_cnfs_structures,
    sites_from_france_services,
    sites_from_laposte,
    sites_from_mediation_places,
)

LAYERS = [
    ("laposte points", read_laposte_points, "laposte_points_contact/laposte_poincont2_2020-12.csv"),
    ("france services 2024", read_france_services_2024, "france_services/liste-fs-20240801.csv"),
    ("france services 2020", read_france_services_2020, "france_services/france_services_2020-12.geojson"),
    ("cnfs structures 2021", read_cnfs_structures_2021, "france_services/cnfs_structures_2021.json"),
    (
        "mediation places 2022",
        read_mediation_places,
        "france_services/lieux_mediation_numerique_cnfs_2022-07.json",
    ),
    ("qpv polygons (Occitanie)", read_qpv_polygons, "qpv/qpv2015_occitanie_hackaviz2021.geojson"),
    ("qpv demography", read_qpv_demography, "qpv/qpv2015_demographie_insee_DEMO_2022.csv"),
    ("density grid", read_density_grid, "rurality/grille_densite_7_niveaux_2024.csv"),
    ("zrr", read_zrr, "rurality/zrr_communes_cog2021.csv"),
    (
        "fragility iris",
        read_fragility_index,
        "fragilite_numerique/mednum_indice_fragilite_numerique_iris_2020.csv",
    ),
    (
        "fragility communes",
        read_fragility_index,
        "fragilite_numerique/mednum_indice_fragilite_numerique_communes_2020_DERIVED.csv",
    ),
]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "geodata-sources"
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    read_laposte_points(args.data_dir / LAYERS[0][2])  # warm imports and caches
    print(f"{'layer':<26}{'read':>8}{'kept':>8}{'median s':>10}{'min s':>8}{'us/row':>8}")
    for name, reader, relative in LAYERS:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            frame = reader(args.data_dir / relative)
            times.append(time.perf_counter() - start)
        report = report_of(frame)
        median = statistics.median(times)
        print(
            f"{name:<26}{report.rows_read:>8}{report.rows_kept:>8}{median:>10.3f}"
            f"{min(times):>8.3f}{1e6 * median / max(report.rows_read, 1):>8.1f}"
        )

    print()
    d = args.data_dir
    grid = read_density_grid(d / LAYERS[7][2])
    qpv = read_qpv_demography(d / LAYERS[6][2])
    fragility = read_fragility_index(d / LAYERS[10][2])
    layers = [
        sites_from_laposte(
            read_laposte_points(d / LAYERS[0][2]),
            kinds=["bureau", "agence_communale", "agence_intercommunale", "relais_commercant"],
        ),
        sites_from_france_services(read_france_services_2024(d / LAYERS[1][2])),
        sites_from_cnfs_structures(read_cnfs_structures_2021(d / LAYERS[3][2])),
        sites_from_mediation_places(read_mediation_places(d / LAYERS[4][2])),
    ]
    builders = {
        "build_demand (national)": lambda: build_demand(
            density_grid=grid, qpv_demography=qpv, fragility=fragility
        ),
        "build_sites (national)": lambda: build_sites(
            layers, density_grid=grid, qpv_communes=qpv.loc[qpv["matched"], "insee_com"]
        ),
    }
    print(f"{'builder':<26}{'rows':>8}{'median s':>10}{'min s':>8}")
    for name, build in builders.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            frame = build()
            times.append(time.perf_counter() - start)
        print(f"{name:<26}{len(frame):>8}{statistics.median(times):>10.3f}{min(times):>8.3f}")


if __name__ == "__main__":
    main()
