"""The real national instance, end to end: files -> demand and sites -> reach -> solve -> plan.

    python benchmarks/national.py [--data-dir ../shared/geodata-sources] [--runs 3] [--solver cbc]

Demand: every embedded commune plus the QPV units split out of them (QPV
demography file), need from the fragility index. Candidate sites: every La
Poste contact point, every France Services site (2024) and every advisor host
structure (CnFS 2021). Access rule: the default radius per zone
(QPV 1 km, urban 5 km, rural 15 km). Two models:

- maximal coverage with 400 sites (the founding case's number of offices);
- staffing with the founding case's partners (La Poste 100 advisors x 4
  offices, Croix-Rouge 80, Groupe SOS 100), the partners sharing premises,
  24 months of work.

Prints, per model, the median of ``--runs`` runs of each phase (load, reach,
build, solve, plan), the total, the peak memory of the process and the
objective. The machine is shared and noisy: quote medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import statistics
import time
from pathlib import Path

from coverage.data.layers import (
    read_cnfs_structures_2021,
    read_fragility_index,
    read_france_services_2024,
    read_laposte_points,
    read_qpv_demography,
)
from coverage.inputs.demand import build_demand
from coverage.inputs.partners import Horizon, Partner, Sharing
from coverage.inputs.sites import (
    build_sites,
    sites_from_cnfs_structures,
    sites_from_france_services,
    sites_from_laposte,
)
from coverage.models.location import SolverOptions, maximal_coverage
from coverage.models.staffing import staffing
from coverage.reach.layers import build_reach
from coverage.reach.rules import ZoneRadius

LAPOSTE_KINDS = ["bureau", "agence_communale", "agence_intercommunale", "relais_commercant"]


def load(data: Path) -> tuple[object, object]:
    qpv = read_qpv_demography(data / "qpv/qpv2015_demographie_insee_DEMO_2022.csv")
    fragility = read_fragility_index(
        data / "fragilite_numerique/mednum_indice_fragilite_numerique_communes_2020_DERIVED.csv"
    )
    demand = build_demand(qpv_demography=qpv, fragility=fragility)
    layers = [
        sites_from_laposte(
            read_laposte_points(data / "laposte_points_contact/laposte_poincont2_2020-12.csv"),
            kinds=LAPOSTE_KINDS,
        ),
        sites_from_france_services(
            read_france_services_2024(data / "france_services" / "liste-fs-20240801.csv")
        ),
        sites_from_cnfs_structures(
            read_cnfs_structures_2021(data / "france_services" / "cnfs_structures_2021.json")
        ),
    ]
    sites = build_sites(layers, qpv_communes=qpv.loc[qpv["matched"], "insee_com"])
    return demand, sites


def founding_partners() -> tuple[list[Partner], Sharing, Horizon]:
    partners = [
        Partner("laposte", 100, slots_per_advisor=4, people_per_slot_month=35),
        Partner("croix_rouge", 80, slots_per_advisor=1, people_per_slot_month=70),
        Partner("groupe_sos", 100, slots_per_advisor=1, people_per_slot_month=70),
    ]
    guests = ["laposte", "france_services", "cnfs_host", "croix_rouge", "groupe_sos"]
    sharing = Sharing.from_pairs(
        [(p, owner) for p in ("laposte", "croix_rouge", "groupe_sos") for owner in guests]
    )
    return partners, sharing, Horizon(dt.date(2022, 1, 1), dt.date(2023, 12, 31), target=320_000)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = Path(__file__).resolve().parents[2] / "shared" / "geodata-sources"
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--solver", choices=["cbc", "highs"], default="cbc")
    parser.add_argument("--models", default="mclp,staffing", help="comma list of mclp, staffing")
    parser.add_argument("--time-limit", type=float, default=45.0, help="solver seconds per solve")
    args = parser.parse_args()
    options = SolverOptions(solver=args.solver, time_limit=args.time_limit)
    partners, sharing, horizon = founding_partners()
    models = {
        "mclp": lambda d, s, r: maximal_coverage(d, s, r, max_sites=400, options=options),
        "staffing": lambda d, s, r: staffing(
            d, s, r, partners, sharing=sharing, horizon=horizon, options=options
        ),
    }
    rows: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.runs):
        started = time.perf_counter()
        demand, sites = load(args.data_dir)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        reach = build_reach(demand, sites, ZoneRadius())
        reach_s = time.perf_counter() - started
        for name in args.models.split(","):
            started = time.perf_counter()
            plan = models[name](demand, sites, reach)
            total = time.perf_counter() - started
            rows.setdefault(name, []).append(
                {
                    "load": load_s,
                    "reach": reach_s,
                    "build": plan.build_seconds,
                    "solve": plan.solve_seconds,
                    "plan": total - plan.build_seconds - plan.solve_seconds,
                    "end to end": load_s + reach_s + total,
                    "objective": plan.objective,
                    "served share": plan.served_share,
                    "open sites": len(plan.open_site_ids),
                    "status": plan.status,
                }
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"national instance: {len(demand):,} demand units x {len(sites):,} sites, {reach.n_pairs:,} pairs "
        f"({reach.rule}); solver {args.solver}; median of {args.runs} runs; peak memory {peak_mb:,.0f} MB"
    )
    header = [
        "model",
        "load s",
        "reach s",
        "build s",
        "solve s",
        "plan s",
        "end to end s",
        "objective",
        "served",
        "open",
        "status",
    ]
    print(" | ".join(header))
    for name, runs in rows.items():
        med = {
            k: statistics.median(r[k] for r in runs)
            for k in ("load", "reach", "build", "solve", "plan", "end to end", "served share")
        }
        print(
            " | ".join(
                [
                    name,
                    f"{med['load']:.2f}",
                    f"{med['reach']:.2f}",
                    f"{med['build']:.2f}",
                    f"{med['solve']:.2f}",
                    f"{med['plan']:.2f}",
                    f"{med['end to end']:.2f}",
                    f"{runs[-1]['objective']:,.1f}",
                    f"{med['served share']:.1%}",
                    str(runs[-1]["open sites"]),
                    runs[-1]["status"],
                ]
            )
        )


if __name__ == "__main__":
    main()
