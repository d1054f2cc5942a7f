"""A scenario whose solve takes long enough to watch and stop (tests of live progress)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def long_scenario(folder: Path) -> Path:
    """A scenario file whose maximal coverage CBC takes about half a minute (1,000 nodes) to prove.

    Real communes make easy models (their LP is nearly integral); 1,500 units
    and 250 candidate sites scattered at random over Creuse and Haute-Vienne
    with an 8 km radius and 25 sites need branch and bound.
    """
    rng = np.random.default_rng(0)
    box = {"longitude": (1.2, 2.2), "latitude": (45.7, 46.3)}
    units = pd.DataFrame({f"{k}": rng.uniform(*v, 1500).round(5) for k, v in box.items()})
    units.insert(0, "unit_id", [f"u{i}" for i in range(len(units))])
    units["need"] = rng.integers(1, 100, len(units))
    units.to_csv(folder / "units.csv", index=False)
    sites = pd.DataFrame({f"{k}": rng.uniform(*v, 250).round(5) for k, v in box.items()})
    sites.insert(0, "site_id", [f"s{j}" for j in range(len(sites))])
    sites.to_csv(folder / "sites.csv", index=False)
    path = folder / "long.toml"
    path.write_text(
        'name = "long"\n[territory]\ndepartments = ["23", "87"]\n[demand]\nsource = "units.csv"\n'
        '[sites.random]\nsource = "sites.csv"\npartner = "mairie"\ncapacity = 1\n'
        '[access]\nrule = "zone_radius"\nqpv = 8000\nurban = 8000\nrural = 8000\n'
        '[objective]\nmodel = "maximal_coverage"\nmax_sites = 25\n[solver]\ntime_limit = 300\n',
        encoding="utf-8",
    )
    return path
