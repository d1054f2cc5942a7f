"""France-like maximal-coverage instances with a fixed seed, for the model benchmarks.

    python benchmarks/instances.py            # describe every size (pairs, coverage)

An instance lies in a 1,000 km x 1,000 km planar metric square (metres). The
land is a disc of France's area (550,000 km2) in the middle of it. Demand units
(communes) are

- clustered towns: urban areas placed at random on the land, each with a
  heavy-tailed (Pareto) number of towns spread normally around its centre;
- scattered rural points: uniform on the land.

Weights are integer populations, log-normal like the 34,871 real communes
(median about 450, heavy tail; towns heavier than rural points). Candidate
sites (post offices, France Services) mostly sit in a town or village, chosen
with a probability growing with its population, plus some scattered sites.
The radius is 10 km and p is 5% of the sites.

Calibration: at 35,000 x 17,000 the instance has about as many demand-site
pairs within 10 km as the real communes have La Poste contact points: 12.3 per
unit, 430,000 pairs, 0.3% of units with none (real: 11.4, 397,000, 0.09%).
By default the smaller sizes are sparser samples of the same land: at
5,000 x 1,000 a unit has 1.0 site within 10 km on average and 44% have none.
``layout='regional'`` keeps the national density instead (a region of France
with as many communes), which gives the solver more overlap to untangle.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SIDE_M = 1_000_000.0
LAND_AREA_M2 = 550_000e6
RADIUS_M = 10_000.0
SITE_SHARE_OPEN = 0.05

#: Named sizes: (demand units, candidate sites).
SIZES: dict[str, tuple[int, int]] = {
    "1k x 200": (1_000, 200),
    "5k x 1k": (5_000, 1_000),
    "20k x 3k": (20_000, 3_000),
    "35k x 17k": (35_000, 17_000),
}
#: Larger sizes, built on demand only (not described by default): the scaling checks of issue 16.
LARGE_SIZES: dict[str, tuple[int, int]] = {
    "70k x 35k": (70_000, 35_000),
    "200k x 100k": (200_000, 100_000),
}


@dataclass(frozen=True)
class Instance:
    """One benchmark instance: points in metres, integer weights, radius and p."""

    name: str
    seed: int
    demand_ids: npt.NDArray[np.object_]
    demand_xy: npt.NDArray[np.float64]
    weights: npt.NDArray[np.int64]
    site_ids: npt.NDArray[np.object_]
    site_xy: npt.NDArray[np.float64]
    radius: float
    p: int

    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)


def size_named(key: str) -> str:
    """The size name for a short key ('1k', '5k', '20k', '35k', '70k', '200k') or a full name."""
    for name in {**SIZES, **LARGE_SIZES}:
        if key == name or name.split(" x ")[0] == key:
            return name
    raise KeyError(f"unknown size {key!r}; choose from {', '.join(SIZES)} or their first part")


def _land_points(rng: np.random.Generator, count: int, area_m2: float) -> npt.NDArray[np.float64]:
    """Uniform points on a land disc of ``area_m2`` in the middle of the square."""
    radius = np.sqrt(area_m2 / np.pi)
    r = radius * np.sqrt(rng.random(count))
    theta = 2 * np.pi * rng.random(count)
    return np.c_[SIDE_M / 2 + r * np.cos(theta), SIDE_M / 2 + r * np.sin(theta)]


def _clip(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.clip(xy, 0.0, SIDE_M)


def make_instance(name: str, seed: int = 20261128, layout: str = "national") -> Instance:
    """The instance of size ``name`` (see :data:`SIZES`), identical for a given seed.

    ``layout='national'`` spreads every size over France's area (smaller sizes
    are sparser samples); ``'regional'`` shrinks the land in proportion to the
    demand units, keeping the national density of units (a region of France).
    """
    n_demand, n_sites = {**SIZES, **LARGE_SIZES}[name]
    if layout not in ("national", "regional"):
        raise ValueError(f"layout must be 'national' or 'regional', got {layout!r}")
    area = LAND_AREA_M2 * (1.0 if layout == "national" else min(1.0, n_demand / 35_000))
    rng = np.random.default_rng([seed, n_demand, n_sites])

    # Demand: 30% towns in urban areas, 70% scattered rural points.
    n_town = int(round(0.30 * n_demand))
    n_rural = n_demand - n_town
    n_areas = max(3, n_demand // 120)
    centres = _land_points(rng, n_areas, area)
    area_size = rng.pareto(1.2, n_areas) + 1.0
    area_of_town = rng.choice(n_areas, size=n_town, p=area_size / area_size.sum())
    # Bigger urban areas spread wider: 8 km for a small one, up to 30 km.
    spread = np.clip(8_000.0 * np.sqrt(area_size), 8_000.0, 30_000.0)[area_of_town]
    town_xy = _clip(centres[area_of_town] + rng.normal(size=(n_town, 2)) * spread[:, None])
    rural_xy = _land_points(rng, n_rural, area)
    demand_xy = np.vstack([town_xy, rural_xy])
    # Populations: log-normal; towns heavier, and heavier near their area's centre.
    closeness = np.exp(-np.hypot(*(town_xy - centres[area_of_town]).T) / spread)
    town_w = rng.lognormal(6.4 + 1.5 * closeness, 1.4)
    rural_w = rng.lognormal(5.9, 1.1, n_rural)
    weights = np.maximum(1, np.rint(np.r_[town_w, rural_w])).astype(np.int64)
    order = rng.permutation(n_demand)
    demand_xy, weights = demand_xy[order], weights[order]

    # Sites: 85% in a town or village (jittered up to ~1 km), 15% scattered.
    n_placed = int(round(0.85 * n_sites))
    chance = weights.astype(np.float64) ** 0.15
    host = rng.choice(n_demand, size=n_placed, p=chance / chance.sum())
    placed_xy = _clip(demand_xy[host] + rng.normal(scale=500.0, size=(n_placed, 2)))
    site_xy = np.vstack([placed_xy, _land_points(rng, n_sites - n_placed, area)])
    site_xy = site_xy[rng.permutation(n_sites)]

    width_d, width_s = len(str(n_demand)), len(str(n_sites))
    return Instance(
        name=name,
        seed=seed,
        demand_ids=np.array([f"d{i:0{width_d}d}" for i in range(n_demand)], dtype=object),
        demand_xy=demand_xy,
        weights=weights,
        site_ids=np.array([f"s{j:0{width_s}d}" for j in range(n_sites)], dtype=object),
        site_xy=site_xy,
        radius=RADIUS_M,
        p=max(1, int(round(SITE_SHARE_OPEN * n_sites))),
    )


def main() -> None:
    from scipy.spatial import cKDTree

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--layout", choices=("national", "regional"), default="national")
    args = parser.parse_args()
    print(
        f"{'size':<11}{'demand':>8}{'sites':>7}{'p':>5}{'pairs':>10}{'pairs/unit':>11}"
        f"{'no site':>9}{'weight':>13}{'max w':>9}"
    )
    for name in SIZES:
        inst = make_instance(name, args.seed, args.layout)
        hits = cKDTree(inst.site_xy).query_ball_point(inst.demand_xy, inst.radius, return_length=True)
        print(
            f"{name:<11}{inst.n_demand:>8}{inst.n_sites:>7}{inst.p:>5}{hits.sum():>10}"
            f"{hits.mean():>11.1f}{(hits == 0).mean():>9.1%}{inst.weights.sum():>13,}{inst.weights.max():>9,}"
        )


if __name__ == "__main__":
    main()
